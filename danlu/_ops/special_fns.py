"""More of torch.special: i0e, i1, i1e, erfcx, ndtr, ndtri, log_ndtr, xlog1py, entr, zeta.

Kernels work in float64 on the backend namespace (no scipy) and cast back:

* ``i0e``/``i1e``: ``exp(-|x|) I_n(x)`` by the power series times ``exp(-|x|)`` for |x| <= 30,
  Hankel's expansion ``sum_k prod_j (-(4n^2 - (2j-1)^2)) / (j 8x) / sqrt(2 pi x)`` beyond (no
  overflow: the ``exp`` is never formed).
* ``erfcx(x) = exp(x^2) erfc(x)``: ``exp(x^2) (1 - erf(x))`` for x < 1/2 (no cancellation
  there); for x >= 1/2 ``x h / sqrt(pi)`` where ``h`` is the modified-Lentz continued fraction
  of the upper incomplete gamma ``Q(1/2, x^2)`` (its prefactor ``x e^{-x^2} / sqrt(pi)`` cancels
  the ``exp(x^2)``); ``1 / (x sqrt(pi))`` past 1e8.
* ``ndtr(x) = erfc(-x / sqrt 2) / 2`` with ``erfc(z) = erfcx(z) exp(-z^2)`` in the left tail;
  ``log_ndtr(x) = log(erfcx(-x / sqrt 2) / 2) - x^2 / 2`` for x < -1, ``log1p(-ndtr(-x))`` else.
* ``ndtri(p)``: Abramowitz-Stegun 26.2.23 as the start, then Newton steps on
  ``log_ndtr(x) = log p`` (in log space, so p down to 1e-308 is resolved) in the tails,
  ``-ndtri(1 - p)`` for p > 3/4; ``sqrt(2) erfinv(2p - 1)`` for |p - 1/2| <= 1/4.
* ``ndtr`` is accurate in the left tail, where torch's float64 ``ndtr`` (``(1 + erf(x/sqrt 2))/2``)
  loses all digits below 1e-16 (it gives 0 from x = -9); danlu equals ``erfc(-x/sqrt 2)/2``.
* ``zeta(x, q)``: Hurwitz zeta by Euler-Maclaurin (``special._hurwitz``), the explicit terms
  carried up to ``q + k >= max(10, x)`` so the Bernoulli tail converges for large x; torch's
  conventions at x <= 1 and q <= 0.
"""
from __future__ import annotations

import math

from .. import _dtype as D
from .._backend import xp_of
from ..autograd.function import Op
from . import _util as U
from ._util import binary_operands, unbroadcast
from .special import I1, _back, _flat64, _hurwitz

__all__ = ["i0e", "i1", "i1e", "erfcx", "ndtr", "ndtri", "log_ndtr", "xlog1py", "entr", "zeta"]

_SQRT_PI = math.sqrt(math.pi)
_SQRT2 = math.sqrt(2.0)
_SQRT_2_PI = math.sqrt(2.0 / math.pi)  # sqrt(2 / pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _floatify(x):
    if not isinstance(x, U.Tensor):
        raise TypeError(f"expected Tensor as element 0 in argument 0, but got {type(x).__name__}")
    return x if x._data.dtype.kind == "f" else x.to(D.get_default_dtype())


def _out(res, out):
    from .elementwise import _out as o

    return o(res, out)


# -- scaled Bessel functions ----------------------------------------------------------------
def _bessel_e(a, order: int):
    """``exp(-|x|) I_order(x)`` of a float array."""
    xp, x = _flat64(a)
    ax = xp.abs(x)
    out = xp.empty_like(x)
    small = ax <= 30.0
    xs = ax[small]
    y = xs * xs / 4.0
    term = xp.ones_like(xs) if order == 0 else xs / 2.0
    s = term.copy()
    for k in range(1, 90):
        term = term * y / (k * (k + order))
        s = s + term
    out[small] = s * xp.exp(-xs)
    xl = ax[~small]
    mu = 4.0 * order * order
    term = xp.ones_like(xl)
    s = term.copy()
    with xp.errstate(invalid="ignore", divide="ignore"):
        for k in range(1, 30):
            term = term * (-(mu - (2 * k - 1) ** 2)) / (k * 8.0 * xl)
            s = s + term
        out[~small] = xp.where(xp.isinf(xl), 0.0, s / xp.sqrt(2.0 * math.pi * xl))
    if order == 1:
        out = xp.where(x < 0, -out, out)
    out = xp.where(xp.isnan(x), xp.nan, out)
    return _back(out, a)


