"""Shape ops: reshape/view, permute/transpose, expand, cat/stack, split, flip/roll, repeat,
squeeze/unsqueeze, tril/triu, diagonal.  Views share memory (and the version counter)."""
from __future__ import annotations

import builtins
import math

from .._backend import xp_of
from ..autograd.function import Op
from . import _util as U
from ._util import norm_dim


class Reshape(Op):
    torch_name = "ViewBackward0"
    _view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return (g.reshape(ctx.shape),)


# the same op under torch's names for the other shape changes it serves
class _ReshapeCopy(Reshape):
    """``reshape`` of an input no view can express (the result is a copy)."""

    torch_name = "UnsafeViewBackward0"


class Unsqueeze(Reshape):
    torch_name = "UnsqueezeBackward0"


class _SqueezeAll(Reshape):
    torch_name = "SqueezeBackward0"


class _SqueezeDim(Reshape):
    torch_name = "SqueezeBackward1"


class _SqueezeDims(Reshape):
    torch_name = "SqueezeBackward2"


def _infer_shape(shape, numel, src_shape):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if not isinstance(s, int) and not hasattr(s, "__index__"):
            raise TypeError(f"reshape(): argument 'shape' must be tuple of ints, not {type(s).__name__}")
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {shape.index(s)} of shape "
                               f"{list(shape)}")
    known = math.prod(s for s in shape if s != -1)
    if neg:
        if known == 0 and numel == 0:
            raise RuntimeError(
                f"cannot reshape tensor of 0 elements into shape [{', '.join(map(str, shape))}] "
                "because the unspecified dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(
                f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(
            f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    return tuple(int(s) for s in shape)


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    if len(shape) == 1 and isinstance(shape[0], U.Tensor) is False and hasattr(shape[0], "__iter__"):
        return tuple(shape[0])
    return tuple(shape)


def reshape(input, *shape):
    shape = _shape_args(shape)
    a = input._data
    if shape != a.shape:
        shape = _infer_shape(shape, a.size, a.shape)
    op = Reshape if not a.size or _viewable(a, shape) else _ReshapeCopy
    return op.apply(input, shape=shape)


def view(input, *shape):
    """Like ``reshape`` but, as in torch, refuses to copy a non-contiguous input."""
    from .. import _dtype as D

    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        return U.Tensor._make(input._data.view(shape[0].np), None)
    shape = _infer_shape(_shape_args(shape), input._data.size, input._data.shape)
    a = input._data
    if a.size and not _viewable(a, shape):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return Reshape.apply(input, shape=shape)


def _viewable(a, shape) -> bool:
    if a.flags.c_contiguous:
        return True
    try:
        v = a.view()
        v.shape = shape  # numpy raises if a copy would be needed
        return True
    except (AttributeError, ValueError):
        return False


def flatten(input, start_dim=0, end_dim=-1):
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, (1,))
    s = norm_dim(start_dim, nd)
    e = norm_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    sh = input._data.shape
    return reshape(input, sh[:s] + (math.prod(sh[s:e + 1]),) + sh[e + 1:])


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one -1 inferred); torch's unflatten errors."""
    d = norm_dim(dim, input._data.ndim)
    sh = input._data.shape
    sizes = tuple(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer_shape(sizes, sh[d], (sh[d],))
    except RuntimeError as e:
        if "is invalid for input of size" in str(e):
            raise RuntimeError(
                f"unflatten: Provided sizes [{', '.join(map(str, sizes))}] don't multiply up to the "
                f"size of dim {d} ({sh[d]}) in the input tensor") from None
        raise RuntimeError(f"unflatten got an unexpected error:\n{e}") from None
    return reshape(input, sh[:d] + tuple(sizes) + sh[d + 1:])


class Permute(Op):
    _view = True

    @staticmethod
    def forward(ctx, a, perm):
        ctx.perm = perm
        return a.transpose(perm)

    @staticmethod
    def backward(ctx, g):
        inv = [0] * len(ctx.perm)
        for i, p in enumerate(ctx.perm):
            inv[p] = i
        return (g.permute(tuple(inv)),)


def permute(input, *dims):
    dims = _shape_args(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    perm = tuple(norm_dim(d, nd) for d in dims)
    if len(set(perm)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, perm=perm)


class Transpose(Permute):
    torch_name = "TransposeBackward0"


class _T(Permute):
    torch_name = "TBackward0"


def _swap(nd, dim0, dim1) -> tuple:
    d0, d1 = norm_dim(dim0, nd), norm_dim(dim1, nd)
    perm = list(range(nd))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return tuple(perm)


def transpose(input, dim0, dim1):
    nd = input._data.ndim
    return Transpose.apply(input, perm=_swap(nd, dim0, dim1) if nd else ())


swapaxes = swapdims = transpose


def t(input):
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return _T.apply(input, perm=_swap(2, 0, 1) if nd == 2 else tuple(range(nd)))


def adjoint(input):
    return transpose(input, -2, -1)


def movedim(input, source, destination):
    nd = input._data.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)")
    src = [norm_dim(s, nd) for s in src]
    dst = [norm_dim(d, nd) for d in dst]
    if nd == 0:  # dim 0 / -1 of a 0-d tensor: nothing moves
        return Permute.apply(input, perm=())
    order = [i for i in range(nd) if i not in src]
    perm = [None] * nd
    for s, d in zip(src, dst):
        perm[d] = s
    it = iter(order)
    perm = [p if p is not None else next(it) for p in perm]
    return Permute.apply(input, perm=tuple(perm))


moveaxis = movedim


class Expand(Op):
    _view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return xp_of(a).broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return (U.unbroadcast(g, ctx.shape),)


def expand(input, *sizes, size=None):
    """A broadcast view of ``input`` at ``sizes`` (-1 keeps a dim; new dims go in front)."""
    if size is not None:
        sizes = (size,)
    if not sizes:
        raise TypeError('expand() missing 1 required positional arguments: "size"')
    sizes = _shape_args(sizes)
    sh = input._data.shape
    if len(sizes) < len(sh):
        raise RuntimeError(
            f"expand(torch.FloatTensor{{[{', '.join(map(str, sh))}]}}, size=[{', '.join(map(str, sizes))}]): "
            "the number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({len(sh)})"
        )
    nd = len(sizes) - len(sh)
    for i in range(len(sizes) - 1, nd - 1, -1):  # torch reports the last mismatching dim
        s, cur = sizes[i], sh[i - nd]
        if s != -1 and cur != 1 and cur != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: [{', '.join(map(str, sizes))}].  "
                f"Tensor sizes: [{', '.join(map(str, sh))}]"
            )
    out = []
    for i, s in enumerate(sizes):
        if i < nd:
            if s == -1:
                raise RuntimeError(
                    f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}")
            out.append(s)
            continue
        cur = sh[i - nd]
        if s == -1:
            out.append(cur)
        elif cur == 1 or cur == s:
            out.append(s)
        else:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: [{', '.join(map(str, sizes))}].  "
                f"Tensor sizes: [{', '.join(map(str, sh))}]"
            )
    return Expand.apply(input, shape=tuple(out))


