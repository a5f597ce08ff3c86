"""torch's legacy typed constructors (FloatTensor, LongTensor, ...) as old course code uses them."""
import numpy as np
import pytest
import torch

import danlu

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
         "CharTensor", "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("name", NAMES)
def test_construct_like_torch(name):
    T, D = getattr(torch, name), getattr(danlu, name)
    for args in [([1, 0, 2],), ([[1.7, -1.2], [0.0, 3.0]],), ((2, 3),)]:
        if name in ("ByteTensor",) and args[0] == [[1.7, -1.2], [0.0, 3.0]]:
            continue  # negative float -> uint8 is undefined behaviour in torch
        t, d = T(*args), D(*args)
        assert str(d.dtype).replace("danlu", "torch") == str(t.dtype)
        np.testing.assert_array_equal(d.numpy(), t.numpy())
    for args, dargs in [((2, 3), (2, 3)), ((torch.Size([2, 3]),), (danlu.Size([2, 3]),)), ((), ())]:
        assert tuple(D(*dargs).shape) == tuple(T(*args).shape)
        assert str(D(*dargs).dtype).replace("danlu", "torch") == str(T(*args).dtype)


def test_isinstance_type_and_repr():
    for lib in (torch, danlu):
        x = lib.zeros(2)
        assert isinstance(x, lib.FloatTensor) and not isinstance(x, lib.LongTensor)
        assert x.type(lib.LongTensor).dtype is lib.int64
        assert x.type("torch.DoubleTensor").dtype is lib.float64
        assert isinstance(x.long(), lib.LongTensor)
    assert repr(danlu.FloatTensor) == "<class 'danlu.FloatTensor'>"


def test_typed_constructor_of_a_tensor():
    x = danlu.ones(2)
    assert danlu.FloatTensor(x) is x
    with pytest.raises(TypeError, match="expected danlu.float32"):
        danlu.FloatTensor(danlu.ones(2, dtype=danlu.int64))
    with pytest.raises(TypeError):
        torch.FloatTensor(torch.ones(2, dtype=torch.int64))
