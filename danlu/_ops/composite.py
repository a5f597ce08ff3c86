"""torch functions that are compositions of existing ops (their gradients come for free).

diff, logit, quantile, trapezoid, block_diag, ... and dtype info (``finfo``/``iinfo``).
"""
from __future__ import annotations

import math

from .. import _dtype as D
from .._backend import xp_of
from . import _util as U

__all__ = [
    "diff", "logit", "isin", "ravel", "sgn", "take", "select", "trapezoid", "cumulative_trapezoid",
    "heaviside", "signbit", "deg2rad", "rad2deg", "block_diag", "quantile", "nanquantile",
    "is_nonzero", "typename", "combinations", "addr", "diagflat", "vander", "cross", "finfo", "iinfo",
]


def _T():
    return U.Tensor


def _dl():
    import danlu

    return danlu


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None):
    """n-th forward difference along ``dim``: out[i] = x[i+1] - x[i] (applied n times)."""
    dl = _dl()
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n:
        dim = U.norm_dim(dim, input.ndim)  # (n = 0 returns the input before any dim check)
    parts = [t for t in (prepend, input, append) if t is not None]
    x = dl.cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        m = x.shape[dim]
        if m == 0:
            break
        a, b = x.narrow(dim, 1, m - 1), x.narrow(dim, 0, m - 1)
        x = a ^ b if x.dtype == D.bool_ else a - b
    return x


