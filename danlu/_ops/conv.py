"""Convolution ops (any number of spatial dims), built on one sliding-window view.

Geometry: input ``x`` (N, C, *S), weight ``w`` (O, C/groups, *k); ``pad`` is ``((lo, hi), ...)``
per spatial dim, ``stride``/``dil`` tuples.  Output size per dim:
``o = (S + lo + hi - dil*(k-1) - 1) // stride + 1``.

* forward: ``cols = im2col(x)`` is a copy of the ``as_strided`` window view laid out
  (N, C*prod(k), prod(o)); the convolution is then one batched GEMM ``w2d @ cols``.
* input gradient == transposed convolution: ``w2d.T @ g`` then *col2im*, a strided
  accumulation over the prod(k) kernel offsets (no ``add.at``).
* weight gradient: a GEMM of ``g`` against the same cols (cached from the forward).

The three ops -- ``ConvNd``, ``ConvTransposeNd`` (the adjoint of ConvNd in its input) and
``ConvWeightGrad`` (the adjoint in its weight) -- express each other's backward, so every
gradient is itself differentiable (double backward, gradient penalties).
"""
from __future__ import annotations

import itertools
import math

from .._backend import xp_of
from ..autograd.function import Op
from . import _conv_kernels as _kern


def _as_strided(xp, a, shape, strides):
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def pad_zeros(a, pad, value=0):
    """``a`` (N, C, *S) with ``pad=((lo, hi), ...)`` zeros (or ``value``) around its spatial dims."""
    if not any(lo or hi for lo, hi in pad):
        return a
    xp = xp_of(a)
    shape = a.shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(a.shape[2:], pad))
    out = xp.full(shape, value, a.dtype) if value else xp.zeros(shape, a.dtype)
    out[(slice(None), slice(None)) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(a.shape[2:], pad))] = a
    return out


def crop(a, pad):
    """Inverse of ``pad_zeros``: drop ``pad`` from the spatial borders (a contiguous copy)."""
    if not any(lo or hi for lo, hi in pad):
        return a
    key = (slice(None), slice(None)) + tuple(slice(lo, s - hi) for s, (lo, hi) in zip(a.shape[2:], pad))
    return xp_of(a).ascontiguousarray(a[key])


def windows(a, k, stride, dil, out):
    """View (N, C, *k, *out) of ``a`` (N, C, *S): ``v[n, c, *i, *o] = a[n, c, *(o*stride + i*dil)]``."""
    st = a.strides
    nd = len(k)
    shape = a.shape[:2] + tuple(k) + tuple(out)
    strides = st[:2] + tuple(st[2 + i] * dil[i] for i in range(nd)) + \
        tuple(st[2 + i] * stride[i] for i in range(nd))
    return _as_strided(xp_of(a), a, shape, strides)


def _fast(a, k):
    """The compiled kernels, when they apply (NumPy float arrays, 1 or 2 spatial dims)."""
    if len(k) > 2 or a.dtype.kind != "f" or type(a).__module__ != "numpy":
        return None
    return _kern.kernels()


def _as2d(k, stride, dil, pad, osp):
    if len(k) == 2:
        return k, stride, dil, pad, osp
    return (1,) + tuple(k), (1,) + tuple(stride), (1,) + tuple(dil), ((0, 0),) + tuple(pad), (1,) + tuple(osp)


def im2col(x, k, stride, dil, pad, out):
    """(N, C*prod(k), prod(out)) columns of the zero-padded input: ``cols[n, (c, i), o] =
    x_pad[n, c, o*stride + i*dil]`` -- a contiguous copy of the window view."""
    n, c = x.shape[:2]
    kern = _fast(x, k)
    if kern is not None:
        res = xp_of(x).empty((n, c * math.prod(k), math.prod(out)), x.dtype)
        k2, s2, d2, _, o2 = _as2d(k, stride, dil, pad, out)
        xp_ = pad_zeros(x, pad)
        x4 = xp_ if xp_.ndim == 4 else xp_.reshape(xp_.shape[:2] + (1,) + xp_.shape[2:])
        kern[0](x4, k2[0], k2[1], s2[0], s2[1], d2[0], d2[1], o2[0], o2[1], res)
        return res
    v = windows(pad_zeros(x, pad), k, stride, dil, out)
    return xp_of(x).ascontiguousarray(v).reshape(n, c * math.prod(k), math.prod(out))


