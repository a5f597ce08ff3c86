"""Hessian analysis from exact Hessian-vector products (double backward).

Nothing here ever forms the n × n Hessian except :meth:`Hessian.dense`:

* ``hvp(v)``            H v = ∇(∇L · v), averaged over batches weighted by batch size;
* ``eigenvalues(k)``    Lanczos with full reorthogonalisation (Ritz values of the tridiagonal
                         T = Vᵀ H V), or power iteration with a spectral shift and deflation;
* ``trace()``           Hutchinson: tr H = E[zᵀ H z] for Rademacher z, with its standard error;
* ``density()``         stochastic Lanczos quadrature: φ(t) ≈ 1/m Σ_probes Σ_j τ_j² g_σ(t − θ_j)
                         where (θ_j, τ_j) are the Gauss nodes/weights of a Lanczos run from a
                         random unit probe (Ubaru, Chen & Saad 2017; Ghorbani et al. 2019);
* ``dense()``           the full matrix, column by column, for small models.
"""
from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from .._backend import to_numpy
from .._tensor import Tensor
from ._objective import Objective, as_objective

__all__ = ["Hessian", "TraceEstimate", "SpectralDensity", "lanczos_tridiagonal"]


class TraceEstimate(tuple):
    """Hutchinson's estimate of tr H and its standard error (std of the samples / √m): unpacks as
    ``estimate, stderr = h.trace()``; the individual zᵀHz samples are in ``.samples``."""

    def __new__(cls, estimate: float, stderr: float, samples: np.ndarray) -> "TraceEstimate":
        t = super().__new__(cls, (estimate, stderr))
        t.samples = samples
        return t

    @property
    def estimate(self) -> float:
        return self[0]

    @property
    def stderr(self) -> float:
        return self[1]

    def __repr__(self) -> str:
        return f"TraceEstimate(estimate={self[0]:.6g}, stderr={self[1]:.3g}, n_samples={len(self.samples)})"


class SpectralDensity(NamedTuple):
    """Smoothed eigenvalue density of H on ``grid`` (integrates to ≈ 1), with the raw quadrature
    ``nodes`` (Ritz values, one row per probe) and ``weights`` (τ², each row sums to 1)."""

    grid: np.ndarray
    density: np.ndarray
    nodes: np.ndarray
    weights: np.ndarray
    sigma: float

    def mean(self) -> float:
        """∫ t φ(t) dt estimated by the quadrature: ≈ tr(H) / n."""
        return float((self.nodes * self.weights).sum() / self.nodes.shape[0])

    def plot(self, path: str, *, log: bool = True, title: str = "Hessian eigenvalue density") -> str:
        from ._plot import plot_density

        return plot_density(self, path, log=log, title=title)


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


