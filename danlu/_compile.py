"""torch's compilation and control-flow entry points, DLPack exchange and platform queries.

danlu has no compiler: ``compile`` gives back the function or module it is handed (so
``@danlu.compile`` and ``danlu.compile(model, mode=...)`` run eagerly, with torch's argument
checks), and ``cond`` / ``while_loop`` -- torch's control-flow operators, which need
``torch.compile`` to capture them -- run their branches / body eagerly in Python.  DLPack
exchange goes through NumPy's (``numpy.from_dlpack``), so tensors share memory with NumPy
arrays, torch tensors or any other DLPack producer.
"""
from __future__ import annotations

from typing import Any, Callable

from . import _backend as B
from ._tensor import Tensor

__all__ = ["compile", "cond", "while_loop", "vmap", "from_dlpack", "to_dlpack", "is_distributed",
           "is_vulkan_available", "set_flush_denormal"]


def compile(model: Callable | None = None, *, fullgraph: bool = False, dynamic: bool | None = None,  # noqa: A001
            backend: str | Callable = "inductor", mode: str | None = None,
            options: dict | None = None, disable: bool = False, **kwargs) -> Any:
    """``torch.compile``'s signature; danlu has no compiler, so ``model`` comes back unchanged
    (a function, or an ``nn.Module`` whose forward runs eagerly).  Without ``model`` it is a
    decorator: ``@compile(mode="reduce-overhead")``."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if model is None:
        def decorator(fn):
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                           options=options, disable=disable, **kwargs)

        return decorator
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    return model


def _pred_value(pred) -> bool:
    if isinstance(pred, Tensor):
        if pred.numel() != 1:
            raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got {pred}.")
        return bool(pred.item())
    if isinstance(pred, (bool, int, float)):
        return bool(pred)
    raise RuntimeError(f"Expected pred to be bool or tensor, but got {pred}.")


def cond(pred, true_fn: Callable, false_fn: Callable, operands: tuple | list = ()) -> Any:
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``; ``pred`` is a bool or a
    one-element tensor.  Eager (torch captures it into a graph under ``torch.compile``);
    differentiable through the branch taken."""
    if not (callable(true_fn) and callable(false_fn)):
        raise RuntimeError("Expect both branches to be callable.")
    if not isinstance(operands, (tuple, list)):
        operands = (operands,)
    return (true_fn if _pred_value(pred) else false_fn)(*operands)


def _meta(t):
    return (tuple(t.shape), t.dtype) if isinstance(t, Tensor) else type(t)


def while_loop(cond_fn: Callable, body_fn: Callable, carried_inputs: tuple | list) -> Any:
    """``while cond_fn(*vals): vals = body_fn(*vals)`` from ``vals = carried_inputs``; the body
    must return as many values as it carries, each with unchanged shape and dtype, and
    ``cond_fn`` a bool or a one-element tensor.  Eager."""
    if not (callable(cond_fn) and callable(body_fn)):
        raise RuntimeError("Expect cond_fn and body_fn to be callable.")
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"carried_inputs must be a tuple or list, got {type(carried_inputs)}")
    vals = tuple(carried_inputs)
    out: Any = vals
    while True:
        c = cond_fn(*vals)
        if isinstance(c, Tensor) and c.numel() != 1:
            raise RuntimeError("Expected cond_fn to return a scalar tensor or a bool but got "
                               f"torch.Size({list(c.shape)}).")
        if not _pred_value(c):
            return out
        out = body_fn(*vals)
        new = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        if len(new) != len(vals):
            raise RuntimeError("Expected body_fn_output and carried_inputs to have same number of outputs "
                               f"but got lhs:{list(new)} and rhs:{list(vals)}")
        for a, b in zip(new, vals):
            if _meta(a) != _meta(b):
                raise RuntimeError("Expected carried_inputs and body_fn_output to have same metadata but "
                                   f"found: {_meta(b)} vs {_meta(a)}")
        vals = new


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """``danlu.func.vmap``: ``func`` mapped over a batch dimension of its inputs."""
    from .func import vmap as _vmap

    return _vmap(func, in_dims, out_dims, randomness, chunk_size=chunk_size)


class _Capsule:
    """A bare DLPack capsule (what ``to_dlpack`` returns) dressed as a producer for NumPy."""

    def __init__(self, capsule) -> None:
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)


def from_dlpack(ext_tensor) -> Tensor:
    """A danlu tensor sharing memory with ``ext_tensor``: an object with ``__dlpack__`` (a NumPy
    array, a torch tensor, ...) or a DLPack capsule (imported read-only by NumPy)."""
    import numpy as np

    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if not hasattr(ext_tensor, "__dlpack__"):
        if type(ext_tensor).__name__ != "PyCapsule":
            raise TypeError(f"from_dlpack(): expected an object with __dlpack__ or a DLPack capsule, "
                            f"got {type(ext_tensor).__name__}")
        ext_tensor = _Capsule(ext_tensor)
    dev = ext_tensor.__dlpack_device__()[0] if hasattr(ext_tensor, "__dlpack_device__") else 1
    if dev == 2 and B._cupy is not None:  # pragma: no cover - cuda
        return Tensor._make(B._cupy.from_dlpack(ext_tensor), None)
    return Tensor._make(np.from_dlpack(ext_tensor), None)


def to_dlpack(tensor: Tensor):
    """A DLPack capsule of ``tensor``'s memory (consumable once, e.g. by ``torch.from_dlpack``)."""
    return tensor._data.__dlpack__()


def is_distributed(input: Tensor) -> bool:
    """False: danlu tensors live on one device."""
    return False


def is_vulkan_available() -> bool:
    """False: danlu has no Vulkan backend."""
    return False


def set_flush_denormal(mode: bool) -> bool:
    """Whether the requested denormal handling is in effect: NumPy keeps denormals, so
    flushing them (``mode=True``) is unsupported (False) and keeping them (False) holds (True)."""
    return not mode
