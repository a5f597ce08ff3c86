"""Tensor attributes/conversions, creation, random, repr and error messages vs torch."""
import math

import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close


def test_conversions():
    x = danlu.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert x.dtype is danlu.float32 and x.shape == (2, 2) and x.ndim == 2 and x.dim() == 2 and x.numel() == 4
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]] and x[0, 0].item() == 1.5
    assert isinstance(x.numpy(), np.ndarray) and np.asarray(x).dtype == np.float32
    assert np.array(x, dtype=np.float64).dtype == np.float64
    assert len(x) == 2 and [r.tolist() for r in x] == [[1.5, 2.0], [3.0, 4.0]]
    one = danlu.tensor([3.7])
    assert float(one) == pytest.approx(3.7) and int(one) == 3 and bool(one)
    assert [10, 20, 30, 40][danlu.tensor(2)] == 30 and operator_index(danlu.tensor(1)) == 1
    assert f"{danlu.tensor(1.25):.1f}" == "1.2"
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(x)
    with pytest.raises(RuntimeError, match="a Tensor with 4 elements cannot be converted to Scalar"):
        x.item()
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(danlu.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(danlu.tensor(1.0))
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        [1, 2][danlu.tensor(1.0)]
    r = danlu.ones(2, requires_grad=True)
    msg = r"Can't call numpy\(\) on Tensor that requires grad. Use tensor.detach\(\).numpy\(\) instead."
    with pytest.raises(RuntimeError, match=msg):
        r.numpy()
    with pytest.raises(RuntimeError, match=msg):
        torch.ones(2, requires_grad=True).numpy()
    assert r.detach().numpy().tolist() == [1.0, 1.0]


def operator_index(t):
    import operator

    return operator.index(t)


def test_clone_detach_to_type_as_data():
    x = danlu.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.requires_grad and c.grad_fn is not None and c.data_ptr() != x.data_ptr()
    d = x.detach()
    assert d.data_ptr() == x.data_ptr() and not d.requires_grad
    assert x.to(danlu.float32) is x and x.to("cpu") is x and x.to(danlu.float64).dtype is danlu.float64
    assert x.to(danlu.float64, copy=False).requires_grad
    assert x.to(dtype=danlu.int64).dtype is danlu.int64 and x.to(danlu.zeros(1, dtype=danlu.int32)).dtype is danlu.int32
    assert x.type_as(danlu.tensor([1])).dtype is danlu.int64
    assert x.float().dtype is danlu.float32 and x.double().dtype is danlu.float64 and x.half().dtype is danlu.float16
    assert x.long().dtype is danlu.int64 and x.int().dtype is danlu.int32 and x.bool().dtype is danlu.bool
    assert x.type() == "danlu.FloatTensor" and x.type(danlu.float64).dtype is danlu.float64
    y = danlu.zeros(2)
    y.data = danlu.tensor([5.0, 6.0])
    assert y.tolist() == [5.0, 6.0]
    x.data.mul_(2)  # .data escapes autograd
    assert x.tolist() == [2.0, 4.0]
    assert x.contiguous() is x and not x.expand(2, 2).t().is_contiguous()
    assert x.device == danlu.device("cpu") and str(x.device) == "cpu" and not x.is_cuda
    assert x.is_floating_point() and not danlu.tensor([1]).is_floating_point()
    (x.to(danlu.float64) * 3).sum().backward()
    assert x.grad.dtype is danlu.float32 and x.grad.tolist() == [3.0, 3.0]


def test_inplace_dtype_mismatch_error():
    i = danlu.tensor([1, 2])
    msg = "result type Float can't be cast to the desired output type Long"
    with pytest.raises(RuntimeError, match=msg):
        i.add_(1.5)
    with pytest.raises(RuntimeError, match=msg):
        torch.tensor([1, 2]).add_(1.5)
    with pytest.raises(RuntimeError, match=msg):
        i *= danlu.tensor([0.5, 0.5])
    f = danlu.zeros(2)
    f += danlu.tensor([1, 2])  # int into float is fine
    assert f.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match=r"output with shape \[2\] doesn't match the broadcast shape \[2, 2\]"):
        f.add_(danlu.zeros(2, 2))


def test_broadcast_error_message():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"):
        danlu.zeros(2, 3) + danlu.zeros(2, 4)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"):
        torch.zeros(2, 3) + torch.zeros(2, 4)


