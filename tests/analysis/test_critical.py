"""Critical-point classification on crafted functions with known answers."""
import numpy as np
import pytest

import danlu
from danlu.analysis import classify_critical_point


def _pt(*v):
    return danlu.tensor(list(v), dtype=danlu.float64, requires_grad=True)


@pytest.mark.parametrize("method", ["dense", "lanczos"])
@pytest.mark.parametrize("fn, point, kind", [
    (lambda x: x[0] ** 2 + 3 * x[1] ** 2, (0.0, 0.0), "minimum"),
    (lambda x: -(x[0] ** 2) - 0.5 * x[1] ** 2, (0.0, 0.0), "maximum"),
    (lambda x: x[0] ** 2 - x[1] ** 2, (0.0, 0.0), "saddle"),
    (lambda x: x[0] ** 2 + x[1] ** 4, (0.0, 0.0), "degenerate"),   # λ = (2, 0)
    (lambda x: x[0] ** 3 + 0 * x[1], (0.0, 0.0), "degenerate"),   # flat
    (lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2, (1.0, 1.0), "minimum"),  # Rosenbrock
])
def test_classification(fn, point, kind, method):
    x = _pt(*point)
    r = classify_critical_point(fn, params=[x], method=method)
    assert r.kind == kind
    assert r.is_critical and r.grad_norm < 1e-12
    assert r.inconclusive == (kind == "degenerate")
    assert (r.escape_direction is not None) == (kind == "saddle")
    assert kind.split()[0] in r.verdict


def test_rosenbrock_eigenvalues_closed_form():
    # H(1,1) = [[802, -400], [-400, 200]]
    r = classify_critical_point(lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2, params=[_pt(1.0, 1.0)])
    w = np.linalg.eigvalsh(np.array([[802.0, -400.0], [-400.0, 200.0]]))
    assert r.lambda_min == pytest.approx(w[0], rel=1e-10) and r.lambda_max == pytest.approx(w[1], rel=1e-10)


def test_saddle_escape_direction_decreases_loss():
    f = lambda x, y: x[0] ** 2 - 2 * x[1] ** 2 + (y ** 2).sum()  # noqa: E731
    x, y = _pt(0.0, 0.0), _pt(0.0)
    r = classify_critical_point(f, params=[x, y], step=0.1)
    assert r.kind == "saddle" and r.lambda_min == pytest.approx(-4.0)
    u = np.concatenate([t.numpy().ravel() for t in r.escape_direction])
    assert abs(abs(u[1]) - 1) < 1e-10  # the y-axis of x: the negative-curvature eigenvector
    assert r.predicted_change == pytest.approx(0.5 * -4.0 * 0.01)
    assert r.measured_change == pytest.approx(r.predicted_change, rel=1e-8)
    before = f(x, y).item()
    after = r.escape()
    assert after < before and after == pytest.approx(f(x, y).item())
    assert "saddle" in str(r) and "escape direction" in str(r)


def test_not_critical_and_tolerance():
    r = classify_critical_point(lambda x: (x ** 2).sum(), params=[_pt(1.0, 2.0)])
    assert not r.is_critical and r.kind == "minimum" and "not a critical point" in r.verdict
    # a tiny negative eigenvalue is "zero" under a loose tolerance, a saddle under a tight one
    g = lambda x: x[0] ** 2 - 1e-7 * x[1] ** 2  # noqa: E731
    assert classify_critical_point(g, params=[_pt(0.0, 0.0)], tol=1e-5).kind == "degenerate"
    assert classify_critical_point(g, params=[_pt(0.0, 0.0)], tol=1e-9).kind == "saddle"


def test_two_layer_linear_network_at_zero_is_a_saddle():
    # L(w1, w2) = mean((w2 w1 x - x)^2)/2 at w = 0: gradient 0, Hessian [[0, -c], [-c, 0]], c = E[x^2]
    rng = np.random.default_rng(0)
    X = danlu.tensor(rng.standard_normal(50))
    c = float((X * X).mean().item())
    w1, w2 = _pt(0.0), _pt(0.0)
    f = lambda a, b: 0.5 * ((b * a * X - X) ** 2).mean()  # noqa: E731
    r = classify_critical_point(f, params=[w1, w2])
    assert r.kind == "saddle" and r.grad_norm == 0.0
    assert r.lambda_min == pytest.approx(-c) and r.lambda_max == pytest.approx(c)
    assert r.measured_change < 0
    r.escape()
    # from the escaped point plain gradient descent now makes progress
    lr = 0.2
    for _ in range(100):
        loss = f(w1, w2)
        g1, g2 = danlu.autograd.grad(loss, [w1, w2])
        with danlu.no_grad():
            w1 -= lr * g1
            w2 -= lr * g2
    assert f(w1, w2).item() < 1e-3
