"""The remaining torch.nn gaps, each against torch: RReLU, MultiLabelMarginLoss,
TripletMarginWithDistanceLoss, CTCLoss, CrossMapLRN2d, LPPool3d, pdist, gumbel_softmax,
spectral_norm (hook and parametrization), conv/linear-BN fusion, skip_init and
AdaptiveLogSoftmaxWithLoss."""

import numpy as np
import pytest
import torch

import danlu
from danlu import nn
from danlu.autograd import gradcheck
from danlu.nn import functional as F
from tests._oracle import assert_close, compare_fn, to_danlu, to_torch

FLOATS = [np.float64, np.float32]


def _rand(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _copy_params(dst, src) -> None:
    """Copy a torch module's parameters and buffers into the danlu module of the same layout."""
    sd = {k: danlu.tensor(v.detach().numpy().copy()) for k, v in src.state_dict().items()}
    dst.load_state_dict(sd)


# ------------------------------------------------------------------------------------------
# RReLU
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
def test_rrelu_eval_equals_torch(dtype):
    x = _rand((4, 5), dtype)
    x[0, 0] = 0.0
    compare_fn(lambda lib, a: lib.nn.functional.rrelu(a, 0.1, 0.3, training=False), x)
    compare_fn(lambda lib, a: lib.nn.functional.rrelu(a), x)
    m, mt = nn.RReLU(0.2, 0.4).eval(), torch.nn.RReLU(0.2, 0.4).eval()
    compare_fn(lambda lib, a: (m if lib is danlu else mt)(a), x)
    assert repr(m) == repr(mt) and repr(nn.RReLU(inplace=True)) == repr(torch.nn.RReLU(inplace=True))


@pytest.mark.parametrize("dtype", FLOATS)
def test_rrelu_training_samples_slopes(dtype):
    lower, upper = 0.1, 0.3
    x = danlu.tensor(-np.abs(_rand((200, 50), dtype)) - 0.01, requires_grad=True)
    y = F.rrelu(x, lower, upper, training=True)
    slope = (y / x).detach().numpy()
    assert slope.dtype == dtype
    assert slope.min() >= lower and slope.max() <= upper
    # U(lower, upper): mean (l+u)/2, variance (u-l)^2/12
    assert abs(slope.mean() - 0.2) < 3e-3
    assert abs(slope.var() - (upper - lower) ** 2 / 12) < 2e-4
    assert np.histogram(slope, bins=4, range=(lower, upper))[0].min() > 2300
    (g,) = danlu.autograd.grad(y.sum(), x)
    np.testing.assert_allclose(g.numpy(), slope, rtol=1e-6)
    # positive part is the identity, zero takes a random slope (gradient = the slope)
    z = danlu.tensor(np.array([2.0, 0.0, -1.0], dtype), requires_grad=True)
    out = nn.RReLU(lower, upper)(z)
    (gz,) = danlu.autograd.grad(out.sum(), z)
    assert float(out[0]) == 2.0 and float(gz[0]) == 1.0
    assert lower <= float(gz[1]) <= upper and float(gz[2]) == -float(out[2])


def test_rrelu_inplace_and_errors():
    x = danlu.tensor([-1.0, 2.0])
    F.rrelu_(x, 0.2, 0.2, training=True)
    assert x.tolist() == pytest.approx([-0.2, 2.0])
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
        F.rrelu(x, 0.5, 0.1)
    danlu.manual_seed(3)
    a = F.rrelu(danlu.tensor(-np.ones(5)), training=True)
    danlu.manual_seed(3)
    assert a.tolist() == F.rrelu(danlu.tensor(-np.ones(5)), training=True).tolist()


def test_rrelu_gradcheck():
    x = danlu.tensor(_rand((3, 4)), requires_grad=True)
    assert gradcheck(lambda a: F.rrelu(a, 0.1, 0.4), (x,))


# ------------------------------------------------------------------------------------------
# MultiLabelMarginLoss
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multilabel_margin_loss(dtype, reduction):
    x = _rand((4, 5), dtype)
    t = np.array([[3, 0, -1, 1, 2], [1, 2, 3, 4, 0], [-1, 1, 2, 0, 0], [4, 4, -1, 0, 0]])
    compare_fn(lambda lib, a, b: lib.nn.functional.multilabel_margin_loss(a, b, reduction=reduction),
               x, t)
    compare_fn(lambda lib, a, b: lib.nn.functional.multilabel_margin_loss(a, b, reduction=reduction),
               x[0], t[0])
    m, mt = nn.MultiLabelMarginLoss(reduction=reduction), torch.nn.MultiLabelMarginLoss(reduction=reduction)
    compare_fn(lambda lib, a, b: (m if lib is danlu else mt)(a, b), x, t)


def test_multilabel_margin_loss_errors_and_gradcheck():
    x = danlu.tensor(_rand((2, 4)), requires_grad=True)
    t = danlu.tensor([[3, 0, -1, 1], [1, 2, 3, -1]])
    assert gradcheck(lambda a: F.multilabel_margin_loss(a, t), (x,))
    with pytest.raises(RuntimeError, match="'target' is out of range"):
        F.multilabel_margin_loss(x, danlu.tensor([[4, 0, -1, 1], [1, 2, 3, -1]]))
    with pytest.raises(RuntimeError, match="inconsistent target size"):
        F.multilabel_margin_loss(x, danlu.tensor([[3, 0, -1]]))
    with pytest.raises(RuntimeError, match="Expected non-empty vector or matrix"):
        F.multilabel_margin_loss(danlu.zeros(2, 4, 3), danlu.zeros(2, 4, 3).long())


# ------------------------------------------------------------------------------------------
# TripletMarginWithDistanceLoss
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_triplet_margin_with_distance_loss(dtype, swap, reduction):
    a, p, n = _rand((5, 3), dtype, 1), _rand((5, 3), dtype, 2), _rand((5, 3), dtype, 3)

    def fn(lib, x, y, z):
        return lib.nn.functional.triplet_margin_with_distance_loss(
            x, y, z, margin=1.5, swap=swap, reduction=reduction)
    compare_fn(fn, a, p, n)

    def cos_fn(lib, x, y, z):
        dist = lambda u, v: 1.0 - lib.nn.functional.cosine_similarity(u, v)  # noqa: E731
        m = (nn if lib is danlu else torch.nn).TripletMarginWithDistanceLoss(
            distance_function=dist, margin=0.5, swap=swap, reduction=reduction)
        return m(x, y, z)
    compare_fn(cos_fn, a, p, n)


def test_triplet_margin_with_distance_errors():
    x = danlu.tensor(_rand((3, 2)), requires_grad=True)
    y, z = danlu.tensor(_rand((3, 2), seed=1)), danlu.tensor(_rand((3, 2), seed=2))
    assert gradcheck(lambda a: F.triplet_margin_with_distance_loss(a, y, z, swap=True), (x,))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_with_distance_loss(x, y, z, margin=0.0)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.triplet_margin_with_distance_loss(x, y[0], z)
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=-1.0)
    assert repr(nn.TripletMarginWithDistanceLoss()) == repr(torch.nn.TripletMarginWithDistanceLoss())


