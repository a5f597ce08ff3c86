"""ASGD: averaged stochastic gradient descent."""
from __future__ import annotations

from .._backend import xp_of
from .optimizer import (Optimizer, _bump, _check_impl_flags, _check_lr, _check_nonneg, _grad_array,
                        _scalar, _step_context, _to_scalar, _zeros_like)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky).

    With :math:`g_t = \pm\nabla f(\theta_{t-1}) + \lambda_{wd}\theta_{t-1}`:

    .. math::
        \theta_t = \theta_{t-1}(1 - \lambda\eta_t) - \eta_t g_t,\qquad
        a_t = a_{t-1} + \mu_t(\theta_t - a_{t-1}),

        \eta_{t+1} = \frac{\gamma}{(1 + \lambda\gamma t)^\alpha},\qquad \mu_{t+1} = \frac{1}{\max(1, t - t_0)}

    State: ``step``, ``eta``, ``mu`` (scalar tensors), ``ax`` (the average :math:`a`).
    """

    _scalar_state_keys = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg("weight_decay", weight_decay)
        _check_impl_flags(differentiable)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
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
        """One ASGD update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        with _step_context():
            for group in self.param_groups:
                lr, lambd, alpha, t0 = _to_scalar(group["lr"]), group["lambd"], group["alpha"], group["t0"]
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _scalar(0.0)
                        state["eta"] = _scalar(lr)
                        state["mu"] = _scalar(1.0)
                        state["ax"] = _zeros_like(p)
                    state["step"]._data += 1
                    step = float(state["step"]._data)
                    g = _grad_array(p, group["maximize"], group["weight_decay"])
                    x, ax = p._data, state["ax"]._data
                    xp = xp_of(x)
                    tmp = self._scratch(x)
                    eta = float(state["eta"]._data)
                    x *= 1 - lambd * eta                     # decay, then the gradient step
                    xp.multiply(g, -eta, out=tmp)
                    x += tmp
                    mu_arr = state["mu"]._data
                    if float(mu_arr) != 1:
                        xp.subtract(x, ax, out=tmp)          # ax <- ax + mu (x - ax)
                        tmp *= x.dtype.type(mu_arr)          # the (float32) mu, as a scalar of x's dtype
                        ax += tmp
                    else:
                        ax[...] = x
                    state["eta"]._data[...] = lr / ((1 + lambd * lr * step) ** alpha)
                    state["mu"]._data[...] = 1 / max(1, step - t0)
                    _bump(p)
        return loss
