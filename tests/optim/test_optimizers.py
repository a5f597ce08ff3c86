"""Every optimizer over a grid of its options, step for step against torch.optim."""
from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest
import torch

import danlu
from tests.optim._util import (compare_params, compare_state, groups, init_values, make_params, set_grads,
                               to_danlu_state)


def _grid(**axes):
    keys = list(axes)
    return [dict(zip(keys, vals)) for vals in itertools.product(*axes.values())]


def _sgd_cases():
    out = []
    for c in _grid(momentum=[0, 0.9], dampening=[0, 0.3], nesterov=[False, True], weight_decay=[0, 0.1],
                   maximize=[False, True]):
        if c["nesterov"] and (c["momentum"] == 0 or c["dampening"] != 0):
            continue
        if c["momentum"] == 0 and c["dampening"] != 0:
            continue
        out.append(c)
    return out


CASES = (
    [("SGD", dict(lr=0.05, **c)) for c in _sgd_cases()]
    + [("Adam", dict(lr=0.05, **c)) for c in _grid(amsgrad=[False, True], weight_decay=[0, 0.1],
                                                    maximize=[False, True])]
    + [("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
       ("Adam", dict(lr=0.05, betas=(0.3, 0.6), eps=1e-3, amsgrad=True))]
    + [("AdamW", dict(lr=0.05, **c)) for c in _grid(amsgrad=[False, True], weight_decay=[0, 0.1],
                                                     maximize=[False, True])]
    + [("Adagrad", dict(lr=0.1, **c)) for c in _grid(lr_decay=[0, 0.1], initial_accumulator_value=[0, 0.5],
                                                      weight_decay=[0, 0.1], maximize=[False, True])]
    + [("RMSprop", dict(lr=0.01, **c)) for c in _grid(centered=[False, True], momentum=[0, 0.9],
                                                       weight_decay=[0, 0.1], maximize=[False, True])]
    + [("RMSprop", dict(lr=0.01, alpha=0.3, eps=1e-4, centered=True))]
    + [("Adadelta", dict(**c)) for c in _grid(lr=[1.0, 0.5], rho=[0.9, 0.4], weight_decay=[0, 0.1],
                                               maximize=[False, True])]
    + [("Adamax", dict(lr=0.05, **c)) for c in _grid(betas=[(0.9, 0.999), (0.3, 0.5)], weight_decay=[0, 0.1],
                                                      maximize=[False, True])]
    + [("NAdam", dict(lr=0.05, **c)) for c in _grid(weight_decay=[0, 0.1], decoupled_weight_decay=[False, True],
                                                     momentum_decay=[4e-3, 0.1], maximize=[False, True])]
    + [("RAdam", dict(lr=0.05, **c)) for c in _grid(weight_decay=[0, 0.1], decoupled_weight_decay=[False, True],
                                                     maximize=[False, True], betas=[(0.9, 0.999), (0.9, 0.8)])]
    + [("ASGD", dict(lr=0.05, **c)) for c in _grid(lambd=[1e-4, 0.1], t0=[1e6, 4], weight_decay=[0, 0.1],
                                                    maximize=[False, True])]
    + [("ASGD", dict(lr=0.05, alpha=0.5, lambd=0.3, t0=2))]
    + [("Adafactor", dict(lr=0.05, **c)) for c in _grid(weight_decay=[0, 0.1], maximize=[False, True],
                                                         d=[1.0, 1.5])]
    + [("Adafactor", dict(lr=0.5, beta2_decay=-0.5, eps=(1e-4, 1e-2)))]
    + [("Rprop", dict(lr=0.05, **c)) for c in _grid(etas=[(0.5, 1.2), (0.3, 1.7)],
                                                     step_sizes=[(1e-6, 50), (0.01, 0.08)], maximize=[False, True])]
)


def _id(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def _pair(name, kw, dtype, split=True):
    values = init_values(dtype)
    dps, tps = make_params(values)
    lr2 = kw.get("lr", 1.0) * 0.5 if split else None
    dopt = getattr(danlu.optim, name)(groups(dps, lr2), **kw)
    topt = getattr(torch.optim, name)(groups(tps, lr2), **kw)
    return dps, tps, dopt, topt


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_matches_torch_every_step(case, dtype):
    name, kw = case
    dps, tps, dopt, topt = _pair(name, kw, dtype)
    for step in range(12):
        set_grads(dps, tps, step)
        dopt.step()
        topt.step()
        compare_params(dps, tps)
        compare_state(dopt, topt)


@pytest.mark.parametrize("case", CASES[::3], ids=_id)
def test_state_dict_round_trip(case):
    """Save mid-training, load into a fresh optimizer over fresh parameters, continue: identical to
    the uninterrupted run.  Also load *torch's* state_dict into danlu and continue alongside torch."""
    name, kw = case
    dps, tps, dopt, topt = _pair(name, kw, "float64")
    for step in range(5):
        set_grads(dps, tps, step)
        dopt.step()
        topt.step()
    # torch's load_state_dict casts every state tensor but 'step' to the parameter dtype, so NAdam's
    # float32 mu_product and ASGD's eta/mu become float64 after a reload (in torch too): not bit-equal
    tol = 1e-8 if name in ("NAdam", "ASGD") else 0
    saved = copy.deepcopy(dopt.state_dict())
    saved_torch = to_danlu_state(copy.deepcopy(topt.state_dict()))
    d2 = [danlu.tensor(p.detach().numpy().copy(), requires_grad=True) for p in dps]
    d3 = [danlu.tensor(p.detach().numpy().copy(), requires_grad=True) for p in tps]
    kw2 = {k: v for k, v in kw.items() if k != "lr"}
    o2 = getattr(danlu.optim, name)(groups(d2, 0.123), lr=0.321, **kw2)   # lrs come from the state dict
    o3 = getattr(danlu.optim, name)(groups(d3, 0.123), lr=0.321, **kw2)
    o2.load_state_dict(saved)
    o3.load_state_dict(saved_torch)
    assert [g["lr"] for g in o2.param_groups] == [g["lr"] for g in dopt.param_groups]
    for step in range(5, 10):
        set_grads(dps, tps, step)
        for p, q, r in zip(d2, d3, dps):
            p.grad = r.grad.clone()
            q.grad = r.grad.clone()
        dopt.step()
        topt.step()
        o2.step()
        o3.step()
        for a, b in zip(d2, dps):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)
        compare_params(d3, tps, rtol=tol or None, atol=tol or None)
    if not tol:
        compare_state(o3, topt)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_skips_params_without_grad_and_keeps_grad(name):
    dps, tps, dopt, topt = _pair(name, dict(lr=0.1, weight_decay=0.1, maximize=True), "float64")
    g0 = np.ones((3, 4))
    for p in (dps[0],):
        p.grad = danlu.tensor(g0.copy())
    tps[0].grad = torch.tensor(g0.copy())
    before = dps[1].detach().numpy().copy()
    dopt.step()
    topt.step()
    np.testing.assert_array_equal(dps[0].grad.numpy(), g0)            # grad not modified in place
    np.testing.assert_array_equal(dps[1].detach().numpy(), before)    # no grad -> untouched
    compare_params(dps, tps)
    compare_state(dopt, topt)


def test_version_counter_and_no_graph():
    w = danlu.randn(3, requires_grad=True)
    opt = danlu.optim.Adam([w], lr=0.1)
    y = (w * w).sum()          # saves w for backward
    y.backward(retain_graph=True)
    v0 = w._version
    opt.step()
    assert w._version == v0 + 1
    assert w.grad_fn is None and w.requires_grad
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_closure_runs_with_grad_and_returns_loss():
    w = danlu.tensor([1.0, -2.0], requires_grad=True)
    opt = danlu.optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w ** 2).sum()
        loss.backward()
        return loss

    with danlu.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 5.0
    np.testing.assert_allclose(w.detach().numpy(), [0.8, -1.6])


