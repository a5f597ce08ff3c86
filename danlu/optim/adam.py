"""Adam and AdamW (decoupled weight decay)."""
from __future__ import annotations

from .._backend import xp_of
from .._tensor import Tensor
from . import _fused
from .optimizer import (Optimizer, _bump, _check_betas, _check_impl_flags, _check_lr, _check_nonneg,
                        _lerp_, _scalar, _step_context, _to_scalar, _zeros_like)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba) with bias-corrected moments.

    With :math:`g_t = \pm\nabla f(\theta_{t-1})` (``maximize`` flips the sign):

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,

        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,
            \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    where :math:`\hat v_t = v_t`, or :math:`\max(\hat v_{t-1}, v_t)` with ``amsgrad``
    (``state['max_exp_avg_sq']``).  ``weight_decay`` :math:`\lambda` adds :math:`\lambda\theta`
    to :math:`g_t` (L2, coupled); with ``decoupled_weight_decay=True`` (= AdamW) it instead
    shrinks :math:`\theta \leftarrow \theta(1-\gamma\lambda)` before the update.
    State: ``step``, ``exp_avg`` (:math:`m`), ``exp_avg_sq`` (:math:`v`).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg("epsilon", eps)
        _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        _check_impl_flags(differentiable)
        betas = tuple(_to_scalar(b) for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)

    def step(self, closure=None):
        """One Adam update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        with _step_context():
            for group in self.param_groups:
                for p in group["params"]:
                    if p._grad is not None:
                        self._update(p, group)
        return loss

    def _update(self, p: Tensor, group: dict) -> None:
        beta1, beta2 = (_to_scalar(b) for b in group["betas"])
        lr, eps, wd = _to_scalar(group["lr"]), group["eps"], group["weight_decay"]
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _scalar(0.0)
            state["exp_avg"] = _zeros_like(p)
            state["exp_avg_sq"] = _zeros_like(p)
            if amsgrad:
                state["max_exp_avg_sq"] = _zeros_like(p)
        step_t = state["step"]
        step_t._data += 1
        step = float(step_t._data)
        x, g = p._data, p._grad._data
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        vmax = state["max_exp_avg_sq"]._data if amsgrad else None
        bc1 = 1 - beta1 ** step
        bc2 = 1 - beta2 ** step
        step_size = lr / bc1
        bc2_sqrt = bc2 ** 0.5
        if _fused.can_fuse(x, g, m, v, *((vmax,) if amsgrad else ())):
            dt = x.dtype.type
            dec = wd != 0 and decoupled
            _fused.run_adam(
                x.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1),
                (vmax if amsgrad else v).reshape(-1), amsgrad, maximize,
                dt(0 if dec else wd), dt(1 - lr * wd if dec else 1), dt(1 - beta1), dt(1) - dt(1 - beta1),
                dt(beta2), dt(1 - beta2), dt(bc2_sqrt), dt(eps), dt(-step_size))
        else:
            self._update_numpy(p, g, m, v, vmax, beta1, beta2, lr, eps, wd, amsgrad, maximize, decoupled,
                               step_size, bc2_sqrt)
        _bump(p)

    def _update_numpy(self, p, g, m, v, vmax, beta1, beta2, lr, eps, wd, amsgrad, maximize, decoupled,
                      step_size, bc2_sqrt) -> None:
        """The reference update: in-place ufuncs into one scratch buffer, no other temporaries."""
        x = p._data
        xp = xp_of(x)
        if maximize:
            g = -g
        if wd != 0:
            if decoupled:
                x *= 1 - lr * wd
            elif maximize:
                g += wd * x
            else:
                g = g + wd * x
        tmp = self._scratch(x)
        _lerp_(xp, m, g, 1 - beta1, tmp)                  # m <- lerp(m, g, 1 - beta1)
        v *= beta2                                          # v <- beta2 v + (1 - beta2) g^2
        xp.multiply(g, 1 - beta2, out=tmp)
        tmp *= g
        v += tmp
        if amsgrad:
            xp.maximum(vmax, v, out=vmax)
            v = vmax
        xp.sqrt(v, out=tmp)                                 # denom = sqrt(v) / sqrt(bc2) + eps
        tmp /= bc2_sqrt
        tmp += eps
        xp.divide(m, tmp, out=tmp)                          # x <- x - step_size * m / denom
        tmp *= -step_size
        x += tmp


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter):
    :math:`\theta \leftarrow \theta(1-\gamma\lambda)` then the Adam update; default
    ``weight_decay=1e-2``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
