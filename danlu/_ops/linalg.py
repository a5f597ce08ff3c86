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


class LinAlgError(RuntimeError):
    """Raised by linalg functions on a numerically failed input (singular matrix, not
    positive-definite, no convergence), as ``torch.linalg.LinAlgError``; a ``RuntimeError``."""


def _tname(dt) -> str:
    return {"int64": "Long", "int32": "Int", "bool": "Bool", "uint8": "Byte", "float16": "Half",
            "int16": "Short", "int8": "Char", "float32": "Float", "float64": "Double"}[dt.name]


def _check(A, fn: str, square: bool = True, floating: bool = True) -> None:
    if not isinstance(A, U.Tensor):
        raise TypeError(f"{fn}(): argument 'A' (position 1) must be Tensor, not {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if floating and A.dtype not in (D.float32, D.float64):
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


def _inv_info(a):
    """Per-matrix LAPACK-style info of an LU inversion: 0, or the 1-based index of the first
    zero diagonal element of U (error path only; numpy arrays)."""
    from .._backend import to_numpy
    import numpy as np

    an = to_numpy(a)
    flat = an.reshape((-1,) + an.shape[-2:])
    info = np.zeros(flat.shape[0], dtype=np.int32)
    for i in range(flat.shape[0]):
        try:
            np.linalg.inv(flat[i])
        except np.linalg.LinAlgError:
            info[i] = _zero_pivot(flat[i])
    return info.reshape(an.shape[:-2])


def _first_error(info, msg):
    """``LinAlgError`` for the first nonzero ``info`` (torch's "(Batch element i): " prefix when
    batched); ``msg(pre, k)`` builds the text from the info value ``k``."""
    import numpy as np

    flat = np.asarray(info).reshape(-1)
    if not flat.any():
        return None
    i = int(np.argmax(flat != 0))
    pre = f"(Batch element {i}): " if np.ndim(info) else ""
    return LinAlgError(msg(pre, int(flat[i])))


def _singular_error(fn, a):
    return _first_error(_inv_info(a), lambda pre, k: (
        f"{fn}: {pre}The diagonal element {k} is zero, the inversion could not be completed because "
        "the input matrix is singular.")) or LinAlgError(f"{fn}: The input matrix is singular.")


def _solve_singular(fn, a):
    return _first_error(_inv_info(a), lambda pre, k: (
        f"{fn}: {pre}The solver failed because the input matrix is singular.")) or LinAlgError(
        f"{fn}: The solver failed because the input matrix is singular.")


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


def _masked_batch(A, info):
    """``(A with the failed matrices replaced by the identity, mask of them as a Tensor)``."""
    xp = xp_of(A._data)
    bad = xp.asarray(info != 0)[..., None, None]
    m = U.Tensor._make(xp.broadcast_to(bad, A._data.shape), None)
    eye = _eye(A.shape[-1], A).expand(A.shape)
    return A.masked_fill(m, 0.0) + eye.masked_fill(~m, 0.0), m


_INVEX = namedtuple("linalg_inv_ex", ["inverse", "info"])


def inv_ex(A, *, check_errors=False, out=None):
    """``(A^-1, info)``: ``info`` 0, or the 1-based index of the zero diagonal element of U
    for a singular matrix (whose inverse is then nan); raises only when ``check_errors``."""
    _check(A, "linalg.inv_ex")
    xp = xp_of(A._data)
    try:
        return _INVEX(LinalgInvEx.apply(A), U.Tensor._make(xp.zeros(A.shape[:-2], dtype="int32"), None))
    except LinAlgError:
        info = _inv_info(A._data)
    if check_errors:
        raise _singular_error("linalg.inv_ex", A._data)
    safe, m = _masked_batch(A, info)
    r = LinalgInvEx.apply(safe).masked_fill(m, float("nan"))
    return _INVEX(r, U.Tensor._make(xp.asarray(info), None))


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
            raise _solve_singular("torch.linalg.solve", a) from None

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


_SOLVEX = namedtuple("linalg_solve_ex", ["result", "info"])


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """``(X, info)`` of ``solve``: ``info`` 0, or (per matrix of A's batch) the 1-based index of
    the zero pivot of a singular A, whose solution is then nan; raises only when
    ``check_errors``."""
    _check(A, "linalg.solve_ex")
    xp = xp_of(A._data)
    try:
        X = solve(A, B, left=left)
        return _SOLVEX(X, U.Tensor._make(xp.zeros(A.shape[:-2], dtype="int32"), None))
    except LinAlgError:
        info = _inv_info(A._data)
    if check_errors:
        raise _solve_singular("torch.linalg.solve_ex", A._data)
    safe, m = _masked_batch(A, info)
    X = solve(safe, B, left=left)
    bad = xp.asarray(info != 0)
    vec = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    mk = U.Tensor._make(xp.broadcast_to(bad[..., None] if vec else bad[..., None, None], X.shape), None)
    return _SOLVEX(X.masked_fill(mk, float("nan")), U.Tensor._make(xp.asarray(info), None))


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
            raise LinAlgError("linalg.eigh: The algorithm failed to converge because the input "
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
            raise LinAlgError("linalg.svd: The algorithm failed to converge because the input "
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


def _pd_info(a):
    """Per-matrix info of a Cholesky factorization: 0, or the order of the first leading minor
    that is not positive-definite (error path only; numpy arrays)."""
    from .._backend import to_numpy
    import numpy as np

    an = to_numpy(a).astype(np.float64)
    flat = an.reshape((-1,) + an.shape[-2:])
    info = np.zeros(flat.shape[0], dtype=np.int32)
    for i in range(flat.shape[0]):
        for k in range(1, flat.shape[-1] + 1):
            try:
                np.linalg.cholesky(flat[i, :k, :k])
            except np.linalg.LinAlgError:
                info[i] = k
                break
    return info.reshape(an.shape[:-2])


def _not_pd(fn, a):
    return _first_error(_pd_info(a), lambda pre, k: (
        f"{fn}: {pre}The factorization could not be completed because the input is not "
        f"positive-definite (the leading minor of order {k} is not positive-definite).")) or LinAlgError(
        f"{fn}: The factorization could not be completed because the input is not positive-definite.")


def cholesky(A, *, upper=False, out=None):
    """Lower-triangular ``L`` with ``A = L L^T`` (``upper=True``: ``U = L^T``)."""
    _check(A, "linalg.cholesky")
    L = LinalgCholeskyEx.apply(A)
    return L.mT if upper else L


_CHOLEX = namedtuple("linalg_cholesky_ex", ["L", "info"])


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """``(L, info)``: ``info`` 0, or the order of the first leading minor that is not
    positive-definite (``L`` of such a matrix is zeros); raises only when ``check_errors``."""
    _check(A, "linalg.cholesky_ex")
    xp = xp_of(A._data)
    try:
        L = LinalgCholeskyEx.apply(A)
        info = xp.zeros(A.shape[:-2], dtype="int32")
    except LinAlgError:
        info = _pd_info(A._data)
        if check_errors:
            raise _not_pd("linalg.cholesky_ex", A._data) from None
        safe, m = _masked_batch(A, info)
        L = LinalgCholeskyEx.apply(safe).masked_fill(m, 0.0)
    return _CHOLEX(L.mT if upper else L, U.Tensor._make(xp.asarray(info), None))


# ------------------------------------------------------------------------------------------
# composites
# ------------------------------------------------------------------------------------------
def matrix_power(A, n: int):
    """``A^n`` by repeated squaring; negative ``n`` inverts first.  Any dtype for ``n >= 0``:
    integer powers keep the dtype and wrap around on overflow, as torch's."""
    _check(A, "linalg.matrix_power", floating=False)
    if n == 0:
        eye = _eye(A.shape[-1], A).expand(A.shape)
        return eye + A * 0 if A.requires_grad else eye.clone()
    if n == 1:
        return A.clone()
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
    tensors = list(tensors)
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    if n == 2:
        return tensors[0] @ tensors[1]
    # torch's evaluation order (it decides where inf / NaN meet): for three matrices the cheaper
    # of (AB)C and A(BC) (ties: (AB)C); for more, the matrix-chain order (first cheapest split)
    mats = tensors.copy()
    v0, v1 = mats[0].ndim == 1, mats[-1].ndim == 1
    if v0:
        mats[0] = mats[0].unsqueeze(0)
    if v1:
        mats[-1] = mats[-1].unsqueeze(-1)
    p = [m.shape[0] for m in mats] + [mats[-1].shape[-1]]
    if n == 3:
        a, b, c, d = p
        r = mats[0] @ (mats[1] @ mats[2]) if a * c * (b + d) > b * d * (a + c) else (mats[0] @ mats[1]) @ mats[2]
    else:
        cost = [[0] * n for _ in range(n)]
        split = [[0] * n for _ in range(n)]
        for ln in range(1, n):
            for i in range(n - ln):
                j = i + ln
                cost[i][j] = None
                for k in range(i, j):
                    q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                    if cost[i][j] is None or q < cost[i][j]:
                        cost[i][j], split[i][j] = q, k

        def chain(i, j):
            return mats[i] if i == j else chain(i, split[i][j]) @ chain(split[i][j] + 1, j)
        r = chain(0, n - 1)
    if v0 and v1:
        return r.reshape(())
    return r.squeeze(0) if v0 else r.squeeze(-1) if v1 else r


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
    lo = other.shape[d - input.ndim] if input.ndim - d <= other.ndim else 3
    if input.shape[d] != 3 or lo != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. "
                           f"Got {input.shape[d]} and {lo}")
    a0, a1, a2 = input.unbind(d)
    b0, b1, b2 = other.unbind(d)
    from .shape import stack

    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


# ------------------------------------------------------------------------------------------
# matrix_exp
# ------------------------------------------------------------------------------------------
# [13/13] Pade coefficients b_0..b_13 of exp (Higham 2005, "The scaling and squaring method for
# the matrix exponential revisited") and the 1-norm up to which it is exact to double rounding
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _quiet(xp):
    import contextlib

    return xp.errstate(all="ignore") if hasattr(xp, "errstate") else contextlib.nullcontext()


def _expm(xp, a):
    """``exp(A)`` of a batch of square matrices by scaling and squaring: per matrix the smallest
    ``s >= 0`` with ``||A 2^-s||_1 <= theta_13``, ``r = (V - U)^-1 (V + U)`` the [13/13] Pade
    approximant of ``exp(A 2^-s)`` (U odd, V even part), then ``s`` squarings."""
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    with _quiet(xp):
        s = xp.ceil(xp.log2(xp.abs(a).sum(-2).max(-1) / _THETA13))
    s = xp.where(xp.isfinite(s) & (s > 0), s, 0).astype(xp.int64)
    x = a * xp.exp2(-s.astype(a.dtype))[..., None, None]
    b = _PADE13
    eye = xp.eye(n, dtype=a.dtype)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4 + b[3] * x2
             + b[1] * eye)
    v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 + b[0] * eye
    with _quiet(xp):
        try:
            r = xp.linalg.solve(v - u, v + u)
        except _linalg_error(xp):  # only for non-finite input
            r = xp.full(a.shape, xp.nan, a.dtype)
    smax, smin = int(s.max()), int(s.min())
    for j in range(smax):
        sq = r @ r
        r = sq if j < smin else xp.where((s > j)[..., None, None], sq, r)
    return r.astype(a.dtype, copy=False)


class MatrixExp(Op):
    """``exp(A)``; ``gA = L(A^T, g)``, the Frechet derivative, read off as the upper-right block
    of ``exp([[A^T, g], [0, A^T]])`` (so the backward is itself differentiable)."""

    _save_in = (0,)

    @staticmethod
    def forward(ctx, a):
        return _expm(xp_of(a), a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        from .shape import cat

        n = a.shape[-1]
        at = a.mT
        big = cat([cat([at, g], -1), cat([a.new_zeros(tuple(a.shape)), at], -1)], -2)
        return (MatrixExp.apply(big).narrow(-2, 0, n).narrow(-1, n, n),)


def matrix_exp(A):
    """``exp(A) = sum_k A^k / k!`` of a (batch of) square matrices."""
    _check(A, "linalg.matrix_exp")
    return MatrixExp.apply(A)


# ------------------------------------------------------------------------------------------
# triangular solves
# ------------------------------------------------------------------------------------------
def _trsolve(xp, a, b, upper, unit):
    """``X`` with ``A X = B`` for triangular ``A`` (batch dims already equal), by substitution
    row by row: ``x_i = (b_i - sum_{j != i in the triangle} a_ij x_j) / a_ii``.  Only the
    ``upper`` (or lower) triangle is read; ``unit``: ``a_ii`` taken as 1.  A zero diagonal gives
    inf/nan, as LAPACK's trtrs."""
    n = a.shape[-1]
    x = xp.empty(b.shape, b.dtype)
    with _quiet(xp):
        for i in (range(n - 1, -1, -1) if upper else range(n)):
            r = b[..., i, :]
            lo, hi = (i + 1, n) if upper else (0, i)
            if hi > lo:
                r = r - (a[..., i:i + 1, lo:hi] @ x[..., lo:hi, :])[..., 0, :]
            x[..., i, :] = r if unit else r / a[..., i, i][..., None]
    return x


class SolveTriangular(Op):
    """``X = A^-1 B``, A triangular; ``gB = A^-T g``, ``gA = -gB X^T`` kept on A's triangle
    (strictly, when unitriangular)."""

    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, a, b, upper, unit):
        ctx.upper, ctx.unit = upper, unit
        return _trsolve(xp_of(a), a, b, upper, unit)

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        upper, unit = ctx.upper, ctx.unit
        gb = SolveTriangular.apply(a.mT, g, upper=not upper, unit=unit)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -(gb @ x.mT)
            ga = ga.triu(1 if unit else 0) if upper else ga.tril(-1 if unit else 0)
        return ga, (gb if ctx.needs_input_grad[1] else None)


def _promote2(A, B):
    dt = D.promote_types(A.dtype, B.dtype)
    return (A if A.dtype is dt else A.to(dt)), (B if B.dtype is dt else B.to(dt))


def _expand_batch(A, B):
    batch = U.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    Ae = A if tuple(A.shape[:-2]) == batch else A.expand(batch + tuple(A.shape[-2:]))
    Be = B if tuple(B.shape[:-2]) == batch else B.expand(batch + tuple(B.shape[-2:]))
    return Ae, Be


def _tri(A, B, upper, unit):
    A, B = _promote2(A, B)
    Ae, Be = _expand_batch(A, B)
    return SolveTriangular.apply(Ae, Be, upper=bool(upper), unit=bool(unit))


def _out(res, out):
    if out is None:
        return res
    from .elementwise import _out as write

    return write(res, out)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """``X`` with ``A X = B`` (``left=False``: ``X A = B``) for triangular ``A``: only its upper
    (``upper=True``) or lower triangle is read; ``unitriangular``: its diagonal is taken as 1."""
    fn = "linalg.solve_triangular"
    _check(A, fn)
    if not isinstance(B, U.Tensor) or B.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor B must have at least 2 dimensions.")
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {eq} "
                           f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")
    if left:
        return _out(_tri(A, B, upper, unitriangular), out)
    return _out(_tri(A.mT, B.mT, not upper, unitriangular).mT, out)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """Deprecated ``torch.triangular_solve``: ``(X, A.clone())`` with ``op(A) X = b``,
    ``op(A) = A^T`` when ``transpose``; both broadcast to the common batch shape."""
    if not isinstance(b, U.Tensor) or b.ndim < 2:
        raise RuntimeError("torch.triangular_solve: Expected b to have at least 2 dimensions, but it "
                           f"has {getattr(b, 'ndim', 0)} dimensions instead")
    if not isinstance(A, U.Tensor) or A.ndim < 2:
        raise RuntimeError("torch.triangular_solve: Expected A to have at least 2 dimensions, but it "
                           f"has {getattr(A, 'ndim', 0)} dimensions instead")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")
    _check(A, "torch.triangular_solve")
    if A.shape[-1] != b.shape[-2]:
        raise RuntimeError(
            f"Incompatible matrix sizes for triangular_solve: each A matrix is {A.shape[-2]} by "
            f"{A.shape[-1]} but each b matrix is {b.shape[-2]} by {b.shape[-1]}")
    Ae, be = _expand_batch(A, b)
    X = _tri(Ae.mT if transpose else Ae, be, upper != bool(transpose), unitriangular)
    res = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])(X, Ae.clone())
    if out is not None:
        _out(res[0], out[0])
        _out(res[1], out[1])
        return type(res)(out[0], out[1])
    return res


