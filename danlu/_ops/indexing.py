"""Indexing: ``__getitem__``/``__setitem__`` (basic and advanced), gather/scatter,
index_select/index_add, masked_select, take_along_dim, nonzero, sort/topk, unique, bincount."""
from __future__ import annotations

import builtins
import math
import warnings
from collections import namedtuple

from .. import _dtype as D
from .._backend import xp_of
from ..autograd.function import Op
from . import _util as U
from ._util import norm_dim


# ------------------------------------------------------------------------------------------
# keys
# ------------------------------------------------------------------------------------------
def convert_key(key, shape, xp):
    """A user index as a numpy/cupy index, with torch's bounds errors.

    Returns ``(key, advanced)``."""
    if not isinstance(key, tuple):
        key = tuple(key) if _sequence_as_tuple(key) else (key,)
    out = []
    advanced = False
    dim = 0
    n_adv = 0  # advanced-index dims so far (torch's dim in an out-of-bounds message)
    n_real = builtins.sum(
        1 for k in key if k is not None and k is not Ellipsis and not (
            isinstance(k, U.Tensor) and k.dtype is D.bool_ or str(getattr(k, "dtype", "")) == "bool")
    ) + builtins.sum(
        (k.ndim if isinstance(k, U.Tensor) else 0) for k in key
        if isinstance(k, U.Tensor) and k.dtype is D.bool_
    )
    for k in key:
        if k is None:
            out.append(None)
            continue
        if k is Ellipsis:
            out.append(Ellipsis)
            dim = len(shape) - (n_real - dim) if dim <= len(shape) else dim
            continue
        if isinstance(k, bool):
            out.append(k)
            advanced = True
            continue
        if isinstance(k, U.Tensor):
            arr = k._data
            if k.dtype is D.bool_:
                _check_mask(arr, shape, dim)
                out.append(arr)
                advanced = True
                dim += arr.ndim
                n_adv += arr.ndim
                continue
            if k.dtype.is_floating_point:
                raise IndexError(
                    "tensors used as indices must be long, int, byte or bool tensors")
            if arr.ndim == 0:
                k = int(arr)
            else:
                _check_int_index(arr, shape, dim, xp, n_adv)
                out.append(arr.astype("int64", copy=False))
                advanced = True
                dim += 1
                n_adv += 1
                continue
        if isinstance(k, (list, tuple, range)) or (
                hasattr(k, "__array__") and not isinstance(k, (int, slice))):
            # a sequence (a range too, as torch reads any sequence) indexes like a long tensor
            arr = xp.asarray(k._data if isinstance(k, U.Tensor) else
                             (k if not isinstance(k, (list, tuple, range)) else _listify(k)))
            if arr.dtype == bool:
                _check_mask(arr, shape, dim)
                out.append(arr)
                dim += arr.ndim
                n_adv += arr.ndim
            else:
                if arr.dtype.kind == "f":
                    raise IndexError(
                        "tensors used as indices must be long, int, byte or bool tensors")
                if arr.size == 0:
                    arr = arr.astype("int64")
                _check_int_index(arr, shape, dim, xp, n_adv)
                out.append(arr)
                dim += 1
                n_adv += 1
            advanced = True
            continue
        if isinstance(k, slice):
            if k.step is not None and int(k.step) <= 0:
                raise ValueError("step must be greater than zero")
            out.append(slice(_idx(k.start), _idx(k.stop), _idx(k.step)))
            dim += 1
            continue
        try:
            i = k.__index__()
        except (AttributeError, TypeError):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                "are valid indices (got " + type(k).__name__ + ")"
            ) from None
        if dim >= len(shape):
            raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
        size = shape[dim]
        if not -size <= i < size:
            raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")
        out.append(i)
        dim += 1
    if dim > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    return tuple(out), advanced


def _sequence_as_tuple(key) -> bool:
    """torch's (and old NumPy's) rule for a list key: shorter than 32 and holding a tensor, a
    sequence, a slice, ``...`` or None, it is read as a tuple of indices -- with torch's
    deprecation warning -- so ``x[[0, slice(None)]]`` is ``x[0, :]``; else as one index."""
    if not isinstance(key, list) or len(key) >= 32:
        return False
    for k in key:
        if isinstance(k, (U.Tensor, list, tuple, range, slice)) or k is Ellipsis or k is None \
                or (hasattr(k, "__array__") and hasattr(k, "ndim")):
            warnings.warn(
                "Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
                "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this "
                "will be interpreted as tensor index, x[torch.tensor(seq)], which will result either "
                "in an error or a different result", UserWarning, stacklevel=5)
            return True
    return False


def _listify(k):
    return [x.item() if isinstance(x, U.Tensor) else x for x in k]


def _idx(v):
    if v is None:
        return None
    return v.__index__() if not isinstance(v, U.Tensor) else int(v)


