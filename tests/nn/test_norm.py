"""Normalisation layers against torch: values, input/weight grads, running stats, reprs, lazy."""
import numpy as np
import pytest
import torch

import danlu
import danlu.nn as dnn
from danlu.autograd import gradcheck, gradgradcheck
from tests._oracle import assert_close, compare_fn

rng = np.random.default_rng(0)


def _r(*shape, dtype="float64"):
    return (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)


def _F(lib):
    return lib.nn.functional


def _copy_params(md, mt):
    for (n, p) in mt.named_parameters():
        getattr(md, n).data = danlu.tensor(p.detach().numpy().copy())


def _run_pair(md, mt, x, steps=3):
    """Forward/backward a few steps in both; compare outputs, grads, buffers."""
    for _ in range(steps):
        xd = danlu.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        yd, yt = md(xd), mt(xt)
        assert_close(yd, yt)
        w = rng.standard_normal(yt.shape).astype(x.dtype)
        (yd * danlu.tensor(w)).sum().backward()
        (yt * torch.tensor(w)).sum().backward()
        assert_close(xd.grad, xt.grad)
        for (n, p) in mt.named_parameters():
            assert_close(getattr(md, n).grad, p.grad)
        for (n, b) in mt.named_buffers():
            assert_close(getattr(md, n), b)
        x = x * 1.1 + 0.1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (5, 3)), ("BatchNorm1d", (4, 3, 6)),
                                       ("BatchNorm2d", (3, 3, 4, 5)), ("BatchNorm3d", (2, 3, 2, 3, 2))])
@pytest.mark.parametrize("opts", [{}, {"momentum": None}, {"affine": False}, {"track_running_stats": False},
                                  {"momentum": 0.3, "eps": 1e-3}])
def test_batchnorm_train_eval(dtype, cls, shape, opts):
    md, mt = getattr(dnn, cls)(3, **opts), getattr(torch.nn, cls)(3, **opts)
    if dtype == "float64":
        md, mt = md.double(), mt.double()
    if mt.weight is not None:
        with torch.no_grad():
            mt.weight.uniform_(0.5, 1.5)
            mt.bias.uniform_(-1, 1)
        _copy_params(md, mt)
    x = _r(*shape, dtype=dtype)
    _run_pair(md, mt, x)
    md.eval()
    mt.eval()
    _run_pair(md, mt, x, steps=1)
    assert repr(md) == repr(mt)
    assert list(md.state_dict()) == list(mt.state_dict())
    if mt.num_batches_tracked is not None:
        assert int(md.num_batches_tracked) == int(mt.num_batches_tracked) == 3


def test_batchnorm_errors_and_functional():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        dnn.BatchNorm1d(3)(danlu.rand(1, 3))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        dnn.BatchNorm2d(3)(danlu.rand(1, 3))
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        danlu.nn.functional.batch_norm(danlu.rand(2, 4), danlu.zeros(3), danlu.ones(3))
    rm, rv = np.zeros(3), np.ones(3)
    compare_fn(lambda lib, x, w, b: _F(lib).batch_norm(x, _t(lib, rm), _t(lib, rv), w, b, training=True),
               _r(4, 3, 2), _r(3), _r(3))
    compare_fn(lambda lib, x, w, b: _F(lib).batch_norm(x, _t(lib, rm + 0.3), _t(lib, rv * 2), w, b),
               _r(4, 3, 2), _r(3), _r(3))


def _t(lib, a):
    return lib.tensor(np.asarray(a))


def test_batchnorm_gradcheck_double_backward():
    F = danlu.nn.functional
    x = danlu.tensor(_r(4, 3, 2), requires_grad=True)
    w = danlu.tensor(_r(3), requires_grad=True)
    b = danlu.tensor(_r(3), requires_grad=True)
    f = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)  # noqa: E731
    assert gradcheck(f, (x, w, b))
    assert gradgradcheck(f, (x, w, b))
    assert gradgradcheck(lambda x: F.layer_norm(x, (3, 2)), (x,))
    assert gradgradcheck(lambda x: F.group_norm(x, 3), (x,))


