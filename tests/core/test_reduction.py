"""Reductions vs torch: dim int/tuple/None, keepdim, correction, indices, empty and 0-d inputs."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import danlu
from tests._oracle import assert_close, compare_fn, to_danlu, to_torch

rng = np.random.default_rng(1)


def R(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


DIMS = [None, 0, -1, (0, 2), (-1, 1), ()]
RED = {
    "sum": lambda l, x, d, k: x.sum() if d is None else x.sum(d, keepdim=k),
    "mean": lambda l, x, d, k: x.mean() if d is None else x.mean(d, keepdim=k),
    "amax": lambda l, x, d, k: l.amax(x) if d is None else l.amax(x, d, keepdim=k),
    "amin": lambda l, x, d, k: l.amin(x) if d is None else x.amin(d, keepdim=k),
    "var": lambda l, x, d, k: x.var() if d is None else x.var(d, keepdim=k),
    "std": lambda l, x, d, k: x.std() if d is None else l.std(x, d, keepdim=k),
    "var_c0": lambda l, x, d, k: x.var(d, correction=0, keepdim=k),
    "std_unb": lambda l, x, d, k: x.std(d, unbiased=False, keepdim=k),
    "logsumexp": lambda l, x, d, k: l.logsumexp(x, d if d is not None else (0, 1, 2), keepdim=k),
    "norm": lambda l, x, d, k: x.norm(dim=d, keepdim=k),
    "nansum": lambda l, x, d, k: l.nansum(x, d, keepdim=k) if d is not None else l.nansum(x),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", sorted(RED))
def test_reductions(name, dim, keepdim, dtype):
    if dim == () and name in ("var", "std", "var_c0", "std_unb", "logsumexp", "norm", "amax", "amin"):
        return  # torch itself differs per op for dim=()
    compare_fn(lambda l, x: RED[name](l, x, dim, keepdim), R(2, 3, 4, dtype=dtype))


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod(dim, keepdim):
    x = R(3, 4)
    x[1, 2] = 0.0  # one zero: gradient must be the product of the others
    f = (lambda l, x: x.prod()) if dim is None else (lambda l, x: x.prod(dim, keepdim=keepdim))
    compare_fn(f, x)
    x[0, 1] = 0.0  # two zeros
    compare_fn(f, x)


@pytest.mark.parametrize("which", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_with_indices(which, keepdim):
    x = R(3, 4, 5)
    compare_fn(lambda l, x: getattr(x, which)(), x)
    compare_fn(lambda l, x: tuple(getattr(l, which)(x, 1, keepdim=keepdim)), x)
    compare_fn(lambda l, x: getattr(x, which)(dim=-1, keepdim=keepdim).values, x)
    r = getattr(to_danlu(x), which)(0)
    assert r.indices.dtype == danlu.int64 and r[1] is r.indices
    compare_fn(lambda l, x, y: getattr(l, which + "imum")(x, y), x, R(5))
    compare_fn(lambda l, x, y: getattr(l, which)(x, y), x, R(5))


def test_max_ties_gradient_matches_torch():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    compare_fn(lambda l, x: x.max(), x)
    compare_fn(lambda l, x: x.amax(1), x)
    compare_fn(lambda l, x: x.max(1)[0], x)


@pytest.mark.parametrize("f", [
    lambda l, x: x.argmax(), lambda l, x: x.argmin(1), lambda l, x: l.argmax(x, 0, keepdim=True),
    lambda l, x: (x > 0).all(), lambda l, x: (x > 0).any(1), lambda l, x: l.all(x > -5, 0, keepdim=True),
    lambda l, x: l.count_nonzero(x > 0), lambda l, x: l.count_nonzero(x > 0, dim=1),
    lambda l, x: l.count_nonzero(x > 0, dim=(0, 1)), lambda l, x: (x > 0).sum(1),
    lambda l, x: (x > 0).sum(), lambda l, x: x.long().sum(0), lambda l, x: x.int().prod(),
    lambda l, x: x.median(), lambda l, x: tuple(x.median(1)), lambda l, x: tuple(l.aminmax(x, dim=0)),
    lambda l, x: x.float().mean(), lambda l, x: l.sum(x, 1, dtype=l.float32),
])
def test_reductions_nondiff_and_dtype(f):
    compare_fn(f, R(4, 5))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumulative(dim):
    x = R(3, 4)
    compare_fn(lambda l, x: x.cumsum(dim), x)
    compare_fn(lambda l, x: l.cumprod(x, dim), x)
    x[1, 1] = 0.0
    compare_fn(lambda l, x: l.cumprod(x, dim), x)
    compare_fn(lambda l, x: tuple(l.cummax(x, dim)), x)
    compare_fn(lambda l, x: tuple(l.cummin(x, dim)), x)
    compare_fn(lambda l, x: l.logcumsumexp(x, dim), x)
    compare_fn(lambda l, x: x.long().cumsum(dim), x)


def test_empty_and_zero_d():
    e = np.zeros((0, 3))
    for f in (lambda l, x: x.sum(), lambda l, x: x.sum(0), lambda l, x: x.prod(0), lambda l, x: x.mean(1),
              lambda l, x: l.logsumexp(x, 1), lambda l, x: x.amax(1), lambda l, x: x.mean(),
              lambda l, x: tuple(x.max(1))):
        compare_fn(f, e)
    z = np.array(2.5)
    for f in (lambda l, x: x.sum(), lambda l, x: x.sum(0), lambda l, x: x.mean(-1, keepdim=True),
              lambda l, x: x.amax(), lambda l, x: x.max(0)[0], lambda l, x: x.argmax(), lambda l, x: x.cumsum(0),
              lambda l, x: x.prod(0), lambda l, x: l.logsumexp(x, 0), lambda l, x: x.norm()):
        compare_fn(f, z)


def test_reduction_errors():
    x = danlu.zeros(2, 3)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.sum(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.max(-3)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        x.sum((0, 0))
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        danlu.zeros(0, 3).max()
    with pytest.raises(IndexError, match=r"amax\(\): Expected reduction dim 0 to have non-zero size"):
        danlu.zeros(0, 3).amax(0)
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        danlu.zeros(0, 3).max(0)


def test_var_mean_std_mean():
    x = R(3, 4)
    compare_fn(lambda l, x: tuple(l.var_mean(x, 1)), x)
    compare_fn(lambda l, x: tuple(l.std_mean(x, (0, 1), correction=0)), x)


@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
def test_sum_mean_hypothesis(shape, data):
    nd = len(shape)
    dims = data.draw(st.lists(st.integers(-nd, nd - 1), unique_by=lambda d: d % nd, max_size=nd))
    keep = data.draw(st.booleans())
    x = R(*shape)
    if not dims:
        compare_fn(lambda l, x: x.sum() + x.mean(), x)
        return
    compare_fn(lambda l, x: x.sum(tuple(dims), keepdim=keep) * x.mean(tuple(dims), keepdim=keep), x)
    compare_fn(lambda l, x: l.amax(x, tuple(dims), keepdim=keep), x)


def test_noncontiguous_reduction():
    compare_fn(lambda l, x: x.t()[1:].sum(0) + x.t()[::2].mean(), R(4, 5))


def test_int_sum_promotes_to_int64_and_bool_mean_errors():
    a = np.array([[1, 2], [3, 4]], dtype=np.int32)
    assert_close(to_danlu(a).sum(), to_torch(a).sum())
    assert_close(to_danlu(a > 1).sum(), to_torch(a > 1).sum())
    with pytest.raises(RuntimeError, match="mean"):
        to_danlu(a).mean()
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).mean()
