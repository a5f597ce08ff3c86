"""Adafactor: Adam-like updates with a factored (row x column) second-moment estimate."""
from __future__ import annotations

import numpy as _np

from .._backend import xp_of
from .optimizer import Optimizer, _bump, _scalar, _step_context, _to_scalar

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern), torch's variant.

    With :math:`\hat\beta_{2,t} = 1 - t^{c}` (``beta2_decay`` :math:`c \le 0`),
    :math:`\rho_t = \min(\gamma, 1/\sqrt t)` and
    :math:`\alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta_{t-1}))\rho_t`:

    .. math::
        R_t = \operatorname{lerp}(R_{t-1}, \overline{g_t^2}^{\,\text{cols}}, t^{c}),\quad
        C_t = \operatorname{lerp}(C_{t-1}, \overline{g_t^2}^{\,\text{rows}}, t^{c}),\quad
        \hat v_t = \frac{R_t C_t}{\max(\overline{R_t}, \epsilon_1)}

    (matrices; a vector keeps a full :math:`v_t = \operatorname{lerp}(v_{t-1}, g_t^2, t^c)`),

    .. math::
        u_t = g_t / \sqrt{\max(\hat v_t, \epsilon_1^2)},\qquad
        \theta_t = \theta_{t-1}(1 - \gamma\lambda) - \frac{\alpha_t}{\max(1, \mathrm{RMS}(u_t)/d)} u_t

    State: ``step``, and ``row_var``/``col_var`` (matrices) or ``variance``.
    """

    def __init__(self, params, lr=1e-2, beta2_decay: float = -0.8, eps=(None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None, maximize: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)

    def step(self, closure=None):
        """One Adafactor update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        with _step_context():
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                eps1, eps2 = group["eps"]
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    x, g = p._data, p._grad._data
                    xp = xp_of(x)
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _scalar(0.0)
                        if g.ndim > 1:
                            state["row_var"] = _tensor(xp.zeros(g.shape[:-1] + (1,), g.dtype))
                            state["col_var"] = _tensor(xp.zeros(g.shape[:-2] + (1, g.shape[-1]), g.dtype))
                        else:
                            state["variance"] = _tensor(xp.zeros_like(g))
                    if group["maximize"]:
                        g = -g
                    if eps1 is None:
                        eps1 = float(_np.finfo(x.dtype).eps)
                    state["step"]._data += 1
                    t = float(state["step"]._data)
                    w = t ** group["beta2_decay"]
                    rho = min(lr, 1 / (t ** 0.5))
                    alpha = max(eps2, float(xp.sqrt((x * x).sum())) / (x.size ** 0.5)) * rho
                    if group["weight_decay"] != 0:
                        x *= 1 - lr * group["weight_decay"]
                    if g.ndim > 1:
                        rv, cv = state["row_var"]._data, state["col_var"]._data
                        gg = g * g
                        _lerp_to(rv, gg.sum(axis=-1, keepdims=True) / g.shape[-1], w)
                        _lerp_to(cv, gg.sum(axis=-2, keepdims=True) / g.shape[-2], w)
                        var = xp.matmul(rv, cv)
                        var /= xp.maximum(rv.mean(axis=-2, keepdims=True), eps1)
                    else:
                        v = state["variance"]._data
                        _lerp_to(v, g * g, w)
                        var = v.copy()
                    xp.maximum(var, eps1 * eps1, out=var)
                    upd = 1 / xp.sqrt(var)
                    upd *= g
                    denom = max(1.0, float(xp.sqrt((upd * upd).sum())) / ((upd.size ** 0.5) * group["d"]))
                    upd *= -alpha / denom
                    x += upd
                    _bump(p)
        return loss


def _tensor(a):
    from .._tensor import Tensor

    return Tensor._make(a)


def _lerp_to(a, b, w: float) -> None:
    from .optimizer import _lerp_

    _lerp_(xp_of(a), a, b, w, xp_of(a).empty_like(a))