def broadcast_to(input, shape):
    return expand(input, tuple(shape))


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_tensors(*tensors):
    shape = U.broadcast_shapes(*[t.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


def squeeze(input, dim=None):
    sh = input._data.shape
    if dim is None:
        new = tuple(s for s in sh if s != 1)
        op = _SqueezeAll
    else:
        op = _SqueezeDim if isinstance(dim, int) else _SqueezeDims
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {norm_dim(d, len(sh)) for d in dims} if sh else set()
        new = tuple(s for i, s in enumerate(sh) if not (i in dims and s == 1))
    return op.apply(input, shape=new)


def unsqueeze(input, dim):
    sh = input._data.shape
    d = norm_dim(dim, len(sh) + 1)
    return Unsqueeze.apply(input, shape=sh[:d] + (1,) + sh[d:])


class Cat(Op):
    @staticmethod
    def forward(ctx, *arrays, dim):
        # torch skips legacy empty 1-D inputs of shape (0,) (None in sizes: their gradient is
        # an empty (0,) tensor) unless every input is one
        legacy = [a.ndim == 1 and a.shape[0] == 0 for a in arrays]
        if all(legacy):
            legacy = [False] * len(arrays)
        ctx.sizes = [None if sk else a.shape[dim] for a, sk in zip(arrays, legacy)]
        ctx.dim = dim
        return xp_of(arrays[0]).concatenate([a for a, sk in zip(arrays, legacy) if not sk], axis=dim)

    @staticmethod
    def backward(ctx, g):
        out = []
        off = 0
        for s, need in zip(ctx.sizes, ctx.needs_input_grad):
            if s is None:
                out.append(narrow(g, ctx.dim, 0, 0).reshape(0) if need else None)
                continue
            out.append(narrow(g, ctx.dim, off, s) if need else None)
            off += s
        return tuple(out)


class Stack(Cat):
    """``stack``: a ``Cat`` of the inputs unsqueezed at ``dim``."""

    torch_name = "StackBackward0"


def cat(tensors, dim=0, *, out=None):
    """Concatenate along an existing ``dim`` (promoting dtypes as torch does)."""
    return _cat(tensors, dim, out, Cat)


def _cat(tensors, dim, out, op):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t_ in enumerate(tensors):
        if not isinstance(t_, U.Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t_).__name__}")
    # torch skips legacy empty 1-D tensors of shape (0,) in the shape checks (not in the dtype
    # promotion nor in autograd: Cat skips them itself)
    full = [t_ for t_ in tensors if not (t_._data.ndim == 1 and t_._data.shape[0] == 0)] or tensors
    nd = full[0]._data.ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = norm_dim(dim, nd)
    dt = U.result_dtype(*tensors) if len({t_._data.dtype for t_ in tensors}) > 1 else None
    ref = full[0]
    for i, t_ in enumerate(full):
        U.same_device(ref, t_)
        if t_._data.ndim != nd:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {nd} and {t_._data.ndim}")
        for k in range(nd):
            if k != d and t_._data.shape[k] != ref._data.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref._data.shape[k]} but got size {t_._data.shape[k]} for tensor number {i} in the list."
                )
    if dt is not None:
        tensors = [t_.to(dt) for t_ in tensors]
    res = op.apply(*tensors, dim=d)
    if out is not None:
        out.copy_(res)
        return out
    return res


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    sh = tensors[0]._data.shape
    for i, t_ in enumerate(tensors):
        if t_._data.shape != sh:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(sh)} at entry 0 and "
                f"{list(t_._data.shape)} at entry {i}"
            )
    d = norm_dim(dim, len(sh) + 1)
    return _cat([unsqueeze(t_, d) for t_ in tensors], d, out, Stack)


