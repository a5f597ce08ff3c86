"""torch's legacy cross-channel LRN (``nn.CrossMapLRN2d``), reproduced with its quirks.

Forward: ``y = x * scale^-beta`` with ``scale_c = k + alpha / size * sum_{j in W(c)} x_j^2``, where
``W(c)`` is the channel window ``[c - p + 1, c + p - 1]`` (``p = (size - 1) // 2 + 1``, clipped
to the channels) plus channel 0, which torch's running-sum update never subtracts.

Backward (torch's formula, which is not the exact derivative of that forward):
``gx_c = g_c scale_c^-beta - 2 alpha beta / size * x_c * sum_{j = c - q}^{c + size - 1 - q}
g_j y_j / scale_j`` with ``q = int(size - (size - 1) / 2)`` (float division, as torch).
"""
from __future__ import annotations

from .._backend import xp_of
from ..autograd.function import Op


def _T(arr):
    from .._tensor import Tensor

    return Tensor._make(arr)


def _window_sum(xp, a, lo, hi):
    """``out[:, c] = sum(a[:, lo[c]:hi[c] + 1])`` (empty windows sum to 0), via a cumulative sum
    over the channel axis 1."""
    n, c = a.shape[:2]
    cs = xp.zeros((n, c + 1) + a.shape[2:], dtype=a.dtype)
    cs[:, 1:] = xp.cumsum(a, axis=1)
    lo_c = xp.clip(lo, 0, c)
    hi_c = xp.clip(hi + 1, 0, c)
    hi_c = xp.maximum(hi_c, lo_c)
    return cs[:, hi_c] - cs[:, lo_c]


class CrossMapLRN2d(Op):
    """(N, C, H, W) cross-channel local response normalisation, as torch's legacy layer."""

    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, x, *, size, alpha, beta, k):
        xp = xp_of(x)
        c = x.shape[1]
        p = (size - 1) // 2 + 1
        ch = xp.arange(c)
        sq = x * x
        s = _window_sum(xp, sq, ch - p + 1, ch + p - 1)
        extra = (ch - p + 1 > 0).reshape((1, c) + (1,) * (x.ndim - 2))
        s = s + xp.where(extra, sq[:, :1], 0)  # channel 0, never subtracted by torch
        scale = s * (alpha / size) + k
        if ctx.recording:
            ctx.scale, ctx.k = scale, (size, alpha, beta)
        return (x * scale ** -beta).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y = (t._data for t in ctx.saved_tensors)
        size, alpha, beta = ctx.k
        xp = xp_of(x)
        scale = ctx.scale
        ga = g._data
        c = x.shape[1]
        q = int(size - (size - 1) / 2)
        ch = xp.arange(c)
        acc = _window_sum(xp, ga * y / scale, ch - q, ch + size - 1 - q)
        gx = ga * scale ** -beta - (2 * alpha * beta / size) * x * acc
        return (_T(gx.astype(x.dtype, copy=False)),)
