"""Distributions over matrices: Wishart (positive definite) and LKJCholesky (Cholesky factors of
correlation matrices), as torch.

Wishart(df, Sigma = L L^T) samples by the Bartlett decomposition: ``W = (L A)(L A)^T`` with
``A`` lower triangular, ``A_ii = sqrt(chi2(df - i))`` and ``A_ij ~ N(0, 1)`` below the diagonal.
LKJCholesky(d, eta) samples by the onion method: row i is ``sqrt(y_i) u_i`` with
``y_i ~ Beta(i/2, eta + (d - 2)/2 - i/2)`` and ``u_i`` uniform on the sphere, the diagonal
completing each row to unit norm.
"""
from __future__ import annotations

import math
import warnings
from numbers import Number

import danlu
from danlu import Size

from . import constraints
from .continuous import Beta
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .more_continuous import Chi2
from .multivariate_normal import _precision_to_scale_tril
from .utils import broadcast_all, lazy_property, vec_to_tril_matrix

__all__ = ["LKJCholesky", "Wishart"]

_LOG_2 = math.log(2)


def _mvdigamma(x, p: int):
    """Multivariate digamma ``sum_{i<p} psi(x - i/2)``."""
    if not bool(x.gt((p - 1) / 2).all()):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    half = danlu.arange(p, dtype=x.dtype, device=x.device) / 2
    return danlu.digamma(x.unsqueeze(-1) - half).sum(-1)


