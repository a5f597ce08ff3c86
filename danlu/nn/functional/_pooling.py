"""nn.functional: max / average / adaptive / Lp pooling and max-unpooling.

Output size per spatial dim (torch's ``pooling_output_shape``)::

    o = floor_or_ceil((S + 2*pad - dilation*(k-1) - 1) / stride) + 1
    ceil_mode: drop the last window if it would start past the input and the left padding,
               i.e. if (o-1)*stride >= S + pad.

Adaptive pooling: bin ``i`` covers ``[floor(i*S/O), ceil((i+1)*S/O))``.
"""
from __future__ import annotations

import itertools
import math

from ..._backend import xp_of
from ..._ops import _util as U
from ..._ops import pool as P
from ...autograd.grad_mode import GradMode

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices",
           "max_unpool1d", "max_unpool2d", "max_unpool3d", "lp_pool1d", "lp_pool2d",
           "lp_pool3d"]


def _tup(v, n: int) -> tuple:
    if isinstance(v, (tuple, list)):
        v = tuple(int(e) for e in v)
        return v * n if len(v) == 1 else v
    return (int(v),) * n


def _shape_str(s) -> str:
    return "[" + ", ".join(map(str, s)) + "]"


def _check_input(input, nd: int, name: str):
    """Batched (N, C, *S) view of ``input`` and whether it was unbatched."""
    if not isinstance(input, U.Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dim() not in (nd + 1, nd + 2) or any(s == 0 for s in input.shape[input.dim() - nd - 1:]):
        raise RuntimeError(
            f"{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{_shape_str(input.shape)}")
    unbatched = input.dim() == nd + 1
    return (input.unsqueeze(0) if unbatched else input), unbatched


def _out_size(S, k, s, p, d, ceil_mode):
    num = S + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    o = num // s + 1
    if ceil_mode and (o - 1) * s >= S + p:
        o -= 1
    return o


def _geometry(x, kernel_size, stride, padding, dilation, ceil_mode, nd, name):
    """k, stride, pad ((lo, hi) with hi stretched for ceil_mode), dilation, output size."""
    k = _tup(kernel_size, nd)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else _tup(stride, nd)
    p = _tup(padding, nd)
    d = _tup(dilation, nd)
    if len(k) != nd or len(s) != nd or len(p) != nd or len(d) != nd:
        raise RuntimeError(f"{name}: kernel_size, stride, padding and dilation must be ints or tuples of {nd}")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{name}: kernel_size must be greater than zero, but got {k}")
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v < 0 for v in s):
        raise RuntimeError(f"{name}: stride must be greater than zero, but got {s}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation {d}")
    for pp, kk, dd in zip(p, k, d):
        if pp < 0 or pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={pp}, kernel_size={kk} "
                f"and dilation={dd}")
    S = x.shape[2:]
    osp = tuple(_out_size(*a, ceil_mode) for a in zip(S, k, s, p, d))
    if any(o < 1 for o in osp):
        raise RuntimeError(
            f"Given input size: ({'x'.join(map(str, x.shape[1:]))}). Calculated output size: "
            f"({'x'.join(map(str, (x.shape[1],) + osp))}). Output size is too small")
    pad = tuple((pp, max(pp, (o - 1) * ss + dd * (kk - 1) + 1 - sz - pp))
                for pp, o, ss, dd, kk, sz in zip(p, osp, s, d, k, S))
    return k, s, pad, d, osp


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd, name):
    x, unbatched = _check_input(input, nd, name)
    k, s, pad, d, osp = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode, nd, name)
    if not return_indices and not (GradMode.enabled and x._rg):
        out = U.Tensor._make(P.maxpool_values(x._data, k, s, pad, d, osp))
        return out.squeeze(0) if unbatched else out
    out, kidx = P.MaxPool.apply(x, k=k, stride=s, pad=pad, dil=d, osp=osp)
    if unbatched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    idx = U.Tensor._make(P.flat_indices(kidx._data, k, s, pad, d, x.shape[2:]))
    return out, (idx.squeeze(0) if unbatched else idx)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over sliding windows of (N, C, L); ``return_indices`` gives flat positions in L."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over sliding windows of (N, C, H, W); padding counts as -inf; ``stride`` defaults to
    ``kernel_size``.  ``return_indices`` gives each max's flat position ``h*W + w``."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3, "max_pool3d")


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd, name):
    x, unbatched = _check_input(input, nd, name)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    k, s, pad, d, osp = _geometry(x, kernel_size, stride, padding, 1, ceil_mode, nd, name)
    xp = xp_of(x._data)
    div = P.avg_divisor(xp, x.shape[2:], k, s, pad, osp, count_include_pad, divisor_override, x._data.dtype)
    if not isinstance(div, (int, float)) and bool((div == div.flat[0]).all()):
        div = float(div.flat[0])  # uniform windows: divide by a number
    out = P.AvgPool.apply(x, k=k, stride=s, pad=pad, osp=osp, div=div)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over sliding windows of (N, C, L)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1, "avg_pool1d")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over sliding windows of (N, C, H, W).  Divisor: ``divisor_override`` if given, else
    the window size clipped to the padded input (``count_include_pad``) or to the input."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2,
                     "avg_pool2d")


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3,
                     "avg_pool3d")


