"""LOBPCG: a few extreme eigenpairs of a symmetric positive-definite (generalized) problem
``A x = lambda B x`` (torch's ``lobpcg``).

Locally Optimal Block Preconditioned Conjugate Gradient (Knyazev 2001): the block ``X`` (m x n)
of approximate eigenvectors is improved by a Rayleigh-Ritz step on the search space
``S = [X, P, W]``: ``X`` itself, ``P`` the previous step's direction and ``W = iK R`` the
preconditioned residuals ``R = A X - B X diag(E)``.  Rayleigh-Ritz solves the small problem
``(S^T A S) C = (S^T B S) C Theta``:

* ``method="basic"``: ``S^T B S`` is reduced by Cholesky, ``Ri = D R^-1`` with
  ``R^T R = D S^T B S D``, ``D = diag(S^T B S)^-1/2``, then ``eigh(Ri^T S^T A S Ri)``;
* ``method="ortho"`` (default): ``W`` is made B-orthonormal and B-orthogonal to ``[X, P]``
  (Stathopoulos and Wu 2002; the SVQB of Duersch et al. 2018 with repeated projection), so
  ``S^T B S = I`` and ``eigh(S^T A S)`` is enough; ``P`` is the part of the new ``X`` outside
  the old one.

An eigenpair counts as converged when ``||r_j|| / (||x_j|| (||A|| + |e_j| ||B||)) < tol``
(``||A||, ||B||`` estimated from the first ``X``); converged pairs (a leading run) are kept
out of the search.  The iteration stops after ``niter`` steps, when ``k`` pairs converged, or
when a ``tracker`` sets ``worker.bvars["force_stop"]``.

The gradient (dense ``A`` without ``B``, as in torch) is that of ``k`` exact eigenpairs of the
symmetrised ``A``: with ``F_ij = 1 / (e_j - e_i)`` (0 on the diagonal)
``gA = U (diag(gE) + (U^T gU) * F) U^T - Y U^T``, ``y_j = P (A - e_j)^-1 P g_j`` the
component of the eigenvector's sensitivity outside ``span(U)`` (``P = I - U U^T``), found by
solving ``(A - e_j I + U diag(e_j - e + 1) U^T) y_j = P g_j``.
"""
from __future__ import annotations

from .._tensor import Tensor
from ..autograd.function import Op

__all__ = ["lobpcg"]

_FEPS = {"float32": 1.2e-07, "float64": 2.23e-16}


def _mm(A, X):
    return X if A is None else A.matmul(X)


def _qform(A, S):
    """``S^T A S`` (``A = None``: the identity)."""
    return S.mT.matmul(_mm(A, S))


def _symeig(A, largest):
    """Eigenpairs of the small symmetric ``A`` (its upper triangle), largest first if asked."""
    from .. import linalg

    E, Z = linalg.eigh(A, UPLO="U")
    if largest:
        E, Z = E.flip(-1), Z.flip(-1)
    return E, Z


def _fnorm(x) -> Tensor:
    from .. import linalg

    return linalg.vector_norm(x.reshape(-1), 2)


