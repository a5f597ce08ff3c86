"""swa_utils (AveragedModel, SWALR, update_bn, averaging functions) against torch."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close


def _models(seed=0):
    rng = np.random.default_rng(seed)
    md = danlu.nn.Sequential(danlu.nn.Linear(3, 4), danlu.nn.BatchNorm1d(4), danlu.nn.ReLU(), danlu.nn.Linear(4, 2))
    mt = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    md.double()
    mt.double()
    for (_, pd), (_, pt) in zip(md.named_parameters(), mt.named_parameters()):
        v = rng.standard_normal(tuple(pt.shape))
        pd.data = danlu.tensor(v.copy())
        with torch.no_grad():
            pt.copy_(torch.tensor(v.copy()))
    return md, mt


def _perturb(md, mt, k):
    """Move both models' parameters and buffers identically (a stand-in for training steps)."""
    rng = np.random.default_rng(100 + k)
    with danlu.no_grad(), torch.no_grad():
        for pd, pt in zip(md.parameters(), mt.parameters()):
            d = rng.standard_normal(tuple(pt.shape)) * 0.1
            pd.add_(danlu.tensor(d))
            pt.add_(torch.tensor(d))
        for bd, bt in zip(md.buffers(), mt.buffers()):
            if bt.is_floating_point():
                d = rng.random(tuple(bt.shape))
                bd.add_(danlu.tensor(d))
                bt.add_(torch.tensor(d))
            else:
                bd.add_(3)
                bt.add_(3)


def _compare_models(ad, at):
    for (nd, pd), (nt, pt) in zip(ad.state_dict().items(), at.state_dict().items()):
        assert nd == nt
        assert_close(pd, pt)


AVG = {
    "swa-default": lambda lib: {},
    "ema-multi": lambda lib: {"multi_avg_fn": lib.optim.swa_utils.get_ema_multi_avg_fn(0.9)},
    "swa-multi": lambda lib: {"multi_avg_fn": lib.optim.swa_utils.get_swa_multi_avg_fn()},
    "ema-avg": lambda lib: {"avg_fn": lib.optim.swa_utils.get_ema_avg_fn(0.8)},
    "swa-avg": lambda lib: {"avg_fn": lib.optim.swa_utils.get_swa_avg_fn()},
}


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("kind", list(AVG))
def test_averaged_model_matches_torch(kind, use_buffers):
    if kind == "swa-multi" and use_buffers:
        pytest.skip("torch's swa multi_avg_fn raises on integer buffers (addcdiv integer division)")
    md, mt = _models()
    ad = danlu.optim.swa_utils.AveragedModel(md, use_buffers=use_buffers, **AVG[kind](danlu))
    at = torch.optim.swa_utils.AveragedModel(mt, use_buffers=use_buffers, **AVG[kind](torch))
    _compare_models(ad, at)
    for k in range(5):
        _perturb(md, mt, k)
        ad.update_parameters(md)
        at.update_parameters(mt)
        _compare_models(ad, at)
        assert int(ad.n_averaged) == int(at.n_averaged) == k + 1
    x = np.random.default_rng(5).standard_normal((6, 3))
    ad.eval()
    at.eval()
    assert_close(ad(danlu.tensor(x)), at(torch.tensor(x)).detach())
    assert "n_averaged" in dict(ad.named_buffers())


def test_averaged_model_is_a_copy_and_errors():
    md, _ = _models()
    ad = danlu.optim.swa_utils.AveragedModel(md)
    assert next(ad.parameters()) is not next(md.parameters())
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn should be provided"):
        danlu.optim.swa_utils.AveragedModel(md, avg_fn=lambda *a: None, multi_avg_fn=lambda *a: None)
    with pytest.raises(ValueError, match="Invalid decay value 1.5 provided"):
        danlu.optim.swa_utils.get_ema_multi_avg_fn(1.5)
    with pytest.raises(ValueError, match="Invalid decay value -1 provided"):
        danlu.optim.swa_utils.get_ema_avg_fn(-1)


@pytest.mark.parametrize("tuples", [False, True])
def test_update_bn_matches_torch(tuples):
    md, mt = _models()
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((5, 3)) * 2 + 1 for _ in range(4)]
    if tuples:
        ld = [(danlu.tensor(x), danlu.zeros(5)) for x in xs]
        lt = [(torch.tensor(x), torch.zeros(5)) for x in xs]
    else:
        ld = [danlu.tensor(x) for x in xs]
        lt = [torch.tensor(x) for x in xs]
    md.eval()
    mt.eval()
    danlu.optim.swa_utils.update_bn(ld, md)
    torch.optim.swa_utils.update_bn(lt, mt)
    assert not md.training and not md[1].training
    assert md[1].momentum == 0.1
    _compare_models(md, mt)


def test_update_bn_on_averaged_model_and_no_bn():
    md, mt = _models()
    ad = danlu.optim.swa_utils.AveragedModel(md)
    at = torch.optim.swa_utils.AveragedModel(mt)
    for k in range(3):
        _perturb(md, mt, k)
        ad.update_parameters(md)
        at.update_parameters(mt)
    xs = [np.random.default_rng(i).standard_normal((4, 3)) for i in range(3)]
    danlu.optim.swa_utils.update_bn([danlu.tensor(x) for x in xs], ad)
    torch.optim.swa_utils.update_bn([torch.tensor(x) for x in xs], at)
    _compare_models(ad, at)
    lin = danlu.nn.Linear(2, 2)
    danlu.optim.swa_utils.update_bn([danlu.randn(3, 2)], lin)   # nothing to do


@pytest.mark.parametrize("kw", [dict(swa_lr=0.05), dict(swa_lr=[0.05, 0.01], anneal_epochs=4, anneal_strategy="linear"),
                                dict(swa_lr=0.2, anneal_epochs=0), dict(swa_lr=0.02, anneal_epochs=1)])
def test_swalr_matches_torch(kw):
    res = []
    for lib in (danlu, torch):
        ps = [lib.zeros(2, requires_grad=True), lib.zeros(1, requires_grad=True)]
        opt = lib.optim.SGD([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.3}], lr=0.1)
        base = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
        swa = lib.optim.swa_utils.SWALR(opt, **kw)
        out = [swa.get_last_lr()]
        for epoch in range(25):
            opt.step()
            (swa if epoch >= 5 else base).step()
            out.append(list(opt.param_groups[i]["lr"] for i in range(2)))
        res.append((out, sorted(swa.state_dict())))
    assert res[0] == res[1]


def test_swalr_state_dict_and_errors():
    w = danlu.zeros(2, requires_grad=True)
    opt = danlu.optim.SGD([w], lr=0.1)
    s = danlu.optim.swa_utils.SWALR(opt, swa_lr=0.01, anneal_epochs=6, anneal_strategy="linear")
    for _ in range(3):
        opt.step()
        s.step()
    sd = copy.deepcopy(s.state_dict())
    assert "anneal_func" not in sd
    opt2 = danlu.optim.SGD([danlu.zeros(2, requires_grad=True)], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s2 = danlu.optim.swa_utils.SWALR(opt2, swa_lr=0.5)
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))   # after building the scheduler, as torch advises
    s2.load_state_dict(sd)
    for _ in range(5):
        opt.step()
        opt2.step()
        s.step()
        s2.step()
        assert s.get_last_lr() == s2.get_last_lr()
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got x"):
        danlu.optim.swa_utils.SWALR(opt, 0.1, anneal_strategy="x")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0, got -1"):
        danlu.optim.swa_utils.SWALR(opt, 0.1, anneal_epochs=-1)
