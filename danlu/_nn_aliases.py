"""torch's top-level spellings of ``nn.functional`` ops (``torch.batch_norm``, ``torch.kl_div``, ...).

They follow ATen's schemas, not ``nn.functional``'s: e.g. ``batch_norm`` takes ``weight, bias``
before the running statistics, the losses take ``reduction`` as an int (0 'none', 1 'mean',
2 'sum') -- and, as torch's Python binding does (its schema says 1), an omitted ``reduction``
is 0: no reduction --, ``adaptive_max_pool1d`` always returns ``(values, indices)``.  Each is a thin wrapper
over ``danlu.nn.functional`` (or, for the RNN cells, a composition of differentiable ops).
"""
from __future__ import annotations

from ._tensor import Tensor
from .nn import functional as F
from .nn.functional import (  # noqa: F401 - same signature as torch's top-level names
    adaptive_avg_pool1d,
    channel_shuffle,
    conv_transpose3d,
    native_channel_shuffle,
    rms_norm,
)

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(fn: str, r, position: int) -> str:
    if isinstance(r, bool) or not isinstance(r, int):
        raise TypeError(f"{fn}(): argument 'reduction' (position {position}) must be int, not "
                        f"{type(r).__name__}")
    if r not in (0, 1, 2):
        raise ValueError(f"{r} is not a valid value for reduction")
    return _REDUCTIONS[r]


def batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
               running_mean: Tensor | None, running_var: Tensor | None, training: bool,
               momentum: float, eps: float, cudnn_enabled: bool) -> Tensor:
    """``(x - mean) / sqrt(var + eps) * weight + bias`` over all dims but 1 (ATen's order)."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                  running_mean: Tensor | None, running_var: Tensor | None, use_input_stats: bool,
                  momentum: float, eps: float, cudnn_enabled: bool) -> Tensor:
    """Per-sample, per-channel normalization over the spatial dims (ATen's order)."""
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


def kl_div(input: Tensor, target: Tensor, reduction: int = 0, *, log_target: bool = False) -> Tensor:
    """``target (log target - input)`` pointwise (``log_target``: ``exp(t) (t - input)``)."""
    import warnings

    with warnings.catch_warnings():  # ATen's kl_div does not warn about 'mean' (F.kl_div does)
        warnings.simplefilter("ignore", UserWarning)
        return F.kl_div(input, target, reduction=_reduction("kl_div", reduction, 3),
                        log_target=log_target)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction: int = 0) -> Tensor:
    """``1 - cos(x1, x2)`` for ``y = 1``, ``max(0, cos(x1, x2) - margin)`` for ``y = -1``."""
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction("cosine_embedding_loss", reduction, 5))


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        reduction: int = 0) -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``."""
    return F.margin_ranking_loss(input1, input2, target, margin,
                                 reduction=_reduction("margin_ranking_loss", reduction, 5))


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         reduction: int = 0) -> Tensor:
    """``x`` for ``y = 1``, ``max(0, margin - x)`` for ``y = -1``."""
    return F.hinge_embedding_loss(input, target, margin,
                                  reduction=_reduction("hinge_embedding_loss", reduction, 4))


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float,
                     reduction: int) -> Tensor:
    """``exp(x) - t x`` (``log_input``) or ``x - t log(x + eps)``, plus Stirling's term if ``full``."""
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction("poisson_nll_loss", reduction, 6))


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                        reduction: int = 0) -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the p-norm distance."""
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction("triplet_margin_loss", reduction, 8))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     pos_weight: Tensor | None = None, reduction: int = 0) -> Tensor:
    """``-w [p_w t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))]`` (ATen's argument order)."""
    return F.binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction("binary_cross_entropy_with_logits", reduction, 5),
        pos_weight=pos_weight)


