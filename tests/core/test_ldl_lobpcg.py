"""linalg.ldl_factor[_ex] / linalg.ldl_solve (LAPACK sytrf/sytrs, Bunch-Kaufman) and lobpcg,
all against torch (values, pivots, iteration trajectory, gradients, errors) and linalg.eigh."""
import numpy as np
import pytest
import torch

import danlu as d
from tests._oracle import assert_close, to_danlu, to_torch

DTYPES = [np.float64, np.float32]
NAN, INF = float("nan"), float("inf")


def _err(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None, None


def _sym(rng, shape, dt, diag_scale=1.0):
    a = rng.standard_normal(shape)
    a = a + np.swapaxes(a, -1, -2)
    n = shape[-1]
    a = a * np.where(np.eye(n) > 0, diag_scale, 1.0)
    return a.astype(dt)


# ------------------------------------------------------------------------------------------
# ldl_factor / ldl_factor_ex
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape,diag_scale", [((1, 1), 1.0), ((5, 5), 1.0), ((3, 6, 6), 1.0),
                                              ((2, 2, 7, 7), 1e-3), ((8, 8), 0.0), ((0, 3, 3), 1.0),
                                              ((0, 0), 1.0)])
def test_ldl_factor_matches_lapack(dt, shape, diag_scale):
    """Same pivots as torch (LAPACK sytrf), same LD; small diagonals force 2x2 pivots."""
    rng = np.random.default_rng(sum(shape) + int(diag_scale * 10))
    a = _sym(rng, shape, dt, diag_scale)
    r = d.linalg.ldl_factor_ex(to_danlu(a))
    t = torch.linalg.ldl_factor_ex(to_torch(a))
    assert type(r).__name__ == "linalg_ldl_factor_ex" and r._fields == ("LD", "pivots", "info")
    np.testing.assert_array_equal(r.pivots.numpy(), t.pivots.numpy())
    np.testing.assert_array_equal(r.info.numpy(), t.info.numpy())
    assert r.pivots.dtype is d.int32 and r.info.dtype is d.int32
    assert_close(r.LD, t.LD)
    if diag_scale != 1.0 and a.size:
        assert (t.pivots.numpy() < 0).any()  # the case really has 2x2 blocks
    f = d.linalg.ldl_factor(to_danlu(a), hermitian=True)
    assert type(f).__name__ == "linalg_ldl_factor"
    assert_close(f.LD, t.LD)
    np.testing.assert_array_equal(f.pivots.numpy(), t.pivots.numpy())


def test_ldl_factor_random_many():
    """Many random symmetric / nearly-zero-diagonal matrices: pivots and LD equal torch's."""
    rng = np.random.default_rng(0)
    for i in range(60):
        n = int(rng.integers(2, 10))
        a = rng.standard_normal((n, n))
        if i % 2:
            a = a * np.where(np.eye(n) > 0, 1e-2, 1.0)
        r = d.linalg.ldl_factor_ex(to_danlu(a))
        t = torch.linalg.ldl_factor_ex(to_torch(a))
        np.testing.assert_array_equal(r.pivots.numpy(), t.pivots.numpy())
        assert_close(r.LD, t.LD)


