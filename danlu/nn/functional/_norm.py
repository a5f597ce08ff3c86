"""nn.functional: normalisation (batch, layer, group, instance, RMS, local response)."""
from __future__ import annotations

import math

from ..._ops import nn_ops as N
from ..._tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm",
           "rms_norm"]


def _shape_str(s) -> str:
    return "[" + ", ".join(map(str, s)) + "]"


def _update_running(buf: Tensor | None, new_arr, momentum: float) -> None:
    """``buf = (1 - momentum) * buf + momentum * new`` in place (no graph, version bump)."""
    if buf is None:
        return
    d = buf._data
    d *= 1 - momentum
    d += (momentum * new_arr).astype(d.dtype, copy=False)
    buf._vc[0] += 1


def _affine_args(weight, bias, bshape, like: Tensor):
    """weight/bias reshaped to broadcast against the input (``None`` weight with a bias: ones)."""
    if weight is None and bias is None:
        return None, None
    if weight is None:
        from ..._creation import ones

        weight = ones(bias.shape, dtype=like.dtype, device=like.device)
    w = weight.reshape(bshape) if bshape is not None else weight
    b = None if bias is None else (bias.reshape(bshape) if bshape is not None else bias)
    return w, b


def _normalize(x: Tensor, axes: tuple, eps: float, w, b, stats=None, tname=None) -> Tensor:
    """``tname``: torch's node name for the calling norm."""
    if w is None:
        return N.Normalize.apply(x, axes=axes, eps=eps, stats=stats, tname=tname)
    if b is None:
        return N.NormAffine.apply(x, w, axes=axes, eps=eps, stats=stats, tname=tname)
    return N.NormAffine.apply(x, w, b, axes=axes, eps=eps, stats=stats, tname=tname)


