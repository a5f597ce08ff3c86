"""Optional compiled kernels (numba) for the hottest optimizer updates.

NumPy evaluates an Adam step as about ten separate single-threaded passes over memory; the kernel
below does the whole update in one parallel pass.  The NumPy code in ``adam.py`` stays the
readable reference: tests check this kernel equals it.  Everything here degrades gracefully:
without numba (or with ``DANLU_NO_NUMBA=1``) ``adam_kernel()`` returns ``None``.
"""
from __future__ import annotations

import os

import numpy as np

# Below this size the NumPy path is as fast (and needs no compilation).
MIN_NUMEL = 1 << 16
# From this size on the update runs on several threads (below, one compiled pass on the caller's).
PARALLEL_NUMEL = 1 << 20

_state: dict = {}


def enabled() -> bool:
    if os.environ.get("DANLU_NO_NUMBA", "") not in ("", "0"):
        return False
    return adam_kernel() is not None


def adam_kernel():
    """The compiled fused Adam/AdamW kernel, or ``None`` when numba is unavailable."""
    if "adam" in _state:
        return _state["adam"]
    try:
        from ._fused_numba import adam
    except Exception:  # numba missing or broken: NumPy path
        adam = None
    _state["adam"] = adam
    return adam


def _threads() -> int | None:
    """The thread budget the process was given (``OMP_NUM_THREADS``, as BLAS and torch honour it),
    so the kernel does not take more cores than the rest of the framework."""
    try:
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    except (KeyError, ValueError):
        return None


def run_adam(*args) -> None:
    """Call the fused Adam kernel on the calling thread, or -- from ``PARALLEL_NUMEL`` elements on,
    when ``OMP_WAIT_POLICY`` is set -- on up to ``OMP_NUM_THREADS`` threads.

    Why the condition: numba's OpenMP layer, with ``OMP_WAIT_POLICY`` unset, measured ~8 ms per
    parallel region on the 2-core machines here (a 4M-element update: 1.6 ms on one thread,
    0.84 ms on two with the policy set, 8.0 ms on two without).  One thread is never that slow."""
    import numba

    n = _threads()
    if args[0].size < PARALLEL_NUMEL or "OMP_WAIT_POLICY" not in os.environ:
        n = 1
    numba.set_num_threads(min(n or numba.config.NUMBA_NUM_THREADS, numba.config.NUMBA_NUM_THREADS))
    adam_kernel()(*args)


def can_fuse(*arrays) -> bool:
    """Whether the compiled kernel applies: large contiguous NumPy float arrays of one dtype."""
    a0 = arrays[0]
    if not isinstance(a0, np.ndarray) or a0.size < MIN_NUMEL or a0.dtype.kind != "f":
        return False
    for a in arrays:
        if not isinstance(a, np.ndarray) or not a.flags.c_contiguous or a.dtype != a0.dtype:
            return False
    return enabled()
