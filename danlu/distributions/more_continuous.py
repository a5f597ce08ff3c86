"""More univariate continuous distributions: StudentT, Cauchy, HalfNormal, HalfCauchy, Chi2,
Gumbel, Weibull, Pareto, VonMises, ContinuousBernoulli.

HalfNormal/HalfCauchy are ``|X|`` of a centred Normal/Cauchy; Gumbel, Weibull and Pareto are
transformed Uniform/Exponential draws (so their ``rsample``, ``cdf`` and ``icdf`` come from
``TransformedDistribution``); Chi2(df) is Gamma(df/2, 1/2).  VonMises samples by Best and
Fisher's rejection method and, as torch, takes ``log I_0``/``log I_1`` of the concentration from
the Abramowitz-Stegun polynomial fits 9.8.1-9.8.4 (so log_prob and variance agree with torch).
"""
from __future__ import annotations

import math
from numbers import Number

import danlu
from danlu import Size

from . import constraints
from .continuous import Exponential, Gamma, Normal, Uniform, _expand
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform, AffineTransform, ExpTransform, PowerTransform
from .utils import _standard_normal, broadcast_all, clamp_probs, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Cauchy", "Chi2", "ContinuousBernoulli", "Gumbel", "HalfCauchy", "HalfNormal", "Pareto", "StudentT",
           "VonMises", "Weibull"]

_EULER = 0.57721566490153286060


def _batch_of(*params):
    return Size() if all(isinstance(p, Number) for p in params) else None


class Cauchy(Distribution):
    """Cauchy(loc, scale): ``p(x) = 1 / (pi scale (1 + ((x - loc) / scale)^2))``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = _batch_of(loc, scale)
        super().__init__(self.loc.size() if batch_shape is None else batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand(self, Cauchy, batch_shape, _instance, ("loc", "scale"))

    @property
    def mean(self):
        return danlu.full(tuple(self._extended_shape()), math.nan, dtype=self.loc.dtype, device=self.loc.device)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return danlu.full(tuple(self._extended_shape()), math.inf, dtype=self.loc.dtype, device=self.loc.device)

    def rsample(self, sample_shape=Size()):
        """``loc + scale tan(pi (u - 1/2))`` with ``u ~ U(0, 1)``."""
        shape = tuple(self._extended_shape(sample_shape))
        u = danlu.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + danlu.tan(math.pi * (u - 0.5)) * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value):
        """``atan((x - loc) / scale) / pi + 1/2``."""
        if self._validate_args:
            self._validate_sample(value)
        return danlu.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return danlu.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        """``log(4 pi scale)``."""
        return math.log(4 * math.pi) + self.scale.log()


class StudentT(Distribution):
    """Student's t(df, loc, scale): ``log p = -(df+1)/2 log(1 + y^2/df) - log(scale sqrt(df) B(df/2, 1/2))``."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None) -> None:
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = _expand(self, StudentT, batch_shape, _instance, ("df", "loc", "scale"))
        new._chi2 = self._chi2.expand(batch_shape)
        return new

    @property
    def mean(self):
        m = self.loc.clone()
        return danlu.where(self.df <= 1, danlu.full_like(m, math.nan), m)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """``scale^2 df / (df - 2)`` for df > 2, inf for 1 < df <= 2, NaN for df <= 1."""
        df = self.df
        v = self.scale.pow(2) * df / (df - 2)
        v = danlu.where(df <= 2, danlu.full_like(v, math.inf), v)
        return danlu.where(df <= 1, danlu.full_like(v, math.nan), v)

    def rsample(self, sample_shape=Size()):
        """``loc + scale X / sqrt(Z / df)``, ``X ~ N(0, 1)``, ``Z ~ Chi2(df)``."""
        shape = self._extended_shape(sample_shape)
        X = _standard_normal(shape, dtype=self.df.dtype, device=self.df.device)
        Z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * X * danlu.rsqrt(Z / self.df)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        Z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + danlu.lgamma(0.5 * self.df) - danlu.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * danlu.log1p(y ** 2.0 / self.df) - Z

    def entropy(self):
        """``log scale + (df+1)/2 (psi((df+1)/2) - psi(df/2)) + log(df)/2 + log B(df/2, 1/2)``."""
        lbeta = danlu.lgamma(0.5 * self.df) + math.lgamma(0.5) - danlu.lgamma(0.5 * (self.df + 1))
        return (self.scale.log() + 0.5 * (self.df + 1)
                * (danlu.digamma(0.5 * (self.df + 1)) - danlu.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)


class Chi2(Gamma):
    """Chi-squared with ``df`` degrees of freedom: Gamma(df / 2, 1 / 2)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None) -> None:
        if isinstance(df, Number):
            df = danlu.tensor(float(df))
        super().__init__(0.5 * df, danlu.tensor(0.5, dtype=df.dtype, device=df.device), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self):
        return self.concentration * 2


class HalfNormal(TransformedDistribution):
    """``|X|``, ``X ~ N(0, scale^2)``: ``p(x) = 2 N(x; 0, scale)`` on x >= 0."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None) -> None:
        base_dist = Normal(0, scale, validate_args=False)
        super().__init__(base_dist, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self):
        return danlu.zeros_like(self.scale)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return danlu.where(value >= 0, log_prob, -math.inf)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)


class HalfCauchy(TransformedDistribution):
    """``|X|``, ``X ~ Cauchy(0, scale)``: ``p(x) = 2 / (pi scale (1 + (x/scale)^2))`` on x >= 0."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None) -> None:
        base_dist = Cauchy(0, scale, validate_args=False)
        super().__init__(base_dist, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfCauchy, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return danlu.full(tuple(self._extended_shape()), math.inf, dtype=self.scale.dtype, device=self.scale.device)

    @property
    def mode(self):
        return danlu.zeros_like(self.scale)

    @property
    def variance(self):
        return self.base_dist.variance

    def log_prob(self, value):
        value = danlu.as_tensor(value, dtype=self.base_dist.scale.dtype, device=self.base_dist.scale.device)
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return danlu.where(value >= 0, log_prob, -math.inf)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)


class Gumbel(TransformedDistribution):
    """Gumbel(loc, scale): ``log p(x) = -(z + e^-z) - log scale``, ``z = (x - loc) / scale``;
    drawn as ``loc - scale log(-log u)``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc, scale, validate_args=None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        finfo = danlu.finfo(self.loc.dtype)
        if isinstance(loc, Number) and isinstance(scale, Number):
            base_dist = Uniform(finfo.tiny, 1 - finfo.eps, validate_args=validate_args)
        else:
            base_dist = Uniform(danlu.full_like(self.loc, finfo.tiny),
                                danlu.full_like(self.loc, 1 - finfo.eps), validate_args=validate_args)
        transforms = [ExpTransform().inv, AffineTransform(loc=0, scale=-danlu.ones_like(self.scale)),
                      ExpTransform().inv, AffineTransform(loc=self.loc, scale=-self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gumbel, _instance)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (self.loc - value) / self.scale
        return (y - y.exp()) - self.scale.log()

    @property
    def mean(self):
        return self.loc + self.scale * _EULER

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def entropy(self):
        """``log scale + 1 + euler_gamma``."""
        return self.scale.log() + (1 + _EULER)


class Weibull(TransformedDistribution):
    """Weibull(scale, concentration k): ``scale E^(1/k)``, ``E ~ Exp(1)``;
    ``p(x) = (k/scale) (x/scale)^(k-1) exp(-(x/scale)^k)``."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None) -> None:
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base_dist = Exponential(danlu.ones_like(self.scale), validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration_reciprocal),
                      AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Weibull, _instance)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        base_dist = self.base_dist.expand(batch_shape)
        transforms = [PowerTransform(exponent=new.concentration_reciprocal),
                      AffineTransform(loc=0, scale=new.scale)]
        TransformedDistribution.__init__(new, base_dist, transforms, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.scale * danlu.exp(danlu.lgamma(1 + self.concentration_reciprocal))

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k) ** k.reciprocal()

    @property
    def variance(self):
        return self.scale.pow(2) * (danlu.exp(danlu.lgamma(1 + 2 * self.concentration_reciprocal))
                                    - danlu.exp(2 * danlu.lgamma(1 + self.concentration_reciprocal)))

    def entropy(self):
        """``euler (1 - 1/k) + log(scale / k) + 1``."""
        return (_EULER * (1 - self.concentration_reciprocal)
                + danlu.log(self.scale * self.concentration_reciprocal) + 1)


class Pareto(TransformedDistribution):
    """Pareto(scale, alpha): ``scale e^E``, ``E ~ Exp(alpha)``; ``p(x) = alpha scale^alpha / x^(alpha+1)``."""

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args=None) -> None:
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base_dist = Exponential(self.alpha, validate_args=validate_args)
        transforms = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Pareto, _instance)
        new.scale = self.scale.expand(batch_shape)
        new.alpha = self.alpha.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        a = self.alpha.clamp(min=1)
        return a * self.scale / (a - 1)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = self.alpha.clamp(min=2)
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    def entropy(self):
        """``log(scale / alpha) + 1 / alpha + 1``."""
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())


# -- von Mises ------------------------------------------------------------------------------
# Abramowitz & Stegun 9.8.1-9.8.4: I_0, I_1 for x < 3.75 in (x/3.75)^2, and
# sqrt(x) e^-x I_n(x) for x >= 3.75 in 3.75/x (torch evaluates log I_n with these).
_I0_SMALL = [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2]
_I0_LARGE = [0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2, -0.2057706e-1,
             0.2635537e-1, -0.1647633e-1, 0.392377e-2]
_I1_SMALL = [0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3]
_I1_LARGE = [0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1, 0.2282967e-1,
             -0.2895312e-1, 0.1787654e-1, -0.420059e-2]


def _horner(y, coef):
    result = coef[-1]
    for c in reversed(coef[:-1]):
        result = c + y * result
    return result


def _log_modified_bessel_fn(x, order: int = 0):
    """``log I_order(x)`` for x > 0, order 0 or 1 (the polynomial fits above)."""
    y = (x / 3.75) ** 2
    small = _horner(y, _I0_SMALL if order == 0 else _I1_SMALL)
    if order == 1:
        small = x.abs() * small
    small = small.log()
    large = x - 0.5 * x.log() + _horner(3.75 / x, _I0_LARGE if order == 0 else _I1_LARGE).log()
    return danlu.where(x < 3.75, small, large)


class VonMises(Distribution):
    """Von Mises on the circle: ``log p(x) = kappa cos(x - loc) - log(2 pi I_0(kappa))``."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None) -> None:
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, Size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand(self, VonMises, batch_shape, _instance, ("loc", "concentration"))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (self.concentration * danlu.cos(value - self.loc) - math.log(2 * math.pi)
                - _log_modified_bessel_fn(self.concentration, order=0))

    @lazy_property
    def _proposal_r(self):
        kappa = self.concentration.detach().to(danlu.float64)
        tau = 1 + (1 + 4 * kappa ** 2).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
        r = (1 + rho ** 2) / (2 * rho)
        return danlu.where(kappa < 1e-5, 1 / kappa + kappa, r)

    def sample(self, sample_shape=Size()):
        """Best & Fisher (1979) rejection sampling, in float64; the draw is wrapped into [-pi, pi)."""
        shape = tuple(self._extended_shape(sample_shape))
        with danlu.no_grad():
            loc = self.loc.detach().to(danlu.float64)
            kappa = self.concentration.detach().to(danlu.float64)
            r = self._proposal_r.detach()
            x = danlu.zeros(shape, dtype=danlu.float64, device=loc.device)
            done = danlu.zeros(shape, dtype=danlu.bool, device=loc.device)
            while not bool(done.all()):
                u1, u2, u3 = danlu.rand((3,) + shape, dtype=danlu.float64, device=loc.device).unbind(0)
                z = danlu.cos(math.pi * u1)
                f = (1 + r * z) / (r + z)
                c = kappa * (r - f)
                accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
                x = danlu.where(accept & ~done, (u3 - 0.5).sign() * f.acos(), x)
                done = done | accept
            return ((x + math.pi + loc) % (2 * math.pi) - math.pi).to(self.loc.dtype)

    @property
    def mean(self):
        """The circular mean."""
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        """The circular variance ``1 - I_1(kappa) / I_0(kappa)``."""
        return 1 - (_log_modified_bessel_fn(self.concentration, order=1)
                    - _log_modified_bessel_fn(self.concentration, order=0)).exp()


# -- continuous Bernoulli -------------------------------------------------------------------
class ContinuousBernoulli(ExponentialFamily):
    """Continuous Bernoulli(lambda) on [0, 1]: ``p(x) = C(lambda) lambda^x (1 - lambda)^(1-x)``,
    ``C = 2 atanh(1 - 2 lambda) / (1 - 2 lambda)`` (2 at lambda = 1/2, evaluated by a Taylor
    expansion for lambda within ``lims`` of 1/2)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = isinstance(probs, Number)
            (self.probs,) = broadcast_all(probs)
            if validate_args is not None:
                if not bool(self.arg_constraints["probs"].check(self.probs).all()):
                    raise ValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(self.probs)
        else:
            is_scalar = isinstance(logits, Number)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        batch_shape = Size() if is_scalar else self._param.size()
        self._lims = lims
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(ContinuousBernoulli, _instance)
        new._lims = self._lims
        batch_shape = Size(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
            new._param = new.logits
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _outside_unstable_region(self):
        return danlu.max(danlu.le(self.probs, self._lims[0]), danlu.gt(self.probs, self._lims[1]))

    def _cut_probs(self):
        return danlu.where(self._outside_unstable_region(), self.probs,
                           self._lims[0] * danlu.ones_like(self.probs))

    def _cont_bern_log_norm(self):
        """``log C(lambda)``; ``log 2 + 4/3 (lambda - 1/2)^2 + 104/45 (lambda - 1/2)^4`` near 1/2."""
        cut_probs = self._cut_probs()
        cut_probs_below_half = danlu.where(danlu.le(cut_probs, 0.5), cut_probs, danlu.zeros_like(cut_probs))
        cut_probs_above_half = danlu.where(danlu.ge(cut_probs, 0.5), cut_probs, danlu.ones_like(cut_probs))
        log_norm = danlu.log(danlu.abs(danlu.log1p(-cut_probs) - danlu.log(cut_probs))) - danlu.where(
            danlu.le(cut_probs, 0.5), danlu.log1p(-2.0 * cut_probs_below_half),
            danlu.log(2.0 * cut_probs_above_half - 1.0))
        x = danlu.pow(self.probs - 0.5, 2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return danlu.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        cut_probs = self._cut_probs()
        mus = cut_probs / (2.0 * cut_probs - 1.0) + 1.0 / (danlu.log1p(-cut_probs) - danlu.log(cut_probs))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * danlu.pow(x, 2)) * x
        return danlu.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self):
        return danlu.sqrt(self.variance)

    @property
    def variance(self):
        cut_probs = self._cut_probs()
        vars_ = (cut_probs * (cut_probs - 1.0) / danlu.pow(1.0 - 2.0 * cut_probs, 2)
                 + 1.0 / danlu.pow(danlu.log1p(-cut_probs) - danlu.log(cut_probs), 2))
        x = danlu.pow(self.probs - 0.5, 2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return danlu.where(self._outside_unstable_region(), vars_, taylor)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    @property
    def param_shape(self) -> Size:
        return self._param.size()

    def sample(self, sample_shape=Size()):
        with danlu.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        u = danlu.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        bce = danlu.nn.functional.binary_cross_entropy_with_logits(logits, value, reduction="none")
        return -bce + self._cont_bern_log_norm()

    def cdf(self, value):
        """``(lambda^x (1-lambda)^(1-x) + lambda - 1) / (2 lambda - 1)``, clamped to [0, 1]."""
        if self._validate_args:
            self._validate_sample(value)
        cut_probs = self._cut_probs()
        cdfs = ((danlu.pow(cut_probs, value) * danlu.pow(1.0 - cut_probs, 1.0 - value) + cut_probs - 1.0)
                / (2.0 * cut_probs - 1.0))
        unbounded = danlu.where(self._outside_unstable_region(), cdfs, value)
        return danlu.where(danlu.le(value, 0.0), danlu.zeros_like(value),
                           danlu.where(danlu.ge(value, 1.0), danlu.ones_like(value), unbounded))

    def icdf(self, value):
        cut_probs = self._cut_probs()
        return danlu.where(
            self._outside_unstable_region(),
            (danlu.log1p(-cut_probs + value * (2.0 * cut_probs - 1.0)) - danlu.log1p(-cut_probs))
            / (danlu.log(cut_probs) - danlu.log1p(-cut_probs)),
            value)

    def entropy(self):
        log_probs0 = danlu.log1p(-self.probs)
        log_probs1 = danlu.log(self.probs)
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self) -> tuple:
        return (self.logits,)

    def _log_normalizer(self, x):
        """``log((e^x - 1) / x)`` (Taylor ``x/2 + x^2/24 - x^4/2880`` near 0)."""
        out_unst_reg = danlu.max(danlu.le(x, self._lims[0] - 0.5), danlu.gt(x, self._lims[1] - 0.5))
        cut_nat_params = danlu.where(out_unst_reg, x, (self._lims[0] - 0.5) * danlu.ones_like(x))
        log_norm = danlu.log(danlu.abs(danlu.exp(cut_nat_params) - 1.0)) - danlu.log(danlu.abs(cut_nat_params))
        taylor = 0.5 * x + danlu.pow(x, 2) / 24.0 - danlu.pow(x, 4) / 2880.0
        return danlu.where(out_unst_reg, log_norm, taylor)
