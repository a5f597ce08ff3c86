"""``danlu.distributions``: torch.distributions on danlu tensors.

Every distribution has ``batch_shape``/``event_shape``, ``sample(sample_shape)``, ``log_prob``,
``entropy``, ``mean``/``mode``/``variance``/``stddev``, ``expand`` and (where torch has them)
``cdf``/``icdf``; those with ``has_rsample`` draw reparameterised samples (``rsample``)
differentiable with respect to their parameters -- for Gamma, Beta and Dirichlet through the
implicit gradient of Gamma draws.  Sampling uses danlu's global generator (``danlu.manual_seed``).
``kl_divergence(p, q)`` dispatches on the pair of types (``register_kl`` adds more).
"""
from __future__ import annotations

from . import constraints, transforms
from .constraint_registry import biject_to, transform_to
from .composite import Independent, MixtureSameFamily
from .continuous import Beta, Dirichlet, Exponential, Gamma, Laplace, Normal, Uniform
from .discrete import (Bernoulli, Binomial, Categorical, OneHotCategorical,
                       OneHotCategoricalStraightThrough, Poisson)
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .kl import _KL_REGISTRY, kl_divergence, register_kl
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .matrix_distributions import LKJCholesky, Wishart
from .more_continuous import (Cauchy, Chi2, ContinuousBernoulli, Gumbel, HalfCauchy, HalfNormal, Pareto, StudentT,
                              VonMises, Weibull)
from .more_univariate import FisherSnedecor, GeneralizedPareto, InverseGamma, Kumaraswamy, LogisticNormal
from .more_discrete import Geometric, Multinomial, NegativeBinomial
from .multivariate_normal import MultivariateNormal
from .transformed_distribution import (LogNormal, RelaxedBernoulli, RelaxedOneHotCategorical,
                                       TransformedDistribution)
from .transforms import (AbsTransform, AffineTransform, CatTransform, ComposeTransform, CorrCholeskyTransform,
                         CumulativeDistributionTransform, ExpTransform, IndependentTransform, LowerCholeskyTransform,
                         PositiveDefiniteTransform, PowerTransform, ReshapeTransform, SigmoidTransform,
                         SoftmaxTransform, SoftplusTransform, StackTransform, StickBreakingTransform, TanhTransform,
                         Transform, identity_transform)

__all__ = [
    "AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
    "ComposeTransform", "ContinuousBernoulli", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal",
    "LowRankMultivariateNormal", "Multinomial", "NegativeBinomial", "Pareto", "StudentT", "VonMises", "Weibull",
    "Dirichlet", "Distribution", "ExpTransform", "Exponential", "ExponentialFamily", "Gamma",
    "Independent", "Laplace", "LogNormal", "MixtureSameFamily",
    "MultivariateNormal", "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough", "Poisson",
    "PowerTransform", "RelaxedBernoulli", "RelaxedOneHotCategorical", "SigmoidTransform",
    "SoftplusTransform", "TanhTransform", "Transform", "TransformedDistribution", "Uniform",
    "constraints", "identity_transform", "kl_divergence", "register_kl", "transforms",
    "CatTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform", "IndependentTransform",
    "LowerCholeskyTransform", "PositiveDefiniteTransform", "ReshapeTransform", "SoftmaxTransform", "StackTransform",
    "StickBreakingTransform", "biject_to", "transform_to",
    "FisherSnedecor", "GeneralizedPareto", "InverseGamma", "Kumaraswamy", "LKJCholesky", "LogisticNormal", "Wishart",
]

del _KL_REGISTRY
