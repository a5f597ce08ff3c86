"""matrix_exp, triangular / Cholesky / LU solves, LU factorizations and Householder products vs
torch: values and gradients (float64, float32), batched and 0-size batches, gradcheck,
gradgradcheck, torch's error messages."""

import numpy as np
import pytest
import torch

import danlu
from danlu.autograd import gradcheck, gradgradcheck
from tests._oracle import assert_close, compare_fn, to_danlu, to_torch

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")
rng = np.random.default_rng(11)


def R(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


def tri(*shape, upper=False, dtype="float64"):
    """Well-conditioned triangular matrices (the other triangle holds noise, which must be ignored)."""
    a = R(*shape)
    n = shape[-1]
    a = a + np.eye(n) * (2 + n) * np.sign(np.diagonal(a, 0, -2, -1))[..., None]
    return a.astype(dtype)


def chol(*batch, n=3, upper=False, dtype="float64"):
    a = R(*batch, n, n)
    L = np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + n * np.eye(n))
    return (np.swapaxes(L, -1, -2) if upper else L).astype(dtype)


def lu_packed(lib, a):
    return lib.linalg.lu_factor(a)


CASES = {
    "matrix_exp": (lambda l, a: l.linalg.matrix_exp(a), lambda d: R(3, 3, dtype=d)),
    "matrix_exp_top_big_norm": (lambda l, a: l.matrix_exp(a * 4), lambda d: R(2, 4, 4, dtype=d)),
    "matrix_exp_method_small": (lambda l, a: (a * 1e-3).matrix_exp(), lambda d: R(2, 2, dtype=d)),
    "matrix_exp_1x1": (lambda l, a: l.matrix_exp(a), lambda d: R(2, 1, 1, dtype=d)),
    "solve_triangular_lower": (lambda l, a, b: l.linalg.solve_triangular(a, b, upper=False),
                               lambda d: (tri(3, 3, dtype=d), R(3, 2, dtype=d))),
    "solve_triangular_upper_unit_bcast": (
        lambda l, a, b: l.linalg.solve_triangular(a, b, upper=True, unitriangular=True),
        lambda d: (tri(4, 4, dtype=d), R(2, 4, 3, dtype=d))),
    "solve_triangular_right": (lambda l, a, b: l.linalg.solve_triangular(a, b, upper=True, left=False),
                               lambda d: (tri(2, 3, 3, dtype=d), R(2, 5, 3, dtype=d))),
    "solve_triangular_right_unit_lower": (
        lambda l, a, b: l.linalg.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
        lambda d: (tri(3, 3, dtype=d), R(4, 3, dtype=d))),
    "triangular_solve": (lambda l, b, a: tuple(l.triangular_solve(b, a)),
                         lambda d: (R(3, 2, dtype=d), tri(3, 3, dtype=d))),
    "triangular_solve_T_lower_unit": (
        lambda l, b, a: tuple(b.triangular_solve(a, False, True, True)),
        lambda d: (R(2, 3, 2, dtype=d), tri(3, 3, dtype=d))),
    "triangular_solve_bcast_A": (lambda l, b, a: tuple(l.triangular_solve(b, a, upper=False)),
                                 lambda d: (R(3, 1, dtype=d), tri(2, 3, 3, dtype=d))),
    "cholesky_solve": (lambda l, b, L: l.cholesky_solve(b, L), lambda d: (R(3, 2, dtype=d), chol(dtype=d))),
    "cholesky_solve_upper_batched": (lambda l, b, L: b.cholesky_solve(L, True),
                                     lambda d: (R(2, 3, 4, dtype=d), chol(2, upper=True, dtype=d))),
    "cholesky_solve_bcast": (lambda l, b, L: l.cholesky_solve(b, L),
                             lambda d: (R(2, 1, 4, 1, dtype=d), chol(3, n=4, dtype=d))),
    "cholesky_inverse": (lambda l, L: l.cholesky_inverse(L), lambda d: chol(n=4, dtype=d)),
    "cholesky_inverse_upper_batched": (lambda l, L: L.cholesky_inverse(upper=True),
                                       lambda d: chol(2, upper=True, dtype=d)),
    "lu_factor": (lambda l, a: lu_packed(l, a)[0], lambda d: R(4, 4, dtype=d)),
    "lu_factor_batched": (lambda l, a: tuple(l.linalg.lu_factor(a)), lambda d: R(2, 3, 3, dtype=d)),
    "lu_factor_tall": (lambda l, a: tuple(l.linalg.lu_factor(a)), lambda d: R(5, 3, dtype=d)),
    "lu_factor_wide": (lambda l, a: tuple(l.linalg.lu_factor(a)), lambda d: R(2, 3, 5, dtype=d)),
    "lu_factor_ex": (lambda l, a: tuple(l.linalg.lu_factor_ex(a)), lambda d: R(3, 3, dtype=d)),
    "lu": (lambda l, a: tuple(l.linalg.lu(a)), lambda d: R(2, 4, 4, dtype=d)),
    "lu_tall": (lambda l, a: tuple(l.linalg.lu(a)), lambda d: R(5, 3, dtype=d)),
    "lu_wide": (lambda l, a: tuple(l.linalg.lu(a)), lambda d: R(3, 6, dtype=d)),
    "lu_unpack": (lambda l, a: tuple(l.lu_unpack(*l.linalg.lu_factor(a))), lambda d: R(2, 4, 3, dtype=d)),
    "torch_lu": (lambda l, a: tuple(l.lu(a, get_infos=True)), lambda d: R(3, 3, dtype=d)),
    "tensor_lu": (lambda l, a: tuple(a.lu()), lambda d: R(2, 3, 3, dtype=d)),
    "lu_solve": (lambda l, a, b: l.linalg.lu_solve(*l.linalg.lu_factor(a), b),
                 lambda d: (R(3, 3, dtype=d), R(3, 2, dtype=d))),
    "lu_solve_adjoint": (lambda l, a, b: l.linalg.lu_solve(*l.linalg.lu_factor(a), b, adjoint=True),
                         lambda d: (R(2, 4, 4, dtype=d), R(2, 4, 2, dtype=d))),
    "lu_solve_right": (lambda l, a, b: l.linalg.lu_solve(*l.linalg.lu_factor(a), b, left=False),
                       lambda d: (R(3, 3, dtype=d), R(2, 3, dtype=d))),
    "lu_solve_right_adjoint": (
        lambda l, a, b: l.linalg.lu_solve(*l.linalg.lu_factor(a), b, left=False, adjoint=True),
        lambda d: (R(2, 3, 3, dtype=d), R(2, 4, 3, dtype=d))),
    "torch_lu_solve": (lambda l, a, b: l.lu_solve(b, *l.linalg.lu_factor(a)),
                       lambda d: (R(2, 3, 3, dtype=d), R(2, 3, 1, dtype=d))),
    "tensor_lu_solve_LU_leaf": (lambda l, LU, b: b.lu_solve(LU, l.linalg.lu_factor(LU.detach())[1]),
                                lambda d: (R(3, 3, dtype=d), R(3, 2, dtype=d))),
    "householder_product": (lambda l, a, t: l.linalg.householder_product(a, t),
                            lambda d: (R(4, 3, dtype=d), R(2, dtype=d))),
    "orgqr_batched": (lambda l, a, t: l.orgqr(a, t), lambda d: (R(2, 3, 3, dtype=d), R(2, 3, dtype=d))),
    "ormqr": (lambda l, a, t, c: l.ormqr(a, t, c), lambda d: (R(4, 3, dtype=d), R(3, dtype=d), R(4, 2, dtype=d))),
    "ormqr_T": (lambda l, a, t, c: a.ormqr(t, c, True, True),
                lambda d: (R(2, 4, 2, dtype=d), R(2, 2, dtype=d), R(2, 4, 3, dtype=d))),
    "ormqr_right": (lambda l, a, t, c: l.ormqr(a, t, c, left=False),
                    lambda d: (R(3, 3, dtype=d), R(3, dtype=d), R(2, 3, dtype=d))),
    "ormqr_right_T": (lambda l, a, t, c: l.ormqr(a, t, c, False, True),
                      lambda d: (R(4, 2, dtype=d), R(2, dtype=d), R(3, 4, dtype=d))),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_grad(name, dtype):
    fn, make = CASES[name]
    arrays = make(dtype)
    arrays = arrays if isinstance(arrays, tuple) else (arrays,)
    tol = {} if dtype == "float64" else {"rtol": 2e-4, "atol": 1e-4}
    compare_fn(fn, *arrays, **tol)


def test_geqrf_values():
    for shape in [(4, 3), (2, 3, 5), (3, 3)]:
        a = R(*shape)
        d, t = danlu.geqrf(to_danlu(a)), torch.geqrf(to_torch(a))
        assert_close(d.a, t.a)
        assert_close(d.tau, t.tau)
        assert_close(to_danlu(a).geqrf()[0], t[0])
    # a column already zero below the diagonal: tau = 0 (H = I), as LAPACK's dlarfg
    a = np.triu(R(3, 3))
    assert_close(tuple(danlu.geqrf(to_danlu(a))), tuple(torch.geqrf(to_torch(a))))


def test_lu_ties_and_zero_pivots():
    """Exactly singular matrices: LAPACK's pivots (first maximum), info, and no division by zero."""
    for a in [np.array([[1.0, 2.0], [2.0, 4.0]]), np.zeros((3, 3)), np.ones((2, 3, 3)),
              np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 4.0], [0.0, 5.0, 7.0]])]:
        d, t = danlu.linalg.lu_factor_ex(to_danlu(a)), torch.linalg.lu_factor_ex(to_torch(a))
        assert_close(tuple(d), tuple(t))
        assert_close(tuple(danlu.linalg.lu(to_danlu(a))), tuple(torch.linalg.lu(to_torch(a))))


