"""Elementwise ops vs torch: values, gradients, dtype promotion, broadcasting, layouts."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import danlu
from tests._oracle import assert_close, compare_fn, to_danlu, to_torch

rng = np.random.default_rng(0)


def R(*shape, dtype="float64", lo=None):
    a = rng.standard_normal(shape).astype(dtype)
    return np.abs(a) + lo if lo is not None else a


UNARY = {
    "exp": lambda l, x: l.exp(x), "expm1": lambda l, x: l.expm1(x),
    "log": (lambda l, x: l.log(x), 0.1), "log2": (lambda l, x: l.log2(x), 0.1),
    "log10": (lambda l, x: l.log10(x), 0.1), "log1p": (lambda l, x: l.log1p(x), 0.1),
    "sqrt": (lambda l, x: l.sqrt(x), 0.1), "rsqrt": (lambda l, x: l.rsqrt(x), 0.1),
    "square": lambda l, x: l.square(x), "sin": lambda l, x: l.sin(x), "cos": lambda l, x: l.cos(x),
    "tan": lambda l, x: l.tan(x * 0.3), "tanh": lambda l, x: l.tanh(x),
    "sigmoid": lambda l, x: l.sigmoid(x), "relu": lambda l, x: l.relu(x),
    "erf": lambda l, x: l.erf(x), "erfc": lambda l, x: l.erfc(x),
    "erfinv": lambda l, x: l.erfinv(x.tanh() * 0.9),
    "floor": lambda l, x: l.floor(x), "ceil": lambda l, x: l.ceil(x),
    "round": lambda l, x: l.round(x), "trunc": lambda l, x: l.trunc(x),
    "neg": lambda l, x: l.neg(x), "abs": lambda l, x: l.abs(x), "sign": lambda l, x: l.sign(x),
    "reciprocal": (lambda l, x: l.reciprocal(x), 0.1), "asin": lambda l, x: l.asin(x.tanh() * 0.9),
    "acos": lambda l, x: l.acos(x.tanh() * 0.9), "atan": lambda l, x: l.atan(x),
    "sinh": lambda l, x: l.sinh(x), "cosh": lambda l, x: l.cosh(x), "frac": lambda l, x: l.frac(x),
    "exp2": lambda l, x: l.exp2(x), "sinc": lambda l, x: l.sinc(x),
    "clamp": lambda l, x: l.clamp(x, -0.5, 0.7), "clamp_min": lambda l, x: l.clamp(x, min=0.1),
    "clamp_max": lambda l, x: x.clamp(max=0.1), "clip": lambda l, x: l.clip(x, -1, 1),
    "round_dec": lambda l, x: l.round(x * 10, decimals=1),
    "nan_to_num": lambda l, x: l.nan_to_num(l.log(x)),
    "pow_scalar": lambda l, x: x ** 3, "pow_frac": (lambda l, x: x ** 1.5, 0.1),
    "rpow": lambda l, x: 2.0 ** x, "neg_op": lambda l, x: -x, "abs_op": lambda l, x: abs(x),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name, dtype):
    f = UNARY[name]
    f, lo = f if isinstance(f, tuple) else (f, None)
    compare_fn(f, R(3, 4, dtype=dtype, lo=lo))
    compare_fn(f, R(dtype=dtype, lo=lo))  # 0-d
    compare_fn(f, R(0, 3, dtype=dtype, lo=lo))  # empty
    compare_fn(lambda l, x: f(l, x.t()), R(4, 3, dtype=dtype, lo=lo))  # transposed
    compare_fn(lambda l, x: f(l, x[::2, 1:]), R(5, 4, dtype=dtype, lo=lo))  # sliced


BINARY = {
    "add": lambda l, a, b: a + b, "sub": lambda l, a, b: a - b, "mul": lambda l, a, b: a * b,
    "div": lambda l, a, b: a / b, "pow": lambda l, a, b: a.abs() ** b,
    "add_alpha": lambda l, a, b: l.add(a, b, alpha=2), "sub_alpha": lambda l, a, b: l.sub(a, b, alpha=0.5),
    "maximum": lambda l, a, b: l.maximum(a, b), "minimum": lambda l, a, b: l.minimum(a, b),
    "fmax": lambda l, a, b: l.fmax(a, b), "fmin": lambda l, a, b: l.fmin(a, b),
    "atan2": lambda l, a, b: l.atan2(a, b), "hypot": lambda l, a, b: l.hypot(a, b),
    "lerp": lambda l, a, b: l.lerp(a, b, 0.3), "lerp_t": lambda l, a, b: l.lerp(a, b, b.sigmoid()),
    "logaddexp": lambda l, a, b: l.logaddexp(a, b), "xlogy": lambda l, a, b: l.xlogy(a, b.abs()),
    "where": lambda l, a, b: l.where(a > 0, a, b), "remainder": lambda l, a, b: l.remainder(a, b),
    "fmod": lambda l, a, b: l.fmod(a, b), "floordiv": lambda l, a, b: a // b,
    "mod": lambda l, a, b: a % b, "div_floor": lambda l, a, b: l.div(a, b, rounding_mode="floor"),
    "div_trunc": lambda l, a, b: l.div(a, b, rounding_mode="trunc"),
    "float_power": lambda l, a, b: l.float_power(a.abs(), b),
    "addcmul": lambda l, a, b: l.addcmul(a, a, b, value=0.5),
    "addcdiv": lambda l, a, b: l.addcdiv(a, a, b.abs() + 1, value=0.5),
}


NOGRAD = {"floordiv", "div_floor", "div_trunc"}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (3,)),
                                    ((0, 3), (1, 3))])
def test_binary(name, dtype, shapes):
    sa, sb = shapes
    b = R(*sb, dtype=dtype)
    b = np.where(np.abs(b) < 0.2, 0.5, b).astype(dtype)
    compare_fn(BINARY[name], R(*sa, dtype=dtype), b, grad=name not in NOGRAD)


@pytest.mark.parametrize("name", ["add", "mul", "div", "sub", "maximum"])
def test_binary_noncontiguous(name):
    compare_fn(lambda l, a, b: BINARY[name](l, a.t(), b[:, ::2]), R(4, 3), R(3, 8) + 3)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow"])
@pytest.mark.parametrize("s", [2, 2.5, -3, True])
def test_reflected_scalar(op, s):
    import operator

    f = getattr(operator, op)
    x = R(3, 2, lo=0.5)
    if s is True and op in ("sub", "pow"):
        with pytest.raises(RuntimeError):
            torch.tensor(x) - True
        return
    compare_fn(lambda l, x: f(x, s), x, grad=op != "floordiv")
    if op == "pow" and s == -3:
        return
    compare_fn(lambda l, x: f(s, x), x, grad=op not in ("floordiv", "mod"))


DTYPES = ["float16", "float32", "float64", "int64", "int32", "uint8", "bool"]


def _arr(dt, shape=(3,)):
    if dt == "bool":
        return rng.random(shape) > 0.5
    if dt == "uint8":
        return rng.integers(1, 5, shape).astype(dt)
    if dt.startswith("int"):
        return rng.integers(1, 5, shape).astype(dt)
    return (rng.random(shape) + 0.5).astype(dt)


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
def test_promotion_tensor_tensor(da, db):
    a, b = _arr(da), _arr(db)
    for f in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x / y):
        if da == db == "bool" and f(True, True) == 2:
            pass
        r, e = f(to_danlu(a), to_danlu(b)), f(to_torch(a), to_torch(b))
        assert_close(r, e, rtol=1e-3, atol=1e-3)
    # 0-d operand of the other dtype
    r, e = to_danlu(a) * to_danlu(b[0]), to_torch(a) * to_torch(b[0])
    assert_close(r, e, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("s", [2, 2.5, True, -1])
def test_promotion_scalar(da, s):
    a = _arr(da)
    if da == "uint8" and s == -1:
        return
    if s is True:
        with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with (a bool tensor|two bool)"):
            to_danlu(a) - s
    for f in (lambda x: x + s, lambda x: s * x, lambda x: x - s if da != "bool" and s is not True else x * s,
              lambda x: x / s, lambda x: x > s):
        assert_close(f(to_danlu(a)), f(to_torch(a)), rtol=1e-3, atol=1e-3)


def test_result_type_and_promote_types():
    assert danlu.promote_types(danlu.int32, danlu.float16) is danlu.float16
    assert danlu.promote_types(danlu.uint8, danlu.int8) is danlu.int16
    assert danlu.result_type(danlu.tensor([1, 2]), 2.5) is danlu.float32
    assert danlu.result_type(danlu.tensor([1.0]), danlu.tensor(1.0, dtype=danlu.float64)) is danlu.float32
    assert danlu.result_type(danlu.tensor(1, dtype=danlu.int32), danlu.tensor(1.0, dtype=danlu.float64)) \
        is danlu.float64


CMP = ["eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("name", CMP)
def test_comparisons(name):
    a, b = np.array([1.0, 2, 3, np.nan]), np.array([2.0, 2, 1, 1])
    assert_close(getattr(danlu, name)(to_danlu(a), to_danlu(b)), getattr(torch, name)(to_torch(a), to_torch(b)))
    assert_close(getattr(to_danlu(a), name)(2), getattr(to_torch(a), name)(2))


def test_comparison_operators_and_logical():
    a, b = R(3, 4), R(4)
    da, db, ta, tb = to_danlu(a), to_danlu(b), to_torch(a), to_torch(b)
    for f in (lambda x, y: x < y, lambda x, y: x <= y, lambda x, y: x > y, lambda x, y: x >= y,
              lambda x, y: x == y, lambda x, y: x != y, lambda x, y: (x > 0) & (y > 0),
              lambda x, y: (x > 0) | (y > 0), lambda x, y: (x > 0) ^ (y > 0), lambda x, y: ~(x > y),
              lambda x, y: 0.5 < x, lambda x, y: 1 == x):
        assert_close(f(da, db), f(ta, tb))
    for n in ("logical_and", "logical_or", "logical_xor"):
        assert_close(getattr(danlu, n)(da, db), getattr(torch, n)(ta, tb))
    assert_close(danlu.logical_not(da), torch.logical_not(ta))
    i, j = rng.integers(0, 16, (5,)), rng.integers(0, 16, (5,))
    for f in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y, lambda x, y: ~x):
        assert_close(f(to_danlu(i), to_danlu(j)), f(to_torch(i), to_torch(j)))


def test_isnan_isinf_isclose():
    a = np.array([1.0, np.nan, np.inf, -np.inf, 0.0])
    b = np.array([1.0 + 1e-9, np.nan, np.inf, 1.0, 1e-9])
    for n in ("isnan", "isinf", "isfinite", "isposinf", "isneginf"):
        assert_close(getattr(danlu, n)(to_danlu(a)), getattr(torch, n)(to_torch(a)))
    assert_close(danlu.isclose(to_danlu(a), to_danlu(b)), torch.isclose(to_torch(a), to_torch(b)))
    assert_close(danlu.isclose(to_danlu(a), to_danlu(b), equal_nan=True),
                 torch.isclose(to_torch(a), to_torch(b), equal_nan=True))
    assert danlu.allclose(to_danlu(a[:1]), to_danlu(b[:1])) is torch.allclose(to_torch(a[:1]), to_torch(b[:1]))
    assert danlu.equal(to_danlu(a[:1]), to_danlu(a[:1])) and not danlu.equal(to_danlu(a[:1]), to_danlu(b[:1]))
    assert not danlu.equal(danlu.zeros(2), danlu.zeros(3))


def test_integer_ops():
    a, b = np.array([7, -7, 5, -5]), np.array([2, 2, -3, -3])
    for f in (lambda x, y: x // y, lambda x, y: x % y, lambda x, y: x * y, lambda x, y: x / y,
              lambda x, y: x ** 2, lambda x, y: -x, lambda x, y: abs(x), lambda x, y: x.sign(),
              lambda x, y: x.clamp(-1, 3), lambda x, y: x.fmod(y), lambda x, y: x.remainder(y),
              lambda x, y: x.float().floor(), lambda x, y: x.sqrt()):
        assert_close(f(to_danlu(a), to_danlu(b)), f(to_torch(a), to_torch(b)))


def test_where_scalar_and_masked_fill():
    compare_fn(lambda l, a: l.where(a > 0, a, 0.0), R(3, 4))
    compare_fn(lambda l, a: l.where(a > 0, 1.0, a), R(3, 4))
    compare_fn(lambda l, a: a.masked_fill(a > 0.5, -1.0), R(3, 4))
    compare_fn(lambda l, a, m: a.masked_fill(m > 0, 2.0), R(3, 4), R(4))
    c = to_danlu(R(3) > 0)
    assert_close(danlu.where(c), torch.where(to_torch(np.asarray(c._data))))


def test_where_two_python_scalars():
    """Both branches Python numbers: promoted as wrapped scalars (float -> default dtype)."""
    c = R(2, 3) > 0
    for a, b in [(0.0, float("-inf")), (1, 0), (1, 0.5), (True, False), (True, 2)]:
        assert_close(danlu.where(to_danlu(c), a, b), torch.where(to_torch(c), a, b))
    danlu.set_default_dtype(danlu.float64)
    try:
        assert danlu.where(to_danlu(c), 1.0, 2.0).dtype is danlu.float64
    finally:
        danlu.set_default_dtype(danlu.float32)


def test_clamp_tensor_bounds():
    compare_fn(lambda l, x, lo, hi: l.clamp(x, lo, hi + 2), R(3, 4), R(4), R(3, 1))


@given(st.lists(st.integers(1, 3), min_size=0, max_size=3), st.lists(st.integers(1, 3), min_size=0, max_size=3))
def test_broadcast_hypothesis(s1, s2):
    a, b = R(*s1), R(*s2)
    try:
        np.broadcast_shapes(tuple(s1), tuple(s2))
    except ValueError:
        with pytest.raises(RuntimeError, match="must match the size of tensor b"):
            to_danlu(a) + to_danlu(b)
        return
    compare_fn(lambda l, x, y: (x * y + x).tanh() - y, a, b)


def test_inplace_ops_match_torch():
    x = R(3, 4)

    def f(l, a):
        a = a * 1.0
        a.add_(1).mul_(2).sub_(0.5).div_(3).clamp_(-1, 1)
        a += 1
        a -= a * 0.1
        a *= 2
        a /= 3
        for op in ("pow_", "sqrt_", "exp_", "log_", "neg_", "abs_", "sigmoid_", "tanh_", "sin_", "cos_"):
            a = a * 1.0 + 1.5
            a = getattr(a, op)(2) if op == "pow_" else getattr(a, op)()
        return a

    compare_fn(f, x)


def test_out_argument():
    o = danlu.empty(3)
    r = danlu.add(danlu.ones(3), danlu.ones(3), out=o)
    assert r is o and o.tolist() == [2.0, 2.0, 2.0]
