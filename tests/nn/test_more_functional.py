"""torch's top-level spellings of nn.functional ops (ATen signatures): values and gradients vs torch
in float64 and float32, batched and 0-size batches, and the signature itself."""
import inspect

import numpy as np
import pytest
import torch

import danlu
from danlu.autograd import gradcheck
from tests._oracle import assert_close, compare_fn, to_danlu, to_torch

rng = np.random.default_rng(5)


def R(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


def P(*shape, dtype="float64"):
    return rng.uniform(0.1, 1.0, shape).astype(dtype)


def sign(*shape, dtype="float64"):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0).astype(dtype)


def _const(lib, a):
    return (to_danlu if lib is danlu else to_torch)(a)


CASES = {
    "batch_norm_train": (
        lambda l, x, w, b: l.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
        lambda d: (R(4, 3, 5, dtype=d), P(3, dtype=d), R(3, dtype=d))),
    "batch_norm_eval": (
        lambda l, x, w, b: l.batch_norm(x, w, b, (x.detach()[0, :, 0] * 0 + 0.1), (x.detach()[0, :, 0] * 0 + 2),
                                        False, 0.1, 1e-5, True),
        lambda d: (R(2, 3, 4, dtype=d), P(3, dtype=d), R(3, dtype=d))),
    "instance_norm": (
        lambda l, x, w, b: l.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
        lambda d: (R(2, 3, 6, dtype=d), P(3, dtype=d), R(3, dtype=d))),
    "rms_norm": (lambda l, x, w: l.rms_norm(x, (4,), w, 1e-6), lambda d: (R(3, 4, dtype=d), P(4, dtype=d))),
    "rms_norm_default_eps": (lambda l, x: l.rms_norm(x, [2, 3]), lambda d: (R(2, 2, 3, dtype=d),)),
    "kl_div": (lambda l, x, t: l.kl_div(x, t), lambda d: (R(3, 4, dtype=d), P(3, 4, dtype=d))),
    "kl_div_none_logt": (lambda l, x, t: l.kl_div(x, t, 0, log_target=True),
                         lambda d: (R(3, 4, dtype=d), R(3, 4, dtype=d))),
    "kl_div_sum": (lambda l, x, t: l.kl_div(x, t, 2), lambda d: (R(5, dtype=d), P(5, dtype=d))),
    "cosine_embedding_loss": (lambda l, a, b, y: l.cosine_embedding_loss(a, b, y.detach(), 0.1),
                              lambda d: (R(4, 3, dtype=d), R(4, 3, dtype=d), sign(4, dtype=d))),
    "cosine_embedding_loss_none": (lambda l, a, b, y: l.cosine_embedding_loss(a, b, y.detach(), 0.0, 0),
                                   lambda d: (R(4, 3, dtype=d), R(4, 3, dtype=d), sign(4, dtype=d))),
    "margin_ranking_loss": (lambda l, a, b, y: l.margin_ranking_loss(a, b, y.detach(), 0.2, 2),
                            lambda d: (R(6, dtype=d), R(6, dtype=d), sign(6, dtype=d))),
    "hinge_embedding_loss": (lambda l, x, y: l.hinge_embedding_loss(x, y.detach()),
                             lambda d: (R(3, 4, dtype=d), sign(3, 4, dtype=d))),
    "hinge_embedding_loss_none": (lambda l, x, y: l.hinge_embedding_loss(x, y.detach(), 0.5, 0),
                                  lambda d: (R(5, dtype=d), sign(5, dtype=d))),
    "poisson_nll_loss_log": (lambda l, x, t: l.poisson_nll_loss(x, t.detach(), True, False, 1e-8, 1),
                             lambda d: (R(3, 4, dtype=d), P(3, 4, dtype=d) * 4)),
    "poisson_nll_loss_full": (lambda l, x, t: l.poisson_nll_loss(x, t.detach(), False, True, 1e-6, 2),
                              lambda d: (P(3, 4, dtype=d), P(3, 4, dtype=d) * 4)),
    "triplet_margin_loss": (lambda l, a, p, n: l.triplet_margin_loss(a, p, n),
                            lambda d: (R(4, 3, dtype=d), R(4, 3, dtype=d), R(4, 3, dtype=d))),
    "triplet_margin_loss_swap_p1": (lambda l, a, p, n: l.triplet_margin_loss(a, p, n, 0.5, 1.0, 1e-6, True, 0),
                                    lambda d: (R(4, 3, dtype=d), R(4, 3, dtype=d), R(4, 3, dtype=d))),
    "bce_with_logits": (lambda l, x, t: l.binary_cross_entropy_with_logits(x, t.detach()),
                        lambda d: (R(3, 4, dtype=d), P(3, 4, dtype=d))),
    "bce_with_logits_weights": (
        lambda l, x, t, w, pw: l.binary_cross_entropy_with_logits(x, t.detach(), w.detach(), pw.detach(), 0),
        lambda d: (R(3, 4, dtype=d), P(3, 4, dtype=d), P(4, dtype=d), P(4, dtype=d) * 3)),
    "max_pool1d_with_indices": (lambda l, x: tuple(l.max_pool1d_with_indices(x, 3)),
                                lambda d: (R(2, 3, 8, dtype=d),)),
    "max_pool1d_with_indices_args": (lambda l, x: tuple(l.max_pool1d_with_indices(x, [2], [1], [1], [2], True)),
                                     lambda d: (R(2, 7, dtype=d),)),
    "max_pool3d": (lambda l, x: l.max_pool3d(x, 2), lambda d: (R(1, 2, 4, 4, 4, dtype=d),)),
    "max_pool3d_args": (lambda l, x: l.max_pool3d(x, (2, 3, 2), (1, 2, 1), 1, 1, True),
                        lambda d: (R(2, 1, 3, 5, 4, dtype=d),)),
    "adaptive_avg_pool1d": (lambda l, x: l.adaptive_avg_pool1d(x, 3), lambda d: (R(2, 3, 7, dtype=d),)),
    "adaptive_max_pool1d": (lambda l, x: tuple(l.adaptive_max_pool1d(x, [4])), lambda d: (R(2, 9, dtype=d),)),
    "conv_transpose3d": (lambda l, x, w, b: l.conv_transpose3d(x, w, b, 2, 1, 1, 1, 1),
                         lambda d: (R(1, 2, 3, 3, 2, dtype=d), R(2, 3, 2, 2, 2, dtype=d), R(3, dtype=d))),
    "conv_transpose3d_groups": (lambda l, x, w: l.conv_transpose3d(x, w, None, 1, 0, 0, 2),
                                lambda d: (R(2, 4, 2, 3, 2, dtype=d), R(4, 1, 2, 2, 1, dtype=d))),
    "constant_pad_nd": (lambda l, x: l.constant_pad_nd(x, [1, 2, 0, 1], 3.5), lambda d: (R(2, 3, 4, dtype=d),)),
    "constant_pad_nd_crop": (lambda l, x: l.constant_pad_nd(x, (-1, 2)), lambda d: (R(3, 4, dtype=d),)),
    "channel_shuffle": (lambda l, x: l.channel_shuffle(x, 2), lambda d: (R(2, 6, 3, dtype=d),)),
    "native_channel_shuffle": (lambda l, x: l.native_channel_shuffle(x.detach(), 3),  # no derivative in torch
                               lambda d: (R(1, 6, 2, 2, dtype=d),)),
    "kl_div_default_is_none": (lambda l, x, t: l.kl_div(x, t.detach()), lambda d: (R(3, 4, dtype=d), P(3, 4, dtype=d))),
    "kl_div_mean": (lambda l, x, t: l.kl_div(x, t, 1), lambda d: (R(3, 4, dtype=d), P(3, 4, dtype=d))),
    "rnn_tanh_cell": (lambda l, x, h, wi, wh, bi, bh: l.rnn_tanh_cell(x, h, wi, wh, bi, bh),
                      lambda d: (R(3, 4, dtype=d), R(3, 5, dtype=d), R(5, 4, dtype=d), R(5, 5, dtype=d),
                                 R(5, dtype=d), R(5, dtype=d))),
    "rnn_relu_cell_nobias": (lambda l, x, h, wi, wh: l.rnn_relu_cell(x, h, wi, wh),
                             lambda d: (R(3, 4, dtype=d), R(3, 5, dtype=d), R(5, 4, dtype=d), R(5, 5, dtype=d))),
    "lstm_cell": (lambda l, x, h, c, wi, wh, bi, bh: tuple(l.lstm_cell(x, [h, c], wi, wh, bi, bh)),
                  lambda d: (R(2, 3, dtype=d), R(2, 4, dtype=d), R(2, 4, dtype=d), R(16, 3, dtype=d),
                             R(16, 4, dtype=d), R(16, dtype=d), R(16, dtype=d))),
    "lstm_cell_nobias": (lambda l, x, h, c, wi, wh: tuple(l.lstm_cell(x, (h, c), wi, wh)),
                         lambda d: (R(2, 3, dtype=d), R(2, 4, dtype=d), R(2, 4, dtype=d), R(16, 3, dtype=d),
                                    R(16, 4, dtype=d))),
    "gru_cell": (lambda l, x, h, wi, wh, bi, bh: l.gru_cell(x, h, wi, wh, bi, bh),
                 lambda d: (R(2, 3, dtype=d), R(2, 4, dtype=d), R(12, 3, dtype=d), R(12, 4, dtype=d),
                            R(12, dtype=d), R(12, dtype=d))),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_grad(name, dtype):
    fn, make = CASES[name]
    tol = {} if dtype == "float64" else {"rtol": 2e-4, "atol": 2e-5}
    compare_fn(fn, *make(dtype), **tol)


def test_batch_norm_running_stats_updated():
    x = R(4, 3, 2)
    rm_d, rv_d = to_danlu(np.zeros(3)), to_danlu(np.ones(3))
    rm_t, rv_t = to_torch(np.zeros(3)), to_torch(np.ones(3))
    yd = danlu.batch_norm(to_danlu(x), None, None, rm_d, rv_d, True, 0.3, 1e-5, True)
    yt = torch.batch_norm(to_torch(x), None, None, rm_t, rv_t, True, 0.3, 1e-5, True)
    assert_close(yd, yt)
    assert_close(rm_d, rm_t)
    assert_close(rv_d, rv_t)


def test_embedding_bag():
    w = R(10, 3)
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 9])
    for offsets, kw in [([0, 4], {}), ([0, 0, 4], {}), ([0, 3, 8], {"include_last_offset": True})]:
        for mode in (0, 1, 2):
            args = (False, mode, False, None, kw.get("include_last_offset", False))
            wd, wt = to_danlu(w, True), to_torch(w, True)
            rd = danlu.embedding_bag(wd, to_danlu(idx), to_danlu(np.array(offsets)), *args)
            rt = torch.embedding_bag(wt, to_torch(idx), to_torch(np.array(offsets)), *args)
            assert_close(tuple(rd), tuple(rt))
            g = R(*rt[0].shape)
            (rd[0] * to_danlu(g)).sum().backward()
            (rt[0] * to_torch(g)).sum().backward()
            assert_close(wd.grad, wt.grad)
    # per-sample weights (sum mode) and padding_idx (mean mode)
    psw = R(8)
    rd = danlu.embedding_bag(to_danlu(w), to_danlu(idx), to_danlu(np.array([0, 4])), False, 0, False, to_danlu(psw))
    rt = torch.embedding_bag(to_torch(w), to_torch(idx), to_torch(np.array([0, 4])), False, 0, False, to_torch(psw))
    assert_close(tuple(rd), tuple(rt))
    rd = danlu.embedding_bag(to_danlu(w), to_danlu(idx), to_danlu(np.array([0, 4])), False, 1, False, None, False, 4)
    rt = torch.embedding_bag(to_torch(w), to_torch(idx), to_torch(np.array([0, 4])), False, 1, False, None, False, 4)
    assert_close(tuple(rd), tuple(rt))