# ------------------------------------------------------------------------------------------
# Cholesky solves
# ------------------------------------------------------------------------------------------
def _chol_solve(xp, b, l, upper):
    lt = xp.swapaxes(l, -1, -2)
    if upper:  # A = U^T U
        return _trsolve(xp, l, _trsolve(xp, lt, b, False, False), True, False)
    return _trsolve(xp, lt, _trsolve(xp, l, b, False, False), True, False)


class CholeskySolve(Op):
    """``X = (L L^T)^-1 B`` (``upper``: ``(U^T U)^-1 B``), reading one triangle of L.  As torch:
    ``gB = A^-1 g``, ``C = gB X^T + X gB^T``, ``gL = -C L`` (``upper``: ``gU = -U C``)."""

    _save_in = (1,)
    _save_out = True

    @staticmethod
    def forward(ctx, b, l, upper):
        ctx.upper = upper
        return _chol_solve(xp_of(l), b, l, upper)

    @staticmethod
    def backward(ctx, g):
        l, x = ctx.saved_tensors
        gb = CholeskySolve.apply(g, l, upper=ctx.upper)
        gl = None
        if ctx.needs_input_grad[1]:
            c = gb @ x.mT
            c = c + c.mT
            gl = -(l @ c) if ctx.upper else -(c @ l)
        return (gb if ctx.needs_input_grad[0] else None), gl


