"""danlu.linalg vs torch.linalg: values (gauge-invariant where needed), gradients, gradcheck,
gradgradcheck, batched inputs, errors."""
import numpy as np
import pytest
import torch

import danlu
from danlu.autograd import gradcheck, gradgradcheck
from tests._oracle import assert_close, compare_fn, to_danlu, to_torch

rng = np.random.default_rng(7)


def R(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


def spd(*batch, n=3, dtype="float64"):
    a = R(*batch, n, n)
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


def sym(l, a):
    return (a + a.mT) / 2


CASES = {
    "inv": (lambda l, a: l.linalg.inv(a), lambda: R(3, 3) + 3 * np.eye(3)),
    "inv_batched": (lambda l, a: l.linalg.inv(a), lambda: R(2, 3, 3) + 3 * np.eye(3)),
    "inverse": (lambda l, a: l.inverse(a), lambda: R(3, 3) + 3 * np.eye(3)),
    "det": (lambda l, a: l.linalg.det(a), lambda: R(2, 3, 3)),
    "det_top": (lambda l, a: l.det(a) + a.det(), lambda: R(4, 4)),
    "slogdet": (lambda l, a: tuple(l.linalg.slogdet(a)), lambda: R(2, 3, 3)),
    "logdet": (lambda l, a: l.logdet(a), lambda: spd(2)),
    "eigvalsh": (lambda l, a: l.linalg.eigvalsh(sym(l, a)), lambda: R(2, 3, 3)),
    "eigh_vecs": (lambda l, a: (lambda r: (r[0], r[1].abs(), r[1] @ r[1].mT))(l.linalg.eigh(sym(l, a))), lambda: R(3, 3)),
    "eigh_U": (lambda l, a: l.linalg.eigh(a, UPLO="U")[1] ** 2, lambda: R(4, 4)),
    "svdvals": (lambda l, a: l.linalg.svdvals(a), lambda: R(2, 4, 3)),
    "svd_reduced_tall": (lambda l, a: (lambda r: (r.S, (r.U * r.S.unsqueeze(-2)) @ r.Vh, r.U.abs(), r.Vh.abs()))(
        l.linalg.svd(a, full_matrices=False)), lambda: R(4, 3)),
    "svd_reduced_wide": (lambda l, a: (lambda r: (r.S, r.U.abs(), r.Vh.abs()))(l.linalg.svd(a, full_matrices=False)),
                         lambda: R(2, 3, 5)),
    "svd_full_S": (lambda l, a: l.linalg.svd(a)[1], lambda: R(4, 2)),
    "svd_legacy": (lambda l, a: (lambda r: (r.S, r.U.abs(), r.V.abs()))(l.svd(a)), lambda: R(4, 3)),
    "solve": (lambda l, a, b: l.linalg.solve(a, b), lambda: (R(3, 3) + 3 * np.eye(3), R(3, 2))),
    "solve_vec": (lambda l, a, b: l.linalg.solve(a, b), lambda: (R(3, 3) + 3 * np.eye(3), R(3))),
    "solve_batched_vec": (lambda l, a, b: l.linalg.solve(a, b), lambda: (R(2, 3, 3) + 3 * np.eye(3), R(2, 3))),
    "solve_broadcast": (lambda l, a, b: l.linalg.solve(a, b), lambda: (R(3, 3) + 3 * np.eye(3), R(2, 3, 4))),
    "solve_right": (lambda l, a, b: l.linalg.solve(a, b, left=False), lambda: (R(3, 3) + 3 * np.eye(3), R(2, 3))),
    "cholesky": (lambda l, a: l.linalg.cholesky(a), lambda: spd(2)),
    "cholesky_upper": (lambda l, a: l.linalg.cholesky(a, upper=True), lambda: spd()),
    "cholesky_top": (lambda l, a: l.cholesky(a), lambda: spd()),
    "qr_tall": (lambda l, a: (lambda r: (r.Q.abs(), r.R.abs(), r.Q @ r.R))(l.linalg.qr(a)), lambda: R(4, 3)),
    "qr_square_batched": (lambda l, a: (lambda r: (r.Q * r.R.diagonal(0, -2, -1).sign().unsqueeze(-2)))(l.linalg.qr(a)),
                          lambda: R(2, 3, 3)),
    "qr_wide": (lambda l, a: (lambda r: (r.Q.abs(), r.R.abs()))(l.linalg.qr(a)), lambda: R(3, 5)),
    "qr_r": (lambda l, a: l.linalg.qr(a, mode="r")[1].abs(), lambda: R(4, 3)),
    "qr_complete": (lambda l, a: l.linalg.qr(a, mode="complete")[0].shape[-1] * 1.0 + a.sum(), lambda: R(4, 2)),
    "pinv": (lambda l, a: l.linalg.pinv(a), lambda: R(4, 3)),
    "pinv_wide_batched": (lambda l, a: l.linalg.pinv(a), lambda: R(2, 2, 4)),
    "pinverse": (lambda l, a: l.pinverse(a), lambda: R(3, 2)),
    "matrix_rank": (lambda l, a: l.linalg.matrix_rank(a), lambda: np.stack([R(3, 3), np.outer(R(3), R(3))])),
    "matrix_norm_nuc": (lambda l, a: l.linalg.matrix_norm(a, "nuc"), lambda: R(2, 3, 4)),
    "matrix_norm_2": (lambda l, a: l.linalg.matrix_norm(a, 2), lambda: R(3, 4)),
    "matrix_norm_m2": (lambda l, a: l.linalg.matrix_norm(a, -2, keepdim=True), lambda: R(3, 3)),
    "norm_nuc": (lambda l, a: l.linalg.norm(a, "nuc"), lambda: R(3, 3)),
    "matrix_power": (lambda l, a: l.linalg.matrix_power(a, 3), lambda: R(3, 3)),
    "matrix_power_neg": (lambda l, a: l.linalg.matrix_power(a, -2), lambda: R(3, 3) + 3 * np.eye(3)),
    "matrix_power_0": (lambda l, a: l.matrix_power(a, 0), lambda: R(2, 3, 3)),
    "multi_dot": (lambda l, a: l.linalg.multi_dot([a, a.mT, a]), lambda: R(3, 2)),
    "cond": (lambda l, a: l.linalg.cond(a), lambda: R(3, 3)),
    "cross": (lambda l, a: l.linalg.cross(a, a.roll(1, 0)), lambda: R(2, 3)),
    "lstsq": (lambda l, a, b: l.linalg.lstsq(a, b).solution, lambda: (R(5, 3), R(5, 2))),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_linalg_vs_torch(name, dtype):
    fn, make = CASES[name]
    arrs = make()
    arrs = arrs if isinstance(arrs, tuple) else (arrs,)
    arrs = [a.astype(dtype) for a in arrs]
    tol = {} if dtype == "float64" else {"rtol": 2e-3, "atol": 2e-4}
    if dtype == "float64":
        tol = {"rtol": 1e-7, "atol": 1e-9}
    compare_fn(fn, *arrs, grad=name not in ("matrix_rank", "qr_r"), **tol)


GRAD = {
    "inv": (lambda a: danlu.linalg.inv(a), [(3, 3)], "wellcond"),
    "solve": (lambda a, b: danlu.linalg.solve(a, b), [(3, 3), (3, 2)], "wellcond"),
    "det": (lambda a: danlu.linalg.det(a), [(2, 3, 3)], None),
    "slogdet": (lambda a: danlu.linalg.slogdet(a)[1], [(3, 3)], None),
    "eigh": (lambda a: (lambda r: (r[0], r[1] ** 2))(danlu.linalg.eigh(a + a.mT)), [(3, 3)], None),
    "eigvalsh": (lambda a: danlu.linalg.eigvalsh(a + a.mT), [(2, 3, 3)], None),
    "svd_tall": (lambda a: (lambda r: (r.S, r.U @ r.Vh))(danlu.linalg.svd(a, full_matrices=False)), [(4, 3)], None),
    "svd_wide": (lambda a: (lambda r: (r.S, r.U.abs(), r.Vh.abs()))(danlu.linalg.svd(a, full_matrices=False)), [(2, 4)], None),
    "svdvals": (lambda a: danlu.linalg.svdvals(a), [(3, 3)], None),
    "qr_tall": (lambda a: tuple(danlu.linalg.qr(a)), [(4, 3)], "wellcond"),
    "qr_wide": (lambda a: tuple(danlu.linalg.qr(a)), [(2, 3)], "wellcond"),
    "cholesky": (lambda a: danlu.linalg.cholesky(a @ a.mT + 3 * danlu.eye(3, dtype=a.dtype)), [(3, 3)], None),
    "pinv": (lambda a: danlu.linalg.pinv(a), [(3, 2)], None),
    "nuc": (lambda a: danlu.linalg.matrix_norm(a, "nuc"), [(2, 3)], None),
    "lstsq": (lambda a, b: danlu.linalg.lstsq(a, b).solution, [(4, 2), (4,)], None),
}


def _grad_inputs(shapes, kind):
    xs = []
    for s in shapes:
        a = R(*s)
        if kind == "wellcond" and len(s) >= 2 and s[-1] == s[-2]:
            a = a + 3 * np.eye(s[-1])
        xs.append(danlu.tensor(a, dtype=danlu.float64, requires_grad=True))
    return xs


@pytest.mark.parametrize("name", sorted(GRAD))
def test_linalg_gradcheck(name):
    fn, shapes, kind = GRAD[name]
    xs = _grad_inputs(shapes, kind)
    assert gradcheck(fn, xs, atol=1e-6, rtol=1e-4)
    assert gradgradcheck(fn, xs, atol=1e-5, rtol=1e-3)


def test_linalg_errors_match_torch():
    sq = "A must be batches of square matrices, but they are 2 by 3 matrices"
    for fn in ("inv", "det", "eigh", "cholesky", "slogdet"):
        with pytest.raises(RuntimeError, match=sq):
            getattr(danlu.linalg, fn)(danlu.zeros(2, 3))
        with pytest.raises(RuntimeError, match=sq):
            getattr(torch.linalg, fn)(torch.zeros(2, 3))
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    msg = "linalg.inv: The diagonal element 2 is zero, the inversion could not be completed because the input matrix is singular."
    with pytest.raises(RuntimeError, match=msg.replace(".", r"\.")):
        torch.linalg.inv(to_torch(sing))
    with pytest.raises(RuntimeError, match=msg.replace(".", r"\.")):
        danlu.linalg.inv(to_danlu(sing))
    msg = "linalg.solve: The solver failed because the input matrix is singular."
    with pytest.raises(RuntimeError, match=msg):
        torch.linalg.solve(to_torch(sing), to_torch(np.ones(2)))
    with pytest.raises(RuntimeError, match=msg):
        danlu.linalg.solve(to_danlu(sing), to_danlu(np.ones(2)))
    npd = np.array([[1.0, 2.0], [2.0, 1.0]])
    msg = r"linalg.cholesky: The factorization could not be completed because the input is not positive-definite \(the leading minor of order 2 is not positive-definite\)."
    with pytest.raises(RuntimeError, match=msg):
        torch.linalg.cholesky(to_torch(npd))
    with pytest.raises(RuntimeError, match=msg):
        danlu.linalg.cholesky(to_danlu(npd))
    with pytest.raises(RuntimeError, match="The input tensor A must have at least 2 dimensions"):
        danlu.linalg.inv(danlu.zeros(3))
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        danlu.linalg.det(danlu.zeros(2, 2, dtype=danlu.int64))
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        torch.linalg.det(torch.zeros(2, 2, dtype=torch.int64))


def test_matrix_norm_and_norm_errors_and_dims_match_torch():
    """torch.norm: 'fro' over at most two dims is a vector 2-norm, any other string p goes to
    matrix_norm over ``dim`` (all dims when None); matrix_norm checks the order, then A's
    dims, then a 2-tuple of distinct dims."""
    a = R(2, 3, 4)
    cases = [("norm", "nuc", None), ("norm", "fro", (0, 1, 2)), ("norm", "abc", None),
             ("norm", "nuc", (0,)), ("norm", "nuc", (0, 2)), ("norm", "fro", (1, 2)),
             ("matrix_norm", 3, (0, 1, 2)), ("matrix_norm", "abc", (0, 0)),
             ("matrix_norm", "fro", (0, 0)), ("matrix_norm", 1, (1, -2)),
             ("matrix_norm", 2, (0, 1, 2)), ("matrix_norm", "nuc", (2, 0))]
    for fn, p, dim in cases:
        res = []
        for lib, x in ((danlu, to_danlu(a)), (torch, to_torch(a))):
            f = lib.norm if fn == "norm" else lib.linalg.matrix_norm
            try:
                res.append(f(x, p, dim) if fn == "norm" else f(x, p, dim))
            except RuntimeError as e:
                res.append(str(e))
        if isinstance(res[1], str):
            assert res[0] == res[1], (fn, p, dim)
        else:
            assert_close(res[0], res[1])
    with pytest.raises(RuntimeError, match="Order abc not supported"):
        danlu.linalg.matrix_norm(danlu.ones(3), "abc")


def test_qr_mode_r_grad_error():
    msg = "The derivative of linalg.qr depends on Q, which is not computed when mode='r'"
    for lib, x in ((danlu, to_danlu(R(3, 2), True)), (torch, to_torch(R(3, 2), True))):
        with pytest.raises(RuntimeError, match=msg):
            lib.linalg.qr(x, mode="r")[1].sum().backward()


def test_svd_full_matrices_shapes_and_grad_error():
    a = R(4, 2)
    U, S, Vh = danlu.linalg.svd(to_danlu(a))
    Ut, St, Vht = torch.linalg.svd(to_torch(a))
    assert U.shape == Ut.shape and S.shape == St.shape and Vh.shape == Vht.shape
    x = to_danlu(a, True)
    with pytest.raises(RuntimeError, match="full_matrices=True in forward is not supported"):
        danlu.linalg.svd(x).U.sum().backward()


def test_lstsq_fields_vs_torch():
    a, b = R(5, 3), R(5, 2)
    d, t = danlu.linalg.lstsq(to_danlu(a), to_danlu(b)), torch.linalg.lstsq(to_torch(a), to_torch(b))
    assert_close(d.solution, t.solution, rtol=1e-8, atol=1e-10)
    assert int(d.rank) == int(t.rank)


@pytest.mark.parametrize("driver", [None, "gelsy", "gelsd", "gelss", "gels"])
@pytest.mark.parametrize("shapes", [((5, 3), (5, 2)), ((2, 5, 3), (2, 5, 2)), ((3, 5), (3, 2))])
def test_lstsq_driver_fields_like_torch(driver, shapes):
    """Which fields are filled depends on the driver, as in torch on CPU."""
    if driver == "gels" and shapes[0][-2] < shapes[0][-1]:
        pytest.skip("gels needs a full-rank tall A")
    a, b = R(*shapes[0]), R(*shapes[1])
    kw = {} if driver is None else {"driver": driver}
    d, t = danlu.linalg.lstsq(to_danlu(a), to_danlu(b), **kw), torch.linalg.lstsq(to_torch(a), to_torch(b), **kw)
    for x, y in zip(d, t):
        assert tuple(x.shape) == tuple(y.shape)
        assert_close(x, y, rtol=1e-8, atol=1e-10)
