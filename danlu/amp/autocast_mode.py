"""``danlu.autocast`` (torch.amp.autocast) and the autocast state functions.

Inside ``autocast(device_type, dtype)`` the ops torch's autocast lists as lower-precision
(linear, conv*, matmul, mm, bmm, addmm, baddbmm, addbmm, einsum, prelu,
scaled_dot_product_attention, ...) cast their floating inputs (not float64) to ``dtype``, and
the float32-list ops (the losses) run float16 inputs in float32; every other op runs on what it
gets.  danlu has no bfloat16, torch's CPU default: ``autocast('cpu')`` needs
``dtype=danlu.float16``.  (The cast cache of ``cache_enabled`` only saves time in torch; danlu
accepts the flag and casts afresh.)
"""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from .. import _dtype as D
from . import _state as S

__all__ = ["autocast", "is_autocast_available", "custom_fwd", "custom_bwd", "is_autocast_enabled",
           "set_autocast_enabled", "get_autocast_dtype", "set_autocast_dtype",
           "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache",
           "autocast_increment_nesting", "autocast_decrement_nesting"]


def _dev(device_type: str) -> str:
    if device_type not in S.DEVICE_TYPES:
        raise RuntimeError("Expected one of cpu, cuda device type at start of device string: "
                           f"{device_type}")
    return device_type


def is_autocast_available(device_type: str) -> bool:
    """True for the device types autocast supports here (``cpu``, ``cuda``)."""
    return device_type in S.DEVICE_TYPES


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on for ``device_type`` (``None``: cuda, as torch)."""
    return S._enabled[_dev("cuda" if device_type is None else device_type)]


def set_autocast_enabled(*args: Any) -> None:
    """``set_autocast_enabled(device_type, enabled)``; the one-argument form sets cuda."""
    if len(args) == 1:
        warnings.warn("torch.set_autocast_enabled(enabled) is deprecated. Please use "
                      "torch.set_autocast_enabled(device_type, enabled) instead.", DeprecationWarning,
                      stacklevel=2)
        S.set_enabled("cuda", args[0])
        return
    device_type, enabled = args
    S.set_enabled(_dev(device_type), enabled)


def get_autocast_dtype(device_type: str):
    """The autocast dtype of ``device_type`` (float16 on cuda; on cpu only once set, since
    torch's default there is bfloat16, which danlu lacks)."""
    dt = S._dtype[_dev(device_type)]
    if dt is None:
        raise RuntimeError(S.bf16_message(device_type))
    return dt


def set_autocast_dtype(device_type: str, dtype) -> None:
    """Set the autocast dtype of ``device_type``."""
    S._dtype[_dev(device_type)] = dtype


def is_autocast_cache_enabled() -> bool:
    return S._cache[0]


def set_autocast_cache_enabled(enabled: bool) -> None:
    S._cache[0] = bool(enabled)


def clear_autocast_cache() -> None:
    """No cast cache is kept, so nothing to clear."""


def autocast_increment_nesting() -> int:
    S._nesting[0] += 1
    return S._nesting[0]


def autocast_decrement_nesting() -> int:
    S._nesting[0] -= 1
    return S._nesting[0]


class autocast:
    """Context manager / decorator: run the autocast ops of the region in ``dtype``.

    ``device_type`` 'cpu' or 'cuda'; ``dtype`` float16 (cuda's default; required on cpu, whose
    torch default bfloat16 danlu does not have); ``enabled=False`` turns autocast off inside."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in S.DEVICE_TYPES:
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.device = device_type
        self.fast_dtype = S._dtype[device_type] if dtype is None else dtype
        self._cache_enabled = S._cache[0] if cache_enabled is None else bool(cache_enabled)
        if enabled:
            if self.fast_dtype is None:
                raise RuntimeError(S.bf16_message(device_type))
            if device_type == "cuda":
                from .. import cuda

                if not cuda.is_available():
                    warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                                  stacklevel=2)
                    enabled = False
            elif self.fast_dtype is not D.float16:
                name = device_type.upper()
                warnings.warn(f"In {name} autocast, but the target dtype is not supported. Disabling "
                              f"autocast.\n{name} Autocast only supports dtypes of torch.bfloat16, "
                              "torch.float16 currently.", stacklevel=2)
                enabled = False
        self._enabled = bool(enabled)

    def __enter__(self) -> autocast:
        self.prev_cache_enabled = S._cache[0]
        self.prev = S._enabled[self.device]
        self.prev_fastdtype = S._dtype[self.device]
        S.set_enabled(self.device, self._enabled)
        if self.fast_dtype is not None:
            S._dtype[self.device] = self.fast_dtype
        autocast_increment_nesting()
        S._cache[0] = self._cache_enabled
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> bool:
        autocast_decrement_nesting()
        S.set_enabled(self.device, self.prev)
        S._dtype[self.device] = self.prev_fastdtype
        S._cache[0] = self.prev_cache_enabled
        return False

    def __call__(self, func: Callable) -> Callable:
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. Did you mean "
                "to use autocast as a context manager? For example:\n"
                "    with torch.autocast(device_type=...):\n        output = model(input)")

        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorate_autocast


def _cast(value: Any, device_type: str, dtype) -> Any:
    from .._tensor import Tensor

    if isinstance(value, Tensor):
        ok = (value.dtype.is_floating_point and value.device.type == device_type
              and value.dtype is not D.float64)
        return value.to(dtype) if ok else value
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, dict):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, device_type, dtype) for v in value)
    return value


def custom_fwd(fwd: Callable | None = None, *, device_type: str, cast_inputs=None) -> Callable:
    """Decorator for a custom autograd Function's ``forward``: with ``cast_inputs`` set, under
    autocast the forward runs with autocast off on inputs cast to ``cast_inputs``."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = S._dtype[_dev(device_type)]
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        on = is_autocast_enabled(device_type)
        args[0]._fwd_used_autocast = False
        if on:
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs),
                           **_cast(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd: Callable | None = None, *, device_type: str) -> Callable:
    """Decorator for a custom autograd Function's ``backward``: runs it under the autocast
    state its forward saw."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast,
                      dtype=args[0]._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd
