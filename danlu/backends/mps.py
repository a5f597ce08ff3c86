"""``danlu.backends.mps``: Apple's Metal backend, which danlu does not have."""
from __future__ import annotations

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """False: danlu runs on NumPy (CPU) and CuPy (CUDA) only."""
    return False


def is_built() -> bool:
    """False: danlu has no MPS support built in."""
    return False
