"""``danlu.testing``: ``assert_close`` and ``make_tensor`` (torch.testing's API and messages).

``assert_close(actual, expected)`` passes when ``|actual - expected| <= atol + rtol * |expected|``
elementwise (``isclose``), after checking type, shape, dtype, device (and optionally stride).
Default ``(rtol, atol)`` by dtype, as torch's: float16 ``(1e-3, 1e-5)``, bfloat16
``(1.6e-2, 1e-5)``, float32 ``(1.3e-6, 1e-5)``, float64 ``(1e-7, 1e-7)``, everything else
exact; Python floats use float64's.  Sequences and mappings are compared item by item.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Callable

from ._tensor import Tensor

__all__ = ["assert_close", "make_tensor", "assert_allclose"]

_PRECISIONS = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


class _Fail(Exception):
    def __init__(self, exc_type, msg: str, path: str = "") -> None:
        super().__init__(msg)
        self.exc_type, self.msg, self.path = exc_type, msg, path


def _tolerances(*dtypes, rtol, atol):
    if (rtol is None) ^ (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    if rtol is not None:
        return rtol, atol
    rs, as_ = zip(*[_PRECISIONS.get(d, (0.0, 0.0)) for d in dtypes])
    return max(rs), max(as_)


def _mismatch(identifier, default: str, equality: bool, extra: str, abs_d, abs_i, atol, rel_d, rel_i, rtol):
    ident = default if identifier is None else identifier(default) if callable(identifier) else identifier
    msg = f"{ident} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += extra.strip() + "\n"
    for kind, d, i, tol in (("absolute", abs_d, abs_i, atol), ("relative", rel_d, rel_i, rtol)):
        msg += f"{kind.title()} difference: {d}" if i is None else f"Greatest {kind} difference: {d} at index {i}"
        if not equality:
            msg += f" (up to {tol} allowed)"
        msg += "\n"
    return msg.strip()


def _is_number(x) -> bool:
    return isinstance(x, (int, float, complex)) and not isinstance(x, bool)


def _compare_numbers(actual, expected, *, rtol, atol, equal_nan, check_dtype):
    if check_dtype and type(actual) is not type(expected):
        raise _Fail(AssertionError, f"The (d)types do not match: {type(actual)} != {type(expected)}.")
    dt = "float64" if isinstance(actual, float) or isinstance(expected, float) else "int64"
    rtol, atol = _tolerances(dt, rtol=rtol, atol=atol)
    if actual == expected or (equal_nan and actual != actual and expected != expected):
        return
    diff = abs(actual - expected)
    if not (math.isnan(diff) or math.isinf(diff)) and diff <= atol + rtol * abs(expected):
        return
    rel = float("inf") if expected == 0 else diff / abs(expected)
    raise _Fail(AssertionError, _mismatch(None, "Scalars", rtol == 0 and atol == 0,
                                          f"Expected {expected} but got {actual}.", diff, None, atol,
                                          rel, None, rtol))


def _compare_tensors(actual: Tensor, expected: Tensor, *, rtol, atol, equal_nan, check_device,
                     check_dtype, check_layout, check_stride, identifier):
    from ._dtype import get_default_dtype, promote_types

    def attr(name, a, e):
        if a != e:
            raise _Fail(AssertionError, f"The values for attribute '{name}' do not match: {a} != {e}.")

    attr("shape", actual.shape, expected.shape)
    if check_device:
        attr("device", actual.device, expected.device)
    if check_dtype:
        attr("dtype", actual.dtype, expected.dtype)
    if check_stride:
        attr("stride()", actual.stride(), expected.stride())
    rtol, atol = _tolerances(actual.dtype.name, expected.dtype.name, rtol=rtol, atol=atol)
    a, e = actual.detach(), expected.detach()
    if a.dtype != e.dtype:
        dt = promote_types(a.dtype, e.dtype)
        a, e = a.to(dt), e.to(dt)
    if a.device != e.device:
        a = a.to(e.device)
    xp_a = a.cpu().numpy() if hasattr(a, "cpu") else a.numpy()
    xp_e = e.cpu().numpy() if hasattr(e, "cpu") else e.numpy()
    import numpy as np  # the comparison itself runs on the host

    if xp_a.dtype.kind == "b":
        matches = xp_a == xp_e
    elif xp_a.dtype.kind in "iu":
        matches = xp_a.astype(np.int64) == xp_e.astype(np.int64)
        if rtol or atol:
            matches = np.abs(xp_a.astype(np.float64) - xp_e) <= atol + rtol * np.abs(xp_e.astype(np.float64))
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            err = np.abs(xp_a - xp_e)
            matches = (xp_a == xp_e) | (np.isfinite(err) & (err <= atol + np.abs(rtol * xp_e)))
            if equal_nan:
                matches |= np.isnan(xp_a) & np.isnan(xp_e)
    if matches.all():
        return
    equality = rtol == 0 and atol == 0
    if xp_a.ndim == 0:
        av, ev = a.item(), e.item()
        diff = abs(av - ev)
        rel = float("inf") if ev == 0 else diff / abs(ev)
        raise _Fail(AssertionError, _mismatch(identifier, "Scalars", equality, f"Expected {ev} but got {av}.",
                                              diff, None, atol, rel, None, rtol))
    n = matches.size
    bad = n - int(matches.sum())
    extra = f"Mismatched elements: {bad} / {n} ({bad / n:.1%})"
    fa, fe, fm = xp_a.reshape(-1), xp_e.reshape(-1), matches.reshape(-1)
    if fa.dtype.kind in "biu":
        fa, fe = fa.astype(np.int64), fe.astype(np.int64)
        absd = np.abs(fa - fe)
        absd[fm] = 0
        with np.errstate(invalid="ignore", divide="ignore"):  # int / int: the default float dtype
            reld = (absd / np.abs(fe)).astype(get_default_dtype().name)
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            absd = np.abs(fa - fe)
        absd[fm] = 0
        with np.errstate(invalid="ignore", divide="ignore"):
            reld = absd / np.abs(fe)
    reld[fm] = 0
    # torch.max propagates NaN: the first NaN wins
    def amax(v):
        if v.dtype.kind == "f" and np.isnan(v).any():
            return int(np.argmax(np.isnan(v)))
        return int(np.argmax(v))

    ia, ir = amax(absd), amax(reld)
    shape = xp_a.shape
    raise _Fail(AssertionError, _mismatch(identifier, "Tensor-likes", equality, extra,
                                          absd[ia].item(), tuple(int(i) for i in np.unravel_index(ia, shape)),
                                          atol, reld[ir].item(),
                                          tuple(int(i) for i in np.unravel_index(ir, shape)), rtol))


def _compare(actual, expected, path: str, **kw) -> None:
    try:
        if actual is None or expected is None:
            if actual is None and expected is None:
                return
            raise _Fail(AssertionError, f"None mismatch: {actual} is not {expected}")
        if isinstance(actual, Tensor) and isinstance(expected, Tensor):
            return _compare_tensors(actual, expected, **kw)
        if _is_number(actual) and _is_number(expected):
            return _compare_numbers(actual, expected, rtol=kw["rtol"], atol=kw["atol"],
                                    equal_nan=kw["equal_nan"], check_dtype=kw["check_dtype"])
        if isinstance(actual, bool) and isinstance(expected, bool):
            if actual != expected:
                raise _Fail(AssertionError, f"Booleans mismatch: {actual} is not {expected}")
            return
        if isinstance(actual, Mapping) and isinstance(expected, Mapping):
            ka, ke = list(actual.keys()), list(expected.keys())
            if set(ka) != set(ke):
                missing = [k for k in ke if k not in actual]
                extra = [k for k in ka if k not in expected]
                raise _Fail(AssertionError, "The keys of the mappings do not match:\n"
                            f"Missing keys in the actual mapping: {sorted(missing, key=repr)}\n"
                            f"Additional keys in the actual mapping: {sorted(extra, key=repr)}")
            for k in ke:
                _compare(actual[k], expected[k], f"{path}[{k!r}]", **kw)
            return
        if (isinstance(actual, Sequence) and isinstance(expected, Sequence)
                and not isinstance(actual, str) and not isinstance(expected, str)):
            if len(actual) != len(expected):
                raise _Fail(AssertionError, f"The length of the sequences mismatch: {len(actual)} != "
                            f"{len(expected)}")
            for i, (a, e) in enumerate(zip(actual, expected)):
                _compare(a, e, f"{path}[{i}]", **kw)
            return
    except _Fail as f:
        if not f.path:
            f.path = path
        raise
    raise _Fail(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and "
                f"{type(expected)}.")


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: str | Callable[[str], str] | None = None) -> None:
    """Raise ``AssertionError`` (torch's message: mismatched count, greatest absolute and relative
    difference with their index) unless ``actual`` and ``expected`` are close."""
    if (rtol is None) ^ (atol is None):
        _tolerances("float64", rtol=rtol, atol=atol)  # raises torch's error: both or neither
    try:
        _compare(actual, expected, "", rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                 check_dtype=check_dtype, check_layout=check_layout, check_stride=check_stride,
                 identifier=None)
    except _Fail as f:
        text = f.msg
        if f.exc_type is AssertionError:
            if f.path:
                text += f"\n\nThe failure occurred for item {f.path}"
            if callable(msg):
                text = msg(text)
            elif msg is not None:
                text = msg
        raise f.exc_type(text) from None


def make_tensor(*shape, dtype, device=None, low: float | None = None, high: float | None = None,
                requires_grad: bool = False, noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format=None) -> Tensor:
    """Random tensor with values uniform in ``[low, high)``: defaults ``[-9, 9)`` for floats,
    ``[-9, 10)`` for signed and ``[0, 10)`` for unsigned integers, {False, True} for bool."""
    import warnings

    from . import _dtype as D
    from ._creation import empty
    from ._ops.composite import finfo, iinfo
    from ._random import rand, randint

    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually exclusive, "
                         f"but got noncontiguous={noncontiguous} and memory_format={memory_format}")
    is_float = dtype.is_floating_point
    if requires_grad and not is_float:
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral dtypes, but got "
                         f"dtype={dtype}")
    numel = math.prod(shape)
    noncontiguous = noncontiguous and numel > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])

    def bounds(lo_inc, hi_exc, dlow, dhigh):
        lo = dlow if low is None else low
        hi = dhigh if high is None else high
        if any(isinstance(v, float) and math.isnan(v) for v in (lo, hi)):
            raise ValueError(f"`low` and `high` cannot be NaN, but got low={lo} and high={hi}")
        if lo == hi and is_float:
            warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or complex types "
                          "is deprecated since 2.1 and will be removed in 2.3. Use `torch.full(...)` "
                          "instead.", FutureWarning, stacklevel=3)
        elif lo >= hi:
            raise ValueError(f"`low` must be less than `high`, but got {lo} >= {hi}")
        elif hi < lo_inc or lo >= hi_exc:
            raise ValueError(f"The value interval specified by `low` and `high` is [{lo}, {hi}), but {dtype} "
                             f"only supports [{lo_inc}, {hi_exc})")
        lo, hi = min(max(lo, lo_inc), hi_exc), min(max(hi, lo_inc), hi_exc)
        return (math.ceil(lo), math.ceil(hi)) if not is_float else (lo, hi)

    if dtype == D.bool_:
        lo, hi = bounds(0, 2, 0, 2)
        result = randint(lo, hi, shape, dtype=D.int64).to(dtype)
    elif not is_float:
        info = iinfo(dtype)
        lo, hi = bounds(info.min, info.max + (1 if dtype != D.int64 else 0), -9, 10)
        result = randint(lo, hi, shape, dtype=dtype)
    else:
        info = finfo(dtype)
        lo, hi = bounds(info.min, info.max, -9, 9)
        result = empty(shape, dtype=dtype)
        u = rand(shape, dtype=D.float64)
        result = (u * (hi - lo) + lo).to(dtype) if lo != hi else result.fill_(lo)
    if device is not None and str(device) != "cpu":
        result = result.to(device)
    if exclude_zero:  # on the whole buffer, so a noncontiguous slice stays a view
        result = result.masked_fill(result == 0, 1 if not is_float else finfo(dtype).tiny)
    if noncontiguous:
        result = result[..., 1::2]
    if is_float:
        result.requires_grad_(requires_grad)
    return result


_ALLCLOSE_PREC = {"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-5, 1e-8)}


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None, atol: float | None = None,
                    equal_nan: bool = True, msg: str = "") -> None:
    """Deprecated (FutureWarning, as torch): ``assert_close`` without the dtype check, nan equal
    by default; default ``(rtol, atol)`` the largest of float16 (1e-3, 1e-3), float32
    (1e-4, 1e-5), float64 (1e-5, 1e-8) over the two dtypes (0, 0 for others)."""
    import warnings

    from ._creation import tensor

    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a "
                  "future release. Please use `torch.testing.assert_close()` instead. You can find "
                  "detailed upgrade instructions in https://github.com/pytorch/pytorch/issues/61844.",
                  FutureWarning, stacklevel=2)
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        pr = [_ALLCLOSE_PREC.get(t.dtype.name, (0.0, 0.0)) for t in (actual, expected)]
        rtol, atol = max(p[0] for p in pr), max(p[1] for p in pr)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True,
                 check_dtype=False, check_stride=False, msg=msg or None)
