"""``danlu.backends.cuda``: CUDA matmul and attention switches.

``matmul.allow_tf32`` mirrors ``set_float32_matmul_precision`` as in torch (True <=> precision
'high'/'medium'); danlu computes float32 matmuls in float32 either way.  The attention switches
choose among torch's fused kernels; danlu's ``scaled_dot_product_attention`` is the math
formula whatever they say, so they are remembered and reported only."""
from __future__ import annotations

from .. import _backend as B, _settings
from ._flags import BoolFlag

__all__ = ["is_built", "matmul", "enable_flash_sdp", "flash_sdp_enabled",
           "enable_mem_efficient_sdp", "mem_efficient_sdp_enabled", "enable_math_sdp",
           "math_sdp_enabled", "enable_cudnn_sdp", "cudnn_sdp_enabled"]


def is_built() -> bool:
    """Whether danlu can use CUDA at all: CuPy is importable."""
    return B._cupy is not None


_matmul_state = {"allow_fp16_reduced_precision_reduction": True,
                 "allow_bf16_reduced_precision_reduction": True}


class _TF32Flag:
    def __get__(self, obj, objtype=None) -> bool:
        return _settings.get_float32_matmul_precision() != "highest"

    def __set__(self, obj, value) -> None:
        if not isinstance(value, bool):
            raise RuntimeError(f"set_allow_tf32_cublas expects a bool, but got {type(value).__name__}")
        _settings.set_float32_matmul_precision("high" if value else "highest")


class _CuBLASModule:
    """``matmul``: the cuBLAS switches; other attribute names are torch's AttributeError."""

    __slots__ = ()
    allow_tf32 = _TF32Flag()
    allow_fp16_reduced_precision_reduction = BoolFlag(
        _matmul_state, "allow_fp16_reduced_precision_reduction", "",
        "allow_fp16_reduced_precision_reduction expects a bool or a tuple/list of bools, but got "
        "{type}", TypeError)
    allow_bf16_reduced_precision_reduction = BoolFlag(
        _matmul_state, "allow_bf16_reduced_precision_reduction", "",
        "allow_bf16_reduced_precision_reduction expects a bool or a tuple/list of bools, but got "
        "{type}", TypeError)

    def __getattr__(self, name: str):
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name: str, value) -> None:
        if not hasattr(type(self), name):
            raise AttributeError(f"Unknown attribute {name}")
        object.__setattr__(self, name, value)


matmul = _CuBLASModule()

_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def enable_flash_sdp(enabled: bool) -> None:
    _sdp["flash"] = bool(enabled)


def flash_sdp_enabled() -> bool:
    return _sdp["flash"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _sdp["mem_efficient"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _sdp["mem_efficient"]


def enable_math_sdp(enabled: bool) -> None:
    _sdp["math"] = bool(enabled)


def math_sdp_enabled() -> bool:
    return _sdp["math"]


def enable_cudnn_sdp(enabled: bool) -> None:
    _sdp["cudnn"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    return _sdp["cudnn"]
