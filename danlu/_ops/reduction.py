"""Reductions: sum, mean, prod, max/min (with indices), amax/amin, argmax/argmin, var/std,
logsumexp, cumsum/cumprod, all/any/count_nonzero."""
from __future__ import annotations

import builtins
from collections import namedtuple

from .. import _dtype as D
from .._backend import xp_of
from ..autograd.function import Op
from . import _util as U
from ._util import norm_dim, norm_dims
from .elementwise import Sqrt


def _T():
    return U.Tensor


def _expand_back(g, shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdim and axes:
        gs = list(g.shape)
        for a in axes:
            gs.insert(a, 1)
        g = g.reshape(tuple(gs))
    return g.expand(shape)


class Sum(Op):
    @staticmethod
    def forward(ctx, a, axes, keepdim, dtype):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return a.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        return (_expand_back(g, ctx.shape, ctx.axes, ctx.keepdim),)


class _SumDim(Sum):
    """Sum with an explicit ``dim`` (torch names its node SumBackward1)."""

    torch_name = "SumBackward1"


class Mean(Op):
    """``sum(x) / N`` over ``axes`` (N their element count; ``nan`` for N = 0); backward
    ``g / N`` broadcast back."""

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        n = 1
        for ax in axes:
            n *= a.shape[ax]
        ctx.shape, ctx.axes, ctx.keepdim, ctx.n = a.shape, axes, keepdim, n
        s = a.sum(axis=axes, keepdims=keepdim)
        return s / s.dtype.type(n) if n else s * s.dtype.type(float("nan"))

    @staticmethod
    def backward(ctx, g):
        g = g / ctx.n if ctx.n else g * float("nan")
        return (_expand_back(g, ctx.shape, ctx.axes, ctx.keepdim),)


def _acc_dtype(x, dtype):
    if dtype is not None:
        return D.to_dtype(dtype)
    if x._data.dtype.kind in "biu":
        return D.int64
    return None


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (int, tuple or None for all); bool/int inputs sum in int64."""
    axes = norm_dims(dim, input._data.ndim)
    dt = _acc_dtype(input, dtype)
    if dt is not None and input._data.dtype != dt.np:
        input = input.to(dt)
    # NumPy widens small integers to int64; keep the dtype chosen above (torch's rule)
    keep = input._data.dtype if input._data.dtype.kind in "iu" else None
    return (Sum if dim is None else _SumDim).apply(input, axes=axes, keepdim=keepdim, dtype=keep)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return sum(input.masked_fill(input.isnan(), 0), dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """``sum / N`` over ``dim``."""
    if dtype is not None:
        input = input.to(D.to_dtype(dtype))
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            f"mean(): could not infer output dtype. {'Input' if dtype is None else 'Optional'} dtype must be "
            f"either a floating point or complex dtype. Got: {_tname(input.dtype)}"
        )
    axes = norm_dims(dim, input._data.ndim)
    return (Mean if dim is None else _MeanDim).apply(input, axes=axes, keepdim=keepdim)


class _MeanDim(Mean):
    torch_name = "MeanBackward1"


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """``nansum / count(not NaN)`` over ``dim``; floating inputs only, ``dtype`` for the sum."""
    if not input.dtype.is_floating_point:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_tname(input.dtype)}")
    if dtype is not None and not D.to_dtype(dtype).is_floating_point:
        raise RuntimeError("nanmean(): could not infer output dtype. Optional dtype must be either a "
                           f"floating point or complex dtype. Got: {_tname(D.to_dtype(dtype))}")
    m = ~input.isnan()
    return nansum(input, dim, keepdim, dtype=dtype) / m.sum(dim, keepdim=keepdim)


def _tname(dt) -> str:
    return {"int64": "Long", "int32": "Int", "bool": "Bool", "uint8": "Byte", "float32": "Float",
            "float64": "Double", "float16": "Half", "int16": "Short", "int8": "Char"}[dt.name]


class Prod(Op):
    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, a, axis, keepdim):
        ctx.axis, ctx.keepdim, ctx.shape = axis, keepdim, a.shape
        # NumPy widens small integers to int64; the dtype was chosen by the caller (torch's rule)
        return a.prod(axis=axis, keepdims=keepdim, dtype=a.dtype if a.dtype.kind in "iu" else None)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        axes = tuple(range(a.ndim)) if ctx.axis is None else (ctx.axis,)
        ge = _expand_back(g, ctx.shape, axes, ctx.keepdim)
        oe = _expand_back(out, ctx.shape, axes, ctx.keepdim)
        if not bool((a._data == 0).any()):
            return (ge * oe / a,)
        # with zeros: product of all the others, via exclusive cumulative products both ways
        if ctx.axis is None:
            flat = a.reshape(-1)
            return ((ge.reshape(-1) * _prod_others(flat, 0)).reshape(ctx.shape),)
        return (ge * _prod_others(a, ctx.axis),)


def _prod_others(a, dim):
    from .shape import cat, flip, narrow

    n = a.shape[dim]
    ones = a.narrow(dim, 0, 1) * 0 + 1
    left = cat([ones, narrow(a, dim, 0, n - 1).cumprod(dim)], dim) if n > 1 else ones
    ra = flip(a, (dim,))
    right = cat([ones, narrow(ra, dim, 0, n - 1).cumprod(dim)], dim) if n > 1 else ones
    return left * flip(right, (dim,))


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of elements (over one ``dim`` or all)."""
    dt = _acc_dtype(input, dtype)
    if dt is not None and input._data.dtype != dt.np:
        input = input.to(dt)
    axis = None if dim is None else norm_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        axis = None
    return Prod.apply(input, axis=axis, keepdim=keepdim if axis is not None else False)


_AMAX_NAMES = {"amin": "AminBackward0", "max": "MaxBackward1", "min": "MinBackward1"}


class Amax(Op):
    """Max over axes; the gradient is shared evenly among tied maxima (torch's rule)."""

    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, a, axes, keepdim, mode):
        ctx.axes, ctx.keepdim, ctx.shape = axes, keepdim, a.shape
        if mode != "amax":  # torch: amin, and max()/min() without dim
            ctx._tname = _AMAX_NAMES[mode]
        if a.size == 0:
            if axes is None or len(axes) == a.ndim:
                raise RuntimeError(
                    f"{mode}(): Expected reduction dim to be specified for input.numel() == 0. "
                    "Specify the reduction dim with the 'dim' argument.")
            for i in axes:
                if a.shape[i] == 0:
                    raise IndexError(f"{mode}(): Expected reduction dim {i} to have non-zero size.")
        f = a.max if mode in ("amax", "max") else a.min
        return f(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        oe = _expand_back(out, ctx.shape, ctx.axes, ctx.keepdim)
        mask = (a == oe).to(g.dtype)
        cnt = mask.sum(dim=ctx.axes, keepdim=True)
        return (_expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) * mask / cnt,)


