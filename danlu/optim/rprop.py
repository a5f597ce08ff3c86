"""Rprop: resilient backpropagation, sign-based updates with adaptive per-weight step sizes."""
from __future__ import annotations

from .._backend import xp_of
from .optimizer import (Optimizer, _bump, _check_impl_flags, _check_lr, _full_like, _scalar, _step_context,
                        _to_scalar, _zeros_like)

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun).

    With :math:`s = \operatorname{sign}(g_t g_{t-1})` and step sizes :math:`\eta`:

    .. math::
        \eta_t = \operatorname{clip}\bigl(\eta_{t-1}\cdot\{\eta_+ \text{ if } s>0;\ \eta_-
        \text{ if } s<0;\ 1 \text{ else}\},\ \eta_{min}, \eta_{max}\bigr),

        g_t \leftarrow 0 \text{ where } s<0,\qquad
        \theta_t = \theta_{t-1} - \operatorname{sign}(g_t)\,\eta_t

    State: ``step``, ``prev`` (the previous, possibly zeroed gradient), ``step_size`` (starts at lr).
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_impl_flags(differentiable)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def step(self, closure=None):
        """One Rprop update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        with _step_context():
            for group in self.param_groups:
                etaminus, etaplus = group["etas"]
                smin, smax = group["step_sizes"]
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _scalar(0.0)
                        state["prev"] = _zeros_like(p)
                        state["step_size"] = _full_like(p, _to_scalar(group["lr"]))
                    state["step"]._data += 1
                    x, g = p._data, p._grad._data
                    xp = xp_of(x)
                    if group["maximize"]:
                        g = -g
                    prev, ss = state["prev"]._data, state["step_size"]._data
                    sign = xp.sign(g * prev)
                    fac = xp.where(sign > 0, sign.dtype.type(etaplus),
                                   xp.where(sign < 0, sign.dtype.type(etaminus), sign.dtype.type(1)))
                    ss *= fac
                    xp.clip(ss, smin, smax, out=ss)
                    g = xp.where(fac == etaminus, 0, g).astype(x.dtype, copy=False)
                    x -= xp.sign(g) * ss                     # addcmul(sign(g), ss, value=-1)
                    prev[...] = g
                    _bump(p)
        return loss