def test_zero_grad():
    w = danlu.randn(3, requires_grad=True)
    opt = danlu.optim.SGD([w], lr=0.1)
    w.grad = danlu.ones(3)
    g = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is g and not g.requires_grad
    np.testing.assert_array_equal(g.numpy(), np.zeros(3))
    opt.zero_grad()
    assert w.grad is None


def test_param_groups_defaults_and_add_param_group():
    a, b, c = (danlu.randn(2, requires_grad=True) for _ in range(3))
    ta, tb, tc = (torch.randn(2, requires_grad=True) for _ in range(3))
    d = danlu.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    t = torch.optim.SGD([{"params": [ta]}, {"params": tb, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    d.add_param_group({"params": [c], "weight_decay": 0.01})
    t.add_param_group({"params": [tc], "weight_decay": 0.01})
    for gd, gt in zip(d.param_groups, t.param_groups):
        assert {k: v for k, v in gd.items() if k != "params"} == {k: v for k, v in gt.items() if k != "params"}
    assert repr(d) == repr(t)
    sd = d.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1], [2]]


def test_named_params():
    a, b = danlu.randn(2, requires_grad=True), danlu.randn(2, requires_grad=True)
    opt = danlu.optim.Adam([("w", a), ("b", b)])
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


def test_errors():
    w = danlu.randn(2, requires_grad=True)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        danlu.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        danlu.optim.Adam([w], lr=-1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 1.0"):
        danlu.optim.Adam([w], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: -0.1"):
        danlu.optim.NAdam([w], betas=(0.9, -0.1))
    with pytest.raises(ValueError, match="Invalid momentum value: -0.5"):
        danlu.optim.SGD([w], lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="Invalid weight_decay value: -1"):
        danlu.optim.AdamW([w], weight_decay=-1)
    with pytest.raises(ValueError, match="Invalid epsilon value: -1"):
        danlu.optim.RMSprop([w], eps=-1)
    with pytest.raises(ValueError, match="Invalid rho value: 2"):
        danlu.optim.Adadelta([w], rho=2)
    with pytest.raises(ValueError, match="Invalid eta values: 1.5, 1.2"):
        danlu.optim.Rprop([w], etas=(1.5, 1.2))
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        danlu.optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        danlu.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        danlu.optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an iterable"):
        danlu.optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is int"):
        danlu.optim.SGD([1], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        danlu.optim.SGD([danlu.randn(1, requires_grad=True)], lr=0.1).add_param_group({"params": {w}})
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        danlu.optim.LBFGS([{"params": [w]}, {"params": [danlu.randn(2, requires_grad=True)]}])
    opt = danlu.optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0, 1], "lr": 0.1}]})


