"""Special functions: lgamma, digamma, polygamma, mvlgamma, i0 (i1 for its gradient), igamma, igammac.

The numerics are written here on the backend namespace (no scipy): every kernel flattens its
input, works in float64 and casts back, so float32 results are correctly rounded float64 values.

* ``lgamma``: Taylor series of ``log Gamma(2 + z)`` in ``zeta(k) - 1`` for x in [1, 3], the
  recurrence ``Gamma(x + 1) = x Gamma(x)`` towards that interval below 10, Stirling's series
  with seven Bernoulli terms from 10 up, and the reflection ``Gamma(x) Gamma(1 - x) =
  pi / sin(pi x)`` for x < 0.5 (negative non-integers included).
* ``digamma``: ``psi(x) = psi(x + 1) - 1/x`` up to x >= 10, then the asymptotic series
  ``log x - 1/(2x) - sum B_2k / (2k x^2k)``; ``psi(x) = psi(1 - x) - pi / tan(pi x)`` for x < 0.
* ``polygamma(1, x)``: the same scheme as torch (reflection below 1/2, six recurrence steps,
  asymptotic series to x^-7), so results agree with torch's to the last digits torch gets right.
* ``polygamma(n >= 2, x) = (-1)^(n+1) n! zeta(n + 1, x)`` with the Hurwitz zeta function summed
  by Euler-Maclaurin (terms shifted to q >= 10, twelve Bernoulli corrections).
* ``i0``/``i1``: power series for |x| <= 30, Hankel's asymptotic expansion beyond.
* ``igamma``/``igammac``: the regularised incomplete gamma functions P(a, x), Q(a, x) by the
  power series of P for x < a + 1 and Lentz's continued fraction of Q otherwise; the prefactor
  ``x^a e^-x / Gamma(a)`` is formed as ``a (log1p(t) - t)`` with ``t = (x - a)/a`` for large a.
"""
from __future__ import annotations

import math

from .. import _dtype as D
from .._backend import xp_of
from ..autograd.function import Op
from . import _util as U
from ._util import binary_operands, unbroadcast

__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma", "i0", "igamma", "igammac"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_EULER = 0.57721566490153286061
# B_2k for k = 1..12
_BERN = (1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730, 7.0 / 6,
         -3617.0 / 510, 43867.0 / 798, -174611.0 / 330, 854513.0 / 138, -236364091.0 / 2730)


def _flat64(a):
    xp = xp_of(a)
    return xp, xp.asarray(a, dtype="float64").reshape(-1).copy()


def _back(r, a):
    return r.reshape(a.shape).astype(a.dtype, copy=False)


def _frac_dist(x):
    """|x - round(x)| in [0, 0.5], exact: |sin(pi x)| = sin(pi * this)."""
    xp = xp_of(x)
    return xp.abs(x - xp.round(x))


# -- Stirling's correction and the zeta constants -------------------------------------------
def _stirling_corr(x):
    """``lgamma(x) - ((x - 1/2) log x - x + log(2 pi)/2)`` for x >= 10."""
    z = 1.0 / (x * x)
    s = 0.0
    for k in range(7, 0, -1):
        s = s * z + _BERN[k - 1] / (2 * k * (2 * k - 1))
    return s / x


def _hurwitz(s, q):
    """Hurwitz zeta ``sum_{k>=0} (q + k)^-s`` (float64 arrays, s > 1) by Euler-Maclaurin."""
    xp = xp_of(q)
    out = xp.zeros_like(q)
    a = q.copy()
    pole = (q <= 0) & (q == xp.floor(q))
    a = xp.where(pole, 10.0, a)
    while True:
        m = a < 10.0
        if not m.any():
            break
        out = out + xp.where(m, xp.power(xp.where(m, a, 1.0), -s), 0.0)
        a = xp.where(m, a + 1.0, a)
    out = out + a ** (1.0 - s) / (s - 1.0) + 0.5 * a ** (-s)
    # sum_j B_2j / (2j)! * s (s+1) ... (s+2j-2) * a^(-s-2j+1)
    fac = s / a ** (s + 1.0)  # j = 1: s * a^(-s-1)
    coef = 1.0  # (2j)!
    for j in range(1, 13):
        coef *= (2 * j - 1) * (2 * j)
        term = _BERN[j - 1] / coef * fac
        out = out + term
        fac = fac * (s + 2 * j - 1) * (s + 2 * j) / (a * a)
    return xp.where(pole, xp.inf, out)


