"""Matrix decompositions and solvers (``danlu.linalg``), differentiable like torch's.

Forward passes call ``xp.linalg`` (numpy.linalg or cupy.linalg: same names) on batches of
matrices (the last two dims).  Every backward is written in Tensor ops (matmul, inv, ...),
so second derivatives work wherever torch's do.  Formulas for a real input ``A``:

* inv:      ``gA = -X^T g X^T``                  with ``X = A^-1``
* solve:    ``gB = A^-T g``, ``gA = -gB X^T``     with ``X = A^-1 B``
* det:      ``gA = g det(A) A^-T``; slogdet: ``gA = g_logabs A^-T``
* eigh:     ``gA = Q (skew(Q^T gQ) / E + diag(gL)) Q^T``, ``E_ij = L_j - L_i``,
            ``skew(X) = (X - X^T) / 2``
* svd:      ``gA = U [ (skew(U^T gU)/E) S + S (skew(V^T gV)/E) + diag(gS) ] V^T
            + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T)``, ``E_ij = S_j^2 - S_i^2``,
            ``skew(X) = X - X^T``
* qr (m>=n): ``gA = (gQ + Q copyltu(M)) R^-T``, ``M = R gR^T - gQ^T Q``
* cholesky: ``gA = sym(L^-T  Phi(L^T gL)  L^-1)``, Phi = lower triangle with halved diagonal
"""
from __future__ import annotations

from collections import namedtuple

from .. import _dtype as D
from .._backend import xp_of
from ..autograd.function import Op
from . import _util as U

# ------------------------------------------------------------------------------------------
# input checks (torch's messages)
# ------------------------------------------------------------------------------------------


def _tname(dt) -> str:
    return {"int64": "Long", "int32": "Int", "bool": "Bool", "uint8": "Byte", "float16": "Half",
            "int16": "Short", "int8": "Char", "float32": "Float", "float64": "Double"}[dt.name]


def _check(A, fn: str, square: bool = True) -> None:
    if not isinstance(A, U.Tensor):
        raise TypeError(f"{fn}(): argument 'A' (position 1) must be Tensor, not {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if A.dtype not in (D.float32, D.float64):
        raise RuntimeError(
            f"{fn}: Expected a floating point or complex tensor as input. Got {_tname(A.dtype)}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


def _zero_pivot(a) -> int:
    """1-based index of the first zero pivot of LU with partial pivoting (error path only)."""
    import numpy as np

    m = np.array(a, dtype=np.float64)
    n = m.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        if m[p, k] == 0:
            return k + 1
        m[[k, p]] = m[[p, k]]
        m[k + 1:] -= np.outer(m[k + 1:, k] / m[k, k], m[k])
    return n


def _singular_error(fn, a):
    from .._backend import to_numpy
    import numpy as np

    an = to_numpy(a)
    flat = an.reshape((-1,) + an.shape[-2:])
    for i in range(flat.shape[0]):
        k = _zero_pivot(flat[i])
        if k < flat.shape[-1] or np.linalg.matrix_rank(flat[i]) < flat.shape[-1]:
            pre = f"(Batch element {i}): " if an.ndim > 2 else ""
            return RuntimeError(
                f"{fn}: {pre}The diagonal element {k} is zero, the inversion could not be "
                "completed because the input matrix is singular.")
    return RuntimeError(f"{fn}: The input matrix is singular.")


def _eye(n, like):
    xp = xp_of(like._data)
    return U.Tensor._make(xp.eye(n, dtype=like._data.dtype), None)


def _linalg_error(xp):
    return xp.linalg.LinAlgError


# ------------------------------------------------------------------------------------------
# inv / solve / det / slogdet
# ------------------------------------------------------------------------------------------
class LinalgInvEx(Op):
    _save_out = True

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        try:
            return xp.linalg.inv(a)
        except _linalg_error(xp):
            raise _singular_error("linalg.inv", a) from None

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xt = x.mT
        return (-(xt @ g @ xt),)


def inv(A, *, out=None):
    """``A^-1`` of a (batch of) square matrices."""
    _check(A, "linalg.inv")
    return LinalgInvEx.apply(A)


def inv_ex(A, *, check_errors=False):
    xp = xp_of(A._data)
    try:
        r = inv(A)
        info = xp.zeros(A.shape[:-2], dtype="int32")
    except RuntimeError:
        if check_errors:
            raise
        r = U.Tensor._make(xp.full(A._data.shape, xp.nan, A._data.dtype), None)
        info = xp.ones(A.shape[:-2], dtype="int32")
    return namedtuple("inv_ex", ["inverse", "info"])(r, U.Tensor._make(info, None))


class LinalgSolveEx(Op):
    """``X = A^-1 B`` for matrices ``B`` with batch dims already equal to A's."""

    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, a, b):
        xp = xp_of(a)
        try:
            return xp.linalg.solve(a, b)
        except _linalg_error(xp):
            raise RuntimeError(
                "torch.linalg.solve: The solver failed because the input matrix is singular.") from None

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = LinalgSolveEx.apply(a.mT, g)
        ga = -(gb @ x.mT) if ctx.needs_input_grad[0] else None
        return ga, (gb if ctx.needs_input_grad[1] else None)


def solve(A, B, *, left=True, out=None):
    """Solve ``A X = B`` (``left=False``: ``X A = B``); ``B`` may be a vector or a batch of
    vectors, and batch dims broadcast."""
    _check(A, "linalg.solve")
    if not left:
        return solve(A.mT, B.mT).mT
    if B.dtype is not A.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{_tname(A.dtype)} and B of type {_tname(B.dtype)} instead")
    n = A.shape[-1]
    # torch: B is a (batch of) vector(s) when B.ndim == 1 or B.shape == A.shape[:-1]
    vec = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    Bm = B.unsqueeze(-1) if vec else B
    if Bm.shape[-2] != n:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {Bm.shape[-2]}x{Bm.shape[-1]})")
    batch = U.broadcast_shapes(tuple(A.shape[:-2]), tuple(Bm.shape[:-2]))
    Ae = A if tuple(A.shape[:-2]) == batch else A.expand(batch + tuple(A.shape[-2:]))
    Be = Bm if tuple(Bm.shape[:-2]) == batch else Bm.expand(batch + tuple(Bm.shape[-2:]))
    X = LinalgSolveEx.apply(Ae, Be)
    return X.squeeze(-1) if vec else X


