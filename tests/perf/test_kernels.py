"""Every fast path equals its reference path, so that speed never buys a wrong answer.

The fast paths: the numba kernels (im2col/col2im, max-pool, the LSTM step, fused Adam), the
batch-chunked convolution (forward and input gradient), and the array-level ``fast_backward``
of the elementwise ops.  The references: the NumPy code (``DANLU_NO_NUMBA=1`` /
``_conv_kernels.set_enabled(False)``) and the Tensor-level ``backward``.  Values and gradients,
float64 (tight) and float32, on random shapes incl. broadcasting and 0-d.  (The fused numba
Adam is checked against the NumPy update and torch in ``tests/optim/test_fused.py``.)
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import danlu
import danlu.nn.functional as F
from danlu._ops import _conv_kernels as CK
from danlu._ops import _rnn_kernels as RK
from danlu._ops import conv as C
from danlu._ops import elementwise as E

needs_numba = pytest.mark.skipif(CK.kernels() is None, reason="numba not installed")


def _np(t):
    return None if t is None else t.detach().numpy()


def _assert_all_close(a_list, b_list, dtype, atol32=2e-6):
    for a, b in zip(a_list, b_list):
        if a is None:
            assert b is None
            continue
        _close(a, b, dtype, atol32)


def _close(a, b, dtype, atol32):
    """float64: to rounding; float32: relative to the array's scale (sums in another order)."""
    if dtype == "float64":
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)
    else:
        scale = float(np.abs(b).max()) if b.size else 1.0
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=atol32 * max(1.0, scale))


# -- convolution: compiled + batch-chunked vs NumPy reference -------------------------------
def _conv_run(fn, x, w, b, kw, g):
    xd, wd = danlu.tensor(x, requires_grad=True), danlu.tensor(w, requires_grad=True)
    bd = None if b is None else danlu.tensor(b, requires_grad=True)
    y = fn(xd, wd, bd, **kw)
    (y * danlu.tensor(g)).sum().backward()
    return [_np(y), _np(xd.grad), _np(wd.grad), _np(bd.grad) if bd is not None else None]


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("chunk", [1 << 20, 512])
@given(n=st.integers(1, 5), c=st.integers(1, 3), o=st.integers(1, 4), h=st.integers(3, 9),
       w=st.integers(3, 9), k=st.integers(1, 3), stride=st.integers(1, 2), pad=st.integers(0, 1),
       dil=st.integers(1, 2), bias=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_conv2d_fast_equals_reference(dtype, transposed, chunk, n, c, o, h, w, k, stride, pad, dil, bias,
                                      seed):
    """CHUNK_BYTES=512 forces many batch chunks (one sample each) through the chunked GEMM."""
    if not transposed and (h + 2 * pad - dil * (k - 1) - 1 < 0 or w + 2 * pad - dil * (k - 1) - 1 < 0):
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((c, o, k, k) if transposed else (o, c, k, k)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype) if bias else None
    fn = F.conv_transpose2d if transposed else F.conv2d
    kw = dict(stride=stride, padding=pad, dilation=dil)
    with danlu.no_grad():
        shape = fn(danlu.tensor(x), danlu.tensor(wt), None, **kw).shape
    g = rng.standard_normal(tuple(shape)).astype(dtype)
    old = C.CHUNK_BYTES
    res = []
    try:
        C.CHUNK_BYTES = chunk
        for flag in (True, False):
            CK.set_enabled(flag)
            res.append(_conv_run(fn, x, wt, b, kw, g))
    finally:
        CK.set_enabled(True)
        C.CHUNK_BYTES = old
    _assert_all_close(res[0], res[1], dtype)


@needs_numba
def test_conv_no_grad_chunked_forward_equals_reference():
    """Under no_grad the forward takes the chunked path (no columns cached for a weight gradient)."""
    rng = np.random.default_rng(3)
    x = danlu.tensor(rng.standard_normal((7, 3, 12, 11)))
    w = danlu.tensor(rng.standard_normal((5, 3, 3, 3)))
    old = C.CHUNK_BYTES
    out = []
    try:
        C.CHUNK_BYTES = 2048
        for flag in (True, False):
            CK.set_enabled(flag)
            with danlu.no_grad():
                out.append(F.conv2d(x, w, padding=1, stride=(1, 2)).numpy())
    finally:
        CK.set_enabled(True)
        C.CHUNK_BYTES = old
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12, atol=1e-12)


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(3, 2), stride=(1, 2), dilation=(1, 2), ceil_mode=True)])
def test_avg_and_max_pool_fast_equals_reference(dtype, kw):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 11, 10)).astype(dtype)
    res = []
    for flag in (True, False):
        CK.set_enabled(flag)
        try:
            out = []
            for fn in (F.max_pool2d, F.avg_pool2d):
                args = {k: v for k, v in kw.items() if not (fn is F.avg_pool2d and k == "dilation")}
                xd = danlu.tensor(x, requires_grad=True)
                y = fn(xd, **args)
                (y * y).sum().backward()
                out += [_np(y), _np(xd.grad)]
            res.append(out)
        finally:
            CK.set_enabled(True)
    _assert_all_close(res[0], res[1], dtype)


