"""Every scheduler's learning-rate sequence equals torch's exactly; state_dict resume; warnings."""
from __future__ import annotations

import copy
import math
import warnings

import pytest
import torch

import danlu


def _opt(lib, opt="SGD"):
    ps = [lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)]
    groups = [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}]
    if opt == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1, betas=(0.9, 0.99))


def _mod(lib):
    return lib.optim.lr_scheduler


class _Scale:
    """A callable object (not a function): its __dict__ goes into the state_dict."""

    def __init__(self, k):
        self.k = k

    def __call__(self, e):
        return self.k ** e


SCHEDULERS = {
    "LambdaLR": lambda lib, o: _mod(lib).LambdaLR(o, lambda e: 1.0 / (1 + e)),
    "LambdaLR-list": lambda lib, o: _mod(lib).LambdaLR(o, [lambda e: 0.95 ** e, _Scale(0.9)]),
    "MultiplicativeLR": lambda lib, o: _mod(lib).MultiplicativeLR(o, lambda e: 0.95),
    "StepLR": lambda lib, o: _mod(lib).StepLR(o, step_size=7, gamma=0.3),
    "MultiStepLR": lambda lib, o: _mod(lib).MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.5),
    "ConstantLR": lambda lib, o: _mod(lib).ConstantLR(o, factor=0.25, total_iters=6),
    "LinearLR": lambda lib, o: _mod(lib).LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=13),
    "LinearLR-down": lambda lib, o: _mod(lib).LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=30),
    "ExponentialLR": lambda lib, o: _mod(lib).ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda lib, o: _mod(lib).PolynomialLR(o, total_iters=20, power=2.0),
    "CosineAnnealingLR": lambda lib, o: _mod(lib).CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingLR-long": lambda lib, o: _mod(lib).CosineAnnealingLR(o, T_max=37),
    "CosineAnnealingWarmRestarts": lambda lib, o: _mod(lib).CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2,
                                                                                         eta_min=1e-3),
    "CosineAnnealingWarmRestarts-1": lambda lib, o: _mod(lib).CosineAnnealingWarmRestarts(o, T_0=7),
    "CyclicLR-triangular": lambda lib, o: _mod(lib).CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=6),
    "CyclicLR-triangular2": lambda lib, o: _mod(lib).CyclicLR(o, 0.01, 0.1, step_size_up=4, step_size_down=7,
                                                              mode="triangular2"),
    "CyclicLR-exp_range": lambda lib, o: _mod(lib).CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=5,
                                                            mode="exp_range", gamma=0.97, base_momentum=0.7),
    "CyclicLR-custom": lambda lib, o: _mod(lib).CyclicLR(o, 0.01, 0.1, step_size_up=3, scale_fn=_Scale(0.8),
                                                         scale_mode="iterations", cycle_momentum=False),
    "OneCycleLR-cos": lambda lib, o: _mod(lib).OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=60),
    "OneCycleLR-linear": lambda lib, o: _mod(lib).OneCycleLR(o, max_lr=0.4, epochs=6, steps_per_epoch=10,
                                                             anneal_strategy="linear", pct_start=0.25),
    "OneCycleLR-3phase": lambda lib, o: _mod(lib).OneCycleLR(o, max_lr=0.4, total_steps=60, three_phase=True,
                                                             div_factor=10.0, final_div_factor=100.0),
    "SequentialLR-warmup-cosine": lambda lib, o: _mod(lib).SequentialLR(
        o, [_mod(lib).LinearLR(o, start_factor=0.01, total_iters=10), _mod(lib).CosineAnnealingLR(o, T_max=40)],
        milestones=[10]),
    "SequentialLR-3": lambda lib, o: _mod(lib).SequentialLR(
        o, [_mod(lib).ConstantLR(o, factor=0.5, total_iters=4), _mod(lib).ExponentialLR(o, gamma=0.9),
            _mod(lib).StepLR(o, 5, 0.5)], milestones=[6, 20]),
    "ChainedScheduler": lambda lib, o: _mod(lib).ChainedScheduler(
        [_mod(lib).ConstantLR(o, factor=0.3, total_iters=8), _mod(lib).ExponentialLR(o, gamma=0.95)]),
}


def _momenta(opt):
    out = []
    for g in opt.param_groups:
        out.append(g["betas"][0] if "betas" in g else g["momentum"])
    return out


def _run(lib, name, n, opt_kind="SGD"):
    opt = _opt(lib, opt_kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = SCHEDULERS[name](lib, opt)
    seq = [list(sched.get_last_lr())]
    mom = [_momenta(opt)]
    for _ in range(n):
        opt.step()
        sched.step()
        seq.append(list(sched.get_last_lr()))
        mom.append(_momenta(opt))
    return seq, mom, opt, sched


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_sequence_equals_torch(name):
    n = 59 if name.startswith("OneCycle") else 100
    kinds = ["SGD", "Adam"] if ("Cyclic" in name or "OneCycle" in name) else ["SGD"]
    for kind in kinds:
        sd, md, od, _ = _run(danlu, name, n, kind)
        st, mt, ot, _ = _run(torch, name, n, kind)
        assert sd == st                       # exact, every step
        assert md == mt
        assert [g["lr"] for g in od.param_groups] == [g["lr"] for g in ot.param_groups]
        assert [g.get("initial_lr") for g in od.param_groups] == [g.get("initial_lr") for g in ot.param_groups]


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_state_dict_resume(name):
    """Checkpoint optimizer + scheduler at step 17, rebuild both, load, continue == uninterrupted."""
    n, k = (59, 17) if name.startswith("OneCycle") else (50, 17)
    full, _, _, _ = _run(danlu, name, n)
    part, _, opt, sched = _run(danlu, name, k)
    osd, ssd = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    opt2 = _opt(danlu)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched2 = SCHEDULERS[name](danlu, opt2)
    opt2.load_state_dict(osd)
    sched2.load_state_dict(ssd)
    seq = part[:]
    for _ in range(n - k):
        opt2.step()
        sched2.step()
        seq.append(list(sched2.get_last_lr()))
    assert seq == full
    # same state_dict keys as torch's
    _, _, _, tsched = _run(torch, name, k)
    assert set(sched.state_dict()) == set(tsched.state_dict())


def test_closed_form_epoch_argument_matches_torch():
    for name in ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "PolynomialLR",
                 "ConstantLR"]:
        res = []
        for lib in (danlu, torch):
            opt = _opt(lib)
            sched = SCHEDULERS[name](lib, opt)
            out = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for e in [3, 8, 1, 15, 40, 2]:
                    sched.step(e)
                    out.append(list(sched.get_last_lr()))
            res.append(out)
        assert res[0] == res[1], name