def test_zero_size_batches():
    x = np.zeros((0, 3, 5))
    assert_close(tuple(danlu.max_pool1d_with_indices(to_danlu(x), 2)),
                 tuple(torch.max_pool1d_with_indices(to_torch(x), 2)))
    assert_close(danlu.adaptive_avg_pool1d(to_danlu(x), 2), torch.adaptive_avg_pool1d(to_torch(x), 2))
    assert_close(danlu.constant_pad_nd(to_danlu(x), [1, 1]), torch.constant_pad_nd(to_torch(x), [1, 1]))
    assert_close(danlu.channel_shuffle(to_danlu(np.zeros((0, 4, 2))), 2),
                 torch.channel_shuffle(to_torch(np.zeros((0, 4, 2))), 2))
    h = np.zeros((0, 4))
    assert_close(danlu.gru_cell(to_danlu(np.zeros((0, 3))), to_danlu(h), to_danlu(R(12, 3)), to_danlu(R(12, 4))),
                 torch.gru_cell(to_torch(np.zeros((0, 3))), to_torch(h), to_torch(R(12, 3)), to_torch(R(12, 4))))
    assert_close(danlu.kl_div(to_danlu(np.zeros((0, 3))), to_danlu(np.zeros((0, 3))), 0),
                 torch.kl_div(to_torch(np.zeros((0, 3))), to_torch(np.zeros((0, 3))), 0))


CELL_ERRORS = {
    "unbatched": lambda l: l.rnn_tanh_cell(_c(l, 4), _c(l, 5), _c(l, 5, 4), _c(l, 5, 5)),
    "unbatched_gru": lambda l: l.gru_cell(_c(l, 3), _c(l, 4), _c(l, 12, 3), _c(l, 12, 4)),
    "input_size": lambda l: l.rnn_relu_cell(_c(l, 2, 4), _c(l, 2, 5), _c(l, 5, 3), _c(l, 5, 5)),
    "batch": lambda l: l.gru_cell(_c(l, 2, 3), _c(l, 3, 4), _c(l, 12, 3), _c(l, 12, 4)),
    "hidden_size": lambda l: l.lstm_cell(_c(l, 2, 3), (_c(l, 2, 6), _c(l, 2, 6)), _c(l, 16, 3), _c(l, 16, 4)),
}


def _c(lib, *shape):
    return _const(lib, R(*shape))


@pytest.mark.parametrize("name", sorted(CELL_ERRORS))
def test_cell_errors(name):
    with pytest.raises((RuntimeError, IndexError)) as et:
        CELL_ERRORS[name](torch)
    with pytest.raises(et.type) as ed:
        CELL_ERRORS[name](danlu)
    assert str(ed.value) == str(et.value)