def embedding_bag(weight: Tensor, indices: Tensor, offsets: Tensor, scale_grad_by_freq: bool = False,
                  mode: int = 0, sparse: bool = False, per_sample_weights: Tensor | None = None,
                  include_last_offset: bool = False, padding_idx: int | None = None):
    """``(output, offset2bag, bag_size, max_indices)`` with ``mode`` 0 sum, 1 mean, 2 max.

    The auxiliary tensors follow torch's CPU kernel: ``offset2bag`` (bag of each index) is empty
    for sum mode without ``padding_idx`` on float32 weights (its fast path); ``bag_size`` counts the non-padding indices of each bag
    (zeros in sum mode); ``max_indices`` is ``bag_size`` in mean mode, the arg-max row of each
    (bag, column) in max mode, zeros in sum mode."""
    from . import _backend as B

    if mode not in (0, 1, 2):
        raise RuntimeError("`mode` must be sum, mean, or max.")
    name = ("sum", "mean", "max")[mode]
    if indices.ndim == 2:
        out = F.embedding_bag(indices, weight, None, None, 2, scale_grad_by_freq, name, sparse,
                              per_sample_weights, False, padding_idx)
        n = indices.shape[1]
        flat = indices.reshape(-1)
        starts = list(range(0, flat.shape[0], n)) if n else [0] * indices.shape[0]
    else:
        out = F.embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq, name, sparse,
                              per_sample_weights, include_last_offset, padding_idx)
        flat = indices
        starts = [int(o) for o in offsets.tolist()]
        if include_last_offset:
            starts = starts[:-1]
    xp = B.xp_of(weight._data)
    idx = B.to_numpy(flat._data).astype("int64")
    nb = len(starts)
    ends = starts[1:] + [idx.shape[0]]
    keep = [True] * idx.shape[0]
    if padding_idx is not None:
        pi = padding_idx if padding_idx >= 0 else weight.shape[0] + padding_idx
        keep = [int(i) != pi for i in idx]
    bag_of = [0] * idx.shape[0]
    sizes = [0] * nb
    for b, (s, e) in enumerate(zip(starts, ends)):
        for j in range(s, e):
            bag_of[j] = b
            sizes[b] += bool(keep[j])

    def _long(v, shape=None):
        a = xp.asarray(v, dtype=xp.int64)
        return Tensor._make(a if shape is None else a.reshape(shape), None)

    fast = mode == 0 and padding_idx is None and weight._data.dtype.itemsize <= 4
    offset2bag = _long([] if fast else bag_of)
    bag_size = _long([0] * nb if mode == 0 else sizes)
    if mode == 0:
        max_indices = _long([0] * nb)
    elif mode == 1:
        max_indices = _long(sizes)
    else:
        w = B.to_numpy(weight._data)
        d = weight.shape[1]
        rows = []
        for s, e in zip(starts, ends):
            sel = [int(idx[j]) for j in range(s, e) if keep[j]]
            rows.append([sel[int(k)] for k in w[sel].argmax(0)] if sel else [0] * d)
        max_indices = _long(rows, (nb, d))
    return out, offset2bag, bag_size, max_indices


def _no_stride(stride):
    return None if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else stride


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode: bool = False):
    """``(values, indices)`` of 1-D max pooling (``stride`` empty: ``kernel_size``)."""
    return F.max_pool1d(input, kernel_size, _no_stride(stride), padding, dilation, ceil_mode,
                        return_indices=True)


def max_pool3d(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,
               ceil_mode: bool = False) -> Tensor:
    """3-D max pooling (``stride`` empty: ``kernel_size``)."""
    return F.max_pool3d(input, kernel_size, _no_stride(stride), padding, dilation, ceil_mode)


def adaptive_max_pool1d(input: Tensor, output_size):
    """``(values, indices)`` of adaptive 1-D max pooling."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def constant_pad_nd(input: Tensor, pad, value=0) -> Tensor:
    """Pad (or, with negative entries, crop) the last ``len(pad) // 2`` dims with ``value``."""
    return F.pad(input, pad, "constant", value)


def _check_cell(input, hx, w_ih, w_hh):
    if input.ndim < 2 or hx.ndim < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    if input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected "
                           f"{w_ih.shape[1]}")
    if input.shape[0] != hx.shape[0]:
        raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden0 batch size "
                           f"{hx.shape[0]}")
    if hx.shape[1] != w_hh.shape[1]:
        raise RuntimeError(f"hidden0 has inconsistent hidden_size: got {hx.shape[1]}, expected "
                           f"{w_hh.shape[1]}")


