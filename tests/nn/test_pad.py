"""F.pad (all modes, negative pads) and the padding modules vs torch."""
import numpy as np
import pytest
import torch

import danlu
import danlu.nn as nn
import danlu.nn.functional as F
from danlu.autograd import gradcheck, gradgradcheck
from tests._oracle import compare_fn

MODES = ["constant", "reflect", "replicate", "circular"]


def _x(shape, dt="float64"):
    return np.random.default_rng(0).standard_normal(shape).astype(dt)


@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("pad", [(1, 2), (2, 1, 3, 0), (0, 0, 1, 1), (-1, 2, 1, -2), (1, 1, 1, 1, 1, 1)])
def test_pad_matches_torch(dt, mode, pad):
    x = _x((2, 3, 5, 6), dt)
    if mode != "constant":
        x = {2: x[0], 4: x, 6: x[None]}[len(pad)]
    compare_fn(lambda lib, x: lib.nn.functional.pad(x, pad, mode=mode), x)


def test_pad_constant_value_and_ints():
    x = _x((2, 3, 4))
    compare_fn(lambda lib, x: lib.nn.functional.pad(x, (1, 2, 0, 1, 1, 0), value=2.5), x)
    xi = np.arange(12).reshape(3, 4)
    compare_fn(lambda lib, x: lib.nn.functional.pad(x, (1, 1), value=3), xi)
    compare_fn(lambda lib, x: lib.nn.functional.pad(x, (-2, -1)), x)


@pytest.mark.parametrize("mode", MODES)
def test_pad_gradcheck(mode):
    x = danlu.randn(1, 2, 4, dtype=danlu.float64, requires_grad=True)
    assert gradcheck(lambda x: F.pad(x, (3, 2), mode=mode), (x,))
    assert gradgradcheck(lambda x: F.pad(x, (3, 2), mode=mode), (x,))


@pytest.mark.parametrize("name,args", [("ZeroPad2d", (1,)), ("ZeroPad2d", ((1, 2, 0, 3),)),
                                       ("ConstantPad1d", (2, 3.5)), ("ConstantPad2d", ((1, 2, 3, 4), -1.0)),
                                       ("ReflectionPad1d", (2,)), ("ReflectionPad2d", ((1, 0, 2, 1),)),
                                       ("ReplicationPad2d", (2,)), ("ReplicationPad1d", ((3, 1),)),
                                       ("CircularPad2d", (1,)), ("ZeroPad1d", (2,)), ("ConstantPad3d", (1, 2.0)),
                                       ("ReflectionPad3d", (1,)), ("ReplicationPad3d", (1,))])
def test_padding_modules(name, args):
    nd = int(name[-2])
    x = _x((2, 3) + (5, 6, 4)[:nd])
    compare_fn(lambda lib, x: getattr(lib.nn, name)(*args)(x), x)
    assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_pad_errors():
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        F.pad(danlu.randn(1, 1, 3, 3), (3, 3, 0, 0), mode="reflect")
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(danlu.randn(1, 1, 3, 3), (1, 1, 1))
    with pytest.raises(NotImplementedError, match="Padding size 4 is not supported for 2D input tensor"):
        F.pad(danlu.randn(3, 3), (1, 1, 1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="Padding value causes wrapping around more than once"):
        F.pad(danlu.randn(1, 1, 3), (4, 4), mode="circular")
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode foo"):
        F.pad(danlu.randn(1, 1, 3), (1, 1), mode="foo")
    with pytest.raises(RuntimeError, match="Padding length should be less than or equal to two times"):
        F.pad(danlu.randn(1, 1, 3, 3), (1,) * 10)
    with pytest.raises(RuntimeError, match="doesn't take in value argument"):
        F.pad(danlu.randn(1, 1, 3), (1, 1), mode="reflect", value=1.0)
