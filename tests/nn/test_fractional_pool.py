"""Fractional max pooling vs torch: given samples must reproduce torch exactly (values, indices, grads)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import danlu
import danlu.nn as nn
import danlu.nn.functional as F

TF = torch.nn.functional


def _case(rng, nd, dt):
    S = tuple(int(s) for s in rng.integers(4, 10, size=nd))
    k = tuple(int(v) for v in rng.integers(1, 4, size=nd))
    hi = (lambda s, kk: s - kk + 2) if nd == 2 else (lambda s, kk: s - kk + 1)
    o = tuple(int(rng.integers(1, hi(s, kk))) for s, kk in zip(S, k))
    x = np.round(rng.standard_normal((2, 3) + S), 1).astype(dt)   # rounding makes ties
    u = rng.random((2, 3, nd)).astype(dt)
    return x, k, o, u


@pytest.mark.parametrize("nd", [2, 3])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_matches_torch_with_samples(nd, dt):
    rng = np.random.default_rng(nd)
    f, g = getattr(TF, f"fractional_max_pool{nd}d"), getattr(F, f"fractional_max_pool{nd}d")
    for _ in range(12):
        x, k, o, u = _case(rng, nd, dt)
        tx = torch.tensor(x, requires_grad=True)
        to, ti = f(tx, k, output_size=o, return_indices=True, _random_samples=torch.tensor(u))
        dx = danlu.tensor(x, requires_grad=True)
        do, di = g(dx, k, output_size=o, return_indices=True, _random_samples=danlu.tensor(u))
        np.testing.assert_array_equal(di.numpy(), ti.numpy())
        np.testing.assert_array_equal(do.detach().numpy(), to.detach().numpy())
        w = rng.standard_normal(tuple(to.shape)).astype(dt)
        (to * torch.tensor(w)).sum().backward()
        (do * danlu.tensor(w)).sum().backward()
        np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("nd", [2, 3])
def test_with_indices_ratio_unbatched_and_module(nd):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3,) + (7,) * nd).astype(np.float32)
    u = rng.random((1, 3, nd)).astype(np.float32)
    fw = getattr(TF, f"fractional_max_pool{nd}d_with_indices")
    gw = getattr(F, f"fractional_max_pool{nd}d_with_indices")
    to, ti = fw(torch.tensor(x), 2, output_ratio=(0.5,) * nd, _random_samples=torch.tensor(u))
    do, di = gw(danlu.tensor(x), 2, output_ratio=(0.5,) * nd, _random_samples=danlu.tensor(u))
    assert tuple(do.shape) == tuple(to.shape) == (3,) + (3,) * nd
    np.testing.assert_array_equal(di.numpy(), ti.numpy())
    np.testing.assert_array_equal(do.numpy(), to.numpy())
    tm = getattr(torch.nn, f"FractionalMaxPool{nd}d")(2, output_size=3, return_indices=True,
                                                        _random_samples=torch.tensor(u))
    dm = getattr(nn, f"FractionalMaxPool{nd}d")(2, output_size=3, return_indices=True,
                                                _random_samples=danlu.tensor(u))
    assert repr(dm) == repr(tm)
    assert "_random_samples" in dict(dm.named_buffers())
    np.testing.assert_array_equal(dm(danlu.tensor(x))[1].numpy(), tm(torch.tensor(x))[1].numpy())


def test_random_samples_drawn_from_danlu_generator():
    x = danlu.randn(2, 3, 9, 9)
    danlu.manual_seed(3)
    a = F.fractional_max_pool2d(x, 2, output_size=4)
    danlu.manual_seed(3)
    b = F.fractional_max_pool2d(x, 2, output_size=4)
    danlu.manual_seed(3)
    u = danlu.rand(2, 3, 2)
    c = F.fractional_max_pool2d(x, 2, output_size=4, _random_samples=u)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(a.numpy(), c.numpy())


def test_nan_and_edge_cases_match_torch():
    x = np.zeros((1, 1, 5, 5), np.float64)
    x[0, 0, 1, 1] = x[0, 0, 1, 2] = np.nan
    u = np.full((1, 1, 2), 0.3)
    to, ti = TF.fractional_max_pool2d(torch.tensor(x), 3, output_size=2, return_indices=True,
                                      _random_samples=torch.tensor(u))
    do, di = F.fractional_max_pool2d(danlu.tensor(x), 3, output_size=2, return_indices=True,
                                     _random_samples=danlu.tensor(u))
    np.testing.assert_array_equal(di.numpy(), ti.numpy())
    np.testing.assert_array_equal(do.numpy(), to.numpy())
    for k, o in [(0, 2), (2, 0)]:
        to, ti = TF.fractional_max_pool2d(torch.tensor(x), k, output_size=o, return_indices=True,
                                          _random_samples=torch.tensor(u))
        do, di = F.fractional_max_pool2d(danlu.tensor(x), k, output_size=o, return_indices=True,
                                         _random_samples=danlu.tensor(u))
        np.testing.assert_array_equal(di.numpy(), ti.numpy())
        np.testing.assert_array_equal(do.numpy(), to.numpy())
    assert tuple(F.fractional_max_pool2d(danlu.randn(0, 2, 5, 5), 2, output_size=2).shape) == (0, 2, 2, 2)


def _err(fn_t, fn_d):
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(type(et.value)) as ed:
        fn_d()
    assert str(ed.value) == str(et.value)


def test_errors_match_torch():
    xt, xd = torch.randn(2, 2, 5, 5), danlu.randn(2, 2, 5, 5)
    for kw in [dict(), dict(output_size=5), dict(output_size=4, _random_samples="c"),
               dict(output_size=4, _random_samples="n"), dict(output_size=4, _random_samples="d"),
               dict(output_size=4, _random_samples="dt"), dict(output_size=4, _random_samples="r")]:
        def mk(lib, kw=kw):
            kw = dict(kw)
            s = kw.get("_random_samples")
            shapes = {"c": (2, 3, 2), "n": (1, 2, 2), "d": (2, 2, 3), "r": (2, 2)}
            if s == "dt":
                kw["_random_samples"] = lib.rand(2, 2, 2, dtype=lib.float64)
            elif s is not None:
                kw["_random_samples"] = lib.rand(*shapes[s])
            return kw
        _err(lambda mk=mk: TF.fractional_max_pool2d(xt, 2, **mk(torch)),
             lambda mk=mk: F.fractional_max_pool2d(xd, 2, **mk(danlu)))
    _err(lambda: TF.fractional_max_pool3d(torch.randn(1, 5, 5, 5), (1, 2, 2), output_size=(5, 4, 4)),
         lambda: F.fractional_max_pool3d(danlu.randn(1, 5, 5, 5), (1, 2, 2), output_size=(5, 4, 4)))
    _err(lambda: TF.fractional_max_pool3d(torch.randn(1, 5, 5, 5), (1, 1, 2), output_size=(4, 4, 4)),
         lambda: F.fractional_max_pool3d(danlu.randn(1, 5, 5, 5), (1, 1, 2), output_size=(4, 4, 4)))
    _err(lambda: TF.fractional_max_pool2d(torch.randn(2, 2, 0, 5), 1, output_size=2),
         lambda: F.fractional_max_pool2d(danlu.randn(2, 2, 0, 5), 1, output_size=2))
    for mod in ("FractionalMaxPool2d", "FractionalMaxPool3d"):
        for kw in [dict(), dict(output_size=2, output_ratio=0.5), dict(output_ratio=1.5)]:
            _err(lambda kw=kw, mod=mod: getattr(torch.nn, mod)(2, **kw),
                 lambda kw=kw, mod=mod: getattr(nn, mod)(2, **kw))
    _err(lambda: torch.nn.FractionalMaxPool3d(0, output_size=2), lambda: nn.FractionalMaxPool3d(0, output_size=2))
