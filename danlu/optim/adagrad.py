"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
from __future__ import annotations

from .._backend import xp_of
from .optimizer import (Optimizer, _bump, _check_impl_flags, _check_lr, _check_nonneg, _full_like,
                        _grad_array, _scalar, _step_context, _to_scalar)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al.).

    With :math:`g_t = \pm\nabla f(\theta_{t-1}) + \lambda\theta_{t-1}`:

    .. math::
        \tilde\gamma = \frac{\gamma}{1 + (t-1)\eta},\qquad s_t = s_{t-1} + g_t^2,\qquad
        \theta_t = \theta_{t-1} - \tilde\gamma\,\frac{g_t}{\sqrt{s_t} + \epsilon}

    (:math:`\eta` = ``lr_decay``, :math:`s_0` = ``initial_accumulator_value``).  State (created
    at construction for every parameter): ``step``, ``sum``.
    """

    def __init__(self, params, lr=1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        _check_lr(lr)
        _check_nonneg("lr_decay", lr_decay)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("initial_accumulator_value", initial_accumulator_value)
        _check_nonneg("epsilon", eps)
        _check_impl_flags(differentiable)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _scalar(0.0)
                state["sum"] = _full_like(p, group["initial_accumulator_value"])

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)

    def step(self, closure=None):
        """One Adagrad update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        with _step_context():
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _scalar(0.0)
                        state["sum"] = _full_like(p, self.defaults["initial_accumulator_value"])
                    state["step"]._data += 1
                    step = float(state["step"]._data)
                    g = _grad_array(p, group["maximize"], group["weight_decay"])
                    clr = lr / (1 + (step - 1) * group["lr_decay"])
                    x, s = p._data, state["sum"]._data
                    xp = xp_of(x)
                    tmp = self._scratch(x)
                    xp.multiply(g, g, out=tmp)              # sum <- sum + g^2
                    s += tmp
                    xp.sqrt(s, out=tmp)                     # x <- x - clr * g / (sqrt(sum) + eps)
                    tmp += group["eps"]
                    t2 = self._scratch(x, 1)
                    xp.multiply(g, -clr, out=t2)
                    t2 /= tmp
                    x += t2
                    _bump(p)
        return loss
