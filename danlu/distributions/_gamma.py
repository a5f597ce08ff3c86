"""Gamma(alpha, 1) samples with an implicit reparameterisation gradient.

For ``x ~ Gamma(alpha, 1)`` with CDF ``F(x; alpha) = P(alpha, x)`` (the regularised lower
incomplete gamma function), holding ``u = F(x; alpha)`` fixed gives

    dx/dalpha = -(dF/dalpha) / (dF/dx),   dF/dx = x^(alpha-1) e^-x / Gamma(alpha).

``dF/dalpha`` is the derivative of the series
``P(alpha, x) = sum_n exp((alpha+n) log x - x - lgamma(alpha+n+1))``, term by term:
``term_n * (log x - digamma(alpha+n+1))``, with both the log-term and digamma advanced by
recurrences (``+log x - log(alpha+n+1)`` and ``+1/(alpha+n+1)``).  The series converges for every
x; it is summed until the terms fall below 1e-17 of the sum (in float64).
"""
from __future__ import annotations

import numpy as np

from .. import _backend as B
from .._backend import xp_of
from .._ops.special import _digamma, _lgamma
from .._random import _rng
from .._tensor import Tensor
from ..autograd.function import Op


def _dP_dalpha(a, x):
    """d/dalpha of P(alpha, x), float64 arrays of one shape."""
    xp = xp_of(a)
    out = xp.zeros_like(a)
    ok = x > 0
    if not bool(ok.any()):
        return out
    a_, x_ = a[ok], x[ok]
    logx = xp.log(x_)
    lterm = a_ * logx - x_ - _lgamma(a_ + 1.0)
    psi = _digamma(a_ + 1.0)
    total = xp.zeros_like(a_)
    dtotal = xp.zeros_like(a_)
    n_max = int(float(xp.max(x_)) + 12.0 * float(xp.sqrt(xp.max(x_) + 1.0)) + 50)
    for n in range(n_max):
        t = xp.exp(lterm)
        total = total + t
        dtotal = dtotal + t * (logx - psi)
        if n > 5 and bool((t <= 1e-17 * total).all()) and bool((x_ < a_ + n + 1).all()):
            break
        lterm = lterm + logx - xp.log(a_ + n + 1.0)
        psi = psi + 1.0 / (a_ + n + 1.0)
    out[ok] = dtotal
    return out


def standard_gamma_grad(x, alpha):
    """dx/dalpha of a Gamma(alpha, 1) sample x (implicit reparameterisation)."""
    xp = xp_of(alpha)
    a64 = xp.asarray(alpha, dtype="float64")
    x64 = xp.asarray(x, dtype="float64")
    with np.errstate(all="ignore"):
        log_pdf = (a64 - 1.0) * xp.log(x64) - x64 - _lgamma(a64)
        g = -_dP_dalpha(a64, x64) / xp.exp(log_pdf)
    g = xp.where(xp.isfinite(g), g, 0.0)
    return g.astype(alpha.dtype, copy=False)


class StandardGamma(Op):
    """Gamma(alpha, 1) samples; the gradient w.r.t. alpha is the implicit one above."""

    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, alpha):
        xp = xp_of(alpha)
        x = _rng(None).standard_gamma(B.to_numpy(alpha).astype(np.float64))
        x = xp.maximum(xp.asarray(x), xp.finfo(alpha.dtype).tiny).astype(alpha.dtype)
        return x

    @staticmethod
    def backward(ctx, g):
        alpha, x = ctx.saved_tensors
        return (g * Tensor._make(standard_gamma_grad(x._data, alpha._data), None),)


def _standard_gamma(alpha: Tensor) -> Tensor:
    """``torch._standard_gamma``: Gamma(alpha, 1) draws, differentiable w.r.t. alpha."""
    return StandardGamma.apply(alpha)