def _check_int_index(arr, shape, dim, xp, report=None):
    if dim >= len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    size = shape[dim]
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if hi >= size or lo < -size:
            if size == 0:
                raise IndexError("index is out of bounds for dimension with size 0")
            flat = arr.reshape(-1)
            bad = int(flat[int(xp.argmax((flat >= size) | (flat < -size)))])  # the first, as torch
            # torch names the dim by the index tensor's place among the advanced indices
            raise IndexError(f"index {bad} is out of bounds for dimension {dim if report is None else report} "
                             f"with size {size}")


def _check_mask(arr, shape, dim):
    for j, s in enumerate(arr.shape):
        if dim + j >= len(shape) or shape[dim + j] != s:
            have = shape[dim + j] if dim + j < len(shape) else None
            raise IndexError(
                f"The shape of the mask [{', '.join(map(str, arr.shape))}] at index {j} does not "
                f"match the shape of the indexed tensor [{', '.join(map(str, shape))}] at index {dim + j}"
                if have is not None else f"too many indices for tensor of dimension {len(shape)}"
            )


def _index_name(key, shape) -> str:
    """torch's node name for ``x[key]`` (``key`` as ``convert_key`` returns it): IndexBackward0
    with any advanced part, else the name of the last component that does something -- an int
    SelectBackward0, a slice SliceBackward0, None UnsqueezeBackward0; a slice over a whole dim is
    skipped, as torch skips it, and AliasBackward0 when nothing is left."""
    if not _is_basic(key) or any(type(k) is bool for k in key):
        return "IndexBackward0"
    name = "AliasBackward0"
    dim = 0
    for k in key:
        if k is None:
            name = "UnsqueezeBackward0"
        elif k is Ellipsis:
            dim += len(shape) - builtins.sum(1 for j in key if j is not None and j is not Ellipsis)
        else:
            if isinstance(k, int):
                name = "SelectBackward0"
            elif k.indices(shape[dim]) != (0, shape[dim], 1):
                name = "SliceBackward0"
            dim += 1
    return name


class BasicIndex(Op):
    """``x[key]``; with advanced parts the result is a copy, otherwise a view.  The node takes
    torch's name for the indexing (``tname``, else ``_index_name`` of the key)."""

    _view = True

    @staticmethod
    def forward(ctx, a, key, tname=None):
        ctx.key, ctx.shape = key, a.shape
        if ctx.recording:
            ctx._tname = tname or _index_name(key, a.shape)
        return a[key]

    @staticmethod
    def backward(ctx, g):
        return (IndexScatter.apply(g, key=ctx.key, shape=ctx.shape),)


class IndexScatter(Op):
    """Adjoint of indexing: zeros of ``shape`` with ``g`` added at ``key`` (duplicates add up)."""

    @staticmethod
    def forward(ctx, g, key, shape):
        xp = xp_of(g)
        ctx.key = key
        out = xp.zeros(shape, g.dtype)
        if _is_basic(key):
            out[key] = g
        else:
            _add_at(xp, out, key, g)
        return out

    @staticmethod
    def backward(ctx, gg):
        return (BasicIndex.apply(gg, key=ctx.key),)


def _add_at(xp, out, key, g):
    if xp.__name__ == "numpy":
        xp.add.at(out, key, g)
    else:  # cupy
        import cupyx  # pragma: no cover

        cupyx.scatter_add(out, key, g)


def _is_basic(key) -> bool:
    for k in key:
        if not (k is None or k is Ellipsis or isinstance(k, (int, slice))):
            return False
    return True


def getitem(x, key):
    xp = xp_of(x._data)
    k, adv = convert_key(key, x._data.shape, xp)
    # a lone slice is always a SliceBackward0 in torch, even over the whole dim
    return BasicIndex.apply(x, key=k, tname="SliceBackward0" if type(key) is slice else None)


def _setitem_name(key, shape) -> str:
    """torch's node name after ``x[key] = v`` (``key`` as ``convert_key`` returns it): torch
    first applies the basic part of the key as a view, then writes into it -- a copy_ into a
    real view is CopySlices, into x itself (whole-dim slices, ``...``) CopyBackwards, and an
    advanced index put into x itself IndexPutBackward0."""
    basic = [k for k in key if k is None or k is Ellipsis or isinstance(k, (int, slice))]
    if len(basic) == len(key):
        whole = _index_name(key, shape) == "AliasBackward0"
        return "CopyBackwards" if whole else "torch::autograd::CopySlices"
    dim, identity = 0, True
    for k in key:
        if k is None or (isinstance(k, int) and type(k) is not bool):
            identity = False
        elif k is Ellipsis:
            dim += len(shape) - builtins.sum(
                1 if not hasattr(k2, "ndim") or k2.dtype.kind != "b" else k2.ndim
                for k2 in key if k2 is not None and k2 is not Ellipsis)
        elif isinstance(k, slice):
            identity = identity and k.indices(shape[dim]) == (0, shape[dim], 1)
            dim += 1
        else:
            dim += k.ndim if k.dtype.kind == "b" else 1
    return "IndexPutBackward0" if identity else "torch::autograd::CopySlices"