# ------------------------------------------------------------------------------------------
# CTC
# ------------------------------------------------------------------------------------------
def _ctc_case(dtype, seed=0):
    rng = np.random.default_rng(seed)
    T, N, C = 7, 4, 5
    logits = rng.standard_normal((T, N, C)).astype(dtype)
    lp = torch.from_numpy(logits).log_softmax(2).numpy()
    # repeated labels (need a blank between), an empty target, an impossible one (too long)
    targets = np.array([[1, 1, 2, 3], [3, 4, 0, 0], [2, 0, 0, 0], [1, 2, 3, 4]])
    return lp, targets, (7, 5, 6, 3), (3, 2, 0, 4)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_padded(dtype, reduction, zero_infinity):
    lp, tg, il, tl = _ctc_case(dtype)
    if not zero_infinity:
        il = (7, 5, 6, 6)  # finite everywhere (inf gives nan gradients, in torch too)

    def fn(lib, x, y):
        return lib.nn.functional.ctc_loss(x, y, il, tl, blank=0, reduction=reduction,
                                          zero_infinity=zero_infinity)
    compare_fn(fn, lp, tg)


@pytest.mark.parametrize("dtype", FLOATS)
def test_ctc_loss_concatenated_tensor_lengths_and_blank(dtype):
    lp, tg, _, tl = _ctc_case(dtype, seed=1)
    il = np.array([7, 6, 4, 7])
    tl = np.array(tl)
    flat = np.concatenate([tg[n, :tl[n]] for n in range(4)]) % 4 + 1  # labels 1..4, blank 0 ...
    flat = np.where(flat == 2, 0, flat)  # ... and here blank=2 with label 0 in use

    def fn(lib, x, y, a, b):
        return lib.nn.functional.ctc_loss(x, y, a, b, blank=2, reduction="none")
    compare_fn(fn, lp, flat, il, tl)
    m, mt = nn.CTCLoss(blank=2), torch.nn.CTCLoss(blank=2)
    compare_fn(lambda lib, x, y, a, b: (m if lib is danlu else mt)(x, y, a, b), lp, flat, il, tl)