_ZM1 = None  # zeta(k) - 1 for k = 2..60


def _zeta_minus_one(xp):
    """``zeta(k) - 1 = zeta(k, 2)`` for k = 2..60 as Python floats (computed once)."""
    global _ZM1
    if _ZM1 is None:
        _ZM1 = [float(_hurwitz(float(k), xp.full(1, 2.0))[0]) for k in range(2, 61)]
    return _ZM1


# -- lgamma ---------------------------------------------------------------------------------
def _lgamma_pos(x):
    """log Gamma(x) for finite x > 0 (float64, flat)."""
    xp = xp_of(x)
    out = xp.empty_like(x)
    big = x >= 10.0
    xb = x[big]
    out[big] = (xb - 0.5) * xp.log(xb) - xb + _HALF_LOG_2PI + _stirling_corr(xb)
    sm = ~big
    xs = x[sm]
    # bring xs into [1.5, 2.5]: up from [0.5, 1.5), down from (2.5, 10)
    low = xs < 1.5
    shift = xp.where(low, -xp.log(xp.where(low, xs, 1.0)), 0.0)
    xs = xp.where(low, xs + 1.0, xs)
    prod = xp.ones_like(xs)
    for _ in range(7):
        m = xs > 2.5
        if not m.any():
            break
        xs = xp.where(m, xs - 1.0, xs)
        prod = xp.where(m, prod * xs, prod)
    z = xs - 2.0
    zm1 = _zeta_minus_one(xp)
    s = xp.zeros_like(z)
    for k in range(len(zm1) + 1, 1, -1):  # Horner in z: sum_{k>=2} (-1)^k (zeta(k)-1)/k z^k
        s = (s + (-1) ** k * zm1[k - 2] / k) * z
    s = (s + (1.0 - _EULER)) * z
    out[sm] = s + shift + xp.log(prod)
    return out


def _lgamma(a):
    xp, x = _flat64(a)
    out = xp.full_like(x, xp.inf)
    fin = xp.isfinite(x)
    out[xp.isnan(x)] = xp.nan
    pos = fin & (x > 0)
    out[pos] = _lgamma_pos(x[pos])
    neg = fin & (x < 0)
    xn = x[neg]
    sin_pi = xp.sin(math.pi * _frac_dist(xn))
    with xp.errstate(divide="ignore"):
        out[neg] = math.log(math.pi) - xp.log(sin_pi) - _lgamma_pos(1.0 - xn)
    return _back(out, a)


# -- digamma and polygamma ------------------------------------------------------------------
def _digamma_pos(x):
    """psi(x) for finite x > 0."""
    xp = xp_of(x)
    acc = xp.zeros_like(x)
    while True:
        m = x < 10.0
        if not m.any():
            break
        acc = acc - xp.where(m, 1.0 / xp.where(m, x, 1.0), 0.0)
        x = xp.where(m, x + 1.0, x)
    z = 1.0 / (x * x)
    s = 0.0
    for k in range(7, 0, -1):
        s = s * z + _BERN[k - 1] / (2 * k)
    return acc + xp.log(x) - 0.5 / x - s * z