def amax(input, dim=(), keepdim=False):
    axes = norm_dims(dim if dim != () else None, input._data.ndim)
    return Amax.apply(input, axes=axes, keepdim=keepdim, mode="amax")


def amin(input, dim=(), keepdim=False):
    axes = norm_dims(dim if dim != () else None, input._data.ndim)
    return Amax.apply(input, axes=axes, keepdim=keepdim, mode="amin")


class SelectAlong(Op):
    """Values picked by indices along ``dim`` (max/min/median/mode/kthvalue with dim);
    ``tname`` is torch's node name for the calling op."""

    @staticmethod
    def forward(ctx, a, idx, dim, keepdim, tname=None):
        if tname is not None:
            ctx._tname = tname
        xp = xp_of(a)
        if a.ndim == 0:  # a 0-d input is its own pick along dim 0 / -1
            ctx.shape = ()
            return a.copy()
        # ``idx`` has either a's ndim (cummax) or one dim fewer (max/median/... along dim)
        ie = xp.expand_dims(idx, dim) if idx.ndim < a.ndim else idx
        ctx.idx, ctx.dim, ctx.keepdim, ctx.shape = ie, dim, keepdim, a.shape
        out = xp.take_along_axis(a, ie, axis=dim)
        return out if keepdim else xp.squeeze(out, axis=dim)

    @staticmethod
    def backward(ctx, g):
        from .indexing import scatter_zeros_along

        if ctx.shape == ():
            return g, None
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.dim)
        return scatter_zeros_along(g, ctx.idx, ctx.dim, True, ctx.shape), None