class LinalgDet(Op):
    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, a):
        return xp_of(a).linalg.det(a)

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved_tensors
        return ((g * d).unsqueeze(-1).unsqueeze(-1) * inv(a).mT,)


def det(A):
    """Determinant of a (batch of) square matrices."""
    _check(A, "linalg.det")
    return LinalgDet.apply(A)


class LinalgSlogdet(Op):
    """``(sign, log|det A|)``; only ``logabsdet`` is differentiable."""

    n_out = 2
    _save_in = (0,)

    @staticmethod
    def forward(ctx, a):
        sign, logabs = xp_of(a).linalg.slogdet(a)
        ctx.non_differentiable = (0,)
        return sign.astype(a.dtype, copy=False), logabs.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, gsign, glog):
        (a,) = ctx.saved_tensors
        if glog is None:
            return (None,)
        return (glog.unsqueeze(-1).unsqueeze(-1) * inv(a).mT,)


def slogdet(A):
    _check(A, "linalg.slogdet")
    s, la = LinalgSlogdet.apply(A)
    return namedtuple("slogdet", ["sign", "logabsdet"])(s, la)


def logdet(A):
    """``log det A`` (nan for a negative determinant, as torch)."""
    s, la = slogdet(A)
    xp = xp_of(la._data)
    return la + U.Tensor._make(xp.where(s._data < 0, xp.nan, 0.0).astype(la._data.dtype), None)


