"""``ExponentialFamily``: ``p(x; theta) = h(x) exp(<t(x), theta> - F(theta))``.

Subclasses give the natural parameters ``theta`` (``_natural_params``) and the log-normaliser
``F`` (``_log_normalizer``); the KL divergence between two members of one family is then the
Bregman divergence ``F(theta_q) - F(theta_p) - <theta_q - theta_p, grad F(theta_p)>``.
"""
from __future__ import annotations

import danlu

from .distribution import Distribution
from .utils import _sum_rightmost

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base of the exponential-family distributions (Normal, Bernoulli, Gamma, Beta, ...)."""

    @property
    def _natural_params(self) -> tuple:
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        """``F(theta) - <theta, grad F(theta)> - E[log h(x)]``."""
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = danlu.autograd.grad(lg_normal.sum(), nparams, create_graph=True)
        result = result + lg_normal
        for np_, g in zip(nparams, gradients):
            result = result - _sum_rightmost(np_ * g, len(self.event_shape))
        return result


def _bregman_kl(p, q):
    p_nparams = [np_.detach().requires_grad_() for np_ in p._natural_params]
    q_nparams = q._natural_params
    lg_normal = p._log_normalizer(*p_nparams)
    gradients = danlu.autograd.grad(lg_normal.sum(), p_nparams, create_graph=True)
    result = q._log_normalizer(*q_nparams) - lg_normal
    for pnp, qnp, g in zip(p_nparams, q_nparams, gradients):
        result = result - _sum_rightmost((qnp - pnp) * g, len(q.event_shape))
    return result
