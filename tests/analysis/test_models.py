"""The analysis tools on nn.Modules: gradient checking, Hessians vs torch, saddles, data weighting."""
import copy

import numpy as np
import pytest
import torch

import danlu
import danlu.nn as nn
from danlu.analysis import Hessian, check_gradients, classify_critical_point
from danlu.utils.data import DataLoader, TensorDataset


class _Cube(danlu.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2


class _WrongCube(_Cube):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x ** 2  # deliberately wrong: d(x³)/dx = 3x²


class _Net(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fc1, self.fc2, self.fn = nn.Linear(3, 5), nn.Linear(5, 2), fn

    def forward(self, x):
        return self.fc2(self.fn.apply(self.fc1(x)))


def _batch(n=12, d=3, k=2):
    return danlu.randn(n, d), danlu.randint(0, k, (n,))


def test_check_gradients_flags_wrong_custom_backward():
    x, y = _batch()
    good = _Net(_Cube)
    rep = check_gradients(good, nn.CrossEntropyLoss(), (x, y))
    assert rep.passed and rep.max_rel_error < 1e-6, str(rep)
    bad = _Net(_WrongCube)
    bad.load_state_dict(good.state_dict())
    rep = check_gradients(bad, nn.CrossEntropyLoss(), (x, y))
    assert not rep.passed
    assert {p.name for p in rep.failed()} == {"fc1.weight", "fc1.bias"}  # fc2's gradient is still right
    assert "WRONG" in str(rep) and "worst element" in str(rep)
    w = rep.failed()[0].worst[0]
    assert abs(w[1] - w[2]) > 1e-6
    # the original model is untouched (checked on a float64 copy)
    assert bad.fc1.weight.dtype == danlu.float32


def test_check_gradients_batchnorm_dropout_and_subset():
    x, y = _batch(16, 4, 3)
    m = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 3))
    rm = m[1].running_mean.clone()
    rep = check_gradients(m, nn.CrossEntropyLoss(), (x, y))  # train mode: batch statistics, fixed dropout
    assert rep.passed, str(rep)
    assert danlu.equal(m[1].running_mean, rm)
    m.eval()
    rep = check_gradients(m, nn.CrossEntropyLoss(), (x, y), params=["0.weight"], max_elements=5)
    assert [p.name for p in rep.params] == ["0.weight"] and rep.params[0].n_checked == 5 and rep.passed
    with pytest.raises(KeyError, match="nope"):
        check_gradients(m, nn.CrossEntropyLoss(), (x, y), params=["nope"])


def _torch_mlp_hessian(m, X, y):
    W1, b1, W2, b2 = (torch.tensor(p.detach().numpy()) for p in m.parameters())

    def f(W1, b1, W2, b2):
        out = torch.tanh(X @ W1.T + b1) @ W2.T + b2
        return ((out - y) ** 2).mean()

    blocks = torch.autograd.functional.hessian(f, (W1, b1, W2, b2))
    sizes = [p.numel() for p in m.parameters()]
    return np.block([[blocks[i][j].reshape(sizes[i], sizes[j]).numpy() for j in range(4)] for i in range(4)])


def test_module_hessian_matches_torch_and_dataloader_weighting():
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    X, Y = danlu.randn(10, 3, dtype=danlu.float64), danlu.randn(10, 2, dtype=danlu.float64)
    ref = _torch_mlp_hessian(m, torch.tensor(X.numpy()), torch.tensor(Y.numpy()))
    H = Hessian(m, nn.MSELoss(), (X, Y))
    np.testing.assert_allclose(H.dense().numpy(), ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(H.eigenvalues(2)[0], np.linalg.eigvalsh(ref)[::-1][:2], rtol=1e-8)
    # uneven batches (4, 4, 2): HVPs weighted by batch size give the full-batch Hessian
    H2 = Hessian(m, nn.MSELoss(), DataLoader(TensorDataset(X, Y), batch_size=4))
    np.testing.assert_allclose(H2.dense().numpy(), ref, rtol=1e-9, atol=1e-12)


def test_hessian_leaves_batchnorm_buffers_untouched():
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1)).double()
    X, Y = danlu.randn(8, 3, dtype=danlu.float64), danlu.randn(8, 1, dtype=danlu.float64)
    before = copy.deepcopy(m.state_dict())
    H = Hessian(m, nn.MSELoss(), (X, Y))
    H.eigenvalues(1)
    for k, v in m.state_dict().items():
        assert danlu.equal(v, before[k]), k


def test_network_at_zero_is_a_saddle_and_escape_decreases_loss():
    # no biases, zero weights: every hidden unit is 0 and gets no gradient; yet the Hessian's
    # off-diagonal (W1, W2) block couples them: eigenvalues ± singular values of E[(p − y) xᵀ]
    m = nn.Sequential(nn.Linear(4, 3, bias=False), nn.Tanh(), nn.Linear(3, 3, bias=False)).double()
    for p in m.parameters():
        nn.init.zeros_(p)
    X = danlu.randn(30, 4, dtype=danlu.float64)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()
    r = classify_critical_point(m, nn.CrossEntropyLoss(), (X, y), step=0.5)
    assert r.kind == "saddle" and r.is_critical and r.grad_norm < 1e-12
    assert r.lambda_min == pytest.approx(-r.lambda_max, rel=1e-8)
    assert r.measured_change < 0 and r.predicted_change < 0
    # plain GD from the saddle never moves; after the escape step it learns
    loss0 = r.loss
    r.escape()
    opt = danlu.optim.SGD(m.parameters(), lr=0.5)
    for _ in range(30):
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(m(X), y)
        loss.backward()
        opt.step()
    assert loss.item() < loss0 - 0.1
