"""Optional compiled (numba) pointwise parts of the fused LSTM step, forward and backward.

Per time step the LSTM does one GEMM and about fifteen small elementwise passes (forward: add the
recurrent term, three sigmoids and two tanh, the cell update; backward: the gate derivatives);
the kernels in ``_rnn_numba`` do each side in one pass over the (N, 4H) gate block.  Without SVML,
numba would call libm's scalar ``exp``/``tanh`` per element (slower than NumPy's SIMD ufuncs), so
the forward kernel brings its own vectorisable exp.  The NumPy code in ``rnn.py`` stays the
readable reference (tests check they agree); without numba (or with ``DANLU_NO_NUMBA=1``)
``kernels()`` returns ``None``.  numba is imported only on first use.
"""
from __future__ import annotations

import os

_state: dict = {}


def kernels():
    """The compiled LSTM pointwise steps (module with ``lstm_fwd``, ``lstm_bwd``), or ``None``."""
    if os.environ.get("DANLU_NO_NUMBA", "") not in ("", "0") or _state.get("off"):
        return None
    if "k" not in _state:
        try:
            from . import _rnn_numba
        except Exception:  # numba missing or broken: NumPy path
            _rnn_numba = None
        _state["k"] = _rnn_numba
    return _state["k"]


def set_enabled(flag: bool) -> None:
    """Tests switch the compiled path off to compare it with the NumPy reference."""
    _state["off"] = not flag
