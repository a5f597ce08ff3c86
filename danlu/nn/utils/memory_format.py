"""``convert_conv2d_weight_memory_format`` / ``convert_conv3d_weight_memory_format``: restride
the weights of every (transposed) convolution in a module tree to a memory format.

Only the strides change (``channels_last``: a 4-D weight stored ``(out, kh, kw, in)``); values,
shapes and results stay the same.  ``preserve_format`` is refused as torch's ``resize_`` does.
"""
from __future__ import annotations

from typing import TypeVar

from ... import _memory_format as MF
from ..modules.conv import Conv2d, Conv3d, ConvTranspose2d, ConvTranspose3d
from ..modules.module import Module

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]

_M = TypeVar("_M", bound=Module)


def _convert(module: Module, memory_format, kinds: tuple) -> None:
    if isinstance(module, kinds):
        weight = module.weight.detach().clone(memory_format=memory_format)
        if memory_format is MF.preserve_format:
            raise RuntimeError("Unsupported memory formatPreserve")
        module.weight.data = weight
    for child in module.children():
        _convert(child, memory_format, kinds)


def convert_conv2d_weight_memory_format(module: _M, memory_format) -> _M:
    """Give the weight of each ``Conv2d`` / ``ConvTranspose2d`` in ``module`` (itself included)
    the strides of ``memory_format`` (e.g. ``channels_last``); returns ``module``."""
    _convert(module, memory_format, (Conv2d, ConvTranspose2d))
    return module


def convert_conv3d_weight_memory_format(module: _M, memory_format) -> _M:
    """Give the weight of each ``Conv3d`` / ``ConvTranspose3d`` in ``module`` (itself included)
    the strides of ``memory_format`` (e.g. ``channels_last_3d``); returns ``module``."""
    _convert(module, memory_format, (Conv3d, ConvTranspose3d))
    return module
