"""nn.init: parameter initialisation schemes."""
from __future__ import annotations