def test_ctc_loss_inf_and_unbatched():
    lp, tg, il, tl = _ctc_case(np.float64)
    out = F.ctc_loss(to_danlu(lp), to_danlu(tg), il, tl, reduction="none")
    ref = torch.nn.functional.ctc_loss(to_torch(lp), to_torch(tg), il, tl, reduction="none")
    assert_close(out, ref)
    assert np.isinf(out.numpy()[3])
    compare_fn(lambda lib, x, y: lib.nn.functional.ctc_loss(x, y, (6,), (3,)), lp[:, 0], tg[0, :3])
    compare_fn(lambda lib, x, y: lib.nn.functional.ctc_loss(
        x, y, lib.tensor(6), lib.tensor(3), reduction="none"), lp[:, 0], tg[0, :3])


def test_ctc_loss_gradcheck_through_log_softmax():
    # the gradient w.r.t. log_probs is torch's (exp(lp) - occupancy), which is the exact
    # gradient w.r.t. the logits once log_softmax is applied
    rng = np.random.default_rng(5)
    x = danlu.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    tg = danlu.tensor([[1, 1], [2, 0]])
    assert gradcheck(lambda a: F.ctc_loss(F.log_softmax(a, 2), tg, (4, 3), (2, 1)), (x,))
    assert gradcheck(lambda a: F.ctc_loss(F.log_softmax(a, 2), tg, (4, 3), (2, 1),
                                          reduction="none"), (x,))


def test_ctc_loss_errors():
    lp = danlu.zeros(3, 2, 4)
    tg = danlu.tensor([[1, 1, 2], [1, 2, 0]])
    with pytest.raises(RuntimeError, match="input_lengths to have value at most 3"):
        F.ctc_loss(lp, tg, (4, 3), (3, 2))
    with pytest.raises(RuntimeError, match="size at least 4 at dimension 1"):
        F.ctc_loss(lp, tg, (3, 3), (4, 1))
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F.ctc_loss(lp, tg, (3, 3), (3, 2), blank=4)
    with pytest.raises(RuntimeError, match="input_lengths must be of size batch_size"):
        F.ctc_loss(lp, tg, (3,), (3, 2))


# ------------------------------------------------------------------------------------------
# pdist, gumbel_softmax
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 3.5, float("inf")])
def test_pdist(dtype, p):
    x = _rand((5, 3), dtype)
    compare_fn(lambda lib, a: lib.nn.functional.pdist(a, p), x)


def test_pdist_gradcheck_and_errors():
    x = danlu.tensor(_rand((4, 3)), requires_grad=True)
    assert gradcheck(lambda a: F.pdist(a), (x,))
    assert gradcheck(lambda a: F.pdist(a, 1.5), (x,))
    assert F.pdist(danlu.zeros(1, 3)).shape == (0,)
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 3D"):
        F.pdist(danlu.zeros(2, 2, 2))


