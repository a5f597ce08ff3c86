"""LogisticNormal, Kumaraswamy, FisherSnedecor, InverseGamma, GeneralizedPareto (as torch).

LogisticNormal is a Normal pushed through stick breaking onto the simplex; Kumaraswamy is
``(1 - u^(1/b))^(1/a)`` of a uniform ``u``; InverseGamma is ``1 / X`` with ``X ~ Gamma``;
FisherSnedecor draws ``(X1 / d1) / (X2 / d2)`` from two Gammas; GeneralizedPareto samples by
its inverse CDF.
"""
from __future__ import annotations

import math
from numbers import Number

import danlu
from danlu import Size

from . import constraints
from .continuous import Gamma, Normal, Uniform, _expand
from .distribution import Distribution
from .more_continuous import _EULER
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform, StickBreakingTransform
from .utils import broadcast_all

__all__ = ["FisherSnedecor", "GeneralizedPareto", "InverseGamma", "Kumaraswamy", "LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    """``StickBreakingTransform()(X)`` with ``X ~ N(loc, scale^2)`` (K - 1 dims -> K-simplex)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        base_dist = Normal(loc, scale, validate_args=validate_args)
        if not base_dist.batch_shape:
            base_dist = base_dist.expand([1])
        super().__init__(base_dist, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LogisticNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale


def _kumaraswamy_moment(a, b, n: int):
    """``E[X^n] = b B(1 + n/a, b) = b Gamma(1 + n/a) Gamma(b) / Gamma(1 + n/a + b)``."""
    arg1 = 1 + n / a
    return b * (danlu.lgamma(arg1) + danlu.lgamma(b) - danlu.lgamma(arg1 + b)).exp()


class Kumaraswamy(TransformedDistribution):
    """Kumaraswamy(a, b): ``p(x) = a b x^(a-1) (1 - x^a)^(b-1)`` on (0, 1)."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base_dist = Uniform(danlu.full_like(self.concentration0, 0), danlu.full_like(self.concentration0, 1),
                            validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()),
                      AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        """``((a - 1) / (a b - 1))^(1/a)`` (NaN unless a, b >= 1)."""
        a, b = self.concentration1, self.concentration0
        log_mode = b.reciprocal() * (-b).log1p() - (-b * a).log1p()
        return danlu.where((b < 1) | (a < 1), danlu.full_like(log_mode, math.nan), log_mode).exp()

    @property
    def variance(self):
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self):
        """``(1 - 1/b) + (1 - 1/a) H_b - log a - log b`` with ``H_b = psi(b + 1) + gamma``."""
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        h0 = danlu.digamma(self.concentration0 + 1) + _EULER
        return t0 + t1 * h0 - self.concentration1.log() - self.concentration0.log()


class FisherSnedecor(Distribution):
    """F(d1, d2): ``log p = log B-normaliser + d1/2 log(d1/d2) + (d1/2 - 1) log x
    - (d1 + d2)/2 log(1 + d1 x / d2)``."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None) -> None:
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        batch_shape = Size() if isinstance(df1, Number) and isinstance(df2, Number) else self.df1.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = _expand(self, FisherSnedecor, batch_shape, _instance, ("df1", "df2"))
        new._gamma1 = self._gamma1.expand(batch_shape)
        new._gamma2 = self._gamma2.expand(batch_shape)
        return new

    @property
    def mean(self):
        """``d2 / (d2 - 2)`` (NaN for d2 <= 2)."""
        bad = self.df2 <= 2
        df2 = danlu.where(bad, danlu.full_like(self.df2, 3.0), self.df2)
        return danlu.where(bad, danlu.full_like(df2, math.nan), df2 / (df2 - 2))

    @property
    def mode(self):
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return danlu.where(self.df1 <= 2, danlu.full_like(mode, math.nan), mode)

    @property
    def variance(self):
        """``2 d2^2 (d1 + d2 - 2) / (d1 (d2 - 2)^2 (d2 - 4))`` (NaN for d2 <= 4)."""
        bad = self.df2 <= 4
        df2 = danlu.where(bad, danlu.full_like(self.df2, 5.0), self.df2)
        var = 2 * df2.pow(2) * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2).pow(2) * (df2 - 4))
        return danlu.where(bad, danlu.full_like(var, math.nan), var)

    def rsample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        x1 = self._gamma1.rsample(sample_shape).view(shape)
        x2 = self._gamma2.rsample(sample_shape).view(shape)
        tiny = danlu.finfo(x2.dtype).tiny
        return (x1 / x2.clamp(min=tiny)).clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        ct1 = self.df1 * 0.5
        ct2 = self.df2 * 0.5
        ct3 = self.df1 / self.df2
        t1 = (ct1 + ct2).lgamma() - ct1.lgamma() - ct2.lgamma()
        t2 = ct1 * ct3.log() + (ct1 - 1) * danlu.log(value)
        t3 = (ct1 + ct2) * danlu.log1p(ct3 * value)
        return t1 + t2 - t3


