"""torch.special's orthogonal polynomials of integer degree ``n`` (a tensor or a number, broadcast
against ``x``; truncated to an integer; 0 for n < 0), evaluated in float64 and not
differentiable (as torch):

* Chebyshev ``T``/``U``/``V``/``W``: ``p_{k+1} = 2 x p_k - p_{k-1}`` from ``T_1 = x``,
  ``U_1 = 2x``, ``V_1 = 2x - 1``, ``W_1 = 2x + 1``; for |x| < 1 and large n the trigonometric forms
  ``cos(n t)``, ``sin((n+1) t) / sin t``, ``cos((n+1/2) t) / cos(t/2)``, ``sin((n+1/2) t) / sin(t/2)``
  with ``t = acos x``; the closed values at x = +-1.
* Hermite ``H``: ``H_{k+1} = 2x H_k - 2k H_{k-1}``; ``He``: ``He_{k+1} = x He_k - k He_{k-1}``.
* Laguerre ``L``: ``(k+1) L_{k+1} = (2k+1-x) L_k - k L_{k-1}``;
  Legendre ``P``: ``(k+1) P_{k+1} = (2k+1) x P_k - k P_{k-1}``.
* shifted Chebyshev ``T*_n(x) = T_n(2x - 1)`` (and U*, V*, W*).
"""
from __future__ import annotations

from .. import _dtype as DT
from .._backend import xp_of
from .._tensor import Tensor

__all__ = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
           "chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
           "laguerre_polynomial_l", "legendre_polynomial_p", "shifted_chebyshev_polynomial_t",
           "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w"]


def _recur(x, n, p0, p1, step):
    """``p_n`` by the three-term recurrence, elementwise in n (n >= 2 where it matters)."""
    xp = xp_of(x)
    out = xp.where(n == 0, p0, p1)
    nmax = int(xp.max(n)) if n.size else 0
    prev, cur = p0, p1
    for k in range(1, nmax):
        prev, cur = cur, step(k, cur, prev)
        out = xp.where(n == k + 1, cur, out)
        if not bool(xp.any(xp.isfinite(cur) & (n > k + 1))):
            out = xp.where(n > k + 1, cur, out)
            break
    return out


def _cheb_t(x, n):
    xp = xp_of(x)
    r = _recur(x, n, xp.ones_like(x), x, lambda k, p, q: 2 * x * p - q)
    with xp.errstate(all="ignore"):
        trig = xp.cos(n * xp.arccos(xp.clip(x, -1, 1)))
    r = xp.where((n > 6) & (xp.abs(x) < 1), trig, r)
    r = xp.where(xp.abs(x) == 1, xp.where((x > 0) | (n % 2 == 0), 1.0, -1.0), r)
    return r


def _cheb_u(x, n):
    xp = xp_of(x)
    r = _recur(x, n, xp.ones_like(x), 2 * x, lambda k, p, q: 2 * x * p - q)
    with xp.errstate(all="ignore"):
        t = xp.arccos(xp.clip(x, -1, 1))
        trig = xp.where(xp.sin(t) != 0, xp.sin((n + 1) * t) / xp.sin(t), (n + 1) * xp.cos((n + 1) * t) / x)
    r = xp.where((n > 8) & (xp.abs(x) < 1), trig, r)
    r = xp.where(xp.abs(x) == 1, xp.where((x > 0) | (n % 2 == 0), n + 1.0, -(n + 1.0)), r)
    return r


def _cheb_v(x, n):
    xp = xp_of(x)
    r = _recur(x, n, xp.ones_like(x), 2 * x - 1, lambda k, p, q: 2 * x * p - q)
    odd = xp.where(n % 2 == 0, n + n + 1.0, -(n + n + 1.0))
    with xp.errstate(all="ignore"):
        t = xp.arccos(xp.clip(x, -1, 1))
        trig = xp.where(xp.sin(t / 2) != 1, xp.cos((n + 0.5) * t) / xp.cos(t / 2), odd)
    r = xp.where((n > 8) & (xp.abs(x) < 1), trig, r)
    r = xp.where(xp.abs(x) == 1, xp.where(x > 0, 1.0, odd), r)
    return r


def _cheb_w(x, n):
    xp = xp_of(x)
    r = _recur(x, n, xp.ones_like(x), 2 * x + 1, lambda k, p, q: 2 * x * p - q)
    sign = xp.where(n % 2 == 0, 1.0, -1.0)
    with xp.errstate(all="ignore"):
        t = xp.arccos(xp.clip(x, -1, 1))
        trig = xp.where(xp.cos(t / 2) != 1, xp.sin((n + 0.5) * t) / xp.sin(t / 2),
                        xp.where(x > 0, n + n + 1.0, sign))
    r = xp.where((n > 8) & (xp.abs(x) < 1), trig, r)
    r = xp.where(xp.abs(x) == 1, xp.where(x > 0, n + n + 1.0, sign), r)
    return r