class IndexPut(Op):
    """Out-of-place ``x[key] = v`` (``accumulate``: ``x[key] += v``); ``tname`` is the node's
    torch name when it stands for a setitem."""

    @staticmethod
    def forward(ctx, a, v, key, accumulate, tname=None):
        xp = xp_of(a)
        if tname is not None:
            ctx._tname = tname
        ctx.key = key
        ctx.vshape = v.shape
        ctx.accumulate = accumulate
        out = a.copy()
        if accumulate:
            _add_at(xp, out, key, xp.broadcast_to(v, out[key].shape))
        else:
            out[key] = v
        return out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        ga = gv = None
        if n[0]:
            ga = g if ctx.accumulate else IndexPut.apply(
                g, U.Tensor._make(xp_of(g._data).zeros((), g._data.dtype), None),
                key=ctx.key, accumulate=False)
        if n[1]:
            gv = U.unbroadcast(BasicIndex.apply(g, key=ctx.key), ctx.vshape)
        return ga, gv


def setitem(x, key, value):
    """``x[key] = value``: an in-place write, differentiable w.r.t. both."""
    from ..autograd.grad_mode import GradMode

    xp = xp_of(x._data)
    k, adv = convert_key(key, x._data.shape, xp)
    if not isinstance(value, U.Tensor):
        value = U.Tensor._make(xp.asarray(value, dtype=x.dtype.np), None)
    else:
        U.same_device(x, value)
        if value.dtype is not x.dtype:
            if adv and builtins.any(getattr(getattr(a, "dtype", None), "kind", "-") in ("i", "u") for a in k):
                # an integer-array index is torch's index_put_, which takes no cast
                from .._tensor import _tn

                raise RuntimeError("Index put requires the source and destination dtypes match, got "
                                   f"{_tn(x.dtype)} for the destination and {_tn(value.dtype)} for the source.")
            value = value.to(x.dtype)
    x._check_inplace()
    recording = GradMode.enabled and (x._rg or value._rg)
    target_shape = x._data[k].shape
    if value._data.shape != target_shape:
        try:
            xp.broadcast_shapes(value._data.shape, target_shape)
        except ValueError:
            raise RuntimeError(
                f"shape mismatch: value tensor of shape [{', '.join(map(str, value.shape))}] cannot "
                f"be broadcast to indexing result of shape [{', '.join(map(str, target_shape))}]"
            ) from None
    if not recording:
        x._data[k] = value._data
        x._vc[0] += 1
        return x
    root = x._view_root()
    res = IndexPut.apply(x, value, key=k, accumulate=False, tname=_setitem_name(k, x._data.shape))
    x._data[...] = res._data
    x._vc[0] += 1
    x._adopt(res)
    x._rebase_view_base(root, res)
    return x


