"""Vector and matrix norms (``torch.norm``, ``linalg.vector_norm``, ``linalg.matrix_norm``)."""
from __future__ import annotations

import math

from .. import _dtype as D
from .._backend import xp_of
from ..autograd.function import Op
from . import _util as U
from ._util import norm_dims


class VectorNorm(Op):
    """``(sum |x|^p)^(1/p)`` over ``axes``; p = inf/-inf is max/min |x|; p = 0 counts non-zeros.

    Backward (finite p): ``g * x |x|^(p-2) / ||x||^(p-1)``, defined as 0 where ``||x|| = 0``.
    """

    torch_name = "LinalgVectorNormBackward0"
    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, a, p, axes, keepdim):
        xp = xp_of(a)
        ctx.p, ctx.axes, ctx.keepdim, ctx.shape = p, axes, keepdim, a.shape
        ab = xp.abs(a)
        if p == 2:
            return xp.sqrt((a * a).sum(axis=axes, keepdims=keepdim))
        if p == 1:
            return ab.sum(axis=axes, keepdims=keepdim)
        if p == math.inf:
            return ab.max(axis=axes, keepdims=keepdim) if a.size else xp.zeros(
                xp.sum(a, axis=axes, keepdims=keepdim).shape, a.dtype)
        if p == -math.inf:
            return ab.min(axis=axes, keepdims=keepdim)
        if p == 0:
            return (a != 0).sum(axis=axes, keepdims=keepdim).astype(a.dtype)
        return (ab ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)

    @staticmethod
    def backward(ctx, g):
        from .reduction import _expand_back

        a, out = ctx.saved_tensors
        p = ctx.p
        ge = _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim)
        oe = _expand_back(out, ctx.shape, ctx.axes, ctx.keepdim)
        if p == 0:
            return (ge * 0,)
        if p == 1:
            return (ge * a.sign(),)
        if p in (math.inf, -math.inf):
            mask = (a.abs() == oe).to(g.dtype)
            cnt = mask.sum(dim=ctx.axes, keepdim=True)
            return (ge * a.sign() * mask / cnt,)
        safe = oe.masked_fill(oe == 0, 1.0)
        if p == 2:
            return ((ge * a / safe).masked_fill(oe == 0, 0.0),)
        r = ge * a * a.abs().pow(p - 2) / safe.pow(p - 1)
        return (r.masked_fill(oe == 0, 0.0),)


def _tn_of(dt) -> str:
    from .._tensor import _tn

    return _tn(dt)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        x = x.to(D.to_dtype(dtype))
    if not x.dtype.is_floating_point:
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            + _tn_of(x.dtype))
    axes = norm_dims(dim, x.ndim)
    if x.ndim == 0:
        axes = ()
    if math.isinf(ord) and x._data.size == 0:  # max / min have no identity
        if dim is None:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                               "operation does not have an identity")
        for a in axes:
            if x.shape[a] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on the dimension {a}because "
                                   "this dimension is empty and the operation does not have an identity")
    return VectorNorm.apply(x, p=float(ord), axes=axes, keepdim=keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    if dtype is not None:
        A = A.to(D.to_dtype(dtype))
    if ord not in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
    d0, d1 = (U.norm_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if not A.dtype.is_floating_point:
        raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
                           + _tn_of(A.dtype))
    if ord in ("nuc", 2, -2) and A.dtype not in (D.float32, D.float64):
        raise RuntimeError(f"linalg.matrix_norm: Low precision dtypes not supported. Got {_tn_of(A.dtype)}")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord == "nuc":
        from ..linalg import svdvals

        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        r = s.sum(-1)
        return _keep(r, A, (d0, d1)) if keepdim else r
    if ord in (1, -1):
        r = A.abs().sum(d0, keepdim=True)
        r = r.amax(d1, keepdim=True) if ord == 1 else r.amin(d1, keepdim=True)
        return r if keepdim else r.squeeze((d0, d1))
    if ord in (math.inf, -math.inf):
        r = A.abs().sum(d1, keepdim=True)
        r = r.amax(d0, keepdim=True) if ord > 0 else r.amin(d0, keepdim=True)
        return r if keepdim else r.squeeze((d0, d1))
    if ord in (2, -2):
        from ..linalg import svdvals

        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        r = s.amax(-1) if ord == 2 else s.amin(-1)
        return _keep(r, A, (d0, d1)) if keepdim else r
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def _keep(r, A, dims):
    for d in sorted(dims):
        r = r.unsqueeze(d)
    return r


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm: Frobenius / 2-norm over all elements by default."""
    if isinstance(dim, int):
        dim = (dim,)
    if p is None or (p == "fro" and (dim is None or len(dim) <= 2)):
        return vector_norm(input, 2, dim, keepdim, dtype=dtype)
    if isinstance(p, str):  # 'nuc', or a matrix norm torch rejects (as torch, by matrix_norm)
        return matrix_norm(input, p, dim if dim is not None else tuple(range(input.ndim)),
                           keepdim, dtype=dtype)
    return vector_norm(input, p, dim, keepdim, dtype=dtype)
