"""Losses (F and modules) against torch: values, input/weight gradients, option grids, errors."""
import numpy as np
import pytest
import torch

import danlu
import danlu.nn as dnn
from danlu.autograd import gradcheck, gradgradcheck
from tests._oracle import assert_close, compare_fn

RED = ["none", "mean", "sum"]
rng = np.random.default_rng(0)


def _F(lib):
    return lib.nn.functional


def _r(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


def _lib_t(lib, arr):
    return lib.tensor(np.asarray(arr))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("red", RED)
def test_regression_losses(dtype, red):
    x, y = _r(3, 4, dtype=dtype), _r(3, 4, dtype=dtype)
    w = np.abs(_r(3, 4, dtype=dtype))
    for name, kw in (("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
                     ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {"delta": 0.7})):
        compare_fn(lambda lib, a, b: getattr(_F(lib), name)(a, b, reduction=red, **kw), x, y)
    for name in ("mse_loss", "l1_loss", "huber_loss"):
        compare_fn(lambda lib, a, b, c: getattr(_F(lib), name)(a, b, reduction=red, weight=c), x, y, w)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("red", RED)
@pytest.mark.parametrize("ls", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_indices(dtype, red, ls, weighted):
    x = _r(5, 4, dtype=dtype) * 3
    t = np.array([0, 3, 1, 1, 2])
    w = np.array([0.5, 1.0, 2.0, 0.3], dtype=dtype)
    for ig in (-100, 1):
        def fn(lib, a):
            return _F(lib).cross_entropy(a, _lib_t(lib, t), weight=_lib_t(lib, w) if weighted else None,
                                         ignore_index=ig, reduction=red, label_smoothing=ls)
        compare_fn(fn, x)


@pytest.mark.parametrize("red", RED)
def test_cross_entropy_kdim_and_unbatched(red):
    x = _r(2, 3, 4, 5) * 2
    t = rng.integers(0, 3, size=(2, 4, 5))
    t[0, 0, 0] = -100
    w = np.array([0.2, 1.0, 3.0])
    compare_fn(lambda lib, a: _F(lib).cross_entropy(a, _lib_t(lib, t), weight=_lib_t(lib, w), reduction=red,
                                                    label_smoothing=0.1), x)
    compare_fn(lambda lib, a: _F(lib).nll_loss(_F(lib).log_softmax(a, 1), _lib_t(lib, t), reduction=red), x)
    compare_fn(lambda lib, a: _F(lib).cross_entropy(a, _lib_t(lib, np.array(2)), reduction=red), _r(4))
    compare_fn(lambda lib, a: _F(lib).nll_loss(a, _lib_t(lib, np.array(1)), reduction=red), _r(4))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("red", RED)
def test_cross_entropy_probabilities(dtype, red):
    x = _r(4, 3, dtype=dtype)
    p = np.abs(_r(4, 3, dtype=dtype))
    p /= p.sum(1, keepdims=True)
    w = np.array([0.5, 1.0, 2.0], dtype=dtype)
    compare_fn(lambda lib, a, b: _F(lib).cross_entropy(a, b, reduction=red), x, p)
    compare_fn(lambda lib, a, b: _F(lib).cross_entropy(a, b, weight=_lib_t(lib, w), reduction=red,
                                                       label_smoothing=0.3), x, p)
    # K-dim probabilities
    x3, p3 = _r(2, 3, 4, dtype=dtype), np.abs(_r(2, 3, 4, dtype=dtype))
    compare_fn(lambda lib, a, b: _F(lib).cross_entropy(a, b, reduction=red), x3, p3)


@pytest.mark.parametrize("red", RED)
def test_nll_loss_options(red):
    x = _r(6, 4)
    t = np.array([0, 3, 1, 1, 2, 3])
    w = np.array([0.5, 1.0, 2.0, 0.3])
    for ig in (-100, 3):
        compare_fn(lambda lib, a: _F(lib).nll_loss(a, _lib_t(lib, t), weight=_lib_t(lib, w), ignore_index=ig,
                                                   reduction=red), x)


def test_cross_entropy_large_logits_stable():
    x = np.array([[1e4, 0.0, -1e4], [-5e3, 5e3, 0.0]], dtype=np.float32)
    compare_fn(lambda lib, a: _F(lib).cross_entropy(a, _lib_t(lib, [1, 1])), x)


def test_cross_entropy_errors():
    F = danlu.nn.functional
    x = danlu.randn(3, 4)
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        F.cross_entropy(x, danlu.tensor([1, 2, 5]))
    with pytest.raises(IndexError, match="Target -3 is out of bounds."):
        F.cross_entropy(x, danlu.tensor([-3, 1, 2]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)."):
        F.cross_entropy(x, danlu.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        F.cross_entropy(x, danlu.randn(3, 5))
    with pytest.raises(RuntimeError, match="Expected floating point type for target with class probabilities, got Long"):
        F.cross_entropy(x, danlu.zeros(3, 4, dtype=danlu.int64))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 5\], got \[2, 4\]"):
        F.cross_entropy(danlu.randn(2, 4, 5), danlu.zeros(2, 4, dtype=danlu.int64))
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        F.nll_loss(x, danlu.tensor([1, 2, 5]))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.cross_entropy(x, danlu.tensor([1, 2, 3]), reduction="foo")
    for dt, name in ((danlu.float32, "Float"), (danlu.int32, "Int"), (danlu.bool, "Bool")):
        for fn in (F.cross_entropy, F.nll_loss):
            with pytest.raises(RuntimeError, match=f"expected target dtype to be Long or Byte, but got {name}"):
                fn(x, danlu.tensor([1, 0, 1]).to(dt))
    for lib in (danlu, torch):  # Byte targets are accepted, as in torch
        xb = lib.from_numpy(np.arange(12.0, dtype=np.float32).reshape(3, 4) / 5)
        assert abs(lib.nn.functional.cross_entropy(xb, lib.tensor([1, 0, 3], dtype=lib.uint8)).item()
                   - 1.44448757) < 1e-5


@pytest.mark.parametrize("red", RED)
def test_binary_losses(red):
    x = 1 / (1 + np.exp(-_r(3, 4)))
    t = rng.uniform(size=(3, 4))
    w = np.abs(_r(3, 4))
    pw = np.abs(_r(4))
    compare_fn(lambda lib, a: _F(lib).binary_cross_entropy(a, _lib_t(lib, t), weight=_lib_t(lib, w),
                                                        reduction=red), x)
    z = _r(3, 4) * 5
    compare_fn(lambda lib, a, b: _F(lib).binary_cross_entropy_with_logits(a, b, reduction=red), z, t)
    compare_fn(lambda lib, a, b: _F(lib).binary_cross_entropy_with_logits(
        a, b, weight=_lib_t(lib, w), pos_weight=_lib_t(lib, pw), reduction=red), z, t)
    y = np.sign(_r(3, 4))
    compare_fn(lambda lib, a: _F(lib).soft_margin_loss(a, _lib_t(lib, y), reduction=red), z)
    compare_fn(lambda lib, a, c: _F(lib).multilabel_soft_margin_loss(a, _lib_t(lib, (t > .5) * 1.0),
                                                                     weight=c, reduction=red), z, pw)


def test_bce_saturated_and_errors():
    x = np.array([0.0, 1.0, 1.0, 0.5, 1e-30])
    t = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    compare_fn(lambda lib, a: _F(lib).binary_cross_entropy(a, _lib_t(lib, t)), x)
    z = np.array([100.0, -100.0, 30.0, -1e4], dtype=np.float32)
    compare_fn(lambda lib, a: _F(lib).binary_cross_entropy_with_logits(a, _lib_t(lib, np.float32([1, 0, 0, 1]))), z)
    F = danlu.nn.functional
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(danlu.rand(3) + 1, danlu.rand(3))
    with pytest.raises(ValueError, match="Please ensure they have the same size"):
        F.binary_cross_entropy(danlu.rand(3), danlu.rand(3, 1))


@pytest.mark.parametrize("red", ["none", "mean", "sum", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(red, log_target):
    x = np.log(np.abs(_r(3, 4)) + 0.1)
    t = np.abs(_r(3, 4))
    t[0, 0] = 0.0
    if log_target:
        t = np.log(t + 0.1)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare_fn(lambda lib, a, b: _F(lib).kl_div(a, b, reduction=red, log_target=log_target), x, t)


@pytest.mark.parametrize("red", RED)
def test_other_losses(red):
    x, y = _r(4, 5), _r(4, 5)
    lab = np.sign(_r(4))
    F = _F
    compare_fn(lambda lib, a: F(lib).poisson_nll_loss(a, _lib_t(lib, np.abs(y) * 3), reduction=red), x)
    compare_fn(lambda lib, a: F(lib).poisson_nll_loss(a.abs() + 0.1, _lib_t(lib, np.abs(y) * 3),
                                                      log_input=False, full=True, reduction=red), x)
    compare_fn(lambda lib, a, b, v: F(lib).gaussian_nll_loss(a, b, v, reduction=red), x, y, np.abs(x) + 0.01)
    compare_fn(lambda lib, a, b, v: F(lib).gaussian_nll_loss(a, b, v, full=True, eps=0.5, reduction=red),
               x, y, np.abs(_r(4, 1)))
    compare_fn(lambda lib, a, b, v: F(lib).gaussian_nll_loss(a, b, v, reduction=red), x, y, np.abs(_r(4)) + .1)
    compare_fn(lambda lib, a: F(lib).hinge_embedding_loss(a, _lib_t(lib, np.sign(y)), margin=0.5,
                                                          reduction=red), x)
    t = np.array([0, 4, 2, 2])
    wc = np.abs(_r(5))
    for p in (1, 2):
        compare_fn(lambda lib, a: F(lib).multi_margin_loss(a, _lib_t(lib, t), p=p, margin=0.7,
                                                           weight=_lib_t(lib, wc), reduction=red), x)
    compare_fn(lambda lib, a: F(lib).multi_margin_loss(a, _lib_t(lib, np.array(1)), reduction=red), _r(5))
    compare_fn(lambda lib, a, b: F(lib).margin_ranking_loss(a, b, _lib_t(lib, lab), margin=0.2, reduction=red),
               _r(4), _r(4))
    compare_fn(lambda lib, a, b: F(lib).cosine_embedding_loss(a, b, _lib_t(lib, lab), margin=0.1,
                                                              reduction=red), x, y)
    for swap in (False, True):
        for p in (1.0, 2.0):
            compare_fn(lambda lib, a, b, c: F(lib).triplet_margin_loss(a, b, c, margin=0.5, p=p, swap=swap,
                                                                       reduction=red), x, y, _r(4, 5))


def test_distances():
    x, y = _r(4, 5), _r(4, 5)
    compare_fn(lambda lib, a: _F(lib).normalize(a), x)
    compare_fn(lambda lib, a: _F(lib).normalize(a, p=1.0, dim=0), x)
    compare_fn(lambda lib, a, b: _F(lib).cosine_similarity(a, b), x, y)
    compare_fn(lambda lib, a, b: _F(lib).cosine_similarity(a, b, dim=-1), _r(3, 1, 5), _r(1, 4, 5))
    compare_fn(lambda lib, a, b: _F(lib).pairwise_distance(a, b), x, y)
    compare_fn(lambda lib, a, b: _F(lib).pairwise_distance(a, b, p=1.0, keepdim=True), x, y)


def test_loss_gradcheck_and_double_backward():
    F = danlu.nn.functional
    x = danlu.tensor(_r(4, 3), requires_grad=True)
    t = danlu.tensor([0, 2, 1, 2])
    w = danlu.tensor([0.5, 1.0, 2.0])
    assert gradcheck(lambda a: F.cross_entropy(a, t, weight=w, label_smoothing=0.2), (x,))
    assert gradgradcheck(lambda a: F.cross_entropy(a, t, weight=w, label_smoothing=0.2), (x,))
    assert gradgradcheck(lambda a: F.cross_entropy(a, t, reduction="none"), (x,))
    assert gradgradcheck(lambda a: F.nll_loss(F.log_softmax(a, 1), t), (x,))
    p = danlu.tensor(np.abs(_r(4, 3)))
    assert gradgradcheck(lambda a: F.cross_entropy(a, p), (x,))
    y = danlu.tensor(_r(4, 3), requires_grad=True)
    for fn in (F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.soft_margin_loss,
               F.binary_cross_entropy_with_logits):
        assert gradcheck(lambda a: fn(a, y.detach().sign() if fn is F.soft_margin_loss else y.detach().abs()), (x,))
    assert gradgradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b.sigmoid()), (x, y))
    assert gradgradcheck(lambda a: F.binary_cross_entropy(a.sigmoid(), y.detach().sigmoid()), (x,))
    assert gradcheck(lambda a, b: F.triplet_margin_loss(a, b, b * 2), (x, y))
    assert gradcheck(lambda a, b: F.kl_div(a, b.abs(), reduction="batchmean"), (x, y))


MODS = [("L1Loss", ()), ("MSELoss", ()), ("SmoothL1Loss", ()), ("HuberLoss", ()), ("NLLLoss", ()),
        ("CrossEntropyLoss", ()), ("BCELoss", ()), ("BCEWithLogitsLoss", ()), ("KLDivLoss", ()),
        ("PoissonNLLLoss", ()), ("GaussianNLLLoss", ()), ("HingeEmbeddingLoss", ()), ("MultiMarginLoss", ()),
        ("MultiLabelSoftMarginLoss", ()), ("SoftMarginLoss", ()), ("MarginRankingLoss", ()),
        ("CosineEmbeddingLoss", ()), ("TripletMarginLoss", ()), ("CosineSimilarity", ()),
        ("PairwiseDistance", ())]


@pytest.mark.parametrize("name,args", MODS)
def test_loss_module_repr(name, args):
    assert repr(getattr(dnn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_loss_modules_forward_and_state_dict():
    x = _r(4, 3)
    t = np.array([0, 2, 1, 2])
    w = np.array([0.5, 1.0, 2.0])
    for red in RED:
        d = dnn.CrossEntropyLoss(weight=danlu.tensor(w), ignore_index=1, reduction=red, label_smoothing=0.1)
        tt = torch.nn.CrossEntropyLoss(weight=torch.tensor(w), ignore_index=1, reduction=red, label_smoothing=0.1)
        assert_close(d(danlu.tensor(x), danlu.tensor(t)), tt(torch.tensor(x), torch.tensor(t)))
    d = dnn.BCEWithLogitsLoss(pos_weight=danlu.ones(3))
    tt = torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(3))
    assert list(d.state_dict()) == list(tt.state_dict())
    assert list(dnn.NLLLoss(weight=danlu.ones(3)).state_dict()) == ["weight"]
    assert list(dnn.CrossEntropyLoss().state_dict()) == []
    assert dnn.MSELoss(size_average=False).reduction == "sum"