# ------------------------------------------------------------------------------------------
# gather / scatter family
# ------------------------------------------------------------------------------------------
class Gather(Op):
    @staticmethod
    def forward(ctx, a, idx, dim):
        ctx.idx, ctx.dim, ctx.shape = idx, dim, a.shape
        if idx.shape != a.shape:  # torch lets index be smaller than input off ``dim``
            a = a[tuple(slice(None) if i == dim else slice(0, s) for i, s in enumerate(idx.shape))]
        return xp_of(a).take_along_axis(a, idx, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return ScatterAdd.apply(U.Tensor._make(xp_of(g._data).zeros(ctx.shape, g._data.dtype), None),
                                g, idx=ctx.idx, dim=ctx.dim), None


def _scatter_key(xp, idx, dim):
    """Index tuple addressing ``out[..., idx, ...]`` along ``dim`` for each element of idx."""
    grids = list(xp.indices(idx.shape, sparse=True))
    grids[dim] = idx
    return tuple(grids)


class ScatterAdd(Op):
    """``out = a; out[..., idx[i], ...] += src[i]`` along ``dim``."""

    @staticmethod
    def forward(ctx, a, src, idx, dim):
        xp = xp_of(a)
        ctx.idx, ctx.dim, ctx.src_shape = idx, dim, src.shape
        out = a.copy()
        src = src[tuple(slice(0, s) for s in idx.shape)]
        _add_at(xp, out, _scatter_key(xp, idx, dim), src)
        return out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        gs = None
        if n[1]:
            gs = U.Tensor._make(ctx.idx, None)
            gs = _pad_to(Gather.apply(g, gs, dim=ctx.dim), ctx.src_shape)
        return (g if n[0] else None), gs


class Scatter(Op):
    """``out = a; out[..., idx[i], ...] = src[i]`` along ``dim`` (last write wins)."""

    @staticmethod
    def forward(ctx, a, src, idx, dim, reduce):
        xp = xp_of(a)
        ctx.idx, ctx.dim, ctx.src_shape = idx, dim, src.shape
        out = a.copy()
        key = _scatter_key(xp, idx, dim)
        src = xp.broadcast_to(src, idx.shape) if src.ndim == 0 else src[tuple(slice(0, s) for s in idx.shape)]
        if reduce is None:
            out[key] = src
        elif reduce == "add":
            _add_at(xp, out, key, src)
        elif reduce == "multiply":
            xp.multiply.at(out, key, src)
        else:
            raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
        return out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        idx = U.Tensor._make(ctx.idx, None)
        ga = gs = None
        if n[0]:
            ga = Scatter.apply(g, U.Tensor._make(xp_of(g._data).zeros((), g._data.dtype), None),
                               idx, dim=ctx.dim, reduce=None)
        if n[1]:
            gs = Gather.apply(g, idx, dim=ctx.dim)
            gs = gs.sum() if len(ctx.src_shape) == 0 else _pad_to(gs, ctx.src_shape)
        return ga, gs, None


def _pad_to(t, shape):
    """``t`` zero-padded at the end of each dim up to ``shape`` (a source larger than its index
    gets zero gradient outside the index's extent)."""
    if tuple(t.shape) == tuple(shape):
        return t
    from .shape import cat

    xp = xp_of(t._data)
    for i, s in enumerate(shape):
        if t.shape[i] < s:
            zshape = list(t.shape)
            zshape[i] = s - t.shape[i]
            t = cat([t, U.Tensor._make(xp.zeros(zshape, t._data.dtype), None)], i)
    return t


def _check_index_tensor(index, name):
    if not isinstance(index, U.Tensor) or index.dtype not in (D.int64, D.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _check_gather_index(index, shape, dim, name):
    """torch's checks for gather/scatter: same ndim, index no larger off ``dim``, in range."""
    idx = index._data
    if idx.ndim != len(shape):
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{'input' if name == 'gather' else 'self'} tensor")
    for i, (si, s) in enumerate(zip(idx.shape, shape)):
        if i != dim and si > s:
            raise RuntimeError(
                f"Size does not match at dimension {i} expected index {list(idx.shape)} to be no "
                f"larger than {'input' if name == 'gather' else 'self'} {list(shape)} apart from "
                f"dimension {dim}")
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if hi >= shape[dim] or lo < 0:
            raise RuntimeError(
                f"index {hi if hi >= shape[dim] else lo} is out of bounds for dimension {dim} "
                f"with size {shape[dim]}")


def gather(input, dim, index, *, sparse_grad=False):
    """``out[i][j] = input[index[i][j]][j]`` (dim 0), etc."""
    _check_index_tensor(index, "gather")
    d = norm_dim(dim, input.ndim)
    if input.ndim == 0 or index.ndim == 0:
        if index.ndim > 1 or input.ndim > 1:
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        _check_int_index(index._data.reshape(-1), (1,), 0, None)
        return input.reshape(1)[index.reshape(-1)].reshape(index.shape)
    _check_gather_index(index, input.shape, d, "gather")
    return Gather.apply(input, index, dim=d)


def take_along_dim(input, indices, dim=None):
    """``input``'s entries at ``indices`` along ``dim`` (both broadcast but for ``dim``; the
    flattened input when ``dim`` is None); with ``dim`` the indices must be int64."""
    if dim is None:
        return input.reshape(-1)[indices.reshape(-1)]
    if indices.dtype is not D.int64:
        from .._tensor import _tn

        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {_tn(indices.dtype)}")
    d = norm_dim(dim, input.ndim)
    shape = list(U.broadcast_shapes(tuple(s for i, s in enumerate(input.shape) if i != d),
                                    tuple(s for i, s in enumerate(indices.shape) if i != d)))
    s_in = shape.copy()
    s_in.insert(d, input.shape[d])
    s_ix = shape.copy()
    s_ix.insert(d, indices.shape[d])
    return Gather.apply(input.expand(tuple(s_in)), indices.expand(tuple(s_ix)), dim=d)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    _check_index_tensor(index, "scatter")
    d = norm_dim(dim, input.ndim)
    if src is None:
        src = value
    if not isinstance(src, U.Tensor):
        src = U.Tensor._make(U.checked_scalar_array(xp_of(input._data), src, input.dtype.np), None)
    elif src.dtype is not input.dtype:
        raise RuntimeError(
            "scatter(): Expected self.dtype to be equal to src.dtype")
    _check_gather_index(index, input.shape, d, "scatter")
    return Scatter.apply(input, src, index, dim=d, reduce=reduce)


def _check_src_dtype(input, src) -> None:
    if isinstance(src, U.Tensor) and src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")


def scatter_add(input, dim, index, src):
    _check_index_tensor(index, "scatter_add")
    _check_src_dtype(input, src)
    d = norm_dim(dim, input.ndim)
    _check_gather_index(index, input.shape, d, "scatter_add")
    return ScatterAdd.apply(input, src, index, dim=d)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce ``src`` into ``input`` at ``index`` with sum/prod/mean/amax/amin."""
    _check_src_dtype(input, src)
    xp = xp_of(input._data)
    d = norm_dim(dim, input.ndim)
    if reduce == "sum":
        base = input if include_self else scatter(input, d, index, value=0.0)
        return scatter_add(base, d, index, src)
    if reduce == "mean":
        if input.dtype is D.bool_:  # (with no index, torch's scatter kernel is skipped)
            kernel = "scatter_gather_tensor_cpu_reduce_mean" if index.numel() else "div_floor_cpu"
            raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
        base = input if include_self else scatter(input, d, index, value=0.0)
        s = scatter_add(base, d, index, src)
        cnt = scatter_add(U.Tensor._make(xp.full(input.shape, 1.0 if include_self else 0.0,
                                                 input.dtype.np), None), d, index,
                          U.Tensor._make(xp.ones(index.shape, input.dtype.np), None))
        cnt = cnt.masked_fill(cnt == 0, 1)
        return s / cnt if input.dtype.is_floating_point else s // cnt
    if reduce in ("amax", "amin"):
        _check_gather_index(index, input.shape, d, "scatter_reduce")
        src = src[tuple(slice(0, s) for s in index.shape)]
        return ScatterMinMax.apply(input, src, index, dim=d, reduce=reduce, include_self=include_self)
    _check_gather_index(index, input.shape, d, "scatter_reduce")
    if reduce != "prod":
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    src = src[tuple(slice(0, s) for s in index.shape)]
    return ScatterProd.apply(input, src, index, dim=d, include_self=include_self)


class ScatterProd(Op):
    """``scatter_reduce`` with prod: ``out[i] = prod(self[i] (if include_self), src[j] : idx[j] = i)``.

    Gradient, per output group with ``P`` = product of its non-zero members and ``Z`` = its
    number of zero members (torch's formula): a non-zero member ``x`` gets ``g * [Z = 0] * P / x``,
    a zero member ``g * [Z = 1] * P``; with ``include_self=False`` the reached ``self`` entries get
    0 and the unreached ones ``g``.  Written with Tensor ops, so it is differentiable again."""

    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, a, src, idx, dim, include_self):
        xp = xp_of(a)
        ctx.idx, ctx.dim, ctx.include_self = idx, dim, include_self
        key = _scatter_key(xp, idx, dim)
        out = a.copy()
        if not include_self:
            out[key] = 1
        xp.multiply.at(out, key, src)
        return out

    @staticmethod
    def backward(ctx, g):
        a, src = ctx.saved_tensors
        T = U.Tensor
        xp = xp_of(g._data)
        idx, dim, inc = ctx.idx, ctx.dim, ctx.include_self
        it = T._make(idx, None)
        const = lambda arr: T._make(xp.asarray(arr, g._data.dtype), None)  # noqa: E731
        a_zero, s_zero = const(a._data == 0), const(src._data == 0)
        a_nz = a + a_zero  # zeros replaced by 1 (the others unchanged)
        s_nz = src + s_zero
        P = ScatterProd.apply(a_nz if inc else T._make(xp.ones(a.shape, g._data.dtype), None), s_nz,
                              it, dim=dim, include_self=True)
        Z = ScatterAdd.apply(a_zero if inc else T._make(xp.zeros(a.shape, g._data.dtype), None), s_zero,
                             idx=idx, dim=dim)
        z0, z1 = const(Z._data == 0), const(Z._data == 1)
        n = ctx.needs_input_grad
        ga = gs = None
        if n[0]:
            if inc:
                ga = g * (a_zero * z1 * P + (1 - a_zero) * z0 * P / a_nz)
            else:
                reached = xp.zeros(a.shape, bool)
                reached[_scatter_key(xp, idx, dim)] = True
                ga = g * const(~reached)
        if n[1]:
            Gs, Ps = Gather.apply(g, it, dim=dim), Gather.apply(P, it, dim=dim)
            Zs = Gather.apply(Z, it, dim=dim)._data
            gs = Gs * (s_zero * const(Zs == 1) * Ps + (1 - s_zero) * const(Zs == 0) * Ps / s_nz)
        return ga, gs, None


class ScatterMinMax(Op):
    """``scatter_reduce`` with amax/amin.  The gradient goes to every contributor (kept input
    entries and sources) equal to the result, split evenly among ties, as in torch."""

    _save_in = (0, 1)
    _save_out = True

    @staticmethod
    def forward(ctx, a, src, idx, dim, reduce, include_self):
        xp = xp_of(a)
        ctx.idx, ctx.dim, ctx.include_self = idx, dim, include_self
        key = _scatter_key(xp, idx, dim)
        out = a.copy()
        if not include_self:  # start from the dtype's identity of the reduction
            dt = out.dtype
            if dt.kind == "b":
                lo, hi = False, True
            elif dt.kind in "iu":
                lo, hi = xp.iinfo(dt).min, xp.iinfo(dt).max
            else:
                lo, hi = -xp.inf, xp.inf
            out[key] = lo if reduce == "amax" else hi
        (xp.maximum if reduce == "amax" else xp.minimum).at(out, key, src)
        if not include_self:  # entries no source reached keep their input value
            hit = xp.zeros(a.shape, bool)
            hit[key] = True
            out = xp.where(hit, out, a)
        return out

    @staticmethod
    def backward(ctx, g):
        a, src, out = ctx.saved_tensors
        T = U.Tensor
        xp = xp_of(g._data)
        idx, dim = ctx.idx, ctx.dim
        it = T._make(idx, None)
        # torch's formula as it stands: the count includes an input entry equal to the result
        # even when include_self=False (its own gradient is zeroed afterwards), and a count of 0
        # (a NaN result no entry equals) makes 0 * (g / 0) = NaN
        src_hit = (src == Gather.apply(out, it, dim=dim)).to(g.dtype)
        self_hit = (a == out).to(g.dtype)
        cnt = ScatterAdd.apply(self_hit, src_hit, idx=idx, dim=dim)
        gc = g / cnt
        n = ctx.needs_input_grad
        ga = None
        if n[0]:
            ga = gc * self_hit
            if not ctx.include_self:
                reached = xp.zeros(a.shape, bool)
                reached[_scatter_key(xp, idx, dim)] = True
                ga = ga.masked_fill(T._make(reached, None), 0.0)
        return ga, Gather.apply(gc, it, dim=dim) * src_hit if n[1] else None, None


def scatter_zeros_along(g, idx, dim, keepdim, shape):
    """Gradient of picking ``idx`` along ``dim``: zeros with ``g`` placed at the indices."""
    xp = xp_of(g._data)
    ie = idx if keepdim else xp.expand_dims(idx, dim)
    ge = g if keepdim else g.unsqueeze(dim)
    zeros = U.Tensor._make(xp.zeros(shape, g._data.dtype), None)
    # scatter-ADD: cummax picks the same index repeatedly and those gradients sum
    return ScatterAdd.apply(zeros, ge, idx=ie, dim=dim)


def index_select(input, dim, index):
    """Entries of ``input`` at the 1-D ``index`` along ``dim``."""
    if not isinstance(index, U.Tensor) or index.dtype not in (D.int64, D.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = norm_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if index.numel() and (bool((index._data < 0).any()) or bool((index._data >= n).any())):
        raise IndexError("index out of range in self")
    if input.ndim == 0:
        return input.reshape(1)[index.reshape(-1)].reshape(index.shape)
    key = (slice(None),) * d + (index.reshape(-1),)
    return getitem(input, key)


def _drop(shape, d):
    return list(shape[:d]) + list(shape[d + 1:])


def _index_range(index, size, msg):
    """torch's index kernels take no negative index: every entry must lie in [0, size)."""
    a = index._data
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi >= size:
            raise IndexError(msg(lo if lo < 0 else hi))


def index_add(input, dim, index, source, *, alpha=1):
    """``input`` with ``alpha * source`` slices added at ``index`` along ``dim`` (torch's checks)."""
    from .._tensor import _tn

    d = norm_dim(dim, input.ndim)
    n = index.numel()
    if index.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {index.ndim} with type: "
                         f"{_tn(index.dtype)} and size: {list(index.shape)}")
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {_tn(index.dtype)}")
    if source.dtype != input.dtype:
        raise RuntimeError(f"index_add_(): self ({_tn(input.dtype)}) and source ({_tn(source.dtype)}) must "
                           "have the same scalar type")
    if d != 0 and d >= source.ndim:
        raise RuntimeError(f"index_add_(): Indexing dim {d} is out of bounds of the source tensor with dim "
                           f"{source.ndim}")
    ns = source.shape[d] if source.ndim else 1
    if n != ns:
        raise RuntimeError(f"index_add_(): Number of indices ({n}) should be equal to source.size(dim): "
                           f"({ns}), for dim: {d}")
    both = source.ndim and input.ndim
    if (_drop(input.shape, d) if both else list(input.shape)) != (
            _drop(source.shape, d) if both else list(source.shape)):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified "
                           f"dimension. Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}")
    if input.ndim > 1 and (n == 0 or input.numel() == 0):
        return input.clone()
    _index_range(index, input.shape[d] if input.ndim else 1, lambda i: "index out of range in self")
    if alpha != 1:
        source = source * alpha
    if input.ndim == 0:
        return IndexPut.apply(input, source.reshape(()), key=(), accumulate=True)
    key = (slice(None),) * d + (index._data.reshape(-1),)
    if source.ndim == 0:
        source = source.reshape(1)
    return IndexPut.apply(input, source, key=key, accumulate=True)


def index_copy(input, dim, index, source):
    """``input`` with the ``source`` slices written at ``index`` along ``dim`` (torch's checks)."""
    from .._tensor import _tn

    d = norm_dim(dim, input.ndim)
    n = index.numel()
    if index.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    if source.ndim == 0 and n != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element (got {n})")
    if source.ndim != input.ndim and source.ndim and input.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their dimensionality "
                         f"must match. Source dimensionality ({source.ndim}), destination dimensionality "
                         f"({input.ndim})")
    if index.dtype is not D.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {_tn(index.dtype)}")
    if source.dtype != input.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_tn(input.dtype)} and (source) {_tn(source.dtype)}")
    si = _drop(input.shape, d) if input.ndim else []
    ss = _drop(source.shape, d) if source.ndim else []
    if si != ss:
        raise RuntimeError("index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                           f"slice shape: {' '.join(map(str, si))} at dimension {d} and source slice shape: "
                           f"{' '.join(map(str, ss))} at dimension 0.")
    if source.ndim and n != source.shape[d]:
        raise IndexError(f"index_copy_(): Number of indices ({n}) should be equal to source.size(dim) "
                         f"({source.shape[d]})")
    size = input.shape[d] if input.ndim else 1
    _index_range(index, size, lambda i: f"index_copy_(): index {i} is out of bounds for dimension {d} "
                                        f"with size {size}")
    if input.ndim == 0:
        return IndexPut.apply(input, source.reshape(()), key=(), accumulate=False)
    key = (slice(None),) * d + (index._data.reshape(-1),)
    if source.ndim == 0:
        source = source.reshape(1)
    return IndexPut.apply(input, source, key=key, accumulate=False)


