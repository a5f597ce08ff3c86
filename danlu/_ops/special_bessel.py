"""torch.special's Bessel and Airy functions of a real argument, not differentiable (as torch:
the results carry no ``grad_fn``).

Kernels work in float64 on the backend namespace (no scipy) and cast back:

* ``J_0, J_1, Y_0, Y_1`` (x > 0): the ascending series for x < 2 (``J_0 = sum (-t)^k / k!^2``,
  ``t = x^2/4``; ``Y_0 = (2/pi)(log(x/2) + gamma) J_0 + (2/pi) sum (-1)^(k+1) H_k t^k / k!^2``;
  ``Y_1 = -2/(pi x) + (2/pi) log(x/2) J_1 - (x/2pi) sum (psi(k+1) + psi(k+2)) (-t)^k / (k!(k+1)!)``);
  Miller's backward recurrence ``J_(n-1) = (2n/x) J_n - J_(n+1)`` normalised by
  ``J_0 + 2 sum J_2k = 1`` for 2 <= x < 25, with Neumann's series
  ``Y_0 = (2/pi)[(log(x/2) + gamma) J_0 + 2 sum (-1)^(k+1) J_2k / k]`` and its derivative
  ``Y_1 = -Y_0'``; Hankel's expansion ``sqrt(2/(pi x)) (P cos chi - Q sin chi)`` (``Y``:
  ``P sin chi + Q cos chi``), ``chi = x - (2 nu + 1) pi/4`` beyond. The phase ``chi`` is rounded in
  the input's dtype, as torch does, so that huge arguments give torch's values.
  ``J_0`` is even, ``J_1`` odd; ``Y_n`` is -inf at 0 and nan for x < 0.
* ``K_0, K_1`` and ``exp(x) K_n``: the ascending series (A&S 9.6.13, 9.6.11) for x <= 2, the
  trapezoidal rule on ``exp(x) K_nu(x) = int_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt``
  (exponentially convergent, no cancellation) for 2 < x <= 25, Hankel's expansion
  ``sqrt(pi/(2x)) sum_k prod_j (4nu^2 - (2j-1)^2) / (8 j x)`` beyond; inf at 0, nan for x < 0.
* ``spherical_bessel_j0 = sin(x)/x`` (its Taylor series for |x| < 1/2), 0 at +-inf.
* ``airy_ai``: the Maclaurin series ``Ai(0) f(x) + Ai'(0) g(x)`` for -2 <= x <= 1; for x > 1
  ``Ai(x) = sqrt(x/3) K_(1/3)(zeta) / pi``, ``zeta = 2 x^(3/2) / 3``, by the integral above; for
  -9 <= x < -2 Taylor steps of ``y'' = x y`` from the origin; below -9 the oscillatory expansion
  ``(sin(theta) P - cos(theta) Q) / (sqrt(pi) |x|^(1/4))``, ``theta = zeta + pi/4`` (A&S 10.4.60);
  nan at +-inf, as torch.
* ``modified_bessel_i0``/``_i1`` are ``i0``/``i1``'s values without a graph (torch's special
  versions have no derivative either).
"""
from __future__ import annotations

import math

from .. import _dtype as DT
from .._backend import xp_of
from .._tensor import Tensor

__all__ = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0", "modified_bessel_k1",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0", "airy_ai",
           "modified_bessel_i0", "modified_bessel_i1"]

_EULER = 0.57721566490153286061
_AI0 = 0.35502805388781723926  # Ai(0) = 3^(-2/3) / Gamma(2/3)
_AIP0 = -0.25881940379280679840  # Ai'(0) = -3^(-1/3) / Gamma(1/3)


# -- J and Y --------------------------------------------------------------------------------
def _phase(x, dt, shift: float):
    """``x - shift`` rounded in ``dt`` (torch's phase), as float64."""
    xp = xp_of(x)
    xd = xp.asarray(x, dtype=dt)
    return xp.asarray(xd - xp.asarray(shift, dtype=dt), dtype="float64")