MinMax = namedtuple("max", ["values", "indices"])


def _minmax(input, dim, keepdim, which, other=None):
    if other is not None and not isinstance(dim, int):
        pass
    if isinstance(dim, U.Tensor):  # torch.max(a, b) == maximum
        from .elementwise import maximum, minimum

        return maximum(input, dim) if which == "max" else minimum(input, dim)
    if dim is None:
        return Amax.apply(input, axes=tuple(range(input._data.ndim)), keepdim=False, mode=which)
    xp = xp_of(input._data)
    d = norm_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        return MinMax(input.clone(), U.Tensor._make(xp.asarray(0), None))
    if input.shape[d] == 0:
        raise IndexError(
            f"{which}(): Expected reduction dim {d} to have non-zero size."
        )
    a = input._data
    f = xp.argmax if which == "max" else xp.argmin
    if a.dtype.kind == "f" and xp.isnan(a).any():
        # NaN propagates: it wins the reduction, as in torch
        idx = xp.argmax(xp.isnan(a), axis=d)
        has = xp.isnan(a).any(axis=d)
        idx = xp.where(has, idx, f(a, axis=d))
    else:
        idx = f(a, axis=d)
    vals = SelectAlong.apply(input, U.Tensor._make(idx, None), dim=d, keepdim=keepdim,
                             tname="MaxBackward0" if which == "max" else "MinBackward0")
    if keepdim:
        idx = xp.expand_dims(idx, d)
    return MinMax(vals, U.Tensor._make(idx.astype("int64", copy=False), None))


def max(input, dim=None, keepdim=False):
    """``max(x)`` -> scalar; ``max(x, dim)`` -> (values, indices); ``max(x, y)`` -> maximum."""
    return _minmax(input, dim, keepdim, "max")


def min(input, dim=None, keepdim=False):
    return _minmax(input, dim, keepdim, "min")


def _no_bool_arg(input, name: str) -> None:
    if input.dtype is D.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")


def _arg_empty(input, dim, name: str) -> None:
    """torch's errors for argmax / argmin over nothing."""
    if input._data.size:
        return
    if dim is None:
        raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
    d = norm_dim(dim, input._data.ndim)
    if input._data.ndim and input._data.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def argmax(input, dim=None, keepdim=False):
    _no_bool_arg(input, "argmax")
    xp = xp_of(input._data)
    _arg_empty(input, dim, "argmax")
    if dim is None:
        r = xp.argmax(input._data.reshape(-1))
        if keepdim:
            r = r.reshape((1,) * input._data.ndim)
        return U.Tensor._make(xp.asarray(r, dtype="int64"), None)
    return _minmax(input, dim, keepdim, "max").indices


def argmin(input, dim=None, keepdim=False):
    _no_bool_arg(input, "argmin")
    xp = xp_of(input._data)
    _arg_empty(input, dim, "argmin")
    if dim is None:
        r = xp.argmin(input._data.reshape(-1))
        if keepdim:
            r = r.reshape((1,) * input._data.ndim)
        return U.Tensor._make(xp.asarray(r, dtype="int64"), None)
    return _minmax(input, dim, keepdim, "min").indices


class Var(Op):
    """``sum((x - mean)^2) / (N - correction)``; backward ``2 (x - mean) / (N - correction)``."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        n = 1
        for ax in axes:
            n *= a.shape[ax]
        ctx.axes, ctx.keepdim, ctx.shape, ctx.den = axes, keepdim, a.shape, builtins.max(n - correction, 0)
        xp = xp_of(a)
        with xp.errstate(divide="ignore", invalid="ignore"):
            if n - correction > 0:
                return xp.var(a, axis=axes, ddof=correction, keepdims=keepdim)
            # no degrees of freedom: torch's sum of squares / 0, inf (NaN where it is 0 or n = 0)
            d = a - xp.sum(a, axis=axes, keepdims=True) / a.dtype.type(n)
            return xp.asarray(xp.sum(d * d, axis=axes, keepdims=keepdim) / a.dtype.type(0))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        m = a.mean(dim=ctx.axes, keepdim=True)
        ge = _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim)
        return (ge * (a - m) * (2.0 / ctx.den if ctx.den else float("nan")),)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def _check_floating(input, name: str) -> None:
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{name} only support floating point and complex dtypes")


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance with Bessel's correction by default (``correction=1``)."""
    _check_floating(input, "std and var")
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    axes = norm_dims(dim, input._data.ndim)
    return Var.apply(input, axes=axes, correction=_correction(unbiased, correction), keepdim=keepdim)


