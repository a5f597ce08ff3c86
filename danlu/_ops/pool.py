"""Pooling ops (any number of spatial dims) over strided window views.

Geometry: x (N, C, *S); window ``i`` of dim d covers ``i*stride - pad_lo + j*dil`` for
``j < k``.  ``pad = ((lo, hi), ...)`` where ``hi`` may exceed ``lo`` (ceil_mode windows that run
past the input).  Every kernel is a loop over the prod(k) kernel offsets, each step touching
one strided (N, C, *out) slice: no im2col copy, no ``add.at``.

* ``MaxPool`` keeps ``kidx``, the offset of each window's first maximum (NaN wins, as in
  torch); its backward routes ``g`` there (``MaxPoolScatter``), whose backward gathers
  (``MaxPoolGather``) -- the pair are each other's adjoints, so double backward works.
* ``AvgPool`` / ``AvgPoolAdjoint`` are linear and each other's adjoints.
"""
from __future__ import annotations

import itertools
import math

from .._backend import xp_of
from ..autograd.function import Op
from . import _conv_kernels as _kern
from .conv import crop, pad_zeros, windows


def _fast(a, k):
    """The compiled kernels when they apply (NumPy float arrays, 1 or 2 spatial dims)."""
    if len(k) > 2 or a.dtype.char not in "fd" or type(a).__module__ != "numpy":
        return None
    return _kern.kernels()


def _as2d(k, stride, dil, osp):
    if len(k) == 2:
        return k, stride, dil, osp
    return (1,) + tuple(k), (1,) + tuple(stride), (1,) + tuple(dil), (1,) + tuple(osp)


def _to4(a):
    return a if a.ndim == 4 else a.reshape(a.shape[:2] + (1,) + a.shape[2:])


def _offsets(k):
    return list(itertools.product(*[range(kk) for kk in k]))


def _low_value(xp, dtype):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def _slice_key(off, stride, dil, osp):
    return (slice(None), slice(None)) + tuple(
        slice(o * d, o * d + s * (n - 1) + 1, s) for o, s, d, n in zip(off, stride, dil, osp))


def maxpool_forward(x, k, stride, pad, dil, osp, want_idx: bool):
    """(values, kidx or None): running max over the kernel offsets."""
    xp = xp_of(x)
    xpad = pad_zeros(x, pad, _low_value(xp, x.dtype)) if any(lo or hi for lo, hi in pad) else x
    kern = _fast(x, k)
    if kern is not None and tuple(k) == (2, 2) and tuple(stride) == (2, 2) and tuple(dil) == (1, 1):
        out = xp.empty(x.shape[:2] + tuple(osp), x.dtype)
        kidx = xp.empty(out.shape, xp.int16)
        kern[4](xpad, osp[0], osp[1], out, kidx)  # handles NaN itself: no finiteness pass
        return out, (kidx if want_idx else None)
    kern = kern if want_idx else None
    if kern is not None and math.isfinite(float(x.sum())):  # NaN (or inf) inputs: NumPy path
        k2, s2, d2, o2 = _as2d(k, stride, dil, osp)
        out = xp.empty(x.shape[:2] + tuple(osp), x.dtype)
        kidx = xp.empty(out.shape, xp.int16 if math.prod(k) < 2 ** 15 else xp.int64)
        kern[2](_to4(xpad), k2[0], k2[1], s2[0], s2[1], d2[0], d2[1], o2[0], o2[1], _to4(out), _to4(kidx))
        return out, (kidx if want_idx else None)
    win = windows(xpad, k, stride, dil, osp)  # (N, C, *k, *osp)
    offs = _offsets(k)
    head = (slice(None), slice(None))
    out = win[head + offs[0]].copy()
    if not want_idx:
        for off in offs[1:]:
            xp.maximum(out, win[head + off], out=out)
        return out, None
    kidx = xp.zeros(out.shape, xp.int16 if len(offs) < 2 ** 15 else xp.int64)
    isf = x.dtype.kind == "f"
    for j, off in enumerate(offs[1:], 1):
        v = win[head + off]
        m = v > out
        if isf:
            m |= xp.isnan(v)
        xp.copyto(out, v, where=m)
        xp.copyto(kidx, j, where=m)
    return out, kidx


