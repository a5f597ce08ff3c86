"""``danlu.accelerator``: torch's device-agnostic accelerator API, answered by CUDA through
CuPy (danlu's only accelerator).  The PyTorch tutorials pick their device with it::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
"""
from __future__ import annotations

import contextlib

from . import _backend as B

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "device_index",
           "synchronize", "empty_cache"]

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """Whether an accelerator (a CUDA GPU through CuPy) can be used now."""
    return B.cuda_available()


def current_accelerator(check_available: bool = False):
    """``device('cuda')`` when danlu has CUDA support (CuPy importable) -- and, with
    ``check_available``, a GPU is usable now; else None."""
    if B._cupy is None or (check_available and not is_available()):
        return None
    return B.device("cuda")


def device_count() -> int:
    """The number of usable accelerator devices (0 without a GPU)."""
    return B.cuda_device_count() if is_available() else 0


def _require() -> None:
    if not is_available():
        raise RuntimeError(_NONE)


def current_device_index() -> int:
    """The index of the current CUDA device."""
    _require()
    return int(B._cupy.cuda.runtime.getDevice())


current_device_idx = current_device_index


def set_device_index(device, /) -> None:
    """Make ``device`` (an index, ``'cuda:i'`` or a device) the current CUDA device."""
    _require()
    B._cupy.cuda.runtime.setDevice(_index(device))


set_device_idx = set_device_index


@contextlib.contextmanager
def device_index(device, /):
    """Run a block with ``device`` current (``None``: leave the current device alone)."""
    if device is None:
        yield
        return
    prev = current_device_index()
    set_device_index(device)
    try:
        yield
    finally:
        set_device_index(prev)


def synchronize(device=None, /) -> None:
    """Wait for the GPU's pending work."""
    _require()
    B._cupy.cuda.runtime.deviceSynchronize()


def empty_cache() -> None:
    """Give CuPy's cached GPU memory back."""
    _require()
    B._cupy.get_default_memory_pool().free_all_blocks()


def _index(device) -> int:
    if isinstance(device, int):
        return device
    dev = B.as_device(device) if not isinstance(device, B.device) else device
    return dev.index or 0