class LOBPCG:
    """The iteration state (what a ``tracker`` receives): ``iparams``/``fparams``/``bparams``
    (integer, float, boolean parameters), ``ivars``/``fvars``/``bvars``/``tvars`` (iteration
    variables: ``ivars["istep"]``, ``ivars["converged_count"]``, ``tvars["rerr"]``, ...), the
    inputs ``A``, ``B``, ``iK`` and the iterates ``E``, ``X``, ``S``, ``R``."""

    def __init__(self, A, B, X, iK, iparams, fparams, bparams, method, tracker) -> None:
        from .._creation import zeros

        self.A, self.B, self.iK = A, B, iK
        self.iparams, self.fparams, self.bparams = iparams, fparams, bparams
        self.method, self.tracker = method, tracker
        m, n = iparams["m"], iparams["n"]
        self.X = X
        self.E = zeros((n,), dtype=X.dtype, device=X.device)
        self.R = zeros((m, n), dtype=X.dtype, device=X.device)
        self.S = zeros((m, 3 * n), dtype=X.dtype, device=X.device)
        self.tvars: dict = {}
        self.ivars: dict = {"istep": 0}
        self.fvars: dict = {"_": 0.0}
        self.bvars: dict = {"_": False}

    def __str__(self) -> str:
        names = ["iparams", "fparams", "bparams", "ivars", "fvars", "bvars", "tvars",
                 "A", "B", "iK", "X", "E"]
        return "LOBPCG:\n" + "".join(f"  {k}={getattr(self, k)}\n" for k in names)

    # -- driver ------------------------------------------------------------------------------
    def update(self) -> None:
        """One step (the first also estimates ``||A||``, ``||B||`` from ``X``)."""
        if self.ivars["istep"] == 0:
            x_norm = float(_fnorm(self.X))
            inv = x_norm ** -1
            self.fvars["X_norm"] = x_norm
            self.fvars["A_norm"] = float(_fnorm(_mm(self.A, self.X))) * inv
            self.fvars["B_norm"] = float(_fnorm(_mm(self.B, self.X))) * inv
            self.ivars["iterations_left"] = self.iparams["niter"]
            self.ivars["converged_count"] = 0
            self.ivars["converged_end"] = 0
        if self.method == "ortho":
            self._update_ortho()
        else:
            self._update_basic()
        self.ivars["iterations_left"] -= 1
        self.ivars["istep"] += 1

    def update_residual(self) -> None:
        """``R = A X - B X diag(E)``."""
        self.R = _mm(self.A, self.X) - _mm(self.B, self.X) * self.E

    def update_converged_count(self) -> int:
        """Length of the leading run of pairs with
        ``||r_j|| / (||x_j|| (||A|| + |e_j| ||B||)) < tol`` (it never decreases)."""
        from .. import linalg

        prev = self.ivars["converged_count"]
        E, X, R = self.E, self.X, self.R
        rerr = linalg.vector_norm(R, 2, dim=0) / (
            linalg.vector_norm(X, 2, dim=0)
            * (self.fvars["A_norm"] + E[: X.shape[-1]].abs() * self.fvars["B_norm"]))
        count = 0
        for ok in (rerr < self.fparams["tol"]).tolist():
            if not ok:
                break
            count += 1
        if count < prev:
            raise AssertionError(f"the number of converged eigenpairs (was {prev}, got {count}) "
                                 "cannot decrease")
        self.ivars["converged_count"] = count
        self.tvars["rerr"] = rerr
        return count

    def stop_iteration(self) -> bool:
        return (self.bvars.get("force_stop", False) or self.ivars["iterations_left"] == 0
                or self.ivars["converged_count"] >= self.iparams["k"])

    def run(self) -> None:
        self.update()
        self.call_tracker()
        while not self.stop_iteration():
            self.update()
            self.call_tracker()

    def call_tracker(self) -> None:
        if self.tracker is not None:
            self.tracker(self)

    # -- the two methods ---------------------------------------------------------------------
    def _update_basic(self) -> None:
        ns, nc = self.ivars["converged_end"], self.ivars["converged_count"]
        n, largest = self.iparams["n"], self.bparams["largest"]
        if self.ivars["istep"] == 0:
            Ri = self._get_rayleigh_ritz_transform(self.X)
            E, Z = _symeig(_qform(_qform(self.A, self.X), Ri), largest)
            self.X[:] = self.X.matmul(Ri.matmul(Z))
            self.E[:] = E
            n_p = 0
            self.update_residual()
            nc = self.update_converged_count()
            self.S[:, :n] = self.X
            W = _mm(self.iK, self.R)
        else:
            S_ = self.S[:, nc:ns]
            Ri = self._get_rayleigh_ritz_transform(S_)
            E_, Z = _symeig(_qform(_qform(self.A, S_), Ri), largest)
            self.X[:, nc:] = S_.matmul(Ri.matmul(Z[:, :n - nc]))
            self.E[nc:] = E_[:n - nc]
            P = S_.matmul(Ri.matmul(Z[:, n:2 * n - nc]))
            n_p = P.shape[-1]
            self.update_residual()
            nc = self.update_converged_count()
            self.S[:, :n] = self.X
            self.S[:, n:n + n_p] = P
            W = _mm(self.iK, self.R[:, nc:])
        ns = self.ivars["converged_end"] = n + n_p + W.shape[-1]
        self.S[:, n + n_p:ns] = W

    def _update_ortho(self) -> None:
        from .. import linalg

        ns, nc = self.ivars["converged_end"], self.ivars["converged_count"]
        n, largest = self.iparams["n"], self.bparams["largest"]
        if self.ivars["istep"] == 0:
            Ri = self._get_rayleigh_ritz_transform(self.X)
            _, Z = _symeig(_qform(_qform(self.A, self.X), Ri), largest)
            self.X = self.X.matmul(Ri.matmul(Z))  # E stays 0 for the first residual
            self.update_residual()
            n_p = 0
            nc = self.update_converged_count()
            self.S[:, :n] = self.X
            W = self._get_ortho(self.R, self.X)
        else:
            S_ = self.S[:, nc:ns]
            E_, Z = _symeig(_qform(self.A, S_), largest)
            self.X[:, nc:] = S_.matmul(Z[:, :n - nc])
            self.E[nc:] = E_[:n - nc]
            P = S_.matmul(Z[:, n - nc:].matmul(linalg.qr(Z[:n - nc, n - nc:].mT).Q))
            n_p = P.shape[-1]
            self.update_residual()
            nc = self.update_converged_count()
            self.S[:, :n] = self.X
            self.S[:, n:n + n_p] = P
            W = self._get_ortho(self.R[:, nc:], self.S[:, :n + n_p])
        ns = self.ivars["converged_end"] = n + n_p + W.shape[-1]
        self.S[:, n + n_p:ns] = W

    # -- building blocks ---------------------------------------------------------------------
    def _get_rayleigh_ritz_transform(self, S):
        """Upper-triangular ``Ri = R^-1 diag(d)``, ``d = diag(S^T B S)^-1/2``,
        ``R^T R = dd^T * S^T B S``, so that ``Ri^T S^T B S Ri = I``."""
        from .. import linalg

        SBS = _qform(self.B, S)
        d_row = SBS.diagonal(0, -2, -1) ** -0.5
        d_col = d_row.reshape(d_row.shape[0], 1)
        R = linalg.cholesky((SBS * d_row) * d_col, upper=True)
        return linalg.solve_triangular(R, d_row.diag_embed(), upper=True, left=False)

    def _get_svqb(self, U, drop: bool, tau: float):
        """B-orthonormal columns spanning ``U`` (SVQB): ``U D Z Theta^-1/2`` from
        ``eigh(D U^T B U D) = (Theta, Z)``, ``D = diag(U^T B U)^-1/2``; eigenvalues below
        ``tau max|Theta|`` are raised to it (``drop``: their directions are dropped).  Exactly
        zero columns are removed first."""
        from .. import nonzero, where

        if U.numel() == 0:
            return U
        UBU = _qform(self.B, U)
        d = UBU.diagonal(0, -2, -1)
        nz = nonzero(d.abs() != 0.0).reshape(-1)
        if nz.shape[0] < d.shape[0]:
            U = U[:, nz]
            if U.numel() == 0:
                return U
            UBU = _qform(self.B, U)
            d = UBU.diagonal(0, -2, -1)
        d_col = (d ** -0.5).reshape(d.shape[0], 1)
        E, Z = _symeig((UBU * d_col) * d_col.mT, False)
        t = tau * E.abs().max()
        if drop:
            keep = nonzero(E > t).reshape(-1)
            E, Z, d_col = E[keep], Z[:, keep], d_col[keep]
        else:
            E = where(E < t, t, E)
        return (U * d_col.mT).matmul(Z * E ** -0.5)

    def _get_ortho(self, U, V):
        """B-orthonormal columns from ``U``, B-orthogonal to ``V`` (itself B-orthonormal):
        up to ``ortho_i_max`` rounds of ``U <- U - V V^T B U`` followed by up to
        ``ortho_j_max`` SVQB passes, each round ended once ``||U^T B U - I||`` resp.
        ``||V^T B U||`` is below ``ortho_tol`` relative to the norms involved."""
        from .._creation import eye

        m = self.iparams["m"]
        tau_ortho = self.fparams["ortho_tol"]
        tau_drop = self.fparams["ortho_tol_drop"]
        tau_replace = self.fparams["ortho_tol_replace"]
        i_max, j_max = self.iparams["ortho_i_max"], self.iparams["ortho_j_max"]
        use_drop = self.bparams["ortho_use_drop"]
        for key in [k for k in self.fvars if k.startswith("ortho_") and k.endswith("_rerr")]:
            self.fvars.pop(key)
        self.ivars.pop("ortho_i", 0)
        self.ivars.pop("ortho_j", 0)

        BV_norm = _fnorm(_mm(self.B, V))
        BU = _mm(self.B, U)
        VBU = V.mT.matmul(BU)
        i = j = 0
        for i in range(i_max):
            U = U - V.matmul(VBU)
            drop = False
            tau_svqb = tau_drop
            for j in range(j_max):
                if use_drop:
                    U = self._get_svqb(U, drop, tau_svqb)
                    drop = True
                    tau_svqb = tau_replace
                else:
                    U = self._get_svqb(U, False, tau_replace)
                if U.numel() == 0:  # every column of U was B-collinear to V
                    self.ivars["ortho_i"] = i
                    self.ivars["ortho_j"] = j
                    return U
                BU = _mm(self.B, U)
                UBU = U.mT.matmul(BU)
                R_norm = _fnorm(UBU - eye(UBU.shape[-1], dtype=UBU.dtype, device=UBU.device))
                rerr = float(R_norm) * float(_fnorm(BU) * _fnorm(U)) ** -1
                self.fvars[f"ortho_UBUmI_rerr[{i}, {j}]"] = rerr
                if rerr < tau_ortho:
                    break
            VBU = V.mT.matmul(BU)
            rerr = float(_fnorm(VBU)) * float(BV_norm * _fnorm(U)) ** -1
            self.fvars[f"ortho_VBU_rerr[{i}]"] = rerr
            if rerr < tau_ortho:
                break
            if m < U.shape[-1] + V.shape[-1]:
                raise ValueError(f"Overdetermined shape of U: #B-cols(={m}) >= "
                                 f"#U-cols(={U.shape[-1]}) + #V-cols(={V.shape[-1]}) must hold")
        self.ivars["ortho_i"] = i
        self.ivars["ortho_j"] = j
        return U