def logit(input, eps: float | None = None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    x = input if eps is None else input.clamp(eps, 1 - eps)
    return (x / (1 - x)).log()


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    """Elementwise membership test of ``elements`` in ``test_elements`` (bool tensor)."""
    T = _T()
    a = elements._data if isinstance(elements, T) else elements
    b = test_elements._data if isinstance(test_elements, T) else test_elements
    xp = xp_of(a) if isinstance(elements, T) else xp_of(b)
    return T._make(xp.isin(xp.asarray(a), xp.asarray(b), invert=invert))


def ravel(input):
    return input.reshape(-1)


def sgn(input):
    return input.sign()


def take(input, index):
    """input viewed as 1-D, indexed by ``index`` (result has index's shape)."""
    n = input.numel()
    idx = index._data
    if idx.size and n == 0:
        raise IndexError("take(): tried to take from an empty tensor")
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return input.reshape(-1)[index.reshape(-1)].reshape(index.shape)


def select(input, dim: int, index: int):
    """``input`` indexed at ``index`` along ``dim`` (that dim removed)."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = U.norm_dim(dim, input.ndim)
    n = input.shape[dim]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"[{', '.join(map(str, input.shape))}] at dimension {dim}")
    key = (slice(None),) * dim + (index,)
    return input[key]


def _trapz_check_bool(name, y, x):
    if x is not None and (y.dtype == D.bool_ or x.dtype == D.bool_):
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not supported")
    if x is None and y.dtype == D.bool_:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")


def _trapz_sums(y, dim):
    """``y[1:] + y[:-1]`` along ``dim`` (empty when ``dim`` has fewer than 2 entries)."""
    m = y.shape[dim]
    return y.narrow(dim, min(m, 1), max(m - 1, 0)) + y.narrow(dim, 0, max(m - 1, 0))


def trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """Trapezoidal rule: sum_i (x[i+1] - x[i]) (y[i+1] + y[i]) / 2 along ``dim``; zeros of
    y's dtype (``dim`` removed) when ``dim`` is empty."""
    dim = U.norm_dim(dim, y.ndim)
    if y.shape[dim] == 0:
        return _dl().zeros(y.shape[:dim] + y.shape[dim + 1:], dtype=y.dtype, device=y.device)
    _trapz_check_bool("trapezoid", y, x)
    s = _trapz_sums(y, dim)
    if x is None:
        return (s * (1.0 if dx is None else dx)).sum(dim) / 2
    return (s * diff(x, dim=dim if x.ndim > 1 else -1)).sum(dim) / 2


def cumulative_trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """Running trapezoidal rule: cumsum_i (x[i+1] - x[i]) (y[i+1] + y[i]) / 2 along ``dim``."""
    _trapz_check_bool("cumulative_trapezoid", y, x)
    s = _trapz_sums(y, dim)
    if x is None:
        return (s * (1.0 if dx is None else dx)).cumsum(dim) / 2
    return (s * diff(x, dim=dim if x.ndim > 1 else -1)).cumsum(dim) / 2


def heaviside(input, values):
    """0 where x < 0, ``values`` where x == 0, 1 where x > 0."""
    from .elementwise import _need_tensors

    _need_tensors("heaviside", input, values, ("input", "values"))
    dl = _dl()
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    one, zero = dl.ones_like(input), dl.zeros_like(input)
    return dl.where(input == 0, values, dl.where(input > 0, one, zero))


def signbit(input):
    T = _T()
    return T._make(xp_of(input._data).signbit(input._data))


def deg2rad(input):
    return input * (math.pi / 180)


def rad2deg(input):
    return input * (180 / math.pi)


def block_diag(*tensors):
    """Block-diagonal matrix from 0-, 1- or 2-D tensors (1-D is a row)."""
    dl = _dl()
    mats = [t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t for t in tensors]
    for i, t in enumerate(mats):
        if t.ndim != 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {tensors[i].ndim} dimensions")
    if not mats:
        return dl.empty(1, 0)
    cols = sum(t.shape[1] for t in mats)
    dt = mats[0].dtype
    for t in mats[1:]:
        dt = D.promote_types(dt, t.dtype)
    rows, c0 = [], 0
    for t in mats:
        left = dl.zeros(t.shape[0], c0, dtype=dt)
        right = dl.zeros(t.shape[0], cols - c0 - t.shape[1], dtype=dt)
        rows.append(dl.cat([left, t.to(dt), right], 1))
        c0 += t.shape[1]
    return dl.cat(rows, 0)


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    dl = _dl()
    T = _T()
    scalar_q = not isinstance(q, T)
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if not scalar_q and q.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if not scalar_q and q.dtype != input.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    qt = dl.tensor(q, dtype=input.dtype) if scalar_q else q
    if input.ndim == 0:  # a 0-d input: the flattened quantile, with or without dim / keepdim
        if dim is not None:
            U.norm_dim(dim, 0)
        return _quantile(input.reshape(1), q, None, False, interpolation, ignore_nan)
    if bool(((qt < 0) | (qt > 1)).any()):
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    x = input.reshape(-1) if dim is None else input.movedim(dim, -1)
    srt = x.sort(-1).values  # NaN sorts last
    n_valid = (~srt.isnan()).sum(-1, keepdim=True).to(input.dtype) if ignore_nan else \
        dl.full(srt.shape[:-1] + (1,), float(srt.shape[-1]), dtype=input.dtype)
    qv = qt.reshape(-1)
    rank = qv * (n_valid - 1).clamp(min=0)  # (..., Q)
    if interpolation == "lower":
        pos = rank.floor()
    elif interpolation == "higher":
        pos = rank.ceil()
    elif interpolation == "nearest":
        pos = rank.round()
    elif interpolation in ("linear", "midpoint"):
        pos = rank.floor()
    else:
        raise RuntimeError(f"quantile() interpolation must be one of linear, lower, higher, midpoint or "
                           f"nearest. Got {interpolation}")
    lo = pos.long().clamp(0, max(srt.shape[-1] - 1, 0))
    # torch's upper neighbour is ceil(rank) (== lo at a whole rank, so a NaN past the valid
    # values is never read)
    hi = rank.ceil().long().clamp(0, max(srt.shape[-1] - 1, 0))
    vlo = srt.gather(-1, lo)
    if interpolation in ("linear", "midpoint"):
        w = (rank - pos) if interpolation == "linear" else (rank > pos).to(input.dtype) * 0.5
        out = vlo + (srt.gather(-1, hi) - vlo) * w
    else:
        out = vlo
    if not ignore_nan:
        has_nan = srt.isnan().any(-1, keepdim=True)
        out = dl.where(has_nan, dl.full_like(out, float("nan")), out)
    else:
        out = dl.where(n_valid == 0, dl.full_like(out, float("nan")), out)
    out = out.movedim(-1, 0)  # (Q, ...)
    if keepdim:
        out = out.unsqueeze(-1) if dim is None else out.unsqueeze(U.norm_dim(dim, input.ndim) + 1)
        if dim is None:
            out = out.reshape((out.shape[0],) + (1,) * input.ndim)
    return out[0] if scalar_q or qt.ndim == 0 else out


def quantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear", out=None):
    """q-th quantiles along ``dim`` (flattened when None), interpolating between order statistics."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear", out=None):
    """``quantile`` ignoring NaNs."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=True)


def is_nonzero(input) -> bool:
    if input.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


def typename(obj) -> str:
    T = _T()
    if isinstance(obj, T):
        names = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                 "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
                 "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
        return "torch." + names.get(obj.dtype.name, "Tensor")
    mod = type(obj).__module__
    return type(obj).__qualname__ if mod in ("builtins", None) else f"{mod}.{type(obj).__qualname__}"


def combinations(input, r: int = 2, with_replacement: bool = False):
    """Length-r combinations of a 1-D tensor's elements, as rows (itertools order)."""
    import itertools

    dl = _dl()
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = list(gen(range(input.shape[0]), r)) if r > 0 else []  # torch: r = 0 gives no rows
    if not idx:
        return dl.empty(0, r, dtype=input.dtype) if r > 0 else dl.empty(0, dtype=input.dtype)
    return input[dl.tensor(idx, dtype=D.int64)]


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2)."""
    o = vec1.unsqueeze(1) * vec2.unsqueeze(0)
    if not D.promote_types(input.dtype, o.dtype).is_floating_point:
        for name, c in (("beta", beta), ("alpha", alpha)):
            if isinstance(c, float):
                raise RuntimeError(
                    f"For integral input tensors, argument {name} must not be a floating point number.")
    return (input if beta == 1 else input * beta) + (o if alpha == 1 else o * alpha)


def diagflat(input, offset: int = 0):
    return _dl().diag(input.reshape(-1), offset)


def vander(x, N: int | None = None, increasing: bool = False):
    """Columns are powers of x: x^(N-1), ..., x^0 (or increasing)."""
    dl = _dl()
    n = x.shape[0] if N is None else N
    p = dl.arange(n, dtype=x.dtype if x.dtype.is_floating_point else D.int64)
    if not increasing:
        p = p.flip(0)
    return x.unsqueeze(1) ** p


def cross(input, other, dim: int | None = None):
    """Cross product along ``dim`` (the first dim of size 3 when None, torch's legacy default)."""
    if dim is None:
        dim = next((i for i, s in enumerate(input.shape) if s == 3), -1)
    return _dl().linalg.cross(input, other, dim=dim)


class finfo:
    """Machine limits of a floating dtype: bits, eps, max, min, tiny, resolution."""

    def __init__(self, type=None) -> None:
        import numpy as np  # dtype metadata, not op code

        dt = D.get_default_dtype() if type is None else D.to_dtype(type)
        if not dt.is_floating_point:
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to "
                            f"handle '{type}'")
        fi = np.finfo(dt.np)
        self.dtype = dt.name
        self.bits = fi.bits
        self.eps = float(fi.eps)
        self.max = float(fi.max)
        self.min = float(fi.min)
        self.tiny = self.smallest_normal = float(fi.tiny)
        self.resolution = float(fi.resolution)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.tiny:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype: bits, max, min."""

    def __init__(self, type) -> None:
        import numpy as np

        dt = D.to_dtype(type)
        if dt.is_floating_point:
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            f"'{type}'")
        ii = np.iinfo(dt.np) if dt.name != "bool" else None
        self.dtype = dt.name
        self.bits = ii.bits if ii else 8
        self.max = int(ii.max) if ii else 1
        self.min = int(ii.min) if ii else 0

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