def index_fill(input, dim, index, value):
    if not isinstance(index, U.Tensor) or index.dtype is not D.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    d = norm_dim(dim, input.ndim)
    key = (slice(None),) * d + (index._data,)
    v = value if isinstance(value, U.Tensor) else U.Tensor._make(
        U.checked_scalar_array(xp_of(input._data), value, input.dtype.np), None)
    return IndexPut.apply(input, v, key=key, accumulate=False)


def index_put(input, indices, values, accumulate=False):
    xp = xp_of(input._data)
    key, _ = convert_key(tuple(indices), input.shape, xp)
    if not isinstance(values, U.Tensor):
        values = U.Tensor._make(xp.asarray(values, dtype=input.dtype.np), None)
    return IndexPut.apply(input, values, key=key, accumulate=accumulate)


def masked_select(input, mask):
    shape = U.broadcast_shapes(input.shape, mask.shape)
    return getitem(input.expand(shape), mask.expand(shape))


def masked_scatter(input, mask, source):
    shape = U.broadcast_shapes(input.shape, mask.shape)
    m = mask.expand(shape)
    n = int(m._data.sum())
    return IndexPut.apply(input.expand(shape).contiguous(), source.reshape(-1)[:n],
                          key=(m._data,), accumulate=False)


def nonzero(input, *, as_tuple=False):
    xp = xp_of(input._data)
    nz = xp.nonzero(input._data) if input.ndim else xp.nonzero(input._data.reshape(1))
    if as_tuple:
        return tuple(U.Tensor._make(a.astype("int64"), None) for a in nz)
    if input.ndim == 0:  # as torch: one (empty) row per nonzero element of a 0-d input, no columns
        return U.Tensor._make(xp.zeros((len(nz[0]), 0), "int64"), None)
    return U.Tensor._make(xp.stack(nz, axis=1).astype("int64") if nz else
                          xp.zeros((0, 0), "int64"), None)