def col2im(cols, shape, k, stride, dil, pad, out):
    """Adjoint of ``im2col``: ``cols`` (N, C*prod(k), prod(out)) summed into zeros of ``shape``
    (N, C, *S) -- a strided accumulation over the prod(k) kernel offsets, then the padding cropped."""
    xp = xp_of(cols)
    n, c = shape[:2]
    padded = (n, c) + tuple(s + lo + hi for s, (lo, hi) in zip(shape[2:], pad))
    res = xp.zeros(padded, cols.dtype)
    kern = _fast(cols, k)
    if kern is not None:
        k2, s2, d2, _, o2 = _as2d(k, stride, dil, pad, out)
        r4 = res if res.ndim == 4 else res.reshape(padded[:2] + (1,) + padded[2:])
        kern[1](cols, k2[0], k2[1], s2[0], s2[1], d2[0], d2[1], o2[0], o2[1], r4)
        return crop(res, pad)
    cols = cols.reshape((n, c) + tuple(k) + tuple(out))
    nd = len(k)
    head = (slice(None), slice(None))
    for off in itertools.product(*[range(kk) for kk in k]):
        key = head + tuple(slice(off[i] * dil[i], off[i] * dil[i] + stride[i] * (out[i] - 1) + 1, stride[i])
                           for i in range(nd))
        res[key] += cols[head + off]
    return crop(res, pad)


def out_size(sp, k, stride, pad, dil):
    return tuple((s + lo + hi - d * (kk - 1) - 1) // st + 1
                 for s, kk, st, (lo, hi), d in zip(sp, k, stride, pad, dil))


def _sum_bias(g):
    return g.sum(dim=(0,) + tuple(range(2, g.dim())))