def _lobpcg(A, k, B, X, n, iK, niter, tol, largest, method, tracker,
            ortho_iparams, ortho_fparams, ortho_bparams):
    from .. import _dtype as D
    from .._creation import empty
    from .._random import randn

    if A.shape[-2] != A.shape[-1]:
        raise AssertionError(f"A must be square, got shape {A.shape}")
    if B is not None and tuple(A.shape) != tuple(B.shape):
        raise AssertionError(f"A and B must have same shape, got {A.shape} vs {B.shape}")
    dtype = A.dtype if A.dtype in (D.float16, D.float32, D.float64) else D.float32
    if tol is None:
        tol = _FEPS[dtype.name] ** 0.5
    m = A.shape[-1]
    k = (1 if X is None else X.shape[-1]) if k is None else k
    n = (k if n is None else n) if X is None else X.shape[-1]
    if m < 3 * n:
        raise ValueError(f"LOBPCG algorithm is not applicable when the number of A rows (={m}) "
                         f"is smaller than 3 x the number of requested eigenpairs (={n})")
    method = "ortho" if method is None else method
    iparams = {"m": m, "n": n, "k": k, "niter": 1000 if niter is None else niter}
    fparams = {"tol": tol}
    bparams = {"largest": True if largest is None else largest}
    if method == "ortho":
        iparams.update(ortho_iparams or {})
        fparams.update(ortho_fparams or {})
        bparams.update(ortho_bparams or {})
        iparams.setdefault("ortho_i_max", 3)
        iparams.setdefault("ortho_j_max", 3)
        fparams.setdefault("ortho_tol", tol)
        fparams.setdefault("ortho_tol_drop", tol)
        fparams.setdefault("ortho_tol_replace", tol)
        bparams.setdefault("ortho_use_drop", False)

    def solve_one(A_, B_, X_):
        X_ = randn(m, n, dtype=dtype, device=A.device) if X_ is None else X_.clone()
        if not (X_.ndim == 2 and tuple(X_.shape) == (m, n)):
            raise AssertionError(f"X shape mismatch: got {X_.shape}, expected {(m, n)}")
        worker = LOBPCG(A_, B_, X_, iK, iparams, fparams, bparams, method, tracker)
        worker.run()
        return worker

    if A.ndim == 2:
        worker = solve_one(A, B, X)
        return worker.E[:k], worker.X[:, :k]
    batch = tuple(A.shape[:-2])
    N = 1
    for s in batch:
        N *= s
    bA = A.reshape((N, m, m))
    bB = None if B is None else B.reshape((N, m, m))
    bX = None if X is None else X.reshape((N,) + tuple(X.shape[-2:]))
    bE = empty((N, k), dtype=dtype, device=A.device)
    bXret = empty((N, m, k), dtype=dtype, device=A.device)
    for i in range(N):
        iparams["batch_index"] = i
        worker = solve_one(bA[i], None if bB is None else bB[i], None if bX is None else bX[i])
        bE[i] = worker.E[:k]
        bXret[i] = worker.X[:, :k]
    return bE.reshape(batch + (k,)), bXret.reshape(batch + (m, k))


