"""``default_collate`` / ``default_convert``: turn a list of samples into a batch of tensors.

The structure of a sample is kept: tensors and numpy arrays are stacked along a new dim 0, Python
floats become a float64 tensor, ints an int64 tensor, strings stay a list, and dicts / namedtuples /
sequences are collated field by field (a tuple sample gives a *list* of batched fields, as in torch).
"""
from __future__ import annotations

import collections.abc
from typing import Any, Callable

import numpy as np

from ... import _backend as B
from ..._tensor import Tensor

__all__ = ["default_collate", "default_convert", "collate", "default_collate_fn_map"]

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _stack_tensors(batch) -> Tensor:
    first = batch[0]._data
    shape = first.shape
    for i, t in enumerate(batch):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                               f"and {list(t._data.shape)} at entry {i}")
    from ...autograd.grad_mode import GradMode

    if GradMode.enabled and any(t._rg for t in batch):  # keep the graph: go through the op
        from ..._ops.shape import stack

        return stack(batch, 0)
    xp = B.xp_of(first)
    return Tensor._make(xp.stack([t._data for t in batch]))


def _collate_tensor(batch, *, collate_fn_map=None) -> Tensor:
    return _stack_tensors(batch)


def _collate_numpy_array(batch, *, collate_fn_map=None) -> Tensor:
    elem = batch[0]
    if elem.dtype.kind in "SaUO":
        raise TypeError(_ERR.format(elem.dtype))
    shape = elem.shape
    for i, a in enumerate(batch):
        if a.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                               f"and {list(a.shape)} at entry {i}")
    return _as_tensor(np.stack(batch))


def _as_tensor(arr: np.ndarray) -> Tensor:
    from ..._creation import as_tensor

    return as_tensor(arr)


def _collate_numpy_scalar(batch, *, collate_fn_map=None) -> Tensor:
    return _as_tensor(np.asarray(batch))


def _collate_float(batch, *, collate_fn_map=None) -> Tensor:
    return Tensor._make(np.asarray(batch, dtype=np.float64))


def _collate_int(batch, *, collate_fn_map=None) -> Tensor:
    if type(batch[0]) is bool:
        return Tensor._make(np.asarray(batch, dtype=np.bool_))
    return Tensor._make(np.asarray(batch, dtype=np.int64))


def _collate_str(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: dict[Any, Callable] = {
    Tensor: _collate_tensor,
    np.ndarray: _collate_numpy_array,
    np.generic: _collate_numpy_scalar,
    float: _collate_float,
    int: _collate_int,
    str: _collate_str,
    bytes: _collate_str,
}


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collate ``batch`` (a list of samples), dispatching on the type of ``batch[0]`` through
    ``collate_fn_map`` (exact type first, then ``isinstance``) and recursing into containers."""
    if len(batch) == 0:
        raise IndexError("list index out of range")
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for ctype, fn in collate_fn_map.items():
            if isinstance(elem, ctype):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
        try:
            return elem_type(fields)
        except TypeError:  # the mapping type may not take a dict in its constructor
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(list(s), collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        n = len(elem)
        if any(len(e) != n for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [collate(list(s), collate_fn_map=collate_fn_map) for s in transposed]
        try:
            return elem_type([collate(list(s), collate_fn_map=collate_fn_map) for s in transposed])
        except TypeError:
            return [collate(list(s), collate_fn_map=collate_fn_map) for s in transposed]
    raise TypeError(_ERR.format(elem_type))


def default_collate(batch):
    """Collate a list of samples into a batch (see the module docstring for the rules)."""
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """Convert numpy arrays / numpy scalars in ``data`` to tensors without batching (used when
    ``batch_size=None``); containers are converted element-wise, everything else passes through."""
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        if data.dtype.kind in "SaUO":
            return data
        return _as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        fields = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(fields)
        except TypeError:
            return fields
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