class ConvNd(Op):
    """``y = conv(x, w) + b``: x (N, C, *S), w (O, C/groups, *k), b (O,) optional."""

    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, x, w, *b, stride, pad, dil, groups):
        xp = xp_of(x)
        n = x.shape[0]
        o, k = w.shape[0], w.shape[2:]
        osp = out_size(x.shape[2:], k, stride, pad, dil)
        cols = im2col(x, k, stride, dil, pad, osp)  # (N, C*K, L)
        L = cols.shape[2]
        if groups == 1:
            y = xp.matmul(w.reshape(o, -1), cols)
        else:
            y = xp.matmul(w.reshape(groups, o // groups, -1), cols.reshape(n, groups, -1, L))
        y = y.reshape((n, o) + osp)
        if b:
            y += b[0].reshape((1, o) + (1,) * len(k))
        if ctx.needs_input_grad[1]:
            ctx.cols = cols
        ctx.geom = (stride, pad, dil, groups)
        ctx.has_bias = bool(b)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        stride, pad, dil, groups = ctx.geom
        need = ctx.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gx = ConvTransposeNd.apply(g, w, stride=stride, pad=pad, dil=dil, groups=groups,
                                       in_sp=tuple(x.shape[2:]))
        if need[1]:
            gw = ConvWeightGrad.apply(x, g, stride=stride, pad=pad, dil=dil, groups=groups,
                                      k=tuple(w.shape[2:]), cols=getattr(ctx, "cols", None))
        if ctx.has_bias:
            gb = _sum_bias(g) if need[2] else None
            return gx, gw, gb
        return gx, gw


class ConvTransposeNd(Op):
    """Adjoint of ``ConvNd`` in its input: y (N, O, *o), w (O, C/groups, *k) -> (N, C, *in_sp).

    This is ``conv_transpose`` (torch's weight layout (in, out/groups, *k) is exactly the conv
    weight it is the adjoint of); ``in_sp`` fixes the output size (output_padding).
    """

    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, y, w, *b, stride, pad, dil, groups, in_sp):
        xp = xp_of(y)
        n, o = y.shape[:2]
        osp = y.shape[2:]
        k = w.shape[2:]
        cg = w.shape[1]
        c = cg * groups
        L = math.prod(osp)
        y3 = y.reshape(n, o, L)
        if groups == 1:
            gc = xp.matmul(w.reshape(o, -1).T, y3)
        else:
            gc = xp.matmul(w.reshape(groups, o // groups, -1).swapaxes(-1, -2),
                           y3.reshape(n, groups, o // groups, L))
        res = col2im(gc.reshape(n, c * math.prod(k), L), (n, c) + tuple(in_sp), k, stride, dil, pad, osp)
        if b:
            res += b[0].reshape((1, c) + (1,) * len(k))
        ctx.geom = (stride, pad, dil, groups)
        ctx.has_bias = bool(b)
        return res

    @staticmethod
    def backward(ctx, gg):
        y, w = ctx.saved_tensors
        stride, pad, dil, groups = ctx.geom
        need = ctx.needs_input_grad
        gy = gw = None
        if need[0]:
            gy = ConvNd.apply(gg, w, stride=stride, pad=pad, dil=dil, groups=groups)
        if need[1]:
            gw = ConvWeightGrad.apply(gg, y, stride=stride, pad=pad, dil=dil, groups=groups,
                                      k=tuple(w.shape[2:]))
        if ctx.has_bias:
            return gy, gw, (_sum_bias(gg) if need[2] else None)
        return gy, gw


class ConvWeightGrad(Op):
    """Adjoint of ``ConvNd`` in its weight: x (N, C, *S), g (N, O, *o) -> (O, C/groups, *k).

    ``gw[o, c, i] = sum_{n, l} g[n, o, l] * cols[n, c, i, l]`` -- one GEMM (or N small ones
    summed, when that needs less memory than transposing the cols).
    """

    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, x, g, *, stride, pad, dil, groups, k, cols=None):
        xp = xp_of(x)
        n, o = g.shape[:2]
        osp = g.shape[2:]
        if cols is None:
            cols = im2col(x, k, stride, dil, pad, osp)
        K, L = cols.shape[1:]
        og, kg = o // groups, K // groups
        g4 = g.reshape(n, groups, og, L)
        c4 = cols.reshape(n, groups, kg, L)
        if og <= L:
            # N small GEMMs, then a sum over the batch: the (N, O, K) product is no bigger than cols
            gw = xp.matmul(g4, c4.swapaxes(-1, -2)).sum(axis=0)
        else:
            # one big GEMM over N*L: transposed copies of g and cols
            gt = xp.ascontiguousarray(g4.transpose(1, 2, 0, 3)).reshape(groups, og, n * L)
            ct = xp.ascontiguousarray(c4.transpose(1, 2, 0, 3)).reshape(groups, kg, n * L)
            gw = xp.matmul(gt, ct.swapaxes(-1, -2))
        ctx.geom = (stride, pad, dil, groups)
        return gw.reshape((o, K // groups // math.prod(k)) + tuple(k))

    @staticmethod
    def backward(ctx, ggw):
        x, g = ctx.saved_tensors
        stride, pad, dil, groups = ctx.geom
        need = ctx.needs_input_grad
        gx = gg = None
        if need[0]:
            gx = ConvTransposeNd.apply(g, ggw, stride=stride, pad=pad, dil=dil, groups=groups,
                                       in_sp=tuple(x.shape[2:]))
        if need[1]:
            gg = ConvNd.apply(x, ggw, stride=stride, pad=pad, dil=dil, groups=groups)
        return gx, gg


class Unfold(Op):
    """im2col made public: x (N, C, *S) -> (N, C*prod(k), L)."""

    @staticmethod
    def forward(ctx, x, *, k, stride, pad, dil):
        osp = out_size(x.shape[2:], k, stride, pad, dil)
        ctx.geom = (k, stride, pad, dil, tuple(x.shape[2:]))
        return im2col(x, k, stride, dil, pad, osp)

    @staticmethod
    def backward(ctx, g):
        k, stride, pad, dil, sp = ctx.geom
        return (Fold.apply(g, k=k, stride=stride, pad=pad, dil=dil, sp=sp),)


class Fold(Op):
    """col2im made public: (N, C*prod(k), L) -> (N, C, *sp), overlapping blocks summed."""

    @staticmethod
    def forward(ctx, cols, *, k, stride, pad, dil, sp):
        n, ck, _ = cols.shape
        c = ck // math.prod(k)
        osp = out_size(sp, k, stride, pad, dil)
        ctx.geom = (k, stride, pad, dil)
        return col2im(cols, (n, c) + tuple(sp), k, stride, dil, pad, osp)

    @staticmethod
    def backward(ctx, g):
        k, stride, pad, dil = ctx.geom
        return (Unfold.apply(g, k=k, stride=stride, pad=pad, dil=dil),)
