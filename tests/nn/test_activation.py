"""Activations (F and modules) against torch: values, gradients, double gradients, reprs."""
import numpy as np
import pytest
import torch

import danlu
import danlu.nn as dnn
from danlu.autograd import gradcheck, gradgradcheck
from tests._oracle import assert_close, compare_fn

ACTS = {
    "relu": lambda F, x: F.relu(x),
    "relu6": lambda F, x: F.relu6(x * 4),
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.2),
    "elu": lambda F, x: F.elu(x, 0.7),
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x, 1.3),
    "gelu": lambda F, x: F.gelu(x),
    "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x),
    "mish": lambda F, x: F.mish(x),
    "sigmoid": lambda F, x: F.sigmoid(x),
    "tanh": lambda F, x: F.tanh(x),
    "hardtanh": lambda F, x: F.hardtanh(x, -0.5, 0.7),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x * 4),
    "hardswish": lambda F, x: F.hardswish(x * 4),
    "softplus": lambda F, x: F.softplus(x, beta=2.0, threshold=1.5),
    "softsign": lambda F, x: F.softsign(x),
    "logsigmoid": lambda F, x: F.logsigmoid(x * 5),
    "threshold": lambda F, x: F.threshold(x, 0.1, -2.0),
    "tanhshrink": lambda F, x: F.tanhshrink(x),
    "softshrink": lambda F, x: F.softshrink(x, 0.3),
    "hardshrink": lambda F, x: F.hardshrink(x, 0.3),
    "softmax0": lambda F, x: F.softmax(x, 0),
    "softmax-1": lambda F, x: F.softmax(x, -1),
    "log_softmax": lambda F, x: F.log_softmax(x, 1),
    "softmin": lambda F, x: F.softmin(x, 1),
    "glu": lambda F, x: F.glu(x, 0),
}


def _F(lib):
    return lib.nn.functional


def _x(dtype, shape=(4, 5), scale=2.0):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape) * scale
    return x.astype(dtype)


