"""``nn.Parameter``: a leaf Tensor that a Module registers as learnable."""
from __future__ import annotations

from .._tensor import Tensor, _init


class Parameter(Tensor):
    """A Tensor that is a module parameter (``requires_grad=True`` by default).

    Shares memory (and the version counter) with ``data``; ops on it return plain Tensors.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        from .._creation import empty

        if data is None:
            data = empty(0)
        p = object.__new__(cls)
        _init(p, data._data, None, 0, data._vc)
        p._rg = bool(requires_grad)
        return p

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __reduce_ex__(self, proto):  # pragma: no cover - danlu never pickles checkpoints
        return (Parameter, (Tensor._make(self._data), self._rg))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(Tensor._make(self._data.copy()), self._rg)
        memo[id(self)] = p
        return p
