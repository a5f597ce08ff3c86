"""scaled_dot_product_attention, MultiheadAttention and the Transformer layers vs torch."""
import warnings

import numpy as np
import pytest
import torch

import danlu
import danlu.nn as nn
import danlu.nn.functional as F
from danlu.autograd import gradcheck
from tests._oracle import assert_close, compare_fn


def _x(shape, dt="float64", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dt)


def _copy(dm, tm):
    dm.load_state_dict({k: danlu.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("kw", [{}, dict(is_causal=True), dict(scale=0.3), "bool", "float"])
def test_sdpa(dt, kw):
    q, k, v = _x((2, 3, 4, 5), dt, 0), _x((2, 3, 6, 5), dt, 1), _x((2, 3, 6, 7), dt, 2)
    if kw == "bool":
        m = np.random.default_rng(3).random((4, 6)) > 0.3
        m[:, 0] = True
        compare_fn(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=lib.tensor(m)), q, k, v)
    elif kw == "float":
        compare_fn(lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m),
                   q, k, v, _x((4, 6), dt, 4))
    else:
        compare_fn(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v, **kw), q, k, v)


def test_sdpa_gqa_and_errors():
    q, k, v = _x((1, 4, 3, 2)), _x((1, 2, 3, 2)), _x((1, 2, 3, 2))
    compare_fn(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True), q, k, v)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(danlu.tensor(q), danlu.tensor(q), danlu.tensor(q),
                                       attn_mask=danlu.ones(3, 3), is_causal=True)
    qd = danlu.tensor(_x((1, 2, 3)), requires_grad=True)
    assert gradcheck(lambda q: F.scaled_dot_product_attention(q, q, q, is_causal=True), (qd,))


MHA_CASES = [
    (dict(), {}),
    (dict(batch_first=True), dict(need_weights=True, average_attn_weights=False)),
    (dict(add_bias_kv=True, add_zero_attn=True), {}),
    (dict(kdim=3, vdim=5, bias=False), {}),
    (dict(), "masks"),
]


@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("cfg,call", MHA_CASES)
def test_multihead_attention(dt, cfg, call):
    tm = torch.nn.MultiheadAttention(6, 2, **cfg)
    dm = nn.MultiheadAttention(6, 2, **cfg)
    if dt == "float64":
        tm, dm = tm.double(), dm.double()
    _copy(dm, tm)
    assert list(dm.state_dict()) == list(tm.state_dict())
    L, S, N = 4, 5, 3
    bf = cfg.get("batch_first", False)
    q = _x((N, L, 6) if bf else (L, N, 6), dt, 1)
    k = _x((N, S, cfg.get("kdim", 6)) if bf else (S, N, cfg.get("kdim", 6)), dt, 2)
    v = _x((N, S, cfg.get("vdim", 6)) if bf else (S, N, cfg.get("vdim", 6)), dt, 3)

    def mod(lib):
        return dm if lib is danlu else tm

    if call == "masks":
        am = np.random.default_rng(4).random((L, S)) > 0.7
        kpm = np.zeros((N, S), bool)
        kpm[0, -2:] = True
        compare_fn(lambda lib, q, k, v: mod(lib)(q, k, v, attn_mask=lib.tensor(am),
                                                 key_padding_mask=lib.tensor(kpm)), q, k, v)
        fm = _x((N * 2, L, S), dt, 5)
        compare_fn(lambda lib, q, k, v: mod(lib)(q, k, v, attn_mask=lib.tensor(fm)), q, k, v)
    else:
        compare_fn(lambda lib, q, k, v: mod(lib)(q, k, v, **call), q, k, v)
    for (n1, p), (n2, t) in zip(dm.named_parameters(), tm.named_parameters()):
        assert n1 == n2 and tuple(p.shape) == tuple(t.shape)


def test_multihead_attention_unbatched_and_repr():
    tm = torch.nn.MultiheadAttention(4, 2).double()
    dm = nn.MultiheadAttention(4, 2).double()
    _copy(dm, tm)
    x = _x((3, 4))
    compare_fn(lambda lib, x: (dm if lib is danlu else tm)(x, x, x), x)
    assert repr(dm) == repr(tm)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_layers(norm_first, batch_first):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = dict(dim_feedforward=16, dropout=0.0, norm_first=norm_first, batch_first=batch_first)
        te = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kw), 2).double()
        td = torch.nn.TransformerDecoderLayer(8, 2, activation="gelu", **kw).double()
    de = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kw), 2).double()
    dd = nn.TransformerDecoderLayer(8, 2, activation="gelu", **kw).double()
    _copy(de, te)
    _copy(dd, td)
    src = _x((3, 5, 8) if batch_first else (5, 3, 8), seed=1)
    tgt = _x((3, 4, 8) if batch_first else (4, 3, 8), seed=2)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4).double().numpy()

    def f(lib, s, t):
        enc, dec = (de, dd) if lib is danlu else (te, td)
        mem = enc(s)
        return dec(t, mem, tgt_mask=lib.tensor(tmask))

    compare_fn(f, src, tgt)
    assert repr(de) == repr(te)


def test_transformer_full_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0).double()
    dm = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0).double()
    assert list(dm.state_dict()) == list(tm.state_dict())
    _copy(dm, tm)
    compare_fn(lambda lib, s, t: (dm if lib is danlu else tm)(s, t), _x((5, 2, 8), seed=1), _x((3, 2, 8), seed=2))
    assert_close(nn.Transformer.generate_square_subsequent_mask(3), torch.nn.Transformer.generate_square_subsequent_mask(3))
