"""``danlu.cuda``: GPU presence through CuPy."""
from __future__ import annotations

from .. import _backend as B
from . import amp  # noqa: F401 - danlu.cuda.amp (deprecated aliases of danlu.amp)


def is_available() -> bool:
    return B.cuda_available()


def device_count() -> int:
    return B.cuda_device_count()


def current_device() -> int:
    if not is_available():
        raise RuntimeError(B._NO_CUDA_MSG if B._cupy is None else "No CUDA GPUs are available")
    return int(B._cupy.cuda.runtime.getDevice())


def synchronize(device=None) -> None:
    if is_available():
        B._cupy.cuda.runtime.deviceSynchronize()


def manual_seed(seed: int) -> None:
    if is_available():
        B._cupy.random.seed(int(seed) & 0xFFFFFFFF)


manual_seed_all = manual_seed


def empty_cache() -> None:
    if is_available():
        B._cupy.get_default_memory_pool().free_all_blocks()
