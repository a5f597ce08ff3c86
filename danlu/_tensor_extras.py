"""``Tensor.output_nr`` and ``Tensor.module_load``, attached to :class:`danlu.Tensor` on import.

* ``output_nr``: which output of its ``grad_fn`` the tensor is (0 for leaves, for tensors without
  history and for single-output ops; ``k`` for the ``k``-th output of a multi-output op such as
  ``linalg.svd``).  Read-only, as torch's.
* ``module_load(other, assign=False)``: what ``load_state_dict`` stores for ``self`` from the state
  dict entry ``other`` when swapping: ``self.copy_(other).detach()``, or ``other.detach()`` with
  ``assign``.  Always a new tensor object.
"""
from __future__ import annotations

from ._tensor import Tensor


def _output_nr(self) -> int:
    return self._output_nr if self.grad_fn is not None else 0


def module_load(self, other: Tensor, assign: bool = False) -> Tensor:
    """``other.detach()`` if ``assign`` else ``self.copy_(other).detach()``."""
    if assign:
        return other.detach()
    return self.copy_(other).detach()


Tensor.output_nr = property(_output_nr, doc="The index of this tensor among its grad_fn's outputs.")
Tensor.module_load = module_load