def test_ldl_factor_reads_lower_triangle_and_blocked_size():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((5, 5))  # not symmetric: only the lower triangle counts
    assert_close(d.linalg.ldl_factor(to_danlu(a)).LD, torch.linalg.ldl_factor(to_torch(a)).LD)
    a = _sym(rng, (70, 70), np.float64, 1e-2)  # torch factors this blockwise (dlasyf)
    r, t = d.linalg.ldl_factor(to_danlu(a)), torch.linalg.ldl_factor(to_torch(a))
    np.testing.assert_array_equal(r.pivots.numpy(), t.pivots.numpy())
    assert_close(r.LD, t.LD, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("a", [
    [[0.0, 0, 0], [0, 0, 0], [0, 0, 0]], [[1.0, 0], [0, 0]], [[0.0, 1], [1, 0]],
    [[1.0, NAN], [NAN, 0]], [[NAN, 1.0], [1, 0]], [[0.0, NAN, 1], [NAN, 1, 0], [1, 0, 2]],
    [[0.0, 1, NAN], [1, 0, 2], [NAN, 2, 0]], [[1.0, 5, 0], [5, 0, NAN], [0, NAN, 0]],
    [[0.5, -2, -2], [NAN, INF, 0.5], [1, -2, 3]], [[-2.0, 3, 0.5], [INF, INF, 0], [0.5, 3, -2]],
    [[1.0, 2, 3], [2, 4, 6], [3, 6, 9]]])
def test_ldl_factor_singular_and_nonfinite(a):
    """Exactly singular D (info) and NaN/inf entries: LAPACK's choices, bit for bit."""
    a = np.array(a)
    r = d.linalg.ldl_factor_ex(to_danlu(a))
    t = torch.linalg.ldl_factor_ex(to_torch(a))
    for x, y in zip(r, t):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_ldl_factor_errors():
    sing = np.zeros((2, 3, 3))
    cases = [
        lambda L: L.linalg.ldl_factor(L.zeros(3, 4)),
        lambda L: L.linalg.ldl_factor_ex(L.zeros(3)),
        lambda L: L.linalg.ldl_factor(L.ones(3, 3, dtype=L.int64)),
        lambda L: L.linalg.ldl_factor(L.ones(3, 3, dtype=L.float16)),
        lambda L: L.linalg.ldl_factor([[1.0]]),
        lambda L: L.linalg.ldl_factor_ex([[1.0]]),
    ]
    for c in cases:
        assert _err(lambda: c(d)) == _err(lambda: c(torch))
    # a singular D: torch reports LAPACK's info as an "Unknown error code" (behind an internal
    # assert); danlu raises the same RuntimeError text without the assert boilerplate
    for fn, call in [("ldl_factor", lambda L, T: L.linalg.ldl_factor(T(sing))),
                     ("ldl_factor_ex", lambda L, T: L.linalg.ldl_factor_ex(T(sing), check_errors=True))]:
        de, dm = _err(lambda: call(d, to_danlu))
        te, tm = _err(lambda: call(torch, to_torch))
        assert de == te == "RuntimeError"
        assert dm == f"torch.linalg.{fn}: Unknown error code: 1." and tm.endswith(dm)
    info = d.linalg.ldl_factor_ex(to_danlu(sing)).info  # no error without check_errors
    np.testing.assert_array_equal(info.numpy(), [1, 1])


def test_ldl_no_derivative_and_out():
    """torch has no derivative for either: the outputs require grad, backward raises."""
    rng = np.random.default_rng(2)
    a = _sym(rng, (4, 4), np.float64)
    for L, T in [(d, to_danlu), (torch, to_torch)]:
        x = T(a, requires_grad=True)
        r = L.linalg.ldl_factor_ex(x)
        assert r.LD.requires_grad and not r.pivots.requires_grad and not r.info.requires_grad
        assert r.LD.grad_fn.name() == "torch::autograd::NotImplemented"
        assert repr(r.LD.grad_fn).startswith("<NotImplemented object at")
        with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_factor_ex is not implemented"):
            r.LD.sum().backward()
        LD, piv = L.linalg.ldl_factor(T(a))
        b = T(rng.standard_normal((4, 2)), requires_grad=True)
        X = L.linalg.ldl_solve(LD, piv, b)
        assert X.requires_grad
        with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_solve is not implemented"):
            X.sum().backward()
    outs = (d.empty(0, dtype=d.float64), d.empty(0, dtype=d.int32))
    res = d.linalg.ldl_factor(to_danlu(a), out=outs)
    assert res.LD is outs[0] and res.pivots is outs[1]
    assert_close(outs[0], torch.linalg.ldl_factor(to_torch(a)).LD)
    o = d.empty(0, dtype=d.float64)
    assert d.linalg.ldl_solve(res.LD, res.pivots, to_danlu(np.ones((4, 1))), out=o) is o


# ------------------------------------------------------------------------------------------
# ldl_solve
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("ashape,bshape,diag_scale", [((6, 6), (6, 3), 1.0), ((6, 6), (6, 3), 1e-3),
                                                      ((3, 5, 5), (3, 5, 2), 1e-3),
                                                      ((2, 5, 5), (4, 2, 5, 1), 1.0),
                                                      ((5, 5), (2, 5, 2), 0.1), ((4, 4), (4, 0), 1.0)])
def test_ldl_solve(dt, ashape, bshape, diag_scale):
    rng = np.random.default_rng(3)
    a = _sym(rng, ashape, dt, diag_scale)
    b = rng.standard_normal(bshape).astype(dt)
    LD, piv = d.linalg.ldl_factor(to_danlu(a))
    x = d.linalg.ldl_solve(LD, piv, to_danlu(b))
    tLD, tpiv = torch.linalg.ldl_factor(to_torch(a))
    if len(bshape) - len(ashape) <= 0:  # (torch 2.13 crashes on B with more batch dims than LD)
        tol = {np.float64: (1e-9, 1e-10), np.float32: (2e-3, 2e-4)}[dt]
        assert_close(x, torch.linalg.ldl_solve(tLD, tpiv, to_torch(b)), *tol)
    ref = d.linalg.solve(to_danlu(a), to_danlu(b))
    tol = {np.float64: (1e-8, 1e-9), np.float32: (2e-3, 2e-3)}[dt]
    assert_close(x, ref, *tol)
    # int64 pivots are accepted, hermitian is the same for real input
    x2 = d.linalg.ldl_solve(LD, piv.long(), to_danlu(b), hermitian=True)
    np.testing.assert_array_equal(x2.numpy(), x.numpy())


def test_ldl_solve_errors():
    a = np.array([[2.0, 1, 0, 3], [1, -1, 2, 0], [0, 2, 0, 1], [3, 0, 1, 1]])
    b = np.arange(8.0).reshape(4, 2)

    def cases(L, T):
        LD, p = L.linalg.ldl_factor(T(a))
        B = T(b)
        return [
            lambda: L.linalg.ldl_solve(LD, p, B.float()),
            lambda: L.linalg.ldl_solve(LD, p[:3], B),
            lambda: L.linalg.ldl_solve(LD, p, B[:3]),
            lambda: L.linalg.ldl_solve(LD, p, B[:, 0]),
            lambda: L.linalg.ldl_solve(LD, p, B[0, 0]),
            lambda: L.linalg.ldl_solve(LD[:3], p, B),
            lambda: L.linalg.ldl_solve(LD[0], p, B),
            lambda: L.linalg.ldl_solve(LD.expand(2, 4, 4), p, B),
            lambda: L.linalg.ldl_solve(LD.expand(2, 4, 4), p.expand(2, 4), B.expand(3, 4, 2)),
            lambda: L.linalg.ldl_solve(LD.int(), p, B.int()),
            lambda: L.linalg.ldl_solve(LD, p, B.int()),
            lambda: L.linalg.ldl_solve(LD, p.float(), B),
            lambda: L.linalg.ldl_solve(LD, p.bool(), B),
            lambda: L.linalg.ldl_solve(LD.int(), p.float(), B),
            lambda: L.linalg.ldl_solve(LD, p[:3], B.float()),
            lambda: L.linalg.ldl_solve(LD.half(), p, B.half()),
            lambda: L.linalg.ldl_solve([[1.0]], p, B),
        ]
    for cd, ct in zip(cases(d, to_danlu), cases(torch, to_torch)):
        got, want = _err(cd), _err(ct)
        assert want[0] is not None and got == want


# ------------------------------------------------------------------------------------------
# lobpcg
# ------------------------------------------------------------------------------------------
def _spd(rng, m, lo=1.0, hi=20.0, batch=()):
    q, _ = np.linalg.qr(rng.standard_normal(batch + (m, m)))
    a = (q * np.linspace(lo, hi, m)) @ np.swapaxes(q, -1, -2)
    return (a + np.swapaxes(a, -1, -2)) / 2


def _run(L, T, A, B=None, X=None, **kw):
    steps = []
    E, V = L.lobpcg(T(A), B=None if B is None else T(B), X=None if X is None else T(X),
                    tracker=lambda w: steps.append((w.ivars["istep"], w.ivars["converged_count"])),
                    **kw)
    return E, V, steps


def _abs_close(x, y, tol):
    """eigenvectors up to sign: compare |x| and |y| and the column-wise |x^T y| = 1"""
    x, y = x.detach().numpy().astype(np.float64), y.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(np.abs(x), np.abs(y), atol=tol)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("method", ["ortho", "basic"])
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("generalized", [False, True])
def test_lobpcg_matches_torch(dt, method, largest, generalized):
    """Same start X: the same iteration (step by step, per the tracker) and result as torch."""
    rng = np.random.default_rng(4)
    m, k = 18, 3
    A = _spd(rng, m).astype(dt)
    B = _spd(rng, m, 1.0, 3.0).astype(dt) if generalized else None
    X = rng.standard_normal((m, k)).astype(dt)
    Ed, Vd, sd = _run(d, to_danlu, A, B, X, k=k, largest=largest, method=method)
    Et, Vt, st = _run(torch, to_torch, A, B, X, k=k, largest=largest, method=method)
    if dt == np.float64:
        assert sd == st
    assert Ed.dtype is getattr(d, np.dtype(dt).name) and tuple(Vd.shape) == (m, k)
    assert_close(Ed, Et, 1e-10 if dt == np.float64 else 1e-4, 1e-10 if dt == np.float64 else 1e-3)
    _abs_close(Vd, Vt, 1e-8 if dt == np.float64 else 1e-3)
    if method == "ortho" or not generalized:  # (torch's basic method with B may stall)
        if generalized:
            Lc = np.linalg.cholesky(B.astype(np.float64))
            Li = np.linalg.inv(Lc)
            ref = np.linalg.eigvalsh(Li @ A @ Li.T)
        else:
            ref = np.linalg.eigvalsh(A.astype(np.float64))
        ref = ref[::-1][:k] if largest else ref[:k]
        np.testing.assert_allclose(Ed.numpy(), ref, rtol=1e-8 if dt == np.float64 else 1e-4)


@pytest.mark.parametrize("dt", DTYPES)
def test_lobpcg_vs_eigh_random_start_and_batches(dt):
    rng = np.random.default_rng(5)
    m, k = 15, 2
    A = _spd(rng, m, batch=(2,)).astype(dt)
    tol = 1e-7 if dt == np.float64 else 2e-3
    E, V = d.lobpcg(to_danlu(A), k=k, largest=False)  # random X from danlu's generator
    w, Q = np.linalg.eigh(A.astype(np.float64))
    assert tuple(E.shape) == (2, k) and tuple(V.shape) == (2, m, k)
    np.testing.assert_allclose(E.numpy(), w[:, :k], rtol=tol)
    np.testing.assert_allclose(np.abs(V.numpy()), np.abs(Q[:, :, :k]), atol=10 * tol)
    # batched with a given X (n = 3 > k = 2), the same as torch
    X = rng.standard_normal((2, m, 3)).astype(dt)
    Ed, Vd = d.lobpcg(to_danlu(A), k=k, X=to_danlu(X))
    Et, Vt = torch.lobpcg(to_torch(A), k=k, X=to_torch(X))
    assert_close(Ed, Et, tol, tol)
    _abs_close(Vd, Vt, 10 * tol)
    np.testing.assert_allclose(Ed.numpy(), w[:, ::-1][:, :k], rtol=tol)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_lobpcg_gradient(largest, batch):
    """torch's gradient (dense A, no B) of E and of sign-invariant functions of X, compared
    with torch.lobpcg's and with linalg.eigh's on a well separated spectrum."""
    rng = np.random.default_rng(6)
    m, k = 12, 2
    A = _spd(rng, m, batch=batch)
    X = rng.standard_normal(batch + (m, k))
    w = rng.standard_normal(k)
    W = rng.standard_normal((m, k))
    grads = []
    for L, T in [(d, to_danlu), (torch, to_torch)]:
        a = T(A, requires_grad=True)
        E, V = L.lobpcg(a, k=k, X=T(X), largest=largest, tol=1e-12)
        assert E.grad_fn.name() == "LOBPCGAutogradFunctionBackward"
        ((E * T(w)).sum() + (V * V * T(W)).sum()).backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-9)
    np.testing.assert_allclose(grads[0], np.swapaxes(grads[0], -1, -2), atol=1e-12)
    a = to_torch(A, requires_grad=True)
    e, v = torch.linalg.eigh(a)
    idx = torch.arange(m - 1, m - 1 - k, -1) if largest else torch.arange(k)
    e, v = e[..., idx], v[..., idx]
    ((e * to_torch(w)).sum() + (v * v * to_torch(W)).sum()).backward()
    np.testing.assert_allclose(grads[0], a.grad.numpy(), atol=1e-9)
    # eigenvalues only (no gradient reaches X)
    a = to_danlu(A, requires_grad=True)
    d.lobpcg(a, k=k, X=to_danlu(X), largest=largest, tol=1e-12)[0].sum().backward()
    ref = to_torch(A, requires_grad=True)
    torch.linalg.eigvalsh(ref)[..., idx].sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ref.grad.numpy(), atol=1e-9)