def argwhere(input):
    return nonzero(input)


# ------------------------------------------------------------------------------------------
# sorting and friends
# ------------------------------------------------------------------------------------------
SortResult = namedtuple("sort", ["values", "indices"])


def _stable_order(xp, a, dim, descending):
    if descending:
        # stable descending: sort the negation's order for numbers; NaN first as torch puts it last?
        # torch puts NaN as the largest value, so it comes first when descending
        if a.dtype.kind == "b":
            key = ~a
        elif a.dtype.kind == "u":
            key = a.max() - a if a.size else a
        elif a.dtype.kind == "f":
            key = xp.where(xp.isnan(a), -xp.inf, -a)
            nanm = xp.isnan(a)
            order = xp.argsort(key, axis=dim, kind="stable")
            # put NaNs in front keeping stability
            nan_first = xp.argsort(~xp.take_along_axis(nanm, order, axis=dim), axis=dim, kind="stable")
            return xp.take_along_axis(order, nan_first, axis=dim)
        else:
            key = -a
        return xp.argsort(key, axis=dim, kind="stable")
    return xp.argsort(a, axis=dim, kind="stable")


def sort(input, dim=-1, descending=False, stable=False):
    xp = xp_of(input._data)
    if input.ndim == 0:
        return SortResult(input.clone(), U.Tensor._make(xp.asarray(0), None))
    d = norm_dim(dim, input.ndim)
    order = _stable_order(xp, input._data, d, descending)
    idx = U.Tensor._make(order.astype("int64", copy=False), None)
    return SortResult(Gather.apply(input, idx, dim=d), idx)