class InverseGamma(TransformedDistribution):
    """``1 / X``, ``X ~ Gamma(concentration, rate)``: ``p(x) = b^a / Gamma(a) x^(-a-1) e^(-b/x)``."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None) -> None:
        base_dist = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -base_dist.rate.new_ones(())
        super().__init__(base_dist, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(InverseGamma, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        """``b / (a - 1)`` (inf for a <= 1)."""
        result = self.rate / (self.concentration - 1)
        return danlu.where(self.concentration > 1, result, danlu.full_like(result, math.inf))

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        """``b^2 / ((a - 1)^2 (a - 2))`` (inf for a <= 2)."""
        a = self.concentration
        result = self.rate.square() / ((a - 1).square() * (a - 2))
        return danlu.where(a > 2, result, danlu.full_like(result, math.inf))

    def entropy(self):
        """``a + log b + lgamma(a) - (1 + a) psi(a)``."""
        a = self.concentration
        return a + self.rate.log() + a.lgamma() - (1 + a) * a.digamma()


class GeneralizedPareto(Distribution):
    """GPD(loc, scale, c): ``log p = -log scale - (1/c + 1) log(1 + c z)``, ``z = (x - loc)/scale``
    (``-log scale - z`` at c = 0); support ``[loc, loc - scale/c]`` for c < 0, else ``[loc, inf)``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None) -> None:
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        scalar = all(isinstance(p, Number) for p in (loc, scale, concentration))
        super().__init__(Size() if scalar else self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand(self, GeneralizedPareto, batch_shape, _instance, ("loc", "scale", "concentration"))

    def _safe_concentration(self):
        c = self.concentration
        eq_zero = danlu.isclose(c, danlu.zeros_like(c))
        return eq_zero, danlu.where(eq_zero, danlu.ones_like(c), c)

    def rsample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        u = danlu.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        eq_zero, c = self._safe_concentration()
        y = 1 / c + danlu.ones_like(z)
        where_nonzero = danlu.where(y == 0, y, y * danlu.log1p(c * z))
        return -self.scale.log() - danlu.where(eq_zero, z, where_nonzero)

    def log_survival_function(self, value):
        """``log(1 - F(x)) = -log(1 + c z) / c`` (``-z`` at c = 0)."""
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        eq_zero, c = self._safe_concentration()
        return danlu.where(eq_zero, -z, -danlu.log1p(c * z) / c)

    def log_cdf(self, value):
        return danlu.log1p(-danlu.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return danlu.exp(self.log_cdf(value))

    def icdf(self, value):
        """``loc + scale ((1 - u)^(-c) - 1) / c`` (``loc - scale log(1 - u)`` at c = 0)."""
        eq_zero, c = self._safe_concentration()
        logu = danlu.log1p(-value)
        where_nonzero = self.loc + self.scale / c * danlu.expm1(-c * logu)
        where_zero = self.loc - self.scale * logu
        return danlu.where(eq_zero, where_zero, where_nonzero)

    @property
    def mean(self):
        """``loc + scale / (1 - c)`` (NaN for c >= 1)."""
        valid = self.concentration < 1
        c = danlu.where(valid, self.concentration, danlu.full_like(self.concentration, 0.5))
        result = self.loc + self.scale / (1 - c)
        return danlu.where(valid, result, danlu.full_like(result, math.nan))

    @property
    def variance(self):
        """``scale^2 / ((1 - c)^2 (1 - 2c))`` (NaN for c >= 1/2)."""
        valid = self.concentration < 0.5
        c = danlu.where(valid, self.concentration, danlu.full_like(self.concentration, 0.25))
        result = self.scale ** 2 / ((1 - c) ** 2 * (1 - 2 * c))
        return danlu.where(valid, result, danlu.full_like(result, math.nan))

    def entropy(self):
        """``log scale + c + 1``."""
        return danlu.broadcast_to(self.scale.log() + self.concentration + 1, tuple(self._batch_shape))

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        lower = self.loc
        upper = danlu.where(self.concentration < 0, lower - self.scale / self.concentration,
                            danlu.full_like(lower, math.inf))
        return constraints.interval(lower, upper)