def test_step_hooks():
    w = danlu.randn(2, requires_grad=True)
    opt = danlu.optim.SGD([w], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    opt.step()
    h1.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]


def _rosenbrock(lib, x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2 + (x[2] * 0.5 - 1) ** 2


@pytest.mark.parametrize("kw", [dict(), dict(line_search_fn="strong_wolfe"), dict(history_size=3, max_iter=7),
                                dict(lr=0.5, line_search_fn="strong_wolfe", history_size=2)],
                         ids=["plain", "wolfe", "hist3", "wolfe-hist2"])
def test_lbfgs_rosenbrock(kw):
    x0 = np.array([-1.2, 1.0, 0.3])
    xd = danlu.tensor(x0.copy(), requires_grad=True)
    xt = torch.tensor(x0.copy(), requires_grad=True)
    od, ot = danlu.optim.LBFGS([xd], **kw), torch.optim.LBFGS([xt], **kw)

    def closure(lib, x, opt):
        def f():
            opt.zero_grad()
            loss = _rosenbrock(lib, x)
            loss.backward()
            return loss
        return f

    # (rounding differences grow near Rosenbrock's ill-conditioned minimum: two outer steps)
    for _ in range(2):
        ld = od.step(closure(danlu, xd, od))
        lt = ot.step(closure(torch, xt, ot))
        np.testing.assert_allclose(float(ld), float(lt.detach()), rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(xd.detach().numpy(), xt.detach().numpy(), rtol=1e-8, atol=1e-10)
    sd, st = od.state[xd], ot.state[xt]
    assert sd["func_evals"] == st["func_evals"] and sd["n_iter"] == st["n_iter"]
    assert sorted(sd) == sorted(st)             # the state's keys, the two-loop's "al" included
    assert len(sd["al"]) == len(st["al"]) and [a is None for a in sd["al"]] == [a is None for a in st["al"]]
    np.testing.assert_allclose([float(a) for a in sd["al"] if a is not None],
                               [float(a) for a in st["al"] if a is not None], rtol=1e-6, atol=1e-10)
    assert _rosenbrock(np, xd.detach().numpy()) < _rosenbrock(np, x0)


def test_lbfgs_requires_closure():
    w = danlu.randn(2, requires_grad=True)
    with pytest.raises(TypeError, match="closure"):
        danlu.optim.LBFGS([w]).step()
    with pytest.raises(RuntimeError, match="closure"):
        danlu.optim.LBFGS([w]).step(None)


def test_sgd_trains_a_linear_model_like_torch():
    """A small least-squares model with autograd end to end, in both libraries."""
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((16, 5)), rng.standard_normal((16, 1))
    W0, b0 = rng.standard_normal((5, 1)), np.zeros(1)
    res = {}
    for lib in (danlu, torch):
        W = lib.tensor(W0.copy(), requires_grad=True)
        b = lib.tensor(b0.copy(), requires_grad=True)
        opt = lib.optim.SGD([{"params": [W], "weight_decay": 1e-2}, {"params": [b]}], lr=0.05, momentum=0.9,
                            nesterov=True)
        Xl, yl = lib.tensor(X), lib.tensor(y)
        for _ in range(20):
            opt.zero_grad()
            loss = ((Xl @ W + b - yl) ** 2).mean()
            loss.backward()
            opt.step()
        res[lib.__name__] = (W.detach().numpy().copy(), float(loss))
    np.testing.assert_allclose(res["danlu"][0], res["torch"][0], rtol=1e-10)
    np.testing.assert_allclose(res["danlu"][1], res["torch"][1], rtol=1e-10)


@pytest.mark.parametrize("name,kw", [("Adam", dict(lr=0.01, weight_decay=1e-3)), ("AdamW", dict(lr=0.01)),
                                     ("SGD", dict(lr=0.05, momentum=0.9)), ("RMSprop", dict(lr=0.01, centered=True))])
def test_nn_model_with_warmup_cosine_schedule(name, kw):
    """A small nn model, a loss, an optimizer and a warm-up + cosine schedule: the README's loop."""
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((32, 4)), rng.standard_normal((32, 2))
    out = {}
    for lib in (danlu, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2)).double()
        if lib is danlu:
            tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
            model.load_state_dict({k: danlu.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
            ref = tm.state_dict()
        else:
            model.load_state_dict(ref)
        decay = [p for n, p in model.named_parameters() if n.endswith("weight")]
        no_decay = [p for n, p in model.named_parameters() if n.endswith("bias")]
        opt = getattr(lib.optim, name)([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}], **kw)
        sched = lib.optim.lr_scheduler.SequentialLR(
            opt, [lib.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5),
                  lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=15)], milestones=[5])
        Xl, yl = lib.tensor(X), lib.tensor(y)
        losses = []
        for _ in range(20):
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(model(Xl), yl)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss))
        out[lib.__name__] = (losses, [p.detach().numpy().copy() for p in model.parameters()], sched.get_last_lr())
    np.testing.assert_allclose(out["danlu"][0], out["torch"][0], rtol=1e-10)
    for a, b in zip(out["danlu"][1], out["torch"][1]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert out["danlu"][2] == out["torch"][2]
    assert out["danlu"][0][-1] < out["danlu"][0][0]


def test_adafactor_3d_and_0d_params():
    rng = np.random.default_rng(4)
    vals = [rng.standard_normal((2, 3, 4)), np.array(0.7)]
    dps = [danlu.tensor(v.copy(), requires_grad=True) for v in vals]
    tps = [torch.tensor(v.copy(), requires_grad=True) for v in vals]
    od, ot = danlu.optim.Adafactor(dps, lr=0.1), torch.optim.Adafactor(tps, lr=0.1)
    for s in range(6):
        for pd, pt in zip(dps, tps):
            g = np.sin(pd.detach().numpy() * (s + 1)) + 0.1
            pd.grad, pt.grad = danlu.tensor(g, dtype=danlu.float64), torch.tensor(g, dtype=torch.float64)
        od.step()
        ot.step()
        compare_params(dps, tps)
        compare_state(od, ot)


@pytest.mark.parametrize("name,kw", [
    ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True)), ("Adam", dict(lr=0.02, amsgrad=True)),
    ("AdamW", dict(lr=0.02)), ("Adagrad", dict(lr=0.1)), ("RMSprop", dict(lr=1e-3, centered=True, momentum=0.5)),
    ("Adadelta", dict(lr=1.0)), ("Adamax", dict(lr=0.02)), ("NAdam", dict(lr=0.02, decoupled_weight_decay=True,
                                                                           weight_decay=0.01)),
    ("RAdam", dict(lr=0.02)), ("ASGD", dict(lr=1e-3, t0=10)), ("Rprop", dict(lr=1e-3)), ("Adafactor", dict(lr=0.02)),
])
def test_rosenbrock_50_steps_with_autograd(name, kw):
    """50 steps on Rosenbrock's function with gradients from each library's own autograd."""
    xs = {}
    for lib in (danlu, torch):
        a = lib.tensor([-1.5], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([2.0], dtype=lib.float64, requires_grad=True)
        opt = getattr(lib.optim, name)([{"params": [a]}, {"params": [b]}], **kw)
        for _ in range(50):
            opt.zero_grad()
            loss = ((1 - a) ** 2 + 100 * (b - a ** 2) ** 2).sum()
            loss.backward()
            opt.step()
        xs[lib.__name__] = (a.detach().numpy().copy(), b.detach().numpy().copy(), float(loss))
    for u, v in zip(xs["danlu"], xs["torch"]):
        np.testing.assert_allclose(u, v, rtol=1e-9, atol=1e-12)
