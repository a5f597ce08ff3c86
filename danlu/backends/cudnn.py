"""``danlu.backends.cudnn``: the cuDNN switches as remembered flags (danlu has no cuDNN)."""
from __future__ import annotations

import sys
import types
from contextlib import contextmanager

from ._flags import BoolFlag

# also module attributes: enabled, benchmark, deterministic, allow_tf32 (type-checked
# properties of the module's class, below) and benchmark_limit
__all__ = ["is_available", "version", "flags", "benchmark_limit"]

_state = {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True}


def is_available() -> bool:
    """Whether cuDNN can be used: never by danlu (its GPU kernels are CuPy's)."""
    return False


def version():
    """cuDNN's version: None, there is none."""
    return None


@contextmanager
def flags(enabled: bool = False, benchmark: bool = False, benchmark_limit: int = 10,
          deterministic: bool = False, allow_tf32: bool = True):
    """Set the four switches (and ``benchmark_limit``) for a block, restoring them after."""
    mod = sys.modules[__name__]
    saved = (dict(_state), mod.benchmark_limit)
    mod.enabled, mod.benchmark, mod.deterministic, mod.allow_tf32 = (
        enabled, benchmark, deterministic, allow_tf32)
    mod.benchmark_limit = benchmark_limit
    try:
        yield
    finally:
        _state.update(saved[0])
        mod.benchmark_limit = saved[1]


class _CudnnModule(types.ModuleType):
    enabled = BoolFlag(_state, "enabled", "set_enabled_cudnn")
    benchmark = BoolFlag(_state, "benchmark", "set_benchmark_cudnn")
    deterministic = BoolFlag(_state, "deterministic", "set_deterministic_cudnn")
    allow_tf32 = BoolFlag(_state, "allow_tf32", "set_allow_tf32_cublas")  # torch's message


benchmark_limit = None  # torch's value where cuDNN is absent; any value is kept
sys.modules[__name__].__class__ = _CudnnModule
