"""Image transforms as functions (torchvision.transforms.functional), on numpy arrays and tensors.

Accepted images: a numpy array ``H×W`` or ``H×W×C`` (what a PIL image holds; uint8 in [0, 255] or
float), a danlu Tensor ``C×H×W`` or ``...×C×H×W`` (float in [0, 1] after ``to_tensor``, or uint8),
or a PIL image when Pillow is installed (converted to a numpy array first). Geometric functions
return the same kind they were given. Internally every image is viewed as ``(..., H, W)``.
"""
from __future__ import annotations

import math
from enum import Enum
from typing import Sequence

import numpy as np

from ..._tensor import Tensor

__all__ = ["InterpolationMode", "to_tensor", "normalize", "resize", "crop", "center_crop", "pad",
           "resized_crop", "hflip", "vflip", "rotate", "adjust_brightness", "adjust_contrast",
           "adjust_saturation", "adjust_hue", "rgb_to_grayscale", "erase", "get_dimensions"]


class InterpolationMode(Enum):
    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


# ----------------------------------------------------------------------------- layout helpers
def _is_pil(img) -> bool:
    return type(img).__module__.startswith("PIL.")


def _split(img):
    """``(array viewed as (..., H, W), restore)`` for any accepted image kind."""
    if _is_pil(img):
        img = np.asarray(img)
    if isinstance(img, Tensor):
        return np.asarray(img._data), lambda a: Tensor._make(np.ascontiguousarray(a))
    if isinstance(img, np.ndarray):
        if img.ndim == 2:
            return img[None], lambda a: a[0]
        if img.ndim == 3:
            return img.transpose(2, 0, 1), lambda a: np.ascontiguousarray(a.transpose(1, 2, 0))
        raise ValueError(f"expected a numpy image of shape H×W or H×W×C, got shape {img.shape}")
    raise TypeError(f"img should be a numpy array, a Tensor or a PIL Image. Got {type(img)}")


def get_dimensions(img) -> list[int]:
    """``[channels, height, width]``."""
    a, _ = _split(img)
    return [a.shape[-3] if a.ndim >= 3 else 1, a.shape[-2], a.shape[-1]]


def _bound(a: np.ndarray) -> float:
    return 255.0 if a.dtype == np.uint8 else 1.0


def _cast_like(x: np.ndarray, like: np.ndarray) -> np.ndarray:
    if like.dtype == np.uint8:
        return np.clip(np.rint(x), 0, 255).astype(np.uint8)
    return x.astype(like.dtype, copy=False)


# ----------------------------------------------------------------------------- conversion
def to_tensor(pic) -> Tensor:
    """``H×W(×C)`` numpy array / PIL image -> ``C×H×W`` float32 tensor; uint8 is scaled to [0, 1]."""
    if _is_pil(pic):
        pic = np.asarray(pic)
    if not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if pic.ndim not in (2, 3):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    a = pic[None] if pic.ndim == 2 else pic.transpose(2, 0, 1)
    if a.dtype == np.uint8:
        out = a.astype(np.float32)
        out *= np.float32(1 / 255)
    else:
        out = np.array(a, dtype=np.float32 if a.dtype.kind != "f" else a.dtype)
    return Tensor._make(np.ascontiguousarray(out))


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> Tensor:
    """``(x - mean[c]) / std[c]`` per channel of a float ``(..., C, H, W)`` tensor."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    a = tensor._data
    if a.dtype.kind != "f":
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if a.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tuple(a.shape)}")
    m = np.asarray(mean, dtype=a.dtype).reshape(-1, 1, 1)
    s = np.asarray(std, dtype=a.dtype).reshape(-1, 1, 1)
    if (s == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    if inplace:
        a -= m
        a /= s
        tensor._vc[0] += 1
        return tensor
    return Tensor._make((a - m) / s)


# ----------------------------------------------------------------------------- resampling
def _filter_weights(n_in: int, n_out: int, mode: InterpolationMode, antialias: bool) -> np.ndarray:
    """``(n_out, n_in)`` matrix of resampling weights: half-pixel centres, the filter stretched by the
    scale when downsampling with ``antialias`` (as PIL and torchvision's antialiased path do), each row
    normalised to sum 1 (which, for bilinear, is the same as clamping taps at the border)."""
    scale = n_in / n_out
    centres = (np.arange(n_out) + 0.5) * scale - 0.5
    if mode is InterpolationMode.NEAREST:
        src = np.minimum(np.floor((np.arange(n_out)) * scale).astype(np.int64), n_in - 1)
        w = np.zeros((n_out, n_in))
        w[np.arange(n_out), src] = 1.0
        return w
    stretch = max(scale, 1.0) if antialias else 1.0
    d = (np.arange(n_in)[None, :] - centres[:, None]) / stretch
    if mode is InterpolationMode.BILINEAR:
        w = np.clip(1.0 - np.abs(d), 0.0, None)
    else:  # Keys cubic, a = -0.5
        ad = np.abs(d)
        a = -0.5
        w = np.where(ad <= 1, (a + 2) * ad ** 3 - (a + 3) * ad ** 2 + 1,
                     np.where(ad < 2, a * ad ** 3 - 5 * a * ad ** 2 + 8 * a * ad - 4 * a, 0.0))
    total = w.sum(1, keepdims=True)
    return w / np.where(total == 0, 1, total)


def _output_size(h: int, w: int, size, max_size=None) -> tuple[int, int]:
    if isinstance(size, int) or (isinstance(size, Sequence) and len(size) == 1):
        s = size if isinstance(size, int) else size[0]
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = s, int(s * long / short)
        if max_size is not None and new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)
    return int(size[0]), int(size[1])


def resize(img, size, interpolation: InterpolationMode = InterpolationMode.BILINEAR, max_size=None,
           antialias: bool = True):
    """Resize to ``size`` (``(h, w)``, or an int: the shorter edge, keeping the aspect ratio)."""
    a, back = _split(img)
    h, w = a.shape[-2:]
    oh, ow = _output_size(h, w, size, max_size)
    if (oh, ow) == (h, w):
        return back(a.copy())
    mode = InterpolationMode(interpolation)
    if mode is InterpolationMode.NEAREST:
        rows = np.minimum(np.floor(np.arange(oh) * h / oh).astype(np.int64), h - 1)
        cols = np.minimum(np.floor(np.arange(ow) * w / ow).astype(np.int64), w - 1)
        return back(a[..., rows[:, None], cols[None, :]])
    wh = _filter_weights(h, oh, mode, antialias).astype(np.float32)
    ww = _filter_weights(w, ow, mode, antialias).astype(np.float32)
    x = a.astype(np.float32) if a.dtype != np.float64 else a
    out = np.matmul(np.matmul(wh.astype(x.dtype), x), ww.T.astype(x.dtype))
    if a.dtype == np.uint8:
        return back(np.clip(np.rint(out), 0, 255).astype(np.uint8))
    return back(out.astype(a.dtype, copy=False))


# ----------------------------------------------------------------------------- crops, pads, flips
def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders: ``padding`` is an int, ``(left/right, top/bottom)`` or ``(left, top, right, bottom)``."""
    if isinstance(padding, int):
        left = top = right = bottom = padding
    elif len(padding) == 1:
        left = top = right = bottom = padding[0]
    elif len(padding) == 2:
        left = right = padding[0]
        top = bottom = padding[1]
    elif len(padding) == 4:
        left, top, right, bottom = padding
    else:
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    a, back = _split(img)
    widths = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == "constant":
        return back(np.pad(a, widths, mode="constant", constant_values=fill))
    if padding_mode not in ("edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    return back(np.pad(a, widths, mode=padding_mode))


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height×width`` window at ``(top, left)``; parts outside the image are zero-filled."""
    a, back = _split(img)
    h, w = a.shape[-2:]
    if top < 0 or left < 0 or top + height > h or left + width > w:
        pads = [(0, 0)] * (a.ndim - 2) + [(max(-top, 0), max(top + height - h, 0)),
                                          (max(-left, 0), max(left + width - w, 0))]
        a = np.pad(a, pads)
        top, left = max(top, 0), max(left, 0)
    return back(a[..., top:top + height, left:left + width].copy())


def _pair(size) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    if len(size) == 1:
        return int(size[0]), int(size[0])
    return int(size[0]), int(size[1])


def center_crop(img, output_size):
    """The central ``output_size`` window (zero-padded when the image is smaller)."""
    th, tw = _pair(output_size)
    _, h, w = get_dimensions(img)
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR,
                 antialias: bool = True):
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img):
    a, back = _split(img)
    return back(a[..., ::-1].copy())


def vflip(img):
    a, back = _split(img)
    return back(a[..., ::-1, :].copy())


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center=None, fill=0):
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (default: the image centre),
    by inverse mapping each output pixel; uncovered pixels get ``fill``."""
    a, back = _split(img)
    h, w = a.shape[-2:]
    cx, cy = ((w - 1) * 0.5, (h - 1) * 0.5) if center is None else (center[0], center[1])
    th = math.radians(angle)
    cos, sin = math.cos(th), math.sin(th)
    oh, ow = h, w
    if expand:
        corners = np.array([[-cx, -cy], [w - 1 - cx, -cy], [-cx, h - 1 - cy], [w - 1 - cx, h - 1 - cy]])
        rx = corners[:, 0] * cos + corners[:, 1] * sin
        ry = -corners[:, 0] * sin + corners[:, 1] * cos
        ow = int(math.ceil(rx.max() - rx.min() + 1 - 1e-6))
        oh = int(math.ceil(ry.max() - ry.min() + 1 - 1e-6))
    ocx, ocy = (ow - 1) * 0.5, (oh - 1) * 0.5
    if not expand:
        ocx, ocy = cx, cy
    yy, xx = np.mgrid[0:oh, 0:ow].astype(np.float64)
    dx, dy = xx - ocx, yy - ocy
    # output (dx, dy) came from input rotated back by -angle (image y axis points down)
    sx = cos * dx - sin * dy + cx
    sy = sin * dx + cos * dy + cy
    x = a.astype(np.float32) if a.dtype == np.uint8 else a
    mode = InterpolationMode(interpolation)
    if mode is InterpolationMode.NEAREST:
        ix, iy = np.rint(sx).astype(np.int64), np.rint(sy).astype(np.int64)
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        out = x[..., np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]
        out = np.where(inside, out, np.asarray(fill, dtype=x.dtype))
    else:
        x0, y0 = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
        fx, fy = (sx - x0).astype(x.dtype), (sy - y0).astype(x.dtype)
        out = np.zeros(x.shape[:-2] + (oh, ow), dtype=x.dtype)
        for oy, ox, wt in ((0, 0, (1 - fx) * (1 - fy)), (0, 1, fx * (1 - fy)), (1, 0, (1 - fx) * fy), (1, 1, fx * fy)):
            px, py = x0 + ox, y0 + oy
            ok = (px >= 0) & (px < w) & (py >= 0) & (py < h)
            val = np.where(ok, x[..., np.clip(py, 0, h - 1), np.clip(px, 0, w - 1)], np.asarray(fill, x.dtype))
            out += wt * val
    return back(_cast_like(out, a))


# ----------------------------------------------------------------------------- colour
_GRAY = np.array([0.2989, 0.587, 0.114])


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """``0.2989 R + 0.587 G + 0.114 B`` (a one-channel image is kept), repeated ``num_output_channels`` times."""
    a, back = _split(img)
    g = _gray(a if a.ndim >= 3 else a[None])
    return back(_cast_like(np.repeat(g, num_output_channels, axis=-3), a))


def _blend(a: np.ndarray, other, ratio: float) -> np.ndarray:
    bound = _bound(a)
    out = ratio * a.astype(np.float32) + (1.0 - ratio) * other
    return _cast_like(np.clip(out, 0, bound), a)


def adjust_brightness(img, brightness_factor: float):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    a, back = _split(img)
    return back(_blend(a, 0.0, brightness_factor))


def _gray(a: np.ndarray) -> np.ndarray:
    if a.ndim < 3 or a.shape[-3] == 1:
        return a.astype(np.float32)
    return np.expand_dims(np.tensordot(_GRAY.astype(np.float32), a.astype(np.float32),
                                       axes=([0], [a.ndim - 3])), -3)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level of the image."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    a, back = _split(img)
    g = _gray(a)
    if a.dtype == np.uint8:
        g = np.floor(g)
    mean = g.mean(axis=(-3, -2, -1), keepdims=True) if g.ndim >= 3 else g.mean()
    return back(_blend(a, mean, contrast_factor))


def adjust_saturation(img, saturation_factor: float):
    """Blend with the greyscale image (a no-op on one channel)."""
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    a, back = _split(img)
    if a.ndim < 3 or a.shape[-3] == 1:
        return back(a.copy())
    return back(_blend(a, _gray(a), saturation_factor))


def adjust_hue(img, hue_factor: float):
    """Shift the hue by ``hue_factor`` of a full turn (in HSV space); a no-op on one channel."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    a, back = _split(img)
    if a.ndim < 3 or a.shape[-3] == 1:
        return back(a.copy())
    x = a.astype(np.float32) / _bound(a)
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc, minc = x.max(axis=-3), x.min(axis=-3)
    v = maxc
    cr = maxc - minc
    s = cr / np.where(maxc == 0, 1, maxc)
    crd = np.where(cr == 0, 1, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    h = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.where(cr == 0, 0.0, (h / 6.0) % 1.0)
    h = (h + hue_factor) % 1.0
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    sel = [i == k for k in range(6)]
    rr = np.select(sel, [v, q, p, p, t, v])
    gg = np.select(sel, [t, v, v, q, p, p])
    bb = np.select(sel, [p, p, t, v, v, q])
    out = np.stack([rr, gg, bb], axis=-3) * _bound(a)
    return back(_cast_like(out, a))


def erase(img: Tensor, i: int, j: int, h: int, w: int, v, inplace: bool = False) -> Tensor:
    """Set the ``h×w`` window at ``(i, j)`` of a ``(..., C, H, W)`` tensor to ``v``."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    a = img._data if inplace else img._data.copy()
    a[..., i:i + h, j:j + w] = v._data if isinstance(v, Tensor) else v
    if inplace:
        img._vc[0] += 1
        return img
    return Tensor._make(a)
