"""Flatten parameters into one vector and back."""
from __future__ import annotations

from typing import Iterable

from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check(t) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(t).__name__}")


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """One 1-D tensor: the parameters flattened and concatenated (differentiable)."""
    from ..._ops.shape import cat

    vec = []
    for p in parameters:
        vec.append(p.reshape(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters' data (as torch: the parameters
    then share memory with ``vec``)."""
    _check(vec)
    ptr = 0
    arr = vec._data
    for p in parameters:
        n = p.numel()
        p._data = arr[ptr:ptr + n].reshape(tuple(p.shape))
        p._vc[0] += 1
        ptr += n
