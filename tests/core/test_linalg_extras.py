"""linalg.LinAlgError, *_ex, diagonal/matmul/vander/tensorinv/tensorsolve; autograd.Variable,
testing.assert_allclose, func.functionalize/linearize/stack_module_state; all vs torch."""
import numpy as np
import pytest
import torch

import danlu as d

DT = [(d.float64, torch.float64), (d.float32, torch.float32)]


def _err(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e)
    return None, None


def _sing(batched):
    a = np.array([[1.0, 2], [2, 4]])
    if not batched:
        return a
    b = np.stack([2 * np.eye(2), a, 2 * np.eye(2)])
    return b


@pytest.mark.parametrize("batched", [False, True])
def test_linalg_error_messages(batched):
    a = _sing(batched)
    rhs = np.ones(a.shape[:-1])
    cases = [
        lambda L, T: L.linalg.inv(T(a)),
        lambda L, T: L.linalg.solve(T(a), T(rhs)),
        lambda L, T: L.linalg.cholesky(T(a)),
        lambda L, T: L.linalg.inv_ex(T(a), check_errors=True),
        lambda L, T: L.linalg.cholesky_ex(T(a), check_errors=True),
        lambda L, T: L.linalg.solve_ex(T(a), T(rhs), check_errors=True),
    ]
    for c in cases:
        de, dm = _err(lambda: c(d, d.tensor))
        te, tm = _err(lambda: c(torch, torch.tensor))
        assert dm == tm
        assert issubclass(de, d.linalg.LinAlgError) and issubclass(de, RuntimeError)
        assert issubclass(te, torch.linalg.LinAlgError)
    with pytest.raises(RuntimeError):
        d.linalg.inv(d.tensor(a))
    # lu_factor stays a plain RuntimeError, as torch's
    de, _ = _err(lambda: d.linalg.lu_factor(d.tensor(a)))
    assert de is RuntimeError


def test_ex_info_and_values():
    a = _sing(True)
    for name in ["inv_ex", "cholesky_ex"]:
        r = getattr(d.linalg, name)(d.tensor(a))
        t = getattr(torch.linalg, name)(torch.tensor(a))
        np.testing.assert_array_equal(r[1].numpy(), t[1].numpy())
        assert r[1].dtype == d.int32
        np.testing.assert_allclose(r[0].numpy()[[0, 2]], t[0].numpy()[[0, 2]])
    r = d.linalg.solve_ex(d.tensor(a), d.ones(3, 2, dtype=d.float64))
    t = torch.linalg.solve_ex(torch.tensor(a), torch.ones(3, 2, dtype=torch.float64))
    np.testing.assert_array_equal(r.info.numpy(), t.info.numpy())
    np.testing.assert_allclose(r.result.numpy()[[0, 2]], t.result.numpy()[[0, 2]])
    assert np.isnan(r.result.numpy()[1]).all()