class LOBPCGAutogradFunction(Op):
    """``(E, X)`` of ``_lobpcg`` on the (symmetrised) ``A`` [and ``B``]; the backward is the
    eigenpair gradient of the module docstring (``B`` given: an error, as in torch)."""

    torch_name = "LOBPCGAutogradFunctionBackward"
    n_out = 2
    _save_in = (0,)
    _save_out = True

    @staticmethod
    def forward(ctx, a, *b, args):
        from ..autograd.grad_mode import no_grad

        ctx.has_b = bool(b)
        make = Tensor._make
        with no_grad():
            E, X = _lobpcg(make(a, None), args["k"], make(b[0], None) if b else None,
                           *[args[n] for n in ("X", "n", "iK", "niter", "tol", "largest",
                                               "method", "tracker", "ortho_iparams",
                                               "ortho_fparams", "ortho_bparams")])
        return E._data, X._data

    @staticmethod
    def backward(ctx, gE, gU):
        if ctx.has_b:
            raise ValueError("lobpcg.backward does not support backward with B != I yet.")
        A, E, U = ctx.saved_tensors
        return (_eigenpairs_backward(A, E, U, gE, gU),) + ((None,) * (len(ctx.needs_input_grad) - 1))


def _eigenpairs_backward(A, E, U, gE, gU):
    """``gA`` for ``k`` eigenpairs ``(E, U)`` of the symmetric ``A`` (module docstring)."""
    from .. import linalg
    from .._creation import eye

    if gE is None and gU is None:
        return None
    k, m = E.shape[-1], A.shape[-1]
    inner = 0.0
    if gE is not None:
        inner = gE.diag_embed()
    res = None
    if gU is not None:
        F = E.unsqueeze(-2) - E.unsqueeze(-1)
        F = F + eye(k, dtype=F.dtype, device=F.device)
        F = (1.0 / F) * (1.0 - eye(k, dtype=F.dtype, device=F.device))
        inner = inner + U.mT.matmul(gU) * F
        # outside span(U): y_j = (A - e_j + U diag(e_j - e + 1) U^T)^-1 (I - U U^T) g_j
        Pg = gU - U.matmul(U.mT.matmul(gU))
        shift = (E.unsqueeze(-1) - E.unsqueeze(-2) + 1.0).unsqueeze(-2)  # [.., j, 1, i]
        M = (A.unsqueeze(-3) - E[..., None, None] * eye(m, dtype=A.dtype, device=A.device)
             + (U.unsqueeze(-3) * shift).matmul(U.mT.unsqueeze(-3)))
        Y = linalg.solve(M, Pg.mT.unsqueeze(-1)).squeeze(-1).mT
        res = -Y.matmul(U.mT)
    out = U.matmul(inner).matmul(U.mT)
    return out if res is None else out + res