def flat_indices(kidx, k, stride, pad, dil, sp):
    """torch's ``return_indices``: position of each max in the flattened unpadded (*S) plane."""
    xp = xp_of(kidx)
    nd = len(k)
    flat = 0
    rem = kidx.astype(xp.int64)
    for d in range(nd - 1, -1, -1):
        kd = rem % k[d]
        rem = rem // k[d]
        shape = [1] * kidx.ndim
        shape[2 + d] = kidx.shape[2 + d]
        start = (xp.arange(kidx.shape[2 + d], dtype=xp.int64) * stride[d] - pad[d][0]).reshape(shape)
        pos = start + kd * dil[d]
        flat = flat + pos * math.prod(sp[d + 1:])
    return flat


class MaxPool(Op):
    """Max over each window; ``n_out = 2``: (values, kidx) with kidx non-differentiable."""

    n_out = 2

    @staticmethod
    def forward(ctx, x, *, k, stride, pad, dil, osp):
        if len(k) > 1:  # torch's max_pool1d is a 2-d pool between an unsqueeze and a squeeze
            ctx._tname = f"MaxPool{len(k)}DWithIndicesBackward0"
        out, kidx = maxpool_forward(x, k, stride, pad, dil, osp, True)
        ctx.non_differentiable = (1,)
        ctx.kidx = kidx
        ctx.geom = (k, stride, pad, dil, tuple(x.shape))
        return out, kidx

    @staticmethod
    def backward(ctx, g, _gi=None):
        k, stride, pad, dil, shape = ctx.geom
        return (MaxPoolScatter.apply(g, kidx=ctx.kidx, k=k, stride=stride, pad=pad, dil=dil, shape=shape),)


def maxpool_values(x, k, stride, pad, dil, osp):
    """Values only (no graph needed): no argmax bookkeeping."""
    return maxpool_forward(x, k, stride, pad, dil, osp, False)[0]


class MaxPoolScatter(Op):
    """Adjoint of gathering at the argmax: ``g`` added at each window's max position."""

    @staticmethod
    def forward(ctx, g, *, kidx, k, stride, pad, dil, shape):
        xp = xp_of(g)
        ctx.kidx, ctx.geom = kidx, (k, stride, pad, dil)
        padded = shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(shape[2:], pad))
        buf = xp.zeros(padded, g.dtype)
        kern = _fast(g, k)
        if kern is not None:
            k2, s2, d2, _ = _as2d(k, stride, dil, g.shape[2:])
            kern[3](_to4(g), _to4(kidx), k2[0], k2[1], s2[0], s2[1], d2[0], d2[1], _to4(buf))
            return crop(buf, pad)
        osp = g.shape[2:]
        overlap = any(s < (kk - 1) * d + 1 for s, kk, d in zip(stride, k, dil))
        tmp = xp.empty_like(g)
        for j, off in enumerate(_offsets(k)):
            m = kidx == j
            key = _slice_key(off, stride, dil, osp)
            if overlap:
                xp.multiply(g, m, out=tmp)
                buf[key] += tmp
            else:
                xp.multiply(g, m, out=buf[key])
        return crop(buf, pad)

    @staticmethod
    def backward(ctx, gg):
        k, stride, pad, dil = ctx.geom
        return (MaxPoolGather.apply(gg, kidx=ctx.kidx, k=k, stride=stride, pad=pad, dil=dil),)


class MaxPoolGather(Op):
    """``x`` (N, C, *S) -> (N, C, *out): the element at each window's recorded argmax."""

    @staticmethod
    def forward(ctx, x, *, kidx, k, stride, pad, dil):
        xp = xp_of(x)
        ctx.kidx, ctx.geom = kidx, (k, stride, pad, dil, tuple(x.shape))
        osp = kidx.shape[2:]
        win = windows(pad_zeros(x, pad), k, stride, dil, osp)
        head = (slice(None), slice(None))
        out = xp.zeros(kidx.shape, x.dtype)
        for j, off in enumerate(_offsets(k)):
            xp.copyto(out, win[head + off], where=kidx == j)
        return out

    @staticmethod
    def backward(ctx, g):
        k, stride, pad, dil, shape = ctx.geom
        return (MaxPoolScatter.apply(g, kidx=ctx.kidx, k=k, stride=stride, pad=pad, dil=dil, shape=shape),)


