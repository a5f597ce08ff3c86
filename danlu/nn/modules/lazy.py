"""Lazy modules: parameters whose shapes are inferred from the first input.

A lazy module starts with ``UninitializedParameter``s.  A forward pre-hook calls
``initialize_parameters(*inputs)`` on the first call, which materializes them (same Parameter
objects; build the optimizer after the first call, as in torch)
and runs the ordinary ``reset_parameters``; the module then turns into ``cls_to_become``
(``LazyLinear`` -> ``Linear``).  ``load_state_dict`` materializes them from the checkpoint's shapes.
"""
from __future__ import annotations

from typing import Any

from ...autograd.grad_mode import no_grad
from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from . import conv as _conv
from .linear import Linear

__all__ = ["LazyModuleMixin", "LazyLinear", "UninitializedParameter", "UninitializedBuffer"]


class LazyModuleMixin:
    """Mix in before a concrete layer class; subclasses implement ``initialize_parameters``."""

    cls_to_become: type | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(
            LazyModuleMixin._infer_parameters, with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
        # uninitialized entries are saved as the placeholders themselves (nothing to detach)
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if (keep_vars or is_lazy(p)) else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if (keep_vars or is_lazy(b)) else b.detach()

    def has_uninitialized_params(self) -> bool:
        """True while any parameter or buffer still has no shape."""
        for t in list(self._parameters.values()) + list(self._buffers.values()):
            if is_lazy(t):
                return True
        return False

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}")

    @staticmethod
    def _infer_parameters(module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):  # pragma: no cover
        raise RuntimeError(
            "Modules with uninitialized parameters can't be used with `DataParallel`. Run a dummy "
            "forward pass to correctly initialize the modules")


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is ``input.shape[-1]`` of the first input."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        self.in_features = input.shape[-1]
        if self.has_uninitialized_params():
            with no_grad():
                self.weight.materialize((self.out_features, self.in_features),
                                        dtype=input.dtype if input.is_floating_point() else None,
                                        device=input.device)
                if self.bias is not None:
                    self.bias.materialize((self.out_features,), dtype=self.weight.dtype,
                                          device=input.device)
                self.reset_parameters()


class _LazyConvXdMixin(LazyModuleMixin):
    """Shared by the LazyConv* classes: ``in_channels`` comes from the input's channel dim."""

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input) -> int:
        num_spatial = self._get_num_spatial_dims()
        num_dims_no_batch = num_spatial + 1
        num_dims_batch = num_dims_no_batch + 1
        if input.dim() not in (num_dims_no_batch, num_dims_batch):
            raise RuntimeError(
                f"Expected {num_dims_no_batch}D (unbatched) or {num_dims_batch}D (batched) input "
                f"to {self.__class__.__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.dim() == num_dims_batch else input.shape[0]

    def _get_num_spatial_dims(self) -> int:
        return len(self.kernel_size)

    def initialize_parameters(self, input, *args: Any, **kwargs: Any) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            dt = input.dtype if input.is_floating_point() else None
            with no_grad():
                if getattr(self, "transposed", False):
                    shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
                else:
                    shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
                self.weight.materialize(shape, dtype=dt, device=input.device)
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,), dtype=self.weight.dtype,
                                          device=input.device)
                self.reset_parameters()


def _make_lazy_conv(base: type, transposed: bool) -> type:
    """``LazyConv2d`` & co.: construct ``base`` with zero input channels and no bias, then swap in
    uninitialized parameters (torch's recipe)."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, *rest, bias=True,
                 device=None, dtype=None, **kwargs):
        if transposed:
            # ConvTranspose: (in, out, k, stride, padding, output_padding, groups, bias, dilation, mode)
            names = ("output_padding", "groups", "bias", "dilation", "padding_mode")
        else:
            # Conv: (in, out, k, stride, padding, dilation, groups, bias, padding_mode)
            names = ("dilation", "groups", "bias", "padding_mode")
        for n, v in zip(names, rest):
            if n == "bias":
                bias = v
            else:
                kwargs[n] = v
        LazyModuleMixin.__init__(self, 0, 0, kernel_size, stride=stride, padding=padding, bias=False,
                      device=device, dtype=dtype, **kwargs)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    name = "Lazy" + base.__name__
    cls = type(name, (_LazyConvXdMixin, base), {
        "cls_to_become": base, "__init__": __init__, "__module__": __name__,
        "__doc__": f"``{base.__name__}`` whose ``in_channels`` is inferred from the first input."})
    cls.__qualname__ = name
    return cls


# the conv family is written alongside; build the lazy variants of whatever exists
for _name, _tr in (("Conv1d", False), ("Conv2d", False), ("Conv3d", False),
                   ("ConvTranspose1d", True), ("ConvTranspose2d", True), ("ConvTranspose3d", True)):
    _base = getattr(_conv, _name, None)
    if isinstance(_base, type):
        globals()["Lazy" + _name] = _make_lazy_conv(_base, _tr)
        __all__.append("Lazy" + _name)
del _name, _tr, _base
