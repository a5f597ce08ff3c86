"""nn.functional: convolution, transposed convolution, unfold/fold (im2col made public).

``conv{1,2,3}d(x, w)``: ``y[n, o] = b[o] + sum_{c in group(o), i} w[o, c, i] * x_pad[n, c, o*stride + i*dilation]``.
The kernels live in ``danlu._ops.conv``.
"""
from __future__ import annotations

import math

from ..._ops import _util as U
from ..._ops.conv import ConvNd, ConvTransposeNd, Fold, Unfold
from ...amp import _state as _amp

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "unfold", "fold"]


def _tup(v, n: int, name: str) -> tuple:
    """An int or a length-``n`` sequence as an ``n``-tuple of ints (torch's message otherwise)."""
    if isinstance(v, (tuple, list)):
        v = tuple(int(e) for e in v)
        if len(v) == 1 and n > 1:
            v = v * n
        if len(v) != n:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {n} values to match the "
                f"convolution dimensions, but got {name}=[{', '.join(map(str, v))}]")
        return v
    return (int(v),) * n


def _shape_str(s) -> str:
    return "[" + ", ".join(map(str, s)) + "]"


def _dname(t) -> str:
    return t.dtype.name.replace("float64", "double").replace("float32", "float").replace("float16", "half")


def _check_common(input, weight, bias, nd: int, name: str, transposed: bool):
    """Validate ranks, dtypes and bias; returns (input as batched, whether it was unbatched)."""
    if not isinstance(input, U.Tensor) or not isinstance(weight, U.Tensor):
        raise TypeError(f"{name}() expected Tensor arguments for input and weight")
    if weight.dim() != nd + 2:
        raise RuntimeError(
            f"expected stride to be a single integer value or a list of {weight.dim() - 2} values to "
            f"match the convolution dimensions, but got stride=[{', '.join(['1'] * nd)}]")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of "
            f"size: {_shape_str(input.shape)}")
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if not input.dtype.is_floating_point or not weight.dtype.is_floating_point:
        raise RuntimeError(f'"{name}" not implemented for \'{input.dtype.name.capitalize()}\'')
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"expected scalar type {_dname(input).capitalize()} but found {_dname(weight).capitalize()}")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_dname(input)}) and bias type ({_dname(bias)}) should be the same")
    U.same_device(input, weight)
    return input, unbatched


