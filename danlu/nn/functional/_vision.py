"""nn.functional: interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area),
pixel_shuffle / pixel_unshuffle.

Source coordinate of output index ``i`` along a dim of input size ``n`` and output size ``m``
(torch's rules, computed in the input's float precision like torch's kernels):

* nearest:        ``min(floor(i * scale), n - 1)``;            scale = 1/scale_factor or n/m
* nearest-exact:  ``min(floor((i + 0.5) * scale), n - 1)``
* linear, align_corners=True:  ``i * (n-1)/(m-1)``
* linear, align_corners=False: ``max(scale * (i + 0.5) - 0.5, 0)``

Linear modes interpolate between ``floor(src)`` and the next index, one dim at a time; bicubic
uses 4 taps around ``floor(src)`` with Keys' cubic kernel (A = -0.75), indices clamped.
"""
from __future__ import annotations

import math

import numpy as np

from ..._ops import _util as U
from ..._ops.padding import TakeAlong

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "affine_grid", "grid_sample"]

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}


def _scale(n: int, m: int, scale, align_corners: bool, dt):
    if align_corners:
        return dt((n - 1) / (m - 1)) if m > 1 else dt(0)
    if scale is not None and scale > 0:
        return dt(1.0 / scale)
    return dt(n) / dt(m)


def _nearest_index(n: int, m: int, scale, exact: bool):
    s = _scale(n, m, scale, False, np.float32)
    i = np.arange(m, dtype=np.float32)
    if exact:
        i = i + np.float32(0.5)
    return np.minimum(np.floor(i * s).astype(np.int64), n - 1)


