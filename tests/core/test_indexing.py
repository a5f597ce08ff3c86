"""Indexing (getitem/setitem), gather/scatter family, sort/topk/unique etc. vs torch."""
import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close, compare_fn, to_danlu, to_torch

rng = np.random.default_rng(3)


def R(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


def I(*vals):  # noqa: E743
    return np.array(vals, dtype=np.int64)


GET = [
    lambda l, x: x[1], lambda l, x: x[-1, 2], lambda l, x: x[1:3], lambda l, x: x[:, 1:4:2],
    lambda l, x: x[None, 1, ..., None], lambda l, x: x[..., 0], lambda l, x: x[:, None],
    lambda l, x: x[l.tensor([0, 2, 2])], lambda l, x: x[[0, 1]], lambda l, x: x[:, [1, 0, 3]],
    lambda l, x: x[l.tensor([[0, 1], [2, 2]])], lambda l, x: x[l.tensor([0, 1]), l.tensor([2, 3])],
    lambda l, x: x[l.tensor([[0], [1]]), l.tensor([1, 2, 3])], lambda l, x: x[x > 0],
    lambda l, x: x[x[:, 0] > 0], lambda l, x: x[:, x[0] > 0], lambda l, x: x[1, [0, 2]],
    lambda l, x: x[[0, 2], 1:], lambda l, x: x[:, [0, 1], None], lambda l, x: x[l.tensor(1)],
    lambda l, x: x[0][1], lambda l, x: x[2:0], lambda l, x: x[..., [3, 3]],
    lambda l, x: x[1:, l.tensor([True, False, True, True, False])],
    lambda l, x: x[l.tensor([0, 2]), :, None], lambda l, x: x[-3:], lambda l, x: x[::2, ::3],
    lambda l, x: x[l.tensor([-1, 0])],
]


@pytest.mark.parametrize("i", range(len(GET)))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_getitem(i, dtype):
    compare_fn(GET[i], R(3, 5, dtype=dtype))


def test_getitem_3d_advanced_nonadjacent():
    x = R(2, 3, 4)
    compare_fn(lambda l, x: x[[0, 1], :, [1, 2]], x)  # advanced dims separated: moved to front
    compare_fn(lambda l, x: x[:, [0, 2], [1, 3]], x)
    compare_fn(lambda l, x: x[..., [1, 0]][:, 1], x)
    compare_fn(lambda l, x: x.t()[1] if x.ndim == 2 else x.transpose(0, 2)[1:, ::2], x)


def test_negative_step_slice_like_numpy():
    # torch refuses negative steps (ValueError); danlu follows numpy and flips
    x = danlu.arange(6.0)
    with pytest.raises(ValueError):
        torch.arange(6.0)[::-1]
    try:
        r = x[::-2]
    except ValueError:
        return
    assert r.tolist() == [5.0, 3.0, 1.0]


SET = [
    lambda x, l: x.__setitem__(1, 0.0), lambda x, l: x.__setitem__((slice(None), 2), l.tensor(3.0)),
    lambda x, l: x.__setitem__(x > 0.5, -1.0), lambda x, l: x.__setitem__([0, 2], l.ones(5, dtype=x.dtype)),
    lambda x, l: x.__setitem__((l.tensor([0, 1]), l.tensor([1, 2])), 7.0),
    lambda x, l: x.__setitem__((Ellipsis, slice(1, 3)), l.zeros(3, 1)),
    lambda x, l: x.__setitem__(slice(None, None, 2), l.arange(5.0, dtype=x.dtype)),
]


def test_range_and_sequence_keys_like_torch():
    """A ``range`` indexes like a list (the nn-from-scratch tutorial's ``x[range(n), y]``); a
    short list holding a tensor / sequence / slice / ... / None is read as a tuple, with torch's
    deprecation warning."""
    import warnings

    a = np.arange(24.0).reshape(2, 3, 4)
    keys = [lambda l: (range(2), [0, 2]), lambda l: range(1, 2), lambda l: (slice(None), range(3)),
            lambda l: [l.tensor(0), l.tensor(1)], lambda l: [0, slice(1, 3)], lambda l: [[0, 1], [1, 0]],
            lambda l: [0, [1]], lambda l: [Ellipsis, 1], lambda l: [None, 0], lambda l: [0, 1],
            lambda l: [l.tensor([0, 1]), l.tensor([1, 2])]]
    for key in keys:
        got = []
        for lib, conv in ((danlu, to_danlu), (torch, to_torch)):
            x = conv(a, True)
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                y = x[key(lib)]
            y.sum().backward()
            z = conv(a).clone()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                z[key(lib)] = -1.0
            got.append((y, x.grad, z, [str(m.message).split(" (Triggered")[0] for m in w]))
        assert_close(got[0][:3], got[1][:3])
        assert got[0][3] == got[1][3]
    logp = R(4, 3)
    nll = [-(conv(logp)[range(4), lib.tensor([0, 2, 1, 1])]).mean() for lib, conv in
           ((danlu, to_danlu), (torch, to_torch))]
    assert_close(nll[0], nll[1])


@pytest.mark.parametrize("i", range(len(SET)))
def test_setitem_values(i):
    x = R(3, 5)
    a, b = to_danlu(x), to_torch(x)
    SET[i](a, danlu)
    SET[i](b, torch)
    assert_close(a, b)


def test_setitem_differentiable_both_ways():
    def f(l, x, v):
        y = x * 1.0
        y[1:, 2] = v[:2] * 2
        y[y > 1.0] = 0.0
        y[[0, 0], [1, 3]] = v[2]
        return y

    compare_fn(f, R(3, 4), R(3))

    def g(l, x, v):
        y = x.clone()
        y[:, 0] = v
        return (y ** 2).sum()

    compare_fn(g, R(3, 4), R(3))


def test_setitem_leaf_and_dtype_errors():
    x = danlu.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        x[0] = 1.0
    with danlu.no_grad():
        x[0] = 1.0
    assert x.tolist() == [1.0, 0.0, 0.0]
    i = danlu.zeros(3, dtype=danlu.int64)
    i[0] = 2.7  # truncates like torch
    t = torch.zeros(3, dtype=torch.int64)
    t[0] = 2.7
    assert i.tolist() == t.tolist()


def test_index_errors_match_torch():
    x = danlu.zeros(3, 4)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 4"):
        x[0, 5]
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[3]
    with pytest.raises(IndexError, match="index 7 is out of bounds for dimension 0 with size 3"):
        x[danlu.tensor([0, 7])]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match=r"The shape of the mask \[2\] at index 0 does not match the shape of the indexed tensor \[3, 4\] at index 0"):
        x[danlu.tensor([True, False])]


