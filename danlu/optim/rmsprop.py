"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from __future__ import annotations

from .._backend import xp_of
from .optimizer import (Optimizer, _bump, _check_impl_flags, _check_lr, _check_nonneg, _grad_array,
                        _lerp_, _scalar, _step_context, _to_scalar, _zeros_like)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton).

    With :math:`g_t = \pm\nabla f(\theta_{t-1}) + \lambda\theta_{t-1}`:

    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\qquad
        \bar g_t = \alpha\bar g_{t-1} + (1-\alpha) g_t \ (\text{centered}),

        d_t = \sqrt{v_t - \bar g_t^2} + \epsilon \ (\text{centered})\ \text{ or }\ \sqrt{v_t}+\epsilon,

        b_t = \mu b_{t-1} + g_t/d_t,\ \theta_t = \theta_{t-1} - \gamma b_t\ (\mu>0)\quad
        \text{else}\quad \theta_t = \theta_{t-1} - \gamma g_t/d_t

    State: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0), ``grad_avg`` (centered).
    """

    def __init__(self, params, lr=1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("momentum", momentum)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("alpha", alpha)
        _check_impl_flags(differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def step(self, closure=None):
        """One RMSprop update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        with _step_context():
            for group in self.param_groups:
                lr, alpha, eps = _to_scalar(group["lr"]), group["alpha"], group["eps"]
                momentum, centered = group["momentum"], group["centered"]
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _scalar(0.0)
                        state["square_avg"] = _zeros_like(p)
                        if momentum > 0:
                            state["momentum_buffer"] = _zeros_like(p)
                        if centered:
                            state["grad_avg"] = _zeros_like(p)
                    state["step"]._data += 1
                    g = _grad_array(p, group["maximize"], group["weight_decay"])
                    x, sq = p._data, state["square_avg"]._data
                    xp = xp_of(x)
                    tmp, avg = self._scratch(x), self._scratch(x, 1)
                    sq *= alpha                              # v <- alpha v + (1 - alpha) g^2
                    xp.multiply(g, 1 - alpha, out=tmp)
                    tmp *= g
                    sq += tmp
                    if centered:
                        ga = state["grad_avg"]._data
                        _lerp_(xp, ga, g, 1 - alpha, tmp)   # gbar <- lerp(gbar, g, 1 - alpha)
                        xp.multiply(ga, -1, out=tmp)        # avg = sqrt(v - gbar^2)
                        tmp *= ga
                        xp.add(sq, tmp, out=avg)
                        xp.sqrt(avg, out=avg)
                    else:
                        xp.sqrt(sq, out=avg)
                    avg += eps
                    if momentum > 0:
                        buf = state["momentum_buffer"]._data
                        buf *= momentum                      # b <- mu b + g / avg
                        xp.divide(g, avg, out=tmp)
                        buf += tmp
                        xp.multiply(buf, -lr, out=tmp)
                        x += tmp
                    else:
                        xp.multiply(g, -lr, out=tmp)
                        tmp /= avg
                        x += tmp
                    _bump(p)
        return loss