# -- adaptive -----------------------------------------------------------------------------------
def _adaptive_sizes(x, output_size, nd, name):
    if x.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {_shape_str(x.shape)}")
    if isinstance(output_size, (tuple, list)):
        out = tuple(output_size)
        if len(out) == 1 and nd > 1:
            out = out * nd
    else:
        out = (output_size,) * nd
    if len(out) != nd:
        raise RuntimeError(f"{name}(): internal error: output_size.size() must be {nd}")
    S = x.shape[-nd:]
    out = tuple(int(s) if o is None else int(o) for o, s in zip(out, S))
    for i in range(x.dim() - nd, x.dim()):
        if x.shape[i] == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                f"sizes {_shape_str(x.shape)} with dimension {i} being empty")
    if any(o < 0 for o in out):
        raise RuntimeError(f"{name}(): output_size must be non-negative")
    return out


def _bins(S: int, O: int):
    return [((i * S) // O, -((-(i + 1) * S) // O)) for i in range(O)]


def _adaptive_avg(input, output_size, nd, name):
    osp = _adaptive_sizes(input, output_size, nd, name)
    S = input.shape[-nd:]
    if all(o > 0 and s % o == 0 for s, o in zip(S, osp)):
        k = tuple(s // o for s, o in zip(S, osp))
        if all(kk == 1 for kk in k):
            return input.clone()
        return _avg_pool(input, k, k, 0, False, True, None, nd, name)
    import numpy as np

    from ..._creation import tensor

    out = input
    for i, (s, o) in enumerate(zip(S, osp)):
        # bin averaging as a (o, s) matrix applied along this dim
        A = np.zeros((o, s), dtype=input._data.dtype)
        for r, (a, b) in enumerate(_bins(s, o)):
            A[r, a:b] = 1.0 / (b - a)
        At = tensor(A.T, device=input.device)
        axis = input.dim() - nd + i
        out = (out.transpose(axis, -1) @ At).transpose(axis, -1)
    return out


def adaptive_avg_pool1d(input, output_size):
    """Average pooling to a fixed output length (bins as in the module docstring)."""
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed (H_out, W_out); ``(1, 1)`` is global average pooling."""
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d")


def _adaptive_max(input, output_size, return_indices, nd, name):
    osp = _adaptive_sizes(input, output_size, nd, name)
    S = tuple(input.shape[-nd:])
    if all(o > 0 and s % o == 0 for s, o in zip(S, osp)):
        k = tuple(s // o for s, o in zip(S, osp))
        return _max_pool(input, k, k, 0, 1, False, return_indices, nd, name)
    x, unbatched = (input.unsqueeze(0), True) if input.dim() == nd + 1 else (input, False)
    a = x._data
    xp = xp_of(a)
    n, c = a.shape[:2]
    idx = xp.zeros((n, c) + osp, dtype=xp.int64)
    bins = [_bins(s, o) for s, o in zip(S, osp)]
    for cell in itertools.product(*[range(o) for o in osp]):
        rng = [bins[d][cell[d]] for d in range(nd)]
        region = a[(slice(None), slice(None)) + tuple(slice(lo, hi) for lo, hi in rng)]
        loc = xp.argmax(region.reshape(n, c, -1), axis=-1)
        flat = 0
        for d in range(nd - 1, -1, -1):
            w = rng[d][1] - rng[d][0]
            pos = loc % w + rng[d][0]
            loc = loc // w
            flat = flat + pos * math.prod(S[d + 1:])
        idx[(slice(None), slice(None)) + cell] = flat
    it = U.Tensor._make(idx)
    out = x.flatten(2).gather(2, it.flatten(2)).reshape((n, c) + osp)
    if unbatched:
        out, it = out.squeeze(0), it.squeeze(0)
    return (out, it) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed (H_out, W_out); indices are flat positions ``h*W + w``."""
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    return _adaptive_max(input, output_size, return_indices, 3, "adaptive_max_pool3d")


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    """``(output, indices)`` of ``adaptive_max_pool3d``; indices are ``t*H*W + h*W + w``."""
    return adaptive_max_pool3d(input, output_size, True)


# -- unpooling / Lp -------------------------------------------------------------------------
def _max_unpool(input, indices, kernel_size, stride, padding, output_size, nd, name):
    k = _tup(kernel_size, nd)
    s = k if stride is None else _tup(stride, nd)
    p = _tup(padding, nd)
    unbatched = input.dim() == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    ix = indices.unsqueeze(0) if unbatched else indices
    if tuple(ix.shape) != tuple(x.shape):
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor ({_shape_str(x.shape)}) but "
            f"got indices tensor with shape: {_shape_str(ix.shape)}")
    if output_size is None:
        osp = tuple((i - 1) * ss - 2 * pp + kk for i, ss, pp, kk in zip(x.shape[2:], s, p, k))
    else:
        osp = tuple(int(v) for v in output_size)[-nd:]
    n, c = x.shape[:2]
    tot = math.prod(osp)
    iv = ix._data
    if iv.size and (int(iv.min()) < 0 or int(iv.max()) >= tot):
        bad = int(iv.max()) if int(iv.max()) >= tot else int(iv.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {'x'.join(map(str, osp))}")
    from ..._creation import zeros

    out = zeros((n, c, tot), dtype=x.dtype, device=x.device)
    out = out.scatter(2, ix.flatten(2), x.flatten(2)).reshape((n, c) + osp)
    return out.squeeze(0) if unbatched else out


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool2d: each value goes to its recorded flat index, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd):
    k = _tup(kernel_size, nd)
    pool = (avg_pool1d, avg_pool2d, avg_pool3d)[nd - 1]
    out = pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over window of x^p)^(1/p)``."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over window of x^p)^(1/p)``."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``(sum over window of x^p)^(1/p)`` over (D, H, W) windows."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)