# ------------------------------------------------------------------------------------------
# eigh / eigvalsh
# ------------------------------------------------------------------------------------------
class LinalgEigh(Op):
    n_out = 2
    _save_out = True

    @staticmethod
    def forward(ctx, a, uplo):
        xp = xp_of(a)
        try:
            w, v = xp.linalg.eigh(a, UPLO=uplo)
        except _linalg_error(xp):
            raise RuntimeError("linalg.eigh: The algorithm failed to converge because the input "
                               "matrix is ill-conditioned or has too many repeated eigenvalues") from None
        return w, v

    @staticmethod
    def backward(ctx, gL, gQ):
        L, Q = ctx.saved_tensors
        if gQ is None:
            inner = gL.diag_embed() if gL is not None else None
        else:
            VhgV = Q.mT @ gQ
            skew = (VhgV - VhgV.mT) * 0.5
            E = L.unsqueeze(-2) - L.unsqueeze(-1) + _eye(L.shape[-1], L)
            inner = skew / E
            if gL is not None:
                inner = inner + gL.diag_embed()
        if inner is None:
            return (None,)
        return (Q @ inner @ Q.mT,)


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix; only the
    ``UPLO`` triangle is read."""
    _check(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    L, Q = LinalgEigh.apply(A, uplo=UPLO)
    return namedtuple("eigh", ["eigenvalues", "eigenvectors"])(L, Q)


def eigvalsh(A, UPLO="L"):
    _check(A, "linalg.eigvalsh")
    return eigh(A, UPLO)[0]


# ------------------------------------------------------------------------------------------
# svd / svdvals / pinv / matrix_rank
# ------------------------------------------------------------------------------------------
class LinalgSvd(Op):
    n_out = 3
    _save_out = True

    @staticmethod
    def forward(ctx, a, full_matrices):
        xp = xp_of(a)
        ctx.full, ctx.m, ctx.n = full_matrices, a.shape[-2], a.shape[-1]
        try:
            u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        except _linalg_error(xp):
            raise RuntimeError("linalg.svd: The algorithm failed to converge because the input "
                               "matrix is ill-conditioned or has too many repeated singular values") from None
        return u, s, vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        Uf, S, Vhf = ctx.saved_tensors
        m, n = ctx.m, ctx.n
        k = min(m, n)
        if ctx.full and m != n and (gU is not None or gVh is not None):
            raise RuntimeError(
                "linalg_svd_backward: Setting full_matrices=True in forward is not supported. "
                "Please use full_matrices=False")
        Um = Uf if Uf.shape[-1] == k else Uf.narrow(-1, 0, k)
        Vh = Vhf if Vhf.shape[-2] == k else Vhf.narrow(-2, 0, k)
        if gU is None and gVh is None:
            if gS is None:
                return (None,)
            return ((Um * gS.unsqueeze(-2)) @ Vh,)
        Srow, Scol = S.unsqueeze(-2), S.unsqueeze(-1)
        S2 = S * S
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye(k, S)
        inner = gS.diag_embed() if gS is not None else None
        if gU is not None:
            UhgU = Um.mT @ gU
            t = ((UhgU - UhgU.mT) / E) * Srow
            inner = t if inner is None else inner + t
        if gVh is not None:
            VhgV = Vh @ gVh.mT
            t = Scol * ((VhgV - VhgV.mT) / E)
            inner = t if inner is None else inner + t
        gA = Um @ inner @ Vh
        if gU is not None and m > k:
            gA = gA + ((gU - Um @ UhgU) / Srow) @ Vh
        if gVh is not None and n > k:
            gA = gA + Um @ ((gVh - (gVh @ Vh.mT) @ Vh) / Scol)
        return (gA,)


_SVD = namedtuple("svd", ["U", "S", "Vh"])


def svd(A, full_matrices=True, *, driver=None):
    """``A = U diag(S) Vh`` with singular values descending."""
    _check(A, "linalg.svd", square=False)
    return _SVD(*LinalgSvd.apply(A, full_matrices=bool(full_matrices)))


def svdvals(A, *, driver=None):
    _check(A, "linalg.svdvals", square=False)
    return LinalgSvd.apply(A, full_matrices=False)[1]


def _default_rtol(A, S):
    eps = float(xp_of(A._data).finfo(A._data.dtype).eps)
    return max(A.shape[-2], A.shape[-1]) * eps


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """Moore-Penrose pseudo-inverse ``V diag(1/S) U^T`` keeping ``S > max(atol, rtol * S_max)``."""
    _check(A, "linalg.pinv", square=False)
    Um, S, Vh = svd(A, full_matrices=False)
    if S.shape[-1] == 0:
        return A.mT.new_zeros(A.mT.shape)
    smax = S.amax(-1, keepdim=True).detach()
    if rtol is None:
        rtol = 0.0 if atol is not None and (not isinstance(atol, (int, float)) or atol > 0) \
            else _default_rtol(A, S)
    tol = smax * rtol
    if atol is not None:
        from .elementwise import maximum

        tol = maximum(tol, atol if isinstance(atol, U.Tensor) else smax * 0 + atol)
    keep = S > tol
    Sinv = (1 / S.masked_fill(~keep, 1.0)).masked_fill(~keep, 0.0)
    return Vh.mT @ (Sinv.unsqueeze(-1) * Um.mT)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """Number of singular values above ``max(atol, rtol * S_max)`` (int64)."""
    _check(A, "linalg.matrix_rank", square=False)
    if tol is not None:
        atol, rtol = tol, 0.0
    S = svdvals(A.detach())
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else _default_rtol(A, S)
    smax = S.amax(-1, keepdim=True) if S.shape[-1] else S.sum(-1, keepdim=True)
    thr = smax * rtol
    if atol is not None:
        from .elementwise import maximum

        thr = maximum(thr, smax * 0 + atol)
    return (S > thr).sum(-1)


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of ``A X = B`` via the pseudo-inverse (differentiable).

    The other fields follow torch on CPU per ``driver`` (default 'gelsy'): residuals
    ``sum((A X - B)^2)`` for 'gels'/'gelsd'/'gelss' when m > n and A has full rank, singular values
    for 'gelsd'/'gelss', the rank for all but 'gels'; empty tensors otherwise."""
    _check(A, "linalg.lstsq", square=False)
    vec = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vec else B
    X = pinv(A, rtol=rcond if rcond is not None else None) @ Bm
    xp = xp_of(A._data)
    m, n = A.shape[-2], A.shape[-1]
    rank = matrix_rank(A)
    empty = U.Tensor._make(xp.zeros((0,), A._data.dtype), None)
    # torch on CPU: residuals from 'gels'/'gelsd'/'gelss' only (the default 'gelsy' gives none)
    if driver in ("gels", "gelsd", "gelss") and m > n and bool((rank == n).all()):
        res = ((A @ X - Bm) ** 2).sum(-2)
    else:
        res = empty
    X = X.squeeze(-1) if vec else X
    # as torch on CPU: singular values only from the SVD-based drivers, no rank from 'gels'
    sv = svdvals(A).detach() if driver in ("gelsd", "gelss") else empty
    if driver == "gels":
        rank = U.Tensor._make(xp.zeros((0,), xp.int64), None)
    return namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])(X, res, rank, sv)