def test_warm_restarts_fractional_epochs():
    res = []
    for lib in (danlu, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.01)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            iters = 7
            for epoch in range(12):
                for i in range(iters):
                    opt.step()
                    sched.step(epoch + i / iters)
                    out.append((list(sched.get_last_lr()), sched.T_i, sched.T_cur, sched.last_epoch))
        res.append(out)
    assert res[0] == res[1]
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        sched.step(-1)


METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.89, 0.899, 0.8999, 0.9, 0.91, 0.92, 0.93, 0.5, 0.6, 0.7, 0.8,
           0.9, 1.0, 1.1, 0.49995, 0.5, 0.51, 0.52, 0.53, 0.54, 0.55, 0.56, 0.57, 0.58, 0.59, 0.6] * 2


@pytest.mark.parametrize("kw", [
    dict(), dict(patience=2), dict(mode="max", patience=1, factor=0.5),
    dict(patience=1, threshold=0.05, threshold_mode="abs", cooldown=2),
    dict(mode="max", threshold_mode="abs", threshold=0.01, patience=0, min_lr=[0.02, 0.001]),
    dict(patience=0, factor=0.5, min_lr=0.01, eps=1e-3), dict(patience=1, cooldown=3, threshold=0.1),
])
def test_reduce_lr_on_plateau(kw):
    res = []
    for lib in (danlu, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
        out = []
        for i, m in enumerate(METRICS):
            opt.step()
            sched.step(lib.tensor(m) if i % 2 else m)
            out.append((list(sched.get_last_lr()), sched.num_bad_epochs, sched.cooldown_counter, sched.best))
        res.append((out, sorted(sched.state_dict())))
    assert res[0] == res[1]


def test_reduce_lr_on_plateau_resume_and_errors():
    opt = _opt(danlu)
    s = danlu.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1)
    for m in METRICS[:9]:
        s.step(m)
    sd = copy.deepcopy(s.state_dict())
    opt2 = _opt(danlu)
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    s2 = danlu.optim.lr_scheduler.ReduceLROnPlateau(opt2)
    s2.load_state_dict(sd)
    for m in METRICS[9:]:
        s.step(m)
        s2.step(m)
        assert s.get_last_lr() == s2.get_last_lr()
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        danlu.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode foo is unknown!"):
        danlu.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="foo")
    with pytest.raises(ValueError, match="threshold mode bar is unknown!"):
        danlu.optim.lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="bar")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        danlu.optim.lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1])


def test_order_warning_like_torch():
    for lib in (danlu, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 3)
        with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
            sched.step()
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 3)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            opt.step()
            sched.step()
            sched.step()
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            sched.get_lr()


def test_scheduler_errors():
    opt = _opt(danlu)
    m = danlu.optim.lr_scheduler
    with pytest.raises(TypeError, match="int is not an Optimizer"):
        m.StepLR(3, 1)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        m.StepLR(opt, 3, last_epoch=4)
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 and 1."):
        m.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected to be greater than 0"):
        m.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        m.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="Expected integer T_mult >= 1, but got 0"):
        m.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        m.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="Expected float between 0 and 1 pct_start, but got 2.0"):
        m.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=2.0)
    with pytest.raises(ValueError, match="max_lr must have the same length as optimizer.param_groups"):
        m.OneCycleLR(opt, max_lr=[0.1], total_steps=10)
    s = m.OneCycleLR(_opt(danlu), max_lr=0.1, total_steps=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.step()
        s.step()
        s.step()
        with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
            s.step()
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        m.CyclicLR(danlu.optim.Adagrad([danlu.zeros(1, requires_grad=True)]), 0.1, 1.0)
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        m.CyclicLR(opt, 0.1, 1.0, mode="sine")
    with pytest.raises(ValueError, match="Sequential Schedulers expects number of schedulers provided to be one more"):
        m.SequentialLR(opt, [m.StepLR(opt, 2), m.StepLR(opt, 3)], milestones=[])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        m.ChainedScheduler([m.ReduceLROnPlateau(opt)])


def test_scheduler_with_tensor_lr_group():
    """A Tensor lr is updated in place (fill_), as torch."""
    w = danlu.zeros(2, requires_grad=True)
    lr = danlu.tensor(0.1)
    opt = danlu.optim.SGD([w], lr=lr)
    sched = danlu.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr
    assert math.isclose(float(lr), 0.05, rel_tol=1e-6)
