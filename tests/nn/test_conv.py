"""Conv1d/2d/3d, ConvTranspose, unfold/fold vs torch: values, input and weight grads, errors."""
import math

import numpy as np
import pytest
import torch

import danlu
import danlu.nn as nn
import danlu.nn.functional as F
from danlu.autograd import gradcheck, gradgradcheck
from tests._oracle import assert_close, compare_fn

DT = ["float64", "float32"]


def _r(rng, shape, dt):
    return rng.standard_normal(shape).astype(dt)


CONV2D_CASES = [
    ((2, 3, 8, 8), (5, 3, 3, 3), {}),
    ((2, 4, 7, 9), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)),
    ((2, 3, 8, 7), (5, 3, 3, 3), dict(padding="same")),
    ((2, 3, 8, 8), (5, 3, 4, 4), dict(padding="same", dilation=2)),
    ((2, 3, 6, 5), (4, 3, 2, 3), dict(padding="valid", stride=2)),
    ((3, 8, 8), (5, 3, 3, 3), dict(stride=3)),  # unbatched
    ((2, 6, 5, 5), (6, 1, 3, 3), dict(groups=6, padding=1)),  # depthwise
    ((2, 4, 5, 5), (8, 4, 1, 1), {}),  # 1x1
    ((1, 2, 9, 9), (4, 1, 5, 5), dict(stride=4, padding=3, groups=2)),
]


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("xs,ws,kw", CONV2D_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch(dt, xs, ws, kw, bias):
    rng = np.random.default_rng(0)
    x, w, b = _r(rng, xs, dt), _r(rng, ws, dt), _r(rng, ws[0], dt)
    if bias:
        compare_fn(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, **kw), x, w, b)
    else:
        compare_fn(lambda lib, x, w: lib.nn.functional.conv2d(x, w, **kw), x, w)


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("kw", [{}, dict(stride=2, padding=1), dict(padding="same", dilation=3),
                                dict(groups=3, stride=3), dict(padding=2, dilation=2)])
