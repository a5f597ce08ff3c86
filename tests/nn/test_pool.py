"""Max/avg/adaptive/lp pooling and max-unpool vs torch (values, indices, grads, errors)."""
import numpy as np
import pytest
import torch

import danlu
import danlu.nn as nn
import danlu.nn.functional as F
from danlu.autograd import gradcheck, gradgradcheck
from tests._oracle import assert_close, compare_fn

DT = ["float64", "float32"]
GRID = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), dict(kernel_size=2, ceil_mode=True),
        dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True), dict(kernel_size=3, stride=1),
        dict(kernel_size=(1, 3), stride=(1, 2), padding=(0, 1))]


def _x(shape, dt, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dt)


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("kw", GRID)
def test_max_pool2d_matches_torch(dt, kw):
    x = _x((2, 3, 9, 8), dt)
    compare_fn(lambda lib, x: lib.nn.functional.max_pool2d(x, **kw, return_indices=True), x)
    compare_fn(lambda lib, x: lib.nn.functional.max_pool2d(x, **kw, dilation=2), _x((2, 3, 11, 10), dt))


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("kw", GRID)
@pytest.mark.parametrize("cip", [True, False])
@pytest.mark.parametrize("div", [None, 3])
def test_avg_pool2d_matches_torch(dt, kw, cip, div):
    x = _x((2, 3, 9, 8), dt)
    compare_fn(lambda lib, x: lib.nn.functional.avg_pool2d(x, **kw, count_include_pad=cip, divisor_override=div), x)


def test_max_pool_ties_take_first_max():
    """After a ReLU most windows tie at 0: torch routes the gradient to the first max only."""
    x = np.maximum(_x((2, 3, 8, 8), "float64"), 0.3)
    compare_fn(lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 1, 1, return_indices=True), x)
    compare_fn(lambda lib, x: lib.nn.functional.max_pool2d(x, 2), x)


@pytest.mark.parametrize("dt", DT)
def test_pool1d_and_unbatched(dt):
    x = _x((2, 3, 11), dt)
    compare_fn(lambda lib, x: lib.nn.functional.max_pool1d(x, 3, 2, 1, ceil_mode=True, return_indices=True), x)
    compare_fn(lambda lib, x: lib.nn.functional.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), x)
    compare_fn(lambda lib, x: lib.nn.functional.max_pool1d(x, 2), x[0])
    compare_fn(lambda lib, x: lib.nn.MaxPool2d(2)(x), _x((3, 6, 6), dt))
    compare_fn(lambda lib, x: lib.nn.AvgPool2d(2)(x), _x((3, 6, 6), dt))


def test_pool3d():
    x = _x((1, 2, 5, 6, 4), "float64")
    compare_fn(lambda lib, x: lib.nn.functional.max_pool3d(x, 2, return_indices=True), x)
    compare_fn(lambda lib, x: lib.nn.functional.avg_pool3d(x, 3, 2, 1), x)


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("out", [(1, 1), (3, 3), (4, 5), (None, 3), 2, (9, 8)])
def test_adaptive_pool2d(dt, out):
    x = _x((2, 3, 9, 8), dt)
    compare_fn(lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, out), x)
    compare_fn(lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, out, return_indices=True), x)


def test_adaptive_pool1d_and_modules():
    x = _x((2, 3, 11), "float64")
    compare_fn(lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x, 4), x)
    compare_fn(lambda lib, x: lib.nn.AdaptiveMaxPool1d(4, return_indices=True)(x), x)
    compare_fn(lambda lib, x: lib.nn.AdaptiveAvgPool2d((1, 1))(x), _x((2, 3, 7, 7), "float32"))


@pytest.mark.parametrize("dt", DT)
def test_max_unpool2d(dt):
    x = _x((2, 3, 9, 8), dt)

    def f(lib, x):
        y, i = lib.nn.functional.max_pool2d(x, 2, return_indices=True)
        return lib.nn.MaxUnpool2d(2)(y, i, output_size=x.shape)

    compare_fn(f, x)

    def g(lib, x):
        y, i = lib.nn.functional.max_pool1d(x, 3, 2, return_indices=True)
        return lib.nn.functional.max_unpool1d(y, i, 3, 2)

    compare_fn(g, _x((2, 3, 11), dt))
    with pytest.raises(RuntimeError, match="Found an invalid max index: 99"):
        F.max_unpool2d(danlu.randn(1, 1, 2, 2), danlu.tensor([[[[0, 1], [2, 99]]]]), 2)


