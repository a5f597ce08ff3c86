"""Global switches with torch's names: default device, inter-op threads, determinism, warn-always,
float32 matmul precision, anomaly mode.  danlu's kernels are deterministic and compute float32
matmuls in float32, so most of these are flags that are remembered and reported back."""
from __future__ import annotations

from . import _backend as B

__all__ = [
    "set_default_device", "get_default_device", "get_num_interop_threads",
    "set_num_interop_threads", "is_storage", "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
    "set_deterministic_debug_mode", "get_deterministic_debug_mode", "set_warn_always",
    "is_warn_always_enabled", "set_float32_matmul_precision", "get_float32_matmul_precision",
    "is_anomaly_enabled", "set_anomaly_enabled", "is_anomaly_check_nan_enabled",
]


class _State:
    interop_threads = 1
    deterministic = False
    deterministic_warn_only = False
    warn_always = False
    matmul_precision = "highest"


def set_default_device(device) -> None:
    """Only the CPU can be danlu's default device (``None`` resets to it)."""
    if device is None:
        return
    dev = B.as_device(device) if not isinstance(device, B.device) else device
    if dev.type != "cpu":
        raise RuntimeError(
            f"set_default_device: danlu creates tensors on the CPU by default and cannot make "
            f"'{dev}' the default device; move tensors explicitly with .to('{dev}')")


def get_default_device():
    """``device(type='cpu')``."""
    return B.device("cpu")


def get_num_interop_threads() -> int:
    return _State.interop_threads


def set_num_interop_threads(num: int) -> None:
    """Remembered for ``get_num_interop_threads`` (danlu runs ops on the calling thread)."""
    if not isinstance(num, int) or num <= 0:
        raise RuntimeError("Expected positive number of threads")
    _State.interop_threads = num


def is_storage(obj) -> bool:
    """danlu has no storage objects: always False."""
    return False


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded only: every danlu kernel is already deterministic."""
    _State.deterministic = bool(mode)
    _State.deterministic_warn_only = bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _State.deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _State.deterministic_warn_only


def set_deterministic_debug_mode(debug_mode) -> None:
    """0 / 'default': off; 1 / 'warn': on, warn only; 2 / 'error': on."""
    if isinstance(debug_mode, str):
        names = {"default": 0, "warn": 1, "error": 2}
        if debug_mode not in names:
            raise RuntimeError(
                "invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                f"{debug_mode}")
        debug_mode = names[debug_mode]
    elif not isinstance(debug_mode, int) or isinstance(debug_mode, bool):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    if not _State.deterministic:
        return 0
    return 1 if _State.deterministic_warn_only else 2


def set_warn_always(b: bool) -> None:
    _State.warn_always = bool(b)


def is_warn_always_enabled() -> bool:
    return _State.warn_always


def set_float32_matmul_precision(precision: str) -> None:
    """'highest' / 'high' / 'medium' are remembered (danlu always uses full float32); anything
    else warns and changes nothing, as torch."""
    if precision not in ("highest", "high", "medium"):
        import warnings

        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _State.matmul_precision = precision


def get_float32_matmul_precision() -> str:
    return _State.matmul_precision


def is_anomaly_enabled() -> bool:
    from .autograd.anomaly_mode import _Anomaly

    return _Anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    from .autograd.anomaly_mode import _Anomaly

    return _Anomaly.check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Switch ``danlu.autograd``'s anomaly mode on or off globally."""
    from .autograd.anomaly_mode import _Anomaly

    _Anomaly.enabled, _Anomaly.check_nan = bool(enabled), bool(check_nan)
