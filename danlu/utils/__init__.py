"""danlu.utils: data loading and helpers (torch.utils).  ``danlu.utils.data`` is importable as an
attribute after ``import danlu``, as ``torch.utils.data`` is after ``import torch``."""
from . import data  # noqa: F401
from . import checkpoint  # noqa: F401,E402
