"""danlu.special against torch.special: the aliases, and the accuracy of i0e, i1, i1e, erfcx,
ndtr, ndtri, log_ndtr, xlog1py, entr, zeta over wide ranges (float64 and float32), their
gradients, and torch's values at 0, +-inf and NaN."""
import numpy as np
import pytest
import torch

import danlu
import danlu.special as ds
from tests._oracle import assert_close, compare_fn

inf, nan = np.inf, np.nan
WIDE = np.concatenate([np.linspace(-50, 50, 1001), np.geomspace(1e-8, 1e3, 200),
                       -np.geomspace(1e-8, 1e3, 200), [0.0, inf, -inf, nan]])
# float64: relative accuracy (to torch) where torch is accurate; float32: a few ulps
RTOL = {np.float64: 1e-12, np.float32: 4e-6}


def _cmp(name, *arrays, rtol=None, atol=0.0):
    dt = arrays[0].dtype.type
    td = getattr(torch.special, name)(*[torch.from_numpy(a) for a in arrays])
    dd = getattr(ds, name)(*[danlu.from_numpy(a) for a in arrays])
    assert str(dd.dtype).split(".")[-1] == str(td.dtype).split(".")[-1]
    np.testing.assert_allclose(dd.numpy(), td.numpy(), rtol=rtol or RTOL[dt], atol=atol, equal_nan=True,
                               err_msg=name)


@pytest.mark.parametrize("dt", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["i0e", "i1", "i1e", "erfcx", "log_ndtr", "entr", "i0", "erf",
                                  "expit", "gammaln", "digamma", "psi", "exp2", "expm1", "log1p", "sinc"])