def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable).indices


def msort(input):
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    xp = xp_of(input._data)
    d = norm_dim(dim, input.ndim)
    size = input.shape[d] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        return namedtuple("topk", ["values", "indices"])(input.clone(), U.Tensor._make(xp.asarray(0), None))
    order = _stable_order(xp, input._data, d, largest)
    order = xp.take(order, xp.arange(k), axis=d)
    idx = U.Tensor._make(order.astype("int64", copy=False), None)
    return namedtuple("topk", ["values", "indices"])(Gather.apply(input, idx, dim=d), idx)


def kthvalue(input, k, dim=-1, keepdim=False):
    xp = xp_of(input._data)
    d = norm_dim(dim, input.ndim) if input.ndim else 0
    size = input.shape[d] if input.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if input.ndim == 0:  # the value itself, at index 0
        from .reduction import SelectAlong

        idx0 = U.Tensor._make(xp.zeros((), "int64"), None)
        return namedtuple("kthvalue", ["values", "indices"])(
            SelectAlong.apply(input, idx0, dim=0, keepdim=keepdim, tname="KthvalueBackward0"), idx0)
    order = xp.argsort(input._data, axis=d, kind="stable")
    idx = xp.take(order, [k - 1], axis=d)
    idx_t = U.Tensor._make(idx.astype("int64"), None)
    vals = Gather.apply(input, idx_t, dim=d)
    if not keepdim:
        vals = vals.squeeze(d)
        idx_t = idx_t.squeeze(d)
    return namedtuple("kthvalue", ["values", "indices"])(vals, idx_t)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (or slices along ``dim``), sorted, with inverse indices / counts."""
    if dim is not None and input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    xp = xp_of(input._data)
    if dim is None:
        u, inv, cnt = xp.unique(input._data.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(input.shape)
    else:
        d = norm_dim(dim, input.ndim)
        u, inv, cnt = xp.unique(input._data, return_inverse=True, return_counts=True, axis=d)
        inv = inv.reshape(-1)
    res = [U.Tensor._make(u, None)]
    if return_inverse:
        res.append(U.Tensor._make(inv.astype("int64"), None))
    if return_counts:
        res.append(U.Tensor._make(cnt.astype("int64"), None))
    return res[0] if len(res) == 1 else tuple(res)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """``unique`` of consecutive runs (no sorting)."""
    if dim is not None and input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    xp = xp_of(input._data)
    if dim is None:
        a = input._data.reshape(-1)
        n = a.size
        ishape = input.shape
        keep = xp.concatenate([xp.ones(1, bool), a[1:] != a[:-1]]) if n else xp.zeros(0, bool)
        u = a[keep]
    else:  # runs of equal slices along dim
        d = norm_dim(dim, input.ndim)
        a = xp.moveaxis(input._data, d, 0)
        n = a.shape[0]
        ishape = (n,)
        keep = xp.concatenate([xp.ones(1, bool), (a[1:] != a[:-1]).reshape(n - 1, a[0].size).any(axis=1)]) \
            if n else xp.zeros(0, bool)
        u = xp.moveaxis(a[keep], 0, d)
    res = [U.Tensor._make(u, None)]
    if return_inverse:
        res.append(U.Tensor._make((xp.cumsum(keep) - 1).reshape(ishape).astype("int64"), None))
    if return_counts:
        starts = xp.nonzero(keep)[0]
        res.append(U.Tensor._make(xp.diff(xp.append(starts, n)).astype("int64"), None))
    return res[0] if len(res) == 1 else tuple(res)


def bincount(input, weights=None, minlength=0):
    """Counts of each value of a 1-D non-negative integer tensor (sums of ``weights``)."""
    if input.dtype.is_floating_point or input.dtype is D.bool_:
        from .._tensor import _tn

        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_tn(input.dtype)}'")
    if input.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    xp = xp_of(input._data)
    if input.numel() and int(input._data.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else weights._data
    r = xp.bincount(input._data, weights=w, minlength=minlength)
    if w is None:
        r = r.astype("int64")
    elif weights.dtype is D.float32:
        r = r.astype("float32")
    return U.Tensor._make(r, None)


def histc(input, bins=100, min=0, max=0):
    """Counts of ``input`` in ``bins`` equal-width bins over ``[min, max]`` (the data's range when
    both are equal); floating inputs only, the bounds must fit the input's dtype."""
    from .elementwise import _tn

    xp = xp_of(input._data)
    a = input._data
    if input.dtype is D.bool_:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    info = xp.finfo(a.dtype) if a.dtype.kind == "f" else xp.iinfo(a.dtype)
    for v in (min, max):
        if math.isfinite(v) and not info.min <= v <= info.max:
            name = U._C_TYPE.get(a.dtype.name, a.dtype.name)
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_tn(input.dtype)}'")
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    h, _ = xp.histogram(a, bins=bins, range=(lo, hi))
    return U.Tensor._make(h.astype(a.dtype), None)


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None):
    xp = xp_of(sorted_sequence._data)
    side = side or ("right" if right else "left")
    v = values._data if isinstance(values, U.Tensor) else xp.asarray(values)
    s = sorted_sequence._data
    if s.ndim == 1:
        r = xp.searchsorted(s, v, side=side)
    else:
        r = xp.stack([xp.searchsorted(s[i], v[i], side=side) for i in range(s.shape[0])])
    return U.Tensor._make(xp.asarray(r).astype("int32" if out_int32 else "int64"), None)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    xp = xp_of(input._data)
    r = xp.searchsorted(boundaries._data, input._data, side="right" if right else "left")
    return U.Tensor._make(xp.asarray(r).astype("int32" if out_int32 else "int64"), None)


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    n = len(tensors)
    shape = tuple(t.numel() for t in tensors)
    if indexing == "xy" and n >= 2:
        shape = (shape[1], shape[0]) + shape[2:]
    out = []
    for i, t_ in enumerate(tensors):
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        s = [1] * n
        s[pos] = t_.numel()
        out.append(t_.reshape(tuple(s)).expand(shape))
    return tuple(out)


def cartesian_prod(*tensors):
    grids = meshgrid(*tensors, indexing="ij")
    from .shape import stack

    return stack([g.reshape(-1) for g in grids], 1) if len(tensors) > 1 else tensors[0]
