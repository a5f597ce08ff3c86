"""torch functions composed of existing ops: values and gradients against torch."""
import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close, compare_fn, to_danlu, to_torch

R = np.random.default_rng(0)


@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("fn", [
    lambda L, x: L.diff(x),
    lambda L, x: L.diff(x, n=2, dim=0),
    lambda L, x: L.diff(x, dim=1, prepend=x[:, :1], append=x[:, -2:]),
    lambda L, x: L.logit(x.sigmoid()),
    lambda L, x: L.logit(x.sigmoid(), eps=0.3),
    lambda L, x: L.ravel(x.t()),
    lambda L, x: L.select(x, 1, -1),
    lambda L, x: x.select(0, 2),
    lambda L, x: L.trapezoid(x),
    lambda L, x: L.trapezoid(x, dx=0.5, dim=0),
    lambda L, x: L.trapezoid(x, x.cumsum(1).exp()),
    lambda L, x: L.cumulative_trapezoid(x),
    lambda L, x: L.deg2rad(x) + L.rad2deg(x),
    lambda L, x: L.block_diag(x, x[:2, :1], x[0, 0], x[1]),
    lambda L, x: L.quantile(x, 0.3),
    lambda L, x: L.quantile(x, 0.7, dim=1, keepdim=True),
    lambda L, x: L.quantile(x, L.tensor([0.0, 0.25, 1.0], dtype=x.dtype), dim=0),
    lambda L, x: L.quantile(x, 0.4, dim=0, interpolation="midpoint"),
    lambda L, x: L.quantile(x, 0.4, dim=1, interpolation="lower"),
    lambda L, x: L.quantile(x, 0.4, dim=1, interpolation="higher"),
    lambda L, x: L.quantile(x, 0.4, dim=1, interpolation="nearest"),
    lambda L, x: L.quantile(x, 0.5, keepdim=True),
    lambda L, x: L.addr(x, x[:, 0], x[0], beta=0.5, alpha=2),
    lambda L, x: L.diagflat(x[:2, :2], 1),
    lambda L, x: L.cross(x[:, :3], x[:, 1:4], dim=1),
])
def test_composites_match_torch(fn, dt):
    x = R.standard_normal((4, 5)).astype(dt)
    x[0, 0] = 0.0
    compare_fn(fn, x)


@pytest.mark.parametrize("fn", [  # torch has no (or a broken) derivative for these: values only
    lambda L, x: L.sgn(x),
    lambda L, x: L.vander(x[:, 0], 3),
    lambda L, x: L.vander(x[:, 0], increasing=True),
    lambda L, x: L.heaviside(x, x * 0 + 0.5),
])
def test_composites_values_match_torch(fn):
    x = R.standard_normal((4, 5))
    x[0, 0] = 0.0
    compare_fn(fn, x, grad=False)


def test_nanquantile_and_nan_propagation():
    x = R.standard_normal((3, 6))
    x[0, 1] = x[2, :] = np.nan
    for f in (lambda L, t: L.nanquantile(t, 0.3, dim=1), lambda L, t: L.quantile(t, 0.3, dim=1),
              lambda L, t: L.nanquantile(t, 0.5)):
        assert_close(f(danlu, to_danlu(x)), f(torch, to_torch(x)))


def test_non_differentiable_helpers():
    a = np.array([[1, 2], [3, 4]])
    assert_close(danlu.isin(to_danlu(a), to_danlu(np.array([2, 3]))), torch.isin(to_torch(a), to_torch(np.array([2, 3]))))
    assert_close(danlu.isin(to_danlu(a), to_danlu(np.array([2])), invert=True),
                 torch.isin(to_torch(a), to_torch(np.array([2])), invert=True))
    assert_close(danlu.take(to_danlu(a), to_danlu(np.array([[0, 3], [-1, 1]]))),
                 torch.take(to_torch(a), to_torch(np.array([[0, 3], [-1, 1]]))))
    x = np.array([-1.0, -0.0, 0.0, 2.0])
    assert_close(danlu.signbit(to_danlu(x)), torch.signbit(to_torch(x)))
    v = np.array([1, 2, 3])
    for r, rep in [(2, False), (2, True), (3, False)]:
        assert_close(danlu.combinations(to_danlu(v), r, rep), torch.combinations(to_torch(v), r, rep))
    assert danlu.typename(danlu.ones(1)) == torch.typename(torch.ones(1))
    assert danlu.is_nonzero(danlu.tensor([1.5])) is torch.is_nonzero(torch.tensor([1.5]))
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        danlu.is_nonzero(danlu.ones(2))
    with pytest.raises(IndexError, match="out of range"):
        danlu.take(danlu.ones(3), danlu.tensor([3]))
    with pytest.raises(RuntimeError, match="q values must be in the range"):
        danlu.quantile(danlu.ones(3), 1.5)


def test_finfo_iinfo_match_torch():
    for d, t in [(danlu.float32, torch.float32), (danlu.float64, torch.float64), (danlu.float16, torch.float16)]:
        a, b = danlu.finfo(d), torch.finfo(t)
        assert (a.eps, a.max, a.min, a.tiny, a.bits) == (b.eps, b.max, b.min, b.tiny, b.bits)
    assert danlu.finfo().eps == torch.finfo().eps
    for d, t in [(danlu.int64, torch.int64), (danlu.int32, torch.int32), (danlu.uint8, torch.uint8)]:
        a, b = danlu.iinfo(d), torch.iinfo(t)
        assert (a.max, a.min, a.bits) == (b.max, b.min, b.bits)
    with pytest.raises(TypeError, match="requires a floating point input type"):
        danlu.finfo(danlu.int64)


def test_functional_aliases_at_top_level():
    x = R.standard_normal((2, 5))
    compare_fn(lambda L, t: L.softmax(t, 1) + L.log_softmax(t, 0) + L.selu(t) + L.celu(t), x)
    compare_fn(lambda L, t: L.dropout(t, 0.0, True), x)
    img, w = R.standard_normal((1, 2, 6, 6)), R.standard_normal((3, 2, 3, 3))
    compare_fn(lambda L, a, b: L.max_pool2d(L.conv2d(a, b, None, 1, 1), 2), img, w)
