"""Top-level ATen entry points torch exposes beside the nn API.

* ``conv_tbc(input (T, B, C_in), weight (K, C_in, C_out), bias (C_out,), pad)`` ->
  ``(T + 2*pad - K + 1, B, C_out)``: ``out[t, b, o] = bias[o] + sum_{k, i} x[t + k - pad, b, i] w[k, i, o]``.
* ``ctc_loss(..., blank=0, reduction=1, zero_infinity=False)``: reduction as ATen's int
  (0 none, 1 mean, 2 sum).
* The SyncBatchNorm building blocks (per channel ``c`` = dim 1, ``N`` elements per channel)::

    batch_norm_stats:        mean = E[x],  invstd = 1 / sqrt(Var_biased[x] + eps)
    batch_norm_elemt:        y = (x - mean) * invstd * w + b
    batch_norm_gather_stats(_with_counts): per-rank (mean_r, invstd_r, n_r) ->
        mean = sum n_r mean_r / n,  var = sum n_r (1/invstd_r^2 - eps + (mean_r - mean)^2) / n,
        invstd = 1/sqrt(var + eps); running stats <- (1-m) running + m (mean, var * n/(n-1))
    batch_norm_backward_reduce: sum_dy = sum dy, sum_dy_xmu = sum dy (x - mean),
        grad_weight = sum_dy_xmu * invstd, grad_bias = sum_dy
    batch_norm_backward_elemt: dx = (dy - sum_dy/n - (x - mean) invstd^2 sum_dy_xmu/n) invstd w,
        n = sum(count)
    batch_norm_update_stats: (mean, biased var); running stats updated with the unbiased var.

* ``get_autocast_cpu_dtype`` / ``get_autocast_gpu_dtype`` / ``is_autocast_cpu_enabled``:
  torch's deprecated spellings of ``get_autocast_dtype(dev)`` / ``is_autocast_enabled("cpu")``.
"""
from __future__ import annotations

import warnings

from ._tensor import Tensor

__all__ = ["conv_tbc", "ctc_loss", "batch_norm_stats", "batch_norm_elemt", "batch_norm_gather_stats",
           "batch_norm_gather_stats_with_counts", "batch_norm_backward_reduce",
           "batch_norm_backward_elemt", "batch_norm_update_stats", "get_autocast_cpu_dtype",
           "get_autocast_gpu_dtype", "is_autocast_cpu_enabled"]


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """Time-batch-channel 1-D convolution (see the module docstring), via ``conv1d``."""
    from .nn.functional import conv1d
    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    T = input.shape[0] + 2 * int(pad) - weight.shape[0] + 1
    if T < 0:
        shp = [T, input.shape[1], weight.shape[2]]
        raise RuntimeError(f"Trying to create tensor with negative dimension {T}: [{', '.join(map(str, shp))}]")
    out = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=int(pad))
    return out.permute(2, 0, 1)


_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: int = 1, zero_infinity: bool = False) -> Tensor:
    """``torch.ctc_loss``: ``F.ctc_loss`` with ATen's integer reduction (0 none, 1 mean, 2 sum)."""
    from .nn.functional import ctc_loss as _ctc
    if isinstance(reduction, bool) or not isinstance(reduction, int):
        raise TypeError(f"ctc_loss(): argument 'reduction' must be int, not {type(reduction).__name__}")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _ctc(log_probs, targets, input_lengths, target_lengths, blank, _REDUCTIONS[reduction],
                zero_infinity)


def _red_dims(x: Tensor) -> list:
    return [0] + list(range(2, x.dim()))


def _bshape(x: Tensor, v: Tensor) -> Tensor:
    return v.reshape((1, -1) + (1,) * (x.dim() - 2))


