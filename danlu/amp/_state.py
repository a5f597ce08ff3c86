"""The global autocast state and the casts the op wrappers apply (torch's autocast dispatch).

Per device type (``cpu``, ``cuda``): enabled flag and target ("fast") dtype.  ``None`` as the
CPU dtype stands for torch's default, ``bfloat16``, which danlu does not have.  Wrappers of the
ops torch autocasts call :func:`lower` (``lower_precision_fp`` policy: floating inputs other than
float64 -> the autocast dtype) or :func:`fp32` (``fp32`` policy: float16 inputs -> float32).  The
cast is an ordinary differentiable ``.to``, so gradients flow back in the original dtype.
"""
from __future__ import annotations

import contextlib

import functools
from typing import Any, Callable

from .. import _dtype as D

DEVICE_TYPES = ("cpu", "cuda")
_enabled: dict = {"cpu": False, "cuda": False}
_dtype: dict = {"cpu": None, "cuda": D.float16}
_cache = [True]
_nesting = [0]
_any = [False]          # fast path: no device has autocast on


def check_device(device_type: str) -> str:
    if device_type not in DEVICE_TYPES:
        raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
    return device_type


def set_enabled(device_type: str, enabled: bool) -> None:
    _enabled[check_device(device_type)] = bool(enabled)
    _any[0] = any(_enabled.values())


def _first_device(args) -> str | None:
    from .._tensor import Tensor

    for a in args:
        if isinstance(a, Tensor):
            return a.device.type
        if isinstance(a, (list, tuple)):
            d = _first_device(a)
            if d is not None:
                return d
    return None


def _cast_to(a: Any, dt) -> Any:
    from .._tensor import Tensor

    if isinstance(a, Tensor):
        if a.dtype.is_floating_point and a.dtype is not D.float64 and a.dtype is not dt:
            return a.to(dt)
        return a
    if isinstance(a, (list, tuple)):
        return type(a)(_cast_to(v, dt) for v in a)
    return a


@contextlib.contextmanager
def suspended():
    """Autocast off on every device inside the block (for an op that has already lowered its
    inputs and computes internally in float32), restored after."""
    saved, saved_any = dict(_enabled), _any[0]
    _enabled.update(dict.fromkeys(_enabled, False))
    _any[0] = False
    try:
        yield
    finally:
        _enabled.update(saved)
        _any[0] = saved_any


def lower(*args: Any) -> tuple:
    """``args`` with floating tensors (not float64) cast to the autocast dtype of their device,
    when autocast is on there; otherwise ``args`` unchanged."""
    if not _any[0]:
        return args
    dev = _first_device(args)
    if dev not in _enabled or not _enabled[dev]:
        return args
    dt = _dtype[dev]
    if dt is None:
        raise RuntimeError(bf16_message(dev))
    return tuple(_cast_to(a, dt) for a in args)


def _to_fp32(a: Any) -> Any:
    from .._tensor import Tensor

    if isinstance(a, Tensor):
        return a.to(D.float32) if a.dtype is D.float16 else a
    if isinstance(a, (list, tuple)):
        return type(a)(_to_fp32(v) for v in a)
    return a


def fp32(fn: Callable) -> Callable:
    """Wrap ``fn`` so that under autocast its float16 tensor arguments run in float32."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _any[0]:
            dev = _first_device(args)
            if dev in _enabled and _enabled[dev]:
                args = tuple(_to_fp32(a) for a in args)
                kwargs = {k: _to_fp32(v) for k, v in kwargs.items()}
        return fn(*args, **kwargs)
    wrapper.__wrapped_autocast_fp32__ = True
    return wrapper


def bf16_message(device_type: str) -> str:
    return (f"{device_type.upper()} autocast defaults to torch.bfloat16, which danlu does not have "
            f"(danlu has no bfloat16 dtype). Pass dtype=danlu.float16, e.g. "
            f"danlu.autocast('{device_type}', dtype=danlu.float16).")
