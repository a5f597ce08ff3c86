"""nn.utils: gradient clipping, parameter vectors, weight/spectral norm."""
from __future__ import annotations
