"""More shape / view ops: ``as_strided``, ``unfold``, the ``*_scatter`` family, ``put``,
``index_reduce``, torch's storage model (``storage_offset``, ``resize_``), the split aliases and
the trivial ``*_copy`` variants of views.

danlu has no storage object of its own: a tensor's *storage* is the root backend array its
``_data`` is a view of (following ``.base``), and its storage offset is the element distance from
the root's first element.  For tensors made by danlu ops that is exactly torch's storage.
"""
from __future__ import annotations

import builtins
import math

from .. import _dtype as D
from .._backend import xp_of
from ..autograd.function import Op
from . import _util as U
from ._util import norm_dim
from . import shape as S

__all__ = [
    "vsplit", "hsplit", "dsplit", "unravel_index", "as_strided", "diagonal_scatter",
    "select_scatter", "slice_scatter", "put", "index_reduce", "unsafe_chunk", "unsafe_split",
    "split_with_sizes", "unsafe_split_with_sizes", "is_same_size", "is_signed", "is_inference",
    "get_device", "empty_strided", "frombuffer", "fill", "fill_", "zero_", "narrow_copy",
    "expand_copy", "permute_copy", "transpose_copy", "squeeze_copy", "unsqueeze_copy",
    "view_copy", "diagonal_copy", "select_copy", "slice_copy", "t_copy", "unbind_copy",
    "split_copy", "split_with_sizes_copy", "unfold_copy", "detach_copy", "alias_copy",
    "as_strided_copy", "empty_permuted", "as_strided_", "as_strided_scatter", "resize_as_",
]


def _T():
    return U.Tensor


def _lst(s) -> str:
    return "[" + ", ".join(map(str, s)) + "]"


# ------------------------------------------------------------------------------------------
# storage model
# ------------------------------------------------------------------------------------------
def _ptr(a) -> int:
    return int(a.__array_interface__["data"][0]) if hasattr(a, "__array_interface__") \
        else int(a.data.ptr)


