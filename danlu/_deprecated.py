"""torch's deprecated global setters.

* ``set_default_tensor_type(t)``: ``t`` a legacy floating class (``danlu.DoubleTensor``, ...) or its
  dotted name (``'torch.DoubleTensor'``) -> ``set_default_dtype(t.dtype)``.  Warns once per process,
  as torch (``TORCH_WARN_ONCE``).
* ``set_autocast_cpu_dtype(d)`` / ``set_autocast_gpu_dtype(d)`` / ``set_autocast_cpu_enabled(b)``:
  ``set_autocast_dtype('cpu' | 'cuda', d)`` / ``set_autocast_enabled('cpu', b)``, with torch's
  argument checks and DeprecationWarning.
"""
from __future__ import annotations

import warnings

from . import _dtype as D

__all__ = ["set_default_tensor_type", "set_autocast_cpu_dtype", "set_autocast_gpu_dtype",
           "set_autocast_cpu_enabled"]

_WARNED = [False]
_INVALID = "invalid type object: only floating-point types are supported as the default type"


def _import_dotted_name(name: str):
    """The object a dotted name names; a leading ``torch`` (or ``danlu``) means danlu."""
    import importlib

    parts = name.split(".")
    if parts[0] in ("torch", "danlu"):
        if parts[1:2] == ["cuda"] and len(parts) == 3:
            from ._legacy import _BY_NAME
            if parts[2] in _BY_NAME:  # no legacy CUDA types: danlu cannot default to the GPU
                raise TypeError(f"type {name} not available. Torch not compiled with CUDA enabled.")
        obj = importlib.import_module("danlu")
    else:
        obj = __import__(parts[0])
    for part in parts[1:]:
        obj = getattr(obj, part)
    return obj


def set_default_tensor_type(t, /) -> None:
    """Deprecated: the default floating dtype becomes that of the legacy tensor type ``t``
    (``danlu.FloatTensor``, ``DoubleTensor``, ``HalfTensor``, or its name)."""
    from ._legacy import _TensorType

    if isinstance(t, str):
        t = _import_dotted_name(t)
    if not _WARNED[0]:
        _WARNED[0] = True
        warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                      "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                      UserWarning, stacklevel=2)
    if not isinstance(t, _TensorType):
        raise TypeError(_INVALID)
    D.set_default_dtype(t.dtype)


def _one_arg(fn: str, args: tuple, kwargs: dict):
    if kwargs:
        raise TypeError(f"torch.{fn}() takes no keyword arguments")
    if len(args) != 1:
        raise TypeError(f"torch.{fn}() takes exactly one argument ({len(args)} given)")
    return args[0]


def _dtype_arg(fn: str, args: tuple, kwargs: dict):
    d = _one_arg(fn, args, kwargs)
    if not isinstance(d, D.dtype):
        raise TypeError(f"dtype must be a torch.dtype (got {type(d).__name__})")
    return d


def set_autocast_cpu_dtype(*args, **kwargs) -> None:
    """Deprecated: ``set_autocast_dtype('cpu', dtype)``."""
    from .amp.autocast_mode import set_autocast_dtype

    d = _dtype_arg("set_autocast_cpu_dtype", args, kwargs)
    warnings.warn("torch.set_autocast_cpu_dtype(dtype) is deprecated. Please use "
                  "torch.set_autocast_dtype('cpu', dtype) instead.", DeprecationWarning, stacklevel=2)
    set_autocast_dtype("cpu", d)


def set_autocast_gpu_dtype(*args, **kwargs) -> None:
    """Deprecated: ``set_autocast_dtype('cuda', dtype)``."""
    from .amp.autocast_mode import set_autocast_dtype

    d = _dtype_arg("set_autocast_gpu_dtype", args, kwargs)
    warnings.warn("torch.set_autocast_gpu_dtype(dtype) is deprecated. Please use "
                  "torch.set_autocast_dtype('cuda', dtype) instead.", DeprecationWarning, stacklevel=2)
    set_autocast_dtype("cuda", d)


def set_autocast_cpu_enabled(*args, **kwargs) -> None:
    """Deprecated: ``set_autocast_enabled('cpu', enabled)``."""
    from .amp.autocast_mode import set_autocast_enabled

    enabled = _one_arg("set_autocast_cpu_enabled", args, kwargs)
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool (got {type(enabled).__name__})")
    warnings.warn("torch.set_autocast_cpu_enabled(enabled) is deprecated. Please use "
                  "torch.set_autocast_enabled('cpu', enabled) instead.", DeprecationWarning, stacklevel=2)
    set_autocast_enabled("cpu", enabled)
