"""nn.init vs torch.nn.init: formulas, statistics, errors, generator reproducibility."""
import math

import numpy as np
import pytest
import torch

import danlu
import danlu.nn.init as dinit
import torch.nn.init as tinit


def stats_close(a, expected_std, mean=0.0, n_sigma=5.0):
    a = a.detach().numpy().astype(np.float64).ravel()
    n = a.size
    assert abs(a.mean() - mean) < n_sigma * expected_std / math.sqrt(n) + 1e-12
    assert abs(a.std() - expected_std) < n_sigma * expected_std / math.sqrt(n)


@pytest.mark.parametrize("nl,param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                      ("tanh", None), ("relu", None), ("leaky_relu", None),
                                      ("leaky_relu", 0.2), ("selu", None), ("conv_transpose2d", None)])
def test_calculate_gain(nl, param):
    assert dinit.calculate_gain(nl, param) == pytest.approx(tinit.calculate_gain(nl, param))


def test_calculate_gain_errors():
    for args in (("foo",), ("leaky_relu", "x")):
        with pytest.raises(ValueError) as et:
            tinit.calculate_gain(*args)
        with pytest.raises(ValueError) as ed:
            dinit.calculate_gain(*args)
        assert str(ed.value) == str(et.value)


@pytest.mark.parametrize("shape", [(3, 4), (8, 3, 5), (6, 2, 3, 3), (2, 3, 1, 2, 2)])
def test_fans(shape):
    assert dinit._calculate_fan_in_and_fan_out(danlu.empty(shape)) == \
        tinit._calculate_fan_in_and_fan_out(torch.empty(shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        dinit._calculate_fan_in_and_fan_out(danlu.empty(3))


SHAPE = (200, 100, 3)  # fan_in 300, fan_out 600


@pytest.mark.parametrize("fn,kw,std", [
    ("uniform_", {"a": -2.0, "b": 4.0}, 6 / math.sqrt(12)),
    ("normal_", {"mean": 1.0, "std": 3.0}, 3.0),
    ("xavier_uniform_", {"gain": 2.0}, 2.0 * math.sqrt(2 / 900)),
    ("xavier_normal_", {"gain": 0.5}, 0.5 * math.sqrt(2 / 900)),
    ("kaiming_uniform_", {}, math.sqrt(2 / (1 + 0.0)) / math.sqrt(300)),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, math.sqrt(2 / 6) / math.sqrt(300)),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2) / math.sqrt(600)),
    ("kaiming_normal_", {"a": 0.1, "nonlinearity": "leaky_relu"}, math.sqrt(2 / 1.01) / math.sqrt(300)),
])
def test_random_inits_statistics(fn, kw, std):
    mean = kw.get("mean", 0.0) if fn == "normal_" else (1.0 if fn == "uniform_" else 0.0)
    d = getattr(dinit, fn)(danlu.empty(SHAPE), **kw)
    t = getattr(tinit, fn)(torch.empty(SHAPE), **kw)
    stats_close(d, std, mean)
    stats_close(t, std, mean)  # the formula above is torch's too
    if "uniform" in fn:
        bound = max(abs(x) for x in (t.min().item(), t.max().item()))
        assert float(d.abs().max()) <= bound * 1.001 + 1e-6 or fn == "uniform_"


def test_trunc_normal():
    x = dinit.trunc_normal_(danlu.empty(100000), mean=0.5, std=1.0, a=-1.0, b=1.5)
    a = x.numpy()
    assert a.min() >= -1.0 and a.max() <= 1.5
    t = tinit.trunc_normal_(torch.empty(100000), mean=0.5, std=1.0, a=-1.0, b=1.5).numpy()
    assert abs(a.mean() - t.mean()) < 0.02 and abs(a.std() - t.std()) < 0.02
    y = dinit.trunc_normal_(danlu.empty(50000, dtype=danlu.float64), std=0.02)
    assert abs(y.numpy().std() - 0.02) < 0.0005  # a, b are absolute: +-2 is 100 sigma away
    z = dinit.trunc_normal_(danlu.empty(50000, dtype=danlu.float64)).numpy()
    assert abs(z.std() - 0.8796) < 0.01  # std of N(0, 1) truncated to +-2


def test_constant_ones_zeros_eye_dirac():
    for fn, args in ((dinit.constant_, (2.5,)), (dinit.ones_, ()), (dinit.zeros_, ())):
        t = fn(danlu.empty(3, 2), *args)
        np.testing.assert_array_equal(t.numpy(), getattr(tinit, fn.__name__)(torch.empty(3, 2), *args).numpy())
    np.testing.assert_array_equal(dinit.eye_(danlu.empty(3, 5)).numpy(), tinit.eye_(torch.empty(3, 5)).numpy())
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        dinit.eye_(danlu.empty(3))
    for shape, groups in (((4, 4, 3), 1), ((6, 3, 3, 3), 2), ((4, 2, 3, 1, 3), 2), ((3, 5, 2, 2), 1)):
        np.testing.assert_array_equal(dinit.dirac_(danlu.empty(shape), groups).numpy(),
                                      tinit.dirac_(torch.empty(shape), groups).numpy())
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        dinit.dirac_(danlu.empty(3, 3))


@pytest.mark.parametrize("shape", [(5, 5), (3, 8), (8, 3), (4, 2, 3)])
def test_orthogonal(shape):
    w = dinit.orthogonal_(danlu.empty(shape, dtype=danlu.float64), gain=2.0).numpy()
    flat = w.reshape(shape[0], -1)
    gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-10)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        dinit.orthogonal_(danlu.empty(4))


def test_sparse():
    w = dinit.sparse_(danlu.empty(10, 40), sparsity=0.3, std=0.5).numpy()
    assert ((w == 0).sum(0) >= 3).all()


def test_generator_and_no_grad_and_in_place():
    g1, g2 = danlu.Generator().manual_seed(3), danlu.Generator().manual_seed(3)
    p = danlu.nn.Parameter(danlu.empty(4, 5))
    q = danlu.nn.Parameter(danlu.empty(4, 5))
    v = p._version
    out = dinit.kaiming_uniform_(p, generator=g1)
    dinit.kaiming_uniform_(q, generator=g2)
    assert out is p and p.requires_grad and p.grad_fn is None and p._version > v
    np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    for fn in (dinit.uniform_, dinit.normal_, dinit.xavier_uniform_, dinit.xavier_normal_,
               dinit.kaiming_normal_, dinit.trunc_normal_, dinit.orthogonal_):
        a = fn(danlu.empty(3, 3), generator=danlu.Generator().manual_seed(1))
        b = fn(danlu.empty(3, 3), generator=danlu.Generator().manual_seed(1))
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        dinit.kaiming_uniform_(danlu.empty(0, 3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        dinit.kaiming_normal_(danlu.empty(2, 2), mode="fan_avg")
    with pytest.warns(FutureWarning):
        dinit.normal(danlu.empty(2))