def _jy_series(x):
    xp = xp_of(x)
    t = -(x * x) / 4.0
    term0 = xp.ones_like(x)  # (-t)^k / k!^2 pattern with sign
    term1 = xp.ones_like(x)  # (-t)^k / (k!(k+1)!)
    j0 = term0.copy()
    j1s = term1.copy()
    h = 0.0
    y0s = xp.zeros_like(x)
    y1s = term1 * (2.0 * (-_EULER) + 1.0)  # psi(1) + psi(2)
    for k in range(1, 30):
        term0 = term0 * t / (k * k)
        term1 = term1 * t / (k * (k + 1))
        h += 1.0 / k
        j0 = j0 + term0
        j1s = j1s + term1
        y0s = y0s - h * term0
        y1s = y1s + (2.0 * (h - _EULER) + 1.0 / (k + 1)) * term1
    j1 = x / 2.0 * j1s
    lg = xp.log(x / 2.0)
    y0 = (2.0 / math.pi) * ((lg + _EULER) * j0 + y0s)
    y1 = -2.0 / (math.pi * x) + (2.0 / math.pi) * lg * j1 - x / (2.0 * math.pi) * y1s
    return j0, j1, y0, y1


def _jy_miller(x, n_start: int = 90):
    xp = xp_of(x)
    nxt = xp.zeros_like(x)  # f_(n+1)
    cur = xp.full_like(x, 1e-30)  # f_n
    norm = xp.zeros_like(x)  # 2 sum f_2k, k >= 1
    s0 = xp.zeros_like(x)  # sum (-1)^(k+1) f_2k / k
    s1 = xp.zeros_like(x)  # sum (-1)^(k+1) (f_(2k-1) - f_(2k+1)) / k
    odd_above = None  # f_(2k+1)
    for n in range(n_start, 0, -1):
        prev = (2.0 * n / x) * cur - nxt  # f_m, m = n - 1
        nxt, cur = cur, prev
        m = n - 1
        if m >= 2 and m % 2 == 0:
            k = m // 2
            sign = 1.0 if k % 2 == 1 else -1.0
            norm = norm + 2.0 * prev
            s0 = s0 + sign * prev / k
        elif m % 2 == 1:
            if odd_above is not None:
                k = (m + 1) // 2
                sign = 1.0 if k % 2 == 1 else -1.0
                s1 = s1 + sign * (prev - odd_above) / k
            odd_above = prev
    f0, f1 = cur, nxt
    norm = norm + f0
    j0 = f0 / norm
    j1 = f1 / norm
    lg = xp.log(x / 2.0) + _EULER
    y0 = (2.0 / math.pi) * (lg * j0 + 2.0 * s0 / norm)
    y1 = -(2.0 / math.pi) * (j0 / x - lg * j1 + s1 / norm)
    return j0, j1, y0, y1


