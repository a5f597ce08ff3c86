"""Shape ops vs torch: values and gradients, views, -1 inference, errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import danlu
from tests._oracle import assert_close, compare_fn

rng = np.random.default_rng(2)


def R(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


SHAPE_OPS = {
    "reshape": lambda l, x: x.reshape(4, -1), "reshape_tuple": lambda l, x: l.reshape(x, (-1,)),
    "view": lambda l, x: x.view(2, 2, 6), "view_neg": lambda l, x: x.view(-1, 3),
    "flatten": lambda l, x: x.flatten(), "flatten_mid": lambda l, x: l.flatten(x, 1),
    "unflatten": lambda l, x: x.unflatten(2, (2, 2)), "squeeze": lambda l, x: x.unsqueeze(1).squeeze(),
    "squeeze_dim": lambda l, x: x.unsqueeze(0).squeeze(0), "squeeze_tuple": lambda l, x: x[None, :, None].squeeze((0, 2)),
    "unsqueeze": lambda l, x: l.unsqueeze(x, -1), "transpose": lambda l, x: x.transpose(0, 2),
    "permute": lambda l, x: x.permute(2, 0, 1), "permute_tuple": lambda l, x: l.permute(x, (1, 2, 0)),
    "t": lambda l, x: x[0].t(), "T": lambda l, x: x[0].T, "mT": lambda l, x: x.mT,
    "movedim": lambda l, x: l.movedim(x, 0, -1), "movedim_multi": lambda l, x: x.movedim((0, 1), (2, 0)),
    "expand": lambda l, x: x[:, :1].expand(2, 5, 4), "expand_neg": lambda l, x: x[None].expand(3, -1, -1, -1),
    "expand_as": lambda l, x: x[:1].expand_as(x), "broadcast_to": lambda l, x: l.broadcast_to(x[:, 0], (3, 2, 4)),
    "repeat": lambda l, x: x.repeat(2, 1, 3), "repeat_more": lambda l, x: x.repeat(2, 1, 1, 2),
    "tile": lambda l, x: l.tile(x, (2,)), "repeat_interleave": lambda l, x: x.repeat_interleave(2, dim=1),
    "repeat_interleave_t": lambda l, x: l.repeat_interleave(x, l.tensor([1, 0, 2]), dim=1),
    "repeat_interleave_flat": lambda l, x: x.repeat_interleave(2),
    "cat": lambda l, x: l.cat([x, x * 2], dim=1), "concat": lambda l, x: l.concat((x, x[:1]), 0),
    "cat_neg": lambda l, x: l.cat([x, x], -1), "stack": lambda l, x: l.stack([x, x + 1], 1),
    "hstack": lambda l, x: l.hstack([x, x]), "vstack": lambda l, x: l.vstack([x[0], x[1]]),
    "dstack": lambda l, x: l.dstack([x[0], x[1]]), "column_stack": lambda l, x: l.column_stack([x[0, 0], x[1, 0]]),
    "split": lambda l, x: x.split(2, dim=2), "split_sizes": lambda l, x: l.split(x, [1, 2], 1),
    "chunk": lambda l, x: x.chunk(3, -1), "unbind": lambda l, x: l.unbind(x, 1),
    "tensor_split": lambda l, x: x.tensor_split(3, dim=2), "flip": lambda l, x: x.flip(0, 2),
    "flip_list": lambda l, x: l.flip(x, [1]), "fliplr": lambda l, x: l.fliplr(x[0]), "flipud": lambda l, x: x[0].flipud(),
    "roll": lambda l, x: x.roll(1, 2), "roll_multi": lambda l, x: l.roll(x, (1, -2), (0, 2)),
    "roll_flat": lambda l, x: x.roll(5), "rot90": lambda l, x: l.rot90(x, 1, (1, 2)),
    "narrow": lambda l, x: x.narrow(2, 1, 2), "tril": lambda l, x: x.tril(), "triu": lambda l, x: l.triu(x, 1),
    "tril_neg": lambda l, x: x.tril(-1), "diagonal": lambda l, x: x.diagonal(0, 1, 2),
    "diagonal_off": lambda l, x: l.diagonal(x, 1, -2, -1), "diag_vec": lambda l, x: l.diag(x[0, 0]),
    "diag_mat": lambda l, x: x[0].diag(), "diag_off": lambda l, x: l.diag(x[0, 0], -1),
    "diag_embed": lambda l, x: l.diag_embed(x), "trace": lambda l, x: x[0].trace(),
    "swapaxes": lambda l, x: x.swapaxes(0, 1), "contiguous": lambda l, x: x.t().contiguous() if x.ndim == 2 else x.mT.contiguous(),
    "atleast_2d": lambda l, x: l.atleast_2d(x[0, 0, 0]), "broadcast_tensors": lambda l, x: l.broadcast_tensors(x, x[0, :1]),
    "getitem_view": lambda l, x: x[:, 1:, ::2].reshape(-1),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op(name, dtype):
    compare_fn(SHAPE_OPS[name], R(2, 3, 4, dtype=dtype))


@pytest.mark.parametrize("name", ["reshape", "flatten", "permute", "transpose", "cat", "split", "flip", "roll", "tril"])
def test_shape_op_noncontiguous(name):
    compare_fn(lambda l, x: SHAPE_OPS[name](l, x.permute(0, 2, 1)[:, 1:].transpose(1, 2)), R(2, 4, 4))


def test_empty_and_zero_d_shapes():
    compare_fn(lambda l, x: (x.reshape(0, 2), x.reshape(2, 0, 3).sum(1)), np.zeros((0, 6)))
    compare_fn(lambda l, x: (x.unsqueeze(0), x.reshape(1, 1), x.flatten(), x.expand(3), x.view(-1)), np.array(1.5))
    compare_fn(lambda l, x: l.cat([x, x[:0]], 0), R(2, 3))
    compare_fn(lambda l, x: l.stack([x, x]), np.array(1.5))


def test_views_share_memory_and_version():
    x = danlu.zeros(2, 3)
    v = x.view(3, 2)
    v[0, 0] = 5.0
    assert x[0, 0].item() == 5.0
    assert x._version == v._version == 1
    t = x.t()
    t.add_(1)
    assert x[0, 1].item() == 1.0


def test_unflatten_and_empty_reshape_errors_match_torch():
    cases = [((2, 18), 1, (2, 3)), ((2, 18), -1, (-1, 4)), ((2, 18), 1, (-1, -1)),
             ((2, 18), 1, (0, -1)), ((2, 18), 1, ()), ((2, 18), 1, (-2, 9)), ((0, 3), 0, (0, -1)),
             ((2, 18), 1, (3, -1)), ((0, 3), 1, (3, 1))]
    for shape, dim, sizes in cases:
        res = []
        for lib in (danlu, torch):
            try:
                res.append(tuple(lib.ones(*shape).unflatten(dim, sizes).shape))
            except RuntimeError as e:   # torch appends its C++ backtrace to unexpected errors
                res.append(str(e).split("\nException raised from")[0])
        assert res[0] == res[1], (shape, dim, sizes)
    for shape in [(0, -1), (-1, 0), (2, -1, 0)]:
        msgs = []
        for lib in (danlu, torch):
            with pytest.raises(RuntimeError) as info:
                lib.zeros(0, 3).reshape(*shape)
            msgs.append(str(info.value))
        assert msgs[0] == msgs[1]


def test_view_errors_match_torch():
    x, tx = danlu.zeros(2, 3), torch.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"shape '\[4, -1\]' is invalid for input of size 6"):
        x.view(4, -1)
    with pytest.raises(RuntimeError, match=r"shape '\[4, -1\]' is invalid for input of size 6"):
        tx.view(4, -1)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.reshape(-1, -1)
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        x.t().view(6)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the existing size \(3\)"):
        x.expand(2, 4)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0"):
        danlu.cat([x, danlu.zeros(2, 4)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        danlu.stack([x, danlu.zeros(3, 2)])
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.transpose(0, 2)
    with pytest.raises(RuntimeError, match="number of dimensions in the tensor input does not match"):
        x.permute(0)


@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
def test_permute_reshape_hypothesis(shape, data):
    perm = data.draw(st.permutations(range(len(shape))))
    x = R(*shape)
    compare_fn(lambda l, x: x.permute(*perm).reshape(-1).cumsum(0), x)


def test_meshgrid_and_cartesian():
    a, b = R(3), R(2)
    for ix in ("ij", "xy"):
        compare_fn(lambda l, a, b: l.meshgrid(a, b, indexing=ix), a, b)
    compare_fn(lambda l, a, b: l.cartesian_prod(a, b), a, b)


def test_tril_triu_indices():
    for f in ("tril_indices", "triu_indices"):
        assert_close(getattr(danlu, f)(4, 3, 1), getattr(torch, f)(4, 3, 1))


def test_size_object():
    s = danlu.zeros(2, 3).shape
    assert s == (2, 3) and isinstance(s, tuple) and s.numel() == 6
    assert repr(s) == "danlu.Size([2, 3])" and repr(torch.zeros(2, 3).shape) == "torch.Size([2, 3])"
    assert danlu.zeros(2, 3).size(-1) == 3 and danlu.zeros(2, 3).size() == (2, 3)


def test_inplace_shape_methods():
    x = danlu.zeros(2, 3)
    x.unsqueeze_(0)
    assert x.shape == (1, 2, 3)
    x.squeeze_()
    x.t_()
    assert x.shape == (3, 2)
