"""Adamax: Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

from .._backend import xp_of
from .optimizer import (Optimizer, _bump, _check_betas, _check_impl_flags, _check_lr, _check_nonneg,
                        _grad_array, _lerp_, _scalar, _step_context, _to_scalar, _zeros_like)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, section 7).

    With :math:`g_t = \pm\nabla f(\theta_{t-1}) + \lambda\theta_{t-1}`:

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),

        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,\frac{m_t}{u_t}

    State: ``step``, ``exp_avg`` (:math:`m`), ``exp_inf`` (:math:`u`).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 foreach: bool | None = None, *, maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg("epsilon", eps)
        _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        _check_impl_flags(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def step(self, closure=None):
        """One Adamax update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        with _step_context():
            for group in self.param_groups:
                lr, eps = _to_scalar(group["lr"]), group["eps"]
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _scalar(0.0)
                        state["exp_avg"] = _zeros_like(p)
                        state["exp_inf"] = _zeros_like(p)
                    state["step"]._data += 1
                    step = float(state["step"]._data)
                    g = _grad_array(p, group["maximize"], group["weight_decay"])
                    x, m, u = p._data, state["exp_avg"]._data, state["exp_inf"]._data
                    xp = xp_of(x)
                    tmp = self._scratch(x)
                    _lerp_(xp, m, g, 1 - beta1, tmp)         # m <- lerp(m, g, 1 - beta1)
                    u *= beta2                               # u <- max(beta2 u, |g| + eps)
                    xp.abs(g, out=tmp)
                    tmp += eps
                    xp.maximum(u, tmp, out=u)
                    clr = lr / (1 - beta1 ** step)           # x <- x - clr * m / u
                    xp.multiply(m, -clr, out=tmp)
                    tmp /= u
                    x += tmp
                    _bump(p)
        return loss