def test_gradcheck_cells():
    xs = [to_danlu(a, True) for a in (R(2, 3), R(2, 4), R(2, 4), R(16, 3), R(16, 4), R(16), R(16))]
    assert gradcheck(lambda x, h, c, wi, wh, bi, bh: danlu.lstm_cell(x, (h, c), wi, wh, bi, bh), xs)
    xs = [to_danlu(a, True) for a in (R(2, 3), R(2, 4), R(12, 3), R(12, 4), R(12), R(12))]
    assert gradcheck(danlu.gru_cell, xs)


NAMES = ["batch_norm", "instance_norm", "rms_norm", "kl_div", "cosine_embedding_loss",
         "margin_ranking_loss", "hinge_embedding_loss", "poisson_nll_loss", "triplet_margin_loss",
         "binary_cross_entropy_with_logits", "embedding_bag", "max_pool1d_with_indices", "max_pool3d",
         "adaptive_avg_pool1d", "adaptive_max_pool1d", "conv_transpose3d", "constant_pad_nd",
         "channel_shuffle", "native_channel_shuffle", "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell",
         "gru_cell"]


def _schema_params(name):
    op = getattr(torch.ops.aten, name)
    sch = getattr(op, op.overloads()[0])._schema if "default" not in op.overloads() else op.default._schema
    return [a.name for a in sch.arguments]


@pytest.mark.parametrize("name", NAMES)
def test_signature_matches_aten(name):
    params = list(inspect.signature(getattr(danlu, name)).parameters)
    aten = _schema_params(name)
    if name == "conv_transpose3d":  # ATen's overload is named 'input'
        aten = _schema_params(name)
    aten = ["input" if a == "self" else a for a in aten]
    ours = ["input" if p in ("self",) else p for p in params]
    assert ours[:len(aten)] == aten, (ours, aten)


def test_reduction_must_be_int():
    x = to_danlu(R(3))
    with pytest.raises(TypeError) as ed:
        danlu.kl_div(x, x, "mean")
    with pytest.raises(TypeError) as et:
        torch.kl_div(to_torch(R(3)), to_torch(R(3)), "mean")
    assert str(ed.value) == str(et.value)
    with pytest.raises(RuntimeError, match="lstm_cell expects two hidden states"):
        danlu.lstm_cell(to_danlu(R(3)), [to_danlu(R(2))], to_danlu(R(8, 3)), to_danlu(R(8, 2)))