class I0e(Op):
    """``exp(-|x|) I_0(x)``; d/dx = i1e(x) - sign(x) i0e(x)."""

    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, a):
        return _bessel_e(a, 0)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        return (g * (I1e.apply(a) - a.sign() * out),)


class I1e(Op):
    """``exp(-|x|) I_1(x)``; d/dx = i0e(x) - i1e(x) (sign(x) + 1/x), 1/2 at x = 0."""

    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, a):
        return _bessel_e(a, 1)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        zero = a == 0
        safe = a.masked_fill(zero, 1.0)
        d = I0e.apply(a) - out * (a.sign() + 1.0 / safe)
        return (g * d.masked_fill(zero, 0.5),)


def i0e(input, *, out=None):
    """Exponentially scaled modified Bessel function ``exp(-|x|) I_0(x)``."""
    return _out(I0e.apply(_floatify(input)), out)


def i1(input, *, out=None):
    """Modified Bessel function of the first kind of order 1, ``sum_k (x/2)^(2k+1) / (k! (k+1)!)``."""
    return _out(I1.apply(_floatify(input)), out)


def i1e(input, *, out=None):
    """Exponentially scaled ``exp(-|x|) I_1(x)``."""
    return _out(I1e.apply(_floatify(input)), out)


# -- erfcx, ndtr, log_ndtr, ndtri -----------------------------------------------------------
def _erfcx64(x):
    """erfcx of a flat float64 array."""
    from .elementwise import _erf

    xp = xp_of(x)
    out = xp.empty_like(x)
    lo = x < 0.5  # NaN goes to the continued fraction branch and stays NaN
    with xp.errstate(over="ignore", invalid="ignore"):
        xl = x[lo]
        out[lo] = xp.exp(xl * xl) * (1.0 - _erf(xl))
    hi = ~lo
    xh = x[hi]
    huge = xh > 1e8
    z = xp.where(huge, 1.0, xh) ** 2
    # Lentz's continued fraction of Q(a, z) / (z^a e^-z / Gamma(a)), a = 1/2
    tiny = 1e-300
    b = z + 0.5
    c = xp.full_like(z, 1.0 / tiny)
    d = 1.0 / b
    h = d.copy()
    for i in range(1, 400):
        an = -i * (i - 0.5)
        b = b + 2.0
        d = an * d + b
        d = xp.where(xp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        delta = d * c
        h = h * delta
        if i % 8 == 0 and bool((xp.abs(delta - 1.0) < 1e-16).all()):
            break
    with xp.errstate(divide="ignore", invalid="ignore"):
        res = xp.where(huge, 1.0 / (xh * _SQRT_PI), xp.sqrt(z) * h / _SQRT_PI)
    out[hi] = xp.where(xp.isnan(xh), xp.nan, res)
    return out


def _ndtr64(x):
    xp = xp_of(x)
    from .elementwise import _erf

    z = -x / _SQRT2
    tail = z > 0.5
    with xp.errstate(over="ignore", under="ignore", invalid="ignore"):
        zt = xp.where(tail, z, 1.0)
        e = _erfcx64(zt) * xp.exp(-zt * zt)
        r = xp.where(tail, e, 1.0 - _erf(xp.where(tail, 0.0, z)))
    return xp.where(xp.isnan(x), xp.nan, 0.5 * r)


def _log_ndtr64(x):
    xp = xp_of(x)
    left = x < -1.0
    with xp.errstate(over="ignore", divide="ignore", invalid="ignore"):
        xl = xp.where(left, x, -2.0)
        a = xp.log(_erfcx64(-xl / _SQRT2) / 2.0) - xl * xl / 2.0
        b = xp.log1p(-_ndtr64(-xp.where(left, 0.0, x)))
    return xp.where(xp.isnan(x), xp.nan, xp.where(left, a, b))


def _ndtri64(p):
    xp = xp_of(p)
    upper = p > 0.5
    q = xp.where(upper, 1.0 - p, p)
    ok = (q > 0) & (q <= 0.5)
    qs = xp.where(ok, q, 0.25)
    t = xp.sqrt(-2.0 * xp.log(qs))
    x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
          / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t ** 3))
    lq = xp.log(qs)
    for _ in range(8):  # Newton on log Phi(x) = log q; d/dx log Phi = sqrt(2/pi) / erfcx(-x/sqrt 2)
        slope = _SQRT_2_PI / _erfcx64(-x / _SQRT2)
        x = x - (_log_ndtr64(x) - lq) / slope
    x = xp.where(q == 0, -xp.inf, x)
    x = xp.where(upper, -x, x)
    # centre: sqrt(2) erfinv(2p - 1), relative-accurate as p -> 1/2 (2p - 1 is exact there)
    mid = xp.abs(p - 0.5) <= 0.25
    if mid.any():
        from .elementwise import Erfinv

        x[mid] = _SQRT2 * Erfinv.forward(None, 2.0 * p[mid] - 1.0)
    return xp.where((p < 0) | (p > 1) | xp.isnan(p), xp.nan, x)


