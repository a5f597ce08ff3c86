"""Optional compiled (numba) im2col / col2im and max-pool kernels for 1-d and 2-d ops on CPU.

NumPy copies a strided window view with inner loops only ``W_out`` long, and col2im's
``k*k`` strided ``+=`` passes are slower still; these loops do each in one pass.  They are
single-threaded on purpose: interleaved with OpenBLAS's spinning threads, a parallel numba pool
measured slower (LeNet conv fwd+bwd 14.6 -> 21.8 ms on 2 cores), not faster.  The NumPy code in
``conv.py`` stays the readable reference and tests check these kernels equal it.  Without numba
(or with ``DANLU_NO_NUMBA=1``) ``kernels()`` returns ``None`` and NumPy is used.
"""
from __future__ import annotations

import os

_state: dict = {}


def kernels():
    """``(im2col, col2im, maxpool, maxpool_scatter)`` compiled functions, or ``None`` when numba is unavailable/disabled."""
    if os.environ.get("DANLU_NO_NUMBA", "") not in ("", "0") or _state.get("off"):
        return None
    if "k" in _state:
        return _state["k"]
    try:
        import numba
        import numpy as np
    except Exception:  # numba missing or broken: NumPy path
        _state["k"] = None
        return None

    # Indices are kept provably non-negative in the unit-stride branch (``ow + j``) so numba
    # can drop its negative-index wraparound checks and vectorise the inner loop.
    @numba.njit(cache=True, nogil=True)
    def im2col(x, kh, kw, sh, sw, dh, dw, ho, wo, out):  # pragma: no cover - compiled
        # x (N, C, Hp, Wp) already padded; out (C*kh*kw, N, ho*wo) contiguous
        n_, c_ = x.shape[0], x.shape[1]
        unit = sw == 1 and dw == 1
        for n in range(n_):
            for c in range(c_):
                for i in range(kh):
                    for j in range(kw):
                        r = (c * kh + i) * kw + j
                        for oh in range(ho):
                            ih = oh * sh + i * dh
                            base = oh * wo
                            if unit:
                                for ow in range(wo):
                                    out[r, n, base + ow] = x[n, c, ih, ow + j]
                            else:
                                for ow in range(wo):
                                    out[r, n, base + ow] = x[n, c, ih, ow * sw + j * dw]

    @numba.njit(cache=True, nogil=True)
    def col2im(cols, kh, kw, sh, sw, dh, dw, ho, wo, out):  # pragma: no cover - compiled
        # cols (C*kh*kw, N, ho*wo) summed into the padded out (N, C, Hp, Wp) (zeroed by the caller)
        n_, c_ = out.shape[0], out.shape[1]
        unit = sw == 1 and dw == 1
        for n in range(n_):
            for c in range(c_):
                for i in range(kh):
                    for j in range(kw):
                        r = (c * kh + i) * kw + j
                        for oh in range(ho):
                            ih = oh * sh + i * dh
                            base = oh * wo
                            if unit:
                                for ow in range(wo):
                                    out[n, c, ih, ow + j] += cols[r, n, base + ow]
                            else:
                                for ow in range(wo):
                                    out[n, c, ih, ow * sw + j * dw] += cols[r, n, base + ow]

    @numba.njit(cache=True, nogil=True)
    def maxpool(x, kh, kw, sh, sw, dh, dw, ho, wo, out, kidx):  # pragma: no cover - compiled
        # x (N, C, Hp, Wp) padded with -inf; the first max wins.  NaN-free input only: the
        # caller routes inputs with NaN to the NumPy path (a NaN test here costs 4x).
        n_, c_ = x.shape[0], x.shape[1]
        for n in range(n_):
            for c in range(c_):
                xc = x[n, c]
                oc = out[n, c]
                kc = kidx[n, c]
                for oh in range(ho):
                    for ow in range(wo):
                        best = xc[oh * sh, ow * sw]
                        bi = 0
                        for i in range(kh):
                            for j in range(kw):
                                v = xc[oh * sh + i * dh, ow * sw + j * dw]
                                if v > best:
                                    best = v
                                    bi = i * kw + j
                        oc[oh, ow] = best
                        kc[oh, ow] = bi

    @numba.njit(cache=True, nogil=True)
    def maxpool_scatter(g, kidx, kh, kw, sh, sw, dh, dw, out):  # pragma: no cover - compiled
        # out (N, C, Hp, Wp) zeroed: g added at each window's recorded argmax
        n_, c_, ho, wo = g.shape
        kk = kh * kw
        di = np.empty(kk, np.int64)  # offset tables: no integer division per element
        dj = np.empty(kk, np.int64)
        for k in range(kk):
            di[k] = (k // kw) * dh
            dj[k] = (k % kw) * dw
        for n in range(n_):
            for c in range(c_):
                gc = g[n, c]
                kc = kidx[n, c]
                oc = out[n, c]
                for oh in range(ho):
                    h0 = oh * sh
                    for ow in range(wo):
                        b = kc[oh, ow]
                        oc[h0 + di[b], ow * sw + dj[b]] += gc[oh, ow]

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def maxpool22(x, ho, wo, out, kidx):  # pragma: no cover - compiled
        # the 2x2 / stride 2 case (VGG, AlexNet-style nets), NaN-aware like the NumPy path
        # (a NaN replaces the running max, so the last NaN wins): four loads and three
        # branch-free compare-selects per output, vectorised over the output row
        n_, c_ = x.shape[0], x.shape[1]
        for n in range(n_):
            for c in range(c_):
                xc = x[n, c]
                oc = out[n, c]
                kc = kidx[n, c]
                for oh in range(ho):
                    r0 = xc[2 * oh]
                    r1 = xc[2 * oh + 1]
                    for ow in range(wo):
                        best = r0[2 * ow]
                        bi = 0
                        v = r0[2 * ow + 1]
                        m = (v > best) | (v != v)
                        best = v if m else best
                        bi = 1 if m else bi
                        v = r1[2 * ow]
                        m = (v > best) | (v != v)
                        best = v if m else best
                        bi = 2 if m else bi
                        v = r1[2 * ow + 1]
                        m = (v > best) | (v != v)
                        best = v if m else best
                        bi = 3 if m else bi
                        oc[oh, ow] = best
                        kc[oh, ow] = bi

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def avgpool22(x, ho, wo, div, out):  # pragma: no cover - compiled
        # 2x2 / stride 2, no padding: the NumPy path's sum order ((a + b) + c) + d, then / div
        n_, c_ = x.shape[0], x.shape[1]
        for n in range(n_):
            for c in range(c_):
                xc = x[n, c]
                oc = out[n, c]
                for oh in range(ho):
                    r0 = xc[2 * oh]
                    r1 = xc[2 * oh + 1]
                    for ow in range(wo):
                        oc[oh, ow] = (((r0[2 * ow] + r0[2 * ow + 1]) + r1[2 * ow]) + r1[2 * ow + 1]) / div

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def avgpool22_adjoint(g, div, out):  # pragma: no cover - compiled
        # out (N, C, H, W), rows/cols beyond 2*ho / 2*wo already zero: each g / div to its window
        n_, c_, ho, wo = g.shape
        for n in range(n_):
            for c in range(c_):
                gc = g[n, c]
                oc = out[n, c]
                for oh in range(ho):
                    r0 = oc[2 * oh]
                    r1 = oc[2 * oh + 1]
                    for ow in range(wo):
                        v = gc[oh, ow] / div
                        r0[2 * ow] = v
                        r0[2 * ow + 1] = v
                        r1[2 * ow] = v
                        r1[2 * ow + 1] = v

    _state["k"] = (im2col, col2im, maxpool, maxpool_scatter, maxpool22, avgpool22, avgpool22_adjoint)
    return _state["k"]


def set_enabled(flag: bool) -> None:
    """Tests switch the compiled path off to compare it with the NumPy reference."""
    _state["off"] = not flag