def cholesky_solve(B, L, upper=False, *, out=None):
    """``X`` with ``A X = B`` given the Cholesky factor of ``A = L L^T`` (``upper``: ``U^T U``)."""
    if not isinstance(B, U.Tensor) or B.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {getattr(B, 'ndim', 0)} "
                           "dimensions instead")
    if not isinstance(L, U.Tensor) or L.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {getattr(L, 'ndim', 0)} "
                           "dimensions instead")
    if L.shape[-1] != L.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are {L.shape[-2]} by "
                           f"{L.shape[-1]} matrices")
    _check(L, "cholesky_solve")
    if L.shape[-1] != B.shape[-2]:
        raise RuntimeError(
            f"Incompatible matrix sizes for cholesky_solve: each A matrix is {L.shape[-2]} by "
            f"{L.shape[-1]} but each b matrix is {B.shape[-2]} by {B.shape[-1]}")
    B, L = _promote2(B, L)
    Be, Le = _expand_batch(B, L)
    return _out(CholeskySolve.apply(Be, Le, upper=bool(upper)), out)


def cholesky_inverse(L, upper=False, *, out=None):
    """``A^-1`` from the Cholesky factor of ``A = L L^T`` (``upper``: ``U^T U``); symmetric."""
    _check(L, "cholesky_inverse")
    eye = _eye(L.shape[-1], L).expand(tuple(L.shape))
    X = CholeskySolve.apply(eye, L, upper=bool(upper))
    return _out((X + X.mT) * 0.5, out)


