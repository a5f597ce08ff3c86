"""RNN / LSTM / GRU (+ cells) vs torch with copied weights: outputs, states, input/state/weight grads;
the fused LSTM op against the composite reference; double backward; errors and reprs."""
import warnings

import numpy as np
import pytest
import torch

import danlu
import danlu.nn as nn
import danlu.nn.modules.rnn as RM
from danlu.autograd import gradcheck, gradgradcheck
from tests._oracle import assert_close, compare_fn


def _copy(dm, tm):
    dm.load_state_dict({k: danlu.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _run(cls, args, kw, xs, hx=False, fused=True, dt="float64"):
    old = RM.USE_FUSED
    RM.USE_FUSED = fused
    try:
        tm = getattr(torch.nn, cls)(*args, **kw)
        dm = getattr(nn, cls)(*args, **kw)
        if dt == "float64":
            tm, dm = tm.double(), dm.double()
        _copy(dm, tm)
        rng = np.random.default_rng(0)
        x = rng.standard_normal(xs).astype(dt)
        xd, xt = danlu.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        pairs = []
        if hx:
            d = 2 if kw.get("bidirectional") else 1
            nl = args[2] if len(args) > 2 else kw.get("num_layers", 1)
            n = xs[0] if kw.get("batch_first") else xs[1]
            hs = (nl * d, n, args[1]) if len(xs) == 3 else (nl * d, args[1])
            h, c = rng.standard_normal(hs).astype(dt), rng.standard_normal(hs).astype(dt)
            hd, ht = danlu.tensor(h, requires_grad=True), torch.tensor(h, requires_grad=True)
            cd, ct = danlu.tensor(c, requires_grad=True), torch.tensor(c, requires_grad=True)
            pairs = [(hd, ht)] + ([(cd, ct)] if cls == "LSTM" else [])
            od = dm(xd, (hd, cd) if cls == "LSTM" else hd)
            ot = tm(xt, (ht, ct) if cls == "LSTM" else ht)
        else:
            od, ot = dm(xd), tm(xt)
        assert_close(od[0], ot[0])
        if cls == "LSTM":
            assert_close(list(od[1]), list(ot[1]))
            ld = (od[0] ** 2).sum() + (od[1][0] * 3).sum() + od[1][1].sum()
            lt = (ot[0] ** 2).sum() + (ot[1][0] * 3).sum() + ot[1][1].sum()
        else:
            assert_close(od[1], ot[1])
            ld, lt = (od[0] ** 2).sum() + (od[1] * 3).sum(), (ot[0] ** 2).sum() + (ot[1] * 3).sum()
        ld.backward()
        lt.backward()
        assert_close(xd.grad, xt.grad)
        for a, b in pairs:
            assert_close(a.grad, b.grad)
        for (n1, p), (n2, q) in zip(dm.named_parameters(), tm.named_parameters()):
            assert n1 == n2
            assert_close(p.grad, q.grad)
    finally:
        RM.USE_FUSED = old


CASES = [((4, 5), {}, (6, 3, 4), False),
         ((4, 5, 2), dict(bidirectional=True, batch_first=True), (3, 6, 4), True),
         ((4, 5), dict(bias=False), (6, 4), True),  # unbatched
         ((4, 5, 3), dict(bidirectional=True), (6, 2, 4), False)]


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("args,kw,xs,hx", CASES)
def test_recurrent_layers_match_torch(cls, fused, dt, args, kw, xs, hx):
    if cls == "RNN" and not fused:
        pytest.skip("RNN has no fused path")
    _run(cls, args, kw, xs, hx, fused, dt)


def test_lstm_proj_size():
    _run("LSTM", (4, 5, 2), dict(proj_size=3, bidirectional=True), (6, 3, 4), hx=False)
    d, t = nn.LSTM(3, 5, 2, proj_size=2, bidirectional=True), torch.nn.LSTM(3, 5, 2, proj_size=2, bidirectional=True)
    assert [(n, tuple(p.shape)) for n, p in d.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert repr(d) == repr(t)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 5, proj_size=5)


def test_rnn_relu_multilayer():
    _run("RNN", (4, 5), dict(nonlinearity="relu", num_layers=2), (6, 3, 4))


def test_fused_lstm_double_backward_matches_torch():
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    res = []
    tm = torch.nn.LSTM(3, 4).double()
    dm = nn.LSTM(3, 4).double()
    _copy(dm, tm)
    for lib, m in ((danlu, dm), (torch, tm)):
        xt = lib.tensor(x, requires_grad=True)
        out, (h, c) = m(xt)
        (gx,) = lib.autograd.grad((out ** 2).sum() + c.sum(), xt, create_graph=True)
        g2 = lib.autograd.grad((gx ** 2).sum(), [xt, m.weight_hh_l0, m.bias_ih_l0])
        res.append((gx, list(g2)))
    assert_close(res[0][0], res[1][0])
    assert_close(res[0][1], res[1][1])
    m = nn.LSTM(2, 3).double()
    x = danlu.randn(3, 1, 2, dtype=danlu.float64, requires_grad=True)
    assert gradcheck(lambda x: m(x)[0], (x,))
    assert gradgradcheck(lambda x: m(x)[1][1], (x,))


@pytest.mark.parametrize("cls,args", [("RNNCell", (3, 4)), ("LSTMCell", (3, 4)), ("GRUCell", (3, 4)),
                                      ("RNNCell", (3, 4, True, "relu")), ("GRUCell", (3, 4, False))])
def test_cells_match_torch(cls, args):
    rng = np.random.default_rng(1)
    tm = getattr(torch.nn, cls)(*args).double()
    dm = getattr(nn, cls)(*args).double()
    _copy(dm, tm)
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))

    def mod(lib):
        return dm if lib is danlu else tm

    if cls == "LSTMCell":
        compare_fn(lambda lib, x, h, c: mod(lib)(x, (h, c)), x, h, h * 0.5)
    else:
        compare_fn(lambda lib, x, h: mod(lib)(x, h), x, h)
    compare_fn(lambda lib, x: mod(lib)(x), x[0])
    assert repr(dm) == repr(tm)


