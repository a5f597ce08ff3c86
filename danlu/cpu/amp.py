"""``danlu.cpu.amp``: torch's deprecated spellings of ``danlu.amp`` for cpu."""
from __future__ import annotations

from ..amp._aliases import CpuAutocast as autocast
from ..amp._aliases import CpuGradScaler as GradScaler

__all__ = ["autocast", "GradScaler"]
