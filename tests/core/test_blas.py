"""matmul family and einsum vs torch (batched, broadcast, 1-D cases, errors)."""
import numpy as np
import pytest
import torch

import danlu
from tests._oracle import compare_fn

rng = np.random.default_rng(4)


def R(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


MATMUL_SHAPES = [((3, 4), (4, 2)), ((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)), ((2, 3, 4), (4, 5)),
                 ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,)),
                 ((0, 3), (3, 2)), ((3, 0), (0, 2)),
                 # inner size 1: computed as an outer product (broadcast multiply), not by BLAS
                 ((3, 1), (1, 5)), ((2, 3, 1), (1, 4)), ((2, 1, 3, 1), (5, 1, 2)), ((1,), (1, 3)), ((0, 1), (1, 2))]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes, dtype):
    a, b = (R(*s, dtype=dtype) for s in shapes)
    compare_fn(lambda l, a, b: a @ b, a, b)
    compare_fn(lambda l, a, b: l.matmul(a, b), a, b)


def test_matmul_noncontiguous_and_int():
    compare_fn(lambda l, a, b: a.t() @ b[:, ::2], R(4, 3), R(4, 6))
    compare_fn(lambda l, a, b: a.mT @ b, R(2, 4, 3), R(4, 2))
    ia, ib = rng.integers(-3, 3, (2, 3)), rng.integers(-3, 3, (3, 2))
    compare_fn(lambda l, a, b: a @ b, ia, ib)


BLAS = {
    "mm": lambda l, a, b, c: l.mm(a, b), "bmm": lambda l, a, b, c: l.bmm(a[None], b[None]),
    "mv": lambda l, a, b, c: l.mv(a, c), "dot": lambda l, a, b, c: l.dot(c, c * 2),
    "vdot": lambda l, a, b, c: l.vdot(c, c + 1), "inner": lambda l, a, b, c: l.inner(a, b.t()),
    "outer": lambda l, a, b, c: l.outer(c, c[:2]), "ger": lambda l, a, b, c: c.ger(c),
    "addmm": lambda l, a, b, c: l.addmm(c[:1], a, b, beta=0.5, alpha=2),
    "addmv": lambda l, a, b, c: l.addmv(c[:3], a, c, alpha=0.3),
    "baddbmm": lambda l, a, b, c: l.baddbmm(c[:1], a[None], b[None], beta=2),
    "addbmm": lambda l, a, b, c: l.addbmm(a @ b, a.expand(2, 3, 4), b.expand(2, 4, 3)),
    "kron": lambda l, a, b, c: l.kron(a[:2, :2], b[:2]), "tensordot": lambda l, a, b, c: l.tensordot(a, b, dims=([1], [0])),
    "tensordot2": lambda l, a, b, c: l.tensordot(a, b.t(), 2), "chain": lambda l, a, b, c: l.linalg.multi_dot([a, b, a]) if hasattr(l.linalg, "multi_dot") else a @ b @ a,
    "chain_matmul": lambda l, a, b, c: l.chain_matmul(a, b, a),
}


@pytest.mark.parametrize("name", sorted(BLAS))
def test_blas(name):
    compare_fn(BLAS[name], R(3, 4), R(4, 3), R(4))


EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 2)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]), ("ij->ji", [(2, 3)]), ("i,j->ij", [(3,), (4,)]), ("i,i->", [(3,), (3,)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]), ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,ij->i", [(3, 4), (3, 4)]), ("ijk->", [(2, 3, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i j , j k -> i k", [(2, 3), (3, 2)]), ("ijj->ij", [(2, 3, 3)]), ("ij,kj", [(2, 3), (4, 3)]),
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]), ("ABB->AB", [(2, 3, 3)]), ("aBB,Bc->ac", [(2, 3, 3), (3, 2)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum(eq, shapes):
    arrs = [R(*s) for s in shapes]
    compare_fn(lambda l, *xs: l.einsum(eq, *xs), *arrs)
    if len(arrs) == 2:
        compare_fn(lambda l, *xs: l.einsum(eq, list(xs)), *arrs)


def test_einsum_sublist_format():
    """``einsum(op1, sublist1, op2, sublist2, ..., [out])``: ints 0..51 label A-Z then a-z."""
    a, b, c = R(2, 3), R(3, 4), R(2, 3, 3)
    compare_fn(lambda l, x, y: l.einsum(x, [0, 1], y, [1, 2], [0, 2]), a, b)
    compare_fn(lambda l, x, y: l.einsum(x, [0, 1], y, [1, 2]), a, b)          # implicit output
    compare_fn(lambda l, x, y: l.einsum(x, [30, 1], y, [1, 2]), a, b)         # 'e' sorts after 'C'
    compare_fn(lambda l, x, y: l.einsum(x, [Ellipsis, 1], y, [1, 2], [Ellipsis, 2]), c, b)
    compare_fn(lambda l, x: l.einsum(x, [0, 1, 1], [0, 1]), c)
    for lib in (danlu, torch):
        with pytest.raises(ValueError, match="must specify the equation string"):
            lib.einsum(lib.ones(2))
        with pytest.raises(ValueError, match=r"not within the valid range \[0, 52\)"):
            lib.einsum(lib.ones(2), [52])


def test_matmul_errors_match_torch():
    a, b = danlu.zeros(2, 3), danlu.zeros(4, 5)
    ta, tb = torch.zeros(2, 3), torch.zeros(4, 5)
    msg = r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"
    with pytest.raises(RuntimeError, match=msg):
        ta @ tb
    with pytest.raises(RuntimeError, match=msg):
        a @ b
    with pytest.raises(RuntimeError, match=msg):
        danlu.mm(a, b)
    with pytest.raises(RuntimeError, match="inconsistent tensor size"):
        danlu.dot(danlu.zeros(3), danlu.zeros(4))
    with pytest.raises(RuntimeError, match="both arguments to matmul need to be at least 1D"):
        danlu.matmul(danlu.tensor(1.0), a)
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        danlu.bmm(a, a)
    with pytest.raises(RuntimeError):
        danlu.zeros(2, 3, 4) @ danlu.zeros(3, 5, 2)


def test_matmul_dtype_mismatch_error():
    with pytest.raises(RuntimeError, match="expected (m1 and m2|both vectors|mat1 and mat2) to have the same dtype"):
        danlu.zeros(2, 3) @ danlu.zeros(3, 2, dtype=danlu.float64)


@pytest.mark.parametrize("name", ["addmm", "baddbmm", "addbmm", "addmv"])
def test_half_fused_products_round_once_like_torch(name):
    """float16: beta*input + alpha*(a b) in float32, rounded once (torch's CPU kernels); at most one
    ulp from torch (summation order), gradients in float16."""
    r = np.random.default_rng(5)
    i, a, b = (r.standard_normal(s).astype(np.float16) for s in [(16, 8), (16, 32), (32, 8)])
    fns = {"addmm": lambda L, i, a, b: L.addmm(i, a, b, beta=0.5, alpha=2.0),
           "baddbmm": lambda L, i, a, b: L.baddbmm(i.expand(2, 16, 8), a.expand(2, 16, 32), b.expand(2, 32, 8),
                                                    beta=0.5, alpha=2.0),
           "addbmm": lambda L, i, a, b: L.addbmm(i, a.expand(2, 16, 32), b.expand(2, 32, 8), beta=0.5, alpha=2.0),
           "addmv": lambda L, i, a, b: L.addmv(i[:, 0], a, b[:, 0], beta=0.5, alpha=2.0)}
    outs = []
    for L in (torch, danlu):
        ts = [L.from_numpy(x.copy()).requires_grad_() for x in (i, a, b)]
        y = fns[name](L, *ts)
        y.float().sum().backward()
        outs.append((y.detach().float().numpy(), [t.grad for t in ts]))
    (t, tg), (d, dg) = outs
    ulp = np.spacing(np.abs(t).astype(np.float16)).astype(np.float32)
    assert (np.abs(t - d) <= ulp).all()
    assert all(g.dtype is danlu.float16 for g in dg)