CREATE = [
    lambda l: l.tensor([[1, 2], [3, 4]]), lambda l: l.tensor([1.0, 2]), lambda l: l.tensor(True),
    lambda l: l.tensor([1, 2], dtype=l.float64), lambda l: l.tensor(3.5), lambda l: l.tensor([]),
    lambda l: l.zeros(2, 3), lambda l: l.ones((2,), dtype=l.int32), lambda l: l.full((2, 2), 7),
    lambda l: l.full((2,), 1.5), lambda l: l.full((2,), True), lambda l: l.zeros_like(l.ones(2, dtype=l.int64)),
    lambda l: l.ones_like(l.zeros(3)), lambda l: l.full_like(l.zeros(2), 3), lambda l: l.empty(2, 3).shape,
    lambda l: l.empty_like(l.zeros(2)).dtype, lambda l: l.arange(5), lambda l: l.arange(1, 4, 0.5),
    lambda l: l.arange(0.0, 1.0, 0.1), lambda l: l.arange(5, dtype=l.float32), lambda l: l.arange(10, 0, -3),
    lambda l: l.linspace(0, 1, 5), lambda l: l.linspace(-2, 2, 1), lambda l: l.logspace(0, 2, 3),
    lambda l: l.logspace(0, 3, 4, base=2), lambda l: l.eye(3), lambda l: l.eye(2, 3, dtype=l.int64),
    lambda l: l.as_tensor([1, 2]), lambda l: l.as_tensor(np.arange(3.0)), lambda l: l.tensor(np.float32(2.5)),
    lambda l: l.tensor([l.tensor(1.0), l.tensor(2.0)]) if l is torch else l.tensor([1.0, 2.0]),
    lambda l: l.scalar_tensor(3), lambda l: l.tensor([[True, False]]), lambda l: l.tensor(np.array([1, 2], dtype=np.int32)),
    lambda l: l.zeros(0, 2), lambda l: l.tril_indices(3, 3), lambda l: l.tensor(2 ** 40), lambda l: l.tensor([1, 2.5]),
]


@pytest.mark.parametrize("i", range(len(CREATE)))
def test_creation(i):
    d, t = CREATE[i](danlu), CREATE[i](torch)
    if isinstance(t, torch.Size):
        assert tuple(d) == tuple(t)
    elif isinstance(t, torch.dtype):
        assert str(d).split(".")[-1] == str(t).split(".")[-1]
    else:
        assert_close(d, t)


def test_size_keyword_in_creation_and_random():
    """``torch.zeros(size=(2, 1))`` (d2l's spelling): the size may be passed by keyword."""
    for name in ("zeros", "ones", "empty", "rand", "randn"):
        d, t = getattr(danlu, name)(size=(2, 1)), getattr(torch, name)(size=(2, 1))
        assert tuple(d.shape) == tuple(t.shape) and str(d.dtype)[6:] == str(t.dtype)[6:]
    assert_close(danlu.zeros(size=[3], dtype=danlu.int64, requires_grad=False), torch.zeros(size=[3], dtype=torch.int64))
    with pytest.raises(TypeError, match="multiple values for argument 'size'"):
        danlu.zeros(2, size=(2,))
    with pytest.raises(TypeError, match="unexpected keyword argument 'shape'"):
        danlu.ones(shape=(2,))


def test_from_numpy_shares_memory_and_as_tensor():
    a = np.zeros(3)
    t = danlu.from_numpy(a)
    a[0] = 5.0
    assert t[0].item() == 5.0 and t.dtype is danlu.float64
    t.add_(1)
    assert a[1] == 1.0
    assert danlu.as_tensor(t) is t
    with pytest.raises(TypeError, match="can't convert np.ndarray of type"):
        danlu.from_numpy(np.zeros(2, dtype=np.complex64))
    x = danlu.tensor([1.0, 2.0], requires_grad=True)
    assert x.requires_grad and x.is_leaf


def test_default_dtype():
    danlu.set_default_dtype(danlu.float64)
    try:
        assert danlu.tensor([1.5]).dtype is danlu.float64 and danlu.zeros(1).dtype is danlu.float64
        assert (danlu.tensor([1]) * 1.5).dtype is danlu.float64
    finally:
        danlu.set_default_dtype(danlu.float32)
    assert danlu.get_default_dtype() is danlu.float32


def test_random_seed_reproducible_and_generator():
    danlu.manual_seed(3)
    a = danlu.randn(5)
    danlu.manual_seed(3)
    b = danlu.randn(5)
    assert a.tolist() == b.tolist()
    g1, g2 = danlu.Generator().manual_seed(7), danlu.Generator().manual_seed(7)
    assert danlu.rand(4, generator=g1).tolist() == danlu.rand(4, generator=g2).tolist()
    st = danlu.get_rng_state()
    c = danlu.rand(3)
    danlu.set_rng_state(st)
    assert danlu.rand(3).tolist() == c.tolist()
    assert danlu.initial_seed() == 3 or isinstance(danlu.initial_seed(), int)


