"""Optional compiled (numba) pointwise part of the fused LSTM backward step.

Per time step the LSTM backward does one GEMM and about fifteen small elementwise passes; this
loop does the elementwise part in one pass.  (The forward stays in NumPy: its cost is the
sigmoid/tanh, which NumPy evaluates with SIMD and numba without SVML does not.)  The NumPy code in
``rnn.py`` stays the readable reference (tests check they agree); without numba (or with
``DANLU_NO_NUMBA=1``) ``kernels()`` returns ``None``.
"""
from __future__ import annotations

import os

_state: dict = {}


def kernels():
    """The compiled LSTM backward pointwise step, or ``None``."""
    if os.environ.get("DANLU_NO_NUMBA", "") not in ("", "0") or _state.get("off"):
        return None
    if "k" in _state:
        return _state["k"]
    try:
        import numba
    except Exception:  # numba missing or broken: NumPy path
        _state["k"] = None
        return None

    @numba.njit(cache=True, nogil=True)
    def bwd(acts, c_prev, tc, dh, dc, d):  # pragma: no cover - compiled
        # dh: dL/dh_t (N, H); dc: dL/dc_t in, dL/dc_{t-1} out; d: dL/d pre-activations (N, 4H)
        n_, h4 = acts.shape
        H = h4 // 4
        for n in range(n_):
            for j in range(H):
                i = acts[n, j]
                f = acts[n, H + j]
                g = acts[n, 2 * H + j]
                o = acts[n, 3 * H + j]
                t = tc[n, j]
                dhh = dh[n, j]
                dcc = dc[n, j] + dhh * o * (1 - t * t)
                d[n, j] = dcc * g * i * (1 - i)
                d[n, H + j] = dcc * c_prev[n, j] * f * (1 - f)
                d[n, 2 * H + j] = dcc * i * (1 - g * g)
                d[n, 3 * H + j] = dhh * t * o * (1 - o)
                dc[n, j] = dcc * f

    _state["k"] = bwd
    return _state["k"]


def set_enabled(flag: bool) -> None:
    """Tests switch the compiled path off to compare it with the NumPy reference."""
    _state["off"] = not flag
