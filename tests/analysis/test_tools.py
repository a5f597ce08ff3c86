"""Loss landscapes, gradient flow, the LR finder and the PNG plots."""
import copy

import numpy as np
import pytest

import danlu
import danlu.nn as nn
from danlu.analysis import (
    GradientFlowMonitor,
    Hessian,
    gradient_flow,
    interpolate,
    lr_range_test,
    project_trajectory,
    random_direction,
    slice_1d,
    slice_2d,
)


def _model_data():
    m = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
    return m, danlu.randn(20, 4), danlu.randn(20, 2)


def _loss(m, X, Y):
    with danlu.no_grad():
        return nn.MSELoss()(m(X), Y).item()


def test_random_direction_filter_normalised():
    m, _, _ = _model_data()
    d = random_direction(m, seed=0)
    W, b = m[0].weight.detach().numpy(), m[0].bias.detach().numpy()
    np.testing.assert_allclose(np.linalg.norm(d[0].numpy(), axis=1), np.linalg.norm(W, axis=1), rtol=1e-6)
    assert np.all(d[1].numpy() == 0)  # biases ignored (Li et al.)
    d2 = random_direction(m, seed=0, ignore_1d=False)
    assert np.linalg.norm(d2[1].numpy()) == pytest.approx(np.linalg.norm(b), rel=1e-6)
    d3 = random_direction(m, seed=0, filter_normalize=False)
    assert d3[1].numpy().std() > 0.3
    np.testing.assert_array_equal(random_direction(m, seed=1)[0].numpy(), random_direction(m, seed=1)[0].numpy())


def test_slice_1d_equals_direct_evaluation_and_restores_params():
    m, X, Y = _model_data()
    before = copy.deepcopy(m.state_dict())
    d = random_direction(m, seed=3)
    alphas = np.linspace(-1, 1, 5)
    res = slice_1d(m, nn.MSELoss(), (X, Y), direction=d, alphas=alphas)
    assert res.losses.shape == (5,)
    assert res.center_loss == pytest.approx(_loss(m, X, Y), rel=1e-6)
    assert res.losses[2] == pytest.approx(res.center_loss, rel=1e-6)
    for a, got in zip(alphas, res.losses):  # direct: move a copy by hand
        c = copy.deepcopy(m)
        with danlu.no_grad():
            for p, dp in zip(c.parameters(), d):
                p.add_(a * dp.float())
        assert got == pytest.approx(_loss(c, X, Y), rel=1e-5)
    for k, v in m.state_dict().items():
        assert danlu.equal(v, before[k])


def test_slice_2d_shape_center_and_trajectory():
    m, X, Y = _model_data()
    res = slice_2d(m, nn.MSELoss(), (X, Y), alphas=np.linspace(-1, 1, 5), betas=np.linspace(-0.5, 0.5, 3))
    assert res.losses.shape == (5, 3)
    assert res.losses[2, 1] == pytest.approx(res.center_loss, rel=1e-6)
    assert res.center_loss == pytest.approx(_loss(m, X, Y), rel=1e-6)
    # a trajectory built inside the plane θ + a δ + b η projects back onto (a, b)
    d1, d2 = res.directions
    theta = [p.detach().double() for p in m.parameters()]
    coords = np.array([[1.0, 0.0], [0.5, -0.25], [0.1, 0.2], [0.0, 0.0]])
    traj = [[t + a * u + b * v for t, u, v in zip(theta, d1, d2)] for a, b in coords]
    np.testing.assert_allclose(project_trajectory(traj, theta, [d1, d2]), coords, atol=1e-6)
    # with a trajectory and no directions: PCA plane, grid covering the path
    r2 = slice_2d(m, nn.MSELoss(), (X, Y), trajectory=traj, steps=4)
    assert r2.trajectory.shape == (4, 2) and r2.losses.shape == (4, 4)
    assert r2.alphas.min() <= r2.trajectory[:, 0].min() and r2.alphas.max() >= r2.trajectory[:, 0].max()


