"""dtypes and torch's type-promotion rules.

Promotion (``result_type``) follows torch: operands fall into three priority classes,
tensors with dims > 0, zero-dim tensors, and Python scalars.  A lower class only changes the
result when it is of a higher *category* (bool < integer < floating), e.g.
``int64 tensor + 2.5 -> float32`` (the default dtype), ``float32 tensor + float64 0-d tensor
-> float32``.
"""
from __future__ import annotations

import numpy as np


class dtype:
    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_cat", "_rank")

    def __init__(self, name: str, npdt, cat: int, rank: int) -> None:
        self.name = name
        self.np = np.dtype(npdt)
        self.is_floating_point = cat == 2
        self.is_signed = name not in ("uint8", "bool")
        self.itemsize = self.np.itemsize
        self._cat = cat  # 0 bool, 1 integer, 2 floating
        self._rank = rank

    @property
    def is_complex(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "danlu." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))


bool_ = dtype("bool", np.bool_, 0, 0)
uint8 = dtype("uint8", np.uint8, 1, 1)
int8 = dtype("int8", np.int8, 1, 1)
int16 = dtype("int16", np.int16, 1, 2)
int32 = dtype("int32", np.int32, 1, 3)
int64 = dtype("int64", np.int64, 1, 4)
float16 = dtype("float16", np.float16, 2, 1)
float32 = dtype("float32", np.float32, 2, 2)
float64 = dtype("float64", np.float64, 2, 3)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
NP2DT = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}
_NAMES.update({"float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
               "short": int16, "bool": bool_})


def _by_name(name: str) -> dtype:
    return _NAMES[name]


class _Default:
    float = float32


def get_default_dtype() -> dtype:
    return _Default.float


def set_default_dtype(d: dtype) -> None:
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _Default.float = d


def to_dtype(d) -> dtype:
    """Accept a danlu dtype, a numpy dtype, a Python type or a name."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return _Default.float
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str):
        if d in _NAMES:
            return _NAMES[d]
    try:
        return NP2DT[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"unsupported dtype: {d!r}") from None


def from_np(npdt) -> dtype:
    try:
        return NP2DT[npdt]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {npdt}. The only supported types are: float64, "
            "float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def promote_types(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a._cat != b._cat:
        hi, lo = (a, b) if a._cat > b._cat else (b, a)
        return hi
    if a._cat == 1:
        # uint8 with a signed type: the smallest signed type holding both
        if a is uint8 or b is uint8:
            other = b if a is uint8 else a
            return int16 if other is int8 else other
    return a if a._rank >= b._rank else b


def scalar_dtype(v) -> dtype:
    if isinstance(v, bool):
        return bool_
    if isinstance(v, int):
        return int64
    if isinstance(v, float):
        return _Default.float
    if isinstance(v, np.generic):
        return from_np(v.dtype)
    raise TypeError(f"unsupported scalar type {type(v).__name__}")


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher._cat == 2:
        return higher
    if higher is bool_ or lower._cat == 2:
        return promote_types(higher, lower)
    return higher


def result_type_from(dims: list, zeros: list, wrapped: list) -> dtype:
    """torch's ``result_type`` given dtypes of dim-tensors, 0-d tensors and Python scalars."""
    def fold(ds):
        r = None
        for d in ds:
            r = d if r is None else promote_types(r, d)
        return r

    return _combine(fold(dims), _combine(fold(zeros), fold(wrapped)))