def test_rnn_params_init_and_repr():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = [((10, 20, 2), dict(nonlinearity="relu", batch_first=True, dropout=0.5, bidirectional=True)),
                 ((3, 4), dict(bias=False))]
        for a, kw in pairs:
            assert repr(nn.RNN(*a, **kw)) == repr(torch.nn.RNN(*a, **kw))
    assert repr(nn.LSTM(10, 20, bias=False)) == repr(torch.nn.LSTM(10, 20, bias=False))
    d, t = nn.LSTM(3, 4, 2, bidirectional=True), torch.nn.LSTM(3, 4, 2, bidirectional=True)
    assert [n for n, _ in d.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [tuple(p.shape) for p in d.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert list(d.state_dict()) == list(t.state_dict())
    for p in nn.GRU(3, 16).parameters():
        assert float(p.abs().max()) <= 0.25


def test_lstm_dropout_between_layers_train_vs_eval():
    danlu.manual_seed(0)
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = danlu.randn(5, 2, 3)
    m.eval()
    a = m(x)[0]
    assert_close(a, m(x)[0])
    m.train()
    assert not np.allclose(m(x)[0].detach().numpy(), a.detach().numpy())


def test_rnn_errors():
    m = nn.LSTM(10, 20, 2)
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        m(danlu.randn(5, 3, 10, 1))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 10, got 7"):
        m(danlu.randn(5, 3, 7))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 3, 20\), got \[1, 3, 20\]"):
        m(danlu.randn(5, 3, 10), (danlu.randn(1, 3, 20), danlu.randn(2, 3, 20)))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx and cx should also be 2-D"):
        m(danlu.randn(5, 10), (danlu.randn(2, 3, 20), danlu.randn(2, 3, 20)))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 3, 20\), got \[2, 3, 20\]"):
        nn.GRU(10, 20)(danlu.randn(5, 3, 10), danlu.randn(2, 3, 20))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'foo'"):
        nn.RNN(3, 4, nonlinearity="foo")
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(3, 4, dropout=2)
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 5 expected 3"):
        nn.LSTMCell(3, 4)(danlu.randn(2, 5))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        nn.LSTMCell(3, 4)(danlu.randn(2, 3), (danlu.randn(3, 4), danlu.randn(3, 4)))
    with pytest.raises(RuntimeError, match="input must have the type torch.float32, got type torch.float64"):
        nn.GRU(3, 4)(danlu.randn(2, 1, 3, dtype=danlu.float64))


def test_compiled_lstm_backward_equals_numpy_reference():
    from danlu._ops import _rnn_kernels as K

    if K.kernels() is None:
        pytest.skip("numba not available")
    x = np.random.default_rng(3).standard_normal((7, 3, 4))
    m = nn.LSTM(4, 5, bidirectional=True).double()
    res = []
    for flag in (True, False):
        K.set_enabled(flag)
        try:
            xd = danlu.tensor(x, requires_grad=True)
            out, (h, c) = m(xd)
            m.zero_grad()
            ((out ** 2).sum() + c.sum()).backward()
            res.append([xd.grad.numpy()] + [p.grad.numpy() for p in m.parameters()])
        finally:
            K.set_enabled(True)
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_fused_gru_double_backward_matches_torch():
    x = np.random.default_rng(4).standard_normal((4, 2, 3))
    tm = torch.nn.GRU(3, 4, bidirectional=True).double()
    dm = nn.GRU(3, 4, bidirectional=True).double()
    _copy(dm, tm)
    res = []
    for lib, m in ((danlu, dm), (torch, tm)):
        xt = lib.tensor(x, requires_grad=True)
        out, h = m(xt)
        (gx,) = lib.autograd.grad((out ** 2).sum() + h.sum(), xt, create_graph=True)
        res.append((gx, list(lib.autograd.grad((gx ** 2).sum(), [xt, m.weight_hh_l0_reverse, m.bias_hh_l0]))))
    assert_close(res[0][0], res[1][0])
    assert_close(res[0][1], res[1][1])