def test_random_distributions_moments():
    danlu.manual_seed(0)
    n = 200_000
    u = danlu.rand(n)
    assert u.dtype is danlu.float32 and 0 <= u.min().item() and u.max().item() < 1
    assert abs(u.mean().item() - 0.5) < 0.01 and abs(u.var().item() - 1 / 12) < 0.005
    z = danlu.randn(n, dtype=danlu.float64)
    assert abs(z.mean().item()) < 0.01 and abs(z.std().item() - 1) < 0.01
    nm = danlu.normal(2.0, 3.0, (n,))
    assert abs(nm.mean().item() - 2) < 0.05 and abs(nm.std().item() - 3) < 0.05
    nt = danlu.normal(danlu.tensor([0.0, 10.0]), danlu.tensor([1.0, 0.1]))
    assert nt.shape == (2,)
    ri = danlu.randint(3, 7, (n,))
    assert ri.dtype is danlu.int64 and ri.min().item() == 3 and ri.max().item() == 6
    assert danlu.randint(5, (2, 2)).shape == (2, 2)
    p = danlu.randperm(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype is danlu.int64
    b = danlu.bernoulli(danlu.full((n,), 0.3))
    assert abs(b.mean().item() - 0.3) < 0.01
    w = danlu.tensor([0.1, 0.0, 0.9])
    m = danlu.multinomial(w, 1000, replacement=True)
    assert (m == 1).sum().item() == 0 and abs((m == 2).float().mean().item() - 0.9) < 0.05
    m2 = danlu.multinomial(danlu.tensor([[1.0, 1.0, 1.0]]), 3)
    assert sorted(m2[0].tolist()) == [0, 1, 2]
    x = danlu.empty(n)
    x.uniform_(-2, 2)
    assert abs(x.mean().item()) < 0.02 and x.min().item() >= -2 and x.max().item() <= 2
    x.normal_(1.0, 0.5)
    assert abs(x.mean().item() - 1) < 0.01 and abs(x.std().item() - 0.5) < 0.01
    e = danlu.empty(n).exponential_(2.0)
    assert abs(e.mean().item() - 0.5) < 0.01
    assert danlu.rand_like(x).shape == x.shape and danlu.randn_like(x).dtype is danlu.float32
    assert danlu.randint_like(x, 5).max().item() <= 4
    assert danlu.poisson(danlu.full((n,), 4.0)).mean().item() == pytest.approx(4.0, abs=0.05)


REPRS = [
    lambda l: l.tensor([1.0, 2.5, -3.0]), lambda l: l.tensor([[1, 2], [3, 4]]), lambda l: l.tensor([True, False]),
    lambda l: l.tensor(3.5), lambda l: l.tensor([1.0, 2.0], dtype=l.float64), lambda l: l.arange(2000.0),
    lambda l: l.tensor([1.0, 2.0], requires_grad=True), lambda l: l.tensor([1.0, 2.0], requires_grad=True) * 2,
    lambda l: l.tensor([1e-5, 1e5]), lambda l: l.tensor([0.1, 0.25]), lambda l: l.zeros(0), lambda l: l.zeros(2, 0),
    lambda l: l.tensor([1, 2], dtype=l.int32), lambda l: l.tensor([float("nan"), float("inf"), 1.0]),
    lambda l: l.arange(24.0).reshape(2, 3, 4), lambda l: l.tensor([123456789.0]), lambda l: l.tensor(7),
    lambda l: l.tensor([1.0, 2.0], dtype=l.float16), lambda l: l.ones(2, 2, dtype=l.uint8),
    lambda l: l.tensor([[0.5, -1.25], [100.0, 3.0]], requires_grad=True).sum(1),
    lambda l: l.zeros(3), lambda l: l.tensor([[float("nan"), -2.5], [0.0, 1e-6]]), lambda l: l.tensor([-1.0, 0.0, 2.0]),
    lambda l: l.arange(3000.0).reshape(1000, 3), lambda l: l.arange(40.0).reshape(2, 20) / 3,
    lambda l: l.tensor([1e10, -1.0]), lambda l: l.tensor([[True]]), lambda l: l.tensor(-0.0),
]


@pytest.mark.parametrize("i", range(len(REPRS)))
def test_repr_matches_torch(i):
    d, t = repr(REPRS[i](danlu)), repr(REPRS[i](torch))
    assert d == t.replace("torch.", "danlu.").replace("<AddBackward0>", "<AddBackward0>"), f"\n{d}\n{t}"


def test_tensor_api_misc():
    x = danlu.arange(6.0).reshape(2, 3)
    assert x.size(1) == 3 and x.stride() == (3, 1) and x.element_size() == 4 and x.nelement() == 6
    assert 4.0 in x and 9.0 not in x
    assert x.new_zeros(2).dtype is danlu.float32 and x.new_ones((1, 2)).shape == (1, 2)
    assert x.new_full((2,), 3.0).tolist() == [3.0, 3.0] and x.new_tensor([1, 2]).dtype is danlu.float32
    assert hash(x) == id(x)
    import copy
    import pickle

    y = copy.deepcopy(danlu.ones(2, requires_grad=True))
    assert y.requires_grad and y.is_leaf
    z = pickle.loads(pickle.dumps(x))
    assert z.tolist() == x.tolist()
    assert math.isclose(danlu.tensor(2.0).__complex__().real, 2.0)