# ------------------------------------------------------------------------------------------
# LU with partial pivoting
# ------------------------------------------------------------------------------------------
def _prod(shape) -> int:
    r = 1
    for s in shape:
        r *= s
    return r


def _getrf(xp, a):
    """LAPACK getrf on a batch of m x n matrices, right-looking: at step j the row ``p >= j``
    with the largest ``|a_pj|`` (first on ties) is swapped into row j, the column below is
    divided by the pivot and the trailing block gets the rank-1 update
    ``a[j+1:, j+1:] -= a[j+1:, j] a[j, j+1:]``.  Returns ``(LU, pivots (1-based int32), info)``,
    info = index (1-based) of the first exactly-zero pivot, 0 if none."""
    m, n = a.shape[-2], a.shape[-1]
    k = min(m, n)
    batch = a.shape[:-2]
    nb = _prod(batch)
    f = xp.array(a, copy=True).reshape((nb, m, n))
    piv = xp.empty((nb, k), xp.int32)
    info = xp.zeros((nb,), xp.int32)
    rows = xp.arange(nb)
    with _quiet(xp):
        for j in range(k):
            p = j + xp.argmax(xp.abs(f[:, j:, j]), axis=1)
            piv[:, j] = p + 1
            top = f[rows, j].copy()
            f[rows, j] = f[rows, p]
            f[rows, p] = top
            d = f[:, j, j]
            zero = d == 0
            info = xp.where((info == 0) & zero, j + 1, info).astype(xp.int32)
            if j + 1 < m:
                col = f[:, j + 1:, j] / xp.where(zero, 1, d)[:, None]
                f[:, j + 1:, j] = col
                if j + 1 < n:
                    f[:, j + 1:, j + 1:] -= col[:, :, None] * f[:, j:j + 1, j + 1:]
    return f.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def _perm_of(xp, piv, m):
    """Row order ``perm`` with ``(P^T A)[i] = A[perm[i]]`` from LAPACK's sequential swaps
    ``i <-> piv[i] - 1``."""
    batch, k = piv.shape[:-1], piv.shape[-1]
    nb = _prod(batch)
    pv = piv.reshape((nb, k)).astype(xp.int64) - 1
    perm = xp.tile(xp.arange(m), (nb, 1))
    rows = xp.arange(nb)
    for i in range(k):
        q = pv[:, i]
        t = perm[:, i].copy()
        perm[:, i] = perm[rows, q]
        perm[rows, q] = t
    return perm.reshape(batch + (m,))