def _eval_norm(x: Tensor, mean: Tensor, var: Tensor, weight, bias, eps: float, bshape) -> Tensor:
    """``(x - running_mean) / sqrt(running_var + eps) * w + b`` with fixed statistics."""
    scale = (var.detach() + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    y = (x - mean.detach().reshape(bshape)) * scale.reshape(bshape)
    if bias is not None:
        y = y + bias.reshape(bshape)
    return y


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-05) -> Tensor:
    """Per-channel (dim 1) ``(x - mean) / sqrt(var + eps) * weight + bias``.

    Training: batch statistics over every dim but 1 (biased variance), and the running
    buffers become ``(1 - momentum) * running + momentum * batch`` with the *unbiased*
    variance ``var * n / (n - 1)``.  Evaluation: the running statistics.
    """
    if input.ndim < 2:
        raise ValueError(f"Expected 2D or higher input (got {input.ndim}D input)")
    c = input.shape[1]
    bshape = (1, c) + (1,) * (input.ndim - 2)
    for name, buf in (("running_mean", running_mean), ("running_var", running_var)):
        if buf is not None and buf.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {buf.numel()}")
    if training:
        n = input.numel() // c if c else 0
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        axes = (0,) + tuple(range(2, input.ndim))
        w, b = _affine_args(weight, bias, bshape, input)
        stats = {} if running_mean is not None or running_var is not None else None
        y = _normalize(input, axes, eps, w, b, stats, "NativeBatchNormBackward0")
        if stats is not None:
            m = 0.0 if momentum is None else float(momentum)
            _update_running(running_mean, stats["mean"].reshape(c), m)
            _update_running(running_var, stats["var"].reshape(c) * (n / (n - 1)), m)
        return y
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    return _eval_norm(input, running_mean, running_var, weight, bias, eps, bshape)


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-05) -> Tensor:
    """Each (sample, channel) normalised over its spatial dims; running statistics (when
    given) track the batch-average of the per-instance mean and unbiased variance."""
    spatial = 1
    for s in input.shape[2:]:
        spatial *= s
    if use_input_stats and spatial == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    input.size(0), input.size(1)  # torch's IndexError for a 0-d / 1-d input
    c = input.shape[1]
    bshape = (1, c) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
        rm, rv = running_mean.to(input.dtype), running_var.to(input.dtype)  # torch's statistics copies
        return _eval_norm(input, rm, rv, weight, bias, eps, bshape)
    axes = tuple(range(2, input.ndim))
    w, b = _affine_args(weight, bias, bshape, input)
    if spatial == 0:  # no spatial elements: the empty result, the running statistics untouched
        y = input * 0
        return y if w is None else (y * w if b is None else y * w + b)
    stats = {} if running_mean is not None or running_var is not None else None
    y = _normalize(input, axes, eps, w, b, stats)
    if stats is not None:
        m = float(momentum)
        _update_running(running_mean, stats["mean"].reshape(input.shape[0], c).mean(0), m)
        uvar = stats["var"].reshape(input.shape[0], c) * (spatial / (spatial - 1))
        _update_running(running_var, uvar.mean(0), m)
    return y


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-05) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims, then ``* weight + bias``."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != ns:
        raise RuntimeError(
            f"Given normalized_shape={_shape_str(ns)}, expected input with shape "
            f"[*, {', '.join(map(str, ns))}], but got input of size{_shape_str(input.shape)}")
    axes = tuple(range(input.ndim - k, input.ndim))
    w, b = _affine_args(weight, bias, None, input)
    return _normalize(input, axes, eps, w, b, tname="NativeLayerNormBackward0")


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """``x / sqrt(mean(x^2) + eps) * weight`` over the trailing ``normalized_shape`` dims."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != ns:
        raise RuntimeError(
            f"Given normalized_shape={_shape_str(ns)}, expected input with shape "
            f"[*, {', '.join(map(str, ns))}], but got input of size{_shape_str(input.shape)}")
    if eps is None:
        from ..._backend import xp_of

        eps = float(xp_of(input._data).finfo(input.dtype.np).eps)
    axes = tuple(range(input.ndim - k, input.ndim))
    y = input * ((input * input).mean(axes, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-05) -> Tensor:
    """Channels split into ``num_groups``; each (sample, group) normalised over its channels
    and spatial dims, then per-channel ``* weight + bias``."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input of "
            f"shape {_shape_str(input.shape)} and num_groups={num_groups}")
    vs = [n * c // num_groups, num_groups] + list(input.shape[2:])  # torch's _verify_batch_size
    if vs[0] * math.prod(vs[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {vs}")
    g = (c // num_groups) * math.prod(input.shape[2:])  # (explicit: -1 is ambiguous for n = 0)
    y = N.Normalize.apply(input.reshape(n, num_groups, g), axes=(2,), eps=eps).reshape(input.shape)
    bshape = (c,) + (1,) * (input.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(bshape)
    if bias is not None:
        y = y + bias.reshape(bshape)
    return y


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """``x / (k + alpha / size * sum_{window of size channels} x^2)^beta``; the window is
    centred on each channel (``size // 2`` before, ``(size - 1) // 2`` after, zero padded)."""
    if input.ndim < 3:
        raise ValueError("Expected 3D or higher dimensionality                          input "
                         f"(got {input.ndim} dimensions)")  # (torch's spacing)
    if input.numel() == 0:
        return input
    from ..._creation import zeros
    from ..._ops.shape import cat

    sq = input * input
    c = input.shape[1]
    before, after = size // 2, (size - 1) // 2
    parts = []
    if before:
        parts.append(zeros((input.shape[0], before) + tuple(input.shape[2:]), dtype=input.dtype,
                           device=input.device))
    parts.append(sq)
    if after:
        parts.append(zeros((input.shape[0], after) + tuple(input.shape[2:]), dtype=input.dtype,
                           device=input.device))
    padded = cat(parts, 1) if len(parts) > 1 else sq
    acc = None
    for j in range(size):
        s = padded[:, j:j + c]
        acc = s if acc is None else acc + s
    div = (acc * (alpha / size) + k) ** beta
    return input / div
