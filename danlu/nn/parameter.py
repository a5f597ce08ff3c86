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


_UNINIT_MSG = (
    "Attempted to use an uninitialized parameter in {}. This error happens when you are using a "
    "`LazyModule` or explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. "
    "When using LazyModules Call `forward` with a dummy batch to initialize the parameters before "
    "calling torch functions")


class UninitializedTensorMixin:
    """A placeholder whose shape is not known yet; ``materialize(shape)`` turns it into a real
    ``cls_to_become`` tensor in place (same Python object, so references stay valid)."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        from .. import _backend as B
        from .. import _dtype as D

        dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        xp = B.xp_for(B.as_device(device)) if device is not None else B.xp_of(self._data)
        self._data = xp.empty(shape, dt.np)
        self._vc[0] += 1
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise ValueError(_UNINIT_MSG.format("shape"))

    def size(self, dim=None):
        raise ValueError(_UNINIT_MSG.format("size"))

    def numel(self):
        raise ValueError(_UNINIT_MSG.format("numel"))

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        new = type(self)(requires_grad=self._rg)
        memo[id(self)] = new
        return new


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """The parameter of a lazy module before its first forward (``LazyLinear.weight``)."""

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        from .._creation import empty

        p = Parameter.__new__(cls, empty(0, dtype=dtype, device=device), requires_grad)
        return p

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A lazy module's buffer before its first forward (``LazyBatchNorm2d.running_mean``)."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None):
        from .._creation import empty

        t = object.__new__(cls)
        _init(t, empty(0, dtype=dtype, device=device)._data, None, 0, None)
        t._rg = bool(requires_grad)
        return t

    def __init__(self, requires_grad: bool = False, device=None, dtype=None) -> None:
        pass


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer on assignment: ``self.b = nn.Buffer(t)``
    is ``self.register_buffer("b", t, persistent=...)``."""

    __slots__ = ("persistent",)

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        from .._creation import empty

        if data is None:
            data = empty(0)
        b = object.__new__(cls)
        _init(b, data._data, None, 0, data._vc)
        b._rg = data._rg
        b.persistent = persistent
        return b

    def __init__(self, data=None, *, persistent: bool = True) -> None:
        pass


def is_lazy(param) -> bool:
    """True for an uninitialized (lazy) parameter or buffer."""
    return isinstance(param, UninitializedTensorMixin)


__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]