def _perm_matrix(LU, pivots):
    """``P`` (LU's dtype) with ``A = P L U`` for the given pivots (a constant)."""
    xp = xp_of(LU._data)
    m = LU.shape[-2]
    batch = tuple(LU.shape[:-2])
    piv = xp.broadcast_to(pivots._data, batch + tuple(pivots.shape[-1:]))
    perm = _perm_of(xp, piv, m)
    pt = perm[..., :, None] == xp.arange(m)
    return U.Tensor._make(xp.swapaxes(pt, -1, -2).astype(LU._data.dtype), None)


def _split_lu(LU):
    """``L`` (m x k, unit lower) and ``U`` (k x n, upper) packed in ``LU`` (Tensor ops)."""
    m, n = LU.shape[-2], LU.shape[-1]
    k = min(m, n)
    xp = xp_of(LU._data)
    Lm = (LU if n == k else LU.narrow(-1, 0, k)).tril(-1) + \
        U.Tensor._make(xp.eye(m, k, dtype=LU._data.dtype), None)
    Um = (LU if m == k else LU.narrow(-2, 0, k)).triu()
    return Lm, Um


def _lu_backward(P, L, Um, gL, gU):
    """Gradient of ``A = P L U`` given ``gL`` (strictly lower part read) and ``gU`` (upper):
    square ``gA = P L^-T [tril_-1(L^T gL) + triu(gU U^T)] U^-T``; wide ``U = [U1 U2]`` adds
    ``-gU2 U2^T`` inside the ``tril_-1`` and ``gA2 = P L^-T gU2``; tall ``L = [L1; L2]`` adds
    ``-L2^T gL2`` inside the ``triu`` and ``gA2 = P gL2 U^-T``."""
    from .shape import cat

    m, n = L.shape[-2], Um.shape[-1]
    k = min(m, n)
    if m == n:
        phi = (L.mT @ gL).tril(-1) + (gU @ Um.mT).triu()
        gA = solve_triangular(L.mT, phi, upper=True, unitriangular=True)
        gA = solve_triangular(Um.mT, gA, upper=False, left=False)
    elif m < n:
        U1, U2 = Um.narrow(-1, 0, k), Um.narrow(-1, k, n - k)
        gU1, gU2 = gU.narrow(-1, 0, k), gU.narrow(-1, k, n - k)
        phi = (L.mT @ gL - gU2 @ U2.mT).tril(-1) + (gU1 @ U1.mT).triu()
        gA1 = solve_triangular(U1.mT, phi, upper=False, left=False)
        gA = solve_triangular(L.mT, cat([gA1, gU2], -1), upper=True, unitriangular=True)
    else:
        L1, L2 = L.narrow(-2, 0, k), L.narrow(-2, k, m - k)
        gL1, gL2 = gL.narrow(-2, 0, k), gL.narrow(-2, k, m - k)
        phi = (L1.mT @ gL1).tril(-1) + (gU @ Um.mT - L2.mT @ gL2).triu()
        gA1 = solve_triangular(L1.mT, phi, upper=True, unitriangular=True)
        gA = solve_triangular(Um.mT, cat([gA1, gL2], -2), upper=False, left=False)
    return P @ gA


