"""Lazy modules: shape inference on the first call, class switch, state dicts, torch parity."""
import copy

import numpy as np
import pytest
import torch

import danlu
from danlu.nn.parameter import UninitializedParameter
from tests.nn._models import compare_models, copy_into

rng = np.random.default_rng(0)


def lazy_net(lib):
    nn = lib.nn
    return nn.Sequential(nn.LazyConv2d(4, 3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU(),
                         nn.Flatten(), nn.LazyLinear(5), nn.ReLU(), nn.LazyLinear(2))


def test_lazy_linear_before_and_after():
    dm, tm = danlu.nn.LazyLinear(3), torch.nn.LazyLinear(3)
    assert repr(dm) == repr(tm)
    assert isinstance(dm.weight, UninitializedParameter) and dm.has_uninitialized_params()
    with pytest.raises(ValueError, match="uninitialized parameter"):
        dm.weight.shape  # noqa: B018
    assert list(dm.state_dict()) == list(tm.state_dict()) == ["weight", "bias"]
    y = dm(danlu.randn(4, 7))
    tm(torch.randn(4, 7))
    assert y.shape == (4, 3) and type(dm) is danlu.nn.Linear and repr(dm) == repr(tm)
    assert [tuple(p.shape) for p in dm.parameters()] == [(3, 7), (3,)]
    assert not dm._forward_pre_hooks
    bound = 1 / np.sqrt(7)
    w = dm.weight.detach().numpy()
    assert np.abs(w).max() <= bound and w.std() > 0
    y.sum().backward()
    assert dm.weight.grad.shape == (3, 7)
    nb = danlu.nn.LazyLinear(2, bias=False)
    nb(danlu.randn(1, 3, dtype=danlu.float64))
    assert nb.bias is None and nb.weight.dtype == danlu.float64


def test_lazy_model_matches_torch_after_first_call():
    x = rng.standard_normal((2, 3, 6, 6)).astype("float32")
    tm, dm = lazy_net(torch), lazy_net(danlu)
    assert repr(dm) == repr(tm)
    tm(torch.from_numpy(x))
    dm(danlu.from_numpy(x))
    assert repr(dm) == repr(tm)
    assert list(dm.state_dict()) == list(tm.state_dict())
    copy_into(dm, tm)
    compare_models(dm, tm, x)


def test_lazy_load_state_dict_materializes():
    x = rng.standard_normal((2, 3, 6, 6)).astype("float32")
    src = lazy_net(danlu)
    src(danlu.from_numpy(x))
    dst = lazy_net(danlu)
    assert repr(dst.load_state_dict(src.state_dict())) == "<All keys matched successfully>"
    src.eval()
    dst.eval()
    np.testing.assert_allclose(dst(danlu.from_numpy(x)).detach().numpy(),
                               src(danlu.from_numpy(x)).detach().numpy(), rtol=1e-6)
    assert type(dst[0]) is danlu.nn.Conv2d and type(dst[4]) is danlu.nn.Linear
    assert dst[4].in_features == 4 * 36


def test_lazy_conv_variants_and_errors():
    for name, shape in (("LazyConv1d", (2, 3, 8)), ("LazyConv2d", (2, 3, 8, 8)),
                        ("LazyConvTranspose2d", (2, 3, 5, 5))):
        if not hasattr(danlu.nn, name):
            continue
        d = getattr(danlu.nn, name)(6, 3, stride=2)
        t = getattr(torch.nn, name)(6, 3, stride=2)
        assert repr(d) == repr(t)
        xd = danlu.randn(*shape)
        y = d(xd)
        t(torch.randn(*shape))
        assert repr(d) == repr(t) and tuple(d.weight.shape) == tuple(t.weight.shape)
        assert y.shape == tuple(t(torch.randn(*shape)).shape)
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) input"):
        danlu.nn.LazyConv2d(2, 3)(danlu.randn(3, 3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        danlu.nn.LazyConv2d(4, 3, groups=2)(danlu.randn(1, 3, 5, 5))


def test_lazy_deepcopy_and_optimizer_after_init():
    m = danlu.nn.Sequential(danlu.nn.LazyLinear(3))
    c = copy.deepcopy(m)
    c(danlu.randn(2, 4))
    assert type(c[0]) is danlu.nn.Linear and type(m[0]) is danlu.nn.LazyLinear
    c(danlu.randn(2, 4))
    m(danlu.randn(1, 5))
    opt = danlu.optim.SGD(m.parameters(), lr=0.1)
    m(danlu.randn(1, 5)).sum().backward()
    before = m[0].weight.detach().numpy().copy()
    opt.step()
    assert not np.allclose(before, m[0].weight.detach().numpy())
