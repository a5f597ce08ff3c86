"""danlu.amp (autocast, GradScaler) step for step against torch's CPU autocast with float16."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import danlu
import danlu.nn.functional as DF
import torch.nn.functional as TF

RNG = np.random.default_rng(0)


def _pair(*shape, grad=False):
    a = RNG.standard_normal(shape).astype(np.float32)
    d, t = danlu.from_numpy(a.copy()), torch.from_numpy(a.copy())
    if grad:
        d.requires_grad_(True)
        t.requires_grad_(True)
    return d, t


def _close(d, t, rtol=2e-2, atol=2e-2):
    assert str(d.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (d.dtype, t.dtype)
    np.testing.assert_allclose(d.detach().float().numpy(), t.detach().float().numpy(),
                               rtol=rtol, atol=atol)


# (name, fn(lib, F, *tensors), shapes)
OPS = [
    ("linear", lambda L, F, x, w, b: F.linear(x, w, b), [(3, 4), (5, 4), (5,)]),
    ("matmul", lambda L, F, a, b: L.matmul(a, b), [(2, 3, 4), (4, 5)]),
    ("matmul_op", lambda L, F, a, b: a @ b, [(3, 4), (4, 2)]),
    ("mm", lambda L, F, a, b: L.mm(a, b), [(3, 4), (4, 2)]),
    ("bmm", lambda L, F, a, b: L.bmm(a, b), [(2, 3, 4), (2, 4, 2)]),
    ("addmm", lambda L, F, c, a, b: L.addmm(c, a, b), [(3, 2), (3, 4), (4, 2)]),
    ("baddbmm", lambda L, F, c, a, b: L.baddbmm(c, a, b), [(2, 3, 2), (2, 3, 4), (2, 4, 2)]),
    ("addbmm", lambda L, F, c, a, b: L.addbmm(c, a, b), [(3, 2), (2, 3, 4), (2, 4, 2)]),
    ("einsum", lambda L, F, a, b: L.einsum("ij,jk->ik", a, b), [(3, 4), (4, 2)]),
    ("mv", lambda L, F, a, v: L.mv(a, v), [(3, 4), (4,)]),
    ("dot", lambda L, F, a, v: L.dot(a, v), [(4,), (4,)]),
    ("conv1d", lambda L, F, x, w: F.conv1d(x, w), [(1, 2, 6), (3, 2, 3)]),
    ("conv2d", lambda L, F, x, w, b: F.conv2d(x, w, b, padding=1), [(1, 2, 5, 5), (3, 2, 3, 3), (3,)]),
    ("conv_transpose2d", lambda L, F, x, w: F.conv_transpose2d(x, w), [(1, 2, 4, 4), (2, 3, 3, 3)]),
    ("prelu", lambda L, F, x, w: F.prelu(x, w), [(2, 3, 4), (3,)]),
    ("sdpa", lambda L, F, q, k, v: F.scaled_dot_product_attention(q, k, v), [(2, 3, 4)] * 3),
    ("mse_loss", lambda L, F, a, b: F.mse_loss(a.half(), b.half()), [(3, 4), (3, 4)]),
    ("cross_entropy", lambda L, F, x, w: F.cross_entropy(F.linear(x, w), L.tensor([0, 1, 2])),
     [(3, 4), (5, 4)]),
    ("mixed_add", lambda L, F, a, b: a.half() + b, [(3, 4), (3, 4)]),
    ("softmax_of_half", lambda L, F, x, w: F.linear(x, w).softmax(-1), [(3, 4), (5, 4)]),
]


@pytest.mark.parametrize("name,fn,shapes", OPS, ids=[o[0] for o in OPS])
def test_op_dtypes_values_grads(name, fn, shapes):
    pairs = [_pair(*s, grad=True) for s in shapes]
    with danlu.autocast("cpu", dtype=danlu.float16):
        d = fn(danlu, DF, *[p[0] for p in pairs])
    with torch.autocast("cpu", dtype=torch.float16):
        t = fn(torch, TF, *[p[1] for p in pairs])
    _close(d, t)
    d.float().sum().backward()
    t.float().sum().backward()
    for (pd, pt) in pairs:
        assert pd.grad.dtype is danlu.float32 and pt.grad.dtype is torch.float32
        _close(pd.grad, pt.grad, rtol=3e-2, atol=3e-2)


def test_float64_not_cast_and_outside_unchanged():
    a = danlu.randn(3, 3, dtype=danlu.float64)
    x = danlu.randn(3, 3)
    with danlu.autocast("cpu", dtype=danlu.float16):
        assert danlu.mm(a, a).dtype is danlu.float64
        assert (x @ x).dtype is danlu.float16
    assert (x @ x).dtype is danlu.float32


def test_state_nesting_and_disabled_inside():
    x = danlu.randn(2, 2)
    assert not danlu.is_autocast_enabled("cpu")
    with danlu.autocast("cpu", dtype=danlu.float16):
        assert danlu.is_autocast_enabled("cpu") and not danlu.is_autocast_enabled()
        assert danlu.get_autocast_dtype("cpu") is danlu.float16
        with danlu.autocast("cpu", enabled=False):
            assert not danlu.is_autocast_enabled("cpu")
            assert danlu.mm(x, x).dtype is danlu.float32
        with danlu.amp.autocast("cpu", dtype=danlu.float16):
            assert danlu.mm(x, x).dtype is danlu.float16
        assert danlu.is_autocast_enabled("cpu") and danlu.mm(x, x).dtype is danlu.float16
    assert not danlu.is_autocast_enabled("cpu")
    prev = danlu.amp._state._dtype["cpu"]  # None: torch's bfloat16 default
    danlu.set_autocast_enabled("cpu", True)
    danlu.set_autocast_dtype("cpu", danlu.float16)
    try:
        assert danlu.mm(x, x).dtype is danlu.float16
    finally:
        danlu.set_autocast_enabled("cpu", False)
        danlu.amp._state._dtype["cpu"] = prev

    @danlu.autocast("cpu", dtype=danlu.float16)
    def f(a):
        return a @ a
    assert f(x).dtype is danlu.float16


def test_bfloat16_default_raises_clearly():
    with pytest.raises(RuntimeError, match="bfloat16.*dtype=danlu.float16"):
        danlu.autocast("cpu")
    with pytest.raises(RuntimeError, match="dtype=danlu.float16"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            danlu.cpu.amp.autocast()
    danlu.autocast("cpu", enabled=False)  # nothing to cast: fine
    with pytest.raises(ValueError, match="device_type"):
        danlu.autocast(0)
    with pytest.warns(UserWarning, match="target dtype is not supported"):
        ac = danlu.autocast("cpu", dtype=danlu.float64)
    with ac:
        assert not danlu.is_autocast_enabled("cpu")


def test_deprecated_aliases():
    with pytest.warns(FutureWarning, match=r"torch.cpu.amp.autocast\(args...\)` is deprecated"):
        with danlu.cpu.amp.autocast(dtype=danlu.float16):
            assert danlu.is_autocast_enabled("cpu")
    with pytest.warns(FutureWarning, match=r"torch.cuda.amp.autocast\(args...\)` is deprecated"):
        danlu.cuda.amp.autocast(enabled=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = danlu.cuda.amp.GradScaler(enabled=False)
    assert not s.is_enabled() and s.get_scale() == 1.0
    with pytest.warns(FutureWarning, match="GradScaler"):
        danlu.cpu.amp.GradScaler()


def test_custom_fwd_bwd():
    class MM(danlu.autograd.Function):
        @staticmethod
        @danlu.amp.custom_fwd(device_type="cpu", cast_inputs=danlu.float32)
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            assert not danlu.is_autocast_enabled("cpu")
            return a.mm(b)

        @staticmethod
        @danlu.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g.mm(b.t()), a.t().mm(g)

    a = danlu.randn(2, 3, requires_grad=True)
    with danlu.autocast("cpu", dtype=danlu.float16):
        out = MM.apply(a.half(), danlu.randn(3, 2))
    assert out.dtype is danlu.float32
    out.sum().backward()
    assert a.grad.dtype is danlu.float32


# ---------------------------------------------------------------- GradScaler
def _scalers(**kw):
    return danlu.amp.GradScaler("cpu", **kw), torch.amp.GradScaler("cpu", **kw)


def test_scaler_defaults_state_dict_disabled():
    d, t = _scalers()
    assert d.state_dict() == t.state_dict()
    assert d.get_scale() == t.get_scale() and d.is_enabled()
    d.set_growth_factor(3.0)
    d.set_backoff_factor(0.25)
    d.set_growth_interval(7)
    assert (d.get_growth_factor(), d.get_backoff_factor(), d.get_growth_interval()) == (3.0, 0.25, 7)
    d2 = danlu.amp.GradScaler("cpu")
    d2.load_state_dict(d.state_dict())
    assert d2.state_dict() == d.state_dict()
    off = danlu.amp.GradScaler("cpu", enabled=False)
    x = danlu.ones(2)
    assert off.scale(x) is x and off.state_dict() == {} and off.get_scale() == 1.0
    with pytest.raises(RuntimeError, match="state dict is empty"):
        d2.load_state_dict({})
    with pytest.warns(UserWarning, match="CUDA is not available"):
        if not danlu.cuda.is_available():
            assert not danlu.amp.GradScaler().is_enabled()
        else:
            warnings.warn("CUDA is not available (skipped)")
    with pytest.raises(AssertionError, match="growth factor"):
        danlu.amp.GradScaler("cpu", growth_factor=0.5)


def test_scale_nested_and_errors():
    d, t = _scalers(init_scale=4.0)
    a, ta = _pair(2)
    out = d.scale([a, (a, a)])
    tout = t.scale([ta, (ta, ta)])
    assert isinstance(out, list) and isinstance(out[1], tuple)
    _close(out[1][0], tout[1][0], 0, 0)
    assert d.scale(a).shape == t.scale(ta).shape
    with pytest.raises(ValueError, match="iterable of Tensors"):
        d.scale([1.0])
    p = danlu.nn.Parameter(danlu.ones(2))
    opt = danlu.optim.SGD([p], lr=0.1)
    d.scale(p.sum()).backward()
    d.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called on this optimizer"):
        d.unscale_(opt)
    d.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        d.step(opt)
    with pytest.raises(RuntimeError, match="after step"):
        d.unscale_(opt)
    d.update()
    fresh = danlu.amp.GradScaler("cpu")
    with pytest.raises(AssertionError, match="_scale is None"):
        fresh.step(opt)
    d.update(8.0)
    assert d.get_scale() == 8.0
    h = danlu.nn.Parameter(danlu.ones(2, dtype=danlu.float16))
    h.grad = danlu.ones(2, dtype=danlu.float16)
    with pytest.raises(ValueError, match="FP16 gradients"):
        d.unscale_(danlu.optim.SGD([h], lr=0.1))


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_scaler_steps_with_inf_injection(opt_name):
    w0 = RNG.standard_normal((3, 4)).astype(np.float32)
    xs = RNG.standard_normal((8, 5, 4)).astype(np.float32)
    dw, tw = danlu.nn.Parameter(danlu.from_numpy(w0.copy())), torch.nn.Parameter(torch.from_numpy(w0.copy()))
    kw = dict(lr=0.05) if opt_name == "SGD" else dict(lr=0.01)
    dopt = getattr(danlu.optim, opt_name)([dw], **kw)
    topt = getattr(torch.optim, opt_name)([tw], **kw)
    ds, ts = _scalers(init_scale=2.0 ** 10, growth_interval=2)
    for i in range(8):
        for lib, w, opt, s in ((danlu, dw, dopt, ds), (torch, tw, topt, ts)):
            opt.zero_grad()
            loss = (lib.from_numpy(xs[i].copy()) @ w.t()).pow(2).mean()
            s.scale(loss).backward()
            if i in (2, 5):
                w.grad[0, 1] = float("inf") if i == 2 else float("nan")
            if i == 4:
                s.unscale_(opt)
            r = s.step(opt)
            assert r is None
            s.update()
        assert ds.get_scale() == ts.get_scale(), i
        assert ds._get_growth_tracker() == ts._get_growth_tracker(), i
        assert ds.state_dict() == ts.state_dict()
        np.testing.assert_allclose(dw.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_amp_training_loop_matches_torch():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    dm = danlu.nn.Sequential(danlu.nn.Linear(6, 8), danlu.nn.ReLU(), danlu.nn.Linear(8, 3))
    for pd, pt in zip(dm.parameters(), tm.parameters()):
        with danlu.no_grad():
            pd.copy_(danlu.from_numpy(pt.detach().numpy().copy()))
    dopt = danlu.optim.Adam(dm.parameters(), lr=1e-2)
    topt = torch.optim.Adam(tm.parameters(), lr=1e-2)
    ds, ts = _scalers(growth_interval=3)
    X = RNG.standard_normal((6, 16, 6)).astype(np.float32)
    Y = RNG.integers(0, 3, (6, 16))
    for i in range(6):
        dopt.zero_grad()
        topt.zero_grad()
        with danlu.autocast("cpu", dtype=danlu.float16):
            dl = DF.cross_entropy(dm(danlu.from_numpy(X[i].copy())), danlu.from_numpy(Y[i].copy()))
        with torch.autocast("cpu", dtype=torch.float16):
            tl = TF.cross_entropy(tm(torch.from_numpy(X[i].copy())), torch.from_numpy(Y[i].copy()))
        assert dl.dtype is danlu.float32 and tl.dtype is torch.float32
        np.testing.assert_allclose(dl.item(), tl.item(), rtol=5e-3, atol=5e-3)
        ds.scale(dl).backward()
        ts.scale(tl).backward()
        for pd in dm.parameters():
            assert pd.grad.dtype is danlu.float32
        ds.step(dopt)
        ts.step(topt)
        ds.update()
        ts.update()
        assert ds.get_scale() == ts.get_scale()


@pytest.mark.parametrize("case", ["linear", "linear3d", "conv1d", "conv2d", "conv2d_groups"])
@pytest.mark.parametrize("autocast", [True, False])
def test_half_gemm_with_bias_rounds_once(case, autocast):
    """torch's CPU float16 linear / conv accumulate ``x W^T + b`` in float32 and round once, so
    outputs agree to 1 float16 ulp (a float32 summation-order tie can flip the last bit; a float16
    product rounded before the bias add was up to 17 ulp off after cancellation)."""
    rng = np.random.default_rng(5)
    shapes, kw = {
        "linear": ([(20, 64), (8, 64), (8,)], {}),
        "linear3d": ([(4, 5, 64), (8, 64), (8,)], {}),
        "conv1d": ([(2, 4, 9), (6, 4, 3), (6,)], {}),
        "conv2d": ([(2, 4, 7, 7), (6, 4, 3, 3), (6,)], {"padding": 1}),
        "conv2d_groups": ([(2, 4, 7, 7), (6, 2, 3, 3), (6,)], {"groups": 2}),
    }[case]
    arrs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    name = "linear" if case.startswith("linear") else case[:6]

    def run(lib, F):
        ts = [lib.from_numpy(a.copy()) for a in arrs]
        if autocast:
            with lib.autocast("cpu", dtype=lib.float16):
                return getattr(F, name)(*ts, **kw)
        return getattr(F, name)(*[t.half() for t in ts], **kw)

    d, t = run(danlu, DF), run(torch, TF)
    assert d.dtype == danlu.float16 and t.dtype == torch.float16
    dn, tn = d.numpy().astype(np.float64), t.numpy()
    ulp = np.spacing(np.abs(tn)).astype(np.float64)
    assert np.all(np.abs(dn - tn) <= ulp), np.max(np.abs(dn - tn) / ulp)