def _hankel_pq(x, nu: int, terms: int = 40):
    """Hankel's ``P``, ``Q`` (x large)."""
    xp = xp_of(x)
    mu = 4.0 * nu * nu
    t = xp.ones_like(x)
    p = t.copy()
    q = xp.zeros_like(x)
    for k in range(1, terms):
        t = t * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        sign = 1.0 if (k // 2) % 2 == 0 else -1.0
        if k % 2 == 0:
            p = p + sign * t
        else:
            q = q + sign * t
    return p, q


def _jy(ax, dt, which: str):
    """``which`` in j0/j1/y0/y1 of positive finite ``ax`` (float64, flat)."""
    xp = xp_of(ax)
    out = xp.empty_like(ax)
    idx = {"j0": 0, "j1": 1, "y0": 2, "y1": 3}[which]
    small = ax < 2.0
    mid = (ax >= 2.0) & (ax < 25.0)
    big = ax >= 25.0
    if bool(xp.any(small)):
        out[small] = _jy_series(ax[small])[idx]
    if bool(xp.any(mid)):
        out[mid] = _jy_miller(ax[mid])[idx]
    if bool(xp.any(big)):
        xb = ax[big]
        nu = 0 if which in ("j0", "y0") else 1
        p, q = _hankel_pq(xb, nu)
        chi = _phase(xb, dt, (2 * nu + 1) * math.pi / 4.0)
        c, s = xp.cos(chi), xp.sin(chi)
        amp = math.sqrt(2.0 / math.pi) / xp.sqrt(xb)
        out[big] = amp * ((p * c - q * s) if which[0] == "j" else (p * s + q * c))
    return out


def _j_kernel(x, dt, order: int):
    xp = xp_of(x)
    out = xp.full_like(x, xp.nan)
    ax = xp.abs(x)
    fin = xp.isfinite(x) & (ax > 0)
    r = _jy(ax[fin], dt, "j0" if order == 0 else "j1")
    if order == 1:
        r = xp.where(x[fin] < 0, -r, r)
    out[fin] = r
    out[x == 0] = 1.0 if order == 0 else 0.0
    if order == 1:
        out = xp.where(x == 0, x, out)  # keeps the sign of zero
    return out


def _y_kernel(x, dt, order: int):
    xp = xp_of(x)
    out = xp.full_like(x, xp.nan)
    pos = xp.isfinite(x) & (x > 0)
    out[pos] = _jy(x[pos], dt, "y0" if order == 0 else "y1")
    out[x == 0] = -xp.inf
    return out


# -- K ----------------------------------------------------------------------------------------
_TRAP_H = 0.1


def _scaled_k_trap(x, nu: float, t_max: float = 6.0):
    """``exp(x) K_nu(x)`` by the trapezoidal rule on ``int_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt``."""
    xp = xp_of(x)
    s = 0.5 * xp.ones_like(x)
    n = int(round(t_max / _TRAP_H))
    for k in range(1, n + 1):
        t = k * _TRAP_H
        sh = math.sinh(t / 2.0)
        s = s + math.cosh(nu * t) * xp.exp(-x * (2.0 * sh * sh))
    return _TRAP_H * s


def _scaled_k_asym(x, nu: float, terms: int = 40):
    xp = xp_of(x)
    mu = 4.0 * nu * nu
    t = xp.ones_like(x)
    s = t.copy()
    for k in range(1, terms):
        t = t * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        s = s + t
    return xp.sqrt(math.pi / (2.0 * x)) * s


def _k_series(x, order: int):
    """``K_order(x)`` for 0 < x <= 2 by the ascending series."""
    xp = xp_of(x)
    y = x * x / 4.0
    lg = xp.log(x / 2.0)
    term = xp.ones_like(x)
    if order == 0:
        i0 = term.copy()
        s = -_EULER * term
        h = 0.0
        for k in range(1, 30):
            term = term * y / (k * k)
            h += 1.0 / k
            i0 = i0 + term
            s = s + (h - _EULER) * term
        return -lg * i0 + s
    i1 = term.copy()
    s = (1.0 - 2.0 * _EULER) * term  # psi(1) + psi(2)
    h = 0.0
    for k in range(1, 30):
        term = term * y / (k * (k + 1))
        h += 1.0 / k
        i1 = i1 + term
        s = s + (2.0 * (h - _EULER) + 1.0 / (k + 1)) * term
    return 1.0 / x + lg * (x / 2.0) * i1 - x / 4.0 * s


def _k_kernel(x, order: int, scaled: bool):
    xp = xp_of(x)
    out = xp.full_like(x, xp.nan)
    out[x == 0] = xp.inf
    out[x == xp.inf] = 0.0
    small = (x > 0) & (x <= 2.0)
    mid = (x > 2.0) & (x <= 25.0)
    big = (x > 25.0) & xp.isfinite(x)
    with xp.errstate(over="ignore", under="ignore"):
        if bool(xp.any(small)):
            xs = x[small]
            r = _k_series(xs, order)
            out[small] = r * xp.exp(xs) if scaled else r
        for mask, fn in ((mid, _scaled_k_trap), (big, _scaled_k_asym)):
            if bool(xp.any(mask)):
                xs = x[mask]
                r = fn(xs, float(order))
                out[mask] = r if scaled else r * xp.exp(-xs)
    return out


# -- spherical j0 and Airy ----------------------------------------------------------------------
def _sph_j0_kernel(x):
    xp = xp_of(x)
    with xp.errstate(invalid="ignore", divide="ignore"):
        r = xp.sin(x) / x
    x2 = x * x
    term = xp.ones_like(x)
    s = term.copy()
    for k in range(1, 10):
        term = -term * x2 / ((2 * k) * (2 * k + 1))
        s = s + term
    r = xp.where(xp.abs(x) < 0.5, s, r)
    return xp.where(xp.isinf(x), 0.0, r)


def _airy_series(x):
    xp = xp_of(x)
    x3 = x * x * x
    a = xp.ones_like(x)
    b = x.copy()
    f = a.copy()
    g = b.copy()
    for k in range(1, 40):
        a = a * x3 / ((3 * k - 1) * (3 * k))
        b = b * x3 / ((3 * k) * (3 * k + 1))
        f = f + a
        g = g + b
    return _AI0 * f + _AIP0 * g


def _airy_steps(x, steps: int = 24, terms: int = 30):
    """``Ai(x)`` for negative ``x`` by Taylor steps of ``y'' = x y`` from 0."""
    xp = xp_of(x)
    h = x / steps
    y = xp.full_like(x, _AI0)
    dy = xp.full_like(x, _AIP0)
    p = xp.zeros_like(x)
    for _ in range(steps):
        c = [y, dy]
        for n in range(terms - 2):
            cn1 = c[n - 1] if n >= 1 else 0.0
            c.append((p * c[n] + cn1) / ((n + 2) * (n + 1)))
        ny = c[-1]
        ndy = (terms - 1) * c[-1]
        for n in range(terms - 2, -1, -1):
            ny = ny * h + c[n]
            if n >= 1:
                ndy = ndy * h + n * c[n]
        y, dy = ny, ndy
        p = p + h
    return y


def _airy_u(count: int):
    u = [1.0]
    for k in range(1, count):
        u.append(u[-1] * (3 * k - 0.5) * (3 * k - 1.5) * (3 * k - 2.5) / (54.0 * k * (k - 0.5)))
    return u


_U = _airy_u(40)


def _airy_neg_asym(x, dt):
    xp = xp_of(x)
    xd = xp.asarray(x, dtype=dt)
    t = xp.sqrt(-xd)
    zeta_d = -2.0 * xd * t / 3.0  # rounded in dt, as torch
    theta = xp.asarray(zeta_d + xp.asarray(math.pi / 4.0, dtype=dt), dtype="float64")
    zeta = -2.0 * x * xp.sqrt(-x) / 3.0
    z = 1.0 / zeta
    p = xp.zeros_like(x)
    q = xp.zeros_like(x)
    zk = xp.ones_like(x)
    for k in range(len(_U)):
        sign = 1.0 if (k // 2) % 2 == 0 else -1.0
        if k % 2 == 0:
            p = p + sign * _U[k] * zk
        else:
            q = q + sign * _U[k] * zk
        zk = zk * z
    return (xp.sin(theta) * p - xp.cos(theta) * q) / (math.sqrt(math.pi) * xp.sqrt(xp.sqrt(-x)))


def _airy_kernel(x, dt):
    xp = xp_of(x)
    out = xp.full_like(x, xp.nan)
    ser = (x >= -2.0) & (x <= 1.0)
    step = (x >= -9.0) & (x < -2.0)
    neg = (x < -9.0) & xp.isfinite(x)
    pos = (x > 1.0) & xp.isfinite(x)
    if bool(xp.any(ser)):
        out[ser] = _airy_series(x[ser])
    if bool(xp.any(step)):
        out[step] = _airy_steps(x[step])
    if bool(xp.any(neg)):
        out[neg] = _airy_neg_asym(x[neg], dt)
    if bool(xp.any(pos)):
        xs = x[pos]
        zeta = 2.0 / 3.0 * xs * xp.sqrt(xs)
        sk = xp.empty_like(xs)
        mid = zeta <= 25.0
        sk[mid] = _scaled_k_trap(zeta[mid], 1.0 / 3.0, t_max=7.0)
        sk[~mid] = _scaled_k_asym(zeta[~mid], 1.0 / 3.0)
        with xp.errstate(under="ignore"):
            out[pos] = xp.sqrt(xs / 3.0) / math.pi * sk * xp.exp(-zeta)
    return out


# -- the Tensor functions -----------------------------------------------------------------------
def _apply(kernel, input, out=None, name: str = ""):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    dtype = input.dtype if input.is_floating_point() else DT.get_default_dtype()
    xp = xp_of(input._data)
    src = xp.asarray(input._data)
    dt = "float32" if dtype in (DT.float32, DT.float16) else "float64"
    x = xp.asarray(src, dtype="float64").reshape(-1).copy()
    with xp.errstate(all="ignore"):
        r = kernel(x, dt)
    res = Tensor._make(xp.asarray(r, dtype="float64").reshape(src.shape), None).to(dtype)
    if out is not None:
        out.copy_(res)
        return out
    return res


def bessel_j0(input, *, out=None):
    """Bessel function of the first kind of order 0, ``J_0(x) = sum_k (-x^2/4)^k / (k!)^2``."""
    return _apply(lambda x, dt: _j_kernel(x, dt, 0), input, out, "bessel_j0")


def bessel_j1(input, *, out=None):
    """Bessel function of the first kind of order 1, ``J_1(x) = (x/2) sum_k (-x^2/4)^k / (k!(k+1)!)``."""
    return _apply(lambda x, dt: _j_kernel(x, dt, 1), input, out, "bessel_j1")


def bessel_y0(input, *, out=None):
    """Bessel function of the second kind of order 0, ``Y_0`` (-inf at 0, nan for x < 0)."""
    return _apply(lambda x, dt: _y_kernel(x, dt, 0), input, out, "bessel_y0")


def bessel_y1(input, *, out=None):
    """Bessel function of the second kind of order 1, ``Y_1`` (-inf at 0, nan for x < 0)."""
    return _apply(lambda x, dt: _y_kernel(x, dt, 1), input, out, "bessel_y1")


def modified_bessel_k0(input, *, out=None):
    """Modified Bessel function of the second kind ``K_0(x) = int_0^inf exp(-x cosh t) dt``."""
    return _apply(lambda x, dt: _k_kernel(x, 0, False), input, out, "modified_bessel_k0")


def modified_bessel_k1(input, *, out=None):
    """Modified Bessel function of the second kind ``K_1(x) = int_0^inf exp(-x cosh t) cosh t dt``."""
    return _apply(lambda x, dt: _k_kernel(x, 1, False), input, out, "modified_bessel_k1")


def scaled_modified_bessel_k0(input, *, out=None):
    """``exp(x) K_0(x)``."""
    return _apply(lambda x, dt: _k_kernel(x, 0, True), input, out, "scaled_modified_bessel_k0")


def scaled_modified_bessel_k1(input, *, out=None):
    """``exp(x) K_1(x)``."""
    return _apply(lambda x, dt: _k_kernel(x, 1, True), input, out, "scaled_modified_bessel_k1")


def spherical_bessel_j0(input, *, out=None):
    """Spherical Bessel function of the first kind of order 0, ``j_0(x) = sin(x) / x``."""
    return _apply(lambda x, dt: _sph_j0_kernel(x), input, out, "spherical_bessel_j0")


def airy_ai(input, *, out=None):
    """Airy function ``Ai(x)``, the solution of ``y'' = x y`` decaying as x -> inf."""
    return _apply(_airy_kernel, input, out, "airy_ai")


def _i_kernel(order: int):
    def k(x, dt):
        from .special import _bessel

        xp = xp_of(x)
        r = _bessel(x, order)
        r = xp.where(xp.isinf(x), xp.nan, r)
        return xp.where(x == 0, 1.0 if order == 0 else 0.0, r)

    return k


def modified_bessel_i0(input, *, out=None):
    """Modified Bessel function of the first kind ``I_0(x) = sum_k (x^2/4)^k / (k!)^2`` (no graph)."""
    return _apply(_i_kernel(0), input, out, "modified_bessel_i0")


def modified_bessel_i1(input, *, out=None):
    """Modified Bessel function of the first kind ``I_1(x) = (x/2) sum_k (x^2/4)^k / (k!(k+1)!)`` (no graph)."""
    return _apply(_i_kernel(1), input, out, "modified_bessel_i1")
