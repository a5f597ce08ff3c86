"""torch's legacy typed constructors: ``FloatTensor``, ``LongTensor``, ...

``danlu.FloatTensor(2, 3)`` is an (uninitialised) 2 x 3 float32 tensor, ``danlu.FloatTensor([1, 2])``
a float32 tensor of that data, ``danlu.FloatTensor(t)`` requires ``t`` to be float32 already (as
torch); ``isinstance(t, danlu.FloatTensor)`` tests the dtype, and ``t.type(danlu.LongTensor)``
converts.  Kept for old course code; new code uses ``danlu.tensor(..., dtype=...)``.
"""
from __future__ import annotations

import builtins

from . import _dtype as D
from ._tensor import Tensor


def _is_size(args) -> bool:
    """Positional ints, or one ``Size``, are a shape (a plain tuple or list is data, as in torch)."""
    from ._tensor import Size

    items = tuple(args[0]) if len(args) == 1 and isinstance(args[0], Size) else args
    return len(items) > 0 and all(isinstance(a, builtins.int) and not isinstance(a, builtins.bool)
                                  for a in items)


class _TensorType(type):
    """Metaclass of the legacy constructors: ``isinstance`` by dtype, calling constructs."""

    dtype: D.dtype

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args, device=None):
        from ._creation import empty, tensor

        if not args:
            return empty(0, dtype=cls.dtype, device=device)
        if len(args) == 1 and isinstance(args[0], Tensor):
            t = args[0]
            if t.dtype is not cls.dtype:
                raise TypeError(f"expected {cls.dtype} (got {t.dtype})")
            return t
        if _is_size(args):
            shape = tuple(args[0]) if len(args) == 1 and not isinstance(args[0], builtins.int) else args
            return empty(*shape, dtype=cls.dtype, device=device)
        if len(args) > 1:
            raise TypeError(f"new() received an invalid combination of arguments - got {len(args)} "
                            "positional arguments that are not all ints")
        return tensor(args[0], dtype=cls.dtype, device=device)

    def __repr__(cls) -> str:
        return f"<class 'danlu.{cls.__name__}'>"


_TYPES = {"FloatTensor": D.float32, "DoubleTensor": D.float64, "HalfTensor": D.float16,
          "LongTensor": D.int64, "IntTensor": D.int32, "ShortTensor": D.int16, "CharTensor": D.int8,
          "ByteTensor": D.uint8, "BoolTensor": D.bool_}
_BY_NAME = {}
for _name, _dt in _TYPES.items():
    _BY_NAME[_name] = globals()[_name] = _TensorType(_name, (), {"dtype": _dt, "__module__": "danlu"})


def legacy_dtype(spec):
    """The dtype a ``Tensor.type(...)`` argument names: a legacy class or 'torch.FloatTensor' /
    'danlu.FloatTensor' / 'FloatTensor'; None when ``spec`` is neither."""
    if isinstance(spec, _TensorType):
        return spec.dtype
    if isinstance(spec, str):
        name = spec.rsplit(".", 1)[-1]
        if name in _BY_NAME:
            return _BY_NAME[name].dtype
    return None


__all__ = list(_TYPES)