class Wishart(ExponentialFamily):
    """Wishart(df, Sigma): ``log p(X) = -df (p log 2 / 2 + log|L|) - log Gamma_p(df/2)
    + (df - p - 1)/2 log|X| - tr(Sigma^-1 X)/2`` with ``Sigma = L L^T``."""

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):  # type: ignore[override]
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None) -> None:
        if ((covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None)) != 1:
            raise AssertionError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        param = next(p for p in (covariance_matrix, precision_matrix, scale_tril) if p is not None)
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        if isinstance(df, Number):
            batch_shape = Size(param.shape[:-2])
            self.df = danlu.tensor(float(df), dtype=param.dtype, device=param.device)
        else:
            batch_shape = Size(danlu.broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape)))
            self.df = df.expand(tuple(batch_shape))
        event_shape = Size(param.shape[-2:])
        if bool(self.df.le(event_shape[-1] - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {event_shape[-1] - 1}.")
        full = tuple(batch_shape) + (-1, -1)
        if scale_tril is not None:
            self.scale_tril = param.expand(full)
        elif covariance_matrix is not None:
            self.covariance_matrix = param.expand(full)
        else:
            self.precision_matrix = param.expand(full)
        if bool(self.df.lt(event_shape[-1]).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for "
                          "ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._batch_dims = [-(x + 1) for x in range(len(self._batch_shape))]
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = danlu.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)
        self._dist_chi2 = self._chi2(batch_shape)

    def _chi2(self, batch_shape):
        """Chi2(df - i), i = 0..p-1: the squared Bartlett diagonal."""
        p = self._event_shape[-1]
        tril = self._unbroadcasted_scale_tril
        offsets = danlu.arange(p, dtype=tril.dtype, device=tril.device).expand(tuple(batch_shape) + (-1,))
        return Chi2(df=self.df.unsqueeze(-1) - offsets)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = Size(batch_shape)
        cov_shape = tuple(batch_shape) + tuple(self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(tuple(batch_shape))
        new._batch_dims = [-(x + 1) for x in range(len(batch_shape))]
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._dist_chi2 = new._chi2(batch_shape)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(tuple(self._batch_shape + self._event_shape))

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.transpose(-2, -1)).expand(tuple(self._batch_shape + self._event_shape))

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        identity = danlu.eye(self._event_shape[-1], dtype=L.dtype, device=L.device)
        return danlu.cholesky_solve(identity, L).expand(tuple(self._batch_shape + self._event_shape))

    def _df_matrix(self):
        return self.df.view(tuple(self._batch_shape) + (1, 1))

    @property
    def mean(self):
        """``df Sigma``."""
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self):
        """``(df - p - 1) Sigma`` (NaN for df <= p + 1)."""
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = danlu.where(factor <= 0, danlu.full_like(factor, math.nan), factor)
        return factor.view(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self):
        """``Var W_ij = df (Sigma_ij^2 + Sigma_ii Sigma_jj)``."""
        V = self.covariance_matrix
        diag_V = V.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (V.pow(2) + diag_V.unsqueeze(-1) * diag_V.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape=Size()):
        p = self._event_shape[-1]
        chi = self._dist_chi2.rsample(sample_shape).sqrt()
        diag = chi.clamp(min=danlu.finfo(chi.dtype).eps).diag_embed(dim1=-2, dim2=-1)
        below = danlu.randn(tuple(Size(sample_shape) + self._batch_shape) + (p * (p - 1) // 2,),
                            dtype=diag.dtype, device=diag.device)
        noise = diag + vec_to_tril_matrix(below, diag=-1)
        chol = self._unbroadcasted_scale_tril @ noise
        return chol @ chol.transpose(-2, -1)

    def rsample(self, sample_shape=Size(), max_try_correction=None):
        """Bartlett draws; draws that are not positive definite are redrawn up to
        ``max_try_correction`` (default 10) times."""
        if max_try_correction is None:
            max_try_correction = 10
        sample_shape = Size(sample_shape)
        sample = self._bartlett_sampling(sample_shape)
        is_singular = ~self.support.check(sample)
        if bool(is_singular.any()):
            warnings.warn("Singular sample detected.", stacklevel=2)
            for _ in range(max_try_correction):
                sample_new = self._bartlett_sampling(sample_shape)
                sample = danlu.where(is_singular.unsqueeze(-1).unsqueeze(-1), sample_new, sample)
                is_singular = ~self.support.check(sample)
                if not bool(is_singular.any()):
                    break
        return sample

    def _log_det_scale(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu = self.df
        p = self._event_shape[-1]
        return (-nu * (p * _LOG_2 / 2 + self._log_det_scale())
                - danlu.mvlgamma(nu / 2, p=p)
                + (nu - p - 1) / 2 * danlu.linalg.slogdet(value).logabsdet
                - danlu.cholesky_solve(value, self._unbroadcasted_scale_tril).diagonal(dim1=-2, dim2=-1).sum(-1) / 2)

    def entropy(self):
        """``(p + 1)(p log 2 / 2 + log|L|) + log Gamma_p(df/2) - (df - p - 1)/2 psi_p(df/2) + df p / 2``."""
        nu = self.df
        p = self._event_shape[-1]
        return ((p + 1) * (p * _LOG_2 / 2 + self._log_det_scale()) + danlu.mvlgamma(nu / 2, p=p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p=p) + nu * p / 2)

    @property
    def _natural_params(self):
        return -self.precision_matrix / 2, (self.df - self._event_shape[-1] - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return ((y + (p + 1) / 2) * (-danlu.linalg.slogdet(-2 * x).logabsdet + _LOG_2 * p)
                + danlu.mvlgamma(y + (p + 1) / 2, p=p))


class LKJCholesky(Distribution):
    """LKJ(eta) over Cholesky factors L of d x d correlation matrices:
    ``log p(L) = sum_{i=2}^d (2 (eta - 1) + d - i) log L_ii - log Z``,
    ``log Z = (d - 1)/2 log pi + log Gamma_{d-1}(alpha - 1/2) - (d - 1) lgamma(alpha)``,
    ``alpha = eta + (d - 1)/2``."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args=None) -> None:
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.size()
        event_shape = Size((dim, dim))
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = danlu.arange(self.dim - 1, dtype=self.concentration.dtype, device=self.concentration.device)
        offset = danlu.cat([offset.new_zeros((1,)), offset])
        self._beta = Beta(offset + 0.5, marginal_conc.unsqueeze(-1) - 0.5 * offset)
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(tuple(batch_shape))
        new._beta = self._beta.expand(tuple(batch_shape) + (self.dim,))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=Size()):
        """The onion method (rows: ``sqrt(y_i)`` times a uniform direction, diagonal completing the norm)."""
        with danlu.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            shape = tuple(self._extended_shape(sample_shape))
            u_normal = danlu.randn(shape, dtype=y.dtype, device=y.device).tril(-1)
            norm = u_normal.norm(dim=-1, keepdim=True)
            row = danlu.arange(self.dim, device=y.device).unsqueeze(-1)
            u_hypersphere = danlu.where(row > 0, u_normal / danlu.where(norm > 0, norm, danlu.ones_like(norm)),
                                        danlu.zeros_like(u_normal))
            w = y.sqrt() * u_hypersphere
            tiny = danlu.finfo(w.dtype).tiny
            diag_elems = (1 - (w ** 2).sum(-1)).clamp(min=tiny).sqrt()
            return w + danlu.diag_embed(diag_elems)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = danlu.arange(2, self.dim + 1, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized_log_pdf = (order * diag_elems.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = danlu.lgamma(alpha) * dm1
        numerator = danlu.mvlgamma(alpha - 0.5, dm1)
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        return unnormalized_log_pdf - (pi_constant + numerator - denominator)