def test_matrix_exp_accuracy():
    """Against the exact exponential of a diagonalizable matrix and of a nilpotent one."""
    q, _ = np.linalg.qr(R(6, 6))
    lam = np.array([-30.0, -3.0, -0.5, 0.0, 1.0, 9.0])
    a = q @ np.diag(lam) @ q.T
    exact = q @ np.diag(np.exp(lam)) @ q.T
    got = danlu.matrix_exp(to_danlu(a)).numpy()
    np.testing.assert_allclose(got, exact, rtol=1e-13, atol=1e-13 * np.abs(exact).max())
    n = np.triu(R(4, 4), 1)  # exp(N) = I + N + N^2/2 + N^3/6 exactly
    ex = np.eye(4) + n + n @ n / 2 + n @ n @ n / 6
    np.testing.assert_allclose(danlu.matrix_exp(to_danlu(n)).numpy(), ex, rtol=1e-15, atol=1e-15)
    assert_close(danlu.matrix_exp(to_danlu(a * 10)), torch.matrix_exp(to_torch(a * 10)), rtol=1e-12, atol=0)


@pytest.mark.parametrize("shape", [(0, 3, 3), (2, 0, 0), (0, 2, 3)])
def test_empty_batches(shape):
    a = np.zeros(shape)
    square = shape[-1] == shape[-2]
    if square:
        assert_close(danlu.linalg.matrix_exp(to_danlu(a)), torch.linalg.matrix_exp(to_torch(a)))
        b = np.zeros(shape[:-1] + (2,))
        assert_close(danlu.linalg.solve_triangular(to_danlu(a), to_danlu(b), upper=True),
                     torch.linalg.solve_triangular(to_torch(a), to_torch(b), upper=True))
        assert_close(danlu.cholesky_solve(to_danlu(b), to_danlu(a)),
                     torch.cholesky_solve(to_torch(b), to_torch(a)))
        assert_close(danlu.cholesky_inverse(to_danlu(a)), torch.cholesky_inverse(to_torch(a)))
        lu_d, lu_t = danlu.linalg.lu_factor(to_danlu(a)), torch.linalg.lu_factor(to_torch(a))
        assert_close(tuple(lu_d), tuple(lu_t))
        assert_close(danlu.linalg.lu_solve(*lu_d, to_danlu(b)), torch.linalg.lu_solve(*lu_t, to_torch(b)))
    assert_close(tuple(danlu.linalg.lu_factor_ex(to_danlu(a))), tuple(torch.linalg.lu_factor_ex(to_torch(a))))
    assert_close(tuple(danlu.linalg.lu(to_danlu(a))), tuple(torch.linalg.lu(to_torch(a))))
    assert_close(tuple(danlu.geqrf(to_danlu(a))), tuple(torch.geqrf(to_torch(a))))