def _digamma(a):
    xp, x = _flat64(a)
    out = xp.full_like(x, xp.nan)
    out[x == xp.inf] = xp.inf
    zero = x == 0
    out[zero] = xp.copysign(xp.inf, -x[zero])
    pos = xp.isfinite(x) & (x > 0)
    out[pos] = _digamma_pos(x[pos])
    neg = xp.isfinite(x) & (x < 0) & (x != xp.floor(x))
    xn = x[neg]
    r = xn - xp.trunc(xn)  # torch reduces by the fractional part (modf); so do we, to agree
    out[neg] = _digamma_pos(1.0 - xn) - math.pi / xp.tan(math.pi * r)
    return _back(out, a)


def _trigamma(a):
    xp, x = _flat64(a)
    sign = xp.ones_like(x)
    res = xp.zeros_like(x)
    refl = x < 0.5
    # sin(pi x) in the result's precision, as torch's float kernel (at a pole, float32's
    # sin(pi * -2) is 1.7e-7, not float64's 2.4e-16: it decides the huge finite value)
    cdt = "float64" if a.dtype == "float64" else "float32"
    with xp.errstate(divide="ignore", invalid="ignore"):
        xr = xp.where(refl, x, 0.0).astype(cdt)
        sp = xp.sin(xp.asarray(math.pi, dtype=cdt) * xr).astype("float64")
        res = xp.where(refl, -(math.pi * math.pi) / (sp * sp), res)
    sign = xp.where(refl, -1.0, sign)
    x = xp.where(refl, 1.0 - x, x)
    for _ in range(6):
        res = res + 1.0 / (x * x)
        x = x + 1.0
    ixx = 1.0 / (x * x)
    res = res + (1.0 + 1.0 / (2.0 * x) + ixx * (1.0 / 6 - ixx * (1.0 / 30 - ixx * (1.0 / 42)))) / x
    return _back(sign * res, a)


def _polygamma(n: int, a):
    if n == 0:
        return _digamma(a)
    if n == 1:
        return _trigamma(a)
    xp, x = _flat64(a)
    with xp.errstate(over="ignore", divide="ignore", invalid="ignore"):
        z = _hurwitz(float(n + 1), x)
        z = xp.where(xp.isnan(x), xp.nan, z)
        out = (1.0 if n % 2 else -1.0) * math.exp(math.lgamma(n + 1.0)) * z
    return _back(out, a)


