"""Muon: momentum whose update is orthogonalised by a Newton-Schulz iteration (torch.optim.Muon)."""
from __future__ import annotations

import math

from .._backend import xp_of
from .._tensor import Tensor
from .optimizer import Optimizer, _bump, _lerp_, _step_context, _to_scalar, _zeros_like

__all__ = ["Muon"]

# Keller Jordan's quintic Newton-Schulz coefficients and defaults (as torch)
_NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
_NS_STEPS = 5
_EPS = 1e-7


def _round_bf16_(xp, a) -> None:
    """Round a float32 array in place to the nearest bfloat16 value (ties to even), kept in float32:
    the top 16 bits of each float survive.  NaNs stay NaN."""
    nan = xp.isnan(a)
    u = a.view(xp.uint32)
    lsb = u >> xp.uint32(16)
    lsb &= xp.uint32(1)
    u += lsb
    u += xp.uint32(0x7FFF)
    u &= xp.uint32(0xFFFF0000)
    xp.copyto(a, xp.float32(math.nan), where=nan)


def _bf16(xp, a):
    """``a`` (any float array) as float32 holding bfloat16 values, converted through float32 as torch's
    ``.bfloat16()``; a new array."""
    out = a.astype(xp.float32, copy=True)
    _round_bf16_(xp, out)
    return out


def _newton_schulz(update, coefficients, steps: int, eps: float):
    r"""The orthogonalisation :math:`\mathrm{NS}^{(a,b,c)}_k(B)` of a matrix, in bfloat16 arithmetic as
    torch (every operation computed in float32 and rounded to bfloat16):

    .. math::
        X_0 = B / \max(\lVert B\rVert_F, \varepsilon),\qquad
        X_{j+1} = a X_j + (b\,A_j + c\,A_j^2) X_j,\quad A_j = X_j X_j^\top

    with :math:`X` transposed while it is tall, so the Gram matrix is the smaller one.  Returns a
    float32 array of bfloat16 values in ``update``'s shape."""
    if steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if update.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    xp = xp_of(update)
    f32 = xp.float32
    a, b, c = (f32(v) for v in coefficients)
    x = _bf16(xp, update)
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    norm = xp.sqrt(xp.sum(x * x, dtype=f32)).reshape(1)
    _round_bf16_(xp, norm)
    floor = _bf16(xp, xp.full(1, eps, dtype=f32))
    xp.maximum(norm, floor, out=norm)
    x = x / norm
    _round_bf16_(xp, x)
    for _ in range(steps):
        gram = x @ x.T
        _round_bf16_(xp, gram)
        poly = _addmm_bf16(xp, gram, gram, gram, b, c)     # b A + c A^2
        x = _addmm_bf16(xp, x, poly, x, a, f32(1))          # a X + (b A + c A^2) X
    return x.T if tall else x


def _addmm_bf16(xp, bias, m1, m2, beta, alpha):
    """torch's bfloat16 ``addmm(bias, m1, m2, beta=beta, alpha=alpha)`` on CPU: the product summed in
    float32, scaled by ``alpha``, then ``beta * bias`` added with a single rounding (a fused
    multiply-add, here through float64, where every operand is exact), rounded to bfloat16."""
    prod = m1 @ m2
    if alpha != 1:
        prod *= alpha
    out = bias.astype(xp.float64)
    out *= xp.float64(beta)
    out += prod
    out = out.astype(xp.float32)
    _round_bf16_(xp, out)
    return out


def _adjust_lr(lr: float, adjust_lr_fn: str | None, shape) -> float:
    """The learning rate scaled to the matrix shape :math:`A\\times B`: ``'original'`` (default)
    :math:`\\gamma\\sqrt{\\max(1, A/B)}`, ``'match_rms_adamw'`` :math:`0.2\\gamma\\sqrt{\\max(A, B)}`."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    r"""Muon (Keller Jordan): SGD momentum whose update is orthogonalised, for 2-D parameters
    (weights of hidden layers; biases, embeddings etc. belong to another optimizer such as AdamW).

    With :math:`g_t = \nabla f(\theta_{t-1})`, momentum :math:`\mu`, :math:`B_0 = 0`:

    .. math::
        B_t = \mu B_{t-1} + (1-\mu) g_t,\qquad
        \tilde B_t = \begin{cases} g_t + \mu (B_t - g_t) & \text{nesterov} \\ B_t & \text{else}\end{cases}

        O_t = \mathrm{NS}^{(a,b,c)}_k(\tilde B_t;\ \varepsilon),\qquad
        \theta_t = \theta_{t-1}(1 - \gamma\lambda) - \gamma' O_t

    where :math:`\mathrm{NS}` is ``ns_steps`` quintic Newton-Schulz iterations with
    ``ns_coefficients`` :math:`(a,b,c)`, run in bfloat16 arithmetic as torch does (emulated:
    float32 rounded to bfloat16 after every operation), :math:`\lambda` the decoupled
    ``weight_decay``, and :math:`\gamma'` the learning rate adjusted to the :math:`A\times B`
    shape by ``adjust_lr_fn``: ``'original'`` (``None``) :math:`\gamma\sqrt{\max(1, A/B)}`,
    ``'match_rms_adamw'`` :math:`0.2\gamma\sqrt{\max(A, B)}`.  State: ``momentum_buffer``.
    """

    def __init__(self, params, lr=1e-3, weight_decay: float = 0.1, momentum: float = 0.95,
                 nesterov: bool = True, ns_coefficients: tuple[float, float, float] = _NS_COEFFICIENTS,
                 eps: float = _EPS, ns_steps: int = _NS_STEPS, adjust_lr_fn: str | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a parameter with "
                                     f"size: {p.size()}")

    def step(self, closure=None):
        """One Muon update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        with _step_context():
            for group in self.param_groups:
                params = [p for p in group["params"] if p._grad is not None]
                for p in params:
                    if p.is_complex():
                        raise RuntimeError("Muon does not support complex parameters")
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = _zeros_like(p._grad)
                for p in params:
                    self._update(p, group)
        return loss

    def _update(self, p: Tensor, group: dict) -> None:
        lr = _to_scalar(group["lr"])
        wd, momentum = group["weight_decay"], group["momentum"]
        g = p._grad._data
        if g.ndim != 2:
            raise ValueError("Param gradient must be a 2D matrix")
        x = p._data
        xp = xp_of(x)
        buf_t = self.state[p]["momentum_buffer"]
        buf = buf_t._data
        tmp = self._scratch(buf)
        _lerp_(xp, buf, g, 1 - momentum, tmp)              # B <- lerp(B, g, 1 - mu)
        buf_t._vc[0] += 1
        if group["nesterov"]:
            upd = g.copy()                                  # g.lerp(B, mu), never g in place
            _lerp_(xp, upd, buf, momentum, tmp)
        else:
            upd = buf
        ortho = _newton_schulz(upd, group["ns_coefficients"], group["ns_steps"], group["eps"])
        adjusted = _adjust_lr(lr, group["adjust_lr_fn"], x.shape)
        x *= 1 - lr * wd                                    # decoupled weight decay
        step = self._scratch(x)
        xp.multiply(ortho.astype(x.dtype, copy=False), -adjusted, out=step)
        x += step
        _bump(p)
