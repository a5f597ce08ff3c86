"""gradcheck and gradgradcheck (float64, central differences) on every differentiable op."""
import numpy as np
import pytest

import danlu
from danlu.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(5)
D = danlu


def idx(*v):
    return D.tensor(v)


# name -> (fn, input shapes, kind) ; kind "pos": positive inputs, "unit": inside (-0.9, 0.9)
OPS = {
    "add": (lambda a, b: a + b, [(2, 3), (3,)]), "sub": (lambda a, b: a - b * 2, [(2, 3), (2, 1)]),
    "mul": (lambda a, b: a * b, [(2, 3), (2, 3)]), "div": (lambda a, b: a / b, [(2, 3), (3,)], "pos"),
    "pow": (lambda a, b: a ** b, [(2, 3), (2, 3)], "pos"), "pow_scalar": (lambda a: a ** 3, [(2, 3)]),
    "rpow": (lambda a: 1.7 ** a, [(2, 3)]), "maximum": (lambda a, b: D.maximum(a, b), [(2, 3), (3,)]),
    "minimum": (lambda a, b: D.minimum(a, b), [(2, 3), (2, 3)]), "atan2": (lambda a, b: D.atan2(a, b), [(4,), (4,)]),
    "lerp": (lambda a, b, w: D.lerp(a, b, w), [(3,), (3,), (3,)]), "hypot": (lambda a, b: D.hypot(a, b), [(3,), (3,)]),
    "logaddexp": (lambda a, b: D.logaddexp(a, b), [(3,), (3,)]), "xlogy": (lambda a, b: D.xlogy(a, b), [(3,), (3,)], "pos"),
    "remainder": (lambda a: D.remainder(a * 3, 1.3), [(4,)]), "fmod": (lambda a: D.fmod(a * 3, 1.3), [(4,)]),
    "exp": (D.exp, [(2, 3)]), "expm1": (D.expm1, [(2, 3)]), "log": (D.log, [(2, 3)], "pos"),
    "log2": (D.log2, [(3,)], "pos"), "log10": (D.log10, [(3,)], "pos"), "log1p": (D.log1p, [(3,)], "pos"),
    "sqrt": (D.sqrt, [(3,)], "pos"), "rsqrt": (D.rsqrt, [(3,)], "pos"), "square": (D.square, [(3,)]),
    "sin": (D.sin, [(3,)]), "cos": (D.cos, [(3,)]), "tan": (D.tan, [(3,)], "unit"), "tanh": (D.tanh, [(3,)]),
    "asin": (D.asin, [(3,)], "unit"), "acos": (D.acos, [(3,)], "unit"), "atan": (D.atan, [(3,)]),
    "sinh": (D.sinh, [(3,)]), "cosh": (D.cosh, [(3,)]), "sigmoid": (D.sigmoid, [(3,)]),
    "relu": (D.relu, [(5,)]), "erf": (D.erf, [(3,)]), "erfc": (D.erfc, [(3,)]), "erfinv": (D.erfinv, [(3,)], "unit"),
    "abs": (D.abs, [(4,)]), "neg": (D.neg, [(3,)]), "reciprocal": (D.reciprocal, [(3,)], "pos"),
    "sinc": (D.sinc, [(3,)]), "exp2": (D.exp2, [(3,)]), "frac": (D.frac, [(3,)]),
    "clamp": (lambda a: a.clamp(-0.5, 0.5), [(6,)]), "clamp_t": (lambda a, lo: D.clamp(a, lo, lo + 0.5), [(6,), (6,)]),
    "where": (lambda a, b: D.where(a > 0, a, b), [(2, 3), (3,)]), "masked_fill": (lambda a: a.masked_fill(a > 0, 0.5), [(4,)]),
    "sum": (lambda a: a.sum(1), [(2, 3)]), "sum_all": (lambda a: a.sum(), [(2, 3)]), "mean": (lambda a: a.mean((0, 1), keepdim=True), [(2, 3)]),
    "prod": (lambda a: a.prod(1), [(2, 3)]), "prod_all": (lambda a: a.prod(), [(2, 3)]),
    "amax": (lambda a: a.amax(1), [(2, 3)]), "amin": (lambda a: a.amin(0), [(2, 3)]), "max_dim": (lambda a: a.max(1)[0], [(2, 3)]),
    "min_all": (lambda a: a.min(), [(2, 3)]), "var": (lambda a: a.var(1), [(2, 3)]), "std": (lambda a: a.std(), [(2, 3)]),
    "var_c0": (lambda a: a.var(0, correction=0), [(3, 2)]), "logsumexp": (lambda a: a.logsumexp(1), [(2, 3)]),
    "cumsum": (lambda a: a.cumsum(1), [(2, 3)]), "cumprod": (lambda a: a.cumprod(1), [(2, 3)]),
    "cummax": (lambda a: a.cummax(0)[0], [(4,)]), "logcumsumexp": (lambda a: a.logcumsumexp(0), [(4,)]),
    "median": (lambda a: a.median(1)[0], [(2, 3)]), "norm": (lambda a: a.norm(), [(2, 3)]),
    "norm_p3": (lambda a: a.norm(3, dim=1), [(2, 3)]), "vector_norm_1": (lambda a: D.linalg.vector_norm(a, 1), [(4,)]),
    "vector_norm_inf": (lambda a: D.linalg.vector_norm(a, float("inf"), 0), [(4, 2)]),
    "matrix_norm_fro": (lambda a: D.linalg.matrix_norm(a), [(3, 3)]), "matrix_norm_1": (lambda a: D.linalg.matrix_norm(a, 1), [(3, 3)]),
    "reshape": (lambda a: a.reshape(3, 2), [(2, 3)]), "permute": (lambda a: a.permute(1, 0) * a.t(), [(2, 3)]),
    "expand": (lambda a: a.expand(3, 2, 3), [(2, 3)]), "repeat": (lambda a: a.repeat(2, 2), [(2, 3)]),
    "repeat_interleave": (lambda a: a.repeat_interleave(2, 0), [(2, 3)]), "tile": (lambda a: a.tile((2,)), [(3,)]),
    "cat": (lambda a, b: D.cat([a, b], 1), [(2, 3), (2, 1)]), "stack": (lambda a, b: D.stack([a, b], 0), [(3,), (3,)]),
    "split": (lambda a: a.split([1, 2], 1)[1], [(2, 3)]), "chunk": (lambda a: a.chunk(2)[1], [(4,)]),
    "unbind": (lambda a: a.unbind(1)[2], [(2, 3)]), "flip": (lambda a: a.flip(0), [(2, 3)]),
    "roll": (lambda a: a.roll(1, 1), [(2, 3)]), "narrow": (lambda a: a.narrow(1, 1, 2), [(2, 3)]),
    "tril": (lambda a: a.tril(), [(3, 3)]), "triu": (lambda a: a.triu(1), [(3, 3)]),
    "diagonal": (lambda a: a.diagonal(), [(3, 3)]), "diag_embed": (lambda a: D.diag_embed(a), [(2, 3)]),
    "diag": (lambda a: D.diag(a, 1), [(3,)]), "trace": (lambda a: a.trace(), [(3, 3)]),
    "squeeze_unsqueeze": (lambda a: a.unsqueeze(1).squeeze(1), [(3,)]), "movedim": (lambda a: a.movedim(0, 1), [(2, 3)]),
    "rot90": (lambda a: a.rot90(), [(2, 3)]), "broadcast_to": (lambda a: a.broadcast_to((2, 3)), [(3,)]),
    "getitem_basic": (lambda a: a[1:, ::2], [(3, 4)]), "getitem_adv": (lambda a: a[idx(0, 2, 0)], [(3, 2)]),
    "getitem_mask": (lambda a: a[a > 0], [(3, 2)]), "getitem_mixed": (lambda a: a[[0, 1], 1:], [(3, 3)]),
    "setitem": (lambda a, b: _setitem(a, b), [(3, 3), (3,)]),
    "gather": (lambda a: a.gather(1, idx([0, 0], [2, 1])), [(2, 3)]),
    "scatter": (lambda a, b: a.scatter(1, idx([0, 2], [1, 0]), b), [(2, 3), (2, 2)]),
    "scatter_add": (lambda a, b: a.scatter_add(1, idx([0, 0], [1, 1]), b), [(2, 3), (2, 2)]),
    "scatter_amax": (lambda a, b: a.scatter_reduce(1, idx([0, 0], [1, 2]), b, "amax"), [(2, 3), (2, 2)]),
    "scatter_prod": (lambda a, b: a.scatter_reduce(1, idx([0, 0], [1, 2]), b, "prod"), [(2, 3), (2, 2)]),
    "index_select": (lambda a: a.index_select(0, idx(1, 1, 0)), [(2, 3)]),
    "index_add": (lambda a, b: a.index_add(0, idx(1, 1), b), [(2, 3), (2, 3)]),
    "index_copy": (lambda a, b: a.index_copy(0, idx(1), b), [(2, 3), (1, 3)]),
    "index_put": (lambda a, b: a.index_put((idx(0, 1),), b, accumulate=True), [(2, 3), (3,)]),
    "masked_select": (lambda a: a.masked_select(a > 0), [(2, 3)]),
    "masked_scatter": (lambda a, b: a.masked_scatter(a > 0, b), [(2, 3), (6,)]),
    "take_along_dim": (lambda a: D.take_along_dim(a, idx([1, 0, 2]), 1), [(2, 3)]),
    "sort": (lambda a: a.sort(1)[0], [(2, 3)]), "topk": (lambda a: a.topk(2)[0], [(2, 3)]),
    "kthvalue": (lambda a: a.kthvalue(2, 1)[0], [(2, 3)]),
    "matmul": (lambda a, b: a @ b, [(2, 3), (3, 2)]), "matmul_batched": (lambda a, b: a @ b, [(2, 2, 3), (3,)]),
    "mv": (lambda a, b: D.mv(a, b), [(2, 3), (3,)]), "dot": (lambda a, b: D.dot(a, b), [(3,), (3,)]),
    "outer": (lambda a, b: D.outer(a, b), [(3,), (2,)]), "bmm": (lambda a, b: D.bmm(a, b), [(2, 2, 3), (2, 3, 2)]),
    "addmm": (lambda c, a, b: D.addmm(c, a, b, beta=0.5, alpha=2.0), [(2,), (2, 3), (3, 2)]),
    "baddbmm": (lambda c, a, b: D.baddbmm(c, a, b), [(2, 2), (2, 2, 3), (2, 3, 2)]),
    "addcmul": (lambda c, a, b: D.addcmul(c, a, b, value=0.5), [(3,), (3,), (3,)]),
    "addcdiv": (lambda c, a, b: D.addcdiv(c, a, b), [(3,), (3,), (3,)], "pos"),
    "einsum": (lambda a, b: D.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 2)]),
    "einsum_diag": (lambda a: D.einsum("ii->", a) * D.einsum("ij,ij->i", a, a).sum(), [(3, 3)]),
    "kron": (lambda a, b: D.kron(a, b), [(2, 2), (2, 1)]), "tensordot": (lambda a, b: D.tensordot(a, b, 1), [(2, 3), (3, 2)]),
    "cdist": (lambda a, b: D.cdist(a, b), [(3, 2), (2, 2)]), "cast_noop": (lambda a: a.double() * a.to(D.float64), [(3,)]),
    "clone": (lambda a: a.clone() * a, [(3,)]), "inplace_chain": (lambda a: _inplace(a), [(3,)]),
    # more elementwise ops and special functions (tests/core/test_more_elementwise.py)
    "asinh": (D.asinh, [(3,)]), "acosh": (lambda a: D.acosh(a + 1), [(3,)], "pos"),
    "atanh": (D.atanh, [(3,)], "unit"), "copysign": (lambda a, b: D.copysign(a, b), [(2, 3), (3,)]),
    "ldexp": (lambda a: D.ldexp(a, D.tensor([1, -2, 3])), [(3,)]),
    "logaddexp2": (lambda a, b: D.logaddexp2(a, b), [(3,), (2, 3)]),
    "frexp": (lambda a: D.frexp(a * 5)[0], [(3,)]), "lgamma": (D.lgamma, [(4,)]),
    "digamma": (D.digamma, [(4,)]), "polygamma1": (lambda a: D.polygamma(1, a), [(4,)]),
    "polygamma2": (lambda a: D.polygamma(2, a), [(3,)], "pos"),
    "mvlgamma": (lambda a: D.mvlgamma(a, 3), [(3,)], "pos"), "i0": (lambda a: D.i0(a * 3), [(4,)]),
    "igamma": (lambda x: D.igamma(D.tensor([0.5, 2.0, 7.0], dtype=D.float64), x), [(3,)], "pos"),
    "igammac": (lambda x: D.igammac(D.tensor([0.5, 2.0, 7.0], dtype=D.float64), x * 4), [(3,)], "pos"),
    "xlogy_inplace": (lambda a, b: (a * 1).xlogy_(b), [(3,), (3,)], "pos"),
}


def _setitem(a, b):
    y = a * 1.0
    y[1] = b * 2
    y[:, 0] = b.exp()
    return y


def _inplace(a):
    y = a * 2
    y.mul_(a).add_(1).exp_()
    y *= a
    return y


def _inputs(shapes, kind):
    xs = []
    for s in shapes:
        x = rng.standard_normal(s)
        if kind == "pos":
            x = np.abs(x) + 0.5
        elif kind == "unit":
            x = np.tanh(x) * 0.8
        else:
            x = np.where(np.abs(x) < 0.05, 0.3, x)
        xs.append(D.tensor(x, dtype=D.float64, requires_grad=True))
    return xs


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradcheck(name):
    fn, shapes, *kind = OPS[name]
    xs = _inputs(shapes, kind[0] if kind else None)
    assert gradcheck(fn, xs, eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradgradcheck(name):
    fn, shapes, *kind = OPS[name]
    xs = _inputs(shapes, kind[0] if kind else None)
    assert gradgradcheck(fn, xs, eps=1e-6, atol=1e-5, rtol=1e-3)


def test_gradcheck_reports_worst_element():
    class Bad(danlu.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # wrong: should be 2x

    x = D.tensor([1.0, 2.0], dtype=D.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"worst element .*analytic .* vs numeric"):
        gradcheck(Bad.apply, (x,))
    assert gradcheck(Bad.apply, (x,), raise_exception=False) is False


def test_gradcheck_with_non_contiguous_inputs_and_outputs():
    """Perturbations and unit output gradients are written element-wise, whatever the strides
    (a reshape(-1) of a transposed tensor would be a copy and the writes would be lost)."""
    x = danlu.randn(3, 4, dtype=danlu.float64).t().detach().requires_grad_()
    assert not x.is_contiguous()
    assert danlu.autograd.gradcheck(lambda a: (a.sin() * 2).movedim(0, 1), (x,))
    assert danlu.autograd.gradgradcheck(lambda a: a.exp().t(), (x,))
