"""Tensor creation: tensor/as_tensor/from_numpy, zeros/ones/full/empty (+ ``_like``), arange,
linspace, logspace, eye, and friends."""
from __future__ import annotations

import math
import numbers

import numpy as np

from . import _backend as B
from . import _dtype as D
from ._tensor import Tensor
from . import _memory_format as _MF


def _infer_dtype(data) -> D.dtype:
    """torch's inference: bools -> bool, ints -> int64, any float -> default float."""
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, np.ndarray):
        return D.from_np(data.dtype)
    if isinstance(data, bool):
        return D.bool_
    if isinstance(data, numbers.Integral):
        return D.int64
    if isinstance(data, numbers.Real):
        return D.get_default_dtype()
    if isinstance(data, np.generic):
        return D.from_np(data.dtype)
    if isinstance(data, (list, tuple)):
        kinds = [_infer_dtype(x) for x in data]
        if not kinds:
            return D.get_default_dtype()
        r = kinds[0]
        for k in kinds[1:]:
            r = D.promote_types(r, k) if (r._cat != k._cat or r is not k) else r
            if r._cat == 2:
                r = D.get_default_dtype() if all(
                    kk._cat < 2 or kk is D.get_default_dtype() for kk in kinds) else r
        return r
    if hasattr(data, "__array__"):
        return D.from_np(np.asarray(data).dtype)
    if isinstance(data, str):  # torch reads a str as a sequence of characters, one level too deep
        raise ValueError(f"too many dimensions '{type(data).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _array_from(data, dtype: D.dtype | None):
    if isinstance(data, Tensor):
        arr = data._data
        return arr.astype(dtype.np) if dtype is not None and arr.dtype != dtype.np else arr.copy()
    if dtype is None:
        dtype = _infer_dtype(data)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _tensor_list_to_np(data)
    try:
        arr = np.array(data, dtype=dtype.np)
    except ValueError as e:
        raise ValueError(_ragged_message(data) or f"expected sequence of equal length lists: {e}") from None
    return arr


def _ragged_message(data) -> str | None:
    """torch's message for nested lists of unequal lengths: the shape is read off the first element
    at each depth, and the first sequence of another length is reported."""
    shape, x = [], data
    while isinstance(x, (list, tuple)):
        shape.append(len(x))
        x = x[0] if len(x) else None

    def walk(x, dim):
        if dim >= len(shape) or not isinstance(x, (list, tuple)):
            return None
        if len(x) != shape[dim]:
            return f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)})"
        for y in x:
            m = walk(y, dim + 1)
            if m:
                return m
        return None

    return walk(data, 0)


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _tensor_list_to_np(data):
    if isinstance(data, Tensor):
        if data.numel() != 1 and data.ndim:
            return B.to_numpy(data._data)
        return B.to_numpy(data._data).reshape(()).item() if data.ndim == 0 else B.to_numpy(data._data)
    if isinstance(data, (list, tuple)):
        return [_tensor_list_to_np(x) for x in data]
    return data


