"""Linear / Bilinear / Identity / Flatten / Unflatten and F.linear / F.bilinear vs torch."""
import numpy as np
import pytest
import torch

import danlu
from tests._oracle import compare_fn
from tests.nn._models import compare_models, twin

rng = np.random.default_rng(0)


def R(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("xshape", [(4, 3), (3,), (2, 5, 3), (0, 3), (2, 1, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_f_linear(dtype, xshape, bias):
    args = [R(*xshape, dtype=dtype), R(6, 3, dtype=dtype)] + ([R(6, dtype=dtype)] if bias else [])
    compare_fn(lambda lib, x, w, *b: lib.nn.functional.linear(x, w, *b), *args)


def test_f_linear_broadcast_bias_and_1d_weight():
    compare_fn(lambda lib, x, w, b: lib.nn.functional.linear(x, w, b), R(4, 3), R(2, 3), R(4, 2))
    compare_fn(lambda lib, x, w: lib.nn.functional.linear(x, w), R(4, 3), R(3))


def test_f_linear_errors_like_torch():
    for x, w in (((4, 3), (6, 5)), ((2, 2, 3), (6, 4))):
        with pytest.raises(RuntimeError) as et:
            torch.nn.functional.linear(torch.zeros(x), torch.zeros(w))
        with pytest.raises(RuntimeError) as ed:
            danlu.nn.functional.linear(danlu.zeros(x), danlu.zeros(w))
        assert str(ed.value) == str(et.value)
    with pytest.raises(RuntimeError) as et:
        torch.nn.functional.linear(torch.zeros(2, 3), torch.zeros(4, 3, dtype=torch.float64))
    with pytest.raises(RuntimeError) as ed:
        danlu.nn.functional.linear(danlu.zeros(2, 3), danlu.zeros(4, 3, dtype=danlu.float64))
    assert str(ed.value) == str(et.value)


def test_linear_gradcheck_and_double_backward():
    x = danlu.tensor(R(3, 4), requires_grad=True)
    w = danlu.tensor(R(2, 4), requires_grad=True)
    b = danlu.tensor(R(2), requires_grad=True)
    f = danlu.nn.functional.linear
    assert danlu.autograd.gradcheck(f, (x, w, b))
    assert danlu.autograd.gradgradcheck(f, (x, w, b))
    x3 = danlu.tensor(R(2, 3, 4), requires_grad=True)
    assert danlu.autograd.gradcheck(f, (x3, w, b))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bilinear(dtype):
    compare_fn(lambda lib, a, b, w, c: lib.nn.functional.bilinear(a, b, w, c),
               R(4, 3, dtype=dtype), R(4, 2, dtype=dtype), R(5, 3, 2, dtype=dtype), R(5, dtype=dtype))
    compare_fn(lambda lib, a, b, w: lib.nn.functional.bilinear(a, b, w),
               R(2, 4, 3, dtype=dtype), R(2, 4, 2, dtype=dtype), R(5, 3, 2, dtype=dtype))
    a, b = danlu.tensor(R(3, 2), requires_grad=True), danlu.tensor(R(3, 4), requires_grad=True)
    w = danlu.tensor(R(2, 2, 4), requires_grad=True)
    assert danlu.autograd.gradcheck(danlu.nn.functional.bilinear, (a, b, w))


@pytest.mark.parametrize("bias", [True, False])
def test_linear_and_bilinear_modules(bias):
    d, t = twin(lambda lib: lib.nn.Linear(3, 4, bias=bias), "float64")
    assert repr(d) == repr(t) and list(d.state_dict()) == list(t.state_dict())
    compare_models(d, t, R(5, 3))
    d, t = twin(lambda lib: lib.nn.Bilinear(3, 2, 4, bias=bias), "float64")
    assert repr(d) == repr(t) and list(d.state_dict()) == list(t.state_dict())
    x1, x2 = R(5, 3), R(5, 2)
    from tests._oracle import assert_close

    assert_close(d(danlu.tensor(x1), danlu.tensor(x2)), t(torch.tensor(x1), torch.tensor(x2)))
    ld = danlu.nn.Linear(2, 3, dtype=danlu.float64)
    assert ld.weight.dtype == danlu.float64 and ld.bias.dtype == danlu.float64


def test_identity_flatten_unflatten():
    for build in (lambda lib: lib.nn.Identity(54, unused="x"), lambda lib: lib.nn.Flatten(),
                  lambda lib: lib.nn.Flatten(0, 2), lambda lib: lib.nn.Unflatten(1, (3, 4)),
                  lambda lib: lib.nn.Unflatten(-1, [2, 2])):
        d, t = build(danlu), build(torch)
        assert repr(d) == repr(t)
        x = R(2, 12, 4)
        if isinstance(d, danlu.nn.Unflatten) and d.dim == -1:
            x = R(2, 3, 4)
        compare_fn(lambda lib, a: (d if lib is danlu else t)(a), x)
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints"):
        danlu.nn.Unflatten(1, (2, 2.0))


def test_default_init_distribution_matches_torch():
    """Linear's kaiming_uniform(a=sqrt 5) and bias U(+-1/sqrt(fan_in)): bounds and moments."""
    d, t = danlu.nn.Linear(400, 300), torch.nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    for a, b in ((d.weight, t.weight), (d.bias, t.bias)):
        a, b = a.detach().numpy(), b.detach().numpy()
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.98 * bound
        sd = bound / np.sqrt(3)  # std of U(-bound, bound), same for torch's draw
        assert abs(a.std() - sd) < 3 / np.sqrt(a.size) * sd and abs(b.std() - sd) < 3 / np.sqrt(b.size) * sd
        assert abs(a.mean()) < 5 * sd / np.sqrt(a.size)
    bl = danlu.nn.Bilinear(50, 3, 400).weight.detach().numpy()
    assert np.abs(bl).max() <= 1 / np.sqrt(50)
    assert abs(bl.std() - (1 / np.sqrt(50)) / np.sqrt(3)) < 0.02 * bl.std()