# -- LSTM: compiled pointwise steps vs the NumPy fused op ------------------------------------
@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@given(L=st.integers(1, 6), N=st.integers(1, 5), I=st.integers(1, 6), H=st.integers(1, 9),
       reverse=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_lstm_compiled_equals_numpy(dtype, L, N, I, H, reverse, seed):
    import os

    rng = np.random.default_rng(seed)
    shapes = [(L, N, I), (N, H), (N, H), (4 * H, I), (4 * H, H), (4 * H,), (4 * H,)]
    arrs = [(3 * rng.standard_normal(s)).astype(dtype) for s in shapes]  # large: saturated gates too
    gout = rng.standard_normal((L, N, H)).astype(dtype)
    from danlu._ops import rnn as R

    res = []
    old = os.environ.get("DANLU_NO_NUMBA")
    try:
        for off in ("0", "1"):
            os.environ["DANLU_NO_NUMBA"] = off
            assert (RK.kernels() is None) == (off == "1")
            ts = [danlu.tensor(a, requires_grad=True) for a in arrs]
            out, hn, cn = R.lstm_layer(*ts, reverse)
            loss = (out * danlu.tensor(gout)).sum() + hn.sum() + (cn * cn).sum()
            grads = danlu.autograd.grad(loss, ts)
            res.append([_np(out), _np(hn), _np(cn)] + [_np(g) for g in grads])
    finally:
        if old is None:
            os.environ.pop("DANLU_NO_NUMBA", None)
        else:
            os.environ["DANLU_NO_NUMBA"] = old
    # float32: the kernel's tanh(v) = 1 - 2/(1 + e^2v) is accurate to ~1 ulp of 1 (absolute), not
    # relative for tiny v as NumPy's is; through the recurrence that is ~1e-5 of the gradient scale
    _assert_all_close(res[0], res[1], dtype, atol32=1e-5)


# -- elementwise: array-level fast_backward vs the Tensor-level backward ----------------------
_UNARY = {"neg": (E.Neg, danlu.neg, None), "exp": (E.Exp, danlu.exp, None), "log": (E.Log, danlu.log, "pos"),
          "sqrt": (E.Sqrt, danlu.sqrt, "pos"), "sin": (E.Sin, danlu.sin, None), "cos": (E.Cos, danlu.cos, None),
          "tanh": (E.Tanh, danlu.tanh, None), "sigmoid": (E.Sigmoid, danlu.sigmoid, None),
          "relu": (E.Relu, danlu.relu, None)}
_BINARY = {"add": (E.Add, danlu.add), "sub": (E.Sub, danlu.sub), "mul": (E.Mul, danlu.mul),
           "div": (E.Div, danlu.div)}
_SHAPE_PAIRS = [((), ()), ((4,), ()), ((), (3, 1)), ((2, 3), (3,)), ((2, 1, 4), (3, 1)), ((0, 3), (3,)),
                ((5, 4), (5, 4))]


def _grads_both_ways(cls, build, inputs, monkeypatch):
    out = []
    for fast in (True, False):
        with monkeypatch.context() as m:
            if not fast:
                m.setattr(cls, "fast_backward", None)
            ts = [danlu.tensor(a, requires_grad=True) for a in inputs]
            y = build(*ts)
            g = np.linspace(-1.5, 2.0, y.numel(), dtype=inputs[0].dtype).reshape(tuple(y.shape))
            y.backward(danlu.tensor(g))
            out.append([_np(t.grad) for t in ts])
    return out


def test_fast_backward_is_defined_where_expected():
    for cls, *_ in list(_UNARY.values()) + list(_BINARY.values()):
        assert cls.fast_backward is not None, cls.__name__


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(_UNARY))
@pytest.mark.parametrize("shape", [(), (7,), (2, 3, 4), (0, 2)])
def test_unary_fast_backward_equals_backward(name, shape, dtype, monkeypatch):
    cls, fn, dom = _UNARY[name]
    a = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    if dom == "pos":
        a = np.abs(a) + 0.1
    fast, ref = _grads_both_ways(cls, fn, [a], monkeypatch)
    _assert_all_close(fast, ref, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(_BINARY))
