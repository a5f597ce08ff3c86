"""Matrix products: matmul (batched, broadcast), mm, bmm, mv, dot, outer, addmm, einsum."""
from __future__ import annotations

from .. import _dtype as D
from .._backend import xp_of
from ..autograd.function import Op
from . import _util as U
from .shape import Reshape
from ..amp import _state as _amp


class MatMul(Op):
    """``a @ b`` for ndim >= 2 with broadcast batch dims; grads ``g b^T`` and ``a^T g``."""

    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        if a.shape[-1] == 1 and b.ndim >= 2 and b.shape[-2] == 1:
            # inner size 1 (e.g. a batch-1 weight gradient g^T x): an outer product, one multiply
            # per element -- the same numbers, and BLAS takes ~5x as long for a K=1 GEMM
            return a * b
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        ga = U.unbroadcast(g @ b.mT, a.shape) if n[0] else None
        gb = U.unbroadcast(a.mT @ g, b.shape) if n[1] else None
        return ga, gb


# torch's names for what matmul's cases end in (the same arithmetic either way)
class _Mm(MatMul):
    torch_name = "MmBackward0"


class _Bmm(MatMul):
    torch_name = "BmmBackward0"


class _BatchedMatMul(MatMul):
    """torch folds the batch dims into one ``bmm`` and views the result back."""

    torch_name = "UnsafeViewBackward0"


class _Dot(Reshape):
    torch_name = "DotBackward0"


class _Mv(Reshape):
    torch_name = "MvBackward0"


class _VecMat(Reshape):
    """vector @ matrix: torch's ``mm`` of the unsqueezed vector, then an in-place squeeze."""

    torch_name = "SqueezeBackward4"


class _BatchedVec(Reshape):
    torch_name = "UnsafeViewBackward0"


def _mm_error(sa, sb):
    return RuntimeError(
        f"mat1 and mat2 shapes cannot be multiplied ({'x'.join(map(str, sa))} and "
        f"{'x'.join(map(str, sb))})"
    )


def _prep(a, b):
    a, b, _ = U.binary_operands(a, b, bcast=False)
    return a, b


def matmul(input, other, *, out=None):
    """torch.matmul: 1-D operands are promoted to matrices and the added dim removed after."""
    input, other = _amp.lower(input, other)
    return _matmul(input, other, out, _BatchedMatMul)


def _tn(dt) -> str:
    """torch's C scalar-type name of ``dt`` ('Float', 'Double', 'Long', ...)."""
    from .._tensor import _tn as tn

    try:
        return tn(dt)
    except KeyError:
        return dt.name


def _bool_matmul_check(sa, sb, numel: int) -> None:
    """torch has no bool matmul kernel: its error (naming the kernel that the operand dims
    dispatch to) unless the product is empty or sums over nothing (dot always raises)."""
    na, nb = len(sa), len(sb)
    if na == 1 and nb == 1:
        kernel = "dot"
    elif nb >= 3 or (na == 1 and nb > 2):
        kernel = "bmm"
    elif nb == 1:
        kernel = "addmv_impl_cpu"
    else:
        kernel = "addmm_impl_cpu_"
    if kernel == "dot" or (sa[-1] and numel):
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _matmul(input, other, out, batched):
    """``matmul`` whose case with an operand of more than 2 dims is the op ``batched``."""
    if not isinstance(input, U.Tensor) or not isinstance(other, U.Tensor):
        raise TypeError("matmul(): argument 'other' (position 2) must be Tensor")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_tn(input.dtype).lower()} "
            f"!= {_tn(other.dtype).lower()}"
        )
    U.same_device(input, other)
    a, b = input, other
    na, nb = a._data.ndim, b._data.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    sa, sb = a._data.shape, b._data.shape
    if na == 1 and nb == 1:
        if sa[0] != sb[0]:
            raise RuntimeError(
                "inconsistent tensor size, expected tensor [%d] and src [%d] to have the same "
                "number of elements, but got %d and %d elements respectively" % (sa[0], sb[0], sa[0], sb[0]))
        r = _Dot.apply(MatMul.apply(a.reshape(1, -1), b.reshape(-1, 1)), shape=())
    elif na == 1:
        if sa[0] != sb[-2]:
            raise _mm_error((1, sa[0]), sb[-2:])
        r = MatMul.apply(a.reshape(1, -1), b)
        r = (_VecMat if nb == 2 else _BatchedVec).apply(r, shape=r.shape[:-2] + r.shape[-1:])
    elif nb == 1:
        if sa[-1] != sb[0]:
            raise RuntimeError(
                f"size mismatch, got input ({sa[-2]}), mat ({sa[-2]}x{sa[-1]}), vec ({sb[0]})")
        r = MatMul.apply(a, b.reshape(-1, 1))
        r = (_Mv if na == 2 else _BatchedVec).apply(r, shape=r.shape[:-1])
    else:
        if sa[-1] != sb[-2]:
            if na == 2 and nb == 2:
                raise _mm_error(sa, sb)
            raise RuntimeError(
                f"Expected size for first two dimensions of batch2 tensor to be: "
                f"[{', '.join(map(str, sb[:-2] or (1,)))}, {sa[-1]}] but got: "
                f"[{', '.join(map(str, sb[:-2] or (1,)))}, {sb[-2]}]."
            )
        if sa[:-2] != sb[:-2]:
            U.broadcast_shapes(sa[:-2], sb[:-2])
        r = (_Mm if na == nb == 2 else batched).apply(a, b)
    if a._data.dtype.kind == "b":
        _bool_matmul_check(sa, sb, r._data.size)
    if out is not None:
        out.copy_(r)
        return out
    return r


