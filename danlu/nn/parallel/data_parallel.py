"""``DataParallel`` and ``data_parallel`` (torch.nn.parallel.data_parallel).

torch splits a batch along ``dim`` over the GPUs in ``device_ids``, runs one replica of the module
per GPU and gathers the outputs on ``output_device``.  Without a GPU, torch's ``DataParallel`` is
a transparent wrapper (``device_ids == []``, ``forward`` is ``module(*inputs, **kwargs)``, the
state dict keys gain a ``module.`` prefix) and ``data_parallel`` raises; danlu does the same.

With CUDA (through CuPy) danlu runs the module once, on ``device_ids[0]``: the inputs are moved
there and the output to ``output_device`` when more than one id is given.  That is torch's result
(``gather(module(scatter(x)))`` equals ``module(x)`` for batch-independent modules); only modules
that mix the batch, such as BatchNorm, see the whole batch instead of one chunk per replica.
"""
from __future__ import annotations

from itertools import chain
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from ... import _backend as B
from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel"]

T = TypeVar("T", bound=Module)


def _device_index(d) -> int:
    """A CUDA device index from an int, ``'cuda:1'`` or ``device('cuda', 1)`` (torch's
    ``_get_device_index`` for the GPU case; no index means the current device)."""
    if isinstance(d, int) and not isinstance(d, bool):
        return d
    dev = B.as_device(d)
    if dev.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {dev}")
    if dev.index is None:
        from ... import cuda
        return cuda.current_device()
    return dev.index


def _all_device_indices() -> list:
    return list(range(B.cuda_device_count()))


def _to(obj: Any, dev) -> Any:
    """``obj`` with every tensor in it (through tuples, lists and dicts) moved to ``dev``."""
    from ..._tensor import Tensor

    if isinstance(obj, Tensor):
        return obj.to(dev)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # namedtuple
        return type(obj)(*(_to(v, dev) for v in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(_to(v, dev) for v in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _to(v, dev)) for k, v in obj.items())
    return obj


def _check_placement(module: Module, src) -> None:
    for t in chain(module.parameters(), module.buffers()):
        if t.device != src:
            raise RuntimeError("module must have its parameters and buffers on device "
                               f"{src} (device_ids[0]) but found one of them on device: {t.device}")


def _run(module: Module, inputs: tuple, kwargs: dict, src, device_ids: list, output_device: int) -> Any:
    out = module(*_to(inputs, src), **_to(kwargs, src))
    if len(device_ids) > 1:
        out = _to(out, B.device("cuda", output_device))
    return out


class DataParallel(Module, Generic[T]):
    """Wraps ``module`` (as ``self.module``) for data-parallel runs over ``device_ids``.

    Without a GPU: ``device_ids == []`` whatever is passed, and ``forward`` calls the module."""

    def __init__(self, module: T, device_ids: Sequence | None = None, output_device=None,
                 dim: int = 0) -> None:
        super().__init__()
        if not B.cuda_available():
            self.module = module
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = _all_device_indices()
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.module = module
        self.device_ids = [_device_index(d) for d in device_ids]
        self.output_device = _device_index(output_device)
        self.src_device_obj = B.device("cuda", self.device_ids[0])
        if len(self.device_ids) == 1:
            self.module.to(self.src_device_obj)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        _check_placement(self.module, self.src_device_obj)
        return _run(self.module, inputs, kwargs, self.src_device_obj, self.device_ids, self.output_device)


def data_parallel(module: Module, inputs: Any, device_ids: Sequence | None = None, output_device=None,
                  dim: int = 0, module_kwargs: Any | None = None) -> Any:
    """``module(*inputs, **module_kwargs)`` data-parallel over ``device_ids`` (functional
    ``DataParallel``); needs a GPU, as torch's (``device type could not be determined`` without)."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    if not B.cuda_available():
        raise RuntimeError("device type could not be determined")
    if device_ids is None:
        device_ids = _all_device_indices()
    if output_device is None:
        output_device = device_ids[0]
    device_ids = [_device_index(d) for d in device_ids]
    output_device = _device_index(output_device)
    src = B.device("cuda", device_ids[0])
    _check_placement(module, src)
    return _run(module, inputs, module_kwargs or {}, src, device_ids, output_device)