@pytest.mark.parametrize("dtype", FLOATS)
def test_gumbel_softmax_distribution(dtype):
    logits = np.log(np.array([0.1, 0.2, 0.7], dtype))
    x = danlu.tensor(np.tile(logits, (4000, 1)), requires_grad=True)
    y = F.gumbel_softmax(x, tau=0.5)
    assert y.dtype == x.dtype and y.shape == x.shape
    np.testing.assert_allclose(y.sum(-1).detach().numpy(), 1.0, rtol=1e-5)
    h = F.gumbel_softmax(x, hard=True)
    hv = h.detach().numpy()
    assert set(np.unique(hv)) <= {0.0, 1.0} and (hv.sum(-1) == 1).all()
    # argmax of logits + Gumbel noise samples the categorical distribution
    np.testing.assert_allclose(hv.mean(0), [0.1, 0.2, 0.7], atol=0.03)
    # straight-through: the hard sample's gradient is the soft sample's
    w = danlu.tensor(_rand((4000, 3), dtype))
    (gh,) = danlu.autograd.grad((h * w).sum(), x)
    assert np.abs(gh.numpy()).sum() > 0
    np.testing.assert_allclose(gh.numpy().sum(-1), 0.0, atol=1e-4)
    danlu.manual_seed(1)
    s1 = F.gumbel_softmax(x[:3], dim=0)
    danlu.manual_seed(1)
    h1 = F.gumbel_softmax(x[:3], dim=0, hard=True)
    assert (h1.argmax(0).numpy() == s1.argmax(0).numpy()).all()
    np.testing.assert_allclose(s1.sum(0).detach().numpy(), 1.0, rtol=1e-5)
    # with the noise fixed, the gradient equals torch's softmax((x + g) / tau) gradient
    danlu.manual_seed(2)
    ys = F.gumbel_softmax(x[:5], tau=0.7)
    (gs,) = danlu.autograd.grad((ys * w[:5]).sum(), x)
    xt = torch.tensor(x.detach().numpy()[:5], requires_grad=True)
    noise = np.log(ys.detach().numpy()) * 0.7 - logits  # (x + g)/tau up to a constant per row
    yt = ((xt + torch.tensor(noise - x.detach().numpy()[:5] + logits)) / 0.7).softmax(-1)
    (gt,) = torch.autograd.grad((yt * torch.tensor(w.numpy()[:5])).sum(), xt)
    np.testing.assert_allclose(gs.numpy()[:5], gt.numpy(), rtol=1e-3, atol=1e-4)


# ------------------------------------------------------------------------------------------
# CrossMapLRN2d, LPPool3d
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("size,channels", [(5, 8), (4, 7), (3, 3), (2, 4), (7, 4)])
def test_cross_map_lrn2d(dtype, size, channels):
    x = _rand((2, channels, 3, 2), dtype)
    m, mt = nn.CrossMapLRN2d(size, 0.7, 0.75, 1.5), torch.nn.CrossMapLRN2d(size, 0.7, 0.75, 1.5)
    compare_fn(lambda lib, a: (m if lib is danlu else mt)(a), x)
    assert repr(m) == repr(mt)


def test_cross_map_lrn2d_defaults_and_errors():
    x = _rand((1, 6, 2, 2)) * 30
    compare_fn(lambda lib, a: (nn if lib is danlu else torch.nn).CrossMapLRN2d(3)(a), x)
    with pytest.raises(ValueError, match="Expected input to be 4D, got 3D instead"):
        nn.CrossMapLRN2d(3)(danlu.zeros(6, 2, 2))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("norm_type,kernel,stride,ceil", [(2.0, 2, None, False), (3.0, (2, 1, 2), 1, False),
                                                          (1.5, 2, (1, 2, 2), True)])
def test_lp_pool3d(dtype, norm_type, kernel, stride, ceil):
    x = np.abs(_rand((2, 2, 4, 3, 5), dtype)) + 0.1
    compare_fn(lambda lib, a: lib.nn.functional.lp_pool3d(a, norm_type, kernel, stride, ceil), x)
    m = nn.LPPool3d(norm_type, kernel, stride, ceil)
    mt = torch.nn.LPPool3d(norm_type, kernel, stride, ceil)
    compare_fn(lambda lib, a: (m if lib is danlu else mt)(a), x)
    assert repr(m) == repr(mt)
    compare_fn(lambda lib, a: lib.nn.functional.lp_pool3d(a, norm_type, kernel, stride, ceil), x[0])


