"""Hessian tools against exact references: torch.autograd.functional.hessian, numpy eigh, closed forms."""
import numpy as np
import pytest
import torch

import danlu
from danlu.analysis import Hessian, lanczos_tridiagonal


def _quadratic(eigs, seed=0):
    """x ↦ ½ xᵀ A x with A = Q diag(eigs) Qᵀ: Hessian A, known spectrum."""
    rng = np.random.default_rng(seed)
    n = len(eigs)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = Q @ np.diag(eigs) @ Q.T
    At = danlu.tensor(A)
    x = danlu.tensor(rng.standard_normal(n), requires_grad=True)
    return Hessian.from_function(lambda x: 0.5 * (x @ (At @ x)), [x]), A


def _mlp_data(seed=0, n=16, d=3, h=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal((n, 1))
    ps = [rng.standard_normal((d, h)) * 0.7, rng.standard_normal(h) * 0.1,
          rng.standard_normal((h, 1)) * 0.7, rng.standard_normal(1) * 0.1]
    return X, y, ps


def _mlp_loss(lib, X, y):
    def f(W1, b1, W2, b2):
        return ((lib.tanh(X @ W1 + b1) @ W2 + b2 - y) ** 2).mean()
    return f


@pytest.fixture(scope="module")
def mlp():
    X, y, ps = _mlp_data()
    params = [danlu.tensor(p, requires_grad=True) for p in ps]
    H = Hessian.from_function(_mlp_loss(danlu, danlu.tensor(X), danlu.tensor(y)), params)
    tX, ty = torch.tensor(X), torch.tensor(y)
    blocks = torch.autograd.functional.hessian(_mlp_loss(torch, tX, ty), tuple(torch.tensor(p) for p in ps))
    sizes = [p.size for p in ps]
    ref = np.block([[blocks[i][j].reshape(sizes[i], sizes[j]).numpy() for j in range(4)] for i in range(4)])
    return H, ref


def test_dense_matches_torch_hessian(mlp):
    H, ref = mlp
    D = H.dense()
    assert D.shape == (H.n, H.n) and D.dtype == danlu.float64
    np.testing.assert_allclose(D.numpy(), ref, rtol=1e-10, atol=1e-12)


def test_hvp_matches_dense(mlp):
    H, ref = mlp
    rng = np.random.default_rng(1)
    v = rng.standard_normal(H.n)
    hv = H.hvp(danlu.tensor(v))
    assert [tuple(t.shape) for t in hv] == [tuple(p.shape) for p in H.params]
    np.testing.assert_allclose(np.concatenate([t.numpy().ravel() for t in hv]), ref @ v, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("which", ["largest", "smallest"])
def test_lanczos_eigenvalues_match_eigvalsh(mlp, which):
    H, ref = mlp
    w = np.linalg.eigvalsh(ref)
    expect = w[::-1][:3] if which == "largest" else w[:3]
    vals, vecs = H.eigenvalues(3, which, tol=1e-9)
    np.testing.assert_allclose(vals, expect, rtol=1e-8, atol=1e-10)
    for lam, u in zip(vals, vecs):  # eigenvectors: unit, parameter-shaped, H u = λ u
        flat = np.concatenate([t.numpy().ravel() for t in u])
        assert abs(np.linalg.norm(flat) - 1) < 1e-8
        np.testing.assert_allclose(ref @ flat, lam * flat, atol=1e-6)


@pytest.mark.parametrize("which", ["largest", "smallest"])
def test_power_iteration_with_deflation_matches_eigvalsh(mlp, which):
    # power iteration converges like (λ2/λ1)^k: a well-separated spectrum keeps the test fast
    eigs = np.array([-6.0, -3.0, -1.0, 0.2, 0.5, 1.0, 2.0, 4.5, 9.0])
    H, A = _quadratic(eigs, seed=2)
    w = np.linalg.eigvalsh(A)
    expect = w[::-1][:3] if which == "largest" else w[:3]
    vals, vecs, res = H.eigenvalues(3, which, method="power", tol=1e-7, return_residuals=True)
    np.testing.assert_allclose(vals, expect, rtol=1e-8)
    assert max(res) < 1e-5
    # on the MLP (clustered top: 2.84 vs 2.68) the top eigenvalue still comes out right
    Hm, ref = mlp
    np.testing.assert_allclose(Hm.eigenvalues(1, which, method="power", tol=1e-5)[0],
                               [np.linalg.eigvalsh(ref)[-1 if which == "largest" else 0]], rtol=1e-6)


def test_closed_form_quadratic_spectrum():
    eigs = np.array([-4.0, -1.0, 0.5, 1.0, 2.0, 3.0, 7.0, 12.0])
    H, A = _quadratic(eigs)
    np.testing.assert_allclose(H.dense().numpy(), A, atol=1e-12)
    assert H.eigenvalues(2)[0] == pytest.approx([12.0, 7.0], abs=1e-9)
    assert H.eigenvalues(2, "smallest")[0] == pytest.approx([-4.0, -1.0], abs=1e-9)


def test_lanczos_partial_run_top_eigenvalues():
    # n = 60, well separated top: a short Krylov run already converges
    eigs = np.concatenate([np.linspace(0, 1, 57), [5.0, 8.0, 20.0]])
    H, _ = _quadratic(eigs, seed=3)
    vals, _, res = H.eigenvalues(3, tol=1e-8, return_residuals=True)
    np.testing.assert_allclose(vals, [20.0, 8.0, 5.0], rtol=1e-7)
    assert max(res) < 1e-5
    T = lanczos_tridiagonal(lambda v: H.objective.hvp(v), np.ones(60), 10)
    assert T.shape == (10, 10) and np.allclose(T, T.T)


def test_hutchinson_trace_within_stderr(mlp):
    H, ref = mlp
    tr = H.trace(n_samples=200, seed=0)
    est, se = tr
    assert len(tr.samples) == 200 and se > 0 and tr.estimate == est and "stderr" in repr(tr)
    assert abs(est - np.trace(ref)) <= 3 * se
    # on a diagonal Hessian Rademacher probes are exact: zero variance
    x = danlu.tensor([1.0, 2.0, 3.0], dtype=danlu.float64, requires_grad=True)
    h = Hessian.from_function(lambda x: (danlu.tensor([1.0, 2.0, 5.0]) * x * x).sum(), [x])
    est, se = h.trace(n_samples=5)
    assert est == pytest.approx(16.0) and se == pytest.approx(0.0, abs=1e-12)


def test_slq_density_integrates_to_one_and_mean_is_trace_over_n():
    eigs = np.linspace(-2.0, 6.0, 40)
    H, A = _quadratic(eigs, seed=5)
    d = H.density(n_probes=30, n_steps=25, seed=1)
    assert d.grid.shape == d.density.shape
    assert np.trapezoid(d.density, d.grid) == pytest.approx(1.0, abs=1e-3)
    np.testing.assert_allclose(d.weights.sum(axis=1), 1.0, atol=1e-10)
    assert d.mean() == pytest.approx(np.trace(A) / 40, abs=0.3)
    assert d.nodes.min() >= -2.0 - 1e-8 and d.nodes.max() <= 6.0 + 1e-8


def test_bad_arguments():
    H, _ = _quadratic([1.0, 2.0])
    with pytest.raises(ValueError, match="which"):
        H.eigenvalues(1, "middle")
    with pytest.raises(ValueError, match="top_n"):
        H.eigenvalues(3)
    with pytest.raises(ValueError, match="method"):
        H.eigenvalues(1, method="arnoldi")
    with pytest.raises(RuntimeError, match="max_n"):
        H.dense(max_n=1)
    with pytest.raises(ValueError, match="params"):
        Hessian(lambda x: x.sum())


@pytest.mark.parametrize("method", ["lanczos", "power"])
def test_repeated_eigenvalues_are_all_found(method):
    # one Krylov sequence sees a single copy of 9 (x3); the deflated restarts find the others
    eigs = np.concatenate([[9.0, 9.0, 9.0, 4.0, -5.0, -5.0, -2.0], np.linspace(0, 1, 43)])
    H, _ = _quadratic(eigs, seed=1)
    np.testing.assert_allclose(H.eigenvalues(4, method=method, tol=1e-8)[0], [9, 9, 9, 4], rtol=1e-6)
    np.testing.assert_allclose(H.eigenvalues(3, "smallest", method=method, tol=1e-8)[0], [-5, -5, -2],
                               rtol=1e-6)
