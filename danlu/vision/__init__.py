"""danlu.vision: torchvision's ``datasets`` and ``transforms`` for danlu (danlu's own subpackage)."""
from . import datasets, transforms

__all__ = ["datasets", "transforms"]
