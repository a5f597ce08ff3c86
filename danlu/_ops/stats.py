"""Statistics: ``nanmedian``, ``histogram`` / ``histogramdd``, ``cov`` / ``corrcoef``,
``gradient`` (finite differences), ``renorm``, ``trapz``.

The differentiable ones are compositions of differentiable ops (their gradients are torch's).
"""
from __future__ import annotations

import builtins
import math
import warnings
from collections import namedtuple

from .. import _dtype as D
from .._backend import xp_of
from . import _util as U
from ._util import norm_dim

__all__ = ["nanmedian", "histogram", "histogramdd", "cov", "corrcoef", "gradient", "renorm", "trapz"]

NanMedian = namedtuple("nanmedian", ["values", "indices"])
Histogram = namedtuple("histogram", ["hist", "bin_edges"])
HistogramDD = namedtuple("histogramdd", ["hist", "bin_edges"])


def _T():
    return U.Tensor


def _tn(dt) -> str:
    from .._tensor import _tn as tn

    return tn(dt)


# ------------------------------------------------------------------------------------------
# nanmedian
# ------------------------------------------------------------------------------------------
def _nan_lower_median_index(xp, a, axis):
    """Index along ``axis`` of the lower median of the non-NaN values (NaN where all are NaN:
    then the index of the first NaN is returned)."""
    order = xp.argsort(a, axis=axis, kind="stable")  # NaNs sort last
    cnt = (~xp.isnan(a)).sum(axis=axis, keepdims=True) if a.dtype.kind == "f" else \
        xp.full(a.shape[:axis] + (1,) + a.shape[axis + 1:], a.shape[axis])
    k = xp.where(cnt > 0, (cnt - 1) // 2, 0)
    return xp.take_along_axis(order, k.astype(order.dtype), axis=axis)


def nanmedian(input, dim=None, keepdim=False):
    """Lower median ignoring NaNs (NaN only where every value is NaN).  With ``dim``: the
    ``(values, indices)`` pair; the gradient flows to the selected element."""
    from .reduction import SelectAlong

    if input.dtype.name == "bool":
        raise NotImplementedError(f"\"{'median_cpu' if dim is None else 'median_out'}\" not implemented for 'Bool'")
    T = _T()
    xp = xp_of(input._data)
    if dim is None:
        flat = input.reshape(-1)
        if flat.shape[0] == 0:
            return T._make(xp.asarray(float("nan"), dtype=input._data.dtype), None)
        idx = _nan_lower_median_index(xp, flat._data, 0)
        return flat[int(idx[0])]
    nd = input._data.ndim
    d = norm_dim(dim, nd)
    if nd == 0:
        return NanMedian(input.clone(), T._make(xp.asarray(0, dtype="int64"), None))
    if input.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    idx = _nan_lower_median_index(xp, input._data, d)
    vals = SelectAlong.apply(input, T._make(idx, None), dim=d, keepdim=True)
    if not keepdim:
        vals = vals.squeeze(d)
        idx = xp.squeeze(idx, axis=d)
    return NanMedian(vals, T._make(idx.astype("int64"), None))


# ------------------------------------------------------------------------------------------
# histograms
# ------------------------------------------------------------------------------------------
def _linspace_like_torch(xp, lo, hi, steps, dtype):
    """torch's linspace: from the start for the first half, from the end for the second."""
    lo_a, hi_a = xp.asarray(lo, dtype=dtype), xp.asarray(hi, dtype=dtype)
    if steps == 1:
        return lo_a.reshape(1)
    step = (hi_a - lo_a) / xp.asarray(steps - 1, dtype=dtype)
    i = xp.arange(steps).astype(dtype)
    half = steps // 2
    return xp.where(xp.arange(steps) < half, lo_a + step * i,
                    hi_a - step * (xp.asarray(steps - 1, dtype=dtype) - i)).astype(dtype)


def _hist_check(input, weight, name):
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{_tn(input.dtype)}'")
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(
            "torch.histogramdd: if weight tensor is provided, input tensor and weight tensor should "
            f"have the same dtype, but got input({_CNAME[input.dtype.name]}), and "
            f"weight({_CNAME[weight.dtype.name]})")


_CNAME = {"float32": "float", "float64": "double", "float16": "c10::Half"}


def _histdd(x, bins, rng, weight, density):
    """x: (N, D) array; bins: list of int or of 1-D edge arrays; returns (hist, [edges])."""
    xp = xp_of(x)
    n, nd = x.shape
    edges = []
    for k in range(nd):
        b = bins[k]
        if isinstance(b, int):
            if b <= 0:
                raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {b} for dimension {k}")
            if rng is not None:
                lo, hi = float(rng[2 * k]), float(rng[2 * k + 1])
            elif n:
                lo, hi = float(x[:, k].min()), float(x[:, k].max())
            else:
                lo, hi = 0.0, 1.0
            if lo > hi:
                raise RuntimeError(
                    f"torch.histogramdd: min should not exceed max, but got min {_num(lo)} max "
                    f"{_num(hi)} for dimension {k}")
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise RuntimeError(
                    f"torch.histogramdd: dimension {k}'s range [{_num(lo)}, {_num(hi)}] is not finite")
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            edges.append(_linspace_like_torch(xp, lo, hi, b + 1, x.dtype))
        else:
            edges.append(xp.asarray(b, dtype=x.dtype))
    shape = tuple(e.shape[0] - 1 for e in edges)
    flat = xp.zeros(n, dtype="int64")
    ok = xp.ones(n, dtype=bool)
    for k, e in enumerate(edges):
        v = x[:, k]
        m = e.shape[0] - 1
        pos = xp.searchsorted(e, v, side="right") - 1
        pos = xp.where(v == e[-1], m - 1, pos)
        ok &= (v >= e[0]) & (v <= e[-1]) & (pos >= 0) & (pos < m)
        flat = flat * m + xp.clip(pos, 0, builtins.max(m - 1, 0))
    w = xp.ones(n, dtype=x.dtype) if weight is None else weight.reshape(-1).astype(x.dtype)
    total = math.prod(shape)
    hist = xp.bincount(flat[ok], weights=w[ok], minlength=total)[:total].astype(x.dtype)
    hist = hist.reshape(shape)
    if density:
        s = hist.sum()
        for k, e in enumerate(edges):
            sh = [1] * len(shape)
            sh[k] = shape[k]
            hist = hist / (e[1:] - e[:-1]).reshape(sh)
        hist = (hist / s).astype(x.dtype)
    return hist, edges


def _num(v: float) -> str:
    return str(int(v)) if math.isfinite(v) and v == int(v) else str(v)


def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """Counts (or ``weight`` sums) of the flattened input in ``bins`` equal-width bins over
    ``range`` (default: min..max), or in the bins given by the 1-D edges tensor ``bins``.
    The last bin includes its right edge; ``density`` normalises to unit integral."""
    T = _T()
    _hist_check(input, weight, "histogram")
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise RuntimeError(
            "torch.histogramdd: if weight tensor is provided it should have the same shape as the "
            "input tensor excluding its innermost dimension, but got input with shape "
            f"[{input.numel()}, 1] and weight with shape [{', '.join(map(str, weight.shape))}]")
    x = input._data.reshape(-1, 1)
    b = [bins if isinstance(bins, int) else bins._data]
    hist, edges = _histdd(x, b, None if range is None else tuple(range), None if weight is None
                          else weight._data, density)
    return Histogram(T._make(hist, None), T._make(edges[0], None))


def histogramdd(input, bins=10, *, range=None, weight=None, density=False):  # noqa: A002
    """The D-dimensional histogram of the points ``input[..., :]`` (last dim = coordinates).
    ``bins``: an int, a list of D ints, or a list of D 1-D edge tensors."""
    T = _T()
    if input.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    _hist_check(input, weight, "histogramdd")
    nd = input.shape[-1]
    if isinstance(bins, int):
        b = [bins] * nd
    else:
        b = [x if isinstance(x, int) else x._data for x in bins]
        if len(b) != nd:
            raise RuntimeError("histogramdd: The size of bins must be equal to the innermost dimension of the input.")
    if range is not None and len(range) != 2 * nd:
        raise RuntimeError(
            f"torch.histogramdd: for a {nd}-dimensional histogram range should have {2 * nd} "
            f"elements, but got {len(range)}")
    if weight is not None and tuple(weight.shape) != tuple(input.shape[:-1]):
        raise RuntimeError(
            "torch.histogramdd: if weight tensor is provided it should have the same shape as the "
            "input tensor excluding its innermost dimension, but got input with shape "
            f"[{', '.join(map(str, input.shape))}] and weight with shape [{', '.join(map(str, weight.shape))}]")
    x = input._data.reshape(-1, nd)
    hist, edges = _histdd(x, b, None if range is None else tuple(range),
                          None if weight is None else weight._data, density)
    return HistogramDD(T._make(hist, None), tuple(T._make(e, None) for e in edges))


# ------------------------------------------------------------------------------------------
# covariance / correlation
# ------------------------------------------------------------------------------------------
def _check_weights(w, name, n):
    if w.ndim > 1:
        raise RuntimeError(
            f"cov(): expected {name} to have one or fewer dimensions but got {name} with {w.ndim} dimensions")
    if w.numel() != n:
        raise RuntimeError(
            f"cov(): expected {name} to have the same numel as there are observations in the "
            f"input but got {w.numel()} != {n}")
    if w.numel() and bool((w.detach() < 0).any()):
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) of ``input`` over its columns (observations):
    with w = fweights * aweights, avg = sum(w x) / sum(w),
    C = (x - avg) diag(w) (x - avg)^T / (sum(w) - correction * sum(w * aweights) / sum(w))."""
    from .._creation import scalar_tensor

    if input.ndim > 2:
        raise RuntimeError(
            f"cov(): expected input to have two or fewer dimensions but got an input with {input.ndim} dimensions")
    if input.dtype is D.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    n = x.shape[1]
    w = None
    if fweights is not None:
        if fweights.dtype.is_floating_point or fweights.dtype is D.bool_:
            raise RuntimeError(
                f"cov(): expected fweights to have integral dtype but got fweights with {_tn(fweights.dtype)} dtype")
        _check_weights(fweights, "fweights", n)
        w = fweights
    if aweights is not None:
        if not aweights.dtype.is_floating_point:
            raise RuntimeError(
                f"cov(): expected aweights to have floating point dtype but got aweights with {_tn(aweights.dtype)} dtype")
        _check_weights(aweights, "aweights", n)
        w = aweights if w is None else w * aweights
    w_sum = w.sum() if w is not None else scalar_tensor(n, dtype=D.int64)
    avg = (x * w if w is not None else x).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm_factor = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm_factor = w_sum - correction
    if bool(norm_factor.detach() <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than "
                      "the number of observations.", UserWarning, stacklevel=2)
        norm_factor = norm_factor * 0
    xm = x - avg.unsqueeze(1)
    c = xm @ (xm * w if w is not None else xm).t()
    return (c / norm_factor).squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the rows: cov / (std_i std_j), clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    s = c.diagonal().sqrt()
    c = c / s.reshape(-1, 1)
    c = c / s.reshape(1, -1)
    return c.clamp(-1, 1)


# ------------------------------------------------------------------------------------------
# finite differences
# ------------------------------------------------------------------------------------------
def _grad_uniform(f, d, h, edge_order):
    n = f.shape[d]

    def sl(a, b):
        return f.narrow(d, a, b - a)

    mid = (sl(2, n) - sl(0, n - 2)) / (2 * h)
    if edge_order == 1:
        left = (sl(1, 2) - sl(0, 1)) / h
        right = (sl(n - 1, n) - sl(n - 2, n - 1)) / h
    else:
        left = (sl(0, 1) * -1.5 + sl(1, 2) * 2 - sl(2, 3) * 0.5) / h
        right = (sl(n - 3, n - 2) * 0.5 - sl(n - 2, n - 1) * 2 + sl(n - 1, n) * 1.5) / h
    return _dl().cat([left, mid, right], d)


def _grad_coords(f, d, x, edge_order):
    n = f.shape[d]
    sh = [1] * f.ndim
    sh[d] = x.shape[0]
    x = x.to(f.dtype).reshape(sh)

    def sl(t, a, b):
        return t.narrow(d, a, b - a)

    dx = sl(x, 1, n) - sl(x, 0, n - 1)
    hl, hr = sl(dx, 0, n - 2), sl(dx, 1, n - 1)
    mid = (hl * hl * sl(f, 2, n) - hr * hr * sl(f, 0, n - 2) + (hr * hr - hl * hl) * sl(f, 1, n - 1)) \
        / (hl * hr * (hl + hr))
    if edge_order == 1:
        left = (sl(f, 1, 2) - sl(f, 0, 1)) / sl(dx, 0, 1)
        right = (sl(f, n - 1, n) - sl(f, n - 2, n - 1)) / sl(dx, n - 2, n - 1)
    else:
        a1, a2 = sl(dx, 0, 1), sl(dx, 1, 2)
        left = (-(2 * a1 + a2) / (a1 * (a1 + a2)) * sl(f, 0, 1) + (a1 + a2) / (a1 * a2) * sl(f, 1, 2)
                - a1 / (a2 * (a1 + a2)) * sl(f, 2, 3))
        b1, b2 = sl(dx, n - 3, n - 2), sl(dx, n - 2, n - 1)
        right = (b2 / (b1 * (b1 + b2)) * sl(f, n - 3, n - 2) - (b1 + b2) / (b1 * b2) * sl(f, n - 2, n - 1)
                 + (2 * b2 + b1) / (b2 * (b1 + b2)) * sl(f, n - 1, n))
    return _dl().cat([left, mid, right], d)


def _dl():
    import danlu

    return danlu


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Estimate df/dx along each of ``dim`` (default: all) by central differences in the
    interior and one-sided differences of order ``edge_order`` (1 or 2) at the ends.
    ``spacing``: a scalar step, a list of steps, or a list of 1-D coordinate tensors."""
    T = _T()
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    nd = input.ndim
    given_dim = dim is not None
    if dim is None:
        dims = tuple(range(nd))
    elif isinstance(dim, int):
        dims = (norm_dim(dim, nd),)
    else:
        dims = tuple(norm_dim(d_, nd) for d_ in dim)
        for d_ in dims:
            if dims.count(d_) > 1:
                raise RuntimeError(f"dim {d_} appears multiple times in the list of dims")
    if spacing is None:
        spacing = 1
    if isinstance(spacing, T) and spacing.ndim == 0:
        spacing = spacing.item()
    if isinstance(spacing, (list, tuple)):
        sp = list(spacing)
        if len(sp) != len(dims):
            if given_dim:
                raise RuntimeError(
                    "torch.gradient expected spacing to be unspecified, a scalar or it's spacing and "
                    f"dim arguments to have the same length, but got a spacing argument of length "
                    f"{len(sp)} and a dim argument of length {len(dims)}.")
            raise RuntimeError(
                "torch.gradient expected spacing to be unspecified, a scalar, or a list of length "
                f"equal to 'self.dim() = {nd}', since dim argument was not given, but got a list of "
                f"length {len(sp)}")
    elif isinstance(spacing, T):
        raise TypeError("gradient(): argument 'spacing' must be a number or a tuple of numbers or "
                        "of Tensors, not Tensor")
    else:
        sp = [spacing] * len(dims)
    f = input if input.dtype.is_floating_point else input.to(D.get_default_dtype())
    for d_ in dims:
        if f.shape[d_] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    out = []
    for d_, h in zip(dims, sp):
        if isinstance(h, T) and h.ndim == 0:
            h = h.item()
        out.append(_grad_coords(f, d_, h, edge_order) if isinstance(h, T)
                   else _grad_uniform(f, d_, h, edge_order))
    return tuple(out)


# ------------------------------------------------------------------------------------------
# renorm / trapz
# ------------------------------------------------------------------------------------------
def renorm(input, p, dim, maxnorm):
    """Rescale each slice ``input.select(dim, i)`` whose p-norm exceeds ``maxnorm`` to norm
    ``maxnorm``: x * maxnorm / (||x||_p + 1e-7) where ||x||_p > maxnorm, else x."""
    from ..linalg import vector_norm
    from .elementwise import where

    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {_num(float(maxnorm))}")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if input.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    d = norm_dim(dim, input.ndim)
    others = tuple(i for i in range(input.ndim) if i != d)
    nrm = vector_norm(input, p, dim=others, keepdim=True)
    factor = where(nrm > maxnorm, maxnorm / (nrm + 1e-7), 1.0)
    return input * factor


def trapz(y, x=None, *, dx=None, dim=-1):
    """Alias of ``trapezoid``."""
    from .composite import trapezoid

    if y.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return trapezoid(y, x, dx=dx, dim=dim)
