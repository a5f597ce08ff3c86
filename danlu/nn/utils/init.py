"""``skip_init``: build a module without running its parameter initialisation."""
from __future__ import annotations

import inspect

from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """Instantiate ``module_cls(*args, **kwargs)`` with uninitialised parameters and buffers.

    torch builds on the ``meta`` device; danlu has none, so the module is built on the target
    device with the global RNG state saved and restored around it (no random numbers are
    consumed, as in torch) and then ``to_empty`` replaces every tensor with uninitialised memory.
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    from ... import _random as R

    final_device = kwargs.pop("device", "cpu")
    state = R.get_rng_state()
    try:
        module = module_cls(*args, device=final_device, **kwargs)
    finally:
        R.set_rng_state(state)
    return module.to_empty(device=final_device)