@pytest.mark.parametrize("name", list(ACTS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activation_vs_torch(name, dtype):
    fn = ACTS[name]
    compare_fn(lambda lib, x: fn(_F(lib), x), _x(dtype))


@pytest.mark.parametrize("name", list(ACTS))
def test_activation_gradcheck(name):
    fn = ACTS[name]
    x = danlu.tensor(_x("float64", (4, 3)) + 0.05, requires_grad=True)  # away from the kinks
    f = lambda t: fn(danlu.nn.functional, t)  # noqa: E731
    assert gradcheck(f, (x,))
    if name not in ("relu", "relu6", "leaky_relu", "hardtanh", "hardsigmoid", "threshold",
                    "softshrink", "hardshrink"):
        assert gradgradcheck(f, (x,))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_large_logits_and_shapes(dtype):
    x = np.array([[1000.0, 0.0, -1000.0], [3e4, 3e4, 3e4]], dtype=dtype)
    for name in ("softmax", "log_softmax"):
        compare_fn(lambda lib, t: getattr(_F(lib), name)(t, 1), x)
    # odd shapes: 3-d, 0-d, empty, dtype argument
    compare_fn(lambda lib, t: _F(lib).softmax(t, 1), _x(dtype, (2, 3, 4)))
    compare_fn(lambda lib, t: _F(lib).log_softmax(t, 0), np.array(1.5, dtype=dtype))
    compare_fn(lambda lib, t: _F(lib).softmax(t, 1), np.zeros((0, 3), dtype=dtype))
    compare_fn(lambda lib, t: _F(lib).log_softmax(t, -1, dtype=lib.float64), _x(dtype, (2, 3)))
    # Tensor methods
    compare_fn(lambda lib, t: t.softmax(-1) + t.log_softmax(0), _x(dtype, (2, 3)))


def test_softmax_implicit_dim_warns():
    x = _x("float32", (2, 3, 4))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        d = danlu.nn.functional.softmax(danlu.tensor(x))
    with pytest.warns(UserWarning):
        t = torch.nn.functional.softmax(torch.tensor(x))
    assert_close(d, t)


def test_prelu_module_and_weight_grad():
    for n, shape in ((1, (2, 3, 4)), (3, (2, 3, 4)), (3, (5, 3)), (1, (4,))):
        x = _x("float64", shape)
        w = np.array([0.1, -0.3, 0.7][:n])
        compare_fn(lambda lib, a, b: _F(lib).prelu(a, b), x, w)
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
        danlu.nn.functional.prelu(danlu.randn(2, 3), danlu.ones(2))
    m = dnn.PReLU(3)
    assert np.allclose(m.weight.detach().numpy(), 0.25)
    y = m(danlu.randn(2, 3, 2))
    y.sum().backward()
    assert m.weight.grad.shape == (3,)


def test_glu_odd_dim_error():
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
        danlu.nn.functional.glu(danlu.randn(2, 3), 1)


def test_inplace_variants():
    for name in ("relu", "elu", "leaky_relu", "hardtanh", "silu", "selu", "celu", "relu6", "hardswish",
                 "hardsigmoid", "mish"):
        x = danlu.tensor(_x("float32"))
        y = getattr(danlu.nn.functional, name)(x, inplace=True)
        xt = torch.tensor(_x("float32"))
        getattr(torch.nn.functional, name)(xt, inplace=True)
        assert y is x
        assert_close(x, xt)
    # in-place on a non-leaf keeps the graph
    a = danlu.tensor(_x("float64"), requires_grad=True)
    b = a * 2
    danlu.nn.functional.relu(b, inplace=True)
    b.sum().backward()
    at = torch.tensor(_x("float64"), requires_grad=True)
    bt = at * 2
    torch.nn.functional.relu(bt, inplace=True)
    bt.sum().backward()
    assert_close(a.grad, at.grad)


MODULES = [
    ("ReLU", ()), ("ReLU", (True,)), ("ReLU6", ()), ("ReLU6", (True,)), ("LeakyReLU", ()),
    ("LeakyReLU", (0.2, True)), ("ELU", ()), ("ELU", (0.5, True)), ("SELU", ()), ("CELU", (2.0,)),
    ("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("SiLU", (True,)), ("Mish", ()), ("Sigmoid", ()),
    ("Tanh", ()), ("Hardtanh", ()), ("Hardtanh", (-2.0, 3.0)), ("Hardsigmoid", ()), ("Hardswish", ()),
    ("Softplus", ()), ("Softplus", (2.0, 10.0)), ("Softsign", ()), ("LogSigmoid", ()),
    ("Threshold", (0.1, 20.0)), ("Tanhshrink", ()), ("Softshrink", ()), ("Hardshrink", (0.3,)),
    ("Softmax", (1,)), ("LogSoftmax", (1,)), ("Softmin", (1,)), ("Softmax", ()), ("GLU", (1,)),
    ("PReLU", ()), ("PReLU", (4,)), ("Softmax2d", ()),
]


@pytest.mark.parametrize("name,args", MODULES)
def test_module_repr_and_forward(name, args):
    md = getattr(dnn, name)(*args)
    mt = getattr(torch.nn, name)(*args)
    assert repr(md) == repr(mt)
    if "inplace" in repr(mt) and True in args:
        return
    x = _x("float32", (2, 4, 3, 2))
    if name == "Softmax" and not args:
        with pytest.warns(UserWarning):
            d, t = md(danlu.tensor(x)), mt(torch.tensor(x))
    else:
        d, t = md(danlu.tensor(x)), mt(torch.tensor(x))
    assert_close(d, t)


def test_activation_errors_on_integers():
    with pytest.raises(NotImplementedError):
        danlu.nn.functional.softmax(danlu.tensor([1, 2]), 0)
    with pytest.raises(RuntimeError, match="approximate argument"):
        danlu.nn.functional.gelu(danlu.randn(2), approximate="fast")
