"""``danlu.cuda.amp``: torch's deprecated spellings of ``danlu.amp`` for cuda."""
from __future__ import annotations

from ..amp._aliases import CudaAutocast as autocast
from ..amp._aliases import CudaGradScaler as GradScaler
from ..amp._aliases import cuda_custom_bwd as custom_bwd
from ..amp._aliases import cuda_custom_fwd as custom_fwd

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd"]
