"""The one place that owns the array library.

NumPy serves ``device("cpu")``; CuPy serves ``device("cuda")`` when it is installed and a GPU
is present.  Op code never imports numpy: it asks ``xp_of(array)`` for the namespace.
"""
from __future__ import annotations

import re

import numpy as np

try:  # pragma: no cover - exercised only where cupy is installed
    import cupy as _cupy

    try:
        _CUDA_COUNT = int(_cupy.cuda.runtime.getDeviceCount())
    except Exception:
        _CUDA_COUNT = 0
except Exception:  # cupy missing or broken
    _cupy = None
    _CUDA_COUNT = 0

numpy = np
ndarray = np.ndarray

# torch computes inf/nan silently (1/0, log(-1), exp overflow); numpy would warn on every such
# element-wise op.  Wrapping each op in ``np.errstate`` costs ~1 us per op, so danlu sets the
# policy once at import instead.
np.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")


_DEVICE_STRING = re.compile(r"[a-zA-Z_]+(:(0|[1-9][0-9]*))?")


class device:
    """``danlu.device('cpu')``, ``danlu.device('cuda:0')``, ``danlu.device('cuda', 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device", index: int | None = None) -> None:
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments: {type!r}")
        if not _DEVICE_STRING.fullmatch(type):  # torch's grammar: letters, optionally ':<index>'
            raise RuntimeError(f"Invalid device string: '{type}'")
        if ":" in type:
            type, idx = type.split(":", 1)
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was passed explicitly")
            try:
                index = int(idx)
            except ValueError:
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'") from None
        if type not in ("cpu", "cuda"):
            raise RuntimeError(
                "Expected one of cpu, cuda device type at start of device string: " + type
            )
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and (self.index or 0) == (other.index or 0)

    def __hash__(self) -> int:
        return hash((self.type, self.index or 0))


CPU = device("cpu")
CUDA0 = device("cuda", 0)


def as_device(d: "str | device | int | None") -> device:
    if d is None:
        return CPU
    if isinstance(d, device):
        return d
    if isinstance(d, int):
        return device("cuda", d)
    return device(d)


# torch's wording, plus what danlu needs for a GPU
_NO_CUDA_MSG = ("Torch not compiled with CUDA enabled (danlu runs device='cuda' through CuPy, "
                "which is not installed; install cupy and use a machine with a GPU)")


def cuda_available() -> bool:
    return _cupy is not None and _CUDA_COUNT > 0


def cuda_device_count() -> int:
    return _CUDA_COUNT if _cupy is not None else 0


def xp_of(arr) -> object:
    """The array namespace (numpy or cupy) that owns ``arr``."""
    if _cupy is None or isinstance(arr, np.ndarray):
        return np
    if isinstance(arr, _cupy.ndarray):
        return _cupy
    return np


def xp_for(dev: device) -> object:
    if dev.type == "cpu":
        return np
    if not cuda_available():
        raise RuntimeError(_NO_CUDA_MSG if _cupy is None else "No CUDA GPUs are available")
    return _cupy


def device_of(arr) -> device:
    if _cupy is not None and isinstance(arr, _cupy.ndarray):
        return device("cuda", arr.device.id)
    return CPU


def move(arr, dev: device):
    """Copy ``arr`` to ``dev`` (no copy when it is already there)."""
    if dev.type == "cpu":
        if _cupy is not None and isinstance(arr, _cupy.ndarray):
            return _cupy.asnumpy(arr)
        return arr
    xp = xp_for(dev)
    if isinstance(arr, xp.ndarray) and arr.device.id == (dev.index or 0):
        return arr
    with xp.cuda.Device(dev.index or 0):
        return xp.asarray(arr)


def to_numpy(arr) -> np.ndarray:
    if isinstance(arr, np.ndarray):
        return arr
    return _cupy.asnumpy(arr)
