"""Critical-point classification by the second-order test.

At θ with ∇L(θ) ≈ 0 the Hessian's extreme eigenvalues decide what θ is:

    λ_min >  τ                → local minimum   (every direction curves up)
    λ_max < −τ                → local maximum
    λ_min < −τ and λ_max > τ  → saddle point
    otherwise                 → degenerate: some |λ| ≤ τ, the test is inconclusive

with τ = tol · max(1, |λ|_max).  At a saddle the eigenvector u of the most negative eigenvalue
λ is the escape direction: L(θ + t u) ≈ L(θ) + t ∇L·u + ½ λ t² decreases for small t.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .._backend import to_numpy
from .._tensor import Tensor
from ._objective import Objective, as_objective
from .hessian import Hessian

__all__ = ["CriticalPointReport", "classify_critical_point"]

_VERDICTS = {
    "minimum": "local minimum (all eigenvalues > 0)",
    "maximum": "local maximum (all eigenvalues < 0)",
    "saddle": "saddle point (eigenvalues of both signs)",
    "degenerate": "degenerate/flat (near-zero eigenvalues: the second-order test is inconclusive)",
}


@dataclass
class CriticalPointReport:
    """What the second-order test says about the current parameters.

    ``kind`` is 'minimum', 'maximum', 'saddle' or 'degenerate'; ``is_critical`` says whether the
    gradient norm is below ``grad_tol`` (if not, ``kind`` describes the local curvature only).
    For a saddle, ``escape_direction`` (unit, parameter-shaped) and the predicted/measured loss
    change for a step of length ``escape_step`` along it."""

    loss: float
    grad_norm: float
    lambda_min: float
    lambda_max: float
    kind: str
    is_critical: bool
    threshold: float
    n_params: int
    method: str
    escape_direction: list[Tensor] | None = None
    escape_step: float | None = None
    predicted_change: float | None = None
    measured_change: float | None = None
    _objective: Objective | None = field(default=None, repr=False)
    _u: Any = field(default=None, repr=False)

    @property
    def verdict(self) -> str:
        v = _VERDICTS[self.kind]
        if not self.is_critical:
            v = f"not a critical point (gradient norm {self.grad_norm:.3g}); local curvature: {v}"
        return v

    @property
    def inconclusive(self) -> bool:
        return self.kind == "degenerate"

    def escape(self, step: float | None = None) -> float:
        """Move the parameters in place by ``step`` along the escape direction; returns the new loss."""
        if self._u is None:
            raise RuntimeError(f"no escape direction: the point is a {self.kind}, not a saddle")
        obj = self._objective
        t = self.escape_step if step is None else step
        obj.set_vector(obj.get_vector() + t * self._u)
        return obj.value()

    def __str__(self) -> str:
        lines = [
            "critical-point report",
            f"  parameters        {self.n_params}",
            f"  loss              {self.loss:.6g}",
            f"  gradient norm     {self.grad_norm:.3e}" + ("" if self.is_critical else "  (not ~0!)"),
            f"  lambda_min        {self.lambda_min:+.6g}",
            f"  lambda_max        {self.lambda_max:+.6g}",
            f"  zero threshold    {self.threshold:.2e}   ({self.method})",
            f"  verdict           {self.verdict}",
        ]
        if self.escape_direction is not None:
            lines += [
                f"  escape direction  eigenvector of lambda_min, step t = {self.escape_step:.3g}",
                f"  predicted change  {self.predicted_change:+.6g}   (t g.u + lambda t^2 / 2)",
                f"  measured change   {self.measured_change:+.6g}   (L(theta + t u) - L(theta))",
            ]
        return "\n".join(lines)


def classify_critical_point(model: Any, loss_fn: Callable | None = None, data: Any = None, *,
                            params: Sequence[Tensor] | None = None, tol: float = 1e-5,
                            grad_tol: float = 1e-4, step: float | None = None, method: str = "auto",
                            dense_limit: int = 400, seed: int | None = 0) -> CriticalPointReport:
    """Classify the current parameters as a local minimum, maximum, saddle or degenerate point.

    Arguments as for :class:`Hessian` (a Module with ``loss_fn`` and ``data``, a function with
    ``params=``, or a Hessian/Objective).  ``method``: 'dense' (exact eigh, n ≤ ``dense_limit``
    by default under 'auto') or 'lanczos' (extreme Ritz values).  Eigenvalues with
    |λ| ≤ tol·max(1, |λ|_max) count as zero.  ``step`` (default 0.1) is the escape step length t;
    of ±u, the direction whose measured loss is lower is reported."""
    hess = model if isinstance(model, Hessian) else Hessian(as_objective(model, loss_fn, data, params))
    obj = hess.objective
    loss, g = obj.value_and_grad()
    xp = obj.xp
    gnorm = float(xp.linalg.norm(g))
    if method == "auto":
        method = "dense" if obj.n <= dense_limit else "lanczos"
    if method == "dense":
        H = to_numpy(hess.dense(max_n=max(dense_limit, obj.n))._data)
        w, V = np.linalg.eigh(0.5 * (H + H.T))
        lmin, lmax = float(w[0]), float(w[-1])
        umin = xp.asarray(V[:, 0])
    elif method == "lanczos":
        lmin, umin, lmax, _ = hess.extreme_eigenvalues(tol=1e-8, seed=seed)
    else:
        raise ValueError(f"method must be 'auto', 'dense' or 'lanczos', got {method!r}")
    thr = tol * max(1.0, abs(lmin), abs(lmax))
    if lmin > thr:
        kind = "minimum"
    elif lmax < -thr:
        kind = "maximum"
    elif lmin < -thr and lmax > thr:
        kind = "saddle"
    else:
        kind = "degenerate"
    rep = CriticalPointReport(loss=loss, grad_norm=gnorm, lambda_min=lmin, lambda_max=lmax, kind=kind,
                              is_critical=gnorm <= grad_tol, threshold=thr, n_params=obj.n, method=method,
                              _objective=obj)
    if kind == "saddle":
        t = 0.1 if step is None else float(step)
        theta = obj.get_vector()
        best = None
        for sgn in (1.0, -1.0):
            u = sgn * umin
            measured = obj.value(theta + t * u) - loss
            if best is None or measured < best[1]:
                best = (u, measured)
        u, measured = best
        rep._u = u
        rep.escape_direction = obj.to_tensors(u)
        rep.escape_step = t
        rep.predicted_change = float(t * float(g @ u) + 0.5 * lmin * t * t)
        rep.measured_change = float(measured)
    return rep
