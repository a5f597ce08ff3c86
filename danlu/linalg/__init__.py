"""``danlu.linalg``: norms, decompositions and solvers with torch's names and conventions."""
from __future__ import annotations

from .._ops.linalg import (
    LinAlgError,
    cholesky,
    cholesky_ex,
    cond,
    cross,
    det,
    diagonal,
    eigh,
    eigvalsh,
    householder_product,
    inv,
    inv_ex,
    lstsq,
    lu,
    lu_factor,
    lu_factor_ex,
    lu_solve,
    matmul,
    matrix_exp,
    matrix_power,
    matrix_rank,
    multi_dot,
    pinv,
    qr,
    slogdet,
    solve,
    solve_ex,
    solve_triangular,
    svd,
    svdvals,
    tensorinv,
    tensorsolve,
    vander,
    vecdot,
)
from .._ops.ldl import ldl_factor, ldl_factor_ex, ldl_solve
from .._ops.norms import matrix_norm, norm as _norm, vector_norm

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "inv_ex", "solve", "det", "slogdet", "eigh",
           "eigvalsh", "svd", "svdvals", "pinv", "matrix_rank", "lstsq", "qr", "cholesky",
           "cholesky_ex", "matrix_power", "multi_dot", "cond", "vecdot", "cross", "matrix_exp",
           "solve_triangular", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "householder_product",
           "LinAlgError", "solve_ex", "diagonal", "matmul", "vander", "tensorinv", "tensorsolve",
           "ldl_factor", "ldl_factor_ex", "ldl_solve"]


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """Vector norm for 1-D / ``dim`` int, matrix norm for 2-D / ``dim`` pair; 2-norm of the
    flattened input when both are None."""
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None and A.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.ndim}D.")
    if isinstance(dim, int) or (dim is None and A.ndim == 1):
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    if dim is None and A.ndim == 2 or (isinstance(dim, (tuple, list)) and len(dim) == 2):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return _norm(A, ord, dim, keepdim, dtype)