def _unary_kernel(fn):
    def run(a):
        xp, x = _flat64(a)
        return _back(fn(x), a)
    return run


class Erfcx(Op):
    """``exp(x^2) erfc(x)``; d/dx = 2 x erfcx(x) - 2 / sqrt(pi)."""

    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, a):
        return _unary_kernel(_erfcx64)(a)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        return (g * (2.0 * a * out - 2.0 / _SQRT_PI),)


class Ndtr(Op):
    """Standard normal CDF; d/dx = exp(-x^2/2) / sqrt(2 pi)."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a):
        return _unary_kernel(_ndtr64)(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return (g * (-(a * a) / 2.0).exp() * _INV_SQRT_2PI,)


class LogNdtr(Op):
    """``log Phi(x)``; d/dx = phi(x) / Phi(x) = sqrt(2/pi) / erfcx(-x / sqrt 2)."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a):
        return _unary_kernel(_log_ndtr64)(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return (g * _SQRT_2_PI / Erfcx.apply(-a / _SQRT2),)


class Ndtri(Op):
    """Inverse of ndtr; d/dp = sqrt(2 pi) exp(x^2 / 2) with x = ndtri(p)."""

    _save_out = True

    @staticmethod
    def forward(ctx, a):
        return _unary_kernel(_ndtri64)(a)

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return (g * (out * out / 2.0).exp() * math.sqrt(2.0 * math.pi),)


def erfcx(input, *, out=None):
    """Scaled complementary error function ``exp(x^2) erfc(x)``."""
    return _out(Erfcx.apply(_floatify(input)), out)


def ndtr(input, *, out=None):
    """Standard normal CDF ``(1 + erf(x / sqrt 2)) / 2``."""
    return _out(Ndtr.apply(_floatify(input)), out)


def log_ndtr(input, *, out=None):
    """``log ndtr(x)``, accurate far into the left tail."""
    return _out(LogNdtr.apply(_floatify(input)), out)


def ndtri(input, *, out=None):
    """Normal quantile: ``x`` with ``ndtr(x) = p`` (-inf at 0, inf at 1, NaN outside [0, 1])."""
    return _out(Ndtri.apply(_floatify(input)), out)


# -- xlog1py, entr --------------------------------------------------------------------------
class Xlog1py(Op):
    """``x * log1p(y)``, 0 where x == 0 (unless y is NaN); d/dx = log1p(y) (0 where x == 0 and
    y <= -1, as torch), d/dy = x / (1 + y)."""

    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        ctx.sa, ctx.sb = a.shape, b.shape
        xp = xp_of(a)
        with xp.errstate(divide="ignore", invalid="ignore"):
            r = a * xp.log1p(b)
        return xp.where((a == 0) & ~xp.isnan(b), 0, r).astype(r.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        ga = unbroadcast(Xlog1py.apply(g, b).masked_fill((a == 0) & (b <= -1), 0.0), ctx.sa) if n[0] else None
        gb = unbroadcast(g * a / (1 + b), ctx.sb) if n[1] else None
        return ga, gb


def xlog1py(input, other, *, out=None):
    """``input * log1p(other)`` with 0 where ``input == 0``."""
    a, b, dt = binary_operands(input, other)
    if not dt.is_floating_point:
        dt = D.get_default_dtype()
        a, b = a.to(dt), b.to(dt)
    U.broadcast_shapes(a.shape, b.shape)
    return _out(Xlog1py.apply(a, b), out)


class Entr(Op):
    """``-x log x`` for x > 0, 0 at 0, -inf for x < 0; d/dx = -(1 + log x)."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        with xp.errstate(divide="ignore", invalid="ignore"):
            r = -a * xp.log(a)
        r = xp.where(a == 0, 0.0, r)
        r = xp.where(a < 0, -xp.inf, r)
        return r.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return (g * -(a.log() + 1.0),)


def entr(input, *, out=None):
    """Elementwise entropy ``-x ln x`` (0 at x = 0, -inf for x < 0)."""
    return _out(Entr.apply(_floatify(input)), out)


# -- Hurwitz zeta ---------------------------------------------------------------------------
def _zeta64(s, q):
    xp = xp_of(s)
    out = xp.zeros_like(q)
    a = q.copy()
    with xp.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        target = xp.maximum(10.0, s)
        move = xp.isfinite(a) & xp.isfinite(s) & (a < target) & ~((a <= 0) & (a == xp.floor(a)))
        while move.any():  # explicit terms until q + k >= max(10, s); _hurwitz takes it from there
            out = out + xp.where(move, xp.power(xp.where(move, a, 1.0), -s), 0.0)
            a = xp.where(move, a + 1.0, a)
            move = move & (a < target)
        r = out + _hurwitz(s, a)
        # torch's (Cephes') conventions, in its order
        r = xp.where(xp.isnan(s) | xp.isnan(q) | xp.isinf(q), xp.nan, r)
        r = xp.where(s == xp.inf, xp.where(q < 1, xp.inf, xp.where(q == 1, 1.0, xp.nan)), r)
        r = xp.where(xp.isinf(s) & xp.isinf(q), xp.nan, r)
        qpole = (q <= 0) & (q == xp.floor(q))
        r = xp.where((q <= 0) & ~qpole & (s != xp.floor(s)), xp.nan, r)
        r = xp.where(qpole, xp.inf, r)
        r = xp.where(s < 1, xp.nan, r)
        r = xp.where(s == 1, xp.inf, r)
    return r


class Zeta(Op):
    """Hurwitz ``zeta(x, q) = sum_k (q + k)^-x``; d/dq = -x zeta(x + 1, q); no gradient in x."""

    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        ctx.sa, ctx.sb = a.shape, b.shape
        xp = xp_of(a)
        shape = xp.broadcast(a, b).shape
        s = xp.broadcast_to(a.astype("float64"), shape).reshape(-1).copy()
        q = xp.broadcast_to(b.astype("float64"), shape).reshape(-1).copy()
        return _zeta64(s, q).reshape(shape).astype(xp.result_type(a, b), copy=False)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise RuntimeError("the derivative for 'zeta' is not implemented.")
        return None, unbroadcast(g * -a * Zeta.apply(a + 1.0, b), ctx.sb)


def zeta(input, other, *, out=None):
    """Hurwitz zeta function ``sum_{k >= 0} (other + k)^(-input)`` (Riemann's at other = 1)."""
    a, b, dt = binary_operands(input, other)
    if dt is D.float16:
        raise NotImplementedError("\"zeta_cpu\" not implemented for 'Half'")
    if not dt.is_floating_point:
        dt = D.get_default_dtype()
        a, b = a.to(dt), b.to(dt)
    U.broadcast_shapes(a.shape, b.shape)
    return _out(Zeta.apply(a, b), out)