def test_lobpcg_gradient_float32():
    rng = np.random.default_rng(7)
    A = _spd(rng, 12).astype(np.float32)
    X = rng.standard_normal((12, 2)).astype(np.float32)
    grads = []
    for L, T in [(d, to_danlu), (torch, to_torch)]:
        a = T(A, requires_grad=True)
        E, V = L.lobpcg(a, k=2, X=T(X))
        (E.sum() + (V[:3] ** 2).sum()).backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], atol=2e-3)


def test_lobpcg_errors_and_tracker():
    rng = np.random.default_rng(8)
    A = _spd(rng, 9)
    B = _spd(rng, 9, 1.0, 2.0)
    cases = [
        lambda L, T: L.lobpcg(T(A), k=4),
        lambda L, T: L.lobpcg(T(A), X=T(np.ones((9, 4)))),
        lambda L, T: L.lobpcg(T(A[:, :8])),
    ]
    for c in cases:
        de, dm = _err(lambda: c(d, to_danlu))
        te, tm = _err(lambda: c(torch, to_torch))
        assert de == te and de is not None
        if de == "ValueError":
            assert dm == tm
    assert _err(lambda: d.lobpcg(to_danlu(A), B=to_danlu(B[:8, :8])))[0] == "AssertionError"
    # no gradient with B (raised by the backward, as torch)
    for L, T in [(d, to_danlu), (torch, to_torch)]:
        a = T(A, requires_grad=True)
        E, _ = L.lobpcg(a, k=2, B=T(B))
        with pytest.raises(ValueError, match="does not support backward with B != I"):
            E.sum().backward()
    # a tracker sees the state each step and may stop the iteration
    seen = []

    def tracker(worker):
        seen.append((worker.ivars["istep"], tuple(worker.X.shape), tuple(worker.tvars["rerr"].shape)))
        worker.bvars["force_stop"] = True

    X = rng.standard_normal((9, 2))
    d.lobpcg(to_danlu(A), X=to_danlu(X), tracker=tracker)
    assert seen == [(1, (9, 2), (2,))]
    # the start block is not modified (torch's basic method overwrites it)
    Xd = to_danlu(X)
    d.lobpcg(to_danlu(A), X=Xd, method="basic")
    np.testing.assert_array_equal(Xd.numpy(), X)