def batch_norm_stats(input: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    """Per-channel ``(mean, invstd)``, ``invstd = 1/sqrt(biased var + eps)``."""
    dims = _red_dims(input)
    mean = input.mean(dims)
    var = ((input - _bshape(input, mean)) ** 2).mean(dims)
    return mean, (var + eps).rsqrt()


def batch_norm_elemt(input: Tensor, weight, bias, mean: Tensor, invstd: Tensor, eps: float) -> Tensor:
    """``(x - mean) * invstd * weight + bias`` per channel (``eps`` unused, as ATen)."""
    y = (input - _bshape(input, mean)) * _bshape(input, invstd)
    if weight is not None:
        y = y * _bshape(input, weight)
    if bias is not None:
        y = y + _bshape(input, bias)
    return y


def batch_norm_gather_stats_with_counts(input: Tensor, mean: Tensor, invstd: Tensor, running_mean,
                                        running_var, momentum: float, eps: float,
                                        counts: Tensor) -> tuple[Tensor, Tensor]:
    """Merge per-rank ``(mean, invstd)`` of ``counts`` elements each into global ``(mean, invstd)``."""
    from .autograd.grad_mode import no_grad
    c = counts.to(mean.dtype).reshape(-1, 1)
    n = c.sum(0)
    gmean = (c * mean).sum(0) / n
    var_r = invstd.reciprocal() ** 2 - eps
    m2 = (c * (var_r + (mean - gmean) ** 2)).sum(0)
    ginvstd = (m2 / n + eps).rsqrt()
    with no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(momentum * gmean.to(running_mean.dtype))
        if running_var is not None:
            unbiased = m2 / (n - 1)
            running_var.mul_(1 - momentum).add_(momentum * unbiased.to(running_var.dtype))
    return gmean, ginvstd


def batch_norm_gather_stats(input: Tensor, mean: Tensor, invstd: Tensor, running_mean, running_var,
                            momentum: float, eps: float, count: int) -> tuple[Tensor, Tensor]:
    """``batch_norm_gather_stats_with_counts`` with every rank holding ``count`` elements."""
    from ._creation import full
    counts = full((mean.shape[0],), float(count), dtype=mean.dtype)
    return batch_norm_gather_stats_with_counts(input, mean, invstd, running_mean, running_var, momentum,
                                               eps, counts)


def batch_norm_backward_reduce(grad_out: Tensor, input: Tensor, mean: Tensor, invstd: Tensor, weight,
                               input_g: bool, weight_g: bool, bias_g: bool) -> tuple:
    """``(sum_dy, sum_dy_xmu, grad_weight, grad_bias)``; an output not asked for is ``None``."""
    dims = _red_dims(input)
    sum_dy = grad_out.sum(dims)
    sum_dy_xmu = (grad_out * (input - _bshape(input, mean))).sum(dims)
    return (sum_dy if input_g else None, sum_dy_xmu if input_g else None,
            sum_dy_xmu * invstd if weight_g else None, sum_dy if bias_g else None)


def batch_norm_backward_elemt(grad_out: Tensor, input: Tensor, mean: Tensor, invstd: Tensor, weight,
                              sum_dy: Tensor, sum_dy_xmu: Tensor, count: Tensor) -> Tensor:
    """Input gradient of batch norm from the globally reduced ``sum_dy``, ``sum_dy_xmu``."""
    n = count.to(grad_out.dtype).sum()
    inv = _bshape(input, invstd)
    g = (grad_out - _bshape(input, sum_dy) / n
         - (input - _bshape(input, mean)) * inv * inv * _bshape(input, sum_dy_xmu) / n) * inv
    if weight is not None:
        g = g * _bshape(input, weight)
    return g


def batch_norm_update_stats(input: Tensor, running_mean, running_var,
                            momentum: float) -> tuple[Tensor, Tensor]:
    """Per-channel ``(mean, biased var)``; running stats get ``(1-m) r + m (mean, unbiased var)``."""
    from .autograd.grad_mode import no_grad
    dims = _red_dims(input)
    n = input.numel() // max(input.shape[1], 1)
    mean = input.mean(dims)
    var = ((input - _bshape(input, mean)) ** 2).mean(dims)
    with no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(momentum * mean.to(running_mean.dtype))
        if running_var is not None:
            unb = var * (n / (n - 1)) if n > 1 else var * float("nan")
            running_var.mul_(1 - momentum).add_(momentum * unb.to(running_var.dtype))
    return mean, var


def get_autocast_cpu_dtype():
    """Deprecated: ``get_autocast_dtype('cpu')``."""
    from .amp.autocast_mode import get_autocast_dtype
    warnings.warn("torch.get_autocast_cpu_dtype() is deprecated. Please use "
                  "torch.get_autocast_dtype('cpu') instead.", DeprecationWarning, stacklevel=2)
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    """Deprecated: ``get_autocast_dtype('cuda')``."""
    from .amp.autocast_mode import get_autocast_dtype
    warnings.warn("torch.get_autocast_gpu_dtype() is deprecated. Please use "
                  "torch.get_autocast_dtype('cuda') instead.", DeprecationWarning, stacklevel=2)
    return get_autocast_dtype("cuda")


def is_autocast_cpu_enabled() -> bool:
    """Deprecated: ``is_autocast_enabled('cpu')``."""
    from .amp.autocast_mode import is_autocast_enabled
    warnings.warn("torch.is_autocast_cpu_enabled() is deprecated. Please use "
                  "torch.is_autocast_enabled('cpu') instead.", DeprecationWarning, stacklevel=2)
    return is_autocast_enabled("cpu")