def _finish(arr, device, requires_grad) -> Tensor:
    if device is not None:
        arr = B.move(arr, B.as_device(device))
    t = Tensor._make(arr, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """Copy ``data`` (nested lists, numbers, numpy arrays, tensors) into a new tensor."""
    if isinstance(data, Tensor):
        import warnings

        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.clone().detach() "
            "or sourceTensor.clone().detach().requires_grad_(True), rather than "
            "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
        arr = data._data.astype(D.to_dtype(dtype).np) if dtype is not None else data._data.copy()
        return _finish(arr, device if device is not None else data.device, requires_grad)
    arr = _array_from(data, D.to_dtype(dtype) if dtype is not None else None)
    return _finish(arr, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a numpy array / tensor when it can."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (dtype or device) else data
    if isinstance(data, np.ndarray) and data.dtype in D.NP2DT:
        dt = D.to_dtype(dtype) if dtype is not None else D.from_np(data.dtype)
        arr = data if dt.np == data.dtype else data.astype(dt.np)
        return _finish(arr, device, False)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (writes through both ways)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_np(ndarray.dtype)
    return Tensor._make(ndarray, None)


def _sz(size, fn: str | None = None):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"zeros(): argument 'size' must be tuple of ints, but found element of type {type(s).__name__}")
        if s < 0:
            if fn == "zeros":  # torch's zeros has its own wording
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _kw_size(fn: str, size: tuple, kw: dict) -> tuple:
    """The positional sizes, or torch's keyword form ``fn(size=(2, 3))``."""
    for name in kw:
        if name != "size":
            raise TypeError(f"{fn}() got an unexpected keyword argument '{name}'")
        if size:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        return (kw["size"],)
    return size


def _xp(device):
    return B.xp_for(B.as_device(device)) if device is not None else np


def _dt(dtype):
    return D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, **kw) -> Tensor:
    return _finish(_xp(device).zeros(_sz(_kw_size("zeros", size, kw), "zeros"), _dt(dtype).np), None,
                   requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, **kw) -> Tensor:
    return _finish(_xp(device).ones(_sz(_kw_size("ones", size, kw)), _dt(dtype).np), None, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None, out=None, **kw) -> Tensor:
    """Uninitialised; ``memory_format`` contiguous_format (default) / channels_last(_3d) sets the
    strides as torch's."""
    shape, xp = _sz(_kw_size("empty", size, kw)), _xp(device)
    if memory_format is None:
        return _finish(xp.empty(shape, _dt(dtype).np), None, requires_grad)
    arr = _MF.empty_as(xp, shape, _dt(dtype).np, _MF.check("empty", memory_format, False))
    return _finish(arr, None, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from the value)."""
    if not isinstance(fill_value, (numbers.Number, np.generic, Tensor)):
        raise TypeError("full(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(fill_value).__name__}")
    if dtype is None:
        if isinstance(fill_value, Tensor):
            dtype = fill_value.dtype
            fill_value = fill_value.item()
        else:
            dtype = _infer_dtype(fill_value)
    from ._ops._util import checked_scalar_array

    fill_value = checked_scalar_array(_xp(device), fill_value, D.to_dtype(dtype).np)  # torch's overflow error
    return _finish(_xp(device).full(_sz((size,) if isinstance(size, int) else size), fill_value,
                                    D.to_dtype(dtype).np), None, requires_grad)


def _like(kind):
    def fn(input, *args, dtype=None, device=None, requires_grad=False, memory_format=None):
        if not isinstance(input, Tensor):
            t = type(input)
            name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__name__}"
            raise TypeError(f"{kind}_like(): argument 'input' (position 1) must be Tensor, not {name}")
        dt = dtype if dtype is not None else input.dtype
        dev = device if device is not None else input.device
        if kind == "full":
            r = full(input.shape, args[0], dtype=dt, device=dev)
        else:
            r = globals()[kind](input.shape, dtype=dt, device=dev)
        r._data = _MF.like(r._data, input._data, memory_format)  # default: preserve_format
        return r.requires_grad_(requires_grad) if requires_grad else r

    fn.__name__ = kind + "_like"
    return fn


zeros_like = _like("zeros")
ones_like = _like("ones")
empty_like = _like("empty")
full_like = _like("full")


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values ``start, start + step, ...`` below ``end``; int64 when all arguments are ints."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = D.int64 if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                               for v in vals) else D.get_default_dtype()
    dt = D.to_dtype(dtype)
    n = max(int(math.ceil((end - start) / step)), 0)
    arr = (start + np.arange(n, dtype=np.float64 if dt.is_floating_point else np.int64) * step)
    return _finish(arr.astype(dt.np), device, requires_grad)


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``torch.range`` (deprecated): ``start, start + step, ...`` up to and *including* ``end``,
    floor((end - start) / step) + 1 values, of the default float dtype unless ``dtype``."""
    import warnings

    if end is None:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its behavior "
        "is inconsistent with Python's range builtin. Instead, use torch.arange, which produces "
        "values in [start, end).", UserWarning, stacklevel=2)
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    dt = _dt(dtype)
    n = int(math.floor((end - start) / step)) + 1
    arr = start + np.arange(n, dtype=np.float64 if dt.is_floating_point else np.int64) * step
    return _finish(arr.astype(dt.np), device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dt(dtype)
    # torch computes from both ends to keep the endpoint exact
    arr = np.linspace(float(start), float(end), int(steps), dtype=np.float64)
    if not dt.is_floating_point:
        arr = np.trunc(arr)
    return _finish(arr.astype(dt.np), device, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    arr = np.power(base, np.linspace(float(start), float(end), int(steps)))
    return _finish(arr.astype(_dt(dtype).np), device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_xp(device).eye(n, n if m is None else m, dtype=_dt(dtype).np), None,
                   requires_grad)


def tril_indices(row, col, offset=0, *, dtype=None, device=None) -> Tensor:
    r, c = np.tril_indices(row, offset, col)
    return _finish(np.stack([r, c]).astype(_dt(dtype or D.int64).np), device, False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None) -> Tensor:
    r, c = np.triu_indices(row, offset, col)
    return _finish(np.stack([r, c]).astype(_dt(dtype or D.int64).np), device, False)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.asarray(s, dtype=_dt(dtype).np), device, requires_grad)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input) -> int:
    return input.numel()


