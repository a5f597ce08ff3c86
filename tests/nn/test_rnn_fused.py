"""The fused LSTM / GRU sequence ops equal the composite (per-step Tensor ops) reference: outputs,
final states and every gradient, float64, on random shapes, both directions, with and without bias."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import danlu
from danlu._ops import rnn as R


@given(mode=st.sampled_from(["LSTM", "GRU"]), L=st.integers(1, 5), N=st.integers(1, 4),
       I=st.integers(1, 5), H=st.integers(1, 6), reverse=st.booleans(), bias=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_fused_equals_composite(mode, L, N, I, H, reverse, bias, seed):
    rng = np.random.default_rng(seed)
    G = 4 if mode == "LSTM" else 3
    arrs = [rng.standard_normal(s) for s in [(L, N, I), (N, H), (N, H), (G * H, I), (G * H, H), (G * H,), (G * H,)]]
    gout, gh, gc = (rng.standard_normal(s) for s in [(L, N, H), (N, H), (N, H)])
    res = []
    for fused in (True, False):
        x, h0, c0, wi, wh, bi, bh = (danlu.tensor(a, requires_grad=True) for a in arrs)
        if not bias:
            bi = bh = None
        if mode == "LSTM":
            c_in = c0
            f = R.lstm_layer if fused else R.layer_composite
            args = (x, h0, c0, wi, wh, bi, bh, reverse) if fused else ("LSTM", x, h0, c0, wi, wh, bi, bh, reverse)
        else:
            c_in = None
            f = R.gru_layer if fused else R.layer_composite
            args = (x, h0, wi, wh, bi, bh, reverse) if fused else ("GRU", x, h0, None, wi, wh, bi, bh, reverse)
        out, hn, cn = f(*args)
        loss = (out * danlu.tensor(gout)).sum() + (hn * danlu.tensor(gh)).sum()
        if cn is not None:
            loss = loss + (cn * danlu.tensor(gc)).sum()
        ins = [t for t in (x, h0, c_in, wi, wh, bi, bh) if t is not None]
        grads = danlu.autograd.grad(loss, ins)
        res.append([out, hn] + ([cn] if cn is not None else []) + list(grads))
    for a, b in zip(*res):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