def _check_geom(stride, dilation, groups):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _same_pad(k, dilation):
    """'same': total d*(k-1) split with the extra element on the high side (as torch)."""
    out = []
    for kk, d in zip(k, dilation):
        tot = d * (kk - 1)
        out.append((tot // 2, tot - tot // 2))
    return tuple(out)


def _conv(input, weight, bias, stride, padding, dilation, groups, nd: int, name: str):
    input, weight, bias = _amp.lower(input, weight, bias)
    input, unbatched = _check_common(input, weight, bias, nd, name, False)
    stride = _tup(stride, nd, "stride")
    dilation = _tup(dilation, nd, "dilation")
    _check_geom(stride, dilation, groups)
    k = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pad = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pad = _same_pad(k, dilation)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        p = _tup(padding, nd, "padding")
        if any(v < 0 for v in p):
            raise RuntimeError("negative padding is not supported")
        pad = tuple((v, v) for v in p)
    o = weight.shape[0]
    c = input.shape[1]
    if o % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
            f"weight of size [{_shape_str(weight.shape)}] instead")
    if weight.shape[1] * groups != c:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {_shape_str(weight.shape)}, expected input"
            f"{_shape_str(input.shape)} to have {weight.shape[1] * groups} channels, but got {c} "
            "channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != o):
        raise RuntimeError(
            f"Given weight of size {_shape_str(weight.shape)}, expected bias to be 1-dimensional with "
            f"{o} elements, but got bias of size {_shape_str(bias.shape)} instead")
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(input.shape[2:], pad))
    eff = tuple(d * (kk - 1) + 1 for kk, d in zip(k, dilation))
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
            f"({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input size")
    args = (input, weight) if bias is None else (input, weight, bias)
    out = ConvNd.apply(*args, stride=stride, pad=pad, dil=dilation, groups=groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution over (N, C, L) (or unbatched (C, L)); ``padding`` int, tuple, 'same' or 'valid'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution over (N, C, H, W) (or unbatched (C, H, W)).

    ``H_out = floor((H + 2*padding - dilation*(kernel-1) - 1) / stride) + 1``."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution over (N, C, D, H, W)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_t(input, weight, bias, stride, padding, output_padding, groups, dilation, nd: int, name: str):
    input, weight, bias = _amp.lower(input, weight, bias)
    input, unbatched = _check_common(input, weight, bias, nd, name, True)
    stride = _tup(stride, nd, "stride")
    dilation = _tup(dilation, nd, "dilation")
    _check_geom(stride, dilation, groups)
    p = _tup(padding, nd, "padding")
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    op = _tup(output_padding, nd, "output_padding")
    if any(v < 0 for v in op):
        raise RuntimeError("negative output_padding is not supported")
    if any(o >= s and o >= d for o, s, d in zip(op, stride, dilation)):
        dims = ["height", "width"] if nd == 2 else (["depth", "height", "width"] if nd == 3 else ["width"])
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join(f"output_padding_{n}: {v}" for n, v in zip(dims, op)) + " "
            + " ".join(f"stride_{n}: {v}" for n, v in zip(dims, stride)) + " "
            + " ".join(f"dilation_{n}: {v}" for n, v in zip(dims, dilation)))
    cin = weight.shape[0]
    if input.shape[1] != cin:
        raise RuntimeError(
            f"Given transposed=1, weight of size {_shape_str(weight.shape)}, expected input"
            f"{_shape_str(input.shape)} to have {cin} channels, but got {input.shape[1]} channels instead")
    if cin % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
            f"weight of size [{_shape_str(weight.shape)}] instead")
    cout = weight.shape[1] * groups
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != cout):
        raise RuntimeError(
            f"Given transposed=1, weight of size {_shape_str(weight.shape)}, expected bias to be "
            f"1-dimensional with {cout} elements, but got bias of size {_shape_str(bias.shape)} instead")
    k = weight.shape[2:]
    in_sp = tuple((s - 1) * st - 2 * pp + d * (kk - 1) + 1 + o
                  for s, st, pp, d, kk, o in zip(input.shape[2:], stride, p, dilation, k, op))
    if any(s <= 0 for s in in_sp):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, input.shape[2:]))}). Calculated output "
            f"size per channel: ({' x '.join(map(str, in_sp))}). Output size is too small")
    args = (input, weight) if bias is None else (input, weight, bias)
    out = ConvTransposeNd.apply(*args, stride=stride, pad=tuple((v, v) for v in p), dil=dilation,
                                groups=groups, in_sp=in_sp)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-d convolution (the gradient of conv1d w.r.t. its input); weight (C_in, C_out/groups, k)."""
    return _conv_t(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                   "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-d convolution.

    ``H_out = (H - 1)*stride - 2*padding + dilation*(kernel-1) + output_padding + 1``."""
    return _conv_t(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                   "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-d convolution."""
    return _conv_t(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                   "conv_transpose3d")


def _geom2(kernel_size, dilation, padding, stride):
    k = _tup(kernel_size, 2, "kernel_size")
    d = _tup(dilation, 2, "dilation")
    p = _tup(padding, 2, "padding")
    s = _tup(stride, 2, "stride")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {k[0]} "
                           f"kernel_width: {k[1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} "
                           f"stride_width: {s[1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {d[0]} "
                           f"dilation_width: {d[1]}")
    if any(v < 0 for v in p):
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    return k, d, tuple((v, v) for v in p), s


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding local blocks (im2col): (N, C, H, W) -> (N, C*kh*kw, L); L = number of blocks."""
    k, d, pad, s = _geom2(kernel_size, dilation, padding, stride)
    if input.dim() not in (3, 4):
        raise RuntimeError(
            "Input Error: Only 3D or 4D input Tensors are supported (got " f"{input.dim()}D)")
    unbatched = input.dim() == 3
    x = input.unsqueeze(0) if unbatched else input
    osp = tuple((sz + 2 * pp[0] - dd * (kk - 1) - 1) // ss + 1
                for sz, pp, dd, kk, ss in zip(x.shape[2:], pad, d, k, s))
    if any(o < 1 for o in osp):
        raise RuntimeError(
            f"Given input with spatial size ({x.shape[2]}, {x.shape[3]}), kernel_size=({k[0]}, {k[1]}), "
            f"dilation=({d[0]}, {d[1]}), padding=({pad[0][0]}, {pad[1][0]}), calculated shape of the array "
            f"of sliding blocks as ({osp[0]}, {osp[1]}), but its components must be at least one.")
    out = Unfold.apply(x, k=k, stride=s, pad=pad, dil=d)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Inverse arrangement of ``unfold`` (col2im): overlapping values are summed.

    (N, C*kh*kw, L) -> (N, C, *output_size)."""
    k, d, pad, s = _geom2(kernel_size, dilation, padding, stride)
    sp = _tup(output_size, 2, "output_size")
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"Expected 2D (unbatched) or 3D (batched) input to col2im, but got input of size: "
            f"{_shape_str(input.shape)}")
    unbatched = input.dim() == 2
    x = input.unsqueeze(0) if unbatched else input
    kk = math.prod(k)
    if x.shape[1] % kk:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
            f"input.size(1)={x.shape[1]} and kernel_size=({k[0]}, {k[1]})")
    osp = tuple((sz + 2 * pp[0] - dd * (kq - 1) - 1) // ss + 1
                for sz, pp, dd, kq, ss in zip(sp, pad, d, k, s))
    if math.prod(osp) != x.shape[2] or any(o < 1 for o in osp):
        raise RuntimeError(
            f"Given output_size=({sp[0]}, {sp[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
            f"padding=({pad[0][0]}, {pad[1][0]}), stride=({s[0]}, {s[1]}), expected size of input's "
            f"dimension 2 to match the calculated number of sliding blocks {osp[0]} * {osp[1]} = "
            f"{math.prod(osp)}, but got input.size(2)={x.shape[2]}.")
    out = Fold.apply(x, k=k, stride=s, pad=pad, dil=d, sp=sp)
    return out.squeeze(0) if unbatched else out