def clone(input, *, memory_format=None) -> Tensor:
    return input.clone(memory_format=memory_format)


def complex(*a, **k):  # pragma: no cover - torch has it; danlu does not do complex numbers
    raise TypeError("danlu does not support complex tensors")


# -- window functions ----------------------------------------------------------------------
def _window(name, window_length, periodic, dtype, device, requires_grad, fn) -> Tensor:
    """``fn(n, N)`` evaluated at n = 0..L-1 with N = L + 1 when ``periodic`` (the last sample of
    the symmetric window of length L + 1 dropped), else N = L."""
    dt = _dt(dtype)
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    if window_length == 0:
        arr = np.zeros(0)
    elif window_length == 1:
        arr = np.ones(1)
    else:
        big = window_length + 1 if periodic else window_length
        arr = fn(np.arange(big, dtype=np.float64), big)[:window_length]
    return _finish(arr.astype(dt.np), device, requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, device=None,
                requires_grad: bool = False, layout=None) -> Tensor:
    """w[n] = 0.5 - 0.5 cos(2 pi n / (N - 1))."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: 0.5 - 0.5 * np.cos(2 * np.pi * n / (N - 1)))


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype=None, device=None, requires_grad: bool = False,
                   layout=None) -> Tensor:
    """w[n] = alpha - beta cos(2 pi n / (N - 1))."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: alpha - beta * np.cos(2 * np.pi * n / (N - 1)))


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, device=None,
                    requires_grad: bool = False, layout=None) -> Tensor:
    """w[n] = 1 - |2 n / (N - 1) - 1|."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: 1 - np.abs(2 * n / (N - 1) - 1))


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, device=None,
                    requires_grad: bool = False, layout=None) -> Tensor:
    """w[n] = 0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: 0.42 - 0.5 * np.cos(2 * np.pi * n / (N - 1))
                   + 0.08 * np.cos(4 * np.pi * n / (N - 1)))


def _bessel_i0(x):
    """I0(x) = sum_k ((x / 2)^(2k)) / (k!)^2, summed until the terms stop mattering."""
    x = np.asarray(x, dtype=np.float64)
    q = (x / 2) ** 2
    term = np.ones_like(x)
    total = np.ones_like(x)
    k = 1
    while True:
        term = term * q / (k * k)
        total = total + term
        if np.all(term <= np.finfo(np.float64).eps * total) or k > 1000:
            return total
        k += 1


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None,
                  device=None, requires_grad: bool = False, layout=None) -> Tensor:
    """w[n] = I0(beta sqrt(1 - ((n - a) / a)^2)) / I0(beta) with a = (N - 1) / 2."""
    def fn(n, N):
        a = (N - 1) / 2
        return _bessel_i0(beta * np.sqrt(np.clip(1 - ((n - a) / a) ** 2, 0, None))) / _bessel_i0(beta)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, fn)