class LinalgLuFactor(Op):
    """``(LU, pivots, info)`` of getrf; the gradient flows from ``LU`` (L strictly below the
    diagonal, U on and above it) through ``A = P L U``."""

    n_out = 3
    _save_out = True

    @staticmethod
    def forward(ctx, a):
        ctx.non_differentiable = (1, 2)
        return _getrf(xp_of(a), a)

    @staticmethod
    def backward(ctx, gLU, gpiv, ginfo):
        LU, piv, _ = ctx.saved_tensors
        m, n = LU.shape[-2], LU.shape[-1]
        k = min(m, n)
        L, Um = _split_lu(LU)
        gL = (gLU if n == k else gLU.narrow(-1, 0, k)).tril(-1)
        gU = (gLU if m == k else gLU.narrow(-2, 0, k)).triu()
        return (_lu_backward(_perm_matrix(LU, piv), L, Um, gL, gU),)


def _lu_check(A, fn, pivot):
    if isinstance(A, U.Tensor) and A.ndim < 2:
        raise RuntimeError(f"{fn}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    if isinstance(A, U.Tensor) and A.dtype not in (D.float32, D.float64):
        raise NotImplementedError(f'"lu_cpu" not implemented for \'{_tname(A.dtype)}\'')
    _check(A, fn, square=False)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def _lu_error(fn, info):
    from .._backend import to_numpy
    import numpy as np

    inf = to_numpy(info._data)
    if not inf.any():
        return None
    flat = inf.reshape(-1)
    i = int(np.argmax(flat != 0))
    pre = f"(Batch element {i}): " if inf.ndim else ""
    j = int(flat[i])
    return RuntimeError(
        f"torch.{fn}: {pre}U[{j},{j}] is zero and using it on lu_solve would result in a division "
        "by zero. If you still want to perform the factorization, consider calling "
        "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


_LUFEX = namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
_LUF = namedtuple("linalg_lu_factor", ["LU", "pivots"])


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """``(LU, pivots, info)``: ``A = P L U`` packed as LAPACK's getrf (L unit lower below the
    diagonal, U on and above; ``pivots`` 1-based int32 row swaps; ``info`` first zero pivot)."""
    _lu_check(A, "torch.lu_factor", pivot)
    res = _LUFEX(*LinalgLuFactor.apply(A))
    if check_errors:
        err = _lu_error("linalg.lu_factor_ex", res.info)
        if err is not None:
            raise err
    return res


def lu_factor(A, *, pivot=True, out=None):
    """``(LU, pivots)`` of ``lu_factor_ex``; an exactly singular U is an error."""
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    err = _lu_error("linalg.lu_factor", info)
    if err is not None:
        raise err
    return _LUF(LU, piv)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """``(P, L, U)`` from ``lu_factor``'s packed form (empty tensors for what is not unpacked)."""
    if LU_pivots.dtype is not D.int32:
        raise RuntimeError(
            "torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
            "Note: this function is intended to be used with the output produced by "
            "torch.linalg.lu_factor")
    xp = xp_of(LU_data._data)
    empty = U.Tensor._make(xp.zeros((0,), LU_data._data.dtype), None)
    P = _perm_matrix(LU_data, LU_pivots) if unpack_pivots else empty
    Lm, Um = _split_lu(LU_data) if unpack_data else (empty, empty)
    return namedtuple("lu_unpack", ["P", "L", "U"])(P, Lm, Um)


def lu(A, *, pivot=True, out=None):
    """``(P, L, U)`` with ``A = P L U``: P a permutation, L (m x k) unit lower, U (k x n) upper,
    ``k = min(m, n)``; differentiable in L and U."""
    _lu_check(A, "linalg.lu", pivot)
    LU, piv, _ = LinalgLuFactor.apply(A)
    P, Lm, Um = lu_unpack(LU, piv)
    return namedtuple("linalg_lu", ["P", "L", "U"])(P, Lm, Um)


def lu_legacy(A, pivot=True, get_infos=False, out=None):
    """Deprecated ``torch.lu``: ``(LU, pivots)`` (``get_infos``: ``(LU, pivots, infos)``)."""
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    return (LU, piv, info) if get_infos else (LU, piv)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """``X`` with ``A X = B`` from ``(LU, pivots) = lu_factor(A)``: ``X = U^-1 L^-1 P^T B``
    (``adjoint``: ``A^T X = B``; ``left=False``: ``X A = B``); differentiable in LU and B."""
    fn = "linalg.lu_solve"
    if not isinstance(LU, U.Tensor) or LU.ndim < 2:
        raise RuntimeError(f"torch.{fn}: The input tensor A must have at least 2 dimensions.")
    if LU.shape[-1] != LU.shape[-2]:
        raise RuntimeError(f"torch.{fn}: A must be batches of square matrices, but they are "
                           f"{LU.shape[-2]} by {LU.shape[-1]} matrices")
    if not isinstance(B, U.Tensor) or B.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor B must have at least 2 dimensions.")
    n = LU.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if pivots.dtype is not D.int32:
        raise RuntimeError(f"{fn}: pivots should be a Tensor of scalar type torch.int32")
    if LU.dtype is not B.dtype:
        raise RuntimeError(f"{fn}: Expected LU and B to have the same dtype, but found LU of type "
                           f"{_tname(LU.dtype)} and B of type {_tname(B.dtype)} instead")
    P, Lm, Um = lu_unpack(LU, pivots)
    Bm = B if left else B.mT
    if left != bool(adjoint):  # A X = B
        X = _tri(Um, _tri(Lm, P.mT @ Bm, False, True), True, False)
    else:  # A^T X = B
        X = P @ _tri(Lm.mT, _tri(Um.mT, Bm, False, False), True, True)
    return _out(X if left else X.mT, out)


def lu_solve_legacy(b, LU_data, LU_pivots, *, out=None):
    """Deprecated ``torch.lu_solve(b, LU_data, LU_pivots)``."""
    return lu_solve(LU_data, LU_pivots, b, out=out)


# ------------------------------------------------------------------------------------------
# Householder reflectors (geqrf / householder_product = orgqr / ormqr)
# ------------------------------------------------------------------------------------------
def _geqrf(xp, a):
    """LAPACK geqr2: for column j the reflector ``H = I - tau v v^T`` (``v_0 = 1``) with
    ``H x = beta e_1``, ``beta = -sign(alpha) ||x||``, ``tau = (beta - alpha) / beta``,
    ``v = x / (alpha - beta)`` below the diagonal (``tau = 0`` when x below alpha is zero)."""
    m, n = a.shape[-2], a.shape[-1]
    k = min(m, n)
    batch = a.shape[:-2]
    f = xp.array(a, copy=True).reshape((_prod(batch), m, n))
    taus = xp.zeros((f.shape[0], k), a.dtype)
    with _quiet(xp):
        for j in range(k):
            alpha = f[:, j, j]
            below = f[:, j + 1:, j]
            xnorm = xp.sqrt((below * below).sum(-1))
            trivial = xnorm == 0
            beta = -xp.copysign(xp.hypot(alpha, xnorm), alpha)
            tau = xp.where(trivial, 0, (beta - alpha) / beta)
            scale = xp.where(trivial, 1, 1 / (alpha - beta))
            v = below * scale[:, None]
            f[:, j + 1:, j] = v
            f[:, j, j] = xp.where(trivial, alpha, beta)
            taus[:, j] = tau
            if j + 1 < n:
                rest = f[:, j:, j + 1:]
                w = rest[:, 0, :] + (v[:, :, None] * rest[:, 1:, :]).sum(1)
                f[:, j, j + 1:] -= tau[:, None] * w
                f[:, j + 1:, j + 1:] -= tau[:, None, None] * v[:, :, None] * w[:, None, :]
    return f.reshape(a.shape), taus.reshape(batch + (k,))


def geqrf(input, *, out=None):
    """``(a, tau)``: QR as LAPACK's geqrf -- R on and above the diagonal, the Householder vectors
    below it, ``Q = H_1 ... H_k`` with ``H_i = I - tau_i v_i v_i^T`` (not differentiable)."""
    if not isinstance(input, U.Tensor) or input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    _check(input, "torch.geqrf", square=False)
    a, tau = _geqrf(xp_of(input._data), input._data)
    return namedtuple("geqrf", ["a", "tau"])(U.Tensor._make(a, None), U.Tensor._make(tau, None))


def _reflectors(input, tau, fn):
    if not isinstance(input, U.Tensor) or input.ndim < 2:
        raise RuntimeError(f"torch.{fn}: input must have at least 2 dimensions.")
    _check(input, f"torch.{fn}", square=False)
    if tau.ndim != input.ndim - 1:
        raise RuntimeError(f"torch.{fn}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {tau.ndim} and input.ndim is equal to {input.ndim}")
    if tau.dtype is not input.dtype:
        if fn == "ormqr":
            raise RuntimeError(f"torch.{fn}: Expected input and tau to have the same dtype, but input "
                               f"has dtype{_tname(input.dtype)} and tau has dtype {_tname(tau.dtype)}")
        raise RuntimeError(f"torch.{fn}: tau dtype {_tname(tau.dtype)} does not match input dtype "
                           f"{_tname(input.dtype)}")
    m, n = input.shape[-2], input.shape[-1]
    if tau.shape[-1] > n:
        raise RuntimeError(f"torch.{fn}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    if tuple(tau.shape[:-1]) != tuple(input.shape[:-2]):
        raise RuntimeError(f"torch.{fn}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {tuple(tau.shape[:-1])}")
    xp = xp_of(input._data)
    V = input.tril(-1) + U.Tensor._make(xp.eye(m, n, dtype=input._data.dtype), None)
    return V, [(V.narrow(-1, i, 1), tau.narrow(-1, i, 1).unsqueeze(-1))
               for i in range(tau.shape[-1])]


def householder_product(A, tau, *, out=None):
    """First n columns of ``Q = H_1 ... H_k``, ``H_i = I - tau_i v_i v_i^T`` with ``v_i`` the
    i-th column of A below the diagonal and 1 on it (LAPACK's orgqr); differentiable."""
    fn = "linalg.householder_product"
    if isinstance(A, U.Tensor) and A.ndim >= 2 and A.shape[-2] < A.shape[-1]:
        raise RuntimeError(f"torch.{fn}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    V, refl = _reflectors(A, tau, fn)
    m, n = A.shape[-2], A.shape[-1]
    xp = xp_of(A._data)
    Q = U.Tensor._make(xp.eye(m, n, dtype=A._data.dtype), None).expand(tuple(A.shape))
    for v, t in reversed(refl):
        Q = Q - (t * v) @ (v.mT @ Q)
    return _out(Q, out)


def orgqr(input, tau):
    """``torch.orgqr``: ``linalg.householder_product``."""
    return householder_product(input, tau)


def ormqr(input, tau, other, left=True, transpose=False, *, out=None):
    """``op(Q) C`` (``left=False``: ``C op(Q)``), ``op(Q) = Q^T`` when ``transpose``, with
    ``Q = H_1 ... H_k`` the m x m product of geqrf's reflectors; differentiable."""
    if not isinstance(other, U.Tensor) or other.ndim < 2:
        raise RuntimeError("torch.ormqr: other must have at least 2 dimensions.")
    m = input.shape[-2] if isinstance(input, U.Tensor) and input.ndim >= 2 else 0
    if left and other.shape[-2] != m:
        raise RuntimeError("torch.ormqr: other.shape[-2] must be equal to input.shape[-2]")
    if not left and other.shape[-1] != m:
        raise RuntimeError("torch.ormqr: other.shape[-1] must be equal to input.shape[-2]")
    _, refl = _reflectors(input, tau, "ormqr")
    if other.ndim != input.ndim:
        raise RuntimeError("torch.ormqr: Expected other to have the same number of dimensions as "
                           f"input, but got other.ndim equal to {other.ndim} and input.ndim is equal "
                           f"to {input.ndim}")
    side = -2 if left else -1
    if tau.shape[-1] != min(other.shape[side], input.shape[-1]):
        raise RuntimeError(f"torch.ormqr: tau.shape[-1] must be equal to min(other.shape[{side}], "
                           "input.shape[-1])")
    C = other
    # Q C = H_1 (... (H_k C)); Q^T C = H_k (... (H_1 C)); C Q = ((C H_1) ...) H_k
    order = refl if left == bool(transpose) else refl[::-1]
    for v, t in order:
        C = C - (t * v) @ (v.mT @ C) if left else C - ((C @ v) * t) @ v.mT
    return _out(C, out)


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
           "matrix_power", "multi_dot", "cond", "vecdot", "cross", "matrix_exp", "solve_triangular",
           "triangular_solve", "cholesky_solve", "cholesky_inverse", "lu_factor", "lu_factor_ex",
           "lu", "lu_unpack", "lu_solve", "householder_product", "geqrf", "orgqr", "ormqr"]


# ------------------------------------------------------------------------------------------
# small composites: diagonal, matmul, vander, tensorinv, tensorsolve
# ------------------------------------------------------------------------------------------
def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """``A.diagonal(offset, dim1, dim2)`` with the matrix dims as defaults."""
    return A.diagonal(offset, dim1, dim2)


def matmul(input, other, *, out=None):
    """``input @ other`` (alias of ``danlu.matmul``)."""
    from .blas import matmul as _mm

    return _mm(input, other)


def vander(x, N: int | None = None):
    """Vandermonde matrix ``V[..., i, j] = x[..., i]^j`` for ``j < N`` (default ``N = x.shape[-1]``),
    built by a cumulative product so it is differentiable."""
    from .._creation import ones_like
    from .shape import cat

    if x.ndim == 0:
        raise RuntimeError("N must be greater than 1.")
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    xe = x.unsqueeze(-1)
    one = ones_like(xe)
    return cat([one, xe.expand(tuple(x.shape) + (n - 1,))], -1).cumprod(-1)


def _prod(shape) -> int:
    r = 1
    for s in shape:
        r *= int(s)
    return r


def tensorinv(A, ind: int = 2, *, out=None):
    """Inverse of ``A`` seen as a linear map from ``shape[ind:]`` to ``shape[:ind]``: result of
    shape ``shape[ind:] + shape[:ind]`` with ``tensordot(A, X, ind) = I``."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    out_shape = tuple(A.shape[ind:]) + tuple(A.shape[:ind])
    p, q = _prod(A.shape[ind:]), _prod(A.shape[:ind])
    if p != q:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {p} != {q}")
    M = A.reshape(q, p)
    _check(M, "linalg.inv")
    try:
        return LinalgInvEx.apply(M).reshape(out_shape)
    except LinAlgError:
        raise _singular_error("inv", M._data) from None


def tensorsolve(A, B, dims=None, *, out=None):
    """``X`` with ``tensordot(A, X, X.ndim) = B``: ``A`` (after moving ``dims`` to the end) is
    a linear map from ``A.shape[B.ndim:]`` to ``B``'s shape; ``X.shape = A.shape[B.ndim:]``."""
    if dims is not None:
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        A = A.movedim(dims, tuple(range(A.ndim - len(dims), A.ndim)))
    res_shape = tuple(A.shape[B.ndim:])
    p, q = _prod(res_shape), _prod(B.shape)
    if p != q:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {p} != {q}")
    return solve(A.reshape(q, p), B.reshape(q)).reshape(res_shape)