def lobpcg(A: Tensor, k: int | None = None, B: Tensor | None = None, X: Tensor | None = None,
           n: int | None = None, iK: Tensor | None = None, niter: int | None = None,
           tol: float | None = None, largest: bool | None = None, method: str | None = None,
           tracker=None, ortho_iparams: dict | None = None, ortho_fparams: dict | None = None,
           ortho_bparams: dict | None = None) -> tuple[Tensor, Tensor]:
    """``(E, X)``: the ``k`` largest (``largest=False``: smallest) eigenvalues ``E`` (*, k) and
    eigenvectors ``X`` (*, m, k) of ``A x = lambda B x`` (``B`` = I when None) by LOBPCG
    (module docstring); ``X`` (*, m, n) is the initial block (random when None, n = k by
    default), ``iK`` a preconditioner, ``niter`` (1000) the step limit, ``tol``
    (``feps ** 0.5``) the residual tolerance, ``method`` "ortho" (default) or "basic".
    Needs ``m >= 3 n``.  Differentiable in ``A`` (symmetrised first) when ``B`` is None."""
    args = {"k": k, "X": X, "n": n, "iK": iK, "niter": niter, "tol": tol, "largest": largest,
            "method": method, "tracker": tracker, "ortho_iparams": ortho_iparams,
            "ortho_fparams": ortho_fparams, "ortho_bparams": ortho_bparams}
    if A.requires_grad or (B is not None and B.requires_grad):
        # the gradient of a symmetric problem should be symmetric: A -> (A + A^T) / 2
        A_sym = (A + A.mT) / 2
        if B is None:
            return LOBPCGAutogradFunction.apply(A_sym, args=args)
        return LOBPCGAutogradFunction.apply(A_sym, (B + B.mT) / 2, args=args)
    return _lobpcg(A, k, B, X, n, iK, niter, tol, largest, method, tracker,
                   ortho_iparams, ortho_fparams, ortho_bparams)
