"""Tensor backend flags torch has (all False for danlu's dense CPU/NumPy tensors), ``dim_order``
and ``as_subclass``; attached to :class:`danlu.Tensor` on import."""
from __future__ import annotations

from ._tensor import Tensor

_FLAGS = ("is_meta", "is_mkldnn", "is_nested", "is_quantized", "is_sparse", "is_sparse_csr", "is_mps",
          "is_xla", "is_xpu", "is_ipu", "is_maia", "is_mtia", "is_vulkan")


def _false(self) -> bool:
    return False


def dim_order(self, *, ambiguity_check=False) -> tuple:
    """Dims from outermost to innermost in memory: ``range(ndim)`` when contiguous, else the dims
    sorted by decreasing stride (ties keep their logical order)."""
    if not isinstance(ambiguity_check, bool):
        if not isinstance(ambiguity_check, list):
            raise TypeError("The ambiguity_check argument must be a bool or a list of memory formats.")
    n = self.dim()
    st = self.stride()
    if ambiguity_check is True and (any(s == 1 for s in self.shape) or len(set(st)) != len(st)):
        raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact one of "
                           "the given memory formats.")
    if n <= 1 or self.is_contiguous():
        return tuple(range(n))
    return tuple(sorted(range(n), key=lambda i: -st[i]))


def as_subclass(self, cls) -> Tensor:
    """A view of ``self`` (sharing data and autograd history) whose type is ``cls``."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not "
                        "possible. Make sure your class inherits from Tensor.")
    out = self.view_as(self)
    if cls is not Tensor:
        try:
            out.__class__ = cls
        except TypeError:
            new = cls.__new__(cls)
            slots = [k for c in type(out).__mro__ for k in getattr(c, "__slots__", ())]
            for k in slots:
                if k not in ("__weakref__", "__dict__") and hasattr(out, k):
                    object.__setattr__(new, k, getattr(out, k))
            out = new
    return out


for _name in _FLAGS:
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, property(_false))
Tensor.dim_order = dim_order
Tensor.as_subclass = as_subclass