def _affine(x, w, b):
    y = x.matmul(w.t())
    return y if b is None else y + b


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    _check_cell(input, hx, w_ih, w_hh)
    return (_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh)).tanh()


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """``h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    _check_cell(input, hx, w_ih, w_hh)
    return (_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh)).relu()


def lstm_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None):
    """``(h', c')`` from ``hx = (h, c)``: gates ``i, f, g, o`` = chunks of
    ``x W_ih^T + b_ih + h W_hh^T + b_hh``; ``c' = s(f) c + s(i) tanh(g)``, ``h' = s(o) tanh(c')``."""
    if len(hx) != 2:
        raise RuntimeError("lstm_cell expects two hidden states")
    h, c = hx
    _check_cell(input, h, w_ih, w_hh)
    i, f, g, o = (_affine(input, w_ih, b_ih) + _affine(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """``r, z = s(x_r + h_r), s(x_z + h_z)``, ``n = tanh(x_n + r h_n)``, ``h' = (1 - z) n + z h``
    with ``x_* = `` chunks of ``x W_ih^T + b_ih``, ``h_* = `` chunks of ``h W_hh^T + b_hh``."""
    _check_cell(input, hx, w_ih, w_hh)
    xr, xz, xn = _affine(input, w_ih, b_ih).chunk(3, -1)
    hr, hz, hn = _affine(hx, w_hh, b_hh).chunk(3, -1)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return (1 - z) * n + z * hx


__all__ = ["batch_norm", "instance_norm", "rms_norm", "kl_div", "cosine_embedding_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "poisson_nll_loss", "triplet_margin_loss",
           "binary_cross_entropy_with_logits", "embedding_bag", "max_pool1d_with_indices",
           "max_pool3d", "adaptive_avg_pool1d", "adaptive_max_pool1d", "conv_transpose3d",
           "constant_pad_nd", "channel_shuffle", "native_channel_shuffle", "rnn_tanh_cell",
           "rnn_relu_cell", "lstm_cell", "gru_cell"]


# -- ATen's native_* forms (with their saved statistics), the generic convolution, samplers ------
def _stats(x: Tensor, dims, eps: float, differentiable: bool = False):
    """``(mean, 1 / sqrt(biased var + eps))`` over ``dims`` (kept); outside the graph unless
    ``differentiable`` (torch's native_group_norm differentiates its statistics too)."""
    from . import set_grad_enabled, is_grad_enabled

    with set_grad_enabled(differentiable and is_grad_enabled()):
        mean = x.mean(dims, keepdim=True)
        rstd = (x.var(dims, correction=0, keepdim=True) + eps).rsqrt()
    return mean, rstd


def native_layer_norm(input: Tensor, normalized_shape, weight: Tensor | None, bias: Tensor | None,
                      eps: float):
    """``(layer_norm(x), mean, rstd)`` with the statistics over the last ``len(normalized_shape)``
    dims, kept as size-1 dims (``rstd = 1 / sqrt(var + eps)``)."""
    out = F.layer_norm(input, list(normalized_shape), weight, bias, eps)
    k = len(normalized_shape)
    mean, rstd = _stats(input, tuple(range(input.ndim - k, input.ndim)), eps)
    return out, mean, rstd


def native_group_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, N: int, C: int,
                      HxW: int, group: int, eps: float):
    """``(group_norm(x), mean, rstd)`` with the (differentiable) statistics of shape ``(N, group)``."""
    out = F.group_norm(input, group, weight, bias, eps)
    mean, rstd = _stats(input.reshape(N, group, -1), (2,), eps, True)
    return out, mean.reshape(N, group), rstd.reshape(N, group)


def native_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                      running_mean: Tensor | None, running_var: Tensor | None, training: bool,
                      momentum: float, eps: float):
    """``(batch_norm(x), save_mean, save_invstd)``: the batch statistics over all dims but 1 when
    training (running stats updated in place), empty tensors in evaluation."""
    from . import _creation as C

    out = F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        e = C.empty(0, dtype=input.dtype, device=input.device)
        return out, e, e.clone()
    dims = tuple(i for i in range(input.ndim) if i != 1)
    mean, rstd = _stats(input, dims, eps)
    return out, mean.reshape(-1), rstd.reshape(-1)


def native_dropout(input: Tensor, p: float, train: bool | None):
    """``(output, mask)``: zero elements with probability ``p``, scale the kept by ``1 / (1 - p)``;
    ``mask`` (bool) marks the kept ones (all True when not training)."""
    from . import _backend as B, _creation as C, _dtype as D
    from .nn.functional._dropout import _keep_mask

    if train is False or p == 0:
        return input.clone(), C.ones(tuple(input.shape), dtype=D.bool_, device=input.device)
    keep = _keep_mask(tuple(input.shape), p, input) if p < 1 else \
        B.xp_of(input._data).zeros(input._data.shape, bool)
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    mask = Tensor._make(keep, None)
    return input * Tensor._make((keep * scale).astype(input._data.dtype), None), mask


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place ``dropout(input, p, train)``."""
    return F.dropout(input, p, train, inplace=True)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place ``alpha_dropout(input, p, train)``."""
    return F.alpha_dropout(input, p, train, inplace=True)


def _feature_dropout(input: Tensor, p: float, train: bool, inplace: bool) -> Tensor:
    from .nn.functional._dropout import _dropout, _feature_shape

    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _dropout(input, p, train, inplace, _feature_shape(input, True))


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Channel-wise dropout: whole ``input[n, c]`` slices are zeroed with probability ``p``, the
    rest scaled by ``1 / (1 - p)``."""
    return _feature_dropout(input, p, train, False)


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place ``feature_dropout``."""
    return _feature_dropout(input, p, train, True)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Channel-wise alpha dropout (SELU's saturation value for dropped channels)."""
    return F.feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place ``feature_alpha_dropout``."""
    return F.feature_alpha_dropout(input, p, train, inplace=True)


def _tuple(v, d: int) -> tuple:
    v = (v,) if isinstance(v, int) else tuple(v)
    return v * d if len(v) == 1 else v


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, dilation,
                transposed: bool, output_padding, groups: int) -> Tensor:
    """ATen's generic convolution: ``conv{1,2,3}d`` (or ``conv_transpose{1,2,3}d`` when
    ``transposed``), the spatial rank taken from ``weight``; one-element lists broadcast."""
    d = weight.ndim - 2
    if d not in (1, 2, 3):
        raise RuntimeError(f"Expected 3D, 4D or 5D weight for convolution, but got weight of size "
                           f"{list(weight.shape)}")
    s, p, dl = _tuple(stride, d), _tuple(padding, d), _tuple(dilation, d)
    if transposed:
        op = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[d - 1]
        return op(input, weight, bias, s, p, _tuple(output_padding, d), groups, dl)
    op = (F.conv1d, F.conv2d, F.conv3d)[d - 1]
    return op(input, weight, bias, s, p, dl, groups)


_INTERP = ("bilinear", "nearest", "bicubic")
_PAD = ("zeros", "border", "reflection")


def grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                 align_corners: bool) -> Tensor:
    """``grid_sample`` with ATen's integer codes: interpolation 0 bilinear, 1 nearest, 2 bicubic;
    padding 0 zeros, 1 border, 2 reflection."""
    return F.grid_sample(input, grid, _INTERP[interpolation_mode], _PAD[padding_mode], align_corners)


def grid_sampler_2d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    """``grid_sampler`` for 4-D inputs."""
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def affine_grid_generator(theta: Tensor, size, align_corners: bool) -> Tensor:
    """``affine_grid(theta, size, align_corners)``."""
    return F.affine_grid(theta, list(size), align_corners)


def embedding_renorm_(input: Tensor, indices: Tensor, max_norm: float, norm_type: float) -> Tensor:
    """In place: rows of ``input`` (an embedding table) used by ``indices`` whose
    ``norm_type``-norm exceeds ``max_norm`` are rescaled to ``max_norm / (norm + 1e-7)`` times."""
    from .nn.functional._linear import _renorm_rows_

    _renorm_rows_(input, indices._data, max_norm, norm_type)
    return input


__all__ += ["native_layer_norm", "native_group_norm", "native_batch_norm", "native_dropout",
            "dropout_", "alpha_dropout_", "feature_dropout", "feature_dropout_",
            "feature_alpha_dropout", "feature_alpha_dropout_", "convolution", "grid_sampler",
            "grid_sampler_2d", "affine_grid_generator", "embedding_renorm_"]
