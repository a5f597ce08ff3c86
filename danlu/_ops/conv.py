"""Convolution ops (any number of spatial dims), built on one sliding-window view.

Geometry: input ``x`` (N, C, *S), weight ``w`` (O, C/groups, *k); ``pad`` is ``((lo, hi), ...)``
per spatial dim, ``stride``/``dil`` tuples.  Output size per dim:
``o = (S + lo + hi - dil*(k-1) - 1) // stride + 1``.

* forward: ``cols = im2col(x)`` is a copy of the ``as_strided`` window view laid out
  (C*prod(k), N*prod(o)); the convolution is then ONE GEMM ``w2d @ cols`` for the whole batch
  (plus a transpose of the (O, N, L) result to (N, O, L)).
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
from . import _util as U


# Keep a forward's columns for the weight gradient only up to this size: caching saves one
# im2col per conv in backward, but a deep net's columns held until backward add up to GBs.
CACHE_COLS_BYTES = 64 << 20


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
    if len(k) > 2 or a.dtype.char not in "fd" or type(a).__module__ != "numpy":
        return None
    return _kern.kernels()


def _as2d(k, stride, dil, pad, osp):
    if len(k) == 2:
        return k, stride, dil, pad, osp
    return (1,) + tuple(k), (1,) + tuple(stride), (1,) + tuple(dil), ((0, 0),) + tuple(pad), (1,) + tuple(osp)


def im2col(x, k, stride, dil, pad, out, knl: bool = False):
    """Columns of the zero-padded input, ``cols[n, (c, i), o] = x_pad[n, c, o*stride + i*dil]``:
    (N, C*prod(k), prod(out)), or with ``knl`` laid out (C*prod(k), N*prod(out)) so that the
    convolution is ONE GEMM over the whole batch.  A contiguous copy of the window view."""
    xp = xp_of(x)
    n, c = x.shape[:2]
    K, L = c * math.prod(k), math.prod(out)
    kern = _fast(x, k)
    if kern is not None:
        res = xp.empty((K, n, L), x.dtype)  # the kernel writes the (K, N, L) layout
        k2, s2, d2, _, o2 = _as2d(k, stride, dil, pad, out)
        xp_ = pad_zeros(x, pad)
        x4 = xp_ if xp_.ndim == 4 else xp_.reshape(xp_.shape[:2] + (1,) + xp_.shape[2:])
        kern[0](x4, k2[0], k2[1], s2[0], s2[1], d2[0], d2[1], o2[0], o2[1], res)
        return res.reshape(K, n * L) if knl else xp.ascontiguousarray(res.transpose(1, 0, 2))
    v = windows(pad_zeros(x, pad), k, stride, dil, out)  # (N, C, *k, *out)
    if knl:
        nd = len(k)
        v = v.transpose((1,) + tuple(range(2, 2 + nd)) + (0,) + tuple(range(2 + nd, 2 + 2 * nd)))
        return xp.ascontiguousarray(v).reshape(K, n * L)
    return xp.ascontiguousarray(v).reshape(n, K, L)


def col2im(cols, shape, k, stride, dil, pad, out, knl: bool = False):
    """Adjoint of ``im2col``: ``cols`` (N, C*prod(k), prod(out)) -- or (C*prod(k), N*prod(out))
    with ``knl`` -- summed into zeros of ``shape`` (N, C, *S): a strided accumulation over the
    prod(k) kernel offsets, then the padding cropped."""
    xp = xp_of(cols)
    n, c = shape[:2]
    K, L = c * math.prod(k), math.prod(out)
    padded = (n, c) + tuple(s + lo + hi for s, (lo, hi) in zip(shape[2:], pad))
    res = xp.zeros(padded, cols.dtype)
    kern = _fast(cols, k)
    if kern is not None:
        k2, s2, d2, _, o2 = _as2d(k, stride, dil, pad, out)
        r4 = res if res.ndim == 4 else res.reshape(padded[:2] + (1,) + padded[2:])
        src = cols.reshape(K, n, L) if knl else xp.ascontiguousarray(cols.transpose(1, 0, 2))
        kern[1](src, k2[0], k2[1], s2[0], s2[1], d2[0], d2[1], o2[0], o2[1], r4)
        return crop(res, pad)
    nd = len(k)
    if knl:  # (C, *k, N, *out): each offset's slice is moved to (N, C, *out)
        cv = cols.reshape((c,) + tuple(k) + (n,) + tuple(out))
        pick = lambda off: cv[(slice(None),) + off].swapaxes(0, 1)  # noqa: E731
    else:
        cv = cols.reshape((n, c) + tuple(k) + tuple(out))
        pick = lambda off: cv[(slice(None), slice(None)) + off]  # noqa: E731
    head = (slice(None), slice(None))
    for off in itertools.product(*[range(kk) for kk in k]):
        key = head + tuple(slice(off[i] * dil[i], off[i] * dil[i] + stride[i] * (out[i] - 1) + 1, stride[i])
                           for i in range(nd))
        res[key] += pick(off)
    return crop(res, pad)


def _to_onl(g):
    """(N, O, *sp) -> contiguous (O, N*L): the batch-major gradient as GEMM operand."""
    n, o = g.shape[:2]
    L = math.prod(g.shape[2:])
    return xp_of(g).ascontiguousarray(g.reshape(n, o, L).transpose(1, 0, 2)).reshape(o, n * L)


def out_size(sp, k, stride, pad, dil):
    return tuple((s + lo + hi - d * (kk - 1) - 1) // st + 1
                 for s, kk, st, (lo, hi), d in zip(sp, k, stride, pad, dil))


def _sum_bias(g):
    return g.sum(dim=(0,) + tuple(range(2, g.dim())))


# Batch-chunked compiled path: each chunk's columns (about CHUNK_BYTES) are written and at once
# consumed by the GEMM while still in the L2 cache, and the result lands straight in (N, O, L)
# order -- instead of streaming a (C*K, N*L) column matrix (20 MB for LeNet's first layer)
# through memory and transposing the (O, N, L) product afterwards.
CHUNK_BYTES = 1 << 20  # measured: 256 KB chunks pay too much per-call overhead


def _chunk(n, per_sample_bytes):
    return max(1, min(n, CHUNK_BYTES // max(1, per_sample_bytes)))


def _head(buf, shape):
    """A C-contiguous view of the first prod(shape) elements of a flat scratch buffer."""
    return buf[:math.prod(shape)].reshape(shape)


def _conv_forward_chunked(kern, x, w2, k, stride, dil, pad, osp, keep_cols):
    """``w2 @ im2col(x)`` chunk by chunk over the batch -> (y (N, O, L), cols (C*K, N*L) or None).

    Equal to the one-GEMM reference in ``ConvNd.forward`` (tests/perf check it)."""
    xp = xp_of(x)
    n, c = x.shape[:2]
    o, K = w2.shape
    L = math.prod(osp)
    k2, s2, d2, _, o2 = _as2d(k, stride, dil, pad, osp)
    xpad = pad_zeros(x, pad)
    x4 = xpad if xpad.ndim == 4 else xpad.reshape(xpad.shape[:2] + (1,) + xpad.shape[2:])
    B = _chunk(n, K * L * x.itemsize)
    cols = xp.empty((K, n, L), x.dtype) if keep_cols else None
    cbuf = None if keep_cols else xp.empty(K * B * L, x.dtype)
    ybuf = xp.empty(o * B * L, x.dtype)
    y = xp.empty((n, o, L), x.dtype)
    for n0 in range(0, n, B):
        b = min(B, n - n0)
        cb = cols[:, n0:n0 + b] if keep_cols else _head(cbuf, (K, b, L))
        kern[0](x4[n0:n0 + b], k2[0], k2[1], s2[0], s2[1], d2[0], d2[1], o2[0], o2[1], cb)
        yb = _head(ybuf, (o, b * L))
        xp.matmul(w2, cb.reshape(K, b * L), out=yb)
        y[n0:n0 + b] = yb.reshape(o, b, L).transpose(1, 0, 2)
    return y, (None if cols is None else cols.reshape(K, n * L))


def _conv_transpose_chunked(kern, y, w2t, k, stride, dil, pad, osp, shape):
    """``col2im(w2t @ y2)`` chunk by chunk over the batch: y (N, O, *o), w2t (C*K, O) -> padded
    (N, C, *S+pad) summed in place, each chunk's columns consumed while in cache."""
    xp = xp_of(y)
    n, o = y.shape[:2]
    K = w2t.shape[0]
    L = math.prod(osp)
    k2, s2, d2, _, o2 = _as2d(k, stride, dil, pad, osp)
    padded = tuple(shape[:2]) + tuple(s + lo + hi for s, (lo, hi) in zip(shape[2:], pad))
    res = xp.zeros(padded, y.dtype)
    r4 = res if res.ndim == 4 else res.reshape(padded[:2] + (1,) + padded[2:])
    y3 = y.reshape(n, o, L)
    B = _chunk(n, K * L * y.itemsize)
    gbuf = xp.empty(o * B * L, y.dtype)
    cbuf = xp.empty(K * B * L, y.dtype)
    for n0 in range(0, n, B):
        b = min(B, n - n0)
        gb = _head(gbuf, (o, b, L))
        gb[...] = y3[n0:n0 + b].transpose(1, 0, 2)
        cb = _head(cbuf, (K, b * L))
        xp.matmul(w2t, gb.reshape(o, b * L), out=cb)
        kern[1](cb.reshape(K, b, L), k2[0], k2[1], s2[0], s2[1], d2[0], d2[1], o2[0], o2[1], r4[n0:n0 + b])
    return crop(res, pad)


