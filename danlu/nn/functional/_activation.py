"""nn.functional: activations (elementwise non-linearities and the softmax family)."""
from __future__ import annotations

import warnings

from ... import _dtype as D
from ..._ops import elementwise as E
from ..._ops import nn_ops as N
from ..._ops._util import norm_dim
from ..._tensor import Tensor
from ...amp import _state as _amp

__all__ = [
    "threshold", "threshold_", "relu", "relu_", "relu6", "hardtanh", "hardtanh_", "elu", "elu_",
    "selu", "selu_", "celu", "celu_", "leaky_relu", "leaky_relu_", "prelu", "glu", "gelu",
    "logsigmoid", "hardshrink", "tanhshrink", "softsign", "softplus", "softmin", "softmax",
    "log_softmax", "softshrink", "tanh", "sigmoid", "hardsigmoid", "silu", "mish", "hardswish",
    "rrelu", "rrelu_", "gumbel_softmax",
]

def _f32(v: float) -> float:
    """``v`` rounded to float32 (to reproduce constants torch's kernels hold in float)."""
    import struct

    return struct.unpack("f", struct.pack("f", v))[0]


_ONE_SIXTH_F32 = _f32(1.0 / 6.0)

# SELU's constants (Klambauer et al. 2017), as torch spells them
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _check(input, name: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{name}" not implemented for \'{_tname(input.dtype)}\'')
    return input


def _tname(dt) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(dt.name, dt.name.capitalize())


def _apply(fn, input, inplace: bool):
    """``fn(input)``, or written back into ``input`` (torch's ``inplace=True``)."""
    if inplace:
        return input._inplace(fn)
    return fn(input)


def _piecewise(input, fn, name: str, inplace: bool = False):
    _check(input, name)
    return _apply(lambda x: N.PiecewiseLinear.apply(x, fn=fn), input, inplace)


# ------------------------------------------------------------------------------------------
# rectifiers and clamps
# ------------------------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)`` (gradient 0 at 0)."""
    return _apply(E.relu, input, inplace)


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def _int_limit(input, v):
    """A float limit as torch's integer kernels see it: cast to the input's dtype (truncated)."""
    return int(v) if not input.dtype.is_floating_point else v


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``value if x <= threshold else x`` (NaN passes through); integer inputs too, with the
    threshold and value cast to the input's dtype as torch's kernel does."""
    if input.dtype == D.bool_:
        raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")

    def fn(xp, a):
        th = xp.asarray(_int_limit(input, threshold)).astype(a.dtype)
        m = ~(a <= th)
        return xp.where(m, a, xp.asarray(_int_limit(input, value)).astype(a.dtype)), m
    return _apply(lambda x: N.PiecewiseLinear.apply(x, fn=fn), input, inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return globals()["threshold"](input, threshold, value, inplace=True)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """``clamp(x, min_val, max_val)``; the gradient passes strictly inside the interval."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.dtype == D.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    lo, hi = _int_limit(input, min_val), _int_limit(input, max_val)
    if input.dtype == D.uint8 and (lo < 0 or hi < 0):  # checked after truncation, as torch does
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")

    # NaN passes through; its gradient is 0 (torch's vectorised kernels: their scalar tail
    # path gives 1, so torch itself is not consistent there)
    def fn(xp, a):
        return xp.clip(a, lo, hi), (a > lo) & (a < hi)
    return _apply(lambda x: N.PiecewiseLinear.apply(x, fn=fn), input, inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x if x > 0 else negative_slope * x``."""
    def fn(xp, a):
        m = a > 0
        return xp.where(m, a, a * negative_slope), xp.where(m, 1.0, negative_slope)
    return _piecewise(input, fn, "leaky_relu_cpu", inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: ``x if x > 0 else a * x``.

    Training: ``a ~ U(lower, upper)`` drawn per element (for ``x <= 0``) from danlu's global
    generator; the gradient is the sampled slope (1 where ``x > 0``).  Eval: the fixed slope
    ``a = (lower + upper) / 2`` (``leaky_relu``).
    """
    _check(input, "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)

    def fn(xp, a):
        from ... import _backend as B
        from ... import _random as R

        u = R._rng(None).uniform(lower, upper, a.shape).astype(a.dtype, copy=False)
        if input.device.type != "cpu":  # pragma: no cover - cuda
            u = B.move(u, input.device)
        neg = a <= 0
        slope = xp.where(neg, u, xp.ones_like(u))
        return a * slope, slope
    return _piecewise(input, fn, "rrelu_with_noise_out_cpu", inplace)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x if x > 0 else w * x`` with one learnable slope per channel (dim 1) or one shared."""
    _check(input, "prelu_cpu")
    input, weight = _amp.lower(input, weight)
    n = weight.numel()
    ch = input.shape[1] if input.ndim >= 2 else 1
    if n != 1 and n != ch:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{n} and channel size = {ch}.")
    weight = weight.reshape(()) if n == 1 else weight.reshape((n,) + (1,) * (input.ndim - 2))
    return E.where(input > 0, input, weight * input)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x if |x| > lambd else 0``."""
    def fn(xp, a):  # NaN passes through with gradient 0 (torch's vectorised kernel)
        m = (a < -lambd) | (a > lambd)
        return xp.where(m | (a != a), a, 0), m
    return _piecewise(input, fn, "hardshrink_cpu")


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")

    def fn(xp, a):  # NaN propagates (torch's ``a * 0`` in the dead zone) with gradient 0
        m = (a < -lambd) | (a > lambd)
        return xp.where(a > lambd, a - lambd, xp.where(a < -lambd, a + lambd, a * 0)), m
    return _piecewise(input, fn, "softshrink_check")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    def fn(xp, a):
        # torch's backward uses the float literal 1.0f / 6.0f; match its numbers
        return xp.clip(a / 6 + 0.5, 0, 1), xp.where((a > -3) & (a < 3), _ONE_SIXTH_F32, 0.0)
    return _piecewise(input, fn, "hardsigmoid_cpu", inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    _check(input, "hardswish_cpu")
    return _apply(N.Hardswish.apply, input, inplace)


# ------------------------------------------------------------------------------------------
# smooth activations
# ------------------------------------------------------------------------------------------
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x if x > 0 else alpha * (exp(x) - 1)``."""
    _check(input, "elu_cpu")
    return _apply(lambda x: N.Elu.apply(x, alpha=alpha, scale=1.0, input_scale=1.0), input, inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    _check(input, "elu_cpu")
    return _apply(lambda x: N.Elu.apply(x, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0),
                  input, inplace)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    _check(input, "elu_cpu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    # torch's backward rounds 1/alpha to float32 (derivatives.yaml: 1.0 / alpha.toFloat())
    return _apply(lambda x: N.Elu.apply(x, alpha=alpha, scale=1.0, input_scale=1.0 / alpha,
                                        grad_input_scale=1.0 / _f32(alpha)), input, inplace)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``; ``approximate='tanh'``: ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _check(input, "GeluKernelImpl")
    return N.Gelu.apply(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (swish)."""
    _check(input, "silu_cpu")
    return _apply(N.Silu.apply, input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    _check(input, "mish_cpu")
    return _apply(lambda x: x * N.Softplus.apply(x, beta=1.0, threshold=20.0).tanh(), input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``; linear where ``beta x > threshold``."""
    _check(input, "softplus_cpu")
    return N.Softplus.apply(input, beta=beta, threshold=threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(1 / (1 + exp(-x)))``, stable for large |x|."""
    _check(input, "log_sigmoid_cpu")
    return N.LogSigmoid.apply(input)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return input - input.tanh()


def tanh(input: Tensor) -> Tensor:
    return E.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    return E.sigmoid(input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: ``a * sigmoid(b)`` where ``a, b`` are the halves of ``input`` along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = norm_dim(dim, input.ndim)
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"glu_cpu\" not implemented for '{_tname(input.dtype)}'")
    a, b = input.narrow(d, 0, n // 2), input.narrow(d, n // 2, n // 2)  # (split gives 1 piece at n = 0)
    return a * b.sigmoid()


# ------------------------------------------------------------------------------------------
# softmax family
# ------------------------------------------------------------------------------------------
def _softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_like(op, input, dim, dtype, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if dim is None:
        dim = _softmax_dim(name, input.ndim)
    if dtype is not None:
        input = input.to(D.to_dtype(dtype))
    d = norm_dim(dim, input.ndim)
    if not input.dtype.is_floating_point:
        if input.numel() == 0:  # torch returns the empty input before dispatching on its dtype
            return input.clone()
        kernel = "lastdim_kernel_impl" if d == max(input.ndim - 1, 0) else "kernel_impl"
        raise NotImplementedError(f'"{name}_{kernel}" not implemented for \'{_tname(input.dtype)}\'')
    if input.ndim == 0:
        return op.apply(input.reshape(1), dim=0).reshape(())
    return op.apply(input, dim=d)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x_i - max x) / sum_j exp(x_j - max x)`` along ``dim`` (stable for large logits)."""
    return _softmax_like(N.Softmax, input, dim, dtype, "softmax")


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``x_i - max x - log sum_j exp(x_j - max x)`` along ``dim``."""
    return _softmax_like(N.LogSoftmax, input, dim, dtype, "log_softmax")


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    if dtype is not None:
        input = input.to(D.to_dtype(dtype))
    return softmax(-input, dim)


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """Sample from the Gumbel-softmax (Concrete) distribution:
    ``softmax((logits + g) / tau)`` with ``g = -log(E)``, ``E ~ Exp(1)`` i.i.d.

    ``hard``: the one-hot of the argmax in the forward pass, the soft sample's gradient in the
    backward (straight-through: ``y_hard - y_soft.detach() + y_soft``).
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    from ... import _backend as B
    from ... import _random as R

    e = R._rng(None).standard_exponential(tuple(logits.shape)).astype(logits.dtype.np)
    if logits.device.type != "cpu":  # pragma: no cover - cuda
        e = B.move(e, logits.device)
    gumbels = Tensor._make(-B.xp_of(e).log(e))
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.detach().argmax(dim, keepdim=True)
    from ..._creation import zeros_like

    y_hard = zeros_like(logits).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# Tensor methods torch has for these (bound once, unless the core already provides them)
def _t_softmax(self, dim, dtype=None):
    return softmax(self, dim, dtype=dtype)


def _t_log_softmax(self, dim, dtype=None):
    return log_softmax(self, dim, dtype=dtype)


for _n, _f in (("softmax", _t_softmax), ("log_softmax", _t_log_softmax)):
    if not hasattr(Tensor, _n):
        setattr(Tensor, _n, _f)
