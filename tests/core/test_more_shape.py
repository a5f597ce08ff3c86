"""More shape / view ops, statistics, window functions and global switches vs torch."""
import warnings

import numpy as np
import pytest
import torch

import danlu
from danlu.autograd import gradcheck, gradgradcheck
from tests._oracle import assert_close, compare_fn, to_danlu

rng = np.random.default_rng(7)


def R(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


def both_raise(fn, *arrays, exc=(RuntimeError, IndexError, ValueError, TypeError)):
    """``fn(lib, *tensors)`` raises in torch and danlu with the same message."""
    with pytest.raises(exc) as et:
        fn(torch, *[torch.tensor(a) for a in arrays])
    with pytest.raises(type(et.value)) as ed:
        fn(danlu, *[danlu.tensor(a) for a in arrays])
    assert str(ed.value) == str(et.value)


# -- differentiable shape ops: values and gradients in float64 and float32 ----------------------
DIFF = {
    "vsplit": (lambda l, x: l.vsplit(x, [1, 3]), (4, 3)),
    "vsplit_int": (lambda l, x: l.vsplit(x, 2), (4, 3)),
    "hsplit": (lambda l, x: l.hsplit(x, 3), (2, 3, 4)),
    "hsplit_1d": (lambda l, x: l.hsplit(x, [2]), (5,)),
    "dsplit": (lambda l, x: x.dsplit([1, 3]), (2, 3, 4)),
    "reshape_as": (lambda l, x: x.reshape_as(l.ones(4, 3, 2)), (2, 3, 4)),
    "view_as": (lambda l, x: x.view_as(l.ones(6, 4)), (2, 3, 4)),
    "sum_to_size": (lambda l, x: x.sum_to_size(3, 1), (2, 3, 4)),
    "sum_to_size_same": (lambda l, x: x.sum_to_size((2, 3, 4)), (2, 3, 4)),
    "sum_to_size_lead": (lambda l, x: x.sum_to_size(1, 1, 4), (2, 3, 4)),
    "unfold": (lambda l, x: x.unfold(2, 2, 1), (2, 3, 4)),
    "unfold_step": (lambda l, x: x.unfold(0, 2, 3), (7, 2)),
    "unfold_twice": (lambda l, x: x.unfold(1, 2, 2).unfold(0, 1, 1), (2, 5, 3)),
    "unfold_empty_window": (lambda l, x: x.unfold(1, 0, 1), (2, 3)),
    "as_strided": (lambda l, x: l.as_strided(x, (3, 3), (1, 2), 1), (2, 3, 4)),
    "as_strided_overlap": (lambda l, x: x.as_strided((4, 3), (1, 1)), (2, 3)),
    "as_strided_view_base": (lambda l, x: l.as_strided(x[1:], (2, 2), (2, 1)), (3, 4)),
    "as_strided_transposed": (lambda l, x: l.as_strided(x.t(), (2, 3), (3, 1)), (3, 4)),
    "as_strided_expanded": (lambda l, x: l.as_strided(x[:, :1].expand(3, 4), (2, 2), (1, 1)), (3, 4)),
    "diagonal_scatter": (lambda l, x: l.diagonal_scatter(x, (x[0, 0, :3] * 2).unsqueeze(0).expand(2, 3), 0, 1, 2), (2, 3, 4)),
    "diagonal_scatter_off": (lambda l, x: l.diagonal_scatter(x, x[:2, 0] + 1, -1), (3, 4)),
    "select_scatter": (lambda l, x: l.select_scatter(x, x[:, :, 0] ** 2, 2, -1), (2, 3, 4)),
    "slice_scatter": (lambda l, x: l.slice_scatter(x, x[:, 1:] * 3, 1, 0, 2), (2, 3, 4)),
    "slice_scatter_step": (lambda l, x: x.slice_scatter(x[:, :, ::2].exp(), dim=2, start=1, step=2), (2, 3, 4)),
    "put": (lambda l, x: l.put(x, l.tensor([0, -1, 5]), x[0, :3].sin()), (2, 4)),
    "put_acc": (lambda l, x: x.put(l.tensor([0, 0, 5]), x[1, :3] * 2, accumulate=True), (2, 4)),
    "narrow_copy": (lambda l, x: l.narrow_copy(x, 1, 1, 2), (2, 3, 4)),
    "expand_copy": (lambda l, x: l.expand_copy(x[:, :1], (2, 5, 4)), (2, 3, 4)),
    "permute_copy": (lambda l, x: l.permute_copy(x, (2, 0, 1)), (2, 3, 4)),
    "transpose_copy": (lambda l, x: l.transpose_copy(x, 0, 2), (2, 3, 4)),
    "squeeze_copy": (lambda l, x: l.squeeze_copy(x, 1), (2, 1, 4)),
    "unsqueeze_copy": (lambda l, x: l.unsqueeze_copy(x, -1), (2, 3)),
    "view_copy": (lambda l, x: l.view_copy(x, (4, 6)), (2, 3, 4)),
    "diagonal_copy": (lambda l, x: l.diagonal_copy(x, 1, 1, 2), (2, 3, 4)),
    "select_copy": (lambda l, x: l.select_copy(x, 1, -1), (2, 3, 4)),
    "slice_copy": (lambda l, x: l.slice_copy(x, 2, 1, None, 2), (2, 3, 4)),
    "t_copy": (lambda l, x: l.t_copy(x), (2, 3)),
    "unbind_copy": (lambda l, x: l.unbind_copy(x, 1), (2, 3)),
    "split_copy": (lambda l, x: l.split_copy(x, 2, 1), (2, 5)),
    "split_with_sizes": (lambda l, x: l.split_with_sizes(x, [1, 4], 1), (2, 5)),
    "split_with_sizes_copy": (lambda l, x: l.split_with_sizes_copy(x, [3, 2], -1), (2, 5)),
    "unsafe_split": (lambda l, x: l.unsafe_split(x, 2), (5, 2)),
    "unsafe_chunk": (lambda l, x: x.unsafe_chunk(3, 1), (2, 5)),
    "unfold_copy": (lambda l, x: l.unfold_copy(x, 0, 2, 1), (4, 2)),
    "alias_copy": (lambda l, x: l.alias_copy(x), (2, 3)),
    "fill_tensor_value": (lambda l, x: l.fill(x, x[0, 0] * 3), (2, 3)),
    "fill_diagonal_": (lambda l, x: (x * 1).fill_diagonal_(2.5), (3, 4)),
    "fill_diagonal_wrap": (lambda l, x: (x * 1).fill_diagonal_(-1.0, wrap=True), (7, 3)),
    "fill_diagonal_3d": (lambda l, x: (x * 1).fill_diagonal_(0.0), (3, 3, 3)),
    "put_": (lambda l, x: (x * 1).put_(l.tensor([1, 2]), x[0, :2] * 5), (2, 3)),
    "nanmedian_all": (lambda l, x: l.nanmedian(x), (3, 4)),
    "nanmedian_dim": (lambda l, x: tuple(l.nanmedian(x, 1)), (3, 4)),
    "nanmedian_keepdim": (lambda l, x: tuple(x.nanmedian(0, keepdim=True)), (4, 3)),
    "cov": (lambda l, x: l.cov(x), (3, 5)),
    "cov_1d": (lambda l, x: l.cov(x[0]), (3, 5)),
    "cov_corr0": (lambda l, x: x.cov(correction=0), (2, 4)),
    "cov_weights": (lambda l, x: l.cov(x, fweights=l.tensor([1, 2, 0, 3]),
                                       aweights=l.tensor([0.5, 1.0, 0.2, 2.0], dtype=x.dtype)), (3, 4)),
    "cov_aweights_grad": (lambda l, x: l.cov(x[:2], aweights=x[2].exp()), (3, 4)),
    "corrcoef": (lambda l, x: l.corrcoef(x), (3, 6)),
    "corrcoef_1d": (lambda l, x: x[0].corrcoef(), (2, 6)),
    "trapz": (lambda l, x: l.trapz(x), (3, 4)),
    "trapz_x": (lambda l, x: l.trapz(x, x[0].detach().cumsum(0)), (3, 4)),
    "trapz_dx": (lambda l, x: l.trapz(x, dx=0.5, dim=0), (3, 4)),
    "gradient": (lambda l, x: l.gradient(x), (3, 5)),
    "gradient_spacing": (lambda l, x: l.gradient(x, spacing=2.0, dim=1), (3, 5)),
    "gradient_list": (lambda l, x: l.gradient(x, spacing=[2.0, 0.5], edge_order=2), (3, 5)),
    "gradient_dims": (lambda l, x: l.gradient(x, dim=(1, 0)), (3, 5)),
    "gradient_coords": (lambda l, x: l.gradient(x, spacing=[l.tensor([0.0, 1, 3, 4, 7], dtype=x.dtype)],
                                                dim=1), (3, 5)),
    "gradient_coords2": (lambda l, x: l.gradient(x, spacing=(l.tensor([0.0, 0.5, 2], dtype=x.dtype),
                                                             l.tensor([0.0, 1, 3, 4, 7], dtype=x.dtype)),
                                                 edge_order=2), (3, 5)),
    "gradient_1d_n2": (lambda l, x: l.gradient(x), (2,)),
    "renorm": (lambda l, x: l.renorm(x * 3, 2, 0, 1.5), (3, 4)),
    "renorm_p1": (lambda l, x: (x * 3).renorm(1, 1, 2.0), (3, 4)),
    "renorm_inf": (lambda l, x: l.renorm(x * 3, float("inf"), 2, 1.0), (2, 3, 4)),
    "renorm_big": (lambda l, x: l.renorm(x, 3, 0, 100.0), (3, 4)),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(DIFF))
def test_diff_ops(name, dtype):
    fn, shape = DIFF[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare_fn(fn, R(*shape, dtype=dtype))


GRADCHECK = ["unfold", "unfold_twice", "as_strided", "as_strided_overlap", "as_strided_view_base",
             "as_strided_transposed", "diagonal_scatter",
             "diagonal_scatter_off", "select_scatter", "slice_scatter_step", "put", "put_acc",
             "sum_to_size", "fill_diagonal_", "nanmedian_dim", "cov_weights", "cov_aweights_grad",
             "corrcoef", "gradient_coords2", "gradient_list", "renorm", "renorm_p1", "renorm_inf"]


@pytest.mark.parametrize("name", GRADCHECK)
def test_gradcheck(name):
    fn, shape = DIFF[name]
    x = to_danlu(R(*shape), requires_grad=True)

    def f(x):
        r = fn(danlu, x)
        return r if isinstance(r, danlu.Tensor) else tuple(t for t in r if t.dtype.is_floating_point)

    assert gradcheck(f, (x,), eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("name", ["unfold", "as_strided_overlap", "select_scatter", "diagonal_scatter"])
def test_gradgradcheck(name):
    fn, shape = DIFF[name]
    x = to_danlu(R(*shape), requires_grad=True)
    assert gradgradcheck(lambda x: fn(danlu, x) ** 2, (x,), eps=1e-6, atol=1e-5, rtol=1e-3)


def test_scatter_src_gradients():
    """The gradient reaches ``src`` of the *_scatter ops and ``source`` of put."""
    for fn in (lambda l, x, s: l.select_scatter(x, s[0], 0, 1),
               lambda l, x, s: l.slice_scatter(x, s, 0, 1, 3),
               lambda l, x, s: l.diagonal_scatter(x, s[0, :2], 1),
               lambda l, x, s: l.put(x, l.tensor([[0, 1, 2], [3, 3, 5]]), s, accumulate=True)):
        compare_fn(fn, R(4, 3), R(2, 3))


# -- index_reduce / scatter_reduce_ ------------------------------------------------------------
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self):
    src = R(2, 5, 3)
    src[0, 1] = src[0, 0]  # ties for amax / amin
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare_fn(lambda l, x, s: x.index_reduce(1, l.tensor([0, 2, 0, 3, 2]), s, reduce,
                                                  include_self=include_self), R(2, 4, 3), src)
        compare_fn(lambda l, x, s: l.index_reduce(x, 0, l.tensor([1, 1]), s, reduce,
                                                  include_self=include_self), R(3, 2), R(2, 2))

        def inplace(l, x, s):
            y = x * 1
            y.index_reduce_(-1, l.tensor([2, 0, 2]), s, reduce, include_self=include_self)
            return y

        compare_fn(inplace, R(2, 3), R(2, 3))


def test_scatter_reduce_inplace():
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        def fn(l, x, s):
            y = x * 1
            r = y.scatter_reduce_(1, l.tensor([[0, 1, 0], [2, 2, 1]]), s, reduce, include_self=False)
            assert r is y
            return y

        compare_fn(fn, R(2, 3), R(2, 3))


def test_index_reduce_errors():
    x, s = R(2, 3), R(1, 3)
    for fn in (lambda l, x, s: x.index_reduce(0, l.tensor([0]), s, "sum"),
               lambda l, x, s: x.index_reduce(0, l.tensor([0, 1]), s, "prod"),
               lambda l, x, s: x.index_reduce(0, l.tensor([0.0]), s, "prod"),
               lambda l, x, s: x.index_reduce(0, l.tensor([[0]]), s, "prod"),
               lambda l, x, s: x.index_reduce(0, l.tensor([0]), l.ones(1, 4, dtype=x.dtype), "prod"),
               lambda l, x, s: x.index_reduce(0, l.tensor([0]), s.float(), "prod"),
               lambda l, x, s: x.index_reduce(0, l.tensor([5]), s, "prod")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            both_raise(fn, x, s)


EDGE = {
    "as_strided_0d": lambda l: l.as_strided(l.tensor(3.0), (2,), (0,)),
    "as_strided_0d_0d": lambda l: l.as_strided(l.tensor(3.0), (), ()),
    "put_0d": lambda l: l.put(l.tensor(3.0), l.tensor([0]), l.tensor([5.0])),
    "put_empty": lambda l: l.put(l.zeros(0), l.tensor([], dtype=l.int64), l.tensor([])),
    "sum_to_size_0d": lambda l: l.tensor(3.0).sum_to_size(()),
    "sum_to_size_empty": lambda l: l.zeros(0, 3).sum_to_size(1, 3),
    "select_scatter_empty": lambda l: l.select_scatter(l.zeros(0, 3), l.zeros(0), 1, 0),
    "slice_scatter_empty": lambda l: l.slice_scatter(l.zeros(2, 3), l.zeros(2, 0), 1, 1, 1),
    "index_reduce_0d": lambda l: l.tensor(2.0).index_reduce(0, l.tensor([0]), l.tensor(3.0), "prod"),
    "index_reduce_no_index": lambda l: l.ones(2, 3).index_reduce(0, l.tensor([], dtype=l.int64), l.zeros(0, 3), "amax"),
    "diagonal_scatter_empty": lambda l: l.diagonal_scatter(l.zeros(0, 3), l.zeros(0)),
    "unravel_empty": lambda l: l.unravel_index(l.tensor([], dtype=l.int64), (2, 3)),
    "cov_0d": lambda l: l.cov(l.tensor(3.0)),
    "renorm_empty": lambda l: l.renorm(l.zeros(0, 3), 2, 0, 1.0),
    "gradient_empty": lambda l: l.gradient(l.zeros(0, 3), dim=1),
    "histogram_empty_weight": lambda l: tuple(l.histogram(l.zeros(0), 3, weight=l.zeros(0))),
    "unfold_0d_step": lambda l: l.tensor(3.0).unfold(0, 1, 5),
    "fill_0d": lambda l: l.fill(l.tensor(1.0), 4),
    "narrow_copy_empty": lambda l: l.narrow_copy(l.ones(3), 0, 1, 0),
    "vsplit_list_past_end": lambda l: l.hsplit(l.ones(4, 5), [1, 10]),
    "trapz_0d": lambda l: l.trapz(l.tensor(3.0)),
}


@pytest.mark.parametrize("name", sorted(EDGE))
def test_edge_cases(name):
    """0-d and empty inputs: the same result (or the same error) as torch."""
    fn = EDGE[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expect = fn(torch)
        except Exception as e:  # noqa: BLE001 - the error itself is what is compared
            with pytest.raises(type(e)) as ed:
                fn(danlu)
            assert str(ed.value) == str(e)
            return
        assert_close(fn(danlu), expect)


# -- views share memory ------------------------------------------------------------------------
def test_views_alias_memory():
    x = danlu.arange(12.0).reshape(3, 4)
    u = x.unfold(1, 2, 2)
    u[0, 0, 0] = 100.0
    assert x[0, 0].item() == 100.0
    a = danlu.as_strided(x, (2, 2), (1, 4), 1)
    a[1, 1] = -5.0
    assert x[1, 2].item() == -5.0
    assert x._version == u._version == a._version


def test_storage_offset_and_as_strided_offsets():
    for fn in (lambda l, x: x[1:].storage_offset(), lambda l, x: x[:, 2:].storage_offset(),
               lambda l, x: x.t()[1].storage_offset(), lambda l, x: x.storage_offset(),
               lambda l, x: x[2:, 1:].reshape(-1).storage_offset()):
        xs = np.arange(20.0).reshape(4, 5)
        assert fn(danlu, danlu.tensor(xs)) == fn(torch, torch.tensor(xs))
    xs = np.arange(20.0).reshape(4, 5)
    for fn in (lambda l, x: l.as_strided(x[1:], (2, 3), (5, 1)),
               lambda l, x: l.as_strided(x[1:], (2, 3), (5, 1), 0),
               lambda l, x: x[2:].as_strided((3,), (2,), 3)):
        assert_close(fn(danlu, danlu.tensor(xs)), fn(torch, torch.tensor(xs)))


def test_as_strided_errors():
    x = R(2, 3, 4, dtype="float32")
    both_raise(lambda l, x: l.as_strided(x, (100,), (1,)), x)
    both_raise(lambda l, x: l.as_strided(x, (2,), (-1,)), x)
    both_raise(lambda l, x: l.as_strided(x, (2, 3), (1,)), x)


def test_unfold_edge_cases_and_errors():
    x = R(2, 3, 4)
    both_raise(lambda l, x: x.unfold(1, 4, 1), x)
    both_raise(lambda l, x: x.unfold(1, 2, 0), x)
    both_raise(lambda l, x: x.unfold(1, -1, 1), x)
    both_raise(lambda l, x: x.unfold(0, 2, 1), np.array(5.0))
    for size in (0, 1):
        assert_close(danlu.tensor(5.0).unfold(0, size, 1), torch.tensor(5.0).unfold(0, size, 1))
    assert_close(danlu.zeros(0, 3).unfold(1, 2, 1), torch.zeros(0, 3).unfold(1, 2, 1))
    assert danlu.ones(3, 4).unfold(1, 2, 1).stride() == torch.ones(3, 4).unfold(1, 2, 1).stride()


def test_sum_to_size_errors():
    x = R(2, 3, 4)
    both_raise(lambda l, x: x.sum_to_size(4, 4), x)
    both_raise(lambda l, x: x.sum_to_size(1, 2, 3, 4), x)


def test_split_errors_and_empty():
    x = R(2, 3, 4)
    both_raise(lambda l, x: l.hsplit(x, 2), x)
    both_raise(lambda l, x: l.vsplit(x, 1), R(3))
    both_raise(lambda l, x: l.dsplit(x, 2), R(2, 4))
    both_raise(lambda l, x: l.hsplit(x, 1), np.array(1.0))
    assert_close(danlu.vsplit(danlu.zeros(0, 2), 1), torch.vsplit(torch.zeros(0, 2), 1))


def test_unravel_index():
    for idx, shape in (([5, 30, -1], (2, 3, 4)), (-1, (2, 3)), (7, 8), ([[3, 4], [0, 1]], (5,))):
        assert_close(danlu.unravel_index(danlu.tensor(idx), shape),
                     torch.unravel_index(torch.tensor(idx), shape))
    both_raise(lambda l, i: l.unravel_index(i, (2, 3)), np.array(5.0))
    both_raise(lambda l, i: l.unravel_index(i, (2, -3)), np.array(5))


def test_scatter_errors():
    x = R(2, 3, 4, dtype="float32")
    z = R(2, 3, 3, dtype="float32")
    both_raise(lambda l, x, z: l.slice_scatter(x, z, 2, 0, 2), x, z)
    both_raise(lambda l, x, z: l.select_scatter(x, z, 2, 0), x, z)
    both_raise(lambda l, x, z: l.diagonal_scatter(x, z, 0, 1, 2), x, z)
    both_raise(lambda l, x, z: l.select_scatter(x, z[..., 0], 2, 7), x, z)
    # src of another dtype is cast to the input's
    assert_close(danlu.slice_scatter(danlu.tensor(x), danlu.zeros(2, 3, 4, dtype=danlu.float64)),
                 torch.slice_scatter(torch.tensor(x), torch.zeros(2, 3, 4, dtype=torch.float64)))


def test_put_errors():
    x = R(2, 3, 4, dtype="float32")
    both_raise(lambda l, x: l.put(x, l.tensor([1, 2]), l.tensor([1.0])), x)
    both_raise(lambda l, x: l.put(x, l.tensor([100]), l.tensor([1.0])), x)
    both_raise(lambda l, x: l.put(x, l.tensor([-25]), l.tensor([1.0])), x)
    both_raise(lambda l, x: l.put(x, l.tensor([1.0]), l.tensor([1.0])), x)
    both_raise(lambda l, x: l.put(x, l.tensor([1]), l.tensor([1])), x)


def test_fill_diagonal_errors_and_shapes():
    both_raise(lambda l, x: x.fill_diagonal_(1), R(3))
    both_raise(lambda l, x: x.fill_diagonal_(1), R(2, 3, 4))
    for shape in ((3, 7), (4, 4), (5, 4), (2, 2, 2, 2)):
        for wrap in (False, True):
            a = np.zeros(shape, "float32")
            assert_close(danlu.tensor(a).fill_diagonal_(3, wrap=wrap), torch.tensor(a).fill_diagonal_(3, wrap=wrap))
    t = danlu.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        t.fill_diagonal_(0)


def test_fill_and_zero_top_level():
    for fn in (lambda l: l.fill(l.ones(2, 3), 2), lambda l: l.fill(l.ones(3, dtype=l.int64), 2.7),
               lambda l: l.fill_(l.ones(3), 4), lambda l: l.zero_(l.ones(2, 2)),
               lambda l: l.fill(l.ones(2), l.tensor(3.0))):
        assert_close(fn(danlu), fn(torch))
    both_raise(lambda l, x: l.fill(x, l.ones(2)), R(3))


# -- metadata / predicates / legacy constructor -------------------------------------------------
def test_metadata():
    for dt in ("float32", "float64", "int64", "uint8", "bool", "int16"):
        a = np.ones((2, 3), dtype=dt)
        d, t = danlu.tensor(a), torch.tensor(a)
        assert (d.nbytes, d.itemsize, d.is_cpu, d.get_device(), danlu.get_device(d), d.is_signed(),
                danlu.is_signed(d), d.is_inference(), danlu.is_inference(d)) == \
               (t.nbytes, t.itemsize, t.is_cpu, t.get_device(), torch.get_device(t), t.is_signed(),
                torch.is_signed(t), t.is_inference(), torch.is_inference(t))
    assert danlu.ones(2).is_same_size(danlu.ones(2)) and not danlu.is_same_size(danlu.ones(2), danlu.ones(1, 2))


def test_swapaxes_inplace():
    for name in ("swapaxes_", "swapdims_"):
        d, t = danlu.arange(6.0).reshape(2, 3), torch.arange(6.0).reshape(2, 3)
        assert getattr(d, name)(0, 1) is d
        getattr(t, name)(0, 1)
        assert_close(d, t)
        assert d.stride() == t.stride()


def test_new():
    x, xt = danlu.ones(2, 3), torch.ones(2, 3)
    for args in ((), (2, 3), (danlu.Size([2, 3]),)):
        targs = tuple(torch.Size(a) if isinstance(a, danlu.Size) else a for a in args)
        r, rt = x.new(*args), xt.new(*targs)
        assert tuple(r.shape) == tuple(rt.shape) and r.dtype == danlu.float32
    assert_close(x.new([1, 2]), xt.new([1, 2]))
    assert_close(x.new((2, 3)), xt.new((2, 3)))
    src = danlu.tensor([1.0, 2.0])
    alias = x.new(src)
    alias[0] = 7.0
    assert src[0].item() == 7.0
    with pytest.raises(TypeError):
        x.new(danlu.tensor([1, 2]))


def test_resize():
    def run(l):
        a = l.arange(6.0)
        out = []
        for size in ((2,), (6,), (8,), (2, 2), (3, 3)):
            a.resize_(*size)
            out.append(a.clone()[: min(6, a.numel())] if a.ndim == 1 else a.reshape(-1)[:4].clone())
        b = l.arange(4.0).reshape(2, 2)
        b.resize_as_(l.ones(4))
        out.append(b)
        return out

    assert_close(run(danlu), run(torch))
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        danlu.ones(3, requires_grad=True).resize_(2)
    with pytest.raises(RuntimeError, match="negative dimension"):
        danlu.ones(3).resize_(-1)
    x = danlu.ones(2, 3)
    assert x.resize_(2, 3) is x and x.shape == (2, 3)


def test_empty_strided_permuted():
    for size, stride in (((2, 3), (1, 2)), ((2, 3, 4), (12, 1, 3)), ((0, 3), (3, 1)), ((), ())):
        assert danlu.empty_strided(size, stride).stride() == torch.empty_strided(size, stride).stride()
    assert danlu.empty_strided((2,), (1,), dtype=danlu.int64).dtype == danlu.int64
    both_raise(lambda l, x: l.empty_strided((2, 3), (1,)), R(1))
    for size, layout in (((2, 3, 4), (2, 0, 1)), ((2, 3, 4), (0, 1, 2)), ((5,), (0,))):
        d, t = danlu.empty_permuted(size, layout), torch.empty_permuted(size, layout)
        assert tuple(d.shape) == tuple(t.shape) and d.stride() == t.stride()
    both_raise(lambda l, x: l.empty_permuted((2, 3, 4), (2, 0)), R(1))
    both_raise(lambda l, x: l.empty_permuted((2, 3, 4), (2, 0, 0)), R(1))


def test_frombuffer():
    buf = bytearray(np.arange(6, dtype="float32").tobytes())
    for kw in ({}, {"offset": 4}, {"count": 2}, {"count": 2, "offset": 8}):
        assert_close(danlu.frombuffer(buf, dtype=danlu.float32, **kw), torch.frombuffer(buf, dtype=torch.float32, **kw))
    d = danlu.frombuffer(buf, dtype=danlu.float32)
    d[0] = 42.0  # shares the buffer's memory
    assert np.frombuffer(buf, dtype="float32")[0] == 42.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kw in ({"buffer": b""}, {"buffer": bytearray(10)}, {"buffer": bytearray(12), "count": 5},
                   {"buffer": bytearray(12), "offset": 12}, {"buffer": bytearray(12), "offset": -1}):
            with pytest.raises(ValueError) as et:
                torch.frombuffer(dtype=torch.float32, **kw)
            with pytest.raises(ValueError) as ed:
                danlu.frombuffer(dtype=danlu.float32, **kw)
            assert str(ed.value) == str(et.value)


# -- statistics --------------------------------------------------------------------------------
NAN = float("nan")


def test_nanmedian_values():
    cases = [np.array([1.0, NAN, 3, 2]), np.array([[1.0, NAN, 3, 2], [NAN, 2, NAN, 1], [4, 4, 1, NAN]]),
             np.array([NAN, NAN]), np.zeros(0), np.array(3.0), np.array([3, 1, 2]), R(4, 5)]
    for a in cases:
        assert_close(danlu.nanmedian(danlu.tensor(a)), torch.nanmedian(torch.tensor(a)))
    for a, dim, kd in ((cases[1], 1, False), (cases[1], 0, True), (cases[4], 0, False),
                       (cases[5], 0, False), (np.zeros((0, 3)), 1, False), (R(2, 3, 4), -1, True)):
        rd, rt = danlu.nanmedian(danlu.tensor(a), dim, kd), torch.nanmedian(torch.tensor(a), dim, kd)
        assert_close(tuple(rd), tuple(rt))
        assert type(rd).__name__ == "nanmedian" and rd.values is rd[0]
    both_raise(lambda l, x: l.nanmedian(x, 0), np.zeros((0, 3)))
    # the gradient reaches the selected (non-NaN) element
    x = danlu.tensor([[1.0, NAN, 3.0, 2.0]], requires_grad=True)
    danlu.nanmedian(x, 1).values.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0, 1.0]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histogram(dtype):
    a = rng.random(30).astype(dtype)
    w = rng.random(30).astype(dtype)
    for kw in ({"bins": 4}, {"bins": 7, "range": (0.2, 0.8)}, {"bins": 5, "density": True},
               {"bins": 3, "weight": w}, {"bins": 6, "weight": w, "density": True, "range": (0.0, 2.0)}):
        kd = {k: (danlu.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        kt = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        rd, rt = danlu.histogram(danlu.tensor(a), **kd), torch.histogram(torch.tensor(a), **kt)
        assert_close(tuple(rd), tuple(rt))
        assert type(rd).__name__ == "histogram" and rd.hist is rd[0] and rd.bin_edges is rd[1]
    edges = np.array([0.0, 0.3, 0.35, 1.0], dtype)
    assert_close(tuple(danlu.tensor(a).histogram(danlu.tensor(edges))), tuple(torch.tensor(a).histogram(torch.tensor(edges))))
    for b in ([1.0, 1.0, 1.0], [], [[1.0, 2.0, 1.0], [0.0, 3.0, 2.0]], [0.0, 1.0]):
        b = np.array(b, dtype)
        assert_close(tuple(danlu.histogram(danlu.tensor(b), 4)), tuple(torch.histogram(torch.tensor(b), 4)))


def test_histogram_errors():
    a = np.array([1.0, 2.0], "float32")
    both_raise(lambda l, x: l.histogram(x, bins=0), a)
    both_raise(lambda l, x: l.histogram(x, bins=3, range=(2.0, 1.0)), a)
    both_raise(lambda l, x: l.histogram(x, bins=3, weight=l.tensor([1.0])), a)
    both_raise(lambda l, x: l.histogram(x, bins=3, weight=l.tensor([1.0, 2.0], dtype=l.float64)), a)
    both_raise(lambda l, x: l.histogram(x, bins=3), np.array([1.0, NAN], "float32"))
    both_raise(lambda l, x: l.histogram(x, bins=3), np.array([1.0, np.inf], "float32"))
    both_raise(lambda l, x: l.histogram(x, bins=3), np.array([1, 2]), exc=NotImplementedError)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histogramdd(dtype):
    a = rng.random((25, 2)).astype(dtype)
    w = rng.random(25).astype(dtype)
    for kw in ({"bins": [2, 3]}, {"bins": 3, "range": [0.0, 1.0, 0.2, 0.7]}, {"bins": 2, "weight": w, "density": True},
               {"bins": [np.array([0.0, 0.5, 1.0], dtype), np.array([0.0, 0.2, 1.0], dtype)]}):
        conv = {k: ([danlu.tensor(x) for x in v] if isinstance(v, list) and isinstance(v[0], np.ndarray)
                    else danlu.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        convt = {k: ([torch.tensor(x) for x in v] if isinstance(v, list) and isinstance(v[0], np.ndarray)
                     else torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        rd, rt = danlu.histogramdd(danlu.tensor(a), **conv), torch.histogramdd(torch.tensor(a), **convt)
        assert_close(rd.hist, rt.hist)
        assert_close(list(rd.bin_edges), list(rt.bin_edges))
        assert type(rd).__name__ == "histogramdd"
    a3 = rng.random((2, 4, 3)).astype(dtype)
    assert_close(danlu.histogramdd(danlu.tensor(a3), 2).hist, torch.histogramdd(torch.tensor(a3), 2).hist)
    both_raise(lambda l, x: l.histogramdd(x, bins=[2]), a)
    both_raise(lambda l, x: l.histogramdd(x, bins=2, range=[0.0, 1.0]), a)
    both_raise(lambda l, x: l.histogramdd(x, bins=2), a[:, 0])
    both_raise(lambda l, x: l.histogramdd(x, bins=2, weight=l.ones(3, dtype=x.dtype)), a)


def test_cov_variants_and_errors():
    x = R(3, 4)
    for fn in (lambda l, x: l.cov(l.tensor([1, 2, 4])), lambda l, x: l.cov(x, fweights=l.tensor([1, 0, 2, 1])),
               lambda l, x: l.cov(x, aweights=l.tensor([0.5, 1, 2, 0.1], dtype=x.dtype), correction=2),
               lambda l, x: l.corrcoef(l.tensor([[1, 2, 4], [1, 5, 2]]))):
        assert_close(fn(danlu, danlu.tensor(x)), fn(torch, torch.tensor(x)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn in (lambda l, x: l.cov(x[0], correction=4), lambda l, x: l.cov(x[0, 0]),
                   lambda l, x: l.cov(x[:, :0]), lambda l, x: l.corrcoef(x[0, 0])):
            assert_close(fn(danlu, danlu.tensor(x)), fn(torch, torch.tensor(x)))
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        danlu.cov(danlu.tensor(x[0]), correction=4)
    f = np.array([1.0, 2, 4])
    both_raise(lambda l, x: l.cov(x), R(2, 3, 4))
    both_raise(lambda l, x: l.cov(x, fweights=l.tensor([1.0, 2, 3])), f)
    both_raise(lambda l, x: l.cov(x, fweights=l.tensor([1, 2])), f)
    both_raise(lambda l, x: l.cov(x, fweights=l.tensor([[1, 2, 3]])), f)
    both_raise(lambda l, x: l.cov(x, fweights=l.tensor([1, -2, 3])), f)
    both_raise(lambda l, x: l.cov(x, aweights=l.tensor([1, 2, 3])), f)
    both_raise(lambda l, x: l.cov(x, aweights=l.tensor([1.0, -2, 3], dtype=x.dtype)), f)


def test_gradient_variants_and_errors():
    for a in (np.array([1.0, 2, 4, 8]), np.array([1, 2, 4, 8]), R(3, 3, 4)):
        for kw in ({}, {"edge_order": 2}, {"spacing": 2}, {"spacing": torch.tensor(2.0)}):
            kd = {k: (danlu.tensor(v.item()) if isinstance(v, torch.Tensor) else v) for k, v in kw.items()}
            assert_close(danlu.gradient(danlu.tensor(a), **kd), torch.gradient(torch.tensor(a), **kw))
    assert danlu.gradient(danlu.tensor(1.0)) == torch.gradient(torch.tensor(1.0)) == ()
    v = np.array([1.0, 2, 4, 8])
    both_raise(lambda l, x: l.gradient(x, edge_order=3), v)
    both_raise(lambda l, x: l.gradient(x[:2], edge_order=2), v)
    both_raise(lambda l, x: l.gradient(x[:1]), v)
    both_raise(lambda l, x: l.gradient(x, spacing=[2.0, 3.0]), v)
    both_raise(lambda l, x: l.gradient(x, spacing=[2.0, 3.0], dim=0), R(3, 4))
    both_raise(lambda l, x: l.gradient(x, dim=(0, 0)), R(3, 4))


def test_renorm_errors():
    both_raise(lambda l, x: l.renorm(x, 2, 0, -1), R(2, 3))
    both_raise(lambda l, x: l.renorm(x, 0, 0, 1), R(2, 3))
    both_raise(lambda l, x: l.renorm(x, -1, 0, 1), R(2, 3))
    both_raise(lambda l, x: l.renorm(x, 2, 0, 1), R(3))
    both_raise(lambda l, x: l.renorm(x, 2, 0, 1), np.array(3.0))
    d, t = danlu.tensor(R(3, 4) * 5), None
    t = torch.tensor(d.numpy().copy())
    assert d.renorm_(2, 0, 1.0) is d
    t.renorm_(2, 0, 1.0)
    assert_close(d, t)


# -- creation ----------------------------------------------------------------------------------
WINDOWS = ["hann_window", "hamming_window", "bartlett_window", "blackman_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
def test_windows(name):
    for n in (0, 1, 2, 5, 8, 33):
        for periodic in (True, False):
            for dt in (None, "float64"):
                kw = {} if dt is None else {"dtype": getattr(danlu, dt)}
                kt = {} if dt is None else {"dtype": getattr(torch, dt)}
                d, t = getattr(danlu, name)(n, periodic, **kw), getattr(torch, name)(n, periodic, **kt)
                assert_close(d, t, rtol=1e-5 if dt is None else 1e-10, atol=1e-6 if dt is None else 1e-12)
    assert getattr(danlu, name)(4, requires_grad=True).requires_grad
    assert getattr(danlu, name)(4, True).dtype == danlu.float32
    with pytest.raises(RuntimeError, match="non-negative window_length"):
        getattr(danlu, name)(-1)
    with pytest.raises(RuntimeError, match="expects floating point dtypes"):
        getattr(danlu, name)(5, dtype=danlu.int64)


def test_window_parameters():
    assert_close(danlu.hamming_window(6, True, 0.5, 0.5), torch.hamming_window(6, True, 0.5, 0.5))
    assert_close(danlu.hamming_window(6, False, alpha=0.6), torch.hamming_window(6, False, alpha=0.6))
    for beta in (0.0, 3.0, 12.0, 40.0):
        assert_close(danlu.kaiser_window(9, False, beta, dtype=danlu.float64),
                     torch.kaiser_window(9, False, beta, dtype=torch.float64))


def test_range():
    for args, kw in (((1, 4), {}), ((1, 4, 0.5), {}), ((0, 1, 0.3), {}), ((1, 4), {"dtype": "int64"}),
                     ((4, 1, -1), {}), ((2.5, 2.5), {})):
        kd = {k: getattr(danlu, v) for k, v in kw.items()}
        kt = {k: getattr(torch, v) for k, v in kw.items()}
        with pytest.warns(UserWarning, match="torch.range is deprecated"):
            d = danlu.range(*args, **kd)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_close(d, torch.range(*args, **kt))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both_raise(lambda l, x: l.range(4, 1), R(1))
        both_raise(lambda l, x: l.range(1, 4, 0), R(1))


# -- global switches ---------------------------------------------------------------------------
def test_default_device_and_threads():
    assert str(danlu.get_default_device()) == "cpu"
    danlu.set_default_device("cpu")
    danlu.set_default_device(None)
    with pytest.raises(RuntimeError, match="default device"):
        danlu.set_default_device("cuda")
    n = danlu.get_num_interop_threads()
    danlu.set_num_interop_threads(3)
    assert danlu.get_num_interop_threads() == 3
    danlu.set_num_interop_threads(n)
    assert danlu.is_storage(danlu.ones(2)) is False and torch.is_storage(torch.ones(2)) is False


def test_deterministic_flags():
    try:
        assert not danlu.are_deterministic_algorithms_enabled()
        danlu.use_deterministic_algorithms(True, warn_only=True)
        assert danlu.are_deterministic_algorithms_enabled()
        assert danlu.is_deterministic_algorithms_warn_only_enabled()
        assert danlu.get_deterministic_debug_mode() == 1
        for mode, expect in (("error", 2), ("default", 0), (1, 1), (2, 2), (0, 0)):
            danlu.set_deterministic_debug_mode(mode)
            assert danlu.get_deterministic_debug_mode() == expect
        for bad, exc in (("foo", RuntimeError), (3, RuntimeError), (1.0, TypeError)):
            with pytest.raises(exc) as ed:
                danlu.set_deterministic_debug_mode(bad)
            with pytest.raises(exc) as et:
                torch.set_deterministic_debug_mode(bad)
            assert str(ed.value) == str(et.value)
    finally:
        danlu.use_deterministic_algorithms(False)
        torch.use_deterministic_algorithms(False)


def test_warn_always_and_matmul_precision():
    assert danlu.is_warn_always_enabled() is False
    danlu.set_warn_always(True)
    assert danlu.is_warn_always_enabled()
    danlu.set_warn_always(False)
    assert danlu.get_float32_matmul_precision() == "highest"
    danlu.set_float32_matmul_precision("high")
    assert danlu.get_float32_matmul_precision() == "high"
    with pytest.warns(UserWarning, match="is not one of"):
        danlu.set_float32_matmul_precision("foo")
    assert danlu.get_float32_matmul_precision() == "high"
    danlu.set_float32_matmul_precision("highest")


def test_anomaly_switches():
    assert not danlu.is_anomaly_enabled()
    try:
        danlu.set_anomaly_enabled(True, check_nan=False)
        assert danlu.is_anomaly_enabled() and not danlu.is_anomaly_check_nan_enabled()
        assert danlu.autograd.anomaly_mode.is_anomaly_enabled()
    finally:
        danlu.set_anomaly_enabled(False)
    assert not danlu.is_anomaly_enabled() and danlu.is_anomaly_check_nan_enabled()
    with danlu.autograd.detect_anomaly():
        assert danlu.is_anomaly_enabled()


def test_torch_gap_closed():
    mine = ["vsplit", "hsplit", "dsplit", "unravel_index", "as_strided", "diagonal_scatter",
            "select_scatter", "slice_scatter", "put", "index_reduce", "unsafe_chunk", "unsafe_split",
            "split_with_sizes", "is_same_size", "is_signed", "is_inference", "get_device",
            "empty_strided", "frombuffer", "fill", "fill_", "zero_", "narrow_copy", "expand_copy",
            "nanmedian", "histogram", "histogramdd", "cov", "corrcoef", "trapz", "gradient", "renorm",
            "hann_window", "kaiser_window", "empty_permuted", "range", "set_default_device",
            "use_deterministic_algorithms", "set_float32_matmul_precision", "set_anomaly_enabled"]
    assert [n for n in mine if not hasattr(danlu, n)] == []
    methods = ["reshape_as", "view_as", "swapaxes_", "swapdims_", "sum_to_size", "unfold", "as_strided",
               "storage_offset", "nbytes", "itemsize", "new", "fill_diagonal_", "put_", "index_reduce_",
               "scatter_reduce_", "is_cpu", "get_device", "resize_as_", "renorm_", "nanmedian", "histogram"]
    assert [n for n in methods if not hasattr(danlu.Tensor, n)] == []


def test_as_strided_scatter_and_inplace():
    x, s = R(3, 4), R(2, 2)
    for args in (((2, 2), (1, 1), 1), ((2, 2), (4, 1)), ((2, 2), (2, 1), 3)):
        xd, sd = to_danlu(x, True), to_danlu(s, True)
        xt, st = torch.tensor(x, requires_grad=True), torch.tensor(s, requires_grad=True)
        od, ot = danlu.as_strided_scatter(xd, sd, *args), torch.as_strided_scatter(xt, st, *args)
        assert_close(od, ot)
        w = R(3, 4)
        (od * danlu.tensor(w)).sum().backward()
        (ot * torch.tensor(w)).sum().backward()
        assert_close(sd.grad, st.grad)
    # torch's gradient to ``self`` fails its own gradcheck (it returns the window instead of its
    # complement); danlu's is the true derivative: zero where src was written (checked on a
    # non-overlapping window; with overlaps the src gradient is the window of g, as torch)
    xd, sd = to_danlu(x, True), to_danlu(s, True)
    assert gradcheck(lambda a, b: danlu.as_strided_scatter(a, b, (2, 2), (4, 1), 1), (xd, sd),
                     eps=1e-6, atol=1e-6)
    assert_close(danlu.tensor(x).as_strided_scatter(danlu.tensor(s), (2, 2), (1, 2)),
                 torch.tensor(x).as_strided_scatter(torch.tensor(s), (2, 2), (1, 2)))
    both_raise(lambda l, x, s: l.as_strided_scatter(x, s, (2, 3), (1, 1)), x, s)
    # torch does not bounds-check this window (it writes past the end); danlu refuses
    with pytest.raises(RuntimeError, match="out of bounds for storage"):
        danlu.as_strided_scatter(danlu.tensor(x), danlu.tensor(s), (2, 2), (11, 1))
    both_raise(lambda l, x, s: l.as_strided_scatter(x, s, (2, 2), (0, 1)), x, s)
    d, t = danlu.arange(6.0), torch.arange(6.0)
    assert d.as_strided_((2, 2), (1, 2), 1) is d
    t.as_strided_((2, 2), (1, 2), 1)
    assert_close(d, t)
    assert d.stride() == t.stride()
    assert danlu.ones(2).new_empty_strided((2, 3), (1, 2)).stride() == (1, 2)
    assert danlu.ones(2, dtype=danlu.float64).new_empty_strided((2,), (1,)).dtype == danlu.float64
    r = danlu.ones(4)
    assert danlu.resize_as_(r, danlu.ones(2, 2)) is r and r.shape == (2, 2)
