"""nn.functional: fractional max pooling (Graham, 2014) in 2-D and 3-D.

Per plane ``(n, c)`` and spatial dim with input size ``S``, output size ``O``, pool size ``k``
and random sample ``u`` in [0, 1) (arithmetic in the input's dtype, like torch)::

    alpha    = (S - k) / (O - 1)
    start[i] = int((i + u) * alpha) - int(u * alpha)      for i < O - 1
    start[O - 1] = S - k

and output ``i`` is the max over ``[start[i], start[i] + k)``; the index is the flat position
in the plane (``h*W + w``, ``t*H*W + h*W + w``). The gradient flows to the argmax (first max in
scan order; a NaN wins, the last one seen), accumulated where windows share it.
The samples are ``_random_samples[n, c, :]``, ordered (W, H) in 2-D and (T, H, W) in 3-D
(as ATen); without them they are drawn with ``danlu.rand``.
"""
from __future__ import annotations

import math

from ..._backend import xp_of
from ..._ops import _util as U

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices"]

_DIM_NAMES = ("time", "height", "width")


def _tup(v, n: int) -> tuple:
    if isinstance(v, (tuple, list)):
        v = tuple(v)
        return v * n if len(v) == 1 else v
    return (v,) * n


def _starts(xp, u, S: int, O: int, k: int, dt):
    """Window starts, shape ``u.shape + (O,)``, computed in dtype ``dt`` like ATen."""
    out = xp.empty(u.shape + (O,), dtype=xp.int64)
    if O > 1:
        alpha = xp.asarray(S - k, dtype=dt) / xp.asarray(O - 1, dtype=dt)
        i = xp.arange(O - 1).astype(dt)
        uu = u[..., None].astype(dt)
        first = ((i + uu) * alpha).astype(xp.int64)
        base = (uu * alpha).astype(xp.int64)
        out[..., :O - 1] = first - base
    if O > 0:
        out[..., O - 1] = S - k
    return out


def _fractional(input, kernel_size, output_size, output_ratio, return_indices, samples, nd: int):
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if not isinstance(input, U.Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"[{', '.join(map(str, input.shape))}]")
    if output_size is None:
        if nd == 2 and isinstance(output_ratio, (tuple, list)) and len(output_ratio) > 2:
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple of Ints.")
        r = _tup(output_ratio, nd)
        output_size = [int(input.shape[-nd + d] * r[d]) for d in range(nd)]
    osz = tuple(int(o) for o in _tup(output_size, nd))
    ks = tuple(int(k) for k in _tup(kernel_size, nd))
    if len(osz) != nd or len(ks) != nd:
        raise RuntimeError(f"{name}(): kernel_size and output_size must have {nd} elements")
    unbatched = input.dim() == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    N, C = x.shape[:2]
    S = tuple(x.shape[2:])
    for d in range(x.dim() - nd, x.dim()):
        if x.shape[d] == 0:
            shown = input.shape
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but got"
                f"[{', '.join(map(str, shown))}] with dimension {d - (1 if unbatched else 0)} being empty.")
    if samples is None:
        from ..._random import rand
        samples = rand(N, C, nd, dtype=input.dtype, device=input.device)
    for d in range(nd):
        o, k, s = osz[d], ks[d], S[d]
        too_big = o + k - 1 > s if nd == 2 else o + k - 1 >= s
        if too_big:
            dn = _DIM_NAMES[d + 3 - nd]
            op = name if nd == 2 else f"{name}_out"
            raise RuntimeError(f"{op}(): pool {dn} {k} too large relative to input {dn} {s}")
    if samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.dim()}")
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.shape[0] < N:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != C:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {samples.shape[2]}.")

    a = x.detach()._data
    xp = xp_of(a)
    dt = a.dtype
    u = samples.detach()._data[:N]
    strides = [math.prod(S[d + 1:]) for d in range(nd)]
    # flat positions of every window element: (N, C, *O, *K)
    flat = xp.zeros((N, C) + (1,) * (2 * nd), dtype=xp.int64)
    start_flat = xp.zeros((N, C) + (1,) * nd, dtype=xp.int64)
    for d in range(nd):
        su = u[:, :, nd - 1 - d] if nd == 2 else u[:, :, d]   # 2-D: sample 0 is W, 1 is H
        st = _starts(xp, su, S[d], osz[d], ks[d], dt)        # (N, C, O_d)
        shp_o = [N, C] + [1] * (2 * nd)
        shp_o[2 + d] = osz[d]
        shp_k = [1, 1] + [1] * (2 * nd)
        shp_k[2 + nd + d] = ks[d]
        pos = st.reshape(shp_o) + xp.arange(ks[d]).reshape(shp_k)
        flat = flat + pos * strides[d]
        start_flat = start_flat + st.reshape(shp_o[:2 + nd]) * strides[d]
    K = math.prod(ks)
    if K == 0 or math.prod(osz) == 0 or N * C == 0:
        idx = xp.broadcast_to(start_flat, (N, C) + osz).copy()
        it = U.Tensor._make(idx)
        out = x.new_full((N, C) + osz, -math.inf)
    else:
        flat = xp.broadcast_to(flat, (N, C) + osz + ks).reshape(N, C, -1, K)
        plane = a.reshape(N, C, -1)
        vals = xp.take_along_axis(plane, flat.reshape(N, C, -1), axis=2).reshape(N, C, -1, K)
        loc = xp.argmax(vals, axis=-1)
        if xp.issubdtype(dt, xp.floating):
            nan = xp.isnan(vals)
            last_nan = K - 1 - xp.argmax(nan[..., ::-1], axis=-1)
            loc = xp.where(nan.any(axis=-1), last_nan, loc)
        idx = xp.take_along_axis(flat, loc[..., None], axis=-1)[..., 0].reshape((N, C) + osz)
        it = U.Tensor._make(idx)
        out = x.flatten(2).gather(2, it.flatten(2)).reshape((N, C) + osz)
    if unbatched:
        out, it = out.squeeze(0), it.squeeze(0)
    return (out, it) if return_indices else out


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    """2-D fractional max pooling returning ``(output, indices)``; indices are ``h*W + w``."""
    return _fractional(input, kernel_size, output_size, output_ratio, True, _random_samples, 2)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """2-D fractional max pooling over windows with pseudo-random starts (module docstring)."""
    return _fractional(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 2)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    """3-D fractional max pooling returning ``(output, indices)``; indices are ``t*H*W + h*W + w``."""
    return _fractional(input, kernel_size, output_size, output_ratio, True, _random_samples, 3)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """3-D fractional max pooling over windows with pseudo-random starts (module docstring)."""
    return _fractional(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 3)