def test_interpolate_state_dicts_with_batchnorm_buffers():
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    X, Y = danlu.randn(16, 3), danlu.randn(16, 1)
    start = copy.deepcopy(m.state_dict())
    opt = danlu.optim.SGD(m.parameters(), lr=0.1)
    for _ in range(5):
        opt.zero_grad()
        nn.MSELoss()(m(X), Y).backward()
        opt.step()
    m.eval()  # running statistics now matter: they are interpolated too
    end = copy.deepcopy(m.state_dict())
    res = interpolate(m, nn.MSELoss(), (X, Y), start, end, alphas=[0.0, 0.5, 1.0])
    assert res.losses[2] == pytest.approx(_loss(m, X, Y), rel=1e-5)
    m.load_state_dict(start)
    assert res.losses[0] == pytest.approx(_loss(m, X, Y), rel=1e-5)
    assert res.center_loss == pytest.approx(res.losses[0])
    half = {k: (start[k] + end[k]) / 2 if start[k].is_floating_point() else end[k] for k in start}
    m.load_state_dict(half)
    assert res.losses[1] == pytest.approx(_loss(m, X, Y), rel=1e-5)
    m.load_state_dict(end)
    for k, v in m.state_dict().items():  # interpolate() restored the model
        assert danlu.equal(v, end[k])
    # end=model.state_dict() may share the model's memory: still interpolates towards it
    r = interpolate(m, nn.MSELoss(), (X, Y), start, m.state_dict(), alphas=[0.0, 1.0])
    np.testing.assert_allclose(r.losses, res.losses[[0, 2]], rtol=1e-6)
    # parameter lists work for plain functions too
    x = danlu.tensor([0.0, 0.0], dtype=danlu.float64, requires_grad=True)
    r = interpolate(lambda x: (x ** 2).sum(), None, None, [danlu.zeros(2)], [danlu.ones(2)],
                    alphas=[0.0, 1.0, 2.0], params=[x])
    np.testing.assert_allclose(r.losses, [0.0, 2.0, 8.0])


def _deep(act, depth=10, init=None):
    layers, d = [], 20
    for _ in range(depth):
        lin = nn.Linear(d, 32)
        if init is not None:
            init(lin)
        layers += [lin, act()]
        d = 32
    return nn.Sequential(*layers, nn.Linear(d, 3))


def _he(lin):
    nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
    nn.init.zeros_(lin.bias)


def test_gradient_flow_sigmoid_vanishes_relu_he_does_not():
    x, y = danlu.randn(64, 20), danlu.randint(0, 3, (64,))
    rep = gradient_flow(_deep(nn.Sigmoid), nn.CrossEntropyLoss(), (x, y))
    assert "0.weight" in rep.vanishing and "20.weight" not in rep.vanishing and not rep.healthy
    assert rep.grad_norms[0] < 1e-4 * rep.grad_norms[-1]
    assert "VANISHING" in str(rep)
    rep = gradient_flow(_deep(nn.ReLU, init=_he), nn.CrossEntropyLoss(), (x, y))
    assert rep.healthy and not rep.vanishing and not rep.exploding, str(rep)