# ------------------------------------------------------------------------------------------
# qr / cholesky
# ------------------------------------------------------------------------------------------
class LinalgQr(Op):
    n_out = 2
    _save_out = True

    @staticmethod
    def forward(ctx, a, mode):
        xp = xp_of(a)
        ctx.mode, ctx.m, ctx.n = mode, a.shape[-2], a.shape[-1]
        if mode == "r":
            r = xp.linalg.qr(a, mode="r")
            return xp.zeros((0,), a.dtype), r
        q, r = xp.linalg.qr(a, mode=mode)
        return q, r

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        m, n = ctx.m, ctx.n
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                "through linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        if m >= n:
            return (_qr_back_tall(Q, R, gQ, gR),)
        # wide: A = Q [R1 R2]; X = A[:, :m] = Q R1 is square, Y = A[:, m:] = Q R2
        R1, R2 = R.narrow(-1, 0, m), R.narrow(-1, m, n - m)
        Y = Q @ R2
        gR1 = gR.narrow(-1, 0, m) if gR is not None else None
        gR2 = gR.narrow(-1, m, n - m) if gR is not None else None
        gQp = gQ
        if gR2 is not None:
            t = Y @ gR2.mT
            gQp = t if gQp is None else gQp + t
        gX = _qr_back_tall(Q, R1, gQp, gR1)
        gY = Q @ gR2 if gR2 is not None else gX.new_zeros(tuple(gX.shape[:-1]) + (n - m,))
        from .shape import cat

        return (cat([gX, gY], -1),)


def _qr_back_tall(Q, R, gQ, gR):
    """``gA = (gQ + Q copyltu(M)) R^-T`` with ``M = R gR^T - gQ^T Q`` (m >= n)."""
    M = None
    if gR is not None:
        M = R @ gR.mT
    if gQ is not None:
        t = gQ.mT @ Q
        M = -t if M is None else M - t
    b = Q @ (M.tril(-1).mT + M.tril())
    if gQ is not None:
        b = b + gQ
    return b @ inv(R).mT


