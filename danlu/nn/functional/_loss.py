"""nn.functional: losses, plus the distance helpers they use (normalize, cosine_similarity,
pairwise_distance)."""
from __future__ import annotations

import math
import warnings

from ..._backend import to_numpy
from ..._ops import elementwise as E
from ..._ops import nn_ops as N
from ..._ops.norms import vector_norm
from ..._tensor import Tensor
from ...amp._state import fp32 as _amp_fp32
from ._activation import logsigmoid, softplus

__all__ = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
    "gaussian_nll_loss", "hinge_embedding_loss", "multi_margin_loss",
    "multilabel_soft_margin_loss", "soft_margin_loss", "margin_ranking_loss",
    "cosine_embedding_loss", "triplet_margin_loss", "normalize", "cosine_similarity",
    "pairwise_distance", "multilabel_margin_loss", "triplet_margin_with_distance_loss", "pdist",
    "ctc_loss",
]


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------
def _legacy(size_average, reduce, reduction: str) -> str:
    """torch's deprecated ``size_average``/``reduce`` pair mapped onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='"
                  + ("none" if reduce is False else "mean" if size_average is not False else "sum")
                  + "' instead.", stacklevel=3)
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


def _check_reduction(reduction: str) -> None:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _named(loss: Tensor, tname: str | None) -> Tensor:
    """``loss`` with its graph node shown under torch's name for the loss (torch computes most
    losses in one op; here the last op of the composite takes its name).  ``loss`` must be a
    tensor this loss function has just made, so no one else's node is renamed."""
    if tname is not None and loss.grad_fn is not None:
        loss.grad_fn._tname = tname
    return loss


def _reduce(loss: Tensor, reduction: str, tname: str | None = None) -> Tensor:
    """``loss`` reduced; ``tname``: torch's node name for the loss (``loss`` then fresh)."""
    if reduction == "none":
        return _named(loss, tname)
    if reduction == "mean":
        return _named(loss.mean(), tname)
    if reduction == "sum":
        return _named(loss.sum(), tname)
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _size_warning(input: Tensor, target: Tensor) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", stacklevel=3)


def _weighted(err: Tensor, input: Tensor, weight, reduction: str, mean_by_weight: bool,
              tname: str | None = None) -> Tensor:
    if weight is None:
        return _reduce(err, reduction, tname)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    err = err * weight
    if reduction == "mean" and mean_by_weight:
        return err.sum() / weight.sum()
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    return _reduce(err, reduction)


def _tname(dt) -> str:
    return {"int64": "Long", "int32": "Int", "float32": "Float", "float64": "Double", "bool": "Bool",
            "uint8": "Byte", "int16": "Short", "int8": "Char", "float16": "Half"}.get(dt.name, dt.name)


