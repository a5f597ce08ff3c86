"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits, lazy properties."""
from __future__ import annotations

import numbers
from functools import update_wrapper

import danlu
from danlu import Tensor

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits", "tril_matrix_to_vec",
           "vec_to_tril_matrix"]


def broadcast_all(*values):
    """Broadcast tensors and numbers together; numbers become tensors of the tensors' dtype
    (the default dtype when every value is a number)."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, torch.Tensor or "
                         "objects implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        ref = next((v for v in values if isinstance(v, Tensor)), None)
        dtype = ref.dtype if ref is not None else danlu.get_default_dtype()
        device = ref.device if ref is not None else None
        values = [v if isinstance(v, Tensor) else danlu.tensor(v, dtype=dtype, device=device)
                  for v in values]
    return danlu.broadcast_tensors(*values)


def _standard_normal(shape, dtype, device):
    return danlu.randn(tuple(shape), dtype=dtype, device=device)


def _sum_rightmost(value, dim: int):
    """Sum out the ``dim`` rightmost dimensions of ``value``."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary: bool = False):
    """``sigmoid(logits)`` (binary) or ``softmax(logits, -1)``."""
    if is_binary:
        return danlu.sigmoid(logits)
    return danlu.softmax(logits, dim=-1)


def clamp_probs(probs):
    """Clamp into ``[eps, 1 - eps]`` (eps of the dtype) so logs stay finite."""
    eps = danlu.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary: bool = False):
    """``log p - log(1 - p)`` (binary) or ``log p``, on clamped probabilities."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return danlu.log(ps_clamped) - danlu.log1p(-ps_clamped)
    return danlu.log(ps_clamped)


class lazy_property:
    """A property computed on first access and then stored in the instance ``__dict__``."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with danlu.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    def __init__(self, wrapped) -> None:
        property.__init__(self, wrapped)


def _tril_flat_index(n: int, diag: int):
    """Flat (row-major) positions of the entries ``j < i + diag + 1`` of an ``n x n`` matrix."""
    return [i * n + j for i in range(n) for j in range(n) if j < i + diag + 1]


def tril_matrix_to_vec(mat, diag: int = 0):
    """The lower-triangular entries (``col < row + diag + 1``) of ``(..., D, D)`` in row order."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    idx = danlu.tensor(_tril_flat_index(n, diag), dtype=danlu.int64, device=mat.device)
    return mat.reshape(tuple(mat.shape[:-2]) + (n * n,)).index_select(-1, idx)


def vec_to_tril_matrix(vec, diag: int = 0):
    """The inverse of ``tril_matrix_to_vec``: a ``(..., D, D)`` matrix, zero above the band.

    ``D`` is the positive root of ``D^2 + (1 + 2 diag) D - |diag| (diag + 1) - 2 N = 0``."""
    m = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    eps = danlu.finfo(vec.dtype).eps
    if round(n) - n > eps:
        raise ValueError(f"The size of last dimension is {m} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    n = round(n)
    pos = _tril_flat_index(n, diag)
    gather = [0] * (n * n)
    for k, p in enumerate(pos):
        gather[p] = k + 1
    padded = danlu.cat([danlu.zeros(tuple(vec.shape[:-1]) + (1,), dtype=vec.dtype, device=vec.device), vec], -1)
    idx = danlu.tensor(gather, dtype=danlu.int64, device=vec.device)
    return padded.index_select(-1, idx).reshape(tuple(vec.shape[:-1]) + (n, n))
