"""danlu.testing against torch.testing: assert_close's verdicts and messages, make_tensor's ranges."""
import math

import numpy as np
import pytest
import torch

import danlu
import danlu.testing as dt


def _outcome(lib, fn):
    ac = torch.testing.assert_close if lib is torch else dt.assert_close
    try:
        fn(lib, ac)
        return "OK"
    except Exception as e:  # noqa: BLE001 - the exception is the result compared
        return type(e).__name__, str(e).replace("torch.", "").replace("danlu.", "")


CASES = [
    lambda l, ac: ac(l.tensor([1.0, 2.0, 3.0]), l.tensor([1.0, 2.5, 3.1])),
    lambda l, ac: ac(l.tensor([[1.0, 2.0], [3.0, 4.0]]), l.tensor([[1.0, 2.0], [3.0, 4.5]])),
    lambda l, ac: ac(l.arange(12.0).reshape(3, 4), l.arange(12.0).reshape(3, 4) + l.tensor([0.0, 0, 0, 1e-4])),
    lambda l, ac: ac(l.tensor(1.0), l.tensor(2.0)),
    lambda l, ac: ac(1.0, 1.1),
    lambda l, ac: ac(1, 2),
    lambda l, ac: ac(1.0, 1),
    lambda l, ac: ac(True, True),
    lambda l, ac: ac(l.tensor([1, 2]), l.tensor([1, 3])),
    lambda l, ac: ac(l.tensor([1.0, 2.0]), l.tensor([1.0, 2.0], dtype=l.float64)),
    lambda l, ac: ac(l.tensor([1.0, 2.0]), l.tensor([1.0, 2.0, 3.0])),
    lambda l, ac: ac([l.tensor(1.0), l.tensor(2.0)], [l.tensor(1.0), l.tensor(3.0)]),
    lambda l, ac: ac({"a": [l.tensor(1.0)]}, {"a": [l.tensor(3.0)]}),
    lambda l, ac: ac({"a": l.tensor(1.0)}, {"b": l.tensor(3.0)}),
    lambda l, ac: ac([1, 2], [1, 2, 3]),
    lambda l, ac: ac((1, 2.0), [1, 2.0]),
    lambda l, ac: ac(l.tensor([math.nan]), l.tensor([math.nan])),
    lambda l, ac: ac(l.tensor([math.nan, 1.0]), l.tensor([math.nan, 1.0]), equal_nan=True),
    lambda l, ac: ac(l.tensor([1.0, math.inf]), l.tensor([1.0, -math.inf])),
    lambda l, ac: ac(l.tensor([1.0, math.inf]), l.tensor([1.0, math.inf])),
    lambda l, ac: ac(l.tensor([1.0]), l.tensor([1.0]), rtol=1e-3),
    lambda l, ac: ac(l.tensor([1.0]), l.tensor([1.1]), msg="custom"),
    lambda l, ac: ac(l.tensor([1.0]), l.tensor([1.1]), msg=lambda m: "X" + m[:12]),
    lambda l, ac: ac(l.tensor([True]), l.tensor([False])),
    lambda l, ac: ac(l.ones(2, 2), l.ones(2, 2).t().contiguous().t(), check_stride=True),
    lambda l, ac: ac(l.ones(2, 2), l.ones(2, 2).t().contiguous().t()),
    lambda l, ac: ac(l.tensor([0.0, 1.0]), l.tensor([1e-9, 1.0]), atol=0, rtol=0),
    lambda l, ac: ac(l.tensor([1e-6, 2.0]), l.tensor([0.0, 2.0]), rtol=0, atol=1e-7),
    lambda l, ac: ac(l.tensor([1.0, 2.0]), l.tensor([1.0, 2.0]) + 1e-6),
    lambda l, ac: ac(l.tensor([1.0, 2.0], requires_grad=True) * 1, l.tensor([1.0, 2.0])),
    lambda l, ac: ac(l.tensor([1.0]), None),
    lambda l, ac: ac(None, None),
    lambda l, ac: ac(l.tensor([1], dtype=l.int32), l.tensor([1]), check_dtype=False),
    lambda l, ac: ac(l.tensor([1.0]), l.tensor([1.0000001], dtype=l.float64), check_dtype=False),
    lambda l, ac: ac(l.tensor([1.0], dtype=l.float16), l.tensor([1.001], dtype=l.float16)),
    lambda l, ac: ac(l.tensor([1.0], dtype=l.float16), l.tensor([1.01], dtype=l.float16)),
    lambda l, ac: ac("a", "a"),
]


@pytest.mark.parametrize("i", range(len(CASES)))
def test_assert_close_matches_torch(i):
    d, t = _outcome(danlu, CASES[i]), _outcome(torch, CASES[i])
    if isinstance(t, tuple) and t[0] == "TypeError":  # the type names differ (danlu._tensor.Tensor)
        assert d[0] == "TypeError" and "No comparison pair was able to handle inputs" in d[1]
    else:
        assert d == t


def test_tolerance_arguments():
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol' must be either specified or omitted, but got no atol."):
        dt.assert_close(danlu.ones(1), danlu.ones(1), rtol=1e-3)
    dt.assert_close(danlu.tensor([1.0]), danlu.tensor([1.05]), rtol=0.1, atol=0.0)
    dt.assert_close(danlu.tensor([1.0]), danlu.tensor([1.05]), rtol=0.0, atol=0.06)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int8", "uint8", "bool"])
def test_make_tensor_ranges(dtype):
    d = getattr(danlu, dtype if dtype != "bool" else "bool")
    x = dt.make_tensor(20, 30, dtype=d, device="cpu")
    assert x.shape == (20, 30) and x.dtype == d
    a = x.numpy()
    if dtype == "bool":
        assert set(np.unique(a)) == {False, True}
    elif dtype == "uint8":
        assert a.min() >= 0 and a.max() <= 9
    elif dtype.startswith("int"):
        assert a.min() >= -9 and a.max() <= 9 and a.min() < 0
    else:
        assert a.min() >= -9 and a.max() < 9 and a.min() < -5
    y = dt.make_tensor((5, 4), dtype=d, low=2, high=4) if dtype != "bool" else None
    if y is not None:
        assert y.numpy().min() >= 2 and y.numpy().max() < 4


def test_make_tensor_options_and_errors():
    x = dt.make_tensor(3, 4, dtype=danlu.float64, noncontiguous=True, requires_grad=True, exclude_zero=True)
    assert x.shape == (3, 4) and not x.is_contiguous() and x.requires_grad and x.is_leaf
    z = dt.make_tensor(200, dtype=danlu.int64, low=-1, high=1, exclude_zero=True)
    assert (z.numpy() != 0).all()
    for lib, mt in ((danlu, dt.make_tensor), (torch, torch.testing.make_tensor)):
        with pytest.raises(ValueError, match="`low` must be less than `high`, but got 5 >= 2"):
            mt(3, dtype=lib.float32, device="cpu", low=5, high=2)
        with pytest.raises(ValueError, match="`requires_grad=True` is not supported for boolean and integral"):
            mt(3, dtype=lib.int64, device="cpu", requires_grad=True)
        with pytest.raises(ValueError, match=r"The value interval specified by `low` and `high` is \[300, 400\)"):
            mt(3, dtype=lib.uint8, device="cpu", low=300, high=400)
        with pytest.raises(ValueError, match="`low` and `high` cannot be NaN"):
            mt(3, dtype=lib.float32, device="cpu", low=math.nan)
        assert tuple(mt([2, 3], dtype=lib.float32, device="cpu").shape) == (2, 3)
