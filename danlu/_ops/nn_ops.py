"""Fused ops behind ``danlu.nn.functional``: softmax/log-softmax, cross-entropy over class
indices, normalisation (batch/layer/group/instance norm), and the common activations.

Forward passes work on raw backend arrays in as few passes as possible; every backward is
written in Tensor ops when a graph is being recorded (``create_graph=True``), so gradients are
differentiable again.  Where that would cost a recomputation (cross-entropy, normalisation) the
plain backward uses arrays cached by the forward instead.
"""
from __future__ import annotations

import math

from .._backend import xp_of
from ..autograd.function import Op
from ..autograd.grad_mode import GradMode
from . import _util as U
from ._util import unbroadcast


def _T(arr):
    return U.Tensor._make(arr, None)


def _where(c, a, b):
    from .elementwise import where

    return where(c, a, b)


# ------------------------------------------------------------------------------------------
# softmax family
# ------------------------------------------------------------------------------------------
def softmax_array(a, dim):
    """``exp(x - max) / sum(exp(x - max))`` along ``dim`` (no overflow for large logits)."""
    xp = xp_of(a)
    if a.size == 0:
        return a.copy()
    e = xp.exp(a - a.max(axis=dim, keepdims=True))
    e /= e.sum(axis=dim, keepdims=True)
    return e


def log_softmax_array(a, dim):
    """``x - max - log(sum(exp(x - max)))`` along ``dim``."""
    xp = xp_of(a)
    if a.size == 0:
        return a.copy()
    s = a - a.max(axis=dim, keepdims=True)
    s -= xp.log(xp.exp(s).sum(axis=dim, keepdims=True))
    return s


class Softmax(Op):
    """``y = softmax(x)``; backward ``y * (g - sum(g * y))``."""

    _save_out = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return softmax_array(a, dim)

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (y * (g - (g * y).sum(ctx.dim, keepdim=True)),)


class LogSoftmax(Op):
    """``y = log_softmax(x)``; backward ``g - exp(y) * sum(g)``."""

    _save_out = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return log_softmax_array(a, dim)

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g - y.exp() * g.sum(ctx.dim, keepdim=True),)


# ------------------------------------------------------------------------------------------
# cross-entropy over class indices: log_softmax + gather (+ label smoothing) in one op
# ------------------------------------------------------------------------------------------
class CrossEntropyIdx(Op):
    """Per-row loss of logits ``x`` (M, C) against class indices ``target`` (M,)::

        l_i = valid_i * [(1 - eps) * w[t_i] * (lse_i - x[i, t_i])
                         + eps / C * sum_c w[c] * (lse_i - x[i, c])]

    ``valid_i = t_i != ignore_index``, ``w`` the class weights (ones when absent).  The
    gradient is ``A_i * softmax(x_i) - B_i`` with ``A_i = valid_i ((1-eps) w[t_i] + eps/C sum w)``
    and ``B_i = valid_i ((1-eps) w[t_i] onehot(t_i) + eps/C w)``.
    With ``scale`` set the op returns the reduced ``scale * sum_i l_i`` (0-d) instead, saving
    the separate sum/div nodes (``'sum'``: 1, ``'mean'``: 1 / sum of the valid weights).
    """

    torch_name = "NllLossBackward0"

    _save_in = (0,)

    @staticmethod
    def forward(ctx, x, *, target, weight, ignore_index, eps, scale=None):
        xp = xp_of(x)
        m, c = x.shape
        ctx.scale = scale
        if m == 0:
            return xp.zeros((0,), x.dtype) if scale is None else xp.asarray(scale * 0.0, x.dtype)
        valid = target != ignore_index
        t = xp.where(valid, target, 0)
        rows = xp.arange(m)
        mx = x.max(axis=1, keepdims=True)
        e = xp.exp(x - mx)
        s = e.sum(axis=1, keepdims=True)
        lse = (xp.log(s) + mx)[:, 0]
        wt = weight[t] if weight is not None else None
        loss = lse - x[rows, t]
        if wt is not None:
            loss *= wt
        if eps > 0:
            loss *= 1 - eps
            if weight is None:
                smooth = c * lse - x.sum(axis=1)
            else:
                smooth = weight.sum() * lse - x @ weight
            loss += (eps / c) * smooth
        loss = xp.where(valid, loss, 0).astype(x.dtype, copy=False)
        if ctx.recording:
            e /= s
            ctx.p, ctx.t, ctx.valid, ctx.wt, ctx.weight, ctx.eps = e, t, valid, wt, weight, eps
        if scale is not None:
            return xp.asarray(loss.sum() * scale, dtype=x.dtype)
        return loss

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if x.shape[0] == 0:  # no rows: the forward cached nothing, the gradient is empty
            return (_T(xp_of(x._data).zeros_like(x._data)),)
        xp = xp_of(ctx.p)
        m, c = ctx.p.shape
        if ctx.scale is not None:  # reduced output: every row gets scale * g
            g = (g * ctx.scale).expand(m) if GradMode.enabled else \
                _T(xp.broadcast_to(g._data * ctx.scale, (m,)))
            if ctx.scale != ctx.scale:  # 'mean' over no valid target: torch's ignored rows get 0
                g = g.masked_fill(_T(~ctx.valid), 0.0)
        dt = ctx.p.dtype
        eps, wt, weight, valid, t = ctx.eps, ctx.wt, ctx.weight, ctx.valid, ctx.t
        rows = xp.arange(m)
        ct = (1 - eps) * (wt if wt is not None else xp.ones(m, dt))  # coefficient of onehot(t)
        ct = xp.where(valid, ct, 0).astype(dt, copy=False)
        wsum = weight.sum() if weight is not None else c
        a = ct + xp.where(valid, eps / c * wsum, 0).astype(dt, copy=False)
        vs = xp.where(valid, eps / c, 0).astype(dt, copy=False)  # coefficient of w (smoothing)
        if GradMode.enabled:  # differentiable path: recompute softmax from x in Tensor ops
            b = xp.zeros((m, c), dt)
            b[rows, t] = ct
            if eps > 0:
                b += vs[:, None] * (weight[None, :] if weight is not None else 1)
            p = Softmax.apply(x, dim=1)
            return (g.unsqueeze(1) * (_T(a[:, None]) * p - _T(b)),)
        ga = g._data
        out = ctx.p * (ga * a)[:, None]
        out[rows, t] -= ga * ct
        if eps > 0:
            out -= (ga * vs)[:, None] * (weight[None, :] if weight is not None else 1)
        return (_T(out.astype(dt, copy=False)),)


