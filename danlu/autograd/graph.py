"""``danlu.autograd.graph``: hooks on the tensors the graph saves for backward (torch's API).

While a :class:`saved_tensors_hooks` context is active, every tensor an op saves for its
backward (the inputs named by an op's ``_save_in``, its output when ``_save_out``, and what a
custom ``Function`` passes to ``ctx.save_for_backward``) goes through ``pack_hook(tensor)``
once, at save time, with grad mode off; the graph keeps only what the hook returns.  When the
backward needs it, ``unpack_hook(packed)`` runs (again with grad mode off) and must return a
tensor with the original's values; danlu reattaches it to the original's place in the graph, so
``create_graph=True`` backwards still differentiate through it.  As in torch, saved tensors that
went through hooks are not version-checked (the hook may have copied them).

Hooks nest: the innermost context wins.  Arrays an op stashes on ``ctx`` for itself (masks,
indices, shapes) are not tensors saved for backward and never reach the hooks.  One difference
from torch: a Python number operand (``x * 2.0``) is a 0-d tensor in danlu's graph, so an op
that saves it packs it, where torch saves a Scalar and calls no hook.
"""
from __future__ import annotations

from typing import Any, Callable

from .grad_mode import GradMode

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]

# the active (pack_hook, unpack_hook) pairs, innermost last; read by autograd.function
_HOOKS: list = []
# the error message of the innermost ``disable_saved_tensors_hooks`` (None: hooks allowed)
_DISABLED: list = []


class _Packed:
    """A saved tensor that went through ``pack_hook``: the packed value, its unpack hook, and
    where the original sat in the graph (a leaf that requires grad is kept by reference, as
    its gradient accumulates into that very object; otherwise only its ``grad_fn``)."""

    __slots__ = ("value", "unpack", "leaf", "grad_fn", "output_nr", "is_output")

    def __init__(self, t, pack, unpack, is_output: bool = False) -> None:
        prev = GradMode.enabled
        GradMode.enabled = False
        try:
            self.value = pack(t)
        finally:
            GradMode.enabled = prev
        self.unpack = unpack
        self.is_output = is_output
        self.output_nr = t._output_nr
        # a saved output's node is the saving node itself (given back by ``get``: no cycle here)
        self.grad_fn = None if is_output else t.grad_fn
        self.leaf = t if (t._rg and t.grad_fn is None and not is_output) else None

    def get(self, node=None, nr: int = 0):
        """Run ``unpack_hook`` and put the result where the original tensor was in the graph
        (for a saved output: as output ``nr`` of ``node``)."""
        from .._tensor import Tensor

        prev = GradMode.enabled
        GradMode.enabled = False
        try:
            t = self.unpack(self.value)
        finally:
            GradMode.enabled = prev
        if not isinstance(t, Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got result "
                            f"of type {type(t).__name__}")
        if self.is_output:
            return Tensor._make(t._data, node, nr)
        if self.leaf is not None:
            if t is self.leaf:
                return t
            return _AsLeaf.apply(self.leaf, data=t._data)
        if self.grad_fn is not None:
            return Tensor._make(t._data, self.grad_fn, self.output_nr)
        return Tensor._make(t._data, None)


def _as_leaf_cls():
    from .function import Op

    class AsLeaf(Op):
        """The unpacked copy of a saved leaf: its values, with gradients flowing to the leaf."""

        @staticmethod
        def forward(ctx, a, data=None):
            return data

        @staticmethod
        def backward(ctx, g):
            return (g,)

    return AsLeaf


class _LazyAsLeaf:
    _cls = None

    def apply(self, leaf, data):
        if self._cls is None:
            type(self)._cls = _as_leaf_cls()
        return self._cls.apply(leaf, data=data)


_AsLeaf = _LazyAsLeaf()


def pack(t, is_output: bool = False):
    """``t`` packed with the innermost active hooks (``t`` itself when none or when ``t`` is None)."""
    if t is None or not _HOOKS:
        return t
    p, u = _HOOKS[-1]
    return _Packed(t, p, u, is_output)


class saved_tensors_hooks:  # noqa: N801 - torch's name
    """Context manager: ``pack_hook(tensor) -> Any`` runs on every tensor saved for backward
    inside it, ``unpack_hook(packed) -> Tensor`` when the backward reads it back.  In general
    ``unpack_hook(pack_hook(t))`` should equal ``t`` in value, size, dtype and device."""

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> "saved_tensors_hooks":
        if _DISABLED and _DISABLED[-1] is not None:
            raise RuntimeError(_DISABLED[-1])
        _HOOKS.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc) -> None:
        _HOOKS.pop()


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - torch's name
    """Keep saved tensors in host memory and move them back to their device for backward.  For
    tensors already on the CPU this is a no-op (the tensor itself is kept, no copy is made);
    ``pin_memory`` is accepted for compatibility (NumPy memory needs no pinning)."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack(t):
            if t.device.type == "cpu":
                return (t.device, t)
            return (t.device, t.detach().cpu())

        def unpack(packed):
            device, t = packed
            return t if t.device == device else t.to(device)

        super().__init__(pack, unpack)
        self.pin_memory = pin_memory
        self.device_type = device_type


class disable_saved_tensors_hooks:  # noqa: N801 - torch's name
    """Context manager in which registering ``saved_tensors_hooks`` raises
    ``RuntimeError(error_message)`` (e.g. for code whose saved tensors must stay untouched);
    entering it while hooks are active raises the same error."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> None:
        if _HOOKS:  # hooks already active: as torch, this is the same error
            raise RuntimeError(self.error_message)
        _DISABLED.append(self.error_message)

    def __exit__(self, *exc) -> None:
        _DISABLED.pop()
