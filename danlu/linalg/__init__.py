"""``danlu.linalg``: norms and decompositions with torch's names."""
from __future__ import annotations

from .._ops.norms import matrix_norm, norm as _norm, vector_norm

__all__ = ["norm", "vector_norm", "matrix_norm"]


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """Vector norm for 1-D / ``dim`` int, matrix norm for 2-D / ``dim`` pair; 2-norm of the
    flattened input when both are None."""
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if isinstance(dim, int) or (dim is None and A.ndim == 1):
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    if dim is None and A.ndim == 2 or (isinstance(dim, (tuple, list)) and len(dim) == 2):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return _norm(A, ord, dim, keepdim, dtype)