# ------------------------------------------------------------------------------------------
# normalisation: y = (x - mean) / sqrt(var + eps) [* w + b], statistics over `axes`
# ------------------------------------------------------------------------------------------
def _norm_forward(ctx, x, axes, eps, stats):
    xp = xp_of(x)
    mean = x.mean(axis=axes, keepdims=True)
    d = x - mean
    var = (d * d).mean(axis=axes, keepdims=True)
    invstd = 1.0 / xp.sqrt(var + eps)
    d *= invstd  # d is now x_hat
    if stats is not None:
        stats["mean"], stats["var"], stats["invstd"] = mean, var, invstd
    if ctx.recording:
        ctx.axes, ctx.eps, ctx.xhat, ctx.invstd = axes, eps, d, invstd
    return d


def _norm_backward(ctx, x, gxhat):
    """dL/dx from dL/dx_hat: ``invstd * (gh - mean(gh) - x_hat * mean(gh * x_hat))``."""
    axes = ctx.axes
    if GradMode.enabled:
        mean = x.mean(axes, keepdim=True)
        d = x - mean
        invstd = ((d * d).mean(axes, keepdim=True) + ctx.eps).rsqrt()
        xhat = d * invstd
        return xhat, invstd * (gxhat - gxhat.mean(axes, keepdim=True)
                               - xhat * (gxhat * xhat).mean(axes, keepdim=True))
    xhat, gh = ctx.xhat, gxhat._data
    gx = gh - gh.mean(axis=axes, keepdims=True)
    gx -= xhat * (gh * xhat).mean(axis=axes, keepdims=True)
    gx *= ctx.invstd
    return _T(xhat), _T(gx)


