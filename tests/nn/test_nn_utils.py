"""nn.utils vs torch.nn.utils: clipping, parameter vectors, weight norm, parametrize."""
import math

import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close
from tests.nn._models import compare_models, copy_into

rng = np.random.default_rng(0)


def with_grads(dtype="float64", scale=1.0):
    shapes = [(3, 4), (5,), (2, 2, 2)]
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [rng.standard_normal(s).astype(dtype) * scale for s in shapes]
    dp, tp = [], []
    for a, g in zip(arrays, grads):
        p = danlu.nn.Parameter(danlu.tensor(a))
        p.grad = danlu.tensor(g)
        q = torch.nn.Parameter(torch.tensor(a))
        q.grad = torch.tensor(g)
        dp.append(p)
        tp.append(q)
    nograd_d = danlu.nn.Parameter(danlu.ones(2))
    nograd_t = torch.nn.Parameter(torch.ones(2))
    return dp + [nograd_d], tp + [nograd_t]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.1, 1e3])
def test_clip_grad_norm(dtype, norm_type, max_norm):
    dp, tp = with_grads(dtype)
    nd = danlu.nn.utils.clip_grad_norm_(dp, max_norm, norm_type=norm_type)
    nt = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    assert_close(nd, nt)
    for p, q in zip(dp, tp):
        assert_close(p.grad, q.grad)


def test_clip_grad_norm_single_tensor_empty_and_nonfinite():
    p = danlu.nn.Parameter(danlu.ones(4))
    p.grad = danlu.full((4,), 2.0)
    assert float(danlu.nn.utils.clip_grad_norm_(p, 1.0)) == pytest.approx(4.0)
    np.testing.assert_allclose(p.grad.numpy(), 0.5 / (1 + 1e-6 / 4), rtol=1e-6)
    n = danlu.nn.utils.clip_grad_norm_([danlu.nn.Parameter(danlu.ones(2))], 1.0)
    assert float(n) == 0.0 and isinstance(n, danlu.Tensor)
    q = danlu.nn.Parameter(danlu.ones(2))
    q.grad = danlu.tensor([1.0, float("inf")])
    qt = torch.nn.Parameter(torch.ones(2))
    qt.grad = torch.tensor([1.0, float("inf")])
    with pytest.raises(RuntimeError) as et:
        torch.nn.utils.clip_grad_norm_(qt, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as ed:
        danlu.nn.utils.clip_grad_norm_(q, 1.0, error_if_nonfinite=True)
    assert str(ed.value) == str(et.value)
    assert_close(danlu.nn.utils.clip_grad_norm_(q, 1.0), torch.nn.utils.clip_grad_norm_(qt, 1.0))
    assert_close(q.grad, qt.grad)


def test_get_total_norm_and_clip_with_norm():
    dp, tp = with_grads()
    gd = [p.grad for p in dp if p.grad is not None]
    gt = [p.grad for p in tp if p.grad is not None]
    td = danlu.nn.utils.get_total_norm(gd, 3.0)
    tt = torch.nn.utils.get_total_norm(gt, 3.0)
    assert_close(td, tt)
    danlu.nn.utils.clip_grads_with_norm_(dp, 0.5, td)
    torch.nn.utils.clip_grads_with_norm_(tp, 0.5, tt)
    for p, q in zip(dp, tp):
        assert_close(p.grad, q.grad)


def test_clip_grad_value():
    dp, tp = with_grads(scale=3.0)
    assert danlu.nn.utils.clip_grad_value_(dp, 1.5) is None
    torch.nn.utils.clip_grad_value_(tp, 1.5)
    for p, q in zip(dp, tp):
        assert_close(p.grad, q.grad)


def test_parameters_to_vector_and_back():
    dm, tm = danlu.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    copy_into(dm, tm)
    vd = danlu.nn.utils.parameters_to_vector(dm.parameters())
    vt = torch.nn.utils.parameters_to_vector(tm.parameters())
    assert_close(vd, vt)
    vd.sum().backward()
    assert float(dm.weight.grad.sum()) == 6.0  # differentiable like torch
    new = np.arange(8.0, dtype="float32")
    danlu.nn.utils.vector_to_parameters(danlu.tensor(new), dm.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tm.parameters())
    for p, q in zip(dm.parameters(), tm.parameters()):
        assert_close(p, q)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got"):
        danlu.nn.utils.vector_to_parameters([1.0], dm.parameters())


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization(dim):
    tm = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(4, 3).double(), dim=dim)
    dm = danlu.nn.utils.parametrizations.weight_norm(danlu.nn.Linear(4, 3).double(), dim=dim)
    assert repr(dm) == repr(tm)
    assert list(dm.state_dict()) == list(tm.state_dict())
    copy_into(dm, tm)
    assert [n for n, _ in dm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert_close(dm.weight, tm.weight)
    compare_models(dm, tm, rng.standard_normal((5, 4)))
    danlu.nn.utils.parametrize.remove_parametrizations(dm, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(tm, "weight")
    assert type(dm) is danlu.nn.Linear and list(dm.state_dict()) == list(tm.state_dict())
    assert_close(dm.weight, tm.weight)


def test_legacy_weight_norm():
    with pytest.warns(FutureWarning):
        tm = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3).double())
    with pytest.warns(FutureWarning):
        dm = danlu.nn.utils.weight_norm(danlu.nn.Linear(4, 3).double())
    assert list(dm.state_dict()) == list(tm.state_dict())
    copy_into(dm, tm)
    compare_models(dm, tm, rng.standard_normal((5, 4)))
    danlu.nn.utils.remove_weight_norm(dm)
    assert list(dm.state_dict()) == ["bias", "weight"]


def test_custom_parametrization():
    class Sym(danlu.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).mT

    m = danlu.nn.Linear(3, 3)
    danlu.nn.utils.parametrize.register_parametrization(m, "weight", Sym())
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T)
    assert danlu.nn.utils.parametrize.is_parametrized(m, "weight")
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    m(danlu.ones(2, 3)).sum().backward()
    assert m.parametrizations.weight.original.grad is not None