def mm(input, mat2, *, out=None):
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if out is None:
        input, mat2 = _amp.lower(input, mat2)
    return _matmul(input, mat2, out, _BatchedMatMul)


def bmm(input, mat2, *, out=None):
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{input.shape[0]}, {input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    if out is None:
        input, mat2 = _amp.lower(input, mat2)
    return _matmul(input, mat2, out, _Bmm)


def mv(input, vec):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError("vector + matrix @ vector expected, got "
                           f"{input.ndim}, {input.ndim}, {vec.ndim}")
    return _matmul(input, vec, None, _BatchedMatMul)  # not autocast (torch)


def dot(input, other):
    """Inner product of two 1-D tensors."""
    from .elementwise import _need_tensors

    _need_tensors("dot", input, other, ("input", "tensor"))
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError(
            "dot : expected both vectors to have same dtype, but found "
            f"{_tn(input.dtype)} and {_tn(other.dtype)}")
    return _matmul(input, other, None, _BatchedMatMul)  # not autocast (torch)


vdot = dot
inner_1d = dot


def inner(input, other):
    """Sum over the last dims of ``input`` and ``other`` (a product with a 0-d operand)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError("inner() the last dimension must match on both input tensors but got shapes "
                           f"[{', '.join(map(str, input.shape))}] and [{', '.join(map(str, other.shape))}]")
    return matmul(input, other.mT if other.ndim > 1 else other) if other.ndim <= 2 else \
        einsum("...i,...i->...", input, other)


def outer(input, vec2):
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


def _half_once(fn, input, a, b, beta, alpha):
    """float16 operands: torch's CPU kernels evaluate ``beta * input + alpha * (a b)`` in float32 and
    round once; the same here (differentiable casts, so gradients come back in float16).  None for
    other dtypes."""
    if input.dtype is not D.float16 or a.dtype is not D.float16 or b.dtype is not D.float16:
        return None
    with _amp.suspended():  # the float32 inner call must not be lowered to float16 again
        return fn(input.float(), a.float(), b.float(), beta=beta, alpha=alpha).half()


def _int_coefs(dt, *coefs):
    """Scalar coefficients as torch's kernels use them: cast (truncated) to an integer dtype."""
    if dt.is_floating_point:
        return coefs
    return tuple(int(c) for c in coefs)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``."""
    input, mat1, mat2 = _amp.lower(input, mat1, mat2)
    r = _half_once(addmm, input, mat1, mat2, beta, alpha)
    if r is not None:
        return r
    beta, alpha = _int_coefs(mat1.dtype, beta, alpha)
    p = mm(mat1, mat2)
    if alpha != 1:
        p = p * alpha
    if beta == 0:
        return p + input * 0
    return p + (input * beta if beta != 1 else input)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    r = _half_once(addmv, input, mat, vec, beta, alpha)
    if r is not None:
        return r
    beta, alpha = _int_coefs(mat.dtype, beta, alpha)
    p = mv(mat, vec)
    return (input * beta if beta != 1 else input) + (p * alpha if alpha != 1 else p)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    input, batch1, batch2 = _amp.lower(input, batch1, batch2)
    r = _half_once(baddbmm, input, batch1, batch2, beta, alpha)
    if r is not None:
        return r
    beta, alpha = _int_coefs(batch1.dtype, beta, alpha)
    p = bmm(batch1, batch2)
    return (input * beta if beta != 1 else input) + (p * alpha if alpha != 1 else p)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    input, batch1, batch2 = _amp.lower(input, batch1, batch2)
    r = _half_once(addbmm, input, batch1, batch2, beta, alpha)
    if r is not None:
        return r
    beta, alpha = _int_coefs(batch1.dtype, beta, alpha)
    p = bmm(batch1, batch2).sum(0)
    return (input * beta if beta != 1 else input) + (p * alpha if alpha != 1 else p)


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2`` in the three tensors' promoted dtype (an integer
    result truncates ``value``, as torch's kernel casts it)."""
    dts = (input.dtype, tensor1.dtype, tensor2.dtype)
    if all(dt is D.bool_ for dt in dts):
        raise NotImplementedError("\"addcmul_cpu_out\" not implemented for 'Bool'")
    input, tensor1, tensor2 = _common3(input, tensor1, tensor2)
    if not input.dtype.is_floating_point:
        value = int(value)
    return input + value * tensor1 * tensor2


def _common3(a, b, c):
    """The three operands in their promoted dtype, the dtype torch's kernel computes in (their
    shapes broadcast in order first, as torch's error reports them)."""
    U.broadcast_shapes(a.shape, b.shape, c.shape)
    dt = U.result_dtype(a, b, c)
    return tuple(t_ if t_.dtype == dt else t_.to(dt) for t_ in (a, b, c))


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2`` (true division; integer ``tensor1`` and ``tensor2``
    together are torch's error)."""
    if not tensor1.dtype.is_floating_point and not tensor2.dtype.is_floating_point:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
            "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
            "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
            "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
            "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
            "for all dtypes.")
    input, tensor1, tensor2 = _common3(input, tensor1, tensor2)
    return input + value * tensor1 / tensor2


def chain_matmul(*matrices):
    r = matrices[0]
    for m in matrices[1:]:
        r = mm(r, m)
    return r


class Einsum(Op):
    """``einsum`` with explicit output; the gradient of operand i is an einsum of the output
    gradient with the other operands, summed back over broadcast / repeated labels."""

    @staticmethod
    def forward(ctx, *arrays, eq):
        ctx.eq = eq
        ctx.arrays_shapes = [a.shape for a in arrays]
        return xp_of(arrays[0]).einsum(eq, *arrays, optimize=len(arrays) > 2)

    @staticmethod
    def backward(ctx, g):
        ins, out = ctx.eq.split("->")
        terms = ins.split(",")
        others = ctx.saved_tensors  # the operands as graph tensors: double backward works
        res = []
        for i, need in enumerate(ctx.needs_input_grad):
            if not need:
                res.append(None)
                continue
            term = terms[i]
            if len(set(term)) != len(term):
                res.append(_einsum_grad_repeated(ctx, g, i, terms, out, others))
                continue
            # labels of term i that appear in neither the output nor other operands are summed
            # over in the forward, so their gradient is broadcast back
            ops = [g] + [others[j] for j in range(len(terms)) if j != i]
            sub = [out] + [terms[j] for j in range(len(terms)) if j != i]
            avail = set("".join(sub))
            kept = "".join(c for c in term if c in avail)
            gi = einsum(",".join(sub) + "->" + kept, *ops)
            if kept != term:
                shape = []
                for c in term:
                    shape.append(ctx.arrays_shapes[i][term.index(c)] if c not in kept else None)
                view_shape = [1 if c not in kept else gi.shape[kept.index(c)] for c in term]
                gi = gi.reshape(tuple(view_shape)).expand(ctx.arrays_shapes[i])
            res.append(gi)
        return tuple(res)


def _einsum_grad_repeated(ctx, g, i, terms, out, others):
    """Operand with a repeated label (e.g. 'ii->'): go through an explicit diagonal mask."""
    term = terms[i]
    xp = xp_of(g._data)
    shape = ctx.arrays_shapes[i]
    uniq = "".join(dict.fromkeys(term))
    ops = [g] + [others[j] for j in range(len(terms)) if j != i]
    sub = [out] + [terms[j] for j in range(len(terms)) if j != i]
    sizes = {c: shape[term.index(c)] for c in uniq}
    avail = set("".join(sub))
    kept = "".join(c for c in uniq if c in avail)
    gi = einsum(",".join(sub) + "->" + kept, *ops)
    gi = gi.reshape(tuple(gi.shape[kept.index(c)] if c in kept else 1 for c in uniq)).expand(
        tuple(sizes[c] for c in uniq))
    # delta tensor mapping unique labels to the repeated layout
    eye_terms = []
    eye_ops = []
    # the delta's labels: letters the equation does not use (it may use upper case too)
    fresh = iter([c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  if c not in ctx.eq])
    for c in uniq:
        pos = [k for k, cc in enumerate(term) if cc == c]
        if len(pos) > 1:
            n = sizes[c]
            letters = "".join(next(fresh) for _ in pos)
            eye_terms.append((c, letters))
            e = xp.zeros((n,) * len(pos), g._data.dtype)
            ar = xp.arange(n)
            e[(ar,) * len(pos)] = 1
            eye_ops.append(U.Tensor._make(e, None))
    target = list(term)
    rename = {}
    for c, letters in eye_terms:
        pos = [k for k, cc in enumerate(term) if cc == c]
        for k, p in enumerate(pos):
            target[p] = letters[k]
        rename[c] = letters
    eq = uniq + "," + ",".join(letters for _, letters in eye_terms)
    # map each unique repeated label c to its first letter inside the delta
    src = "".join(rename[c][0] if c in rename else c for c in uniq)
    eq = src + "," + ",".join(letters for _, letters in eye_terms) + "->" + "".join(target)
    return einsum(eq, gi, *eye_ops)


def _sublist_label(n) -> str:
    """torch's letter for a subscript-list entry: 0-25 -> A-Z, 26-51 -> a-z, ``...`` as is."""
    if n is Ellipsis:
        return "..."
    if 0 <= n < 26:
        return chr(ord("A") + n)
    if 26 <= n < 52:
        return chr(ord("a") + n - 26)
    raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")


def einsum(*args):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``, or in the sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` (integers 0..51 as labels, ``...`` allowed)."""
    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], U.Tensor):
        equation = ",".join("".join(_sublist_label(n) for n in sub) for sub in args[1::2])
        if len(args) % 2 == 1:
            equation += "->" + "".join(_sublist_label(n) for n in args[-1])
            operands = args[:-1:2]
        else:
            operands = args[::2]
    else:
        equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "->" not in eq:
        ins = eq
        letters = [c for c in ins.replace(",", "").replace(".", "")]
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        if "..." in ins:
            out = "..." + out
        eq = ins + "->" + out
    if "..." in eq:
        eq = _expand_ellipsis(eq, operands)
    ts = list(_amp.lower(*operands))
    dt = U.result_dtype(*ts)
    ts = [t.to(dt) if t.dtype is not dt else t for t in ts]
    return _einsum_op(len(ts)).apply(*ts, eq=eq)


_EINSUM_OPS: dict = {}


def _einsum_op(n: int):
    """Einsum node class for ``n`` operands (``_save_in`` names all of them)."""
    cls = _EINSUM_OPS.get(n)
    if cls is None:
        cls = _EINSUM_OPS[n] = type("Einsum", (Einsum,), {"_save_in": tuple(range(n))})
    return cls


def _expand_ellipsis(eq, operands):
    ins, out = eq.split("->")
    terms = ins.split(",")
    used = set(eq)
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    nmax = 0
    new_terms = []
    for t, op in zip(terms, operands):
        if "..." in t:
            n = op.ndim - (len(t) - 3)
            nmax = max(nmax, n)
    ell = "".join(free[:nmax])
    for t, op in zip(terms, operands):
        if "..." in t:
            n = op.ndim - (len(t) - 3)
            t = t.replace("...", ell[nmax - n:])
        new_terms.append(t)
    out = out.replace("...", ell)
    return ",".join(new_terms) + "->" + out


def tensordot(a, b, dims=2):
    if isinstance(dims, int):
        da = list(range(a.ndim - dims, a.ndim))
        db = list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    letters = "abcdefghijklmnopqrstuvwxyz"
    ta = list(letters[:a.ndim])
    tb = list(letters[a.ndim:a.ndim + b.ndim])
    for i, j in zip(da, db):
        tb[j] = ta[i]
    out = [c for k, c in enumerate(ta) if k not in da] + [c for k, c in enumerate(tb) if k not in db]
    return einsum("".join(ta) + "," + "".join(tb) + "->" + "".join(out), a, b)


def kron(a, b):
    """Kronecker product (block ``a[i] * b``) over the broadcast number of dims."""
    from .elementwise import _need_tensors

    _need_tensors("kron", a, b)
    nd = max(a.ndim, b.ndim)
    a2 = a.reshape((1,) * (nd - a.ndim) + a.shape)
    b2 = b.reshape((1,) * (nd - b.ndim) + b.shape)
    sa = []
    sb = []
    for x, y in zip(a2.shape, b2.shape):
        sa += [x, 1]
        sb += [1, y]
    r = a2.reshape(tuple(sa)) * b2.reshape(tuple(sb))
    return r.reshape(tuple(x * y for x, y in zip(a2.shape, b2.shape)))