def test_unary_accuracy_wide(name, dt):
    x = WIDE.astype(dt)
    if name in ("gammaln", "digamma", "psi"):
        x = x[(x > 0) | ~np.isfinite(x)]
    rtol = 5e-14 if name == "erfcx" and dt is np.float64 else None  # exp(x^2) rounding for x < 0
    atol = 0.0
    if dt is np.float32 and name == "log_ndtr":
        atol = 1e-28  # torch's float32 log_ndtr near -1e-24 (x ~ 10) has ~5 digits
    if dt is np.float32 and name in ("digamma", "psi"):
        atol = 5e-7  # torch's float32 digamma near its root 1.4616
    _cmp(name, x, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dt", [np.float64, np.float32])
def test_ndtr(dt):
    x = WIDE.astype(dt)
    # torch's float64 ndtr is (1 + erf(x/sqrt 2)) / 2: no digits left below 1e-16 (0 from x = -9);
    # danlu's is the accurate erfc(-x/sqrt 2)/2, equal to torch's to 1e-16 absolute
    _cmp("ndtr", x, atol=2e-16 if dt is np.float64 else 1e-7)
    left = np.linspace(-37, -5, 200).astype(dt)
    ref = (torch.erfc(-torch.from_numpy(left) / np.sqrt(2)) / 2).numpy()
    np.testing.assert_allclose(ds.ndtr(danlu.from_numpy(left)).numpy(), ref, rtol=RTOL[dt] * 100,
                               atol=1e-44 if dt is np.float32 else 0)


@pytest.mark.parametrize("dt", [np.float64, np.float32])
def test_ndtri(dt):
    tiny = 1e-300 if dt is np.float64 else 1e-37
    p = np.concatenate([np.geomspace(tiny, 0.5, 400), 1 - np.geomspace(1e-15 if dt is np.float64 else 1e-7,
                                                                         0.5, 200),
                        0.5 + np.geomspace(1e-12, 0.1, 50), [0, 0.5, 1, -1, 2, nan]]).astype(dt)
    _cmp("ndtri", p, rtol=1e-13 if dt is np.float64 else None)
    # round trip through the accurate ndtr
    q = np.geomspace(1e-300, 0.5, 50)
    np.testing.assert_allclose(ds.ndtr(ds.ndtri(danlu.tensor(q))).numpy(), q, rtol=1e-12)


@pytest.mark.parametrize("dt", [np.float64, np.float32])
def test_binary_accuracy(dt):
    s = np.repeat(np.array([1.0, 1.5, 2.0, 3.0, 5.5, 10.0, 30.0, 60.0, 0.5, inf, nan]), 60)
    q = np.tile(np.concatenate([np.linspace(-5.5, 20, 50), [0, -1, -2.5, 1e3, 1e-3, 0.5, 1, 2, 3, inf]]), 11)
    _cmp("zeta", s.astype(dt), q.astype(dt), rtol=2e-13 if dt is np.float64 else None)
    x = np.concatenate([WIDE, np.zeros(5)]).astype(dt)
    y = np.concatenate([np.linspace(-3, 5, len(WIDE)), [-1, -3, nan, inf, 0]]).astype(dt)
    for name in ("xlog1py", "xlogy"):
        _cmp(name, x, y)
    a = np.abs(WIDE[np.isfinite(WIDE)])[::7].astype(dt) + 0.5
    for name in ("gammainc", "gammaincc"):  # danlu.igamma / igammac
        _cmp(name, a, a[::-1].copy(), rtol=1e-8 if dt is np.float64 else 1e-4, atol=1e-27)


def test_aliases_and_reductions():
    x = np.random.default_rng(0).standard_normal((3, 4))
    compare_fn(lambda lib, t: lib.special.softmax(t, 1), x)
    compare_fn(lambda lib, t: lib.special.log_softmax(t, 0, dtype=lib.float32), x, rtol=1e-6, atol=1e-6)
    compare_fn(lambda lib, t: lib.special.logsumexp(t, 1, keepdim=True), x)
    compare_fn(lambda lib, t: lib.special.logit(t.sigmoid(), eps=1e-6), x)
    compare_fn(lambda lib, t: lib.special.round(t * 10, decimals=1), x, grad=False)
    compare_fn(lambda lib, t: lib.special.polygamma(2, t.abs() + 0.1), x)
    compare_fn(lambda lib, t: lib.special.multigammaln(t.abs() + 2, 3), x)
    compare_fn(lambda lib, t: lib.special.erfinv(t.tanh()), x)
    compare_fn(lambda lib, t: lib.special.modified_bessel_i0(t) + lib.special.modified_bessel_i1(t), x,
               grad=False)
    assert ds.psi is ds.digamma and ds.expit is danlu.sigmoid
    for n in ("i1", "entr", "ndtri", "erfcx"):  # integer inputs give the default float dtype
        assert getattr(ds, n)(danlu.tensor([0, 1])).dtype == danlu.float32
    assert ds.zeta(2.0, danlu.tensor([1.0, 2.0])).shape == (2,)


@pytest.mark.parametrize("name", ["i0e", "i1", "i1e", "erfcx", "ndtr", "log_ndtr", "entr"])
def test_gradients(name):
    x = np.concatenate([np.linspace(-6, 6, 25), [0.0]])
    if name == "entr":
        x = np.abs(x) + 0.05
    compare_fn(lambda lib, t: getattr(lib.special, name)(t), x, rtol=1e-9, atol=1e-12)
    t = danlu.tensor(x[x != 0][:8], requires_grad=True)
    assert danlu.autograd.gradcheck(getattr(ds, name), (t,))
    assert danlu.autograd.gradgradcheck(getattr(ds, name), (t,))


def test_gradients_ndtri_xlog1py_zeta():
    p = np.linspace(0.01, 0.99, 15)
    compare_fn(lambda lib, t: lib.special.ndtri(t), p, rtol=1e-9, atol=1e-12)
    a, b = np.array([0.0, 2.0, -1.0, 0.5]), np.array([-1.0, -1.0, -1.5, 2.0])
    compare_fn(lambda lib, u, v: lib.special.xlog1py(u, v), a, b)
    s, q = np.array([2.0, 3.5, 5.0]), np.array([0.5, 1.0, 4.0])
    sd, qd = danlu.tensor(s), danlu.tensor(q, requires_grad=True)
    st, qt = torch.tensor(s), torch.tensor(q, requires_grad=True)
    (gd,) = danlu.autograd.grad(ds.zeta(sd, qd).sum(), qd)
    (gt,) = torch.autograd.grad(torch.special.zeta(st, qt).sum(), qt)
    assert_close(gd, gt)
    with pytest.raises(RuntimeError, match="the derivative for 'zeta' is not implemented."):
        ds.zeta(danlu.tensor(s, requires_grad=True), qd).sum().backward()
    x = danlu.tensor([0.0, -1.0, 1.0], requires_grad=True)
    ds.entr(x).sum().backward()
    assert_close(x.grad, torch.tensor([inf, nan, -1.0]))
