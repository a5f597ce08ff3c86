"""interpolate / Upsample / pixel (un)shuffle vs torch."""
import warnings

import numpy as np
import pytest
import torch

import danlu
import danlu.nn as nn
import danlu.nn.functional as F
from danlu.autograd import gradcheck
from tests._oracle import compare_fn

SIZES = [dict(scale_factor=2), dict(scale_factor=1.7), dict(size=(3, 11)), dict(scale_factor=(0.5, 3.3)),
         dict(scale_factor=1.3, recompute_scale_factor=True), dict(size=(13, 4)), dict(size=5)]


def _x(shape, dt="float64"):
    return np.random.default_rng(0).standard_normal(shape).astype(dt)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("mode,ac", [("nearest", None), ("nearest-exact", None), ("area", None),
                                     ("bilinear", True), ("bilinear", False), ("bicubic", True), ("bicubic", False)])
@pytest.mark.parametrize("kw", SIZES)
def test_interpolate_2d(dt, mode, ac, kw):
    x = _x((2, 3, 5, 7), dt)
    compare_fn(lambda lib, x: lib.nn.functional.interpolate(x, mode=mode, align_corners=ac, **kw), x)


@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=12), dict(scale_factor=0.6)])
@pytest.mark.parametrize("mode,ac", [("linear", True), ("linear", False), ("nearest", None)])
def test_interpolate_1d_and_3d(kw, mode, ac):
    compare_fn(lambda lib, x: lib.nn.functional.interpolate(x, mode=mode, align_corners=ac, **kw), _x((2, 3, 7)))
    x3 = _x((1, 2, 3, 4, 5))
    compare_fn(lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="trilinear"), x3)


def test_upsample_modules():
    x = _x((2, 3, 4, 5), "float32")
    for name, args, kw in [("Upsample", (), dict(scale_factor=2)), ("Upsample", (), dict(size=(3, 4), mode="bilinear")),
                           ("UpsamplingBilinear2d", (), dict(scale_factor=2)), ("UpsamplingNearest2d", (5,), {}),
                           ("Upsample", (), dict(scale_factor=(2, 3), mode="bilinear", align_corners=True))]:
        compare_fn(lambda lib, x: getattr(lib.nn, name)(*args, **kw)(x), x)
        assert repr(getattr(nn, name)(*args, **kw)) == repr(getattr(torch.nn, name)(*args, **kw))


def test_interpolate_gradcheck():
    x = danlu.randn(1, 2, 3, 4, dtype=danlu.float64, requires_grad=True)
    assert gradcheck(lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear"), (x,))
    assert gradcheck(lambda x: F.interpolate(x, size=(5, 7), mode="nearest"), (x,))


def test_interpolate_errors():
    x = danlu.randn(1, 1, 3, 3)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        F.interpolate(x)
    with pytest.raises(NotImplementedError, match="Got 3D input, but bilinear mode needs 4D input"):
        F.interpolate(danlu.randn(1, 1, 3), scale_factor=2, mode="bilinear")


@pytest.mark.parametrize("dt", ["float64", "float32"])
def test_pixel_shuffle(dt):
    compare_fn(lambda lib, x: lib.nn.PixelShuffle(2)(x), _x((2, 8, 3, 5), dt))
    compare_fn(lambda lib, x: lib.nn.functional.pixel_shuffle(x, 3), _x((9, 2, 2), dt))
    compare_fn(lambda lib, x: lib.nn.PixelUnshuffle(2)(x), _x((2, 3, 4, 6), dt))
    assert repr(nn.PixelShuffle(3)) == repr(torch.nn.PixelShuffle(3))
    with pytest.raises(RuntimeError, match="is not divisible by 4"):
        F.pixel_shuffle(danlu.randn(1, 3, 3, 3), 2)


@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("ac", [True, False])
def test_affine_grid_and_grid_sample(dt, ac):
    rng = np.random.default_rng(0)
    th = (np.eye(2, 3)[None].repeat(2, 0) + 0.3 * rng.standard_normal((2, 2, 3))).astype(dt)
    compare_fn(lambda lib, t: lib.nn.functional.affine_grid(t, (2, 3, 5, 4), align_corners=ac), th)
    x = rng.standard_normal((2, 3, 5, 6)).astype(dt)
    g = (rng.random((2, 4, 7, 2)) * 2.6 - 1.3).astype(dt)
    for pm in ["zeros", "border", "reflection"]:
        compare_fn(lambda lib, x, g: lib.nn.functional.grid_sample(x, g, padding_mode=pm, align_corners=ac), x, g)
        compare_fn(lambda lib, x: lib.nn.functional.grid_sample(x, lib.tensor(g), mode="nearest", padding_mode=pm,
                                                                align_corners=ac), x)

    def stn(lib, x, t):  # a spatial-transformer step: grads reach theta through the grid
        return lib.nn.functional.grid_sample(x, lib.nn.functional.affine_grid(t, (2, 3, 4, 4), align_corners=ac),
                                             align_corners=ac)

    compare_fn(stn, x, th)


def test_channel_shuffle():
    compare_fn(lambda lib, x: lib.nn.ChannelShuffle(3)(x), _x((2, 6, 3, 2)))
    compare_fn(lambda lib, x: lib.nn.functional.channel_shuffle(x, 2), _x((2, 4, 5)))
    assert repr(nn.ChannelShuffle(2)) == repr(torch.nn.ChannelShuffle(2))
    with pytest.raises(RuntimeError, match="Number of channels must be divisible by groups"):
        F.channel_shuffle(danlu.randn(1, 3, 2, 2), 2)