class ConvNd(Op):
    """``y = conv(x, w) + b``: x (N, C, *S), w (O, C/groups, *k), b (O,) optional."""

    torch_name = "ConvolutionBackward0"
    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, x, w, *b, stride, pad, dil, groups):
        xp = xp_of(x)
        n = x.shape[0]
        o, k = w.shape[0], w.shape[2:]
        osp = out_size(x.shape[2:], k, stride, pad, dil)
        L = math.prod(osp)
        # chunked unless the full columns are to be cached for the weight gradient (there the
        # one big im2col + GEMM measured as fast, and backward saves an im2col)
        cache = ctx.needs_input_grad[1] and x.shape[1] * math.prod(k) * n * L * x.itemsize <= CACHE_COLS_BYTES
        # float16: the unchunked path, whose GEMM and bias add run in float32 with one rounding
        half = x.dtype == xp.float16
        kern = _fast(x, k) if groups == 1 and CHUNK_BYTES and not cache and not half else None
        if kern is not None:
            y, _ = _conv_forward_chunked(kern, x, w.reshape(o, -1), k, stride, dil, pad, osp, False)
            if b:
                y += b[0].reshape(o, 1)
            ctx.geom = (stride, pad, dil, groups)
            ctx.has_bias = bool(b)
            return y.reshape((n, o) + osp)
        cols = im2col(x, k, stride, dil, pad, osp, knl=True)  # (C*K, N*L)
        if groups == 1:
            y = U.gemm_acc(w.reshape(o, -1), cols)  # (O, N*L): one GEMM for the batch
        else:
            y = U.gemm_acc(w.reshape(groups, o // groups, -1), cols.reshape(groups, -1, n * L)).reshape(o, n * L)
        if b:
            y += b[0].reshape(o, 1)
        y = y.astype(x.dtype, copy=False)
        y = y.reshape(o, n, L)
        y = (y.reshape(n, o, L) if n == 1 else xp.ascontiguousarray(y.transpose(1, 0, 2))).reshape((n, o) + osp)
        if ctx.needs_input_grad[1] and cols.nbytes <= CACHE_COLS_BYTES:
            ctx.cols = cols  # reused by the weight gradient; big ones are recomputed instead
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

    torch_name = "ConvolutionBackward0"
    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, y, w, *b, stride, pad, dil, groups, in_sp):
        xp = xp_of(y)
        n, o = y.shape[:2]
        osp = y.shape[2:]
        k = w.shape[2:]
        cg = w.shape[1]
        c = cg * groups
        kern = _fast(y, k) if groups == 1 and CHUNK_BYTES else None
        if kern is not None:
            res = _conv_transpose_chunked(kern, y, w.reshape(o, -1).T, k, stride, dil, pad, osp,
                                          (n, c) + tuple(in_sp))
        else:
            y2 = _to_onl(y)  # (O, N*L)
            if groups == 1:
                gc = w.reshape(o, -1).T @ y2  # (C*K, N*L)
            else:
                gc = xp.matmul(w.reshape(groups, o // groups, -1).swapaxes(-1, -2),
                               y2.reshape(groups, o // groups, -1)).reshape(c * math.prod(k), -1)
            res = col2im(gc, (n, c) + tuple(in_sp), k, stride, dil, pad, osp, knl=True)
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

    ``gw[o, (c, i)] = sum_{n, l} g[n, o, l] * cols[(c, i), (n, l)]`` -- one GEMM over the batch.
    """

    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, x, g, *, stride, pad, dil, groups, k, cols=None):
        xp = xp_of(x)
        n, o = g.shape[:2]
        osp = g.shape[2:]
        if cols is None:
            cols = im2col(x, k, stride, dil, pad, osp, knl=True)  # (C*K, N*L)
        K = cols.shape[0]
        g2 = _to_onl(g)  # (O, N*L)
        if groups == 1:
            # one GEMM over the whole batch, as (cols g2^T)^T: OpenBLAS runs this orientation of the
            # long-inner-dimension product 1.1-2.3x faster than g2 cols^T (LeNet conv2, ResNet layer 1)
            gw = (cols @ g2.T).T
        else:
            gw = xp.matmul(g2.reshape(groups, o // groups, -1), cols.reshape(groups, K // groups, -1).swapaxes(-1, -2))
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