@pytest.mark.parametrize("dd,td", DT)
@pytest.mark.parametrize("left", [True, False])
def test_solve_ex_matches_solve(dd, td, left):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    B = rng.standard_normal((2, 3, 4) if left else (2, 4, 3))
    Ad, Bd = d.tensor(A, dtype=dd, requires_grad=True), d.tensor(B, dtype=dd, requires_grad=True)
    At, Bt = torch.tensor(A, dtype=td, requires_grad=True), torch.tensor(B, dtype=td, requires_grad=True)
    X, info = d.linalg.solve_ex(Ad, Bd, left=left)
    Y, tinfo = torch.linalg.solve_ex(At, Bt, left=left)
    tol = 1e-10 if dd is d.float64 else 1e-4
    np.testing.assert_allclose(X.detach().numpy(), Y.detach().numpy(), rtol=tol, atol=tol)
    assert int(info.abs().sum()) == 0 and info.shape == tinfo.shape
    X.sum().backward()
    Y.sum().backward()
    np.testing.assert_allclose(Ad.grad.numpy(), At.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(Bd.grad.numpy(), Bt.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dd,td", DT)
def test_small_composites(dd, td):
    rng = np.random.default_rng(1)
    tol = 1e-10 if dd is d.float64 else 1e-4
    A = rng.standard_normal((2, 3, 4))
    np.testing.assert_allclose(d.linalg.diagonal(d.tensor(A, dtype=dd), offset=1).numpy(),
                               torch.linalg.diagonal(torch.tensor(A, dtype=td), offset=1).numpy())
    B = rng.standard_normal((4, 2))
    np.testing.assert_allclose(d.linalg.matmul(d.tensor(A, dtype=dd), d.tensor(B, dtype=dd)).numpy(),
                               torch.linalg.matmul(torch.tensor(A, dtype=td), torch.tensor(B, dtype=td)).numpy(),
                               rtol=tol, atol=tol)
    x = rng.standard_normal((2, 3))
    for N in [None, 2, 5]:
        xd, xt = d.tensor(x, dtype=dd, requires_grad=True), torch.tensor(x, dtype=td, requires_grad=True)
        vd, vt = d.linalg.vander(xd, N=N), torch.linalg.vander(xt, N=N)
        np.testing.assert_allclose(vd.detach().numpy(), vt.detach().numpy(), rtol=tol, atol=tol)
        vd.sum().backward()
        vt.sum().backward()
        np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    assert d.linalg.vander(d.tensor([1, 2, 3])).dtype == d.int64
    for N in [0, 1]:
        assert _err(lambda: d.linalg.vander(d.tensor(x), N=N)) == _err(lambda: torch.linalg.vander(torch.tensor(x), N=N))


@pytest.mark.parametrize("dd,td", DT)
def test_tensorinv_tensorsolve(dd, td):
    rng = np.random.default_rng(2)
    tol = 1e-8 if dd is d.float64 else 1e-3
    A = rng.standard_normal((4, 6, 8, 3))
    for ind in [1, 2]:
        shp = (4, 6, 8, 3) if ind == 2 else (24, 4, 6)
        M = A.reshape(shp)
        Md, Mt = d.tensor(M, dtype=dd, requires_grad=True), torch.tensor(M, dtype=td, requires_grad=True)
        rd, rt = d.linalg.tensorinv(Md, ind=ind), torch.linalg.tensorinv(Mt, ind=ind)
        assert tuple(rd.shape) == tuple(rt.shape)
        np.testing.assert_allclose(rd.detach().numpy(), rt.detach().numpy(), rtol=tol, atol=tol)
        g = rng.standard_normal(rt.shape)
        (rd * d.tensor(g, dtype=dd)).sum().backward()
        (rt * torch.tensor(g, dtype=td)).sum().backward()
        np.testing.assert_allclose(Md.grad.numpy(), Mt.grad.numpy(), rtol=tol * 10, atol=tol * 10)
    for ind in [0, 1]:
        assert _err(lambda: d.linalg.tensorinv(d.tensor(A), ind=ind)) == \
            _err(lambda: torch.linalg.tensorinv(torch.tensor(A), ind=ind))
    S = np.ones((2, 2, 2, 2))
    de, dm = _err(lambda: d.linalg.tensorinv(d.tensor(S)))
    te, tm = _err(lambda: torch.linalg.tensorinv(torch.tensor(S)))
    assert dm == tm and issubclass(de, d.linalg.LinAlgError)
    for Ash, Bsh, dims in [((2, 3, 6), (2, 3), None), ((6, 4, 2, 3), (4, 2, 3), (0,)),
                           ((6, 4, 2, 3), (6, 5), None), ((6, 4, 2, 2), (6, 4), None)]:
        Av, Bv = rng.standard_normal(Ash), rng.standard_normal(Bsh)
        Ad, Bd = d.tensor(Av, dtype=dd, requires_grad=True), d.tensor(Bv, dtype=dd, requires_grad=True)
        At, Bt = torch.tensor(Av, dtype=td, requires_grad=True), torch.tensor(Bv, dtype=td, requires_grad=True)
        de, dm = _err(lambda: d.linalg.tensorsolve(Ad, Bd, dims=dims))
        te, tm = _err(lambda: torch.linalg.tensorsolve(At, Bt, dims=dims))
        assert dm == tm
        if de is None:
            xd, xt = d.linalg.tensorsolve(Ad, Bd, dims=dims), torch.linalg.tensorsolve(At, Bt, dims=dims)
            np.testing.assert_allclose(xd.detach().numpy(), xt.detach().numpy(), rtol=tol, atol=tol)
            xd.sum().backward()
            xt.sum().backward()
            np.testing.assert_allclose(Ad.grad.numpy(), At.grad.numpy(), rtol=tol * 10, atol=tol * 10)
            np.testing.assert_allclose(Bd.grad.numpy(), Bt.grad.numpy(), rtol=tol * 10, atol=tol * 10)


def test_variable():
    from danlu.autograd import Variable

    a = d.ones(2, requires_grad=True) * 2
    v = Variable(a)
    assert v is not a and not v.requires_grad and v.grad_fn is None
    assert isinstance(d.ones(1), Variable)
    w = Variable(a, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    w.data[0] = 5.0
    assert float(a[0]) == 5.0  # shares storage, as torch
    assert _err(lambda: Variable(3)) == _err(lambda: torch.autograd.Variable(3))
    assert Variable().numel() == 0


def test_assert_allclose():
    with pytest.warns(FutureWarning):
        d.testing.assert_allclose(d.tensor([1.0, float("nan")]), [1.0 + 1e-6, float("nan")])
    with pytest.warns(FutureWarning), pytest.raises(AssertionError):
        d.testing.assert_allclose(d.tensor([1.0]), [1.01])
    with pytest.warns(FutureWarning):  # no dtype check
        d.testing.assert_allclose(d.tensor([1.0], dtype=d.float64), d.tensor([1.0]))


def test_func_extras():
    from danlu import func

    f = lambda x: x.sin() * 2  # noqa: E731
    assert func.functionalize(f) is f
    assert _err(lambda: func.functionalize(f, remove="x")) == \
        _err(lambda: torch.func.functionalize(torch.sin, remove="x"))
    x, t = np.random.default_rng(3).standard_normal((2, 3, 3))
    out, jfn = func.linearize(lambda a: a.sin() @ a, d.tensor(x))
    tout, tjfn = torch.func.linearize(lambda a: a.sin() @ a, torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), tout.numpy())
    np.testing.assert_allclose(jfn(d.tensor(t)).numpy(), tjfn(torch.tensor(t)).numpy(), atol=1e-12)
    with pytest.raises(RuntimeError, match="doesn't match the shape"):
        jfn(d.ones(2, dtype=d.float64))

    models = [d.nn.Sequential(d.nn.Linear(3, 2), d.nn.BatchNorm1d(2)) for _ in range(3)]
    p, b = func.stack_module_state(models)
    assert set(p) == {k for k, _ in models[0].named_parameters()}
    assert set(b) == {k for k, _ in models[0].named_buffers()}
    assert tuple(p["0.weight"].shape) == (3, 2, 3) and p["0.weight"].is_leaf and p["0.weight"].requires_grad
    np.testing.assert_array_equal(p["0.weight"][1].detach().numpy(), models[1][0].weight.detach().numpy())
    assert tuple(b["1.running_mean"].shape) == (3, 2)
    with pytest.raises(RuntimeError, match="Expected at least one model, got 0."):
        func.stack_module_state([])
    models[0].eval()
    with pytest.raises(RuntimeError, match="same training/eval mode"):
        func.stack_module_state(models)
    with pytest.raises(RuntimeError, match="same class"):
        func.stack_module_state([d.nn.Linear(2, 2), d.nn.ReLU()])