@pytest.mark.parametrize("shapes", _SHAPE_PAIRS)
def test_binary_fast_backward_equals_backward(name, shapes, dtype, monkeypatch):
    cls, fn = _BINARY[name]
    rng = np.random.default_rng(2)
    a, b = (rng.standard_normal(s).astype(dtype) for s in shapes)
    if name == "div":
        b = np.sign(b) * (np.abs(b) + 0.5) + 0 * b  # away from zero
        b = b.astype(dtype)
    fast, ref = _grads_both_ways(cls, fn, [a, b], monkeypatch)
    _assert_all_close(fast, ref, dtype)


def test_fast_backward_one_side_and_shared_input(monkeypatch):
    """Only one operand requires grad; the same tensor on both sides (gradients summed)."""
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4) + 3.0
    for cls, fn in _BINARY.values():
        res = []
        for fast in (True, False):
            with monkeypatch.context() as m:
                if not fast:
                    m.setattr(cls, "fast_backward", None)
                x = danlu.tensor(a, requires_grad=True)
                fn(x, danlu.tensor(b)).sum().backward()
                y = danlu.tensor(b, requires_grad=True)
                fn(y, y).exp().sum().backward()
                res.append([_np(x.grad), _np(y.grad)])
        _assert_all_close(res[0], res[1], "float64")


def test_fast_backward_not_used_under_create_graph():
    """create_graph=True builds the graph of the backward, so second derivatives are right."""
    x = danlu.tensor([0.3, -1.2, 2.0], dtype=danlu.float64, requires_grad=True)
    y = (x.sin() * x.exp() / (x * x + 1)).tanh().sum()
    (g,) = danlu.autograd.grad(y, x, create_graph=True)
    (h,) = danlu.autograd.grad(g.sum(), x)
    import torch

    xt = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
    (gt,) = torch.autograd.grad((xt.sin() * xt.exp() / (xt * xt + 1)).tanh().sum(), xt, create_graph=True)
    (ht,) = torch.autograd.grad(gt.sum(), xt)
    np.testing.assert_allclose(g.detach().numpy(), gt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(h.numpy(), ht.numpy(), rtol=1e-12)


@needs_numba
@pytest.mark.parametrize("kw", [dict(), dict(ceil_mode=True), dict(padding=1), dict(padding=1, ceil_mode=True)])
@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (1, 2, 7, 9)])
def test_maxpool_2x2_kernel_equals_reference_with_nan(kw, shape):
    """The specialised 2x2/stride-2 kernel: values, indices, gradients; NaN wins as in torch."""
    x = np.random.default_rng(6).standard_normal(shape)
    x[0, 0, 1, 1] = x[0, 1, 2, 2] = x[0, 1, 2, 3] = np.nan
    res = []
    for flag in (True, False):
        CK.set_enabled(flag)
        try:
            xd = danlu.tensor(x, requires_grad=True)
            y, i = F.max_pool2d(xd, 2, return_indices=True, **kw)
            y.sum().backward()
            res.append((_np(y), i.numpy(), _np(xd.grad)))
        finally:
            CK.set_enabled(True)
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(3, 4, 8, 8), (2, 3, 7, 9), (1, 1, 2, 2)])
@pytest.mark.parametrize("kw", [dict(), dict(ceil_mode=True), dict(divisor_override=3)])
def test_avgpool_2x2_kernel_equals_reference_exactly(dtype, shape, kw):
    """Same sum order and division as the NumPy path: bit-identical values and gradients."""
    x = np.random.default_rng(8).standard_normal(shape).astype(dtype)
    g = np.random.default_rng(9)
    res = []
    for flag in (True, False):
        CK.set_enabled(flag)
        try:
            xd = danlu.tensor(x, requires_grad=True)
            y = F.avg_pool2d(xd, 2, **kw)
            y.backward(danlu.tensor(g.standard_normal(tuple(y.shape)).astype(dtype)))
            g = np.random.default_rng(9)
            res.append((_np(y), _np(xd.grad)))
        finally:
            CK.set_enabled(True)
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)