def hstack(tensors):
    tensors = [atleast_1d(t_) for t_ in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([atleast_2d(t_) for t_ in tensors], 0)


row_stack = vstack


def dstack(tensors):
    return cat([atleast_3d(t_) for t_ in tensors], 2)


def column_stack(tensors):
    ts = [t_.reshape(-1, 1) if t_.ndim <= 1 else t_ for t_ in tensors]
    return cat(ts, 1)


def atleast_1d(x):
    return x.reshape(1) if x.ndim == 0 else x


def atleast_2d(x):
    if x.ndim == 0:
        return x.reshape(1, 1)
    if x.ndim == 1:
        return x.unsqueeze(0)
    return x


def atleast_3d(x):
    if x.ndim == 0:
        return x.reshape(1, 1, 1)
    if x.ndim == 1:
        return x.reshape(1, -1, 1)
    if x.ndim == 2:
        return x.unsqueeze(-1)
    return x


def narrow(input, dim, start, length):
    return _narrow(input, dim, start, length, "SliceBackward0")


def _narrow(input, dim, start, length, tname):
    """``narrow`` whose node takes torch's name ``tname`` (split's pieces are SplitBackward0)."""
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, nd)
    size = input._data.shape[d]
    if isinstance(start, U.Tensor):
        start = int(start)
    if start < 0:
        start += size
    if not 0 <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start + length > size:
        raise RuntimeError(
            f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    idx = (slice(None),) * d + (slice(start, start + length),)
    from .indexing import BasicIndex

    return BasicIndex.apply(input, key=idx, tname=tname)


def split(tensor, split_size_or_sections, dim=0):
    """Consecutive pieces along ``dim`` of one size (the last may be smaller) or of the given sizes."""
    if tensor._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = norm_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        if s <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sizes = [builtins.min(s, size - i) for i in range(0, size, s)] if size else [0]
        name = "SplitBackward0"
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {dim}), but got split_sizes={sizes}")
        name = "SplitWithSizesBackward0"
    out = []
    off = 0
    for s in sizes:
        out.append(_narrow(tensor, d, off, s, name))
        off += s
    return tuple(out)