class Lgamma(Op):
    """``log |Gamma(x)|``; d/dx = digamma(x)."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a):
        return _lgamma(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return (g * Polygamma.apply(a, n=0),)


class Polygamma(Op):
    """``psi^(n)(x)``, the n-th derivative of digamma; d/dx = psi^(n+1)(x)."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a, n=0):
        ctx.n = n
        return _polygamma(n, a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return (g * Polygamma.apply(a, n=ctx.n + 1),)


def _floatify(x):
    if not isinstance(x, U.Tensor):
        raise TypeError(f"expected Tensor as element 0 in argument 0, but got {type(x).__name__}")
    return x if x._data.dtype.kind == "f" else x.to(D.get_default_dtype())


def _out(res, out):
    from .elementwise import _out as o

    return o(res, out)


def lgamma(input, *, out=None):
    """``log |Gamma(input)|`` (inf at the poles 0, -1, -2, ...)."""
    return _out(Lgamma.apply(_floatify(input)), out)


def digamma(input, *, out=None):
    """``psi(x) = d/dx log Gamma(x)``; -inf at +0, +inf at -0, NaN at negative integers."""
    return _out(Polygamma.apply(_floatify(input), n=0), out)


def polygamma(n: int, input, *, out=None):
    """``psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x)`` for n >= 1, digamma for n = 0."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return _out(Polygamma.apply(_floatify(input), n=int(n)), out)


def mvlgamma(input, p: int, *, out=None):
    """Multivariate log-gamma: ``p (p - 1) / 4 log(pi) + sum_{j<p} lgamma(x - j / 2)``."""
    if input.dtype is D.bool_:
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = _floatify(input)
    r = lgamma(x)
    for j in range(1, p):
        r = r + lgamma(x - j / 2.0)
    return _out(r + p * (p - 1) / 4.0 * math.log(math.pi), out)


# -- modified Bessel functions --------------------------------------------------------------
def _bessel(a, order: int):
    """I_0 (order 0) or I_1 (order 1) of a float array."""
    xp, x = _flat64(a)
    ax = xp.abs(x)
    out = xp.empty_like(x)
    small = ax <= 30.0
    xs = ax[small]
    y = xs * xs / 4.0
    term = xp.ones_like(xs) if order == 0 else xs / 2.0
    s = term.copy()
    for k in range(1, 90):  # sum (x/2)^(2k+order) / (k! (k+order)!)
        term = term * y / (k * (k + order))
        s = s + term
    out[small] = s
    xl = ax[~small]
    mu = 4.0 * order * order
    term = xp.ones_like(xl)
    s = term.copy()
    for k in range(1, 30):  # Hankel: prod_j -(mu - (2j-1)^2) / (j 8x)
        term = term * (-(mu - (2 * k - 1) ** 2)) / (k * 8.0 * xl)
        s = s + term
    with xp.errstate(over="ignore", invalid="ignore"):
        out[~small] = xp.exp(xl) * s / xp.sqrt(2.0 * math.pi * xl)
    if order == 1:
        out = xp.where(x < 0, -out, out)
    # torch evaluates exp(|x|) in the input's precision: inf once that overflows
    lim = math.log(float(xp.finfo(a.dtype).max)) if a.dtype.kind == "f" else math.inf
    out = xp.where(ax > lim, xp.copysign(xp.inf, out), out)
    out = xp.where(xp.isinf(x), xp.nan, out)  # torch's Chebyshev kernels give NaN at +-inf
    out = xp.where(xp.isnan(x), xp.nan, out)
    return _back(out, a)


class I0(Op):
    """Modified Bessel function of the first kind, order 0; d/dx = I_1(x)."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a):
        return _bessel(a, 0)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return (g * I1.apply(a),)


class I1(Op):
    """Order-1 Bessel I_1; d/dx = I_0(x) - I_1(x) / x (1/2 at x = 0)."""

    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, a):
        return _bessel(a, 1)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        zero = a == 0
        safe = a.masked_fill(zero, 1.0)  # differentiable in a (a constant 1/x broke second derivatives)
        d = I0.apply(a) - out / safe
        from .elementwise import where

        return (g * where(zero, d * 0 + 0.5, d),)


def i0(input, *, out=None):
    """``I_0(x) = sum_k (x/2)^(2k) / (k!)^2``."""
    return _out(I0.apply(_floatify(input)), out)


# -- regularised incomplete gamma -----------------------------------------------------------
def _log_prefactor(a, x):
    """``a log x - x - lgamma(a)``, accurate for large a via log1p."""
    xp = xp_of(a)
    big = a >= 10.0
    ab = xp.where(big, a, 10.0)
    t = (x - ab) / ab
    with xp.errstate(divide="ignore", invalid="ignore"):
        stable = ab * (xp.log1p(t) - t) + 0.5 * xp.log(ab) - _HALF_LOG_2PI - _stirling_corr(ab)
        direct = a * xp.log(x) - x - _lgamma(a)
    return xp.where(big, stable, direct)


def _iters(a) -> int:
    """Iteration cap: both expansions need O(sqrt(a)) terms near x = a."""
    return int(min(2000 + 40 * math.sqrt(float(a.max())), 400000))