def test_conv1d_matches_torch(dt, kw):
    rng = np.random.default_rng(1)
    x, w, b = _r(rng, (2, 3, 11), dt), _r(rng, (6, 3 // kw.get("groups", 1), 3), dt), _r(rng, 6, dt)
    compare_fn(lambda lib, x, w, b: lib.nn.functional.conv1d(x, w, b, **kw), x, w, b)


def test_conv3d_matches_torch():
    rng = np.random.default_rng(2)
    x, w, b = _r(rng, (1, 2, 4, 5, 4), "float64"), _r(rng, (3, 2, 2, 3, 2), "float64"), _r(rng, 3, "float64")
    compare_fn(lambda lib, x, w, b: lib.nn.functional.conv3d(x, w, b, stride=(1, 2, 1), padding=1), x, w, b)


CT_CASES = [
    ((2, 4, 5, 5), (4, 3, 3, 3), {}),
    ((2, 4, 7, 9), (4, 3, 3, 2), dict(stride=(2, 1), padding=(1, 0), output_padding=(1, 0), groups=2)),
    ((2, 4, 5, 5), (4, 3, 3, 3), dict(stride=2, padding=1, dilation=2, output_padding=1)),
    ((2, 4, 5, 5), (4, 2, 2, 2), dict(stride=2)),  # U-Net 2x upsampling
    ((4, 5, 5), (4, 2, 4, 4), dict(stride=2, padding=1)),  # unbatched
]


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("xs,ws,kw", CT_CASES)
def test_conv_transpose2d_matches_torch(dt, xs, ws, kw):
    rng = np.random.default_rng(3)
    g = kw.get("groups", 1)
    x, w, b = _r(rng, xs, dt), _r(rng, ws, dt), _r(rng, ws[1] * g, dt)
    compare_fn(lambda lib, x, w, b: lib.nn.functional.conv_transpose2d(x, w, b, **kw), x, w, b)


@pytest.mark.parametrize("dt", DT)
def test_conv_transpose1d_matches_torch(dt):
    rng = np.random.default_rng(4)
    x, w, b = _r(rng, (2, 4, 6), dt), _r(rng, (4, 3, 3), dt), _r(rng, 3, dt)
    compare_fn(lambda lib, x, w, b: lib.nn.functional.conv_transpose1d(x, w, b, stride=3, padding=1,
                                                                       output_padding=2), x, w, b)


def test_conv_gradcheck_and_gradgradcheck():
    danlu.manual_seed(0)
    x = danlu.randn(1, 2, 5, 5, dtype=danlu.float64, requires_grad=True)
    w = danlu.randn(4, 1, 3, 3, dtype=danlu.float64, requires_grad=True)
    b = danlu.randn(4, dtype=danlu.float64, requires_grad=True)

    def f(x, w, b):
        return F.conv2d(x, w, b, stride=2, padding=1, groups=2)

    assert gradcheck(f, (x, w, b))
    assert gradgradcheck(f, (x, w, b))
    w2 = danlu.randn(2, 3, 3, 3, dtype=danlu.float64, requires_grad=True)
    b2 = danlu.randn(3, dtype=danlu.float64, requires_grad=True)

    def g(x, w, b):
        return F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)

    assert gradcheck(g, (x, w2, b2))
    assert gradgradcheck(g, (x, w2, b2))


def test_conv_double_backward_matches_torch():
    """A gradient penalty: d/dw of ||d out/d x||^2, against torch."""
    rng = np.random.default_rng(5)
    x, w = _r(rng, (2, 2, 6, 6), "float64"), _r(rng, (3, 2, 3, 3), "float64")
    res = []
    for lib in (danlu, torch):
        xt = lib.tensor(x, requires_grad=True)
        wt = lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, stride=2, padding=1).tanh().sum()
        (gx,) = lib.autograd.grad(y, xt, create_graph=True)
        (gw,) = lib.autograd.grad((gx ** 2).sum(), wt)
        res.append((gx, gw))
    assert_close(res[0][0], res[1][0])
    assert_close(res[0][1], res[1][1])


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_conv2d_module_padding_modes(mode, padding):
    rng = np.random.default_rng(6)
    x = _r(rng, (2, 4, 7, 6), "float64")
    tm = torch.nn.Conv2d(4, 6, (3, 4), padding=padding, groups=2, padding_mode=mode).double()
    dm = nn.Conv2d(4, 6, (3, 4), padding=padding, groups=2, padding_mode=mode).double()
    dm.load_state_dict({k: danlu.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    xd, xt = danlu.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yd, yt = dm(xd), tm(xt)
    assert_close(yd, yt)
    yd.square().sum().backward()
    yt.square().sum().backward()
    assert_close(xd.grad, xt.grad)
    assert_close(dm.weight.grad, tm.weight.grad)
    assert_close(dm.bias.grad, tm.bias.grad)


def test_conv_transpose_module_output_size():
    rng = np.random.default_rng(7)
    x = _r(rng, (1, 4, 5, 5), "float32")
    tm = torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    dm = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    dm.load_state_dict({k: danlu.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    for size in [(9, 9), (10, 10), (1, 4, 10, 9)]:
        assert_close(dm(danlu.tensor(x), output_size=size), tm(torch.tensor(x), output_size=size))
    with pytest.raises(ValueError, match=r"requested an output size of \[12, 12\], but valid sizes range"):
        dm(danlu.tensor(x), output_size=(12, 12))


def test_conv_module_init_and_repr():
    danlu.manual_seed(0)
    m = nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)
    assert m.weight.shape == (32, 16, 3, 3) and m.bias.shape == (32,)
    assert float(m.weight.abs().max()) <= bound and float(m.weight.std()) == pytest.approx(bound / math.sqrt(3), rel=0.1)
    assert float(m.bias.abs().max()) <= bound
    assert nn.ConvTranspose2d(4, 6, 3, groups=2).weight.shape == (4, 3, 3, 3)
    pairs = [
        (nn.Conv2d(3, 6, 5), torch.nn.Conv2d(3, 6, 5)),
        (nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2, bias=False, padding_mode="reflect"),
         torch.nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2, bias=False, padding_mode="reflect")),
        (nn.Conv1d(3, 4, 3, padding="same", dilation=2), torch.nn.Conv1d(3, 4, 3, padding="same", dilation=2)),
        (nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1),
         torch.nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1)),
    ]
    for d, t in pairs:
        assert repr(d) == repr(t)
        assert list(d.state_dict()) == list(t.state_dict())


