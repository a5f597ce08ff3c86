"""More discrete distributions: Geometric, NegativeBinomial, Multinomial (``probs`` or ``logits``,
exactly one)."""
from __future__ import annotations

from numbers import Number

import danlu
from danlu import Size
from danlu.nn import functional as F

from . import constraints
from .continuous import Gamma
from .discrete import Binomial, Categorical, _finish_expand, _one_of
from .distribution import Distribution
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Geometric", "Multinomial", "NegativeBinomial"]


def _expand_probs_logits(self, new, shape):
    if "probs" in self.__dict__:
        new.probs = self.probs.expand(shape)
        new._param = new.probs
    if "logits" in self.__dict__:
        new.logits = self.logits.expand(shape)
        new._param = new.logits


class Geometric(Distribution):
    """Number of failures before the first success: ``P(k) = (1 - p)^k p``, k = 0, 1, ..."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        _one_of(probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
        else:
            (self.logits,) = broadcast_all(logits)
        probs_or_logits = probs if probs is not None else logits
        batch_shape = Size() if isinstance(probs_or_logits, Number) else (self.probs if probs is not None
                                                                            else self.logits).size()
        super().__init__(batch_shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            value = self.probs
            valid = value > 0
            if not bool(valid.all()):
                raise ValueError(
                    f"Expected parameter probs ({type(value).__name__} of shape {tuple(value.shape)}) "
                    f"of distribution {self!r} to be positive but found invalid values:\n{value[~valid]}")

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Geometric, _instance)
        batch_shape = Size(batch_shape)
        _expand_probs_logits(self, new, batch_shape)
        return _finish_expand(self, new, batch_shape)

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return danlu.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    def sample(self, sample_shape=Size()):
        """``floor(log u / log(1 - p))`` with ``u ~ U(tiny, 1)``."""
        shape = tuple(self._extended_shape(sample_shape))
        tiny = danlu.finfo(self.probs.dtype).tiny
        with danlu.no_grad():
            u = danlu.rand(shape, dtype=self.probs.dtype, device=self.probs.device).clamp(min=tiny)
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        """``k log(1 - p) + log p`` (0 at k = 0, p = 1)."""
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        probs = danlu.where((probs == 1) & (value == 0), danlu.zeros_like(probs), probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        """``BCE(logits, p) / p``."""
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs


class NegativeBinomial(Distribution):
    """Failures before ``total_count`` successes with success probability ``1 - probs``:
    ``log P(k) = lgamma(r + k) - lgamma(k + 1) - lgamma(r) + r log(1 - p) + k log p``."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None) -> None:
        _one_of(probs, logits)
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(NegativeBinomial, _instance)
        batch_shape = Size(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        _expand_probs_logits(self, new, batch_shape)
        return _finish_expand(self, new, batch_shape)

    @property
    def mean(self):
        return self.total_count * danlu.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / danlu.sigmoid(-self.logits)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Size:
        return self._param.size()

    @lazy_property
    def _gamma(self):
        return Gamma(concentration=self.total_count, rate=danlu.exp(-self.logits), validate_args=False)

    def sample(self, sample_shape=Size()):
        """Poisson(rate) draws with ``rate ~ Gamma(total_count, e^-logits)``."""
        with danlu.no_grad():
            rate = self._gamma.sample(sample_shape=sample_shape)
            return danlu.poisson(rate)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized_prob = (self.total_count * F.logsigmoid(-self.logits) + value * F.logsigmoid(self.logits))
        log_normalization = (-danlu.lgamma(self.total_count + value) + danlu.lgamma(1.0 + value)
                             + danlu.lgamma(self.total_count))
        log_normalization = log_normalization.masked_fill(self.total_count + value == 0.0, 0.0)
        return log_unnormalized_prob - log_normalization


class Multinomial(Distribution):
    """Counts of ``total_count`` Categorical draws:
    ``log P(x) = lgamma(n + 1) - sum lgamma(x_i + 1) + sum x_i log p_i``."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    total_count: int

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def __init__(self, total_count: int = 1, probs=None, logits=None, validate_args=None) -> None:
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Multinomial, _instance)
        batch_shape = Size(batch_shape)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = Binomial(total_count=self.total_count, probs=new._categorical.probs)
        return _finish_expand(self, new, batch_shape, self.event_shape)

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def param_shape(self) -> Size:
        return self._categorical.param_shape

    def sample(self, sample_shape=Size()):
        """``total_count`` Categorical draws, counted per category."""
        sample_shape = Size(sample_shape)
        with danlu.no_grad():
            samples = self._categorical.sample(Size((self.total_count,)) + sample_shape)
            k = self._categorical._num_events
            counts = F.one_hot(samples, k).sum(0)
            return counts.to(self.probs.dtype)

    def entropy(self):
        """``n H(Categorical) - lgamma(n + 1) + sum_i E[lgamma(x_i + 1)]`` (x_i ~ Binomial(n, p_i))."""
        n = self.total_count
        cat_entropy = self._categorical.entropy()
        # torch forms lgamma(n + 1) in the default dtype
        term1 = n * cat_entropy - danlu.lgamma(danlu.tensor(n + 1.0))
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = danlu.exp(self._binomial.log_prob(support))
        weights = danlu.lgamma(support + 1)
        term2 = (binomial_probs * weights).sum((0, -1))
        return term1 + term2

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = danlu.lgamma(value.sum(-1) + 1)
        log_factorial_xs = danlu.lgamma(value + 1).sum(-1)
        logits = danlu.where((value == 0) & (logits == -float("inf")), danlu.zeros_like(logits), logits)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers
