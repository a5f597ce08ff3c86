"""Embedding / EmbeddingBag / F.embedding / F.one_hot vs torch."""
import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close

rng = np.random.default_rng(0)
IDX = np.array([[0, 2, 4, 2], [5, 0, 1, 9]])


def run_both(build, idx, dtype="float64", weights=None):
    torch.manual_seed(0)
    t = build(torch)
    d = build(danlu)
    if dtype == "float64":
        t, d = t.double(), d.double()
    d.load_state_dict({k: danlu.tensor(v.numpy().copy()) for k, v in t.state_dict().items()})
    yt, yd = t(torch.tensor(idx)), d(danlu.tensor(idx))
    assert_close(yd, yt)
    w = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    (yt * torch.tensor(w)).sum().backward()
    (yd * danlu.tensor(w)).sum().backward()
    if t.weight.grad is None:
        assert d.weight.grad is None
    else:
        assert_close(d.weight.grad, t.weight.grad)
    assert_close(d.weight, t.weight)
    return d, t


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 0}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                {"padding_idx": 2, "scale_grad_by_freq": True}])
def test_embedding_values_and_grads(dtype, kw):
    d, t = run_both(lambda lib: lib.nn.Embedding(10, 3, **kw), IDX, dtype)
    assert repr(d) == repr(t)


def test_embedding_max_norm_renormalises_in_place():
    d, t = run_both(lambda lib: lib.nn.Embedding(10, 4, max_norm=1.0), IDX)
    assert repr(d) == repr(t)
    d, t = run_both(lambda lib: lib.nn.Embedding(10, 4, max_norm=0.5, norm_type=1.0), IDX)
    assert repr(d) == repr(t)


def test_embedding_shapes_and_padding_row():
    e = danlu.nn.Embedding(6, 2, padding_idx=3)
    assert float(e.weight[3].abs().sum()) == 0
    assert e(danlu.tensor(1)).shape == (2,)
    assert e(danlu.zeros(0, dtype=danlu.int64)).shape == (0, 2)
    assert e(danlu.tensor([[[1, 2]]])).shape == (1, 1, 2, 2)
    with pytest.raises(IndexError, match="index out of range in self"):
        e(danlu.tensor([6]))
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar types"):
        e(danlu.tensor([1.0]))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        danlu.nn.Embedding(3, 2, padding_idx=3)


def test_embedding_default_init_and_from_pretrained():
    w = danlu.nn.Embedding(300, 200).weight.detach().numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01
    table = danlu.tensor(rng.standard_normal((4, 3)))
    e = danlu.nn.Embedding.from_pretrained(table)
    assert not e.weight.requires_grad and e.weight.dtype == danlu.float64
    np.testing.assert_array_equal(e(danlu.tensor([2])).numpy()[0], table.numpy()[2])
    e2 = danlu.nn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    te = torch.nn.Embedding.from_pretrained(torch.tensor(table.numpy()), freeze=False, padding_idx=1)
    assert e2.weight.requires_grad and repr(e2) == repr(te)
    e2(danlu.tensor([1, 1, 2])).sum().backward()
    assert float(e2.weight.grad[1].abs().sum()) == 0 and float(e2.weight.grad[2].sum()) == 3


def test_f_embedding_gradcheck():
    w = danlu.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    idx = danlu.tensor([[1, 1, 4], [0, 2, 1]])
    assert danlu.autograd.gradcheck(lambda w: danlu.nn.functional.embedding(idx, w, padding_idx=3), (w,))
    assert danlu.autograd.gradgradcheck(lambda w: danlu.nn.functional.embedding(idx, w) ** 2, (w,))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag(mode):
    torch.manual_seed(0)
    t = torch.nn.EmbeddingBag(10, 3, mode=mode).double()
    d = danlu.nn.EmbeddingBag(10, 3, mode=mode).double()
    d.load_state_dict({"weight": danlu.tensor(t.weight.detach().numpy().copy())})
    assert repr(d) == repr(t)
    flat, offs = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 2, 2, 5])
    for args_t, args_d in (((torch.tensor(IDX),), (danlu.tensor(IDX),)),
                           ((torch.tensor(flat), torch.tensor(offs)), (danlu.tensor(flat), danlu.tensor(offs)))):
        yt, yd = t(*args_t), d(*args_d)
        assert_close(yd, yt)
        yt.pow(2).sum().backward()
        yd.pow(2).sum().backward()
        assert_close(d.weight.grad, t.weight.grad)
        t.zero_grad()
        d.zero_grad()
    if mode == "sum":
        psw = rng.standard_normal(IDX.shape)
        assert_close(d(danlu.tensor(IDX), per_sample_weights=danlu.tensor(psw)),
                     t(torch.tensor(IDX), per_sample_weights=torch.tensor(psw)))


def test_one_hot():
    x = np.array([[0, 3], [2, 1]])
    assert_close(danlu.nn.functional.one_hot(danlu.tensor(x)), torch.nn.functional.one_hot(torch.tensor(x)))
    assert_close(danlu.nn.functional.one_hot(danlu.tensor(x), 6),
                 torch.nn.functional.one_hot(torch.tensor(x), 6))
    assert_close(danlu.nn.functional.one_hot(danlu.tensor(2), 3),
                 torch.nn.functional.one_hot(torch.tensor(2), 3))
    assert danlu.nn.functional.one_hot(danlu.zeros(0, dtype=danlu.int64), 4).shape == (0, 4)
    for bad, n in (([1, -1], -1), ([1, 5], 3)):
        with pytest.raises(RuntimeError) as et:
            torch.nn.functional.one_hot(torch.tensor(bad), n)
        with pytest.raises(RuntimeError) as ed:
            danlu.nn.functional.one_hot(danlu.tensor(bad), n)
        assert str(ed.value) == str(et.value)
    with pytest.raises(RuntimeError, match="only applicable to index tensor"):
        danlu.nn.functional.one_hot(danlu.tensor([1.0]))