class _Lanczos:
    """Lanczos on a symmetric operator with full (twice-applied Gram-Schmidt) reorthogonalisation.

    Keeps the basis so the run can be extended.  On breakdown (β ≈ 0: an invariant subspace was
    found) it restarts, if ``restart``, from a random vector orthogonal to the basis (β = 0), so
    that m = n steps recover the whole spectrum."""

    def __init__(self, matvec: Callable, n: int, xp, v0, *, restart: bool = True, rng=None,
                 locked: Sequence = ()) -> None:
        self.matvec, self.xp, self.restart = matvec, xp, restart
        self.rng = _rng(rng)
        self.locked = xp.stack(list(locked)) if len(locked) else None  # deflated: work in their complement
        self.n = n - (0 if self.locked is None else self.locked.shape[0])
        self.V: list = []
        self.alpha: list[float] = []
        self.beta: list[float] = []  # beta[j] couples v_j and v_{j+1}
        self.done = False
        v0 = self._orth(v0)
        nv = float(xp.linalg.norm(v0))
        if nv == 0:
            raise ValueError("the Lanczos start vector is zero")
        self._next = v0 / nv
        self._scale = 0.0

    def _orth(self, w):
        if self.V or self.locked is not None:
            B = self.xp.stack(self.V) if self.V else None
            if self.locked is not None:
                B = self.locked if B is None else self.xp.concatenate([self.locked, B])
            for _ in range(2):
                w = w - B.T @ (B @ w)
        return w

    def extend(self, m: int) -> None:
        xp = self.xp
        m = min(m, self.n)
        while len(self.V) < m and not self.done:
            v = self._next
            self.V.append(v)
            w = self.matvec(v)
            a = float(v @ w)
            self.alpha.append(a)
            self._scale = max(self._scale, abs(a), float(xp.linalg.norm(w)))
            w = self._orth(w)
            b = float(xp.linalg.norm(w))
            if len(self.V) >= self.n:
                self.done = True
                self.beta.append(b)
                break
            if b <= 1e-10 * max(self._scale, 1e-300):
                if not self.restart:
                    self.done = True
                    self.beta.append(0.0)
                    break
                r = self._orth(xp.asarray(self.rng.standard_normal(self.n)))
                nr = float(xp.linalg.norm(r))
                if nr <= 1e-8:
                    self.done = True
                    self.beta.append(0.0)
                    break
                self.beta.append(0.0)
                self._next = r / nr
            else:
                self.beta.append(b)
                self._next = w / b

    def tridiagonal(self) -> np.ndarray:
        k = len(self.alpha)
        T = np.diag(np.asarray(self.alpha, dtype=np.float64))
        off = np.asarray(self.beta[:k - 1], dtype=np.float64)
        T[np.arange(k - 1), np.arange(1, k)] = off
        T[np.arange(1, k), np.arange(k - 1)] = off
        return T

    def ritz(self):
        """(Ritz values ascending, eigenvectors of T, residual estimates |β_last · s_last,i|)."""
        T = self.tridiagonal()
        theta, S = np.linalg.eigh(T)
        b_last = 0.0 if self.done else (self.beta[-1] if self.beta else 0.0)
        res = np.abs(b_last * S[-1, :])
        return theta, S, res

    def ritz_vector(self, s):
        B = self.xp.stack(self.V)
        y = B.T @ self.xp.asarray(s)
        return y / self.xp.linalg.norm(y)


def lanczos_tridiagonal(matvec: Callable, v0, m: int) -> np.ndarray:
    """The m × m Lanczos tridiagonal T of a symmetric operator from start vector v0 (no restart)."""
    from .._backend import xp_of

    xp = xp_of(v0)
    lz = _Lanczos(matvec, int(v0.shape[0]), xp, xp.asarray(v0, dtype=xp.float64), restart=False)
    lz.extend(m)
    return lz.tridiagonal()


