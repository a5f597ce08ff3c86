"""``danlu.random``: torch.random's names for the global generator, and ``fork_rng``.

danlu draws every random number (for CPU and GPU tensors alike) from the one CPU generator,
``default_generator``, so forking its state forks all of danlu's randomness."""
from __future__ import annotations

import contextlib
from collections.abc import Generator as _Gen

from ._random import (  # noqa: F401
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

__all__ = ["Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed",
           "manual_seed", "seed", "set_rng_state"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda") -> _Gen:
    """Run a block with the generator state forked: whatever it draws, the state afterwards is
    the state before (``enabled=False``: a plain block).  ``devices`` / ``device_type`` are
    accepted as torch's; danlu's devices share the one generator, which is what is forked."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
