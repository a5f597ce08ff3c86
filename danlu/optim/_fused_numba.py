"""numba kernels behind :mod:`danlu.optim._fused` (imported only when numba is installed).

Module-level so numba can cache the compiled code on disk (``cache=True``).
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(parallel=True, cache=True, nogil=True)
def adam(p, g, m, v, vmax, amsgrad, maximize, wd, decoupled_mul, w1, one_m_w1, b2, one_m_b2, bc2_sqrt, eps,
         neg_step_size):  # pragma: no cover - compiled
    """One fused Adam/AdamW step over 1-D arrays; the scalars arrive in the arrays' dtype so the
    arithmetic is the NumPy path's (and torch's) in that dtype."""
    n = p.shape[0]
    for i in numba.prange(n):
        gi = g[i]
        if maximize:
            gi = -gi
        pi = p[i]
        if decoupled_mul != 1:
            pi = pi * decoupled_mul
        elif wd != 0:
            gi = gi + wd * pi
        mi = m[i]
        d = gi - mi
        if w1 < 0.5:
            mi = mi + d * w1
        else:
            mi = gi - d * one_m_w1
        m[i] = mi
        vi = v[i] * b2 + (gi * one_m_b2) * gi
        v[i] = vi
        if amsgrad:
            if vi > vmax[i]:
                vmax[i] = vi
            else:
                vi = vmax[i]
        den = np.sqrt(vi) / bc2_sqrt + eps
        p[i] = pi + (mi / den) * neg_step_size