def qr(A, mode="reduced"):
    """``A = Q R`` with ``mode`` 'reduced' (default), 'complete' or 'r' (Q empty)."""
    _check(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    q, r = LinalgQr.apply(A, mode=mode)
    return namedtuple("qr", ["Q", "R"])(q, r)


class LinalgCholeskyEx(Op):
    _save_out = True

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        try:
            return xp.linalg.cholesky(a)
        except _linalg_error(xp):
            raise _not_pd("linalg.cholesky", a) from None

    @staticmethod
    def backward(ctx, g):
        (L,) = ctx.saved_tensors
        phi = (L.mT @ g).tril()
        phi = phi - phi.diagonal(0, -2, -1).diag_embed() * 0.5
        Li = inv(L)
        gA = Li.mT @ phi @ Li
        return ((gA + gA.mT) * 0.5,)


def _not_pd(fn, a):
    from .._backend import to_numpy
    import numpy as np

    an = to_numpy(a).astype(np.float64)
    flat = an.reshape((-1,) + an.shape[-2:])
    for i in range(flat.shape[0]):
        for k in range(1, flat.shape[-1] + 1):
            try:
                np.linalg.cholesky(flat[i, :k, :k])
            except np.linalg.LinAlgError:
                pre = f"(Batch element {i}): " if an.ndim > 2 else ""
                return RuntimeError(
                    f"{fn}: {pre}The factorization could not be completed because the input is "
                    f"not positive-definite (the leading minor of order {k} is not positive-definite).")
    return RuntimeError(f"{fn}: The factorization could not be completed because the input is not "
                        "positive-definite.")


def cholesky(A, *, upper=False, out=None):
    """Lower-triangular ``L`` with ``A = L L^T`` (``upper=True``: ``U = L^T``)."""
    _check(A, "linalg.cholesky")
    L = LinalgCholeskyEx.apply(A)
    return L.mT if upper else L


def cholesky_ex(A, *, upper=False, check_errors=False):
    xp = xp_of(A._data)
    try:
        L = cholesky(A, upper=upper)
        info = xp.zeros(A.shape[:-2], dtype="int32")
    except RuntimeError:
        if check_errors:
            raise
        L = U.Tensor._make(xp.zeros(A._data.shape, A._data.dtype), None)
        info = xp.ones(A.shape[:-2], dtype="int32")
    return namedtuple("cholesky_ex", ["L", "info"])(L, U.Tensor._make(info, None))


# ------------------------------------------------------------------------------------------
# composites
# ------------------------------------------------------------------------------------------
def matrix_power(A, n: int):
    """``A^n`` by repeated squaring; negative ``n`` inverts first."""
    _check(A, "linalg.matrix_power")
    if n == 0:
        return _eye(A.shape[-1], A).expand(A.shape) + A * 0
    if n < 0:
        A, n = inv(A), -n
    result = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def multi_dot(tensors):
    """Product of a chain of matrices (first may be 1-D, last may be 1-D)."""
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    r = tensors[0]
    for t in tensors[1:]:
        r = r @ t
    return r


def cond(A, p=None):
    """Condition number ``||A|| ||A^-1||`` (2-norm: ``S_max / S_min``)."""
    if p is None or p == 2:
        S = svdvals(A)
        return S.amax(-1) / S.amin(-1)
    if p == -2:
        S = svdvals(A)
        return S.amin(-1) / S.amax(-1)
    from .norms import matrix_norm

    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def vecdot(x, y, *, dim=-1):
    return (x * y).sum(dim)


def cross(input, other, *, dim=-1):
    """3-vector cross product along ``dim``."""
    d = U.norm_dim(dim, input.ndim)
    a0, a1, a2 = input.unbind(d)
    b0, b1, b2 = other.unbind(d)
    from .shape import stack

    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


# ------------------------------------------------------------------------------------------
# torch's top-level (legacy) spellings
# ------------------------------------------------------------------------------------------
def svd_legacy(input, some=True, compute_uv=True):
    """``torch.svd``: returns ``(U, S, V)`` -- V, not Vh -- reduced unless ``some=False``;
    with ``compute_uv=False`` U and V are zero-filled."""
    Um, S, Vh = svd(input, full_matrices=not some)
    if not compute_uv:
        return namedtuple("svd", ["U", "S", "V"])(Um.detach() * 0, S, Vh.mT.detach() * 0)
    return namedtuple("svd", ["U", "S", "V"])(Um, S, Vh.mT)


def qr_legacy(input, some=True):
    """``torch.qr``: reduced unless ``some=False``."""
    return qr(input, "reduced" if some else "complete")


def pinverse(input, rcond=1e-15):
    """``torch.pinverse``: ``linalg.pinv`` with ``rtol=rcond``."""
    return pinv(input, rtol=rcond)


def cholesky_legacy(input, upper=False):
    return cholesky(input, upper=upper)


__all__ = ["inv", "inv_ex", "solve", "det", "slogdet", "logdet", "eigh", "eigvalsh", "svd",
           "svdvals", "pinv", "matrix_rank", "lstsq", "qr", "cholesky", "cholesky_ex",
           "matrix_power", "multi_dot", "cond", "vecdot", "cross"]
