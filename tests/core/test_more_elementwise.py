"""The rest of torch's elementwise API vs torch: inverse hyperbolics, aliases, integer ops,
special functions (lgamma, digamma, polygamma, mvlgamma, i0, igamma), the complex API on real
dtypes, and every in-place variant (result, version counter, leaf check, gradient)."""
import math

import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close, compare_fn, to_danlu, to_torch

rng = np.random.default_rng(7)


def R(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


def away(x, lo=-4.5, hi=6.0, gap=0.15):
    """Values spread over [lo, hi], at least ``gap`` from every integer (poles of gamma & co)."""
    x = lo + (hi - lo) * (np.tanh(x) + 1) / 2
    f = x - np.round(x)
    f = np.where(f >= 0, np.maximum(f, gap), np.minimum(f, -gap))
    return (np.round(x) + f).astype(x.dtype)


def pos(x, lo=0.2):
    return (np.abs(x) + lo).astype(x.dtype)


# name -> (fn(lib, x), input transform)
UNARY = {
    "asinh": (lambda l, x: l.asinh(x), None), "arcsinh": (lambda l, x: l.arcsinh(x), None),
    "acosh": (lambda l, x: l.acosh(x), lambda x: pos(x, 1.1)),
    "arccosh": (lambda l, x: x.arccosh(), lambda x: pos(x, 1.1)),
    "atanh": (lambda l, x: l.atanh(x), lambda x: np.tanh(x) * 0.9),
    "arctanh": (lambda l, x: x.arctanh(), lambda x: np.tanh(x) * 0.9),
    "positive": (lambda l, x: l.positive(x) * 1, None),
    "angle": (lambda l, x: l.angle(x), None),
    "clamp_min": (lambda l, x: l.clamp_min(x, 0.2), None),
    "clamp_max": (lambda l, x: x.clamp_max(-0.1), None),
    "negative": (lambda l, x: l.negative(x), None),
    "lgamma": (lambda l, x: l.lgamma(x), away), "lgamma_m": (lambda l, x: x.lgamma(), away),
    "digamma": (lambda l, x: l.digamma(x), away),
    "polygamma0": (lambda l, x: l.polygamma(0, x), away),
    "polygamma1": (lambda l, x: l.polygamma(1, x), away),
    "polygamma2": (lambda l, x: l.polygamma(2, x), lambda x: away(x, -2.5, 6.0, 0.25)),
    "polygamma3_m": (lambda l, x: x.polygamma(3), lambda x: away(x, 0.3, 8.0)),
    "mvlgamma1": (lambda l, x: l.mvlgamma(x, 1), away),
    "mvlgamma3": (lambda l, x: x.mvlgamma(p=3), lambda x: pos(x, 1.2)),
    "i0": (lambda l, x: l.i0(x * 4), None), "i0_m": (lambda l, x: x.i0(), None),
    "frexp": (lambda l, x: tuple(l.frexp(x * 100)), None),
    "frexp_m": (lambda l, x: x.frexp()[0], None),
    "conj_etc": (lambda l, x: l.conj_physical(l.resolve_neg(l.resolve_conj(l.conj(l.real(x))))) * 2, None),
    "logaddexp2_s": (lambda l, x: l.logaddexp2(x, x * 0.5), None),
    "copysign_s": (lambda l, x: l.copysign(x, -1.0), None),
    "ldexp_s": (lambda l, x: l.ldexp(x, to_lib(l, np.array(3))), None),
    "nan_safe_xlogy": (lambda l, x: l.xlogy(x, x.abs() + 0.5), None),
}


def to_lib(lib, a):
    return to_torch(a) if lib is torch else to_danlu(a)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name, dtype):
    f, tr = UNARY[name]
    for shape in [(3, 4), (), (0, 3)]:
        x = R(*shape, dtype=dtype)
        compare_fn(f, tr(x) if tr else x)


def _away_from_zero(a):
    return np.where(np.abs(a) < 0.2, 0.7, a).astype(a.dtype)


