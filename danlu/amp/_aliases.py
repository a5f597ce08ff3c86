"""torch's deprecated per-device spellings: ``cuda.amp.*`` and ``cpu.amp.*`` (FutureWarning)."""
from __future__ import annotations

import warnings
from typing import Any, Callable

from .. import _dtype as D
from . import autocast_mode as A
from .grad_scaler import GradScaler as _GradScaler


def _warn(old: str, new: str) -> None:
    warnings.warn(f"`{old}(args...)` is deprecated. Please use `{new}` instead.", FutureWarning,
                  stacklevel=3)


class CudaAutocast(A.autocast):
    """``danlu.cuda.amp.autocast`` = ``danlu.amp.autocast('cuda', ...)`` (deprecated)."""

    def __init__(self, enabled: bool = True, dtype=D.float16, cache_enabled: bool = True) -> None:
        _warn("torch.cuda.amp.autocast", "torch.amp.autocast('cuda', args...)")
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


class CpuAutocast(A.autocast):
    """``danlu.cpu.amp.autocast`` = ``danlu.amp.autocast('cpu', ...)`` (deprecated); its default
    dtype is torch's bfloat16, which danlu lacks, so pass ``dtype=danlu.float16``."""

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True) -> None:
        _warn("torch.cpu.amp.autocast", "torch.amp.autocast('cpu', args...)")
        if dtype is None and enabled:
            from ._state import bf16_message

            raise RuntimeError(bf16_message("cpu"))
        super().__init__("cpu", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


class CudaGradScaler(_GradScaler):
    """``danlu.cuda.amp.GradScaler`` = ``danlu.amp.GradScaler('cuda', ...)`` (deprecated)."""

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        _warn("torch.cuda.amp.GradScaler", "torch.amp.GradScaler('cuda', args...)")
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


class CpuGradScaler(_GradScaler):
    """``danlu.cpu.amp.GradScaler`` = ``danlu.amp.GradScaler('cpu', ...)`` (deprecated)."""

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        _warn("torch.cpu.amp.GradScaler", "torch.amp.GradScaler('cpu', args...)")
        super().__init__("cpu", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


def cuda_custom_fwd(fwd: Callable | None = None, *, cast_inputs: Any = None) -> Callable:
    """``danlu.cuda.amp.custom_fwd`` (deprecated): ``amp.custom_fwd(device_type='cuda')``."""
    warnings.warn("`torch.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_fwd(args..., device_type='cuda')` instead.", FutureWarning,
                  stacklevel=2)
    return A.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def cuda_custom_bwd(bwd: Callable) -> Callable:
    """``danlu.cuda.amp.custom_bwd`` (deprecated): ``amp.custom_bwd(device_type='cuda')``."""
    warnings.warn("`torch.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_bwd(args..., device_type='cuda')` instead.", FutureWarning,
                  stacklevel=2)
    return A.custom_bwd(bwd, device_type="cuda")