def test_conv_errors():
    x = danlu.randn(2, 3, 28, 28)
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d"):
        F.conv2d(danlu.randn(2, 3), danlu.randn(6, 1, 5, 5))
    with pytest.raises(RuntimeError, match=r"expected input\[2, 3, 28, 28\] to have 1 channels, but got 3"):
        F.conv2d(x, danlu.randn(6, 1, 5, 5))
    with pytest.raises(RuntimeError, match=r"Kernel size can't be greater than actual input size"):
        F.conv2d(danlu.randn(2, 1, 3, 3), danlu.randn(6, 1, 5, 5))
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.conv2d(danlu.randn(2, 1, 8, 8, dtype=danlu.float64), danlu.randn(6, 1, 5, 5))
    with pytest.raises(RuntimeError, match="not supported for strided convolutions"):
        F.conv2d(x, danlu.randn(6, 3, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="expected bias to be 1-dimensional with 6 elements"):
        F.conv2d(x, danlu.randn(6, 3, 3, 3), danlu.randn(5))
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        F.conv_transpose2d(danlu.randn(2, 4, 8, 8), danlu.randn(4, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 6, 3, padding_mode="foo")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(3, 6, 3, padding_mode="reflect")


def test_conv_empty_batch_and_no_grad():
    y = F.conv2d(danlu.randn(0, 1, 8, 8), danlu.randn(6, 1, 5, 5))
    assert y.shape == (0, 6, 4, 4)
    w = danlu.randn(6, 1, 5, 5, requires_grad=True)
    with danlu.no_grad():
        y = F.conv2d(danlu.randn(2, 1, 8, 8), w)
    assert y.grad_fn is None and y.dtype == danlu.float32


@pytest.mark.parametrize("dt", DT)
def test_unfold_fold_match_torch(dt):
    rng = np.random.default_rng(8)
    x = _r(rng, (2, 3, 5, 6), dt)
    compare_fn(lambda lib, x: lib.nn.functional.unfold(x, (2, 3), padding=1, stride=(2, 1), dilation=(1, 2)), x)
    c = _r(rng, (2, 12, 12), dt)
    compare_fn(lambda lib, x: lib.nn.functional.fold(x, (4, 5), (2, 2)), c)
    c = _r(rng, (2, 8, 9), dt)
    compare_fn(lambda lib, x: lib.nn.Fold((5, 5), 2, padding=1, stride=2)(x), c)
    compare_fn(lambda lib, x: lib.nn.Unfold(3, padding=1)(x), x)
    with pytest.raises(RuntimeError, match="expected size of input's dimension 2 to match"):
        F.fold(danlu.randn(2, 12, 11), (4, 5), (2, 2))


@pytest.mark.parametrize("case", [
    ((2, 3, 9, 8), (4, 3, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2))),
    ((2, 4, 7, 7), (4, 1, 3, 3), dict(stride=2, padding=1, groups=4)),
    ((3, 2, 10), (4, 2, 3), dict(stride=3, padding=2, dilation=2)),
])
def test_compiled_im2col_equals_numpy_reference(case):
    """The optional numba kernels give exactly the NumPy path's values and gradients."""
    from danlu._ops import _conv_kernels as K

    if K.kernels() is None:
        pytest.skip("numba not available")
    xs, ws, kw = case
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    fn = F.conv1d if len(xs) == 3 else F.conv2d
    res = []
    for flag in (True, False):
        K.set_enabled(flag)
        try:
            xd, wd = danlu.tensor(x, requires_grad=True), danlu.tensor(w, requires_grad=True)
            y = fn(xd, wd, **kw)
            y.square().sum().backward()
            u = F.unfold(xd.detach(), 2, padding=1) if len(xs) == 4 else None
            res.append((y, xd.grad, wd.grad, u))
        finally:
            K.set_enabled(True)
    for a, b in zip(*res):
        if a is not None:
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)