def test_lazy_batchnorm():
    for cls, shape in (("LazyBatchNorm1d", (4, 5)), ("LazyBatchNorm2d", (2, 5, 3, 3))):
        m = getattr(dnn, cls)()
        assert m.has_uninitialized_params()
        y = m(danlu.tensor(_r(*shape, dtype="float32")))
        assert type(m).__name__ == cls.replace("Lazy", "")
        assert m.num_features == 5 and m.weight.shape == (5,) and m.running_mean.shape == (5,)
        mt = getattr(torch.nn, cls.replace("Lazy", ""))(5)
        assert list(m.state_dict()) == list(mt.state_dict())
        assert y.shape == shape


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("opts", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-3}])
@pytest.mark.parametrize("ns,shape", [(4, (3, 4)), ((3, 4), (2, 3, 4)), ([2, 3, 4], (2, 2, 3, 4))])
def test_layer_norm(dtype, opts, ns, shape):
    md, mt = dnn.LayerNorm(ns, **opts), torch.nn.LayerNorm(ns, **opts)
    if dtype == "float64":
        md, mt = md.double(), mt.double()
    with torch.no_grad():
        for p in mt.parameters():
            p.uniform_(-1, 1)
    _copy_params(md, mt)
    _run_pair(md, mt, _r(*shape, dtype=dtype), steps=1)
    assert repr(md) == repr(mt)


def test_layer_norm_errors():
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[5\], expected input with shape \[\*, 5\], "
                                           r"but got input of size\[3, 4\]"):
        danlu.nn.functional.layer_norm(danlu.randn(3, 4), (5,))
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be divisible by num_groups"):
        danlu.nn.functional.group_norm(danlu.randn(3, 4), 3)
    with pytest.raises(ValueError, match="must be divisible by num_groups"):
        dnn.GroupNorm(3, 4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("g,affine", [(1, True), (2, True), (4, False)])
def test_group_norm(dtype, g, affine):
    md, mt = dnn.GroupNorm(g, 4, affine=affine), torch.nn.GroupNorm(g, 4, affine=affine)
    if dtype == "float64":
        md, mt = md.double(), mt.double()
    with torch.no_grad():
        for p in mt.parameters():
            p.uniform_(-1, 1)
    _copy_params(md, mt)
    _run_pair(md, mt, _r(3, 4, 3, 2, dtype=dtype), steps=1)
    if g < 4:  # one element per group: torch's gradient is float noise around 0
        _run_pair(md, mt, _r(3, 4, dtype=dtype), steps=1)
    assert repr(md) == repr(mt)


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (3, 4, 5)), ("InstanceNorm2d", (2, 4, 3, 3)),
                                       ("InstanceNorm2d", (4, 3, 3)), ("InstanceNorm3d", (2, 4, 2, 2, 3))])
@pytest.mark.parametrize("opts", [{}, {"affine": True}, {"track_running_stats": True},
                                  {"affine": True, "track_running_stats": True, "momentum": 0.3}])
def test_instance_norm(cls, shape, opts):
    md, mt = getattr(dnn, cls)(4, **opts).double(), getattr(torch.nn, cls)(4, **opts).double()
    with torch.no_grad():
        for p in mt.parameters():
            p.uniform_(-1, 1)
    _copy_params(md, mt)
    x = _r(*shape)
    _run_pair(md, mt, x, steps=2)
    md.eval()
    mt.eval()
    _run_pair(md, mt, x, steps=1)
    assert repr(md) == repr(mt)
    assert list(md.state_dict()) == list(mt.state_dict())


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_local_response_norm(size):
    for shape in ((2, 6, 3), (2, 6, 3, 4), (1, 4, 2, 2, 2)):
        compare_fn(lambda lib, x: _F(lib).local_response_norm(x, size, alpha=0.1, beta=0.6, k=2.0), _r(*shape))
    md, mt = dnn.LocalResponseNorm(size), torch.nn.LocalResponseNorm(size)
    assert repr(md) == repr(mt)
    x = _r(2, 6, 3, dtype="float32")
    assert_close(md(danlu.tensor(x)), mt(torch.tensor(x)))


def test_rms_norm():
    for eps in (None, 1e-3):
        md, mt = dnn.RMSNorm((3, 2), eps=eps).double(), torch.nn.RMSNorm((3, 2), eps=eps).double()
        with torch.no_grad():
            mt.weight.uniform_(-1, 1)
        _copy_params(md, mt)
        _run_pair(md, mt, _r(4, 3, 2), steps=1)
        assert repr(md) == repr(mt)
