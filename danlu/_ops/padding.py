"""Padding and index-along-an-axis ops (F.pad, nearest/linear interpolation).

* ``ConstantPad``: pads (negative pads crop) the trailing dims with a constant; its adjoint is
  the opposite crop/pad, so it is its own backward.
* ``TakeAlong``/``AddAlong``: ``out = x.take(idx, axis)`` and its adjoint (a segment sum of the
  gradient over equal indices, via ``add.reduceat`` -- no ``add.at``).  Reflect, replicate and
  circular padding and nearest / linear upsampling are all ``TakeAlong`` with an index map.
"""
from __future__ import annotations

from .._backend import xp_of
from ..autograd.function import Op


class ConstantPad(Op):
    """``pads`` = ((lo, hi), ...) for the last ``len(pads)`` dims; negative values crop."""

    @staticmethod
    def forward(ctx, x, *, pads, value):
        xp = xp_of(x)
        nd = x.ndim
        lead = nd - len(pads)
        ctx.pads = pads
        src, dst, shape = [], [], list(x.shape)
        for i, (lo, hi) in enumerate(pads):
            n = x.shape[lead + i]
            m = n + lo + hi
            shape[lead + i] = max(m, 0)
            # source range kept and where it lands
            s0, s1 = max(-lo, 0), n - max(-hi, 0)
            src.append(slice(s0, max(s1, s0)))
            d0 = max(lo, 0)
            dst.append(slice(d0, d0 + max(s1 - s0, 0)))
        if any(s < 0 for s in shape):
            raise RuntimeError(
                f"The input size {x.shape[lead + i]}, plus negative padding {lo} and {hi} resulted in a "
                f"negative output size, which is invalid. Check dimension {lead + i} of your input.")
        out = xp.full(shape, value, x.dtype) if value else xp.zeros(shape, x.dtype)
        head = (slice(None),) * lead
        out[head + tuple(dst)] = x[head + tuple(src)]
        return out

    @staticmethod
    def backward(ctx, g):
        return (ConstantPad.apply(g, pads=tuple((-lo, -hi) for lo, hi in ctx.pads), value=0),)


def _take(xp, x, idx, axis):
    if xp.__name__ != "numpy":
        idx = xp.asarray(idx)
    return xp.take(x, idx, axis=axis)


def add_along(g, idx, axis, n):
    """Adjoint of ``take(idx, axis)``: ``out[..., i, ...] = sum_{j: idx[j] == i} g[..., j, ...]``.

    ``idx`` is a host (numpy) int array.  Sorting it groups equal indices into runs, which
    ``add.reduceat`` sums in one pass.
    """
    import numpy as np

    xp = xp_of(g)
    order = np.argsort(idx, kind="stable")
    s = idx[order]
    if s.size and (order != np.arange(order.size)).any():
        g = _take(xp, g, order, axis)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]]) if s.size else np.zeros(0, np.int64)
    uniq = s[starts]
    shape = list(g.shape)
    shape[axis] = n
    if len(starts) == len(s):
        vals = g
    elif xp.__name__ == "numpy":
        vals = np.add.reduceat(g, starts, axis=axis)
    else:  # pragma: no cover - cupy has no reduceat: scatter-add instead
        import cupyx

        out = xp.zeros(shape, g.dtype)
        key = [slice(None)] * g.ndim
        key[axis] = xp.asarray(s)
        cupyx.scatter_add(out, tuple(key), g)
        return out
    if len(uniq) == n:
        return xp.ascontiguousarray(vals)
    out = xp.zeros(shape, g.dtype)
    key = [slice(None)] * g.ndim
    key[axis] = uniq if xp.__name__ == "numpy" else xp.asarray(uniq)
    out[tuple(key)] = vals
    return out


class TakeAlong(Op):
    """``x.take(idx, axis)`` with a fixed host index array (gathers along one axis)."""

    @staticmethod
    def forward(ctx, x, *, idx, axis):
        ctx.idx, ctx.axis, ctx.n = idx, axis, x.shape[axis]
        return _take(xp_of(x), x, idx, axis)

    @staticmethod
    def backward(ctx, g):
        return (AddAlong.apply(g, idx=ctx.idx, axis=ctx.axis, n=ctx.n),)


class AddAlong(Op):
    """Adjoint of ``TakeAlong``: segment sums of ``g`` into ``n`` slots along ``axis``."""

    @staticmethod
    def forward(ctx, g, *, idx, axis, n):
        ctx.idx, ctx.axis = idx, axis
        return add_along(g, idx, axis, n)

    @staticmethod
    def backward(ctx, gg):
        return (TakeAlong.apply(gg, idx=ctx.idx, axis=ctx.axis),)


def pad_index(n: int, lo: int, hi: int, mode: str):
    """Source index of each output position for reflect / replicate / circular padding."""
    import numpy as np

    j = np.arange(-lo, n + hi)
    if mode == "reflect":
        if n == 1:
            return np.zeros_like(j)
        period = 2 * (n - 1)
        j = np.abs(j) % period
        return np.where(j >= n, period - j, j)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    # circular: torch crops the negative sides first, then wraps around what is left
    a, b = max(-lo, 0), n - max(-hi, 0)
    return a + (np.arange(-max(lo, 0), b - a + max(hi, 0)) % (b - a))