def _storage(a):
    """``(storage, offset)``: a 1-D array over the memory of ``a``'s root array (in ``a``'s
    dtype) and the element offset of ``a``'s first element in it."""
    xp = xp_of(a)
    root = a
    while isinstance(root.base, type(a)):
        root = root.base
    contiguous = root.flags.c_contiguous or root.flags.f_contiguous
    off_b = _ptr(a) - _ptr(root)
    if not contiguous or off_b % a.itemsize or root.nbytes % a.itemsize:
        # a root we cannot address linearly: the tensor is its own storage
        root = a if a.flags.c_contiguous else None
        if root is None:
            return None, 0
        off_b = 0
    if root.dtype != a.dtype:
        if not a.flags.c_contiguous:
            return None, 0
        root, off_b = a, 0
    flat = xp.lib.stride_tricks.as_strided(root, shape=(root.nbytes // a.itemsize,),
                                           strides=(a.itemsize,))
    return flat, off_b // a.itemsize


def storage_offset(self) -> int:
    """The element offset of the tensor's first element in its storage."""
    return _storage(self._data)[1]


def _positions(xp, shape, strides, offset):
    """Storage position of every element of a strided geometry (an int64 array of ``shape``)."""
    pos = xp.full(shape, offset, dtype="int64")
    for d, (n, st) in enumerate(zip(shape, strides)):
        sh = [1] * len(shape)
        sh[d] = n
        pos = pos + (xp.arange(n, dtype="int64") * st).reshape(sh)
    return pos


def _elem_strides(a):
    return tuple(s // a.itemsize for s in a.strides)


def _alias_positions(xp, base, view):
    """Flat (C-order) index into ``base`` of every element of ``view``, which aliases its
    memory (an int64 array of the view's shape), from the two arrays' byte geometry."""
    rel = _positions(xp, view.shape, view.strides, _ptr(view) - _ptr(base))
    if base.flags.c_contiguous:
        return rel // base.itemsize
    own = _positions(xp, base.shape, base.strides, 0).reshape(-1)
    order = xp.argsort(own, kind="stable")
    return order[xp.searchsorted(own[order], rel)]


class CopySlices(Op):
    """A base's node after an in-place op recorded on one of its views: the base with the view's
    elements (flat positions ``pos``) replaced by the op's result ``res``.  Gradient: ``g`` with
    those positions zeroed to the old base, ``g`` gathered at them to ``res``."""

    torch_name = "torch::autograd::CopySlices"

    @staticmethod
    def forward(ctx, base, res, pos):
        xp = xp_of(base)
        keep = xp.ones(base.size, base.dtype)
        keep[pos.reshape(-1)] = 0
        ctx.keep, ctx.pos = keep.reshape(base.shape), pos
        return base  # the memory already holds the written values

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        T = U.Tensor
        gb = g * T._make(ctx.keep.astype(g._data.dtype, copy=False), None) if n[0] else None
        gr = g.reshape(-1)[T._make(ctx.pos, None)] if n[1] else None
        return gb, gr


def copy_slices(base, view, res) -> None:
    """Rebase ``base``'s history after the in-place op with result ``res`` on its ``view``."""
    if base._data.dtype != view._data.dtype:  # a reinterpreting view: element maps differ
        return
    pos = _alias_positions(xp_of(base._data), base._data, view._data)
    base._adopt(CopySlices.apply(base, res, pos=pos))


class AsStrided(Op):
    """A strided window on the input's storage.  Backward (torch's ``as_strided_backward``):
    scatter-add ``g`` into a zero storage, read the input's geometry back out of it, dividing by
    the multiplicity where the input's own geometry overlaps."""

    _view = True

    @staticmethod
    def forward(ctx, a, size, stride, offset, storage, in_offset):
        xp = xp_of(a)
        out = xp.lib.stride_tricks.as_strided(storage[offset:] if offset < storage.shape[0]
                                              else storage[:0], shape=size,
                                              strides=tuple(s * a.itemsize for s in stride))
        if ctx.recording:
            ctx.in_pos = _positions(xp, a.shape, _elem_strides(a), in_offset)
            ctx.out_pos = _positions(xp, size, stride, offset)
        return out

    @staticmethod
    def backward(ctx, g):
        T = _T()
        xp = xp_of(g._data)
        pin, pout = ctx.in_pos, ctx.out_pos
        if pin.size == 0:
            return (T._make(xp.zeros(pin.shape, g._data.dtype), None),)
        lo = builtins.min(int(pin.min()), int(pout.min()) if pout.size else int(pin.min()))
        hi = builtins.max(int(pin.max()), int(pout.max()) if pout.size else int(pin.max()))
        from .indexing import index_add

        st = T._make(xp.zeros(hi - lo + 1, g._data.dtype), None)
        st = index_add(st, 0, T._make((pout - lo).reshape(-1), None), g.reshape(-1))
        flat_in = (pin - lo).reshape(-1)
        res = st[T._make(flat_in, None)]
        cnt = xp.bincount(flat_in, minlength=hi - lo + 1)
        if int(cnt.max()) > 1:
            res = res / T._make(cnt[flat_in].astype(g._data.dtype), None)
        return (res.reshape(pin.shape),)


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s storage with the given ``size``, ``stride`` and ``storage_offset``
    (default: the input's own offset)."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if builtins.any(s < 0 for s in stride):
        raise RuntimeError(
            f"as_strided: Negative strides are not supported at the moment, got strides: {_lst(stride)}")
    if builtins.any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {builtins.min(size)}: {_lst(size)}")
    a = input._data
    storage, in_off = _storage(a)
    if storage is None:
        storage, in_off = a.copy().reshape(-1), 0
    off = in_off if storage_offset is None else int(storage_offset)
    if off < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {off}")
    need = 0 if builtins.any(s == 0 for s in size) else \
        off + 1 + builtins.sum((n - 1) * st for n, st in zip(size, stride))
    if need > storage.shape[0]:
        raise RuntimeError(
            f"setStorage: sizes {_lst(size)}, strides {_lst(stride)}, storage offset {off}, and "
            f"itemsize {a.itemsize} requiring a storage size of {need * a.itemsize} are out of "
            f"bounds for storage of size {storage.shape[0] * a.itemsize}")
    return AsStrided.apply(input, size=size, stride=stride, offset=off, storage=storage,
                           in_offset=in_off)


def as_strided_(input, size, stride, storage_offset=None):
    """Make ``input`` itself the ``as_strided`` view (metadata only, shares memory)."""
    input._data = as_strided(input.detach(), size, stride, storage_offset)._data
    return input


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of ``input`` (as a fresh contiguous storage) with its ``as_strided(size, stride,
    storage_offset)`` window overwritten by ``src``; the gradient to ``src`` is the same window
    of the incoming gradient, as torch."""
    from .indexing import index_put

    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if tuple(src.shape) != size:
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = {_lst(src.shape)}, "
            f"slice size = {_lst(size)}")
    off = 0 if storage_offset is None else int(storage_offset)
    n = input.numel()
    need = 0 if builtins.any(s == 0 for s in size) else \
        off + 1 + builtins.sum((k - 1) * st for k, st in zip(size, stride))
    if need > n or builtins.any(s < 0 for s in stride):
        raise RuntimeError(
            f"setStorage: sizes {_lst(size)}, strides {_lst(stride)}, storage offset {off}, and "
            f"itemsize {input._data.itemsize} requiring a storage size of {need * input._data.itemsize} "
            f"are out of bounds for storage of size {n * input._data.itemsize}")
    if builtins.any(st == 0 and k > 1 for k, st in zip(size, stride)):
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation.")
    pos = _positions(xp_of(input._data), size, stride, off).reshape(-1)
    out = index_put(input.reshape(-1), (_T()._make(pos, None),), src.to(input.dtype).reshape(-1))
    return out.reshape(input.shape)


def as_strided_copy(input, size, stride, storage_offset=None):
    return as_strided(input, size, stride, storage_offset).clone()


class Unfold(Op):
    """All windows of ``size`` elements taken every ``step`` along ``dim``, as a new last dim."""

    _view = True

    @staticmethod
    def forward(ctx, a, dim, size, step):
        xp = xp_of(a)
        ctx.shape, ctx.args = a.shape, (dim, size, step)
        n = (a.shape[dim] - size) // step + 1
        shape = a.shape[:dim] + (n,) + a.shape[dim + 1:] + (size,)
        st = a.strides
        strides = st[:dim] + (st[dim] * step,) + st[dim + 1:] + (st[dim],)
        return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)

    @staticmethod
    def backward(ctx, g):
        T = _T()
        xp = xp_of(g._data)
        dim, size, step = ctx.args
        n = g.shape[dim]
        # (..., n, ..., size) -> (..., n * size, ...) and add each window back at its offset
        g2 = S.movedim(g, -1, dim + 1)
        g2 = g2.reshape(g2.shape[:dim] + (n * size,) + g2.shape[dim + 2:])
        idx = (xp.arange(n, dtype="int64")[:, None] * step + xp.arange(size, dtype="int64")).reshape(-1)
        from .indexing import index_add

        z = T._make(xp.zeros(ctx.shape, g._data.dtype), None)
        return (index_add(z, dim, T._make(idx, None), g2),)


def unfold(self, dimension, size, step):
    """``Tensor.unfold``: sliding windows of ``size`` with stride ``step`` along ``dimension``
    (a view; the windows form a new last dimension)."""
    nd = self._data.ndim
    d = norm_dim(dimension, nd)
    n = self._data.shape[d] if nd else 1
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if nd == 0:
        return Unfold.apply(self.reshape(1), dim=0, size=size, step=step).reshape(size)
    return Unfold.apply(self, dim=d, size=size, step=step)


def unfold_copy(input, dimension, size, step):
    return unfold(input, dimension, size, step).clone()


# ------------------------------------------------------------------------------------------
# splits
# ------------------------------------------------------------------------------------------
def _dir_split(name, input, sections, dim, need):
    if input.ndim < need:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {need} dimension, but got a tensor with "
            f"{input.ndim} dimensions!")
    if isinstance(sections, int):
        size = input.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {size} is not divisible by the split_size {sections}!")
    return S.tensor_split(input, sections, dim)


def vsplit(input, indices_or_sections):
    """Split along dim 0 (``tensor_split``; an int must divide the size)."""
    return _dir_split("vsplit", input, indices_or_sections, 0, 2)


def hsplit(input, indices_or_sections):
    """Split along dim 1 (dim 0 for 1-D inputs)."""
    return _dir_split("hsplit", input, indices_or_sections, 1 if input.ndim > 1 else 0, 1)


def dsplit(input, indices_or_sections):
    """Split along dim 2."""
    return _dir_split("dsplit", input, indices_or_sections, 2, 3)


def split_with_sizes(input, split_sizes, dim=0):
    return S.split(input, list(split_sizes), dim)


unsafe_split_with_sizes = split_with_sizes


def unsafe_split(input, split_size, dim=0):
    return S.split(input, split_size, dim)


def unsafe_chunk(input, chunks, dim=0):
    return S.chunk(input, chunks, dim)


def unravel_index(indices, shape):
    """Flat ``indices`` to a tuple of coordinate tensors for ``shape`` (C order; indices wrap
    modulo the shape like torch)."""
    T = _T()
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(int(s) for s in shape)
    if not isinstance(indices, T):
        from .._creation import tensor

        indices = tensor(indices)
    if indices.dtype.is_floating_point or indices.dtype is D.bool_:
        raise TypeError(f"expected 'indices' to be integer dtype, but got torch.{indices.dtype.name}")
    if builtins.any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    rest = indices._data.astype("int64")
    out = []
    for s in reversed(shape):
        out.append(T._make(rest % s if s else rest * 0, None))
        rest = rest // s if s else rest * 0
    return tuple(reversed(out)) if shape else ()


# ------------------------------------------------------------------------------------------
# *_scatter: embed src into a copy of input at a view position
# ------------------------------------------------------------------------------------------
def _write_view(xp, out, kind, args, src):
    if kind == "diagonal":
        offset, d1, d2 = args
        n1, n2 = out.shape[d1], out.shape[d2]
        m = builtins.max(0, builtins.min(n1, n2 - offset) if offset >= 0 else builtins.min(n1 + offset, n2))
        i = xp.arange(m)
        om = xp.moveaxis(out, (d1, d2), (-2, -1))
        om[..., i - builtins.min(offset, 0), i + builtins.max(offset, 0)] = src
    else:
        out[args] = src


class ViewScatter(Op):
    """``out = input`` with the view ``kind(args)`` replaced by ``src``."""

    @staticmethod
    def forward(ctx, a, src, kind, args):
        ctx.kind, ctx.args = kind, args
        out = a.copy()
        _write_view(xp_of(a), out, kind, args, src)
        return out

    @staticmethod
    def backward(ctx, g):
        gi = gs = None
        if ctx.needs_input_grad[0]:
            shape = _view_of(g.detach(), ctx.kind, ctx.args).shape
            z = _T()._make(xp_of(g._data).zeros(shape, g._data.dtype), None)
            gi = ViewScatter.apply(g, z, kind=ctx.kind, args=ctx.args)
        if ctx.needs_input_grad[1]:
            gs = _view_of(g, ctx.kind, ctx.args)
        return gi, gs


def _view_of(x, kind, args):
    if kind == "diagonal":
        return S.diagonal(x, *args)
    from .indexing import BasicIndex

    return BasicIndex.apply(x, key=args)


def _scatter_into(input, src, kind, args):
    view = _view_of(input.detach(), kind, args)
    if tuple(src.shape) != tuple(view.shape):
        raise RuntimeError(
            "expected src to have a size equal to the slice of self. src size = "
            f"{_lst(src.shape)}, slice size = {_lst(view.shape)}")
    if src.dtype is not input.dtype:
        src = src.to(input.dtype)
    return ViewScatter.apply(input, src, kind=kind, args=args)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """``input`` with its ``diagonal(offset, dim1, dim2)`` replaced by ``src``."""
    nd = input.ndim
    return _scatter_into(input, src, "diagonal", (offset, norm_dim(dim1, nd), norm_dim(dim2, nd)))


def _select_key(input, dim, index):
    d = norm_dim(dim, input.ndim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {_lst(input.shape)} at dimension {d}")
    return (slice(None),) * d + (index + n if index < 0 else index,)


def select_scatter(input, src, dim, index):
    """``input`` with ``input.select(dim, index)`` replaced by ``src``."""
    return _scatter_into(input, src, "basic", _select_key(input, dim, index))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """``input`` with ``input[..., start:end:step, ...]`` (along ``dim``) replaced by ``src``."""
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = norm_dim(dim, input.ndim)
    return _scatter_into(input, src, "basic", (slice(None),) * d + (slice(start, end, step),))


# ------------------------------------------------------------------------------------------
# put / index_reduce / fill_diagonal_
# ------------------------------------------------------------------------------------------
def put(input, index, source, accumulate=False):
    """``input`` viewed as 1-D with ``source`` written (or added) at ``index``."""
    from .indexing import index_put

    if index.dtype is not D.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_tn(index.dtype)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(
            "put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{_tn(input.dtype)} and source.dtype = {_tn(source.dtype)}")
    if index.numel() != source.numel():
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {index.numel()}")
    n = input.numel()
    ix = index._data
    if ix.size and n == 0:
        raise IndexError("put_(): Tried to put elements into an empty tensor")
    if ix.size and (int(ix.max()) >= n or int(ix.min()) < -n):
        bad = int(ix.max()) if int(ix.max()) >= n else int(ix.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    flat = input.reshape(-1)
    out = index_put(flat, (index.reshape(-1),), source.reshape(-1), accumulate)
    return out.reshape(input.shape)


def _tn(dt) -> str:
    from .._tensor import _tn as tn

    return tn(dt)


_INDEX_REDUCE = ("prod", "mean", "amax", "amin")


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Reduce the slices of ``source`` into ``input`` at ``index`` along ``dim`` with
    prod / mean / amax / amin (``scatter_reduce`` with the index broadcast over the slice)."""
    from .indexing import scatter_reduce

    if reduce not in _INDEX_REDUCE:
        raise RuntimeError(
            f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {_tn(index.dtype)}")
    if index.ndim > 1:
        raise IndexError(
            f"index_reduce_(): Index is supposed to be a vector, but got dim: {index.ndim} with type: "
            f"{_tn(index.dtype)} and size: {_lst(index.shape)}")
    d = norm_dim(dim, input.ndim)
    src_d = source.shape[d] if source.ndim else 1
    if index.numel() != src_d:
        raise RuntimeError(
            f"index_reduce_(): Number of indices ({index.numel()}) should be equal to "
            f"source.size(dim): ({src_d}), for dim: {dim}")
    if source.dtype is not input.dtype:
        raise RuntimeError(
            f"index_reduce_(): self ({_tn(input.dtype)}) and source ({_tn(source.dtype)}) must have "
            "the same scalar type")
    if input.ndim != source.ndim or builtins.any(
            a != b for i, (a, b) in enumerate(zip(input.shape, source.shape)) if i != d):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {_lst(input.shape)} source.shape = {_lst(source.shape)}")
    if input.dtype is D.bool_:  # torch's bool support differs by path: 1-D / exclude / mean fail
        kernel = "index_reduce_func_exclude_input_init" if not include_self else \
            "index_func_" if input.ndim <= 1 else "div_floor_cpu" if reduce == "mean" else None
        if kernel:
            raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    ix = index._data
    n = input.shape[d] if input.ndim else 1
    if ix.size and (int(ix.max()) >= n or int(ix.min()) < -n):
        raise IndexError("index out of range in self")
    if input.ndim == 0:
        return index_reduce(input.reshape(1), 0, index, source.reshape(1), reduce,
                            include_self=include_self).reshape(())
    T = _T()
    xp = xp_of(ix)
    sh = [1] * input.ndim
    sh[d] = ix.shape[0] if ix.ndim else 1
    full = xp.broadcast_to(((ix + n) % n).astype("int64").reshape(sh), source.shape)
    return scatter_reduce(input, d, T._make(xp.ascontiguousarray(full), None), source, reduce,
                          include_self=include_self)


def fill_diagonal_(self, fill_value, wrap=False):
    """Fill the main diagonal (all indices equal) in place; ``wrap`` continues a tall matrix's
    diagonal every ``cols + 1`` rows, as numpy / torch."""
    from . import elementwise as E

    nd = self.ndim
    if nd < 2:
        raise RuntimeError("dimensions must larger than 1")
    sh = self.shape
    if nd > 2 and len(set(sh)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    xp = xp_of(self._data)
    mask = xp.zeros(self._data.size, bool)
    if nd == 2:
        rows, cols = sh
        end = self._data.size if wrap else builtins.min(self._data.size, cols * cols)
        mask[:end:cols + 1] = True
    else:
        step = builtins.sum(math.prod(sh[k + 1:]) for k in range(nd))
        mask[::step] = True
    T = _T()
    return self._inplace(E.masked_fill, T._make(mask.reshape(sh), None), fill_value)


# ------------------------------------------------------------------------------------------
# Tensor predicates / metadata
# ------------------------------------------------------------------------------------------
def is_same_size(input, other) -> bool:
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input) -> bool:
    return input.dtype not in (D.uint8, D.bool_)


def is_inference(input) -> bool:
    """danlu has no inference tensors (``inference_mode`` only disables recording): False."""
    return False


def get_device(input) -> int:
    """The CUDA ordinal, or -1 on the CPU."""
    dev = input.device
    return -1 if dev.type == "cpu" else (dev.index or 0)


def sum_to_size(self, *size):
    """Sum ``self`` down to ``size`` (which must be expandable to ``self.shape``)."""
    size = tuple(S._shape_args(size))
    sh = tuple(self.shape)
    ok = len(size) <= len(sh) and builtins.all(
        s == t or s == 1 for s, t in zip(reversed(size), reversed(sh)))
    if not ok:
        raise RuntimeError(f"size {{{_lst(size)}}} is not expandable to size {{{_lst(sh)}}}.")
    return U.unbroadcast(self, size)


def swapaxes_(self, axis0, axis1):
    """In-place (metadata only) transpose."""
    self._data = S.transpose(self.detach(), axis0, axis1)._data
    return self


def resize_(self, *sizes):
    """Reinterpret the storage (from the storage offset, contiguously) as ``sizes``; the
    storage grows (keeping its contents) when too small, and never shrinks, as torch."""
    from ..autograd.grad_mode import GradMode

    sizes = tuple(int(s) for s in S._shape_args(sizes))
    for s in sizes:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {_lst(sizes)}")
    if self._rg and GradMode.enabled or self.grad_fn is not None:
        raise RuntimeError("cannot resize variables that require grad")
    a = self._data
    if sizes == a.shape:
        return self
    xp = xp_of(a)
    n = math.prod(sizes)
    storage, off = _storage(a)
    if storage is None:
        storage, off = a.copy().reshape(-1), 0
    if off + n <= storage.shape[0]:
        self._data = storage[off:off + n].reshape(sizes)
    else:
        new = xp.zeros(off + n, a.dtype)
        new[:storage.shape[0]] = storage
        self._data = new[off:].reshape(sizes)
    self._vc[0] += 1
    return self


def resize_as_(self, the_template, memory_format=None):
    return resize_(self, tuple(the_template.shape))


def new(self, *args, dtype=None, device=None):
    """The legacy constructor: ``x.new()`` (empty), ``x.new(*sizes)`` / ``x.new(Size)``
    (uninitialised), ``x.new(data)``, ``x.new(tensor)`` (an alias); self's dtype and device."""
    from .. import _creation as C
    from .._tensor import Size

    T = _T()
    dt = dtype or self.dtype
    dev = device or self.device
    if not args:
        return C.empty(0, dtype=dt, device=dev)
    if len(args) == 1 and isinstance(args[0], T):
        t = args[0]
        if t.dtype is not dt:
            raise TypeError(f"expected {dt} (got {t.dtype})")
        return T._make(t._data, None, 0, t._vc)
    if len(args) == 1 and isinstance(args[0], Size) or builtins.all(
            isinstance(a, int) and not isinstance(a, bool) for a in args):
        return C.empty(tuple(S._shape_args(args)), dtype=dt, device=dev)
    if len(args) == 1:
        return C.tensor(args[0], dtype=dt, device=dev)
    raise TypeError("new(): invalid arguments")


def _nbytes(self) -> int:
    return int(self._data.nbytes)


def _itemsize(self) -> int:
    return int(self._data.itemsize)


def _is_cpu(self) -> bool:
    return self.device.type == "cpu"


# ------------------------------------------------------------------------------------------
# creation with a given layout
# ------------------------------------------------------------------------------------------
def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialised tensor with the given ``size`` and ``stride`` (in elements)."""
    from .. import _creation as C

    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(
            f"dimensionality of sizes ({len(size)}) must match dimensionality of strides ({len(stride)})")
    need = 0 if builtins.any(s == 0 for s in size) else \
        1 + builtins.sum((n - 1) * st for n, st in zip(size, stride))
    base = C.empty(need, dtype=dtype, device=device)
    a = base._data
    out = xp_of(a).lib.stride_tricks.as_strided(a, shape=size, strides=tuple(s * a.itemsize for s in stride))
    t = _T()._make(out, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def empty_permuted(size, physical_layout, *, dtype=None, device=None, requires_grad=False,
                   pin_memory=False):
    """An uninitialised tensor of ``size`` whose memory is laid out in ``physical_layout``
    order (outermost first): ``empty(size permuted).permute(inverse)``."""
    from .. import _creation as C

    size, layout = tuple(size), tuple(physical_layout)
    if len(size) != len(layout):
        raise RuntimeError(
            "Number of dimensions in size does not match the length of the physical_layout; i.e. "
            f"len(size) = {len(size)} is not equal to len(physical_layout) = {len(layout)}")
    layout = tuple(norm_dim(d, len(size)) if size else d for d in layout)
    if len(set(layout)) != len(layout):
        raise RuntimeError("Duplicate dim not allowed")
    phys = C.empty(tuple(size[d] for d in layout), dtype=dtype, device=device)
    inv = [0] * len(layout)
    for i, d in enumerate(layout):
        inv[d] = i
    t = _T()._make(phys._data.transpose(inv) if inv else phys._data, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


_FROMBUFFER_WARNED = [False]


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor sharing the memory of a Python buffer (bytes, bytearray, array, mmap)."""
    import numpy as np  # buffers are host memory

    dtype = D.to_dtype(dtype)
    mv = memoryview(buffer)
    length = mv.nbytes
    item = np.dtype(dtype.np).itemsize
    if length == 0 and count == 0 or length == 0 and count == -1:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(
            f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
            f"({length} bytes) minus 1")
    if count < 0:
        if (length - offset) % item:
            raise ValueError(
                f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a "
                f"multiple of element size ({item})")
        count = (length - offset) // item
    elif offset + count * item > length:
        raise ValueError(
            f"requested buffer length ({count} * {item} bytes) after offset ({offset} bytes) must "
            f"not be greater than actual buffer length ({length} bytes)")
    if mv.readonly and not _FROMBUFFER_WARNED[0]:
        import warnings

        _FROMBUFFER_WARNED[0] = True
        warnings.warn(
            "The given buffer is not writable; the tensor shares its memory and, unlike torch's, "
            "is read-only. You may want to copy the buffer or make it writable before converting "
            "it to a tensor. This type of warning will be suppressed for the rest of this program.",
            UserWarning, stacklevel=2)
    arr = np.frombuffer(buffer, dtype=dtype.np, count=count, offset=offset)
    t = _T()._make(arr, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


# ------------------------------------------------------------------------------------------
# fill / zero at top level
# ------------------------------------------------------------------------------------------
def fill(input, value):
    """A new tensor like ``input`` filled with ``value`` (a number or a 0-d tensor; the
    gradient flows to a tensor ``value``)."""
    T = _T()
    if isinstance(value, T) and value.ndim != 0:
        raise RuntimeError(
            f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
    if isinstance(value, T):
        return value.to(input.dtype).expand(input.shape).clone() if value.dtype != input.dtype \
            or input.dtype.is_floating_point else value.expand(input.shape).clone()
    xp = xp_of(input._data)
    return T._make(xp.full(input._data.shape, value, dtype=input._data.dtype), None)


def fill_(input, value):
    return input.fill_(value)


def zero_(input):
    return input.zero_()


# ------------------------------------------------------------------------------------------
# *_copy: the out-of-place (non-aliasing) versions of views
# ------------------------------------------------------------------------------------------
def _copy_of(fn):
    def f(input, *args, **kwargs):
        r = fn(input, *args, **kwargs)
        if isinstance(r, (tuple, list)):
            return type(r)(x.clone() for x in r) if isinstance(r, tuple) else [x.clone() for x in r]
        return r.clone()

    f.__name__ = fn.__name__ + "_copy"
    f.__doc__ = f"``{fn.__name__}`` without aliasing: the result owns its memory."
    return f


def _select(input, dim, index):
    from .indexing import BasicIndex

    return BasicIndex.apply(input, key=_select_key(input, dim, index))


def _slice(input, dim=0, start=None, end=None, step=1):
    from .indexing import BasicIndex

    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = norm_dim(dim, input.ndim)
    return BasicIndex.apply(input, key=(slice(None),) * d + (slice(start, end, step),),
                            tname="SliceBackward0")


def _detach(input):
    return input.detach()


def _alias(input):
    return input.view(input.shape)


def _view(input, *shape):
    return S.view(input, *shape)


def _narrow(input, dim, start, length):
    return S.narrow(input, dim, start, length)


_narrow.__name__ = "narrow"
_view.__name__ = "view"
_select.__name__ = "select"
_slice.__name__ = "slice"
_detach.__name__ = "detach"
_alias.__name__ = "alias"

narrow_copy = _copy_of(_narrow)
expand_copy = _copy_of(S.expand)
permute_copy = _copy_of(S.permute)
transpose_copy = _copy_of(S.transpose)
squeeze_copy = _copy_of(S.squeeze)
unsqueeze_copy = _copy_of(S.unsqueeze)
view_copy = _copy_of(_view)
diagonal_copy = _copy_of(S.diagonal)
select_copy = _copy_of(_select)
slice_copy = _copy_of(_slice)
t_copy = _copy_of(S.t)
unbind_copy = _copy_of(S.unbind)
split_copy = _copy_of(S.split)
split_with_sizes_copy = _copy_of(split_with_sizes)
detach_copy = _copy_of(_detach)
alias_copy = _copy_of(_alias)