GATHER = {
    "gather": lambda l, x: x.gather(1, l.tensor([[0, 0], [1, 0], [3, 2]])),
    "gather0": lambda l, x: l.gather(x, 0, l.tensor([[2, 1, 0, 0]])),
    "take_along_dim": lambda l, x: l.take_along_dim(x, x.argsort(1), 1),
    "take_along_none": lambda l, x: l.take_along_dim(x, l.tensor([0, 5, 11])),
    "scatter": lambda l, x: l.zeros(3, 5, dtype=x.dtype).scatter(1, l.tensor([[0, 1], [2, 3], [4, 0]]), x[:, :2]),
    "scatter_self": lambda l, x: x.scatter(0, l.tensor([[1, 2, 0, 1]]), x[:1, :4] * 3),
    "scatter_value": lambda l, x: x.scatter(1, l.tensor([[0], [2], [1]]), 5.0),
    "scatter_add": lambda l, x: x.scatter_add(1, l.tensor([[0, 0], [1, 1], [3, 3]]), x[:, :2] ** 2),
    "scatter_reduce_sum": lambda l, x: x.scatter_reduce(0, l.tensor([[0, 1, 0, 1]]), x[1:2, :4], "sum"),
    "scatter_reduce_amax": lambda l, x: x.scatter_reduce(1, l.tensor([[0, 0], [1, 1], [2, 2]]), x[:, 1:3] * 2, "amax", include_self=False),
    "scatter_reduce_mean": lambda l, x: x.scatter_reduce(1, l.tensor([[0, 0], [1, 1], [2, 2]]), x[:, 2:4], "mean"),
    "scatter_reduce_prod": lambda l, x: x.scatter_reduce(1, l.tensor([[0, 0], [1, 1], [2, 0]]), x[:, 2:4] + 1, "prod"),
    "scatter_reduce_prod_noself": lambda l, x: x.scatter_reduce(
        0, l.tensor([[0, 1, 0, 2], [0, 0, 1, 2]]), x[:2, 1:] * 2, "prod", include_self=False),
    "index_select": lambda l, x: x.index_select(1, l.tensor([3, 0, 0])),
    "index_add": lambda l, x: x.index_add(0, l.tensor([2, 0, 2]), x * 2, alpha=0.5),
    "index_copy": lambda l, x: x.index_copy(1, l.tensor([1, 3]), x[:, :2] + 1),
    "index_fill": lambda l, x: x.index_fill(1, l.tensor([0, 2]), -1.0),
    "index_put": lambda l, x: x.index_put((l.tensor([0, 2]), l.tensor([1, 1])), x[0, :2], accumulate=True),
    "masked_select": lambda l, x: x.masked_select(x > 0), "masked_select_b": lambda l, x: l.masked_select(x, x[0] > 0),
    "masked_scatter": lambda l, x: x.masked_scatter(x > 0, x * 10),
    "sort": lambda l, x: tuple(x.sort(1)), "sort_desc": lambda l, x: tuple(l.sort(x, 0, descending=True)),
    "argsort": lambda l, x: x.argsort(-1, descending=True), "msort": lambda l, x: l.msort(x),
    "topk": lambda l, x: tuple(x.topk(2)), "topk_small": lambda l, x: tuple(l.topk(x, 2, dim=0, largest=False)),
    "kthvalue": lambda l, x: tuple(x.kthvalue(2, 1)), "kthvalue_keep": lambda l, x: tuple(l.kthvalue(x, 1, 0, keepdim=True)),
    "nonzero": lambda l, x: (x > 0).nonzero(), "nonzero_tuple": lambda l, x: l.nonzero(x > 0, as_tuple=True),
    "argwhere": lambda l, x: l.argwhere(x > 0), "where1": lambda l, x: l.where(x > 0),
}