BINARY = {
    "divide": (lambda l, a, b: l.divide(a, b), None),
    "divide_trunc": (lambda l, a, b: a.divide(b, rounding_mode="trunc"), None),
    "divide_floor": (lambda l, a, b: l.divide(a * 3, b, rounding_mode="floor"), None),
    "multiply": (lambda l, a, b: a.multiply(b), None),
    "subtract": (lambda l, a, b: l.subtract(a, b, alpha=2), None),
    "copysign": (lambda l, a, b: l.copysign(a, b), None),
    "ldexp": (lambda l, a, b: l.ldexp(a, b.round()), None),
    "logaddexp2": (lambda l, a, b: l.logaddexp2(a, b), None),
    "logaddexp": (lambda l, a, b: l.logaddexp(a, b), None),
    "xlogy": (lambda l, a, b: l.xlogy(a, b.abs() + 0.1), None),
    "hypot": (lambda l, a, b: a.hypot(b), None),
    "clamp_min_t": (lambda l, a, b: l.clamp_min(a, b), None),
    "clamp_max_t": (lambda l, a, b: a.clamp_max(b), None),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name, dtype):
    f, _ = BINARY[name]
    for sa, sb in [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 4)), ((), (3,)), ((0, 2), (2,))]:
        compare_fn(f, R(*sa, dtype=dtype), _away_from_zero(R(*sb, dtype=dtype)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("upper", [False, True])
def test_igamma(dtype, upper):
    name = "igammac" if upper else "igamma"
    a = np.concatenate([pos(R(6), 0.05), [0.5, 3.0, 20.0, 150.0, 1e-3]]).astype(dtype)
    x = np.concatenate([pos(R(6), 0.01), [2.0, 0.5, 15.0, 160.0, 1e-2]]).astype(dtype)
    ad, xd = to_danlu(a), to_danlu(x, True)
    at, xt = to_torch(a), to_torch(x, True)
    od, ot = getattr(danlu, name)(ad, xd), getattr(torch, name)(at, xt)
    # torch's own float64 values are off by up to ~2e-9 for large a (ours agree with mpmath)
    rtol, atol = (1e-8, 1e-12) if dtype == "float64" else (1e-4, 1e-6)
    assert_close(od, ot, rtol, atol)
    (gd,) = danlu.autograd.grad(od.sum(), [xd])
    (gt,) = torch.autograd.grad(ot.sum(), [xt])
    assert_close(gd, gt, rtol, atol)
    # method, broadcasting, 0-d, in-place
    assert_close(getattr(ad[:3, None], name)(xd.detach()[:4]), getattr(at[:3, None], name)(xt.detach()[:4]), rtol, atol)
    assert_close(getattr(danlu, name)(ad[0], xd.detach()[1]), getattr(torch, name)(at[0], xt.detach()[1]), rtol, atol)
    c = ad.clone()
    getattr(c, name + "_")(xd.detach())
    assert_close(c, getattr(torch, name)(at, xt.detach()), rtol, atol)
    # no gradient with respect to a, as torch
    ag = to_danlu(a, True)
    with pytest.raises(RuntimeError, match=f"the derivative for '{name}: input' is not implemented"):
        getattr(danlu, name)(ag, xd).sum().backward()
    with pytest.raises(RuntimeError, match=f'"{name}_cpu" not implemented for \'Long\''):
        getattr(danlu, name)(danlu.tensor([1, 2]), danlu.tensor([2, 3]))


def test_igamma_edges():
    a = np.array([0.0, 0.0, 1.0, -1.0, 1.0, 2.0, np.inf, np.inf, np.nan, 2.0, 1e-300])
    x = np.array([0.0, 1.0, 0.0, 1.0, -1.0, np.inf, 1.0, np.inf, 1.0, np.nan, 1e-300])
    for name in ("igamma", "igammac"):
        assert_close(getattr(danlu, name)(to_danlu(a), to_danlu(x)),
                     getattr(torch, name)(to_torch(a), to_torch(x)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_special_wide_range(dtype):
    """Forward accuracy over wide ranges: negative non-integers, tiny and huge arguments."""
    x = np.concatenate([rng.uniform(-30, 30, 500), 10 ** rng.uniform(-200, 200, 200),
                        -(10 ** rng.uniform(-5, 2, 200)),
                        [0.0, -0.0, 1.0, 2.0, -1.0, -2.5, 0.5, np.inf, -np.inf, np.nan, 171.6, 1e-310]])
    x = x.astype(dtype)
    xd, xt = to_danlu(x), to_torch(x)
    tol = (1e-11, 1e-13) if dtype == "float64" else (2e-5, 1e-5)
    assert_close(danlu.lgamma(xd), torch.lgamma(xt), *tol)
    m = np.abs(x - np.round(x)) > 1e-3  # digamma/polygamma: torch's own pole arithmetic differs
    m |= (x > 0) | ~np.isfinite(x)
    m &= ~(np.isfinite(x) & (np.abs(x) > 1e30) & (dtype == "float32"))
    xs = x[m]
    assert_close(danlu.digamma(to_danlu(xs)), torch.digamma(to_torch(xs)), 1e-9 if dtype == "float64" else 1e-4, 1e-6)
    for n in (1, 2, 4):
        ys = xs[np.isfinite(xs) & (np.abs(xs) < 1e4) & ((xs > 0) | (np.abs(xs - np.round(xs)) > 0.05))]
        rt = 1e-12 if dtype == "float64" else 1e-3  # torch float32: sin(pi x) in float32
        assert_close(danlu.polygamma(n, to_danlu(ys)), torch.polygamma(n, to_torch(ys)), rt, 0)
    z = x[np.abs(np.nan_to_num(x)) < 800]
    assert_close(danlu.i0(to_danlu(z)), torch.i0(to_torch(z)), 1e-13 if dtype == "float64" else 1e-5, 0)


def test_special_points():
    x = torch.tensor([0.0, -0.0, -1.0, -2.0, 1.0, 2.0, math.inf, -math.inf, math.nan], dtype=torch.float64)
    d = danlu.tensor(x.numpy())
    for f in ("lgamma", "digamma", "i0"):
        assert_close(getattr(danlu, f)(d), getattr(torch, f)(x))
    assert_close(danlu.polygamma(2, d[:6]), torch.polygamma(2, x[:6]))
    assert_close(danlu.polygamma(1, d[:2]), torch.polygamma(1, x[:2]))
    with pytest.raises(RuntimeError, match="does not support negative n"):
        danlu.polygamma(-1, d)
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        danlu.mvlgamma(d, 0)


@pytest.mark.parametrize("f", ["lgamma", "digamma", "i0", "asinh", "angle", "acosh", "atanh", "arcsinh"])
@pytest.mark.parametrize("dt", ["int64", "int32", "bool"])
def test_int_inputs_promote(f, dt):
    a = np.array([1, 2, 3, 0]).astype(dt)
    assert_close(getattr(danlu, f)(to_danlu(a)), getattr(torch, f)(to_torch(a)))


def test_int_promotion_binary():
    a, b = np.array([1, -2, 3]), np.array([2, 5, -4], dtype="int32")
    for fn in (lambda l, x, y: l.copysign(x, y), lambda l, x, y: l.ldexp(x, y),
               lambda l, x, y: l.divide(x, y), lambda l, x, y: l.divide(x, y, rounding_mode="trunc"),
               lambda l, x, y: l.multiply(x, y), lambda l, x, y: l.subtract(x, y),
               lambda l, x, y: l.xlogy(x.abs(), y.abs()), lambda l, x, y: l.copysign(x, -1),
               lambda l, x, y: l.clamp_min(x, 1.5), lambda l, x, y: l.mvlgamma(x.abs() + 1, 2),
               lambda l, x, y: l.polygamma(1, x.abs())):
        assert_close(fn(danlu, to_danlu(a), to_danlu(b)), fn(torch, to_torch(a), to_torch(b)))


def test_xlogy_edges():
    x = np.array([0.0, 0.0, 0.0, 1.0, 2.0, -1.0, np.nan])
    y = np.array([np.nan, 0.0, 3.0, 0.0, np.inf, 2.0, 1.0])
    compare_fn(lambda l, a, b: l.xlogy(a, b), x, y)
    compare_fn(lambda l, a, b: l.xlogy(a, 2.0), x, y)
    assert_close(danlu.xlogy(2, to_danlu(y)), torch.xlogy(2, to_torch(y)))
    assert_close(danlu.xlogy(to_danlu(np.array([0, 1])), 3), torch.xlogy(to_torch(np.array([0, 1])), 3))


def test_logaddexp_infinities():
    a = np.array([np.inf, -np.inf, np.inf, 1.0, -np.inf])
    b = np.array([np.inf, -np.inf, 1.0, -np.inf, 2.0])
    for f in ("logaddexp", "logaddexp2"):
        assert_close(getattr(danlu, f)(to_danlu(a), to_danlu(b)), getattr(torch, f)(to_torch(a), to_torch(b)))


@pytest.mark.parametrize("dt", ["int64", "int32", "int16", "int8", "uint8"])
def test_integer_ops(dt):
    a = rng.integers(-50, 50, (3, 4)).astype(dt)
    b = rng.integers(-12, 12, (4,)).astype(dt)
    a[0, 0] = b[0] = 0
    for f in ("gcd", "lcm"):
        assert_close(getattr(danlu, f)(to_danlu(a), to_danlu(b)), getattr(torch, f)(to_torch(a), to_torch(b)))
        assert_close(getattr(to_danlu(a), f)(to_danlu(b)), getattr(to_torch(a), f)(to_torch(b)))
    bits = np.dtype(dt).itemsize * 8
    s = np.array([0, 1, 3, bits - 1, bits, bits + 3, -1, 2]).astype(dt) if dt != "uint8" else \
        np.array([0, 1, 3, 7, 8, 11, 200, 2], dtype=dt)
    v = np.array([1, -3, 100, -100, 5, -7, 9, 0]).astype(dt)
    for f in ("bitwise_left_shift", "bitwise_right_shift"):
        assert_close(getattr(danlu, f)(to_danlu(v), to_danlu(s)), getattr(torch, f)(to_torch(v), to_torch(s)))
    assert_close(to_danlu(v) << 2, to_torch(v) << 2)
    assert_close(to_danlu(v) >> to_danlu(s), to_torch(v) >> to_torch(s))
    assert_close(3 << to_danlu(s[:3]), 3 << to_torch(s[:3]))


def test_integer_op_errors_and_promotion():
    f = danlu.tensor([4.0])
    with pytest.raises(RuntimeError, match="\"gcd_cpu\" not implemented for 'Float'"):
        danlu.gcd(f, f)
    with pytest.raises(RuntimeError, match="\"lshift_cpu\" not implemented for 'Float'"):
        f << 1
    with pytest.raises(RuntimeError, match="\"nextafter_cpu\" not implemented for 'Long'"):
        danlu.nextafter(danlu.tensor([1]), danlu.tensor([2]))
    assert_close(danlu.tensor([True]) << 1, torch.tensor([True]) << 1)
    assert_close(danlu.gcd(danlu.tensor([12, 18], dtype=danlu.int32), danlu.tensor(8)), torch.gcd(torch.tensor([12, 18], dtype=torch.int32), torch.tensor(8)))
    t = danlu.tensor([1, 2])
    t <<= 3
    t >>= 1
    assert t.tolist() == [4, 8]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_nextafter_frexp(dtype):
    a = np.array([0.0, 1.0, -1.0, 1e30, np.inf, np.nan, -0.0]).astype(dtype)
    b = np.array([1.0, 2.0, -2.0, 0.0, 0.0, 1.0, -1.0]).astype(dtype)
    assert_close(danlu.nextafter(to_danlu(a), to_danlu(b)), torch.nextafter(to_torch(a), to_torch(b)))
    assert_close(to_danlu(a).nextafter(to_danlu(b[:1])), to_torch(a).nextafter(to_torch(b[:1])))
    assert_close(danlu.nextafter(to_danlu(a), to_danlu(b.astype("float64"))),
                 torch.nextafter(to_torch(a), to_torch(b.astype("float64"))))
    c = np.array([0.0, -3.5, np.inf, np.nan, 1e-30, 6.0, -0.0]).astype(dtype)
    assert_close(tuple(danlu.frexp(to_danlu(c))), tuple(torch.frexp(to_torch(c))))
    with pytest.raises(RuntimeError, match="only supports floating-point dtypes"):
        danlu.frexp(danlu.tensor([1]))


def test_complex_api_on_real_dtypes():
    x = danlu.tensor([1.0, -2.0], requires_grad=True)
    for f in ("real", "conj", "resolve_conj", "resolve_neg", "conj_physical", "positive"):
        assert getattr(danlu, f)(x) is x
    assert x.real is x and x.conj() is x and x.resolve_neg() is x
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes."):
        danlu.imag(x)
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        _ = x.imag
    assert not danlu.is_complex(x) and not x.is_conj() and not danlu.is_neg(x) and not danlu.is_conj(x)
    assert_close(danlu.isreal(danlu.tensor([1, 2])), torch.isreal(torch.tensor([1, 2])))
    assert_close(x.isreal(), torch.tensor([True, True]))
    with pytest.raises(RuntimeError, match="The `\\+` operator, on a bool tensor is not supported."):
        danlu.positive(danlu.tensor([True]))
    assert x.conj_physical_() is x


# -- in-place variants -------------------------------------------------------------------------
# name -> (args builder(lib) -> extra args, input transform, differentiable, top-level in torch)
def _t(lib, a):
    return to_lib(lib, np.asarray(a, dtype="float64"))


INPLACE = {
    "abs_": ((), None, True), "absolute_": ((), None, True),
    "acos_": ((), lambda x: np.tanh(x) * 0.9, True), "arccos_": ((), lambda x: np.tanh(x) * 0.9, True),
    "asin_": ((), lambda x: np.tanh(x) * 0.9, True), "arcsin_": ((), lambda x: np.tanh(x) * 0.9, True),
    "atan_": ((), None, True), "arctan_": ((), None, True),
    "atan2_": ((lambda l: _t(l, [0.5, -1.0, 2.0]),), None, True),
    "arctan2_": ((lambda l: _t(l, [0.5, -1.0, 2.0]),), None, True),
    "cosh_": ((), None, True), "sinh_": ((), None, True), "tan_": ((), lambda x: x * 0.3, True),
    "asinh_": ((), None, True), "arcsinh_": ((), None, True),
    "acosh_": ((), lambda x: pos(x, 1.1), True), "arccosh_": ((), lambda x: pos(x, 1.1), True),
    "atanh_": ((), lambda x: np.tanh(x) * 0.9, True), "arctanh_": ((), lambda x: np.tanh(x) * 0.9, True),
    "deg2rad_": ((), None, True), "rad2deg_": ((), None, True), "erfc_": ((), None, True),
    "erfinv_": ((), lambda x: np.tanh(x) * 0.9, True), "exp2_": ((), None, True), "fix_": ((), None, True),
    "frac_": ((), None, True), "log2_": ((), pos, True), "log10_": ((), pos, True),
    "logit_": ((), lambda x: (np.tanh(x) + 1.2) / 2.5, True), "sinc_": ((), None, True),
    "sgn_": ((), None, True), "heaviside_": ((lambda l: _t(l, [0.5]),), None, False),
    "hypot_": ((lambda l: _t(l, [0.5, -1.0, 2.0]),), None, True),
    "float_power_": ((2.5,), pos, True), "copysign_": ((lambda l: _t(l, [-1.0, 1.0, -0.0]),), None, True),
    "xlogy_": ((lambda l: _t(l, [0.5, 1.0, 2.0]),), None, True),
    "logical_xor_": ((lambda l: _t(l, [0.0, 1.0, 2.0]),), None, False),
    "eq_": ((lambda l: _t(l, [0.0, 1.0, 2.0]),), None, False), "ne_": ((0.3,), None, False),
    "lt_": ((0.1,), None, False), "le_": ((0.1,), None, False), "gt_": ((0.1,), None, False),
    "ge_": ((0.1,), None, False), "greater_": ((0.1,), None, False), "greater_equal_": ((0.1,), None, False),
    "less_": ((0.1,), None, False), "less_equal_": ((0.1,), None, False), "not_equal_": ((0.1,), None, False),
    "true_divide_": ((lambda l: _t(l, [0.5, -1.0, 2.0]),), None, True),
    "divide_": ((lambda l: _t(l, [0.5, -1.0, 2.0]),), None, True),
    "multiply_": ((1.5,), None, True), "subtract_": ((lambda l: _t(l, [0.5, -1.0, 2.0]),), None, True),
    "negative_": ((), None, True), "ldexp_": ((lambda l: _t(l, [1.0, -2.0, 3.0]),), None, True),
    "nextafter_": ((lambda l: _t(l, [0.0]),), None, False),
    "lgamma_": ((), away, True), "digamma_": ((), away, True), "polygamma_": ((1,), away, True),
    "mvlgamma_": ((2,), lambda x: pos(x, 1.0), True), "i0_": ((), None, True),
    "igamma_": ((lambda l: _t(l, [0.5, 1.0, 2.0]),), pos, False),
    "igammac_": ((lambda l: _t(l, [0.5, 1.0, 2.0]),), pos, False),
    "clamp_min_": ((0.1,), None, True), "clamp_max_": ((0.1,), None, True),
}


def _args(spec, lib):
    return [a(lib) if callable(a) else a for a in spec]


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace(name):
    spec, tr, diff = INPLACE[name]
    x = R(2, 3)
    x = tr(x) if tr else x
    td, tt = to_danlu(x), to_torch(x)
    v = td._version
    rd = getattr(td, name)(*_args(spec, danlu))
    rt = getattr(tt, name)(*_args(spec, torch))
    assert rd is td and td._version == v + 1
    assert_close(td, rt)
    if hasattr(torch, name):  # torch.abs_(x) and co.
        td2, tt2 = to_danlu(x), to_torch(x)
        getattr(danlu, name)(td2, *_args(spec, danlu))
        getattr(torch, name)(tt2, *_args(spec, torch))
        assert_close(td2, tt2)
    leaf = to_danlu(x, True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        getattr(leaf, name)(*_args(spec, danlu))
    if diff:  # gradient through the in-place op on a non-leaf
        ld, lt = to_danlu(x, True), to_torch(x, True)
        yd, yt = ld * 1.0, lt * 1.0
        getattr(yd, name)(*_args(spec, danlu))
        yt = getattr(yt, name[:-1])(*_args(spec, torch))  # torch lacks some in-place derivatives
        w = R(2, 3)
        (yd * to_danlu(w)).sum().backward()
        (yt * to_torch(w)).sum().backward()
        assert_close(ld.grad, torch.zeros_like(lt) + lt.grad)  # (+: torch's ZeroTensor)


@pytest.mark.parametrize("name", ["bitwise_and_", "bitwise_or_", "bitwise_xor_", "bitwise_not_",
                                  "bitwise_left_shift_", "bitwise_right_shift_", "gcd_", "lcm_",
                                  "eq_", "lt_", "abs_", "negative_", "clamp_min_"])
def test_inplace_integer(name):
    a = np.array([[6, -4, 9], [0, 15, -7]])
    args = () if name in ("bitwise_not_", "abs_", "negative_") else (2,) if name.endswith("shift_") \
        or name == "clamp_min_" else (np.array([4, 6, -3]),)
    td, tt = to_danlu(a), to_torch(a)
    getattr(td, name)(*[to_danlu(x) if isinstance(x, np.ndarray) else x for x in args])
    getattr(tt, name)(*[to_torch(x) if isinstance(x, np.ndarray) else x for x in args])
    assert_close(td, tt)


def test_inplace_dtype_errors():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        danlu.tensor([1, 2]).sin_()
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        danlu.tensor([1, 2]).true_divide_(2)
    with pytest.raises(RuntimeError, match="the base given to float_power_ has dtype Float"):
        danlu.tensor([1.0]).float_power_(2)
    t = danlu.tensor([1, 2])
    t.eq_(1.5)
    assert t.tolist() == [0, 0]
    d = danlu.tensor([5.0, -5.0])
    d.divide_(danlu.tensor(2.0), rounding_mode="trunc")
    assert d.tolist() == [2.0, -2.0]


def test_top_level_activations_inplace():
    x = R(5)
    for f, args in (("relu_", ()), ("selu_", ()), ("celu_", (0.7,)), ("threshold_", (0.1, -2.0))):
        td, tt = to_danlu(x), to_torch(x)
        assert getattr(danlu, f)(td, *args) is td
        getattr(torch, f)(tt, *args)
        assert_close(td, tt)


def test_i0_third_derivative_matches_torch():
    """i0'' is the derivative of the private I1 op's backward, which must stay differentiable."""
    import torch as _t

    from danlu._ops.special import I1

    res = []
    for lib in (_t, danlu):
        x = lib.tensor([-5.0, -0.3, 0.0, 0.7, 3.0], dtype=lib.float64, requires_grad=True)
        y = _t.special.i1(x) if lib is _t else I1.apply(x)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        res.append(h.detach().numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-10, atol=1e-12)
