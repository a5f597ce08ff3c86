"""``kl_divergence(p, q) = E_p[log p(x) - log q(x)]`` by closed forms registered per pair of
types with ``register_kl``; dispatch picks the most specific registered pair (by MRO)."""
from __future__ import annotations

import math

import danlu
from danlu.nn import functional as F

from .composite import Independent
from .continuous import Beta, Dirichlet, Exponential, Gamma, Laplace, Normal, Uniform
from .discrete import Bernoulli, Binomial, Categorical, OneHotCategorical, Poisson
from .distribution import Distribution
from .exp_family import ExponentialFamily, _bregman_kl
from .lowrank_multivariate_normal import (LowRankMultivariateNormal, _batch_lowrank_logdet,
                                          _batch_lowrank_mahalanobis)
from .more_continuous import _EULER, Cauchy, ContinuousBernoulli, Gumbel, HalfNormal, Pareto
from .more_discrete import Geometric
from .multivariate_normal import MultivariateNormal, _batch_mahalanobis
from .transformed_distribution import LogNormal, TransformedDistribution
from .utils import _sum_rightmost

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict = {}
_KL_MEMOIZE: dict = {}


def register_kl(type_p, type_q):
    """Decorator registering ``fn(p, q)`` as ``kl_divergence`` for ``(type_p, type_q)``."""
    if not isinstance(type_p, type) or not issubclass(type_p, Distribution):
        raise TypeError(f"Expected type_p to be a Distribution subclass but got {type_p}")
    if not isinstance(type_q, type) or not issubclass(type_q, Distribution):
        raise TypeError(f"Expected type_q to be a Distribution subclass but got {type_q}")

    def decorator(fun):
        _KL_REGISTRY[type_p, type_q] = fun
        _KL_MEMOIZE.clear()
        return fun

    return decorator


def _dispatch_kl(type_p, type_q):
    matches = [(sp, sq) for sp, sq in _KL_REGISTRY if issubclass(type_p, sp) and issubclass(type_q, sq)]
    if not matches:
        return NotImplemented
    mro_p, mro_q = type_p.__mro__, type_q.__mro__
    left = min(matches, key=lambda m: (mro_p.index(m[0]), mro_q.index(m[1])))
    right = min(matches, key=lambda m: (mro_q.index(m[1]), mro_p.index(m[0])))
    if left != right:
        import warnings

        warnings.warn(f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). Please register_kl("
                      f"{left[0].__name__}, {right[1].__name__})", RuntimeWarning, stacklevel=3)
    return _KL_REGISTRY[left]


def kl_divergence(p: Distribution, q: Distribution):
    """``KL(p || q)``, batched over ``batch_shape``; NotImplementedError for unregistered pairs."""
    try:
        fun = _KL_MEMOIZE[type(p), type(q)]
    except KeyError:
        fun = _dispatch_kl(type(p), type(q))
        _KL_MEMOIZE[type(p), type(q)] = fun
    if fun is NotImplemented:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {p.__class__.__name__} "
                                  f"and q type {q.__class__.__name__}")
    return fun(p, q)


def _inf_where(mask, x):
    return danlu.where(mask, danlu.full_like(x, math.inf), x)