def _herm_h(x, n):
    xp = xp_of(x)
    return _recur(x, n, xp.ones_like(x), 2 * x, lambda k, p, q: 2 * x * p - 2 * k * q)


def _herm_he(x, n):
    xp = xp_of(x)
    return _recur(x, n, xp.ones_like(x), x.copy(), lambda k, p, q: x * p - k * q)


def _laguerre(x, n):
    xp = xp_of(x)
    r = _recur(x, n, xp.ones_like(x), 1 - x, lambda k, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1))
    return xp.where(x == 0, 1.0, r)


def _legendre(x, n):
    xp = xp_of(x)
    r = _recur(x, n, xp.ones_like(x), x.copy(), lambda k, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1))
    return xp.where(xp.abs(x) == 1, xp.where((x > 0) | (n % 2 == 0), 1.0, -1.0), r)


def _apply(kernel, input, n, shift: bool = False, out=None):
    import danlu

    if not isinstance(input, Tensor) and not isinstance(n, Tensor):
        raise TypeError("expected at least one Tensor argument")
    ref = input if isinstance(input, Tensor) else n
    x_t = input if isinstance(input, Tensor) else danlu.tensor(input, dtype=n.dtype if n.is_floating_point()
                                                                else DT.get_default_dtype())
    n_t = n if isinstance(n, Tensor) else danlu.tensor(n)
    dtype = danlu.result_type(x_t, n_t) if isinstance(input, Tensor) and isinstance(n, Tensor) else x_t.dtype
    if not dtype.is_floating_point:
        dtype = DT.get_default_dtype()
    xp = xp_of(ref._data)
    xa, na = xp.broadcast_arrays(xp.asarray(x_t._data, dtype="float64"), xp.asarray(n_t._data))
    xa = xa.copy()
    with xp.errstate(invalid="ignore"):
        ni = xp.where(xp.isfinite(na), na, 0).astype("int64") if na.dtype.kind == "f" else na.astype("int64")
    if shift:
        xa = 2 * xa - 1
    r = kernel(xa, ni)
    r = xp.where(ni == 0, 1.0, r)  # also at x = NaN, as torch
    r = xp.where(ni < 0, 0.0, r)
    res = Tensor._make(xp.asarray(r, dtype="float64"), None).to(dtype)
    if out is not None:
        out.copy_(res)
        return out
    return res


def chebyshev_polynomial_t(input, n, *, out=None):
    """Chebyshev polynomial of the first kind ``T_n(x)`` (``T_n(cos t) = cos(n t)``)."""
    return _apply(_cheb_t, input, n, out=out)


def chebyshev_polynomial_u(input, n, *, out=None):
    """Chebyshev polynomial of the second kind ``U_n(x)`` (``U_n(cos t) = sin((n+1) t) / sin t``)."""
    return _apply(_cheb_u, input, n, out=out)


def chebyshev_polynomial_v(input, n, *, out=None):
    """Chebyshev polynomial of the third kind ``V_n(x)``."""
    return _apply(_cheb_v, input, n, out=out)


def chebyshev_polynomial_w(input, n, *, out=None):
    """Chebyshev polynomial of the fourth kind ``W_n(x)``."""
    return _apply(_cheb_w, input, n, out=out)


def shifted_chebyshev_polynomial_t(input, n, *, out=None):
    """``T_n(2x - 1)``."""
    return _apply(_cheb_t, input, n, shift=True, out=out)


def shifted_chebyshev_polynomial_u(input, n, *, out=None):
    """``U_n(2x - 1)``."""
    return _apply(_cheb_u, input, n, shift=True, out=out)


def shifted_chebyshev_polynomial_v(input, n, *, out=None):
    """``V_n(2x - 1)``."""
    return _apply(_cheb_v, input, n, shift=True, out=out)


def shifted_chebyshev_polynomial_w(input, n, *, out=None):
    """``W_n(2x - 1)``."""
    return _apply(_cheb_w, input, n, shift=True, out=out)


def hermite_polynomial_h(input, n, *, out=None):
    """Physicists' Hermite polynomial ``H_n(x)``."""
    return _apply(_herm_h, input, n, out=out)


def hermite_polynomial_he(input, n, *, out=None):
    """Probabilists' Hermite polynomial ``He_n(x)``."""
    return _apply(_herm_he, input, n, out=out)


def laguerre_polynomial_l(input, n, *, out=None):
    """Laguerre polynomial ``L_n(x)``."""
    return _apply(_laguerre, input, n, out=out)


def legendre_polynomial_p(input, n, *, out=None):
    """Legendre polynomial ``P_n(x)``."""
    return _apply(_legendre, input, n, out=out)
