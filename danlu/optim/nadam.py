"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""
from __future__ import annotations

from .._backend import xp_of
from .optimizer import (Optimizer, _bump, _check_betas, _check_impl_flags, _check_lr, _check_nonneg,
                        _lerp_, _scalar, _step_context, _to_scalar, _zeros_like)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (Dozat).

    With :math:`g_t = \pm\nabla f(\theta_{t-1})` (+ :math:`\lambda\theta` unless
    ``decoupled_weight_decay``, which shrinks :math:`\theta\leftarrow\theta(1-\gamma\lambda)`
    instead) and :math:`\psi` = ``momentum_decay``:

    .. math::
        \mu_t = \beta_1\bigl(1 - \tfrac12 0.96^{t\psi}\bigr),\qquad
        \Pi_t = \textstyle\prod_{i\le t}\mu_i,

        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,
        \qquad d_t = \sqrt{v_t/(1-\beta_2^t)} + \epsilon,

        \theta_t = \theta_{t-1} - \gamma\frac{1-\mu_t}{1-\Pi_t}\frac{g_t}{d_t}
            - \gamma\frac{\mu_{t+1}}{1-\Pi_t\mu_{t+1}}\frac{m_t}{d_t}

    State: ``step``, ``mu_product`` (:math:`\Pi`, a float32 scalar as torch), ``exp_avg``,
    ``exp_avg_sq``.
    """

    _scalar_state_keys = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg("epsilon", eps)
        _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("momentum_decay", momentum_decay)
        _check_impl_flags(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)

    def step(self, closure=None):
        """One NAdam update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        with _step_context():
            for group in self.param_groups:
                lr, eps, wd = _to_scalar(group["lr"]), group["eps"], group["weight_decay"]
                beta1, beta2 = group["betas"]
                psi = group["momentum_decay"]
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _scalar(0.0)
                        state["mu_product"] = _scalar(1.0)
                        state["exp_avg"] = _zeros_like(p)
                        state["exp_avg_sq"] = _zeros_like(p)
                    state["step"]._data += 1
                    step = float(state["step"]._data)
                    x, g = p._data, p._grad._data
                    xp = xp_of(x)
                    if group["maximize"]:
                        g = -g
                    bc2 = 1 - beta2 ** step
                    if wd != 0:
                        if group["decoupled_weight_decay"]:
                            x *= 1 - lr * wd
                        else:
                            g = g + wd * x
                    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
                    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
                    mp = state["mu_product"]._data
                    mp *= mu                                 # kept in the scalar dtype, as torch
                    mu_prod = float(mp)
                    m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                    tmp, den = self._scratch(x), self._scratch(x, 1)
                    _lerp_(xp, m, g, 1 - beta1, tmp)
                    v *= beta2
                    xp.multiply(g, 1 - beta2, out=tmp)
                    tmp *= g
                    v += tmp
                    xp.divide(v, bc2, out=den)               # d = sqrt(v / bc2) + eps
                    xp.sqrt(den, out=den)
                    den += eps
                    xp.multiply(g, -lr * (1.0 - mu) / (1.0 - mu_prod), out=tmp)
                    tmp /= den
                    x += tmp
                    xp.multiply(m, (-lr * mu_next) / (1.0 - mu_prod * mu_next), out=tmp)
                    tmp /= den
                    x += tmp
                    _bump(p)
        return loss