def _zero_where(mask, x):
    return danlu.where(mask, danlu.zeros_like(x), x)


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p, q):
    """Bregman divergence of the log-normaliser (one family only)."""
    if type(p) is not type(q):
        raise NotImplementedError("The cross KL-divergence between different exponential families cannot \
                            be computed using Bregman divergences")
    return _bregman_kl(p, q)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    """``(r + ((mu_p - mu_q)/s_q)^2 - 1 - log r) / 2``, ``r = (s_p/s_q)^2``."""
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t1 = _zero_where(p.probs == 0, _inf_where(q.probs == 0, t1))
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    t2 = _zero_where(p.probs == 1, _inf_where(q.probs == 1, t2))
    return t1 + t2


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count is not implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p() - (-q.probs).log1p())
    return _inf_where(p.total_count > q.total_count, kl)


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    """``sum p (log p - log q)`` (inf where q = 0 < p)."""
    t = p.probs * (p.logits - q.logits)
    t = _inf_where((q.probs == 0).expand_as(t), t)
    t = _zero_where((p.probs == 0).expand_as(t), t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    """``r_p (log r_p - log r_q) - (r_p - r_q)``."""
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    """``log((b_q - a_q) / (b_p - a_p))``; inf unless [a_p, b_p] lies inside [a_q, b_q]."""
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return _inf_where((q.low > p.low) | (q.high < p.high), result)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    """``r - 1 - log r``, ``r = rate_q / rate_p``."""
    rate_ratio = q.rate / p.rate
    t1 = -rate_ratio.log()
    return t1 + rate_ratio - 1


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * danlu.log(p.rate / q.rate)
    t2 = danlu.lgamma(q.concentration) - danlu.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * danlu.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    sum_params_p = p.concentration1 + p.concentration0
    sum_params_q = q.concentration1 + q.concentration0
    t1 = q.concentration1.lgamma() + q.concentration0.lgamma() + sum_params_p.lgamma()
    t2 = p.concentration1.lgamma() + p.concentration0.lgamma() + sum_params_q.lgamma()
    t3 = (p.concentration1 - q.concentration1) * danlu.digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * danlu.digamma(p.concentration0)
    t5 = (sum_params_q - sum_params_p) * danlu.digamma(sum_params_p)
    return t1 - t2 + t3 + t4 + t5


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    sum_p_concentration = p.concentration.sum(-1)
    sum_q_concentration = q.concentration.sum(-1)
    t1 = sum_p_concentration.lgamma() - sum_q_concentration.lgamma()
    t2 = (p.concentration.lgamma() - q.concentration.lgamma()).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = p.concentration.digamma() - sum_p_concentration.digamma().unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    t1 = -scale_ratio.log()
    t2 = loc_abs_diff / q.scale
    t3 = scale_ratio * danlu.exp(-loc_abs_diff / p.scale)
    return t1 + t2 + t3 - 1


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariatenormal_multivariatenormal(p, q):
    """``(tr(S_q^-1 S_p) + (mu_q - mu_p)^T S_q^-1 (mu_q - mu_p) - k) / 2 + log|L_q| - log|L_p|``."""
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with\
                          different event shapes cannot be computed")
    Lq, Lp = q._unbroadcasted_scale_tril, p._unbroadcasted_scale_tril
    half_term1 = (Lq.diagonal(dim1=-2, dim2=-1).log().sum(-1) - Lp.diagonal(dim1=-2, dim2=-1).log().sum(-1))
    combined_batch_shape = danlu.broadcast_shapes(tuple(Lq.shape[:-2]), tuple(Lp.shape[:-2]))
    n = p.event_shape[0]
    q_scale_tril = Lq.expand(tuple(combined_batch_shape) + (n, n))
    p_scale_tril = Lp.expand(tuple(combined_batch_shape) + (n, n))
    term2 = danlu.linalg.solve_triangular(q_scale_tril, p_scale_tril, upper=False).pow(2).sum((-2, -1))
    term3 = _batch_mahalanobis(Lq, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    result = kl_divergence(p.base_dist, q.base_dist)
    return _sum_rightmost(result, p.reinterpreted_batch_ndims)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    if p.transforms != q.transforms:
        raise NotImplementedError
    if p.event_shape != q.event_shape:
        raise NotImplementedError
    return kl_divergence(p.base_dist, q.base_dist)


@register_kl(LogNormal, LogNormal)
def _kl_lognormal_lognormal(p, q):
    return kl_divergence(p.base_dist, q.base_dist)


# -- the distributions of more_continuous / more_discrete / lowrank_multivariate_normal -----
def _infinite_like(t):
    return danlu.full_like(t, math.inf)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    """``-H(p) - log(1 - q) / p - logit(q)``."""
    return -p.entropy() - danlu.log1p(-q.probs) / p.probs - q.logits


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    return _kl_normal_normal(p.base_dist, q.base_dist)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    """``log(((s_p + s_q)^2 + (m_p - m_q)^2) / (4 s_p s_q))``."""
    t1 = ((p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)).log()
    t2 = (4 * p.scale * q.scale).log()
    return t1 - t2


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    """With ``r = s_p / s_q``: ``-log r + (m_p - m_q)/s_q + r euler + exp((m_q - m_p)/s_q) Gamma(1 + r) - 1 - euler``."""
    ct1 = p.scale / q.scale
    ct2 = q.loc / q.scale
    ct3 = p.loc / q.scale
    t1 = -ct1.log() - ct2 + ct3
    t2 = ct1 * _EULER
    t3 = danlu.exp(ct2 + danlu.lgamma(1 + ct1) - ct3)
    return t1 + t2 + t3 - (1 + _EULER)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    """``alpha_q log(s_p / s_q) - log(alpha_q / alpha_p) + alpha_q / alpha_p - 1`` (inf where s_p < s_q)."""
    scale_ratio = p.scale / q.scale
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * scale_ratio.log() - alpha_ratio.log() + alpha_ratio - 1
    return _inf_where(p.scale < q.scale, result)


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli_continuous_bernoulli(p, q):
    t1 = p.mean * (p.logits - q.logits)
    t2 = p._cont_bern_log_norm() + danlu.log1p(-p.probs)
    t3 = -q._cont_bern_log_norm() - danlu.log1p(-q.probs)
    return t1 + t2 + t3


def _lowrank_or_full(d):
    """(log det Sigma, Mahalanobis x -> x^T Sigma^-1 x, Sigma^-1, Sigma) of either normal."""
    if isinstance(d, LowRankMultivariateNormal):
        W, D, C = d._unbroadcasted_cov_factor, d._unbroadcasted_cov_diag, d._capacitance_tril
        return (_batch_lowrank_logdet(W, D, C), lambda x: _batch_lowrank_mahalanobis(W, D, x, C),
                d.precision_matrix, d.covariance_matrix)
    L = d._unbroadcasted_scale_tril
    return (2 * L.diagonal(dim1=-2, dim2=-1).log().sum(-1), lambda x: _batch_mahalanobis(L, x),
            d.precision_matrix, d.covariance_matrix)


def _kl_gaussians(p, q, what):
    """``(log det S_q - log det S_p + tr(S_q^-1 S_p) + (m_q - m_p)^T S_q^-1 (m_q - m_p) - k) / 2``."""
    if p.event_shape != q.event_shape:
        raise ValueError(f"KL-divergence between two {what} with different event shapes cannot be computed")
    logdet_p, _, _, cov_p = _lowrank_or_full(p)
    logdet_q, maha_q, prec_q, _ = _lowrank_or_full(q)
    term1 = logdet_q - logdet_p
    term2 = (prec_q * cov_p).sum((-2, -1))
    term3 = maha_q(q.loc - p.loc)
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrankmultivariatenormal_lowrankmultivariatenormal(p, q):
    return _kl_gaussians(p, q, "Low Rank Multivariate Normals")


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_multivariatenormal_lowrankmultivariatenormal(p, q):
    return _kl_gaussians(p, q, "(Low Rank) Multivariate Normals")


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrankmultivariatenormal_multivariatenormal(p, q):
    return _kl_gaussians(p, q, "(Low Rank) Multivariate Normals")


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_continuous_bernoulli(p, q):
    """``-H(p) - E[x] logit(lambda) - log(1 - lambda) - log C(lambda)``."""
    return -p.entropy() - p.mean * q.logits - danlu.log1p(-q.probs) - q._cont_bern_log_norm()


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_continuous_bernoulli(p, q):
    result = -p.entropy() - p.mean * q.logits - danlu.log1p(-q.probs) - q._cont_bern_log_norm()
    return _inf_where((p.high >= 1) | (p.low <= 0), result)


@register_kl(ContinuousBernoulli, Exponential)
def _kl_continuous_bernoulli_exponential(p, q):
    return -p.entropy() - danlu.log(q.rate) + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_continuous_bernoulli_normal(p, q):
    t1 = -p.entropy()
    t2 = 0.5 * (math.log(2.0 * math.pi) + (q.loc / q.scale).pow(2)) + danlu.log(q.scale)
    t3 = (p.variance + p.mean.pow(2) - 2.0 * q.loc * p.mean) / (2.0 * q.scale.pow(2))
    return t1 + t2 + t3


@register_kl(ContinuousBernoulli, Uniform)
def _kl_continuous_bernoulli_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    return _inf_where((q.low >= 0) | (q.high <= 1), result)


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    """``log(r s) - 1 + 1/(r s) - m/s + e^(m/s) r s / (r s + 1)``."""
    srp = q.scale * p.rate
    lsr = q.loc / q.scale
    return srp.log() - 1 - lsr + danlu.exp(lsr) * srp / (srp + 1) + srp.reciprocal()


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p, q):
    """``-H(p) + log s + (a/b - m)/s + e^(m/s) (1 + 1/(b s))^-a``."""
    a, b = p.concentration, p.rate
    t1 = danlu.log(q.scale) + (a / b - q.loc) / q.scale
    t2 = danlu.exp(q.loc / q.scale - a * danlu.log1p((b * q.scale).reciprocal()))
    return -p.entropy() + t1 + t2


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    """``-H(p) + log s + (mu - m)/s + exp((m - mu)/s + sigma^2 / (2 s^2))``."""
    z = (p.loc - q.loc) / q.scale
    return (-p.entropy() + danlu.log(q.scale) + z
            + danlu.exp(-z + 0.5 * (p.scale / q.scale).pow(2)))


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    """``-log(b - a) + log s + ((a + b)/2 - m)/s + s (e^((m-a)/s) - e^((m-b)/s)) / (b - a)``."""
    width = p.high - p.low
    t = q.scale * (danlu.exp((q.loc - p.low) / q.scale) - danlu.exp((q.loc - p.high) / q.scale)) / width
    return -width.log() + q.scale.log() + ((p.low + p.high) / 2 - q.loc) / q.scale + t


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p, q):
    """``-H(p) + log(sigma sqrt(2 pi)) + (Var p + (E p - mu)^2) / (2 sigma^2)``."""
    mean = p.loc + p.scale * _EULER
    var = (math.pi ** 2 / 6) * p.scale.pow(2)
    return (-p.entropy() + 0.5 * math.log(2 * math.pi) + q.scale.log()
            + (var + (mean - q.loc).pow(2)) / (2 * q.scale.pow(2)))


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    """``-H(p) - log r + r E[x]`` (inf for alpha <= 1)."""
    mean = p.alpha * p.scale / (p.alpha - 1)
    result = -p.entropy() - q.rate.log() + q.rate * mean
    return _inf_where(p.alpha <= 1, result)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    """``-H(p) - a log b + lgamma(a) - (a - 1) E[log x] + b E[x]`` (inf for alpha <= 1)."""
    mean = p.alpha * p.scale / (p.alpha - 1)
    mean_log = p.scale.log() + p.alpha.reciprocal()
    result = (-p.entropy() - q.concentration * q.rate.log() + danlu.lgamma(q.concentration)
              - (q.concentration - 1) * mean_log + q.rate * mean)
    return _inf_where(p.alpha <= 1, result)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    """``-H(p) + log(sigma sqrt(2 pi)) + (Var p + (E p - mu)^2) / (2 sigma^2)`` (inf for alpha <= 2)."""
    a = p.alpha
    mean = a * p.scale / (a - 1)
    var = p.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))
    result = (-p.entropy() + 0.5 * math.log(2 * math.pi) + q.scale.log()
              + (var + (mean - q.loc).pow(2)) / (2 * q.scale.pow(2)))
    return _inf_where(a <= 2, result)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    """``-log(b - a) - log alpha - alpha log s + (alpha + 1) E[log x]`` (inf where a < s)."""
    a, b = p.low, p.high
    mean_log = (danlu.xlogy(b, b) - danlu.xlogy(a, a)) / (b - a) - 1
    result = -(b - a).log() - q.alpha.log() - q.alpha * q.scale.log() + (q.alpha + 1) * mean_log
    return _inf_where(a < q.scale, result)


def _register_infinity(types_p, types_q, param):
    def fn(p, q):
        return _infinite_like(getattr(p, param))
    for tp in types_p:
        for tq in types_q:
            register_kl(tp, tq)(fn)


_register_infinity([Beta], [Pareto], "concentration1")
_register_infinity([ContinuousBernoulli], [Pareto], "probs")
_register_infinity([Exponential], [Pareto, ContinuousBernoulli], "rate")
_register_infinity([Gamma], [Pareto, ContinuousBernoulli], "concentration")
_register_infinity([Gumbel], [Uniform, Pareto, Gamma, Exponential, ContinuousBernoulli, Beta], "loc")
_register_infinity([Laplace, Normal], [Pareto, ContinuousBernoulli], "loc")
_register_infinity([Pareto], [Uniform, ContinuousBernoulli, Beta], "scale")