def _linear_weights(n: int, m: int, scale, align_corners: bool, dt):
    s = _scale(n, m, scale, align_corners, dt)
    i = np.arange(m, dtype=dt)
    if align_corners:
        src = s * i
    else:
        src = np.maximum(s * (i + dt(0.5)) - dt(0.5), dt(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    lam = np.clip(src - i0, 0, 1).astype(dt)
    return i0, i1, lam


def _cubic_taps(n: int, m: int, scale, align_corners: bool, dt):
    """Keys' cubic convolution (A = -0.75, torch's): 4 (index, weight) taps per output position,
    indices clamped at the borders; the source coordinate is not clamped at 0 for cubic."""
    A = dt(-0.75)
    s = _scale(n, m, scale, align_corners, dt)
    i = np.arange(m, dtype=dt)
    src = s * i if align_corners else s * (i + dt(0.5)) - dt(0.5)
    i0 = np.floor(src)
    t = (src - i0).astype(dt)

    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    ws = (far(t + 1), near(t), near(1 - t), far(2 - t))
    i0 = i0.astype(np.int64)
    return [(np.clip(i0 - 1 + k, 0, n - 1), ws[k].astype(dt)) for k in range(4)]


def _as_list(v, dim: int, what: str, input):
    if isinstance(v, (tuple, list)):
        if len(v) != dim:
            raise ValueError(
                f"Input and {what} must have the same number of spatial dimensions, but got input with "
                f"spatial dimensions of {list(input.shape[2:])} and {what} of {list(v)}. Please provide "
                "input tensor in (N, C, d1, d2, ...,dK) format and "
                f"{what} in (o1, o2, ...,oK) format.")
        return list(v)
    return [v] * dim


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False):
    """Resize the spatial dims of (N, C, *S) by ``size`` or ``scale_factor`` (see module doc)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear")
    elif mode in _LINEAR:
        if align_corners is None:
            align_corners = False
    else:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: "
            f"nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got {mode})")
    if antialias:
        raise NotImplementedError("interpolate(): antialias=True is not supported by danlu")
    dim = input.dim() - 2
    if dim < 1:
        raise ValueError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D)")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        out = [int(s) for s in _as_list(size, dim, "output size", input)]
        scales = [None] * dim
    elif scale_factor is not None:
        scales = [float(s) for s in _as_list(scale_factor, dim, "scale_factor", input)]
        out = [int(math.floor(float(input.shape[i + 2] * scales[i]))) for i in range(dim)]
        if recompute_scale_factor:
            scales = [None] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if mode in _LINEAR and _LINEAR[mode] != dim:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {_LINEAR[mode] + 2}D input")
    if any(o <= 0 for o in out):
        raise RuntimeError(
            f"Input and output sizes should be greater than 0, but got input ({', '.join(map(str, input.shape[2:]))}) "
            f"and output ({', '.join(map(str, out))})")
    if mode == "area":
        from ._pooling import _adaptive_avg

        return _adaptive_avg(input, tuple(out), dim, f"adaptive_avg_pool{dim}d")
    x = input
    if mode in ("nearest", "nearest-exact"):
        for d in range(dim):
            n, m = input.shape[2 + d], out[d]
            if n == m:
                continue
            x = TakeAlong.apply(x, idx=_nearest_index(n, m, scales[d], mode == "nearest-exact"), axis=2 + d)
        return x if x is not input else input.clone()
    if not input.dtype.is_floating_point:
        raise RuntimeError(f'"upsample_{mode}_out_frame" not implemented for \'{input.dtype.name}\'')
    dt = input._data.dtype.type
    xp = U.as_tensor_like
    if mode == "bicubic":
        for d in range(dim):
            n, m = input.shape[2 + d], out[d]
            shape = [1] * input.dim()
            shape[2 + d] = m
            acc = None
            for idx, w in _cubic_taps(n, m, scales[d], align_corners, dt):
                term = TakeAlong.apply(x, idx=idx, axis=2 + d) * xp(w.reshape(shape), x)
                acc = term if acc is None else acc + term
            x = acc
        return x
    for d in range(dim):
        n, m = input.shape[2 + d], out[d]
        i0, i1, lam = _linear_weights(n, m, scales[d], align_corners, dt)
        shape = [1] * input.dim()
        shape[2 + d] = m
        lam1 = xp(lam.reshape(shape), x)
        lam0 = xp((dt(1) - lam).reshape(shape), x)
        x = TakeAlong.apply(x, idx=i0, axis=2 + d) * lam0 + TakeAlong.apply(x, idx=i1, axis=2 + d) * lam1
    return x


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor: int):
    """(*, C*r^2, H, W) -> (*, C, H*r, W*r): ``out[c, h*r + i, w*r + j] = in[c*r^2 + i*r + j, h, w]``."""
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got input with {input.dim()} "
            "dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *b, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
            f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    nb = len(b)
    x = input.reshape(tuple(b) + (c // (r * r), r, r, h, w))
    x = x.permute(tuple(range(nb)) + (nb, nb + 3, nb + 1, nb + 4, nb + 2))
    return x.reshape(tuple(b) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor: int):
    """Inverse of pixel_shuffle: (*, C, H*r, W*r) -> (*, C*r^2, H, W)."""
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(
            f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with {input.dim()} "
            "dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *b, c, h, w = input.shape
    if h % r:
        raise RuntimeError(
            f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)={h} is "
            f"not divisible by {r}")
    if w % r:
        raise RuntimeError(
            f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)={w} is "
            f"not divisible by {r}")
    nb = len(b)
    x = input.reshape(tuple(b) + (c, h // r, r, w // r, r))
    x = x.permute(tuple(range(nb)) + (nb, nb + 2, nb + 4, nb + 1, nb + 3))
    return x.reshape(tuple(b) + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups: int):
    """ShuffleNet's shuffle: (N, g*k, *) -> channels reordered as (k, g), i.e. interleaving groups."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"[{', '.join(map(str, input.shape))}]")
    g = int(groups)
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{g}")
    n, c = input.shape[:2]
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {g} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape((n, g, c // g) + rest).transpose(1, 2).reshape((n, c) + rest)


native_channel_shuffle = channel_shuffle


# -- spatial transformers ------------------------------------------------------------------------
def _linspace_from_neg_one(n: int, align_corners: bool, dt):
    if n <= 1:
        return np.zeros(max(n, 1), dt)
    r = np.linspace(-1, 1, n, dtype=dt)
    return r if align_corners else (r * (n - 1) / n).astype(dt)


def affine_grid(theta, size, align_corners=None):
    """Sampling grid (N, H, W, 2) of ``theta @ [x, y, 1]`` over the normalised output coordinates
    in [-1, 1] (pixel centres when ``align_corners=False``, corner pixels' centres when True)."""
    align_corners = bool(align_corners)
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) != 4:
        raise NotImplementedError(
            f"affine_grid only supports 4D sizes, for 2D affine transformations. Got size {list(size)}.")
    n, _, h, w = (int(v) for v in size)
    if theta.dim() != 3 or tuple(theta.shape[1:]) != (2, 3):
        raise ValueError(
            f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {list(size)}. Got {list(theta.shape)}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {list(size)}")
    dt = theta._data.dtype.type
    base = np.ones((h, w, 3), dt)
    base[..., 0] = _linspace_from_neg_one(w, align_corners, dt)[None, :]
    base[..., 1] = _linspace_from_neg_one(h, align_corners, dt)[:, None]
    b = U.as_tensor_like(base.reshape(1, h * w, 3), theta)
    return b.matmul(theta.transpose(1, 2)).reshape(n, h, w, 2)


def _reflect(coord, twice_low: int, twice_high: int):
    """torch's reflect_coordinates: fold the coordinate back into [low, high] by mirroring."""
    if twice_low == twice_high:
        return coord * 0
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = (coord - lo).abs()
    flips = (c / span).detach().floor()
    extra = c - flips * span
    even = U.as_tensor_like((flips._data % 2) == 0, coord)
    from ... import where

    return where(even, extra + lo, span - extra + lo)


def _source(coord, size: int, padding_mode: str, align_corners: bool):
    x = (coord + 1) / 2 * (size - 1) if align_corners else ((coord + 1) * size - 1) / 2
    if padding_mode == "border":
        x = x.clamp(0, size - 1)
    elif padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (size - 1)) if align_corners else _reflect(x, -1, 2 * size - 1)
        x = x.clamp(0, size - 1)
    return x


def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros", align_corners=None):
    """Sample ``input`` (N, C, H, W) at ``grid`` (N, H_out, W_out, 2) normalised (x, y) locations
    with bilinear or nearest interpolation; outside values per ``padding_mode`` (zeros, border,
    reflection).  Differentiable w.r.t. both input and grid."""
    align_corners = bool(align_corners)
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear' or 'nearest', but got: "
                         f"'{mode}'" if mode != "bicubic" else "grid_sample(): mode='bicubic' is not supported by danlu")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if input.dim() != 4 or grid.dim() != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise RuntimeError(
            f"grid_sampler(): expected 4D input and grid with same batch size and grid.size(-1) == 2, but got "
            f"input of shape {list(input.shape)} and grid of shape {list(grid.shape)}")
    n, c, h, w = input.shape
    ho, wo = grid.shape[1], grid.shape[2]
    ix = _source(grid[..., 0], w, padding_mode, align_corners)
    iy = _source(grid[..., 1], h, padding_mode, align_corners)
    flat = input.reshape(n, c, h * w)
    xp = U.as_tensor_like

    def tap(yi, xi):  # values at integer (yi, xi) arrays (N, Ho, Wo); zero outside the image
        valid = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
        idx = np.where(valid, yi.clip(0, h - 1) * w + xi.clip(0, w - 1), 0).astype(np.int64)
        it = U.Tensor._make(idx.reshape(n, 1, ho * wo).repeat(c, axis=1))
        if type(input._data).__module__ != "numpy":  # pragma: no cover - cupy
            it = it.to(input.device)
        vals = flat.gather(2, it).reshape(n, c, ho, wo)
        return vals * xp(valid.reshape(n, 1, ho, wo).astype(input._data.dtype), input)

    if mode == "nearest":
        xr = np.round(ix.detach().cpu().numpy()).astype(np.int64)
        yr = np.round(iy.detach().cpu().numpy()).astype(np.int64)
        return tap(yr, xr)
    x0a = np.floor(ix.detach().cpu().numpy())
    y0a = np.floor(iy.detach().cpu().numpy())
    x0, y0 = xp(x0a.astype(input._data.dtype), ix), xp(y0a.astype(input._data.dtype), iy)
    tx, ty = (ix - x0).unsqueeze(1), (iy - y0).unsqueeze(1)
    x0i, y0i = x0a.astype(np.int64), y0a.astype(np.int64)
    return (tap(y0i, x0i) * (1 - tx) * (1 - ty) + tap(y0i, x0i + 1) * tx * (1 - ty)
            + tap(y0i + 1, x0i) * (1 - tx) * ty + tap(y0i + 1, x0i + 1) * tx * ty)