GRADCHECK = {
    "matrix_exp": (lambda a: danlu.linalg.matrix_exp(a), lambda: (R(3, 3),)),
    "matrix_exp_scaled": (lambda a: danlu.matrix_exp(a * 3), lambda: (R(2, 2, 2),)),
    "solve_triangular": (lambda a, b: danlu.linalg.solve_triangular(a, b, upper=True),
                         lambda: (tri(3, 3), R(3, 2))),
    "solve_triangular_unit_right": (
        lambda a, b: danlu.linalg.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
        lambda: (tri(3, 3), R(2, 3))),
    # only one triangle of the factor is read: check through tril / triu
    "cholesky_solve": (lambda b, L: danlu.cholesky_solve(b, L.tril()), lambda: (R(3, 2), chol())),
    "cholesky_inverse_upper": (lambda L: danlu.cholesky_inverse(L.triu(), upper=True),
                               lambda: (chol(upper=True),)),
    "lu_factor": (lambda a: danlu.linalg.lu_factor(a)[0], lambda: (R(2, 3, 3),)),
    "lu_wide": (lambda a: tuple(danlu.linalg.lu(a))[1:], lambda: (R(2, 4),)),
    "lu_tall": (lambda a: tuple(danlu.linalg.lu(a))[1:], lambda: (R(4, 2),)),
    "lu_solve": (lambda a, b: danlu.linalg.lu_solve(*danlu.linalg.lu_factor(a), b), lambda: (R(3, 3), R(3, 2))),
    "householder_product": (lambda a, t: danlu.linalg.householder_product(a, t), lambda: (R(3, 2), R(2))),
    "ormqr": (lambda a, t, c: danlu.ormqr(a, t, c, False, True), lambda: (R(3, 2), R(2), R(2, 3))),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name):
    fn, make = GRADCHECK[name]
    xs = [to_danlu(a, True) for a in make()]
    assert gradcheck(fn, xs)