class _Std(Sqrt):
    torch_name = "StdBackward0"


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``sqrt(var)``."""
    return _Std.apply(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    _check_floating(input, "var_mean")
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    _check_floating(input, "std_mean")
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


class LogSumExp(Op):
    torch_name = "LogsumexpBackward0"

    """``m + log(sum(exp(x - m)))`` with ``m = max(x)`` (stable); backward ``g * softmax(x)``."""

    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        xp = xp_of(a)
        ctx.axes, ctx.keepdim, ctx.shape = axes, keepdim, a.shape
        m = a.max(axis=axes, keepdims=True) if a.size else xp.zeros((1,) * a.ndim, a.dtype)
        m = xp.where(xp.isfinite(m), m, 0)
        with xp.errstate(divide="ignore"):
            out = xp.log(xp.exp(a - m).sum(axis=axes, keepdims=True)) + m
        return out if keepdim else out.reshape(tuple(s for i, s in enumerate(a.shape) if i not in axes))

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        oe = _expand_back(out, ctx.shape, ctx.axes, ctx.keepdim)
        return (_expand_back(g, ctx.shape, ctx.axes, ctx.keepdim) * (a - oe).exp(),)


def logsumexp(input, dim, keepdim=False):
    if not input.dtype.is_floating_point:
        input = input.to(D.get_default_dtype())
    axes = norm_dims(dim, input._data.ndim)
    return LogSumExp.apply(input, axes=axes, keepdim=keepdim)


class Cumsum(Op):
    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        # NumPy widens small integers to int64; the dtype was chosen by the caller (torch's rule)
        return xp_of(a).cumsum(a, axis=dim, dtype=a.dtype) if a.ndim else a.copy()

    @staticmethod
    def backward(ctx, g):
        from .shape import flip

        if g.ndim == 0:
            return (g,)
        return (flip(flip(g, (ctx.dim,)).cumsum(ctx.dim), (ctx.dim,)),)


def cumsum(input, dim, *, dtype=None):
    dt = _acc_dtype(input, dtype)
    if dt is not None and input._data.dtype != dt.np:
        input = input.to(dt)
    return Cumsum.apply(input, dim=norm_dim(dim, input._data.ndim) if input._data.ndim else 0)


class Cumprod(Op):
    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return xp_of(a).cumprod(a, axis=dim, dtype=a.dtype) if a.ndim else a.copy()

    @staticmethod
    def backward(ctx, g):
        from .shape import flip

        a, out = ctx.saved_tensors
        if g.ndim == 0:
            return (g,)
        d = ctx.dim
        if not bool((a._data == 0).any()):
            # dL/da_i = sum_{j>=i} g_j out_j / a_i
            rc = flip(flip(g * out, (d,)).cumsum(d), (d,))
            return (rc / a,)
        # zeros present: O(n^2) exact form along dim, d out_j / d a_i = prod_{k<=j, k!=i} a_k
        n = a.shape[d]
        cols = []
        for i in range(n):
            ai = a.narrow(d, i, 1)
            ones = ai * 0 + 1
            parts = [a.narrow(d, 0, i), ones, a.narrow(d, i + 1, n - i - 1)]
            from .shape import cat

            repl = cat([p for p in parts if p.shape[d] > 0], d)
            cp = repl.cumprod(d)
            mask_shape = [1] * a.ndim
            mask_shape[d] = n
            xp = xp_of(a._data)
            m = U.Tensor._make((xp.arange(n) >= i).reshape(mask_shape).astype(a._data.dtype), None)
            cols.append((g * cp * m).sum(d, keepdim=True))
        from .shape import cat

        return (cat(cols, d),)


def cumprod(input, dim, *, dtype=None):
    dt = _acc_dtype(input, dtype)
    if dt is not None and input._data.dtype != dt.np:
        input = input.to(dt)
    return Cumprod.apply(input, dim=norm_dim(dim, input._data.ndim) if input._data.ndim else 0)


def _cum_extreme(input, dim, which):
    xp = xp_of(input._data)
    d = norm_dim(dim, input._data.ndim)
    a = input._data
    if a.ndim == 0:  # a 0-d input is its own running extreme
        idx = xp.zeros((), dtype="int64")
        values = SelectAlong.apply(input, U.Tensor._make(idx, None), dim=0, keepdim=True)
        return namedtuple(f"cum{which}", ["values", "indices"])(values, U.Tensor._make(idx, None))
    acc = xp.maximum if which == "max" else xp.minimum
    vals = acc.accumulate(a, axis=d)
    # index of the last element equal to the running extreme (torch's choice)
    n = a.shape[d]
    shape = [1] * a.ndim
    shape[d] = n
    ar = xp.arange(n).reshape(shape)
    # torch's kernel: (isnan(x) || (!isnan(out) && x >= out)): a NaN takes the index and keeps it
    # until the next NaN
    eq = (a == vals) | (a != a) if a.dtype.kind in "fc" else a == vals
    hit = xp.where(eq, ar, -1)
    idx = xp.maximum.accumulate(hit, axis=d)
    values = SelectAlong.apply(input, U.Tensor._make(idx, None), dim=d, keepdim=True)
    return namedtuple(f"cum{which}", ["values", "indices"])(values, U.Tensor._make(idx.astype("int64"), None))


class CdistInf(Op):
    """``max_k |d_k|`` over the last dim, as torch's ``cdist(p=inf)`` kernel takes it: NaN
    differences are skipped (``max(acc, nan)`` keeps ``acc``, starting from 0); the gradient is
    ``sign(d)`` at every entry equal to the result (ties are not split), NaN at NaN entries."""

    torch_name = "CdistBackward0"
    _save_in = (0,)

    @staticmethod
    def forward(ctx, d):
        xp = xp_of(d)
        a = xp.abs(d)
        return xp.asarray(xp.where(a != a, 0, a).max(axis=-1, initial=0)).astype(d.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        xp = xp_of(d._data)
        x = d._data
        out = xp.where(xp.isnan(xp.abs(x)), 0, xp.abs(x)).max(axis=-1, initial=0, keepdims=True)
        coef = xp.sign(x) * (xp.abs(x) == out)
        coef = xp.where(x != x, xp.nan, coef).astype(x.dtype, copy=False)
        return (g.unsqueeze(-1) * U.Tensor._make(coef, None),)


def cummax(input, dim):
    return _cum_extreme(input, dim, "max")


def cummin(input, dim):
    return _cum_extreme(input, dim, "min")


def logcumsumexp(input, dim):
    """``log(cumsum(exp(input)))`` along ``dim``, shifted by the max (floating inputs only)."""
    d = norm_dim(dim, input.ndim)
    if not input.dtype.is_floating_point:
        from .elementwise import _tn

        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{_tn(input.dtype)}'")
    m = input.detach().amax(dim=d, keepdim=True)
    m = m.masked_fill(~m.isfinite(), 0)
    return (input - m).exp().cumsum(d).log() + m


def _truth_reduce(input, dim, keepdim, fn):
    """all/any: bool result, except uint8 in -> uint8 (0/1) out, as torch's."""
    xp = xp_of(input._data)
    axes = None if dim is None else norm_dims(dim, input._data.ndim)
    r = xp.asarray(fn(input._data, axis=axes, keepdims=keepdim))
    return U.Tensor._make(r.astype("uint8") if input._data.dtype.name == "uint8" else r, None)