def avg_divisor(xp, sp, k, stride, pad, osp, count_include_pad, divisor_override, dtype):
    """torch's divisor per output position, (1, 1, *osp): the window clipped to the padded input
    (count_include_pad) or to the input itself."""
    if divisor_override:
        return divisor_override
    div = None
    for d, (s, kk, st, (lo, _), n) in enumerate(zip(sp, k, stride, pad, osp)):
        start = xp.arange(n) * st - lo
        end = xp.minimum(start + kk, s + lo)
        cnt = end - start if count_include_pad else xp.minimum(end, s) - xp.maximum(start, 0)
        shape = [1] * (2 + len(sp))
        shape[2 + d] = n
        cnt = cnt.reshape(shape).astype(dtype)
        div = cnt if div is None else div * cnt
    return div


def _avg22(a, k, stride, pad, osp, div, sp=None):
    """The compiled 2x2 / stride-2 average-pool kernels when they apply: NumPy float (N, C, H, W),
    no padding, every window inside the input (no ceil_mode overhang), a scalar divisor."""
    sp = a.shape[2:] if sp is None else sp
    if (tuple(k) != (2, 2) or tuple(stride) != (2, 2) or any(lo or hi for lo, hi in pad)
            or not isinstance(div, (int, float)) or any(2 * o > s for o, s in zip(osp, sp))):
        return None
    kern = _fast(a, k)
    return kern if kern is not None and len(kern) > 6 else None


class AvgPool(Op):
    """Window sums over the zero-padded input divided by ``div`` (an array or a number)."""

    @staticmethod
    def forward(ctx, x, *, k, stride, pad, osp, div):
        if len(k) > 1:  # as for MaxPool, torch's 1-d pool ends in a squeeze
            ctx._tname = f"AvgPool{len(k)}DBackward0"
        xp = xp_of(x)
        ctx.geom = (k, stride, pad, div, tuple(x.shape))
        kern = _avg22(x, k, stride, pad, osp, div)
        if kern is not None:
            out = xp.empty(x.shape[:2] + tuple(osp), x.dtype)
            kern[5](x, osp[0], osp[1], x.dtype.type(div), out)
            return out
        dil = (1,) * len(k)
        win = windows(pad_zeros(x, pad), k, stride, dil, osp)
        head = (slice(None), slice(None))
        offs = _offsets(k)
        out = win[head + offs[0]].copy()
        for off in offs[1:]:
            out += win[head + off]
        out /= xp.asarray(div, dtype=x.dtype) if not isinstance(div, (int, float)) else div
        return out

    @staticmethod
    def backward(ctx, g):
        k, stride, pad, div, shape = ctx.geom
        return (AvgPoolAdjoint.apply(g, k=k, stride=stride, pad=pad, div=div, shape=shape),)


class AvgPoolAdjoint(Op):
    """Spreads ``g / div`` evenly over each window (overlaps add up)."""

    @staticmethod
    def forward(ctx, g, *, k, stride, pad, div, shape):
        xp = xp_of(g)
        ctx.geom = (k, stride, pad, div, tuple(g.shape[2:]))
        padded = shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(shape[2:], pad))
        osp = g.shape[2:]
        kern = _avg22(g, k, stride, pad, osp, div, shape[2:])
        if kern is not None:
            tiled = all(2 * o == s for o, s in zip(osp, shape[2:]))
            buf = (xp.empty if tiled else xp.zeros)(tuple(shape), g.dtype)
            kern[6](g, g.dtype.type(div), buf)
            return buf
        buf = xp.zeros(padded, g.dtype)
        gd = g / div
        dil = (1,) * len(k)
        for off in _offsets(k):
            buf[_slice_key(off, stride, dil, osp)] += gd
        return crop(buf, pad)

    @staticmethod
    def backward(ctx, gg):
        k, stride, pad, div, osp = ctx.geom
        return (AvgPool.apply(gg, k=k, stride=stride, pad=pad, osp=osp, div=div),)
