"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""
from __future__ import annotations

from .._backend import xp_of
from .optimizer import (Optimizer, _bump, _check_betas, _check_impl_flags, _check_lr, _check_nonneg,
                        _lerp_, _scalar, _step_context, _to_scalar, _zeros_like)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam (Liu et al.).

    With :math:`g_t`, :math:`m_t`, :math:`v_t` as in Adam,
    :math:`\rho_\infty = 2/(1-\beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`:

    .. math::
        \hat m_t = \frac{m_t}{1-\beta_1^t},\qquad
        \theta_t = \theta_{t-1} - \gamma\hat m_t\, r_t\frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon}
        \ \text{ if }\rho_t > 5,\ \text{ else }\ \theta_t = \theta_{t-1} - \gamma\hat m_t,

        r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    ``decoupled_weight_decay`` applies :math:`\theta\leftarrow\theta(1-\gamma\lambda)` instead of
    adding :math:`\lambda\theta` to the gradient.  State: ``step``, ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg("epsilon", eps)
        _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        _check_impl_flags(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("capturable", False)

    def step(self, closure=None):
        """One RAdam update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        with _step_context():
            for group in self.param_groups:
                lr, eps, wd = _to_scalar(group["lr"]), group["eps"], group["weight_decay"]
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _scalar(0.0)
                        state["exp_avg"] = _zeros_like(p)
                        state["exp_avg_sq"] = _zeros_like(p)
                    state["step"]._data += 1
                    step = float(state["step"]._data)
                    x, g = p._data, p._grad._data
                    xp = xp_of(x)
                    if group["maximize"]:
                        g = -g
                    if wd != 0:
                        if group["decoupled_weight_decay"]:
                            x *= 1 - lr * wd
                        else:
                            g = g + wd * x
                    m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                    tmp, upd = self._scratch(x), self._scratch(x, 1)
                    _lerp_(xp, m, g, 1 - beta1, tmp)
                    v *= beta2
                    xp.multiply(g, 1 - beta2, out=tmp)
                    tmp *= g
                    v += tmp
                    bc1 = 1 - beta1 ** step
                    bc2 = 1 - beta2 ** step
                    xp.divide(m, bc1, out=upd)               # bias-corrected m, times lr
                    upd *= lr
                    rho_inf = 2 / (1 - beta2) - 1
                    rho_t = rho_inf - 2 * step * (beta2 ** step) / bc2
                    if rho_t > 5.0:
                        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                                / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                        xp.sqrt(v, out=tmp)                  # adaptive lr = sqrt(bc2) / (sqrt(v) + eps)
                        tmp += eps
                        xp.divide(bc2 ** 0.5, tmp, out=tmp)
                        upd *= tmp
                        upd *= rect
                    x -= upd
                    _bump(p)
        return loss