def all(input, dim=None, keepdim=False):
    return _truth_reduce(input, dim, keepdim, xp_of(input._data).all)


def any(input, dim=None, keepdim=False):
    return _truth_reduce(input, dim, keepdim, xp_of(input._data).any)


def count_nonzero(input, dim=None):
    xp = xp_of(input._data)
    axes = None if dim is None else norm_dims(dim, input._data.ndim)
    return U.Tensor._make(xp.asarray(xp.count_nonzero(input._data, axis=axes), dtype="int64"), None)


def median(input, dim=None, keepdim=False):
    """Lower median (torch's): the element at index ``(n - 1) // 2`` of the sorted values."""
    if input.dtype is D.bool_:
        raise NotImplementedError(f"\"{'median_cpu' if dim is None else 'median_out'}\" not implemented for 'Bool'")
    xp = xp_of(input._data)
    if dim is None:
        flat = input.reshape(-1)
        n = flat.shape[0]
        if n == 0:  # torch: NaN (connected to the graph, so backward gives an empty gradient)
            return flat.sum() * float("nan")
        idx = xp.argsort(flat._data, kind="stable")[(n - 1) // 2]
        return flat[int(idx)]
    d = norm_dim(dim, input._data.ndim)
    if input._data.ndim == 0:  # a 0-d input is its own median along dim 0 / -1
        idx = xp.zeros((), dtype="int64")
        vals = SelectAlong.apply(input, U.Tensor._make(idx, None), dim=0, keepdim=keepdim,
                                 tname="MedianBackward1")
        return namedtuple("median", ["values", "indices"])(vals, U.Tensor._make(idx, None))
    n = input.shape[d]
    if n == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    order = xp.argsort(input._data, axis=d, kind="stable")
    idx = xp.take(order, [(n - 1) // 2], axis=d).squeeze(d)
    vals = SelectAlong.apply(input, U.Tensor._make(idx, None), dim=d, keepdim=keepdim,
                             tname="MedianBackward1")
    if keepdim:
        idx = xp.expand_dims(idx, d)
    return namedtuple("median", ["values", "indices"])(vals, U.Tensor._make(idx.astype("int64"), None))


def mode(input, dim=-1, keepdim=False):
    """Most frequent value along ``dim`` (the smallest among ties) and an index of it."""
    xp = xp_of(input._data)
    d = norm_dim(dim, input._data.ndim)
    if input._data.ndim == 0:  # a 0-d input is its own mode
        idx = xp.zeros((), dtype="int64")
        vals = SelectAlong.apply(input, U.Tensor._make(idx, None), dim=0, keepdim=keepdim,
                                 tname="ModeBackward0")
        return namedtuple("mode", ["values", "indices"])(vals, U.Tensor._make(idx, None))
    if input.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    a = xp.moveaxis(input._data, d, -1)
    s = xp.sort(a, axis=-1)
    n = s.shape[-1]
    # run lengths: count equal neighbours
    best_val = s[..., 0].copy()
    best_cnt = xp.zeros(s.shape[:-1], dtype="int64")
    run = xp.zeros(s.shape[:-1], dtype="int64")
    for i in range(n):
        if i > 0:
            same = s[..., i] == s[..., i - 1]
            run = xp.where(same, run + 1, 1)
        else:
            run = run + 1
        better = run > best_cnt
        best_cnt = xp.where(better, run, best_cnt)
        best_val = xp.where(better, s[..., i], best_val)
    eq = a == best_val[..., None]
    idx = (n - 1) - xp.argmax(eq[..., ::-1], axis=-1)
    vals = SelectAlong.apply(input, U.Tensor._make(idx, None), dim=d, keepdim=keepdim,
                             tname="ModeBackward0")
    if keepdim:
        idx = xp.expand_dims(idx, d)
    return namedtuple("mode", ["values", "indices"])(vals, U.Tensor._make(idx.astype("int64"), None))


def aminmax(input, *, dim=None, keepdim=False):
    """``(amin, amax)`` over ``dim`` (all of ``input`` when None)."""
    if input._data.size == 0:
        if dim is None:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has "
                               "no identity.")
        d = norm_dim(dim, input._data.ndim)
        if input._data.ndim and input._data.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    return namedtuple("aminmax", ["min", "max"])(
        amin(input, () if dim is None else dim, keepdim), amax(input, () if dim is None else dim, keepdim))