def test_lp_pool3d_gradcheck():
    x = danlu.tensor(np.abs(_rand((1, 1, 3, 3, 3))) + 0.2, requires_grad=True)
    assert gradcheck(lambda a: F.lp_pool3d(a, 2.0, 2, 1), (x,))


# ------------------------------------------------------------------------------------------
# spectral_norm (hook) and parametrizations.spectral_norm
# ------------------------------------------------------------------------------------------
def _pair(make_d, make_t, dtype):
    mt = make_t().to(getattr(torch, np.dtype(dtype).name))
    md = make_d().to(getattr(danlu, np.dtype(dtype).name))
    _copy_params(md, mt)
    return md, mt


SN_CASES = [
    (lambda lib: lib.nn.Linear(4, 3), (5, 4), None),
    (lambda lib: lib.nn.Conv2d(2, 3, 2), (2, 2, 4, 4), None),
    (lambda lib: lib.nn.ConvTranspose2d(2, 3, 2), (2, 2, 3, 3), None),
    (lambda lib: lib.nn.Conv1d(2, 4, 3), (2, 2, 5), 1),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", range(len(SN_CASES)))
def test_spectral_norm_hook(dtype, case):
    make, shape, dim = SN_CASES[case]
    md, mt = _pair(lambda: make(danlu), lambda: make(torch), dtype)
    torch.nn.utils.spectral_norm(mt, n_power_iterations=2, eps=1e-10, dim=dim)
    nn.utils.spectral_norm(md, n_power_iterations=2, eps=1e-10, dim=dim)
    assert list(md.state_dict()) == list(mt.state_dict())
    md.weight_u.copy_(to_danlu(mt.weight_u.numpy()))
    md.weight_v.copy_(to_danlu(mt.weight_v.numpy()))
    x = _rand(shape, dtype)
    for step in range(3):  # the u/v buffers follow torch's power iteration in training
        if step == 2:
            md.eval()
            mt.eval()
        compare_fn(lambda lib, a: (md if lib is danlu else mt)(a), x)
        assert_close(md.weight_u, mt.weight_u)
        assert_close(md.weight_v, mt.weight_v)
    # gradient w.r.t. weight_orig (through sigma)
    md.train()
    mt.train()
    yd, yt = md(to_danlu(x)), mt(to_torch(x))
    (gd,) = danlu.autograd.grad((yd * yd).sum(), md.weight_orig)
    (gt,) = torch.autograd.grad((yt * yt).sum(), mt.weight_orig)
    assert_close(gd, gt)
    nn.utils.remove_spectral_norm(md)
    torch.nn.utils.remove_spectral_norm(mt)
    assert list(md.state_dict()) == list(mt.state_dict())
    assert_close(md.weight, mt.weight)


def test_spectral_norm_hook_errors_and_gradcheck():
    m = nn.Linear(3, 2).double()
    nn.utils.spectral_norm(m)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(m)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        nn.utils.spectral_norm(nn.Linear(3, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="spectral_norm of 'bias' not found"):
        nn.utils.remove_spectral_norm(m, "bias")
    m.eval()
    x = danlu.tensor(_rand((2, 3)))
    # eval: the hook recomputes weight_orig / sigma(weight_orig) with u, v fixed
    assert gradcheck(lambda w: m(x), (m.weight_orig,))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("case", range(len(SN_CASES)))
def test_spectral_norm_parametrization(dtype, case):
    make, shape, dim = SN_CASES[case]
    md, mt = _pair(lambda: make(danlu), lambda: make(torch), dtype)
    torch.nn.utils.parametrizations.spectral_norm(mt, n_power_iterations=2, dim=dim)
    nn.utils.parametrizations.spectral_norm(md, n_power_iterations=2, dim=dim)
    assert list(md.state_dict()) == list(mt.state_dict())
    assert "parametrizations.weight.0._u" in md.state_dict()
    pd, pt = md.parametrizations.weight[0], mt.parametrizations.weight[0]
    pd._u.copy_(to_danlu(pt._u.numpy()))
    pd._v.copy_(to_danlu(pt._v.numpy()))
    x = _rand(shape, dtype)
    for step in range(3):
        if step == 2:
            md.eval()
            mt.eval()
        compare_fn(lambda lib, a: (md if lib is danlu else mt)(a), x)
        assert_close(pd._u, pt._u)
        assert_close(pd._v, pt._v)
    md.train()
    mt.train()
    od, ot = md.parametrizations.weight.original, mt.parametrizations.weight.original
    yd, yt = md(to_danlu(x)), mt(to_torch(x))
    assert_close(danlu.autograd.grad((yd * yd).sum(), od)[0],
                 torch.autograd.grad((yt * yt).sum(), ot)[0])
    # the constructor runs 15 power iterations: sigma is then close to the top singular value
    fresh = nn.utils.parametrizations.spectral_norm(make(danlu).double())
    mat = fresh.parametrizations.weight.original.detach().numpy()
    mat = np.moveaxis(mat, 1 if isinstance(fresh, nn.ConvTranspose2d) else 0, 0).reshape(mat.shape[
        1 if isinstance(fresh, nn.ConvTranspose2d) else 0], -1)
    fresh.eval()
    w = fresh.weight.detach().numpy()
    assert np.linalg.norm(np.moveaxis(w, 1 if isinstance(fresh, nn.ConvTranspose2d) else 0, 0)
                          .reshape(mat.shape), 2) == pytest.approx(1.0, rel=1e-2)


def test_spectral_norm_parametrization_1d_and_errors():
    m = nn.Linear(3, 4)
    nn.utils.parametrizations.spectral_norm(m, "bias")
    np.testing.assert_allclose(np.linalg.norm(m.bias.detach().numpy()), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'foo'"):
        nn.utils.parametrizations.spectral_norm(nn.Linear(3, 4), "foo")
    with pytest.raises(IndexError, match="Dimension out of range"):
        nn.utils.parametrizations.spectral_norm(nn.Linear(3, 4), dim=2)
    nn.utils.parametrize.remove_parametrizations(m, "bias")
    assert "bias" in dict(m.named_parameters())
    # eval: weight = original / sigma(original) with u, v fixed
    conv = nn.utils.parametrizations.spectral_norm(nn.Conv1d(2, 3, 2).double()).eval()
    x = danlu.tensor(_rand((1, 2, 4)))
    assert gradcheck(lambda w: conv(x), (conv.parametrizations.weight.original,))


# ------------------------------------------------------------------------------------------
# fusion, skip_init
# ------------------------------------------------------------------------------------------
def _bn_eval(bn_t, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        bn_t.running_mean.copy_(torch.tensor(rng.standard_normal(bn_t.num_features)))
        bn_t.running_var.copy_(torch.tensor(rng.uniform(0.5, 2.0, bn_t.num_features)))
        if bn_t.weight is not None:
            bn_t.weight.copy_(torch.tensor(rng.standard_normal(bn_t.num_features)))
            bn_t.bias.copy_(torch.tensor(rng.standard_normal(bn_t.num_features)))
    return bn_t.eval()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kind", ["conv2d", "conv1d_nobias", "convT2d", "bn_noaffine"])
def test_fuse_conv_bn_eval(dtype, kind):
    def make(lib):
        if kind == "conv2d":
            return lib.nn.Conv2d(2, 3, 3), lib.nn.BatchNorm2d(3), (2, 2, 5, 5), False
        if kind == "conv1d_nobias":
            return lib.nn.Conv1d(2, 3, 2, bias=False), lib.nn.BatchNorm1d(3), (2, 2, 5), False
        if kind == "convT2d":
            return lib.nn.ConvTranspose2d(2, 3, 2), lib.nn.BatchNorm2d(3), (2, 2, 3, 3), True
        return lib.nn.Conv2d(2, 3, 1), lib.nn.BatchNorm2d(3, affine=False), (1, 2, 3, 3), False
    ct, bt, shape, transpose = make(torch)
    cd, bd, _, _ = make(danlu)
    tdt, ddt = getattr(torch, np.dtype(dtype).name), getattr(danlu, np.dtype(dtype).name)
    ct, bt = ct.to(tdt).eval(), _bn_eval(bt.double(), 1).to(tdt)
    cd, bd = cd.to(ddt).eval(), bd.to(ddt).eval()
    _copy_params(cd, ct)
    _copy_params(bd, bt)
    fd = nn.utils.fuse_conv_bn_eval(cd, bd, transpose)
    ft = torch.nn.utils.fuse_conv_bn_eval(ct, bt, transpose)
    assert fd is not cd and isinstance(fd.weight, nn.Parameter)
    assert fd.bias.requires_grad == ft.bias.requires_grad
    assert_close(fd.weight, ft.weight)
    assert_close(fd.bias, ft.bias)
    x = _rand(shape, dtype)
    compare_fn(lambda lib, a: (fd if lib is danlu else ft)(a), x)
    assert_close(fd(to_danlu(x)), bd(cd(to_danlu(x))))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("features,bias", [(3, True), (1, False)])
def test_fuse_linear_bn_eval(dtype, features, bias):
    tdt, ddt = getattr(torch, np.dtype(dtype).name), getattr(danlu, np.dtype(dtype).name)
    lt = torch.nn.Linear(4, 3, bias=bias).to(tdt).eval()
    bt = _bn_eval(torch.nn.BatchNorm1d(features).double(), 2).to(tdt)
    ld, bd = nn.Linear(4, 3, bias=bias).to(ddt).eval(), nn.BatchNorm1d(features).to(ddt).eval()
    _copy_params(ld, lt)
    _copy_params(bd, bt)
    fd, ft = nn.utils.fuse_linear_bn_eval(ld, bd), torch.nn.utils.fuse_linear_bn_eval(lt, bt)
    assert_close(fd.weight, ft.weight)
    assert_close(fd.bias, ft.bias)
    compare_fn(lambda lib, a: (fd if lib is danlu else ft)(a), _rand((5, 4), dtype))
    w, b = nn.utils.fuse_linear_bn_weights(ld.weight, ld.bias, bd.running_mean, bd.running_var,
                                           bd.eps, bd.weight, bd.bias)
    assert_close(w, ft.weight)
    assert_close(b, ft.bias)


def test_fusion_errors():
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_conv_bn_eval(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3))
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_linear_bn_eval(nn.Linear(2, 3), nn.BatchNorm1d(3).eval())
    with pytest.raises(AssertionError, match="To fuse, linear.out_features == bn.num_features"):
        nn.utils.fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(2).eval())
    bn = nn.BatchNorm2d(3, track_running_stats=False).eval()
    with pytest.raises(AssertionError, match="running_var must not be None"):
        nn.utils.fuse_conv_bn_eval(nn.Conv2d(2, 3, 1).eval(), bn)
    w, b = nn.utils.fuse_conv_bn_weights(danlu.ones(3, 2, 1, 1), None, danlu.zeros(3), danlu.ones(3),
                                         0.0, None, None)
    assert w.tolist() == danlu.ones(3, 2, 1, 1).tolist() and b.tolist() == [0.0, 0.0, 0.0]


def test_skip_init():
    danlu.manual_seed(7)
    before = danlu.rand(3).tolist()
    danlu.manual_seed(7)
    m = nn.utils.skip_init(nn.Linear, 4, 3, bias=True)
    assert danlu.rand(3).tolist() == before  # no random numbers consumed
    assert isinstance(m, nn.Linear) and m.weight.shape == (3, 4) and m.bias.shape == (3,)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    m2 = nn.utils.skip_init(nn.Conv2d, 2, 3, 3, dtype=danlu.float64)
    assert m2.weight.dtype == danlu.float64 and m2.weight.shape == (3, 2, 3, 3)

    class NoDevice(nn.Module):
        def __init__(self, n):
            super().__init__()

    with pytest.raises(RuntimeError, match="Module must support a 'device' arg"):
        nn.utils.skip_init(NoDevice, 3)
    with pytest.raises(RuntimeError, match="Expected a Module"):
        nn.utils.skip_init(int, 3)


# ------------------------------------------------------------------------------------------
# AdaptiveLogSoftmaxWithLoss
# ------------------------------------------------------------------------------------------
def _asm_pair(dtype, head_bias=True, cutoffs=(3, 6), div=2.0):
    mt = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, list(cutoffs), div_value=div, head_bias=head_bias)
    md = nn.AdaptiveLogSoftmaxWithLoss(8, 10, list(cutoffs), div_value=div, head_bias=head_bias)
    mt = mt.to(getattr(torch, np.dtype(dtype).name))
    md = md.to(getattr(danlu, np.dtype(dtype).name))
    _copy_params(md, mt)
    return md, mt


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("head_bias,cutoffs,div", [(True, (3, 6), 2.0), (False, (5,), 4.0),
                                                   (False, (2, 4, 7), 1.5)])
def test_adaptive_log_softmax_forward_backward(dtype, head_bias, cutoffs, div):
    md, mt = _asm_pair(dtype, head_bias, cutoffs, div)
    assert repr(md) == repr(mt)
    x = _rand((7, 8), dtype)
    t = np.array([0, 4, 9, 2, 7, 5, 1])
    out_d = md(to_danlu(x), to_danlu(t))
    assert type(out_d).__name__ == "_ASMoutput" and out_d._fields == ("output", "loss")
    compare_fn(lambda lib, a, b: tuple((md if lib is danlu else mt)(a, b)), x, t)
    # parameter gradients of the loss
    xd, xt = to_danlu(x), to_torch(x)
    ld, lt = md(xd, to_danlu(t)).loss, mt(xt, to_torch(t)).loss
    pd, pt = list(md.parameters()), list(mt.parameters())
    for a, b in zip(danlu.autograd.grad(ld, pd), torch.autograd.grad(lt, pt)):
        assert_close(a, b)
    compare_fn(lambda lib, a: (md if lib is danlu else mt).log_prob(a), x)
    pred_d, pred_t = md.predict(to_danlu(x)), mt.predict(to_torch(x))
    assert pred_d.tolist() == pred_t.tolist()
    np.testing.assert_allclose(np.exp(md.log_prob(to_danlu(x)).detach().numpy()).sum(1), 1.0,
                               rtol=1e-5)
    # unbatched
    compare_fn(lambda lib, a, b: tuple((md if lib is danlu else mt)(a, b)), x[0], t[3])


def test_adaptive_log_softmax_predict_paths_and_gradcheck():
    md, mt = _asm_pair(np.float64, True, (3, 6), 2.0)
    with torch.no_grad():
        mt.head.bias.copy_(torch.tensor([0.0, 0.0, 0.0, 50.0, 0.0]))  # every row -> cluster 0
    _copy_params(md, mt)
    x = _rand((6, 8))
    assert md.predict(to_danlu(x)).tolist() == mt.predict(to_torch(x)).tolist()
    with torch.no_grad():
        mt.head.bias.copy_(torch.tensor([50.0, 0.0, 0.0, 0.0, 0.0]))  # every row in the shortlist
    _copy_params(md, mt)
    assert md.predict(to_danlu(x)).tolist() == [0] * 6
    xx = danlu.tensor(_rand((3, 8)), requires_grad=True)
    tt = danlu.tensor([1, 4, 8])
    assert gradcheck(lambda a: md(a, tt).output, (xx,))


def test_adaptive_log_softmax_errors():
    with pytest.raises(ValueError, match="cutoffs should be a sequence of length larger than 0"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [])
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3])
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 10])
    m = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3])
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        m(danlu.zeros(2, 8), danlu.tensor([1, 10]))
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        m(danlu.zeros(2, 8), danlu.tensor([1, 2, 3]))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        m(danlu.zeros(2, 8), danlu.tensor([[1, 2]]))
