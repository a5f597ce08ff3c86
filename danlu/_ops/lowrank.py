"""Randomised low-rank SVD and PCA (torch's ``svd_lowrank`` / ``pca_lowrank``).

The randomised range finder of Halko, Martinsson and Tropp (2009, algorithms 4.4 and 5.1):
sketch the column space of ``A - M`` with a Gaussian test matrix ``Omega`` (n x q),
``Y = (A - M) Omega``, orthonormalise ``Q = qr(Y).Q``, refine it with ``niter`` power
(subspace) iterations ``Q <- qr((A - M) qr((A - M)^T Q).Q).Q``, then take the exact SVD of the
small ``B = Q^T (A - M)`` (q x n): ``B = U_B S V^T`` gives ``A - M ~ (Q U_B) S V^T``.  Wide
inputs are handled through their transpose.  Everything is built from differentiable ops
(``matmul``, ``linalg.qr``, ``linalg.svd``), batched over leading dims, and uses danlu's
global generator for ``Omega`` (seed it for repeatable results).
"""
from __future__ import annotations

from .._tensor import Tensor

__all__ = ["svd_lowrank", "pca_lowrank"]


def _mT(x: Tensor) -> Tensor:
    return x.transpose(-2, -1)


def _range_basis(A: Tensor, q: int, niter: int, M: Tensor | None) -> Tensor:
    """``Q`` (m x q, orthonormal columns) with ``Q Q^T (A - M) ~ A - M``."""
    from .. import linalg
    from .._random import randn

    def apply(x):  # (A - M) x without forming A - M
        y = A.matmul(x)
        return y if M is None else y - M.matmul(x)

    def apply_t(x):
        y = _mT(A).matmul(x)
        return y if M is None else y - _mT(M).matmul(x)

    omega = randn(A.shape[-1], q, dtype=A.dtype, device=A.device)
    Q = linalg.qr(apply(omega)).Q
    for _ in range(niter):
        Q = linalg.qr(apply_t(Q)).Q
        Q = linalg.qr(apply(Q)).Q
    return Q


def _svd_lowrank(A: Tensor, q: int, niter: int, M: Tensor | None):
    from .. import linalg

    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(tuple(A.shape))
    wide = m < n
    if wide:
        A = _mT(A)
        M = None if M is None else _mT(M)
    Q = _range_basis(A, q, niter, M)
    Bm = _mT(Q).matmul(A)
    if M is not None:
        Bm = Bm - _mT(Q).matmul(M)
    U, S, Vh = linalg.svd(Bm, full_matrices=False)
    U, V = Q.matmul(U), _mT(Vh)
    return (V, S, U) if wide else (U, S, V)


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2, M: Tensor | None = None):
    """``(U, S, V)`` with ``A - M ~ U diag(S) V^T``: the ``q`` leading singular triplets of
    ``A - M`` (``M`` broadcast to ``A``), by a randomised range finder with ``niter`` subspace
    iterations; ``U`` is (*, m, q), ``S`` (*, q), ``V`` (*, n, q)."""
    return _svd_lowrank(A, 6 if q is None else q, 2 if niter is None else niter, M)


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True, niter: int = 2):
    """PCA of the data matrix ``A`` (m samples x n features): ``svd_lowrank`` of ``A`` minus its
    column means (when ``center``); ``V``'s columns are the principal directions and
    ``S**2 / (m - 1)`` the variances along them.  ``q`` defaults to ``min(6, m, n)``."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (0 <= q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return _svd_lowrank(A, q, niter, None)
    return _svd_lowrank(A - A.mean(-2, keepdim=True), q, niter, None)