class Hessian:
    """The Hessian of a loss at the current parameters, accessed through exact H·v products.

    ``Hessian(model, loss_fn, data)`` for a Module (``data``: one batch ``(x, y)`` or an iterable
    of batches, e.g. a DataLoader; HVPs are averaged weighted by batch size), or
    ``Hessian.from_function(fn, params)`` for ``L = fn(*params)``.  Use float64 parameters
    (``model.double()``) for accurate eigenvalues.  Vectors are parameter-shaped lists of Tensors.
    """

    def __init__(self, model: Any, loss_fn: Callable | None = None, data: Any = None, *,
                 params: Sequence[Tensor] | None = None) -> None:
        self.objective: Objective = as_objective(model, loss_fn, data, params)

    @classmethod
    def from_function(cls, fn: Callable[..., Tensor], params: Sequence[Tensor] | Tensor) -> "Hessian":
        h = cls.__new__(cls)
        h.objective = Objective.from_function(fn, params)
        return h

    @property
    def n(self) -> int:
        """Number of parameters (the Hessian is n × n)."""
        return self.objective.n

    @property
    def params(self) -> list[Tensor]:
        return self.objective.params

    # -- products ----------------------------------------------------------------------------
    def _as_vec(self, v):
        obj = self.objective
        if isinstance(v, Tensor) and v.ndim == 1 and v.numel() == obj.n and len(obj.params) > 1:
            return obj.xp.asarray(v._data, dtype=obj.xp.float64)
        if isinstance(v, Tensor) and len(obj.params) == 1:
            v = [v]
        if isinstance(v, Tensor):
            raise ValueError(f"v must be a flat Tensor of {obj.n} elements or a list of "
                             f"parameter-shaped Tensors, got shape {tuple(v.shape)}")
        return obj.flatten(v)

    def hvp(self, v: Sequence[Tensor] | Tensor) -> list[Tensor]:
        """H v for v given as parameter-shaped Tensors (or one flat Tensor); exact, by double backward."""
        return self.objective.to_tensors(self.objective.hvp(self._as_vec(v)))

    def dense(self, max_n: int = 5000) -> Tensor:
        """The full n × n Hessian (float64), one HVP per column ``H e_i``."""
        obj = self.objective
        if obj.n > max_n:
            raise RuntimeError(f"dense(): the model has {obj.n} parameters (> max_n={max_n}); an n x n "
                               "Hessian would be too large; use eigenvalues()/trace()/density()")
        xp = obj.xp
        cols = []
        e = xp.zeros(obj.n, dtype=xp.float64)
        for i in range(obj.n):
            e[i] = 1.0
            cols.append(obj.hvp(e))
            e[i] = 0.0
        return Tensor._make(xp.stack(cols, axis=1))

    # -- spectrum ----------------------------------------------------------------------------
    def eigenvalues(self, top_n: int = 1, which: str = "largest", *, method: str = "lanczos",
                    tol: float = 1e-6, max_iter: int | None = None, seed: int | None = 0,
                    return_residuals: bool = False):
        """The ``top_n`` largest (or smallest, algebraically) eigenvalues with unit eigenvectors.

        Returns ``(eigenvalues, eigenvectors)``: a list of floats sorted from the extreme inwards
        and a list of parameter-shaped Tensor lists.  ``method='lanczos'`` grows a Krylov basis
        until the wanted Ritz pairs have ‖H y − θ y‖ ≤ tol·‖H‖ (exact when the basis reaches n);
        ``method='power'`` runs power iteration on the shifted, deflated operator."""
        obj = self.objective
        if which not in ("largest", "smallest"):
            raise ValueError(f"which must be 'largest' or 'smallest', got {which!r}")
        if not 1 <= top_n <= obj.n:
            raise ValueError(f"top_n must be between 1 and the number of parameters ({obj.n}), got {top_n}")
        if method == "lanczos":
            vals, vecs, res = self._lanczos_eigs(top_n, which, tol, max_iter, seed)
        elif method == "power":
            vals, vecs, res = self._power_eigs(top_n, which, tol, max_iter, seed)
        else:
            raise ValueError(f"method must be 'lanczos' or 'power', got {method!r}")
        out = ([float(v) for v in vals], [obj.to_tensors(u) for u in vecs])
        return out + ([float(r) for r in res],) if return_residuals else out

    def _start(self, rng):
        xp = self.objective.xp
        return xp.asarray(rng.standard_normal(self.objective.n))

    def _lanczos_run(self, k, which, tol, max_iter, rng, locked=()):
        obj = self.objective
        lz = _Lanczos(obj.hvp, obj.n, obj.xp, self._start(rng), rng=rng, locked=locked)
        max_iter = min(max_iter, lz.n)
        m = min(max_iter, max(2 * k + 10, 20))
        while True:
            lz.extend(m)
            theta, S, res = lz.ritz()
            idx = np.argsort(-theta)[:k] if which == "largest" else np.argsort(theta)[:k]
            scale = max(np.abs(theta).max(), 1e-30)
            if lz.done or len(lz.alpha) >= max_iter or np.all(res[idx] <= tol * scale):
                break
            m = min(max_iter, 2 * m)
        return list(theta[idx]), [lz.ritz_vector(S[:, i]) for i in idx], list(res[idx]), lz.done

    def _lanczos_eigs(self, k, which, tol, max_iter, seed):
        obj = self.objective
        rng = _rng(seed)
        max_iter = obj.n if max_iter is None else min(max_iter, obj.n)
        vals, vecs, res, exact = self._lanczos_run(k, which, tol, max_iter, rng)
        # A single Krylov sequence sees one copy of a repeated eigenvalue.  Deflate: look for the
        # extreme eigenvalue in the complement of the pairs found; while it beats the k-th one
        # (a missed copy or a missed eigenvalue), swap it in.
        sign = 1.0 if which == "largest" else -1.0
        while not exact and len(vecs) < obj.n:
            v2, u2, r2, _ = self._lanczos_run(1, which, tol, max_iter, rng, locked=vecs)
            if not v2:
                break
            scale = max(abs(vals[0]), abs(v2[0]), 1e-30)
            if sign * (v2[0] - vals[-1]) <= max(tol, 1e-8) * scale:
                break
            vals, vecs, res = vals + v2, vecs + u2, res + r2
            order = sorted(range(len(vals)), key=lambda i: -sign * vals[i])[:k]
            vals, vecs, res = [vals[i] for i in order], [vecs[i] for i in order], [res[i] for i in order]
        return np.asarray(vals), vecs, np.asarray(res)

    def _power(self, op, basis, rng, tol, max_iter):
        """Dominant eigenpair of ``op`` restricted to the complement of ``basis``."""
        xp = self.objective.xp

        def proj(x):
            for b in basis:
                x = x - (b @ x) * b
            return x

        v = proj(self._start(rng))
        v = v / xp.linalg.norm(v)
        lam = 0.0
        for _ in range(max_iter):
            w = proj(op(v))
            lam = float(v @ w)
            nw = float(xp.linalg.norm(w))
            if nw == 0.0:
                return 0.0, v
            # converged when v is an eigenvector to tolerance: ‖op v − λ v‖ ≤ tol · ‖op v‖
            if float(xp.linalg.norm(w - lam * v)) <= tol * nw:
                break
            v = w / nw
        return lam, v

    def _power_eigs(self, k, which, tol, max_iter, seed):
        obj = self.objective
        rng = _rng(seed)
        max_iter = 1000 if max_iter is None else max_iter
        H = obj.hvp
        # 1) the dominant eigenvalue, 2) the opposite extreme from H - λ_dom I
        lam_a, _ = self._power(H, [], rng, tol, max_iter)
        lam_b, _ = self._power(lambda x: H(x) - lam_a * x, [], rng, tol, max_iter)
        lam_b += lam_a
        lo, hi = min(lam_a, lam_b), max(lam_a, lam_b)
        # 3) a shift that makes the wanted end dominant and the operator semi-definite, so that
        #    projecting out found eigenvectors (deflation) leaves the next wanted one on top
        if which == "largest":
            op = lambda x: H(x) - lo * x  # noqa: E731
        else:
            op = lambda x: hi * x - H(x)  # noqa: E731
        vals, vecs, res = [], [], []
        for _ in range(k):
            _, v = self._power(op, vecs, rng, tol, max_iter)
            hv = H(v)
            lam = float(v @ hv)
            vals.append(lam)
            vecs.append(v)
            res.append(float(obj.xp.linalg.norm(hv - lam * v)))
        return np.asarray(vals), vecs, np.asarray(res)

    def extreme_eigenvalues(self, *, tol: float = 1e-6, max_iter: int | None = None, seed: int | None = 0):
        """``(λ_min, u_min, λ_max, u_max)`` from one Lanczos run (eigenvectors as flat arrays)."""
        obj = self.objective
        rng = _rng(seed)
        max_iter = obj.n if max_iter is None else min(max_iter, obj.n)
        lz = _Lanczos(obj.hvp, obj.n, obj.xp, self._start(rng), rng=rng)
        m = min(max_iter, 30)
        while True:
            lz.extend(m)
            theta, S, res = lz.ritz()
            scale = max(np.abs(theta).max(), 1e-30)
            if lz.done or len(lz.alpha) >= max_iter or (res[0] <= tol * scale and res[-1] <= tol * scale):
                break
            m = min(max_iter, 2 * m)
        return float(theta[0]), lz.ritz_vector(S[:, 0]), float(theta[-1]), lz.ritz_vector(S[:, -1])

    def trace(self, n_samples: int = 100, *, seed: int | None = 0) -> TraceEstimate:
        """Hutchinson's estimator tr H ≈ 1/m Σ zᵢᵀ H zᵢ with Rademacher zᵢ (± 1 entries).

        Returns ``(estimate, stderr)`` (with ``.samples``); the estimator is unbiased and its standard
        error is the sample standard deviation / √m."""
        if n_samples < 2:
            raise ValueError(f"n_samples must be at least 2 to estimate a standard error, got {n_samples}")
        obj = self.objective
        rng = _rng(seed)
        xp = obj.xp
        s = []
        for _ in range(n_samples):
            z = xp.asarray(rng.choice(np.array([-1.0, 1.0]), size=obj.n))
            s.append(float(z @ obj.hvp(z)))
        s = np.asarray(s)
        return TraceEstimate(float(s.mean()), float(s.std(ddof=1) / math.sqrt(n_samples)), s)

    def density(self, n_probes: int = 4, n_steps: int = 40, *, grid: int | np.ndarray = 1000,
                sigma: float | None = None, seed: int | None = 0) -> SpectralDensity:
        """Eigenvalue density by stochastic Lanczos quadrature.

        For each of ``n_probes`` random unit vectors v, ``n_steps`` Lanczos steps give
        T = S diag(θ) Sᵀ; vᵀ f(H) v ≈ Σ_j τ_j² f(θ_j) with τ_j = S[0, j].  The density is
        φ(t) = 1/n_probes Σ Σ τ_j² exp(−(t − θ_j)²/2σ²)/(σ√2π); σ defaults to 1% of the range."""
        obj = self.objective
        rng = _rng(seed)
        xp = obj.xp
        m = min(n_steps, obj.n)
        nodes = np.zeros((n_probes, m))
        weights = np.zeros((n_probes, m))
        valid = np.zeros((n_probes, m), dtype=bool)
        for p in range(n_probes):
            z = xp.asarray(rng.choice(np.array([-1.0, 1.0]), size=obj.n))
            lz = _Lanczos(obj.hvp, obj.n, xp, z, restart=False)
            lz.extend(m)
            theta, S = np.linalg.eigh(lz.tridiagonal())
            kk = len(theta)
            nodes[p, :kk] = theta
            weights[p, :kk] = S[0, :] ** 2
            valid[p, :kk] = True
            nodes[p, kk:] = theta.mean()  # padding after an early breakdown carries zero weight
        lo, hi = float(nodes[valid].min()), float(nodes[valid].max())
        span = hi - lo
        if sigma is None:
            sigma = 0.01 * span if span > 0 else 1e-3 * max(1.0, abs(hi))
        if isinstance(grid, (int, np.integer)):
            pad = 0.05 * span + 5 * sigma
            grid = np.linspace(lo - pad, hi + pad, int(grid))
        grid = np.asarray(grid, dtype=np.float64)
        diff = grid[:, None, None] - nodes[None]
        dens = (weights[None] * np.exp(-0.5 * (diff / sigma) ** 2)).sum(axis=(1, 2))
        dens /= n_probes * sigma * math.sqrt(2 * math.pi)
        return SpectralDensity(grid, dens, nodes, weights, float(sigma))

    def to_numpy(self, vec_tensors: Sequence[Tensor]) -> np.ndarray:
        """A parameter-shaped Tensor list as one flat numpy vector."""
        return to_numpy(self.objective.flatten(vec_tensors))
