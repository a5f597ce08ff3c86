"""``danlu.amp``: automatic mixed precision (torch.amp) -- ``autocast`` and ``GradScaler``."""
from __future__ import annotations

from .autocast_mode import (  # noqa: F401
    autocast, custom_bwd, custom_fwd, is_autocast_available,
)
from .grad_scaler import GradScaler

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler"]