def _igam(a_arr, x_arr):
    """(P, Q) of the same shape as the (broadcast) inputs, float64."""
    xp = xp_of(a_arr)
    shape = xp.broadcast_shapes(a_arr.shape, x_arr.shape) if hasattr(xp, "broadcast_shapes") \
        else xp.broadcast(a_arr, x_arr).shape
    a = xp.broadcast_to(xp.asarray(a_arr, dtype="float64"), shape).reshape(-1).copy()
    x = xp.broadcast_to(xp.asarray(x_arr, dtype="float64"), shape).reshape(-1).copy()
    P = xp.full_like(a, xp.nan)
    Q = xp.full_like(a, xp.nan)
    ok = (a >= 0) & (x >= 0)  # False for NaN
    # edge cases (torch's): a == 0 -> P = 1 for x > 0; x == 0 -> P = 0 for a > 0;
    # x == inf -> P = 1 for finite a; a == inf -> P = 0 for finite x
    e1 = ok & (a == 0) & (x > 0)
    e2 = ok & (x == 0) & (a > 0)
    e3 = ok & (x == xp.inf) & xp.isfinite(a) & (a > 0)
    e4 = ok & (a == xp.inf) & xp.isfinite(x)
    P[e1 | e3], Q[e1 | e3] = 1.0, 0.0
    P[e2 | e4], Q[e2 | e4] = 0.0, 1.0
    gen = ok & (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
    ser = gen & (x < a + 1.0)
    cf = gen & ~ser
    eps = 1e-17
    if ser.any():
        aa, xx = a[ser], x[ser]
        ap = aa.copy()
        term = 1.0 / aa
        s = term.copy()
        for i in range(_iters(aa)):
            ap = ap + 1.0
            term = term * xx / ap
            s = s + term
            if i % 16 == 15 and bool((term < s * eps).all()):
                break
        p = xp.exp(_log_prefactor(aa, xx)) * s
        P[ser], Q[ser] = p, 1.0 - p
    if cf.any():
        aa, xx = a[cf], x[cf]
        tiny = 1e-300
        b = xx + 1.0 - aa
        c = xp.full_like(aa, 1.0 / tiny)
        d = 1.0 / b
        h = d.copy()
        for i in range(1, _iters(aa)):
            an = -i * (i - aa)
            b = b + 2.0
            d = an * d + b
            d = xp.where(xp.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = xp.where(xp.abs(c) < tiny, tiny, c)
            d = 1.0 / d
            delta = d * c
            h = h * delta
            if i % 16 == 0 and bool((xp.abs(delta - 1.0) < 3e-16).all()):
                break
        q = xp.exp(_log_prefactor(aa, xx)) * h
        P[cf], Q[cf] = 1.0 - q, q
    return P.reshape(shape), Q.reshape(shape)


class _Igamma(Op):
    """P(a, x) (``upper=False``) or Q(a, x); d/dx = +-x^(a-1) e^-x / Gamma(a); no gradient in a."""

    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, a, x, upper=False):
        ctx.sa, ctx.sx, ctx.upper = a.shape, x.shape, upper
        P, Q = _igam(a, x)
        return (Q if upper else P).astype(xp_of(a).result_type(a, x), copy=False)

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        n = ctx.needs_input_grad
        if n[0]:
            raise RuntimeError(
                f"the derivative for '{'igammac' if ctx.upper else 'igamma'}: input' is not implemented.")
        d = ((a - 1) * x.log() - x - Lgamma.apply(a)).exp()
        return None, unbroadcast(-g * d if ctx.upper else g * d, ctx.sx)


def _igamma(input, other, upper, out):
    from .elementwise import _need_tensors

    _need_tensors("igammac" if upper else "igamma", input, other)
    a, x, dt = binary_operands(input, other)
    if not dt.is_floating_point:
        from .elementwise import _tn

        raise NotImplementedError(f"\"{'igammac' if upper else 'igamma'}_cpu\" not implemented for '{_tn(dt)}'")
    U.broadcast_shapes(a.shape, x.shape)
    return _out(_Igamma.apply(a, x, upper=upper), out)


def igamma(input, other, *, out=None):
    """Regularised lower incomplete gamma ``P(a, x) = gamma(a, x) / Gamma(a)``."""
    return _igamma(input, other, False, out)


def igammac(input, other, *, out=None):
    """Regularised upper incomplete gamma ``Q(a, x) = 1 - P(a, x)``."""
    return _igamma(input, other, True, out)