def chunk(input, chunks, dim=0):
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = norm_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    step = -(-size // chunks) if size else 1
    if not size:  # torch: `chunks` empty pieces of an empty dim
        return tuple(narrow(input, d, 0, 0) for _ in range(chunks))
    return split(input, step, d)


def tensor_split(input, indices_or_sections, dim=0):
    d = norm_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        sizes = [q + 1] * r + [q] * (n - r)
    else:
        idx = [0] + [builtins.min(builtins.max(int(i), 0), size) for i in indices_or_sections] + [size]
        sizes = [builtins.max(b - a, 0) for a, b in zip(idx, idx[1:])]
    out, off = [], 0
    for s in sizes:
        out.append(narrow(input, d, off, s))
        off += s
    return tuple(out)


def unbind(input, dim=0):
    d = norm_dim(dim, input._data.ndim)
    from .indexing import BasicIndex

    return tuple(
        BasicIndex.apply(input, key=(slice(None),) * d + (i,), tname="UnbindBackward0")
        for i in range(input._data.shape[d])
    )


class Flip(Op):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return xp_of(a).flip(a, dims).copy() if dims else a.copy()

    @staticmethod
    def backward(ctx, g):
        return (flip(g, ctx.dims),)


def flip(input, *args, dims=None):
    """Reverse the order along ``dims`` (``x.flip(0, 1)``, ``flip(x, (0, 1))``, ``dims=``)."""
    dims = _shape_args(args if dims is None else (dims,))
    nd = input._data.ndim
    dims = tuple(norm_dim(d, nd) for d in dims)
    return Flip.apply(input, dims=dims if nd else ())


def fliplr(input):
    return flip(input, (1,))


def flipud(input):
    return flip(input, (0,))


class Roll(Op):
    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return xp_of(a).roll(a, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return (Roll.apply(g, shifts=neg, dims=ctx.dims),)


def roll(input, shifts, dims=None):
    if dims is None:
        flat = input.reshape(-1)
        s = shifts if isinstance(shifts, int) else shifts[0]
        return Roll.apply(flat, shifts=s, dims=0).reshape(input.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    return Roll.apply(input, shifts=shifts, dims=tuple(norm_dim(d, input.ndim) for d in dims))


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by ``k * 90`` degrees in the plane of ``dims`` (from the first towards the second)."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    if dims[0] == dims[1] or abs(dims[0] - dims[1]) == input.ndim:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    d0, d1 = norm_dim(dims[0], input.ndim), norm_dim(dims[1], input.ndim)
    k %= 4
    if k == 0:
        return input.clone()
    if k == 1:
        return flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    return flip(input.transpose(d0, d1), (d1,))


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along each dim (leading dims added as needed)."""
    sizes = _shape_args(sizes)
    nd = input._data.ndim
    if len(sizes) < nd:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    x = input.reshape((1,) * (len(sizes) - nd) + input._data.shape)
    # expand a new axis before each dim, then merge: (r0, s0, r1, s1, ...) -> (r0*s0, ...)
    sh = x._data.shape
    inter = []
    for s in sh:
        inter += [1, s]
    y = x.reshape(tuple(inter))
    exp_shape = []
    for r, s in zip(sizes, sh):
        exp_shape += [r, s]
    y = y.expand(tuple(exp_shape))
    return y.reshape(tuple(r * s for r, s in zip(sizes, sh)))


def tile(input, dims):
    dims = tuple(dims)
    if len(dims) < input.ndim:
        dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times (an int or a 1-D tensor of counts)."""
    if repeats is None:  # torch.repeat_interleave(repeats_tensor)
        reps = input
        xp = xp_of(reps._data)
        return U.Tensor._make(xp.repeat(xp.arange(reps.shape[0]), reps._data), None)
    if dim is None:
        input = input.reshape(-1)
        dim = 0
    d = norm_dim(dim, input.ndim)
    if isinstance(repeats, int):
        sh = input.shape
        y = unsqueeze(input, d + 1)
        es = list(y.shape)
        es[d + 1] = repeats
        y = y.expand(tuple(es))
        return y.reshape(sh[:d] + (sh[d] * repeats,) + sh[d + 1:])
    xp = xp_of(input._data)
    reps = repeats._data if isinstance(repeats, U.Tensor) else xp.asarray(repeats)
    if reps.ndim == 0 or reps.shape[0] == 1:
        return repeat_interleave(input, int(reps.reshape(-1)[0]), d)
    if reps.shape[0] != input.shape[d]:
        raise RuntimeError("repeats must have the same size as input along dim")
    idx = xp.repeat(xp.arange(input.shape[d]), reps)
    from .indexing import index_select

    return index_select(input, d, U.Tensor._make(idx, None))


class Tri(Op):
    @staticmethod
    def forward(ctx, a, k, upper):
        xp = xp_of(a)
        ctx.k, ctx.upper = k, upper
        return xp.triu(a, k) if upper else xp.tril(a, k)

    @staticmethod
    def backward(ctx, g):
        return (Tri.apply(g, k=ctx.k, upper=ctx.upper),)


def tril(input, diagonal=0):
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tri.apply(input, k=diagonal, upper=False)


def triu(input, diagonal=0):
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Tri.apply(input, k=diagonal, upper=True)


class Diagonal(Op):
    _view = True

    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        ctx.shape, ctx.args = a.shape, (offset, d1, d2)
        return xp_of(a).diagonal(a, offset, d1, d2)

    @staticmethod
    def backward(ctx, g):
        return (DiagEmbedInto.apply(g, shape=ctx.shape, args=ctx.args),)


class DiagEmbedInto(Op):
    """Write ``g`` onto the diagonal of a zero tensor of ``shape`` (Diagonal's adjoint)."""

    @staticmethod
    def forward(ctx, g, shape, args):
        xp = xp_of(g)
        ctx.args = args
        out = xp.zeros(shape, g.dtype)
        offset, d1, d2 = args
        # numpy's diagonal view is read-only; assign through an index instead
        n1, n2 = shape[d1], shape[d2]
        i = xp.arange(builtins.min(n1, n2 - offset) if offset >= 0 else builtins.min(n1 + offset, n2))
        r = i - builtins.min(offset, 0)
        c = i + builtins.max(offset, 0)
        outm = xp.moveaxis(out, (d1, d2), (-2, -1))
        outm[..., r, c] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        off, d1, d2 = ctx.args
        return (Diagonal.apply(gg, offset=off, d1=d1, d2=d2),)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal at ``offset`` of the (``dim1``, ``dim2``) planes, as the last dim."""
    nd = input.ndim
    d1, d2 = norm_dim(dim1, nd), norm_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, offset=offset, d1=d1, d2=d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    n = input.shape[-1] + builtins.abs(offset)
    nd = input.ndim + 1
    d1, d2 = norm_dim(dim1, nd), norm_dim(dim2, nd)
    shape = list(input.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, n)
    # DiagEmbedInto writes the last axis of g on the diagonal of (d1, d2)
    return DiagEmbedInto.apply(input, shape=tuple(shape), args=(offset, d1, d2))


def diag(input, diagonal=0):
    if input.ndim == 1:
        n = input.shape[0] + builtins.abs(diagonal)
        return DiagEmbedInto.apply(input, shape=(n, n), args=(diagonal, 0, 1))
    if input.ndim == 2:
        return Diagonal.apply(input, offset=diagonal, d1=0, d2=1)
    raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{input.ndim}D")


def trace(input):
    """Sum of the main diagonal of a matrix (the dtype is checked first, as torch)."""
    if input._data.dtype.kind == "b":
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return diagonal(input).sum()
