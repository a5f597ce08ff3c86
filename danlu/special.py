"""``danlu.special``: torch.special's functions.

Most are danlu's existing ops under torch.special's names (``expit`` is ``sigmoid``,
``gammaln`` is ``lgamma``, ``psi`` is ``digamma``, ``multigammaln`` is ``mvlgamma``,
``gammainc``/``gammaincc`` are ``igamma``/``igammac``); ``i0e``, ``i1``, ``i1e``, ``erfcx``, ``ndtr``, ``ndtri``, ``log_ndtr``,
``xlog1py``, ``entr`` and the Hurwitz ``zeta`` are in ``danlu._ops.special_fns`` (float64
kernels, no scipy, differentiable where torch is); the orthogonal polynomials (Chebyshev
T/U/V/W and their shifted forms, Hermite H/He, Laguerre L, Legendre P) are in
``danlu._ops.special_poly`` (integer degree tensors, not differentiable, as torch); the Bessel J/Y/K, scaled K, spherical j0,
Airy Ai and ``modified_bessel_i0``/``_i1`` (``i0``/``i1`` without a graph, as torch) are in
``danlu._ops.special_bessel``.
"""
from __future__ import annotations

from ._ops.elementwise import (  # noqa: F401
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    log1p,
    round as _round,
    sigmoid as expit,
    sinc,
    xlogy,
)
from ._ops.composite import logit  # noqa: F401


from ._ops.reduction import logsumexp as _logsumexp
from ._ops.special import (  # noqa: F401
    digamma,
    i0,
    igamma as gammainc,
    igammac as gammaincc,
    lgamma as gammaln,
    mvlgamma as multigammaln,
    polygamma,
)
from ._ops.special_poly import (  # noqa: F401
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    hermite_polynomial_h,
    hermite_polynomial_he,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
)
from ._ops.special_bessel import (  # noqa: F401
    airy_ai,
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    spherical_bessel_j0,
)
from ._ops.special_fns import entr, erfcx, i0e, i1, i1e, log_ndtr, ndtr, ndtri, xlog1py, zeta  # noqa: F401
from ._tensor import Tensor  # noqa: F401 - as torch.special.Tensor

psi = digamma


def round(input, *, decimals: int = 0):  # noqa: A001 - torch's name
    """torch.special.round: ``round(input, decimals=decimals)`` (its ``decimals`` is always
    passed, so integer inputs raise as torch's)."""
    return _round(input, decimals=decimals)


__all__ = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0", "modified_bessel_k1",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
           "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
           "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p",
           "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc",
           "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax",
           "logit", "logsumexp", "modified_bessel_i0", "modified_bessel_i1", "multigammaln", "ndtr",
           "ndtri", "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy", "zeta"]


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim`` (computed in ``dtype`` when given)."""
    from .nn.functional import softmax as _sm

    return _sm(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """``x_i - log sum_j exp(x_j)`` along ``dim``."""
    from .nn.functional import log_softmax as _lsm

    return _lsm(input, dim, dtype=dtype)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log sum exp(x)`` over ``dim``, stabilised by the maximum."""
    return _logsumexp(input, dim, keepdim)