def test_gradient_flow_monitor_records_and_detects_explosion(tmp_path):
    m = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 1))
    X, Y = danlu.randn(32, 5), danlu.randn(32, 1)
    opt = danlu.optim.SGD(m.parameters(), lr=0.05)
    mon = GradientFlowMonitor(m).attach(opt)
    manual = GradientFlowMonitor(m, include_1d=True)
    for _ in range(4):
        opt.zero_grad()
        nn.MSELoss()(m(X), Y).backward()
        manual.record()
        opt.step()
    mon.detach()
    assert mon.names == ["0.weight", "2.weight"] and len(mon.steps) == 4
    h = mon.history()
    assert h["0.weight"]["grad_norm"].shape == (4,) and np.all(h["0.weight"]["update_ratio"] > 0)
    # SGD: ‖ΔW‖ = lr ‖∇W‖ exactly
    np.testing.assert_allclose(h["2.weight"]["update_ratio"] * h["2.weight"]["weight_norm"],
                               0.05 * h["2.weight"]["grad_norm"], rtol=1e-4)
    assert len(manual.names) == 4 and np.isnan(manual.history()["0.bias"]["update_ratio"][0])
    assert mon.report().healthy
    assert mon.plot(str(tmp_path / "flow.png")).endswith("flow.png") and (tmp_path / "flow.png").stat().st_size > 0
    with danlu.no_grad():
        m[2].weight.mul_(1e6)
    opt.zero_grad()
    nn.MSELoss()(m(X), Y).backward()
    manual.record()
    assert "2.weight" in manual.report().exploding or "0.weight" in manual.report().exploding


def _fashion(n=1000):
    from danlu.datasets import FashionMNIST

    ds = FashionMNIST(train=True, bundled=True)
    X = ds.data[:n].reshape(n, -1).float() / 255.0
    return X, ds.targets[:n]


def test_lr_finder_on_fashion_mnist_suggests_a_working_lr(tmp_path):
    from danlu.utils.data import DataLoader, TensorDataset

    X, y = _fashion(1000)
    model = nn.Linear(784, 10)
    init = copy.deepcopy(model.state_dict())
    opt = danlu.optim.SGD(model.parameters(), lr=0.123)
    loader = DataLoader(TensorDataset(X, y), batch_size=50, shuffle=True)
    res = lr_range_test(model, nn.CrossEntropyLoss(), opt, loader, start_lr=1e-5, end_lr=100.0, num_steps=80)
    for k, v in model.state_dict().items():  # model and optimizer restored
        assert danlu.equal(v, init[k])
    assert opt.param_groups[0]["lr"] == 0.123
    assert res.diverged and len(res.lrs) <= 80 and res.lrs[0] == pytest.approx(1e-5)
    assert 1e-3 <= res.suggestion <= res.min_loss_lr <= 100.0
    # the suggestion trains: after 40 steps it beats a 100x smaller lr by a clear margin

    def train(lr):
        m = copy.deepcopy(model)
        o = danlu.optim.SGD(m.parameters(), lr=lr)
        for i in range(40):
            xb, yb = X[(i * 25) % 1000:(i * 25) % 1000 + 25], y[(i * 25) % 1000:(i * 25) % 1000 + 25]
            o.zero_grad()
            nn.CrossEntropyLoss()(m(xb), yb).backward()
            o.step()
        with danlu.no_grad():
            return nn.CrossEntropyLoss()(m(X), y).item()

    assert train(res.suggestion) < train(res.suggestion / 100) - 0.2
    assert "suggested" in str(res)
    res.plot(str(tmp_path / "lr.png"))
    assert (tmp_path / "lr.png").stat().st_size > 0


def test_plots_write_pngs(tmp_path):
    x = danlu.tensor([0.5, -0.5], dtype=danlu.float64, requires_grad=True)
    f = lambda x: x[0] ** 2 - x[1] ** 2  # noqa: E731
    e = [[danlu.tensor([1.0, 0.0])], [danlu.tensor([0.0, 1.0])]]
    s2 = slice_2d(f, params=[x], directions=e, steps=5)
    assert s2.losses[2, 2] == pytest.approx(0.0)
    s1 = slice_1d(f, params=[x], direction=e[0], alphas=[-1, 0, 1])
    np.testing.assert_allclose(s1.losses, [0.0, 0.0, 2.0])
    dens = Hessian.from_function(f, [x]).density(n_probes=2, n_steps=2)
    for obj, name in ((s2, "c2.png"), (s1, "c1.png"), (dens, "d.png")):
        obj.plot(str(tmp_path / name))
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