def test_lp_pool():
    x = np.abs(_x((2, 3, 8, 8), "float64")) + 0.1
    compare_fn(lambda lib, x: lib.nn.functional.lp_pool2d(x, 2, 3, 2), x)
    compare_fn(lambda lib, x: lib.nn.LPPool1d(3, 2)(x), np.abs(_x((2, 3, 9), "float64")) + 0.1)


def test_pool_gradcheck():
    danlu.manual_seed(0)
    x = danlu.randn(1, 2, 5, 5, dtype=danlu.float64, requires_grad=True)
    for f in (lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
              lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
              lambda x: F.max_pool2d(x, 2),
              lambda x: F.adaptive_avg_pool2d(x, 3),
              lambda x: F.adaptive_max_pool2d(x, 3)):
        assert gradcheck(f, (x,))
        assert gradgradcheck(f, (x,))


def test_pool_module_reprs():
    pairs = [("MaxPool2d", (2,), {}), ("MaxPool1d", (3, 2), {}), ("AvgPool2d", (2,), {}), ("AvgPool1d", (2,), {}),
             ("AdaptiveAvgPool2d", ((1, 1),), {}), ("AdaptiveMaxPool2d", (3,), dict(return_indices=True)),
             ("MaxUnpool2d", (2,), {}), ("LPPool2d", (2, 3), {}),
             ("AvgPool2d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False, divisor_override=2)),
             ("MaxPool2d", (3, 2, 1), dict(ceil_mode=True, return_indices=True))]
    for name, a, kw in pairs:
        assert repr(getattr(nn, name)(*a, **kw)) == repr(getattr(torch.nn, name)(*a, **kw))


def test_pool_errors():
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(danlu.randn(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.max_pool2d(danlu.randn(1, 1, 5, 5), 2, padding=2)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.avg_pool2d(danlu.randn(1, 1, 5, 5), 2, padding=2)
    with pytest.raises(RuntimeError, match="stride should not be zero"):
        F.max_pool2d(danlu.randn(1, 5, 5), 2, stride=0)
    with pytest.raises(RuntimeError, match=r"Expected 3D or 4D \(batch mode\) tensor"):
        F.max_pool2d(danlu.randn(5, 5), 2)
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor"):
        F.adaptive_avg_pool2d(danlu.randn(5, 5), 2)


def test_max_pool_no_grad_fast_path_equals_recorded_path():
    x = danlu.randn(2, 3, 8, 8)
    with danlu.no_grad():
        a = F.max_pool2d(x, 3, 2, 1)
    b = F.max_pool2d(x.requires_grad_(), 3, 2, 1)
    assert_close(a, b.detach())


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=(2, 3), stride=1, dilation=(2, 1))])
def test_compiled_maxpool_equals_numpy_reference(kw):
    from danlu._ops import _conv_kernels as K

    if K.kernels() is None:
        pytest.skip("numba not available")
    x = np.maximum(_x((2, 3, 9, 8), "float64"), 0.2)  # ties, as after a ReLU
    res = []
    for flag in (True, False):
        K.set_enabled(flag)
        try:
            xd = danlu.tensor(x, requires_grad=True)
            y, i = F.max_pool2d(xd, **kw, return_indices=True)
            y.square().sum().backward()
            res.append((y.detach().numpy(), i.numpy(), xd.grad.numpy()))
        finally:
            K.set_enabled(True)
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


def test_max_pool_nan_wins_like_torch():
    x = _x((1, 2, 4, 4), "float32")
    x[0, 0, 1, 1] = np.nan
    compare_fn(lambda lib, x: lib.nn.functional.max_pool2d(x, 2, return_indices=True), x, grad=False)