@pytest.mark.parametrize("name", ["matrix_exp", "solve_triangular", "cholesky_solve", "lu_factor",
                                  "lu_wide", "lu_solve"])
def test_gradgradcheck(name):
    fn, make = GRADCHECK[name]
    xs = [to_danlu(a, True) for a in make()]
    assert gradgradcheck(fn, xs)


def _err(fn_d, fn_t):
    with pytest.raises((RuntimeError, NotImplementedError)) as et:
        fn_t(torch)
    with pytest.raises(et.type) as ed:
        fn_d(danlu)
    assert str(ed.value) == str(et.value)


def _both(f):
    return f, f


def a_(l, *shape, v=None, dtype="float64"):
    arr = R(*shape).astype(dtype) if v is None else np.asarray(v, dtype)
    return (to_danlu if l is danlu else to_torch)(arr)


SING = [[1.0, 2.0], [2.0, 4.0]]
ERRORS = {
    "matrix_exp_nonsquare": lambda l: l.matrix_exp(a_(l, 2, 3)),
    "matrix_exp_1d": lambda l: l.linalg.matrix_exp(a_(l, 3)),
    "matrix_exp_int": lambda l: l.matrix_exp(a_(l, v=np.ones((2, 2)), dtype="int64")),
    "lu_factor_singular": lambda l: l.linalg.lu_factor(a_(l, v=SING)),
    "lu_factor_singular_batched": lambda l: l.linalg.lu_factor(a_(l, v=[np.eye(2), SING])),
    "lu_factor_ex_check": lambda l: l.linalg.lu_factor_ex(a_(l, v=SING), check_errors=True),
    "lu_factor_nopivot": lambda l: l.linalg.lu_factor(a_(l, 2, 2), pivot=False),
    "lu_nopivot": lambda l: l.linalg.lu(a_(l, 2, 2), pivot=False),
    "lu_factor_1d": lambda l: l.linalg.lu_factor(a_(l, 3)),
    "lu_factor_ex_1d": lambda l: l.linalg.lu_factor_ex(a_(l, 3)),
    "lu_1d": lambda l: l.linalg.lu(a_(l, 3)),
    "torch_lu_1d": lambda l: l.lu(a_(l, 3)),
    "lu_factor_int": lambda l: l.linalg.lu_factor(a_(l, v=np.ones((2, 2)), dtype="int64")),
    "triangular_solve_A_1d": lambda l: l.triangular_solve(a_(l, 2, 1), a_(l, 2)),
    "lu_solve_dtype": lambda l: l.linalg.lu_solve(a_(l, 2, 2, dtype="float32"), a_(l, v=[1, 2], dtype="int32"),
                                                  a_(l, 2, 1)),
    "householder_tau_ndim": lambda l: l.linalg.householder_product(a_(l, 3, 2), a_(l, 1, 2)),
    "householder_tau_dtype": lambda l: l.linalg.householder_product(a_(l, 3, 2, dtype="float32"), a_(l, 2)),
    "ormqr_ndim": lambda l: l.ormqr(a_(l, 3, 2), a_(l, 2), a_(l, 2, 3, 3)),
    "ormqr_tau_len": lambda l: l.ormqr(a_(l, 3, 2), a_(l, 1), a_(l, 3, 3)),
    "ormqr_tau_dtype": lambda l: l.ormqr(a_(l, 3, 2, dtype="float32"), a_(l, 2), a_(l, 3, 3)),
    "solve_triangular_nonsquare": lambda l: l.linalg.solve_triangular(a_(l, 2, 3), a_(l, 2, 1), upper=True),
    "solve_triangular_B_1d": lambda l: l.linalg.solve_triangular(a_(l, 2, 2), a_(l, 2), upper=True),
    "solve_triangular_shapes": lambda l: l.linalg.solve_triangular(a_(l, 2, 2), a_(l, 3, 1), upper=True),
    "solve_triangular_shapes_right": lambda l: l.linalg.solve_triangular(a_(l, 2, 2), a_(l, 2, 3),
                                                                         upper=True, left=False),
    "triangular_solve_b_1d": lambda l: l.triangular_solve(a_(l, 2), a_(l, 2, 2)),
    "triangular_solve_shapes": lambda l: l.triangular_solve(a_(l, 3, 1), a_(l, 2, 2)),
    "triangular_solve_nonsquare": lambda l: l.triangular_solve(a_(l, 2, 1), a_(l, 2, 3)),
    "cholesky_solve_shapes": lambda l: l.cholesky_solve(a_(l, 3, 1), a_(l, 2, 2)),
    "cholesky_solve_nonsquare": lambda l: l.cholesky_solve(a_(l, 2, 1), a_(l, 2, 3)),
    "cholesky_solve_b_1d": lambda l: l.cholesky_solve(a_(l, 2), a_(l, 2, 2)),
    "cholesky_inverse_nonsquare": lambda l: l.cholesky_inverse(a_(l, 2, 3)),
    "cholesky_inverse_1d": lambda l: l.cholesky_inverse(a_(l, 3)),
    "lu_solve_nonsquare": lambda l: l.linalg.lu_solve(a_(l, 2, 3), a_(l, v=[1, 2], dtype="int32"), a_(l, 2, 1)),
    "lu_solve_B_1d": lambda l: l.linalg.lu_solve(a_(l, 2, 2), a_(l, v=[1, 2], dtype="int32"), a_(l, 2)),
    "lu_solve_shapes": lambda l: l.linalg.lu_solve(a_(l, 2, 2), a_(l, v=[1, 2], dtype="int32"), a_(l, 3, 1)),
    "lu_solve_pivot_dtype": lambda l: l.linalg.lu_solve(a_(l, 2, 2), a_(l, v=[1, 2], dtype="int64"), a_(l, 2, 1)),
    "lu_unpack_pivot_dtype": lambda l: l.lu_unpack(a_(l, 2, 2), a_(l, v=[1, 2], dtype="int64")),
    "householder_wide": lambda l: l.linalg.householder_product(a_(l, 2, 3), a_(l, 1)),
    "householder_tau_long": lambda l: l.linalg.householder_product(a_(l, 3, 2), a_(l, 3)),
    "geqrf_1d": lambda l: l.geqrf(a_(l, 3)),
    "ormqr_left_shape": lambda l: l.ormqr(a_(l, 3, 2), a_(l, 2), a_(l, 4, 3)),
    "ormqr_right_shape": lambda l: l.ormqr(a_(l, 3, 2), a_(l, 2), a_(l, 3, 4), left=False),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(name):
    _err(*_both(ERRORS[name]))


def test_torch_lu_never_raises_and_unpack_flags():
    a = np.array(SING)
    assert_close(tuple(danlu.lu(to_danlu(a))), tuple(torch.lu(to_torch(a))))
    d = danlu.lu_unpack(*danlu.linalg.lu_factor_ex(to_danlu(a))[:2], unpack_data=False)
    t = torch.lu_unpack(*torch.linalg.lu_factor_ex(to_torch(a))[:2], unpack_data=False)
    assert_close(tuple(d), tuple(t))
    d = danlu.lu_unpack(*danlu.linalg.lu_factor(to_danlu(R(3, 3))), unpack_pivots=False)
    assert d.P.shape == (0,) and d.L.shape == (3, 3)


def test_out_and_namedtuples():
    a, b = tri(3, 3), R(3, 2)
    out = danlu.empty(0, dtype=danlu.float64)
    r = danlu.linalg.solve_triangular(to_danlu(a), to_danlu(b), upper=True, out=out)
    assert r is out
    assert_close(out, torch.linalg.solve_triangular(to_torch(a), to_torch(b), upper=True))
    res = danlu.triangular_solve(to_danlu(b), to_danlu(a))
    assert res._fields == ("solution", "cloned_coefficient")
    assert danlu.linalg.lu_factor_ex(to_danlu(a))._fields == ("LU", "pivots", "info")
    assert danlu.linalg.lu(to_danlu(a))._fields == ("P", "L", "U")
    assert danlu.geqrf(to_danlu(a))._fields == ("a", "tau")
