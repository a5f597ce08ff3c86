"""Adadelta: learning-rate-free updates from running averages of squared gradients and steps."""
from __future__ import annotations

from .._backend import xp_of
from .optimizer import (Optimizer, _bump, _check_impl_flags, _check_lr, _check_nonneg, _grad_array,
                        _scalar, _step_context, _to_scalar, _zeros_like)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler).

    With :math:`g_t = \pm\nabla f(\theta_{t-1}) + \lambda\theta_{t-1}`:

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2,\qquad
        \Delta_t = \frac{\sqrt{u_{t-1}+\epsilon}}{\sqrt{v_t+\epsilon}}\,g_t,

        u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\qquad \theta_t = \theta_{t-1} - \gamma\Delta_t

    State: ``step``, ``square_avg`` (:math:`v`), ``acc_delta`` (:math:`u`).
    """

    def __init__(self, params, lr=1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0,
                 foreach: bool | None = None, *, capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonneg("epsilon", eps)
        _check_nonneg("weight_decay", weight_decay)
        _check_impl_flags(differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def step(self, closure=None):
        """One Adadelta update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        with _step_context():
            for group in self.param_groups:
                lr, rho, eps = _to_scalar(group["lr"]), group["rho"], group["eps"]
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _scalar(0.0)
                        state["square_avg"] = _zeros_like(p)
                        state["acc_delta"] = _zeros_like(p)
                    state["step"]._data += 1
                    g = _grad_array(p, group["maximize"], group["weight_decay"])
                    x = p._data
                    sq, acc = state["square_avg"]._data, state["acc_delta"]._data
                    xp = xp_of(x)
                    tmp, delta = self._scratch(x), self._scratch(x, 1)
                    sq *= rho                                # v <- rho v + (1 - rho) g^2
                    xp.multiply(g, 1 - rho, out=tmp)
                    tmp *= g
                    sq += tmp
                    xp.add(sq, eps, out=tmp)                 # std = sqrt(v + eps)
                    xp.sqrt(tmp, out=tmp)
                    xp.add(acc, eps, out=delta)              # delta = sqrt(u + eps) / std * g
                    xp.sqrt(delta, out=delta)
                    delta /= tmp
                    delta *= g
                    acc *= rho                               # u <- rho u + (1 - rho) delta^2
                    xp.multiply(delta, 1 - rho, out=tmp)
                    tmp *= delta
                    acc += tmp
                    xp.multiply(delta, -lr, out=tmp)
                    x += tmp
                    _bump(p)
        return loss
