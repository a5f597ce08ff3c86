"""Stochastic gradient descent with (Nesterov) momentum."""
from __future__ import annotations

from .._backend import xp_of
from .optimizer import (Optimizer, _bump, _check_impl_flags, _check_lr, _grad_array, _step_context,
                        _to_scalar)

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent.

    With :math:`g_t = \pm\nabla f(\theta_{t-1}) + \lambda\theta_{t-1}` (sign from ``maximize``,
    :math:`\lambda` = ``weight_decay``) and momentum :math:`\mu`, dampening :math:`\tau`:

    .. math::
        b_1 = g_1,\quad b_t = \mu b_{t-1} + (1-\tau) g_t,\qquad
        \theta_t = \theta_{t-1} - \gamma\,(g_t + \mu b_t \text{ if nesterov else } b_t)

    (without momentum :math:`\theta_t = \theta_{t-1} - \gamma g_t`).  The buffer lives in
    ``state[p]['momentum_buffer']``.
    """

    def __init__(self, params, lr=1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_impl_flags(differentiable)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def step(self, closure=None):
        """One SGD update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        with _step_context():
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                momentum, dampening = group["momentum"], group["dampening"]
                nesterov, wd = group["nesterov"], group["weight_decay"]
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    xp = xp_of(p._data)
                    g = _grad_array(p, group["maximize"], wd)
                    tmp = self._scratch(p._data)
                    if momentum != 0:
                        state = self.state[p]
                        buf_t = state.get("momentum_buffer")
                        if buf_t is None:
                            from .._tensor import Tensor

                            buf_t = state["momentum_buffer"] = Tensor._make(g.copy())
                            buf = buf_t._data
                        else:
                            buf = buf_t._data
                            buf *= momentum
                            if dampening != 0:
                                xp.multiply(g, 1 - dampening, out=tmp)
                                buf += tmp
                            else:
                                buf += g
                            buf_t._vc[0] += 1
                        if nesterov:
                            xp.multiply(buf, momentum, out=tmp)
                            tmp += g
                            upd = tmp
                        else:
                            upd = buf
                    else:
                        upd = g
                    # param.add_(upd, alpha=-lr): p + (-lr) * upd
                    xp.multiply(upd, -lr, out=tmp)
                    p._data += tmp
                    _bump(p)
        return loss