class Normalize(Op):
    """``(x - mean(x)) / sqrt(var(x) + eps)`` over ``axes`` (biased variance), in one op."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, x, *, axes, eps, stats=None, tname=None):
        if tname is not None:  # torch's name for the calling norm (NativeBatchNormBackward0, ...)
            ctx._tname = tname
        return _norm_forward(ctx, x, axes, eps, stats)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (_norm_backward(ctx, x, g)[1],)


class NormAffine(Op):
    """``Normalize(x) * w + b``; ``w`` and ``b`` already in a shape that broadcasts over x."""

    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, x, w, b=None, *, axes, eps, stats=None, tname=None):
        if tname is not None:
            ctx._tname = tname
        xhat = _norm_forward(ctx, x, axes, eps, stats)
        if ctx.recording:
            ctx.sw = w.shape
            ctx.sb = None if b is None else b.shape
        y = xhat * w
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx, g, *rest):
        x, w = ctx.saved_tensors
        n = ctx.needs_input_grad
        xhat, gx = _norm_backward(ctx, x, g * w) if n[0] else (None, None)
        if xhat is None and (n[1]):
            xhat = _T(ctx.xhat) if not GradMode.enabled else _norm_backward(ctx, x, g * w)[0]
        gw = unbroadcast(g * xhat, ctx.sw) if n[1] else None
        if ctx.sb is None:
            return gx, gw
        gb = unbroadcast(g, ctx.sb) if n[2] else None
        return gx, gw, gb


# ------------------------------------------------------------------------------------------
# activations
# ------------------------------------------------------------------------------------------
class PiecewiseLinear(Op):
    """Activations that are linear between kinks (leaky_relu, hardtanh, hardsigmoid,
    threshold, shrinks): ``forward`` returns ``(y, slope)``; the gradient is ``g * slope``."""

    @staticmethod
    def forward(ctx, a, *, fn):
        y, slope = fn(xp_of(a), a)
        if ctx.recording:
            ctx.slope = slope
        return y.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        s = ctx.slope
        if not hasattr(s, "shape"):
            return (g * s,)
        return (g * _T(s.astype(g._data.dtype, copy=False)),)


class Elu(Op):
    """``scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1))`` (ELU, SELU, CELU).

    Backward as torch's ``elu_backward`` on the input: ``scale`` for x > 0, else
    ``input_scale * scale * alpha * exp(input_scale * x)`` (``grad_input_scale`` lets CELU use
    torch's float32-rounded ``1 / alpha`` there).
    """

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a, *, alpha, scale, input_scale, grad_input_scale=None):
        xp = xp_of(a)
        pos = a > 0
        neg = alpha * xp.expm1(xp.minimum(a, 0) * input_scale)
        if ctx.recording:
            gis = input_scale if grad_input_scale is None else grad_input_scale
            ctx.pos, ctx.k = pos, (alpha, scale, gis)
        return (scale * xp.where(pos, a, neg)).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        alpha, scale, isc = ctx.k
        pos = _T(ctx.pos)
        neg = (x.clamp(max=0) * isc).exp() * (isc * scale * alpha)
        return (g * _where(pos, scale, neg),)


class Gelu(Op):
    """``x * Phi(x)`` (exact, erf) or the tanh approximation."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a, *, approximate):
        xp = xp_of(a)
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = math.sqrt(2.0 / math.pi) * (a + 0.044715 * a * a * a)
            return (0.5 * a * (1 + xp.tanh(inner))).astype(a.dtype, copy=False)
        from .elementwise import _erf

        return (0.5 * a * (1 + _erf(a * (1 / math.sqrt(2.0))))).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            kb, kk = math.sqrt(2.0 / math.pi), 0.044715
            x2 = x * x
            t = ((x + kk * x2 * x) * kb).tanh()
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (kb * (1 + 3 * kk * x2))
            return (g * d,)
        cdf = 0.5 * (1 + (x * (1 / math.sqrt(2.0))).erf())
        pdf = (x * x * -0.5).exp() * (1 / math.sqrt(2 * math.pi))
        return (g * (cdf + x * pdf),)


def _sigmoid_array(a):
    xp = xp_of(a)
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


class Silu(Op):
    """``x * sigmoid(x)``; derivative ``s * (1 + x * (1 - s))``."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a):
        return a * _sigmoid_array(a)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = x.sigmoid()
        return (g * (s * (1 + x * (1 - s))),)


class Softplus(Op):
    """``log(1 + exp(beta x)) / beta``, or ``x`` where ``beta x > threshold``."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a, *, beta, threshold):
        xp = xp_of(a)
        z = a * beta
        ctx.beta, ctx.threshold = beta, threshold
        # log1p(exp(z)) = max(z, 0) + log1p(exp(-|z|)) never overflows
        sp = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        return xp.where(z > threshold, a, sp).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        z = x * ctx.beta
        return (g * _where(z > ctx.threshold, 1.0, z.sigmoid()),)


class LogSigmoid(Op):
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``; derivative ``sigmoid(-x)``."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        return (xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a)))).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * (-x).sigmoid(),)


class Hardswish(Op):
    """``x * relu6(x + 3) / 6``; derivative 0 for x <= -3, ``x/3 + 1/2`` on (-3, 3), 1 from 3 on
    (and at NaN), as torch's ``hardswish_backward``."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        return (a * xp.clip(a + 3, 0, 6) / 6).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        mid = x / 3 + 0.5
        d = _where(x <= -3, 0.0, _where(x < 3, mid, 1.0))
        return (g * d,)


# ------------------------------------------------------------------------------------------
# losses
# ------------------------------------------------------------------------------------------
_EPS12_F32 = 9.999999960041972e-13  # torch's `constexpr float EPSILON = 1e-12` (float32)


class BinaryCrossEntropy(Op):
    """``-(t log x + (1 - t) log(1 - x))`` with each log clamped at -100 (as torch); the input
    gradient is torch's ``(x - t) / max(x (1 - x), eps)``, finite even at x = 0 or 1."""

    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, x, t):
        xp = xp_of(x)
        with xp.errstate(divide="ignore"):
            lx = xp.maximum(xp.log(x), -100)
            l1x = xp.maximum(xp.log(1 - x), -100)
        return (-(t * lx + (1 - t) * l1x)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        n = ctx.needs_input_grad
        gx = gt = None
        if n[0]:
            gx = g * (x - t) / ((1 - x) * x).clamp(min=_EPS12_F32)
        if n[1]:
            gt = g * ((1 - x).log().clamp(min=-100) - x.log().clamp(min=-100))
        return gx, gt