# ------------------------------------------------------------------------------------------
# regression losses
# ------------------------------------------------------------------------------------------
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """``(x - y)^2``; with ``weight``, ``mean`` is ``sum(w (x - y)^2) / sum(w)``."""
    _size_warning(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    d = input - target
    return _weighted(d * d, input, weight, reduction, True, "MseLossBackward0")


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """``|x - y|``; with ``weight``, ``mean`` is ``sum(w |x - y|) / sum(w)``."""
    _size_warning(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    return _weighted((input - target).abs(), input, weight, reduction, True)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` if ``|d| < beta`` else ``|d| - 0.5 beta`` (``beta = 0``: L1)."""
    _size_warning(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = input - target
    z = d.abs()
    if beta == 0:
        return _reduce(z, reduction)
    dq = d.clamp(-beta, beta)  # the quadratic branch on |d| <= beta only: finite gradients at inf
    return _reduce(E.where(z < beta, dq * dq * (0.5 / beta), z - 0.5 * beta), reduction,
                   "SmoothL1LossBackward0")


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d^2`` if ``|d| < delta`` else ``delta (|d| - 0.5 delta)``."""
    _size_warning(input, target)
    _check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = input - target
    z = d.abs()
    dq = d.clamp(-delta, delta)  # the quadratic branch on |d| <= delta only: finite gradients at inf
    err = E.where(z < delta, dq * dq * 0.5, (z - 0.5 * delta) * delta)
    if err.dtype is not input.dtype and input.dtype.is_floating_point:
        err = err.to(input.dtype)  # torch's loss has the input's dtype, whatever the target's
    return _weighted(err, input, weight, reduction, False, "HuberLossBackward0")


# ------------------------------------------------------------------------------------------
# classification: NLL / cross-entropy
# ------------------------------------------------------------------------------------------
def _class_target_check(input: Tensor, target: Tensor) -> None:
    """Shapes of (input, class-index target) as torch's nll_loss checks them."""
    if input.ndim == 0:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim <= 2:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.ndim == 2 and (target.ndim != 1 or target.shape[0] != input.shape[0]):
            raise ValueError(
                f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                f"({target.shape[0] if target.ndim else 1}).")
        if input.ndim == 1 and target.ndim != 0:
            if target.ndim == 1 and target.shape[0] != 1:
                raise ValueError(
                    f"Expected input batch_size (1) to match target batch_size ({target.shape[0]}).")
    else:
        want = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != want:
            raise RuntimeError(f"Expected target size [{', '.join(map(str, want))}], got "
                               f"[{', '.join(map(str, target.shape))}]")
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_tname(target.dtype)}")


def _as_rows(input: Tensor, target: Tensor):
    """(M, C) logits and (M,) targets for any of torch's layouts (C,), (N, C), (N, C, d...)."""
    if input.ndim == 1:
        return input.unsqueeze(0), target.reshape(1)
    if input.ndim == 2:
        return input, target
    c = input.shape[1]
    return input.movedim(1, -1).reshape(-1, c), target.reshape(-1)


def _check_bounds(t_arr, c: int, ignore_index: int) -> None:
    if t_arr.size == 0 or (t_arr.min() >= 0 and t_arr.max() < c):
        return
    bad = ((t_arr < 0) | (t_arr >= c)) & (t_arr != ignore_index)
    if bad.any():
        raise IndexError(f"Target {int(to_numpy(t_arr[bad]).reshape(-1)[0])} is out of bounds.")


def _check_weight(weight, c: int):
    if weight is None:
        return None
    if weight.ndim != 1 or weight.shape[0] != c:
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got "
            f"weight tensor of shape: [{', '.join(map(str, weight.shape))}]")
    return weight


def _nll_dtype_check(input: Tensor) -> None:
    if not input.dtype.is_floating_point:
        kernel = "nll_loss_out_frame" if input.ndim <= 2 else "nll_loss2d_forward_out_frame"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_tname(input.dtype)}\'')


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """``-w[t] * input[t]`` per element (input holds log-probabilities, class dim 1);
    ``mean`` divides by ``sum(w[t])`` over the targets that are not ``ignore_index``."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    _class_target_check(input, target)
    _nll_dtype_check(input)
    x2, t = _as_rows(input, target)
    c = x2.shape[1]
    weight = _check_weight(weight, c)
    _nondiff("nll_loss_forward", "weight", weight)
    _check_bounds(t._data, c, ignore_index)
    valid = t != ignore_index
    ts = E.where(valid, t, 0).long()
    picked = x2.gather(1, ts.unsqueeze(1)).squeeze(1)
    if reduction == "mean" and not bool(valid._data.all()):
        # an ignored row's gradient is 0 even when no target counts (-0 / 0 would be NaN)
        picked = picked.masked_fill(~valid, 0.0)
    w = valid.to(input.dtype)
    if weight is not None:
        w = w * weight.to(input.dtype).detach()[ts]
    loss = -picked * w
    name = "NllLoss2DBackward0" if input.ndim > 2 else "NllLossBackward0"
    if reduction == "none":
        return _named(loss, name) if loss.shape == target.shape else loss.reshape(target.shape)
    if reduction == "sum":
        return _named(loss.sum(), name)
    return _named(loss.sum() / w.sum(), name)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """``nll_loss(log_softmax(input, 1), target)`` fused; ``target`` holds class indices
    (shape of input without dim 1) or class probabilities (same shape as input).

    Label smoothing ``eps`` mixes the target with the uniform distribution:
    ``(1 - eps) * onehot + eps / C``.
    """
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    cdim = 0 if input.ndim == 1 else 1
    if not input.dtype.is_floating_point and input.numel():
        kernel = "lastdim_kernel_impl" if cdim == max(input.ndim - 1, 0) else "kernel_impl"
        raise NotImplementedError(f'"log_softmax_{kernel}" not implemented for \'{_tname(input.dtype)}\'')
    if tuple(target.shape) == tuple(input.shape) and input.ndim >= 1:
        if not target.dtype.is_floating_point:
            raise RuntimeError("Expected floating point type for target with class probabilities, "
                               f"got {_tname(target.dtype)}")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, cdim)
    _class_target_check(input, target)
    _nll_dtype_check(input)
    x2, t = _as_rows(input, target)
    c = x2.shape[1]
    weight = _check_weight(weight, c)
    _nondiff("nll_loss_forward", "weight", weight)
    t_arr = t._data
    _check_bounds(t_arr, c, ignore_index)
    w_arr = None if weight is None else weight._data.astype(x2._data.dtype, copy=False)
    scale = None
    if reduction == "sum":
        scale = 1.0
    elif reduction == "mean":
        valid = t_arr != ignore_index
        denom = float(valid.sum()) if w_arr is None else float(w_arr[t_arr[valid]].sum())
        scale = 1.0 / denom if denom else float("nan")
    loss = N.CrossEntropyIdx.apply(x2, target=t_arr, weight=w_arr, ignore_index=ignore_index,
                                   eps=float(label_smoothing), scale=scale)
    if scale is not None and input.ndim > 2:
        _named(loss, "NllLoss2DBackward0")
    return loss if scale is not None or loss.shape == target.shape else loss.reshape(target.shape)


def _cross_entropy_probs(input, target, weight, reduction, eps, cdim):
    c = input.shape[cdim]
    logp = N.LogSoftmax.apply(input, dim=cdim)
    if eps > 0:
        target = target * (1 - eps) + eps / c
    prod = logp * target
    if weight is not None:
        _check_weight(weight, c)
        prod = prod * weight.reshape((c,) + (1,) * (input.ndim - cdim - 1))
    loss = -prod.sum(cdim)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (input.numel() // c if c else 0)


# ------------------------------------------------------------------------------------------
# binary classification
# ------------------------------------------------------------------------------------------
def _nondiff(fname: str, arg: str, t) -> None:
    """torch's error for an argument its derivative formula does not cover, once autograd
    would have to differentiate through it (grad mode on, ``requires_grad`` set)."""
    from ...autograd.grad_mode import GradMode

    if t is not None and t.requires_grad and GradMode.enabled:
        raise RuntimeError(f"The function '{fname}' is not differentiable with respect to argument '{arg}'. "
                           "This input cannot have requires_grad True.")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` with each log clamped at -100."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size.")
    x = input._data
    if x.size and ((x < 0) | (x > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    _nondiff("binary_cross_entropy", "weight", weight)
    loss = N.BinaryCrossEntropy.apply(input, target.to(input.dtype))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "BinaryCrossEntropyBackward0")


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """``(1 - t) x - (1 + (pos_weight - 1) t) * logsigmoid(x)``, times ``weight``: the BCE of
    ``sigmoid(x)`` computed without overflow for large |x|."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    _nondiff("binary_cross_entropy_with_logits", "weight", weight)
    _nondiff("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    ls = logsigmoid(input)
    if pos_weight is not None:
        ls = ls * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - ls
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "BinaryCrossEntropyWithLogitsBackward0")


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-y x))`` for labels ``y`` in {-1, 1} (logistic loss)."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    _nondiff("soft_margin_loss", "target", target)
    if tuple(target.shape) != tuple(input.shape):  # the output takes the input's shape
        from ..._ops._util import broadcast_shapes

        bs = tuple(broadcast_shapes(input.shape, target.shape))
        if bs != tuple(input.shape):
            raise RuntimeError(f"output with shape [{', '.join(map(str, input.shape))}] doesn't match the "
                               f"broadcast shape [{', '.join(map(str, bs))}]")
    return _reduce(softplus(-input * target), reduction, "SoftMarginLossBackward0")


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``-mean_c [t_c log sigmoid(x_c) + (1 - t_c) log sigmoid(-x_c)]`` (times ``weight``)."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    cd = input.ndim - 1
    loss = loss.sum(cd) / input.shape[cd]
    return _reduce(loss, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """``x`` where ``y == 1``, ``max(0, margin - x)`` where ``y == -1``."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    from ..._creation import zeros_like

    zero = zeros_like(input)  # not input * 0: that is NaN at an infinite input
    out_m = E.where(target != 1, (margin - input).clamp(min=0), zero)
    out_s = E.where(target != -1, input, zero)
    return _reduce(out_m + out_s, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge (SVM) loss: ``sum_{i != y} max(0, margin - x_y + x_i)^p / C``
    (times ``weight[y]``)."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input.unsqueeze(0) if input.ndim == 1 else input
    if x.ndim != 2:
        raise RuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"[{', '.join(map(str, input.shape))}]")
    t = target.reshape(-1).long()
    c = x.shape[1]
    if t.shape[0] != x.shape[0]:
        raise RuntimeError(f"inconsistent target size, expected {x.shape[0]} but got "
                           f"[{', '.join(map(str, target.shape))}]")
    _check_bounds(t._data, c, -(10 ** 18))
    _nondiff("multi_margin_loss", "weight", weight)
    xy = x.gather(1, t.unsqueeze(1))
    z = x - xy + margin
    from ..._creation import arange

    notself = arange(c, device=input.device).unsqueeze(0) != t.unsqueeze(1)
    # only terms > 0 count (a NaN term is dropped, as in torch's kernel)
    z = E.where(notself & (z > 0), z, 0.0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t].unsqueeze(1)
    loss = z.sum(1) / c
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: ``sum_j sum_{i not in y} max(0, 1 - (x[y_j] - x[i])) / C``.

    ``target`` holds class indices (same shape as ``input``), read up to the first ``-1``; the
    remaining entries are ignored.
    """
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input.ndim > 2 or (input.ndim == 2 and input.shape[1] == 0) or \
            (input.ndim == 1 and input.shape[0] == 0):
        raise RuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"[{', '.join(map(str, input.shape))}]")
    x = input.reshape(1, 1) if input.ndim == 0 else input.reshape(1, -1) if input.ndim == 1 \
        else input
    n, c = x.shape
    if tuple(target.shape) != tuple(input.shape) and not (input.ndim <= 1 and target.numel() == c):
        raise RuntimeError(f"inconsistent target size: [{', '.join(map(str, target.shape))}] for "
                           f"input of size: [{', '.join(map(str, input.shape))}]")
    import numpy as np  # index bookkeeping on the (small, integer) target only

    t = np.asarray(to_numpy(target._data)).reshape(n, c).astype(np.int64)
    active = np.cumprod(t != -1, axis=1).astype(bool)  # the entries before the first -1
    if ((t[active] < 0) | (t[active] >= c)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    is_target = np.zeros((n, c), dtype=bool)
    is_target[np.nonzero(active)[0], t[active]] = True
    pair = active[:, :, None] & ~is_target[:, None, :]  # (N, S, C): the (j, i) pairs summed
    idx, pair = Tensor._make(np.where(active, t, 0)), Tensor._make(pair)
    if x.device.type != "cpu":  # pragma: no cover - cuda
        idx, pair = idx.to(x.device), pair.to(x.device)
    xy = x.gather(1, idx)  # (N, S): x[y_j]
    z = 1 - xy.unsqueeze(2) + x.unsqueeze(1)
    # torch's kernel adds a term only where it is > 0 (a NaN term is dropped), gradient likewise
    z = E.where(pair & (z > 0), z, 0.0)
    loss = z.sum((1, 2)) / c
    if input.ndim <= 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``y == 1``, ``max(0, cos(x1, x2) - margin)`` where ``y == -1``."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.ndim not in (1, 2):
        raise RuntimeError(f"{input1.ndim}D target tensor expects {input1.ndim - 1}D input tensors, "
                           f"but found inputs with sizes {input1.shape} and {input2.shape}.")
    d = input1.ndim - 1
    eps = 1e-12
    prod = (input1 * input2).sum(d)
    m1 = (input1 * input1).sum(d) + eps
    m2 = (input2 * input2).sum(d) + eps
    cos = prod / (m1 * m2).sqrt()
    zero = cos * 0
    out = E.where(target == 1, 1 - cos, zero) + E.where(target == -1, (cos - margin).clamp(min=0), zero)
    return _reduce(out, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` with ``d`` the pairwise p-norm distance
    (``swap``: use ``min(d(a, n), d(p, n))``)."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = E.minimum(d_an, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_ap - d_an).clamp(min=0), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` for any distance ``d`` (default
    ``pairwise_distance``); ``swap`` uses ``min(d(a, n), d(p, n))`` as the negative distance."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = E.minimum(d_neg, dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)


# ------------------------------------------------------------------------------------------
# probabilistic losses
# ------------------------------------------------------------------------------------------
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """``t (log t - x)`` (``input`` holds log-probabilities; ``log_target``: ``exp(t) (t - x)``).
    ``'batchmean'`` divides the sum by the batch size (the true KL divergence per sample)."""
    reduction = _legacy(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = E.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    _check_reduction(reduction)
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """``exp(x) - t x`` (``log_input``) or ``x - t log(x + eps)``; ``full`` adds Stirling's
    ``t log t - t + 0.5 log(2 pi t)`` where ``t > 1``."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        st = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + E.where(target > 1, st, st * 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """``0.5 (log max(var, eps) + (x - t)^2 / max(var, eps))`` (+ ``0.5 log 2 pi`` if ``full``);
    the clamp is invisible to autograd, as torch's."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        from ..._creation import full_like

        var = full_like(input, float(var))
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(y for x, y in zip(input.shape, var.shape) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    vd = var.detach()
    var = var + (vd.clamp(min=eps) - vd)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ------------------------------------------------------------------------------------------
# sequence losses
# ------------------------------------------------------------------------------------------
def _lengths(x, name: str):
    import numpy as np

    if isinstance(x, Tensor):
        return np.asarray(to_numpy(x._data)).reshape(-1).astype(np.int64)
    if isinstance(x, int):
        return np.asarray([x], dtype=np.int64)
    return np.asarray(list(x), dtype=np.int64).reshape(-1)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist Temporal Classification loss: ``-log sum_{alignments a of y} prod_t
    p_t(a_t)`` by the log-space alpha/beta recursions (``danlu._ops.ctc``).

    ``log_probs`` (T, N, C) (or (T, C)), ``targets`` (N, S) padded or 1-D concatenated,
    lengths as tensors or sequences.  ``'mean'`` divides each loss by its target length
    (at least 1) and averages over the batch; ``zero_infinity`` zeroes infinite losses (and
    their gradients).
    """
    import numpy as np

    from ..._ops.ctc import CTCLoss

    _check_reduction(reduction)
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    if lp.ndim != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs to be 2D or 3D, got {log_probs.ndim}D")
    T, N, C = lp.shape
    if blank < 0 or blank >= C:
        raise RuntimeError("blank must be in label range")
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    if il.shape[0] != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.shape[0] != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    if N and il.max() > T:
        raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value "
                           f"{int(il.max())} (while checking arguments for ctc_loss_allocate_outputs)")
    tg = np.asarray(to_numpy(targets._data)).astype(np.int64)
    if unbatched and tg.ndim == 1:
        tg = tg[None, :]
    smax = int(tl.max()) if N else 0
    if tg.ndim == 2:
        if tg.shape[1] < smax:
            raise RuntimeError(
                f"Expected tensor to have size at least {smax} at dimension 1, but got size "
                f"{tg.shape[1]} for argument #2 'targets' (while checking arguments for "
                "ctc_loss_allocate_outputs)")
        labels = tg[:, :smax]
    else:  # concatenated targets
        if tg.shape[0] != int(tl.sum()):
            raise RuntimeError(
                f"Expected tensor to have size {int(tl.sum())} at dimension 0, but got "
                f"size {tg.shape[0]} for argument #2 'targets' (while checking arguments for "
                "ctc_loss_allocate_outputs)")
        labels = np.full((N, smax), blank, dtype=np.int64)
        off = np.concatenate([[0], np.cumsum(tl)[:-1]]).astype(np.int64)
        for n in range(N):
            labels[n, : tl[n]] = tg[off[n]: off[n] + tl[n]]
    if log_probs.device.type != "cpu":  # pragma: no cover - cuda
        from ... import _backend as B

        labels, il, tl = (B.move(a, log_probs.device) for a in (labels, il, tl))
    loss = CTCLoss.apply(lp, labels=labels, input_lengths=il, target_lengths=tl, blank=blank,
                         zero_infinity=zero_infinity)
    if reduction == "mean":
        tlt = Tensor._make(np.maximum(to_numpy(tl), 1).astype(lp.dtype.np))
        if log_probs.device.type != "cpu":  # pragma: no cover - cuda
            tlt = tlt.to(log_probs.device)
        return (loss / tlt).mean()
    if reduction == "sum":
        return loss.sum()
    return loss.reshape(()) if unbatched else loss


# ------------------------------------------------------------------------------------------
# distances
# ------------------------------------------------------------------------------------------
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``."""
    n = vector_norm(input, p, dim, True).clamp(min=eps)
    res = input / n
    if out is not None:
        out.copy_(res)
        return out
    return res


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps))`` along ``dim``.

    The inputs are broadcast first (integer ones converted to the common floating dtype); as in
    torch the clamp to ``eps`` changes only the value of the norm, not its gradient."""
    from ..._ops._util import broadcast_shapes, result_dtype

    dt = result_dtype(x1, x2)
    if not dt.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {_tname(dt)}")
    shape = broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    # integer inputs are converted to the common dtype; floating ones keep theirs up to the product
    x1 = (x1 if x1.dtype.is_floating_point else x1.to(dt)).expand(shape)
    x2 = (x2 if x2.dtype.is_floating_point else x2.to(dt)).expand(shape)

    def _norm(x: Tensor) -> Tensor:
        n = vector_norm(x, 2, dim, True)
        return n + (n.detach().clamp(min=eps) - n.detach())

    return ((x1 / _norm(x1)) * (x2 / _norm(x2))).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dimension."""
    nd = max(x1.ndim, x2.ndim)
    return vector_norm(x1 - x2 + eps, p, max(nd - 1, 0) if nd else None, keepdim)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """p-norm distances ``||x_i - x_j||_p`` between the rows of an (N, M) input, for ``i < j``
    in row-major order (the upper triangle of ``cdist(x, x)``, N (N - 1) / 2 values)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if not input.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    from ..._creation import triu_indices

    n = input.shape[0]
    ij = triu_indices(n, n, 1, device=input.device)
    return vector_norm(input[ij[0]] - input[ij[1]], p, 1)


# autocast: torch's CPU "fp32" list -- these losses run float16 inputs in float32
for _n in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "soft_margin_loss",
           "multilabel_soft_margin_loss", "hinge_embedding_loss", "multi_margin_loss",
           "multilabel_margin_loss", "margin_ranking_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "kl_div", "poisson_nll_loss", "ctc_loss"):
    globals()[_n] = _amp_fp32(globals()[_n])
del _n