@pytest.mark.parametrize("name", sorted(GATHER))
def test_gather_family(name):
    compare_fn(GATHER[name], R(3, 5))


def test_unique_bincount_histc_search():
    a = I(3, 1, 2, 3, 3, 0, 1)
    da, ta = to_danlu(a), to_torch(a)
    assert_close(danlu.unique(da), torch.unique(ta))
    assert_close(tuple(da.unique(return_inverse=True, return_counts=True)),
                 tuple(ta.unique(return_inverse=True, return_counts=True)))
    assert_close(tuple(danlu.unique_consecutive(da, return_counts=True)),
                 tuple(torch.unique_consecutive(ta, return_counts=True)))
    m = np.array([[1, 2], [1, 2], [0, 5]])
    assert_close(tuple(to_danlu(m).unique(dim=0, return_inverse=True)), tuple(to_torch(m).unique(dim=0, return_inverse=True)))
    assert_close(da.bincount(), ta.bincount())
    w = R(7)
    assert_close(danlu.bincount(da, to_danlu(w), minlength=6), torch.bincount(ta, to_torch(w), minlength=6))
    f = R(20)
    assert_close(danlu.histc(to_danlu(f), 5, -1, 1), torch.histc(to_torch(f), 5, -1, 1))
    s = np.array([1.0, 3.0, 5.0, 7.0])
    v = np.array([[0.0, 3.0], [6.0, 9.0]])
    for right in (False, True):
        assert_close(danlu.searchsorted(to_danlu(s), to_danlu(v), right=right),
                     torch.searchsorted(to_torch(s), to_torch(v), right=right))
        assert_close(danlu.bucketize(to_danlu(v), to_danlu(s), right=right),
                     torch.bucketize(to_torch(v), to_torch(s), right=right))


def test_sort_stable_ties_and_nan():
    x = np.array([2.0, 1.0, 2.0, np.nan, 1.0, 0.0])
    compare_fn(lambda l, x: tuple(x.sort(stable=True)), x, grad=False)
    compare_fn(lambda l, x: tuple(x.sort(descending=True, stable=True)), x, grad=False)


def test_gather_scatter_errors():
    x = danlu.zeros(3, 4)
    with pytest.raises(RuntimeError, match="gather\\(\\): Expected dtype int32/int64 for index"):
        x.gather(0, danlu.zeros(1, 4))
    with pytest.raises(RuntimeError, match="Index tensor must have the same number of dimensions as input tensor"):
        x.gather(0, danlu.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="index 9 is out of bounds for dimension 1 with size 4"):
        x.gather(1, danlu.tensor([[9]]))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 1 with size 4"):
        x.scatter(1, danlu.tensor([[-1]]), 1.0)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(5)


def test_source_larger_than_index_gets_zero_grad():
    x = danlu.randn(1, 5, dtype=danlu.float64, requires_grad=True)
    r = danlu.zeros(2, 5, dtype=danlu.float64).scatter_add(0, danlu.tensor([[1, 0, 1, 0]]), x)
    r.sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0, 1.0, 1.0, 0.0]]


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_gradient_with_zeros(include_self):
    """torch's prod gradient: a zero member gets the product of the others when it is the only zero
    of its group, 0 when there are more; the others get 0 when their group holds a zero."""
    a = np.array([[1.5, 0.0, 2.0], [0.0, -1.0, 3.0], [2.0, 0.5, 0.0]])
    s = np.array([[0.0, 2.0, 1.0], [3.0, 0.0, -2.0], [0.5, 4.0, 0.0], [2.0, 0.0, 1.5]])
    idx = np.array([[0, 0, 1], [0, 1, 1], [2, 2, 2], [1, 0, 2]])
    compare_fn(lambda l, a, s: a.scatter_reduce(0, l.tensor(idx), s, "prod", include_self=include_self),
               a, s)


@pytest.mark.parametrize("value", [3.0, 0.0])
def test_nonzero_and_argwhere_of_0d(value):
    """torch: a 0-d input gives a (k, 0) index tensor (k = 1 if nonzero), as_tuple one (k,) tensor."""
    for fn in (lambda l, x: l.nonzero(x), lambda l, x: l.argwhere(x), lambda l, x: l.nonzero(x, as_tuple=True)):
        compare_fn(fn, np.array(value), grad=False)
