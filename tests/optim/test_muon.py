"""danlu.optim.Muon step for step against torch.optim.Muon (bfloat16 Newton-Schulz emulated)."""
from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest
import torch

import danlu
from tests.optim._util import compare_params, compare_state, to_danlu_state

# wide, tall, square, very wide, very tall
SHAPES = [(3, 4), (6, 3), (5, 5), (2, 9), (8, 2)]


def _values(dtype, seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _grads(values, step):
    out = []
    for i, v in enumerate(values):
        g = 2.0 * np.tanh(v) + 0.7 * np.sin(0.9 * step + i + np.arange(v.size).reshape(v.shape))
        out.append(g.astype(v.dtype))
    return out


def _set_grads(dps, tps, step):
    for p, q, g in zip(dps, tps, _grads([p.detach().numpy() for p in dps], step)):
        p.grad = danlu.tensor(g.copy())
        q.grad = torch.tensor(g.copy())


def _pair(kw, dtype, shapes=SHAPES, split=True):
    values = _values(dtype, shapes=shapes)
    dps = [danlu.tensor(v.copy(), requires_grad=True) for v in values]
    tps = [torch.tensor(v.copy(), requires_grad=True) for v in values]

    def groups(ps):   # the last two matrices in a second group with half the learning rate
        if not split:
            return ps
        return [{"params": ps[:-2]}, {"params": ps[-2:], "lr": kw.get("lr", 1e-3) * 0.5}]

    return dps, tps, danlu.optim.Muon(groups(dps), **kw), torch.optim.Muon(groups(tps), **kw)


CASES = [dict(lr=0.05, nesterov=n, weight_decay=wd, adjust_lr_fn=f, momentum=m)
         for n, wd, f, m in itertools.product([True, False], [0.0, 0.1], [None, "original", "match_rms_adamw"],
                                              [0.95, 0.3, 0.0])]
CASES += [dict(lr=0.02, ns_steps=3, ns_coefficients=(2.0, -1.5, 0.5), eps=1e-3),
          dict(lr=0.1, ns_steps=0, momentum=0.6),
          dict()]


def _id(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", CASES, ids=_id)
def test_matches_torch_every_step(kw, dtype):
    dps, tps, dopt, topt = _pair(kw, dtype)
    for step in range(5):
        _set_grads(dps, tps, step)
        dopt.step()
        topt.step()
        compare_params(dps, tps)
        compare_state(dopt, topt)


def test_tensor_lr_and_larger_matrices():
    kw = dict(lr=danlu.tensor(0.03), weight_decay=0.05)
    values = _values("float32", shapes=[(16, 40), (33, 12)])
    dps = [danlu.tensor(v.copy(), requires_grad=True) for v in values]
    tps = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    dopt = danlu.optim.Muon(dps, **kw)
    topt = torch.optim.Muon(tps, lr=torch.tensor(0.03), weight_decay=0.05)
    for step in range(5):
        _set_grads(dps, tps, step)
        dopt.step()
        topt.step()
    # longer dot products: the BLAS's summation order may, rarely, flip one bfloat16 rounding
    compare_params(dps, tps, rtol=1e-3, atol=1e-4)


def test_zero_gradient_only_decays():
    dps, tps, dopt, topt = _pair(dict(lr=0.1, weight_decay=0.2), "float64", split=False)
    for p, q in zip(dps, tps):
        p.grad = danlu.zeros(*p.shape, dtype=danlu.float64)
        q.grad = torch.zeros(*q.shape, dtype=torch.float64)
    dopt.step()
    topt.step()
    compare_params(dps, tps)
    for p, v in zip(dps, _values("float64")):
        np.testing.assert_allclose(p.detach().numpy(), v * (1 - 0.1 * 0.2), rtol=1e-15)


@pytest.mark.parametrize("kw", [CASES[0], CASES[7], CASES[-3]], ids=_id)
def test_state_dict_round_trip(kw):
    """Save mid-training, load into a fresh optimizer over fresh parameters, continue: identical to the
    uninterrupted run.  Also load *torch's* state_dict into danlu and continue alongside torch."""
    dps, tps, dopt, topt = _pair(kw, "float64")
    for step in range(3):
        _set_grads(dps, tps, step)
        dopt.step()
        topt.step()
    saved = copy.deepcopy(dopt.state_dict())
    saved_torch = to_danlu_state(copy.deepcopy(topt.state_dict()))
    assert set(saved["state"][0]) == {"momentum_buffer"}
    d2 = [danlu.tensor(p.detach().numpy().copy(), requires_grad=True) for p in dps]
    d3 = [danlu.tensor(p.detach().numpy().copy(), requires_grad=True) for p in tps]
    kw2 = {k: v for k, v in kw.items() if k != "lr"}
    o2 = danlu.optim.Muon([{"params": d2[:-2]}, {"params": d2[-2:], "lr": 0.123}], lr=0.321, **kw2)
    o3 = danlu.optim.Muon([{"params": d3[:-2]}, {"params": d3[-2:], "lr": 0.123}], lr=0.321, **kw2)
    o2.load_state_dict(saved)
    o3.load_state_dict(saved_torch)
    assert [g["lr"] for g in o2.param_groups] == [g["lr"] for g in dopt.param_groups]
    for step in range(3, 6):
        _set_grads(dps, tps, step)
        for p, q, r in zip(d2, d3, dps):
            p.grad = r.grad.clone()
            q.grad = r.grad.clone()
        for o in (dopt, topt, o2, o3):
            o.step()
        for a, b in zip(d2, dps):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        compare_params(d3, tps)
    compare_state(o3, topt)


def test_params_without_grad_are_skipped():
    dps, tps, dopt, topt = _pair(dict(lr=0.1), "float64", split=False)
    for i in (0, 2):
        g = np.ones(SHAPES[i])
        dps[i].grad = danlu.tensor(g.copy())
        tps[i].grad = torch.tensor(g.copy())
    before = [p.detach().numpy().copy() for p in dps]
    assert dopt.step() is None and topt.step() is None
    compare_params(dps, tps)
    compare_state(dopt, topt)
    assert sorted(dopt.state_dict()["state"]) == [0, 2]
    for i in (1, 3, 4):
        np.testing.assert_array_equal(dps[i].detach().numpy(), before[i])
    np.testing.assert_array_equal(dps[0].grad.numpy(), np.ones(SHAPES[0]))   # .grad never modified


def test_closure_loss():
    p = danlu.tensor(_values("float64")[0], requires_grad=True)
    opt = danlu.optim.Muon([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == pytest.approx(float((_values("float64")[0] ** 2).sum()))


def _messages(build):
    """(danlu's error, torch's error) of ``build(lib)``: same type, returned as messages."""
    with pytest.raises(Exception) as ed:
        build(danlu)
    with pytest.raises(Exception) as et:
        build(torch)
    assert type(ed.value) is type(et.value), (ed.value, et.value)
    return str(ed.value), str(et.value)


@pytest.mark.parametrize("kw", [dict(lr=-0.1), dict(momentum=-0.5), dict(weight_decay=-1.0),
                                dict(adjust_lr_fn="cosine")], ids=_id)
def test_invalid_hyper_parameters(kw):
    d, t = _messages(lambda lib: lib.optim.Muon([lib.zeros(3, 4, requires_grad=True)], **kw))
    assert d == t


def test_tensor_lr_must_have_one_element():
    d, t = _messages(lambda lib: lib.optim.Muon([lib.zeros(3, 4, requires_grad=True)], lr=lib.tensor([0.1, 0.2])))
    assert d == t == "Tensor lr must be 1-element"


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4), ()])
def test_non_matrix_parameter_rejected(shape):
    d, t = _messages(lambda lib: lib.optim.Muon([lib.zeros(3, 4, requires_grad=True),
                                                 lib.zeros(shape, requires_grad=True)]))
    assert d == t.replace("torch.Size", "danlu.Size")
    assert d.startswith("Muon only supports 2D parameters whereas we found a parameter with size: ")


def _step_error(lib, kw, extra_shape=None):
    p = lib.ones(3, 4, requires_grad=True)
    opt = lib.optim.Muon([p], **kw)
    p.grad = lib.ones(3, 4)
    if extra_shape is not None:   # add_param_group does not check the shape; step does
        q = lib.ones(*extra_shape, requires_grad=True)
        opt.add_param_group({"params": [q]})
        q.grad = lib.ones(*extra_shape)
    opt.step()


@pytest.mark.parametrize("kw,extra", [(dict(ns_steps=100), None), (dict(ns_coefficients=(1.0, 2.0)), None),
                                      (dict(), (5,))], ids=["ns_steps", "coefficients", "1d-group"])
def test_step_errors(kw, extra):
    d, t = _messages(lambda lib: _step_error(lib, kw, extra))
    assert d == t
