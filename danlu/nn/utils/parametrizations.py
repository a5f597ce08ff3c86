"""Ready-made parametrizations: ``weight_norm``, ``spectral_norm``
(torch.nn.utils.parametrizations)."""
from __future__ import annotations

from ..._tensor import Tensor
from ..modules.module import Module
from . import parametrize

__all__ = ["weight_norm", "spectral_norm", "orthogonal"]


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """2-norm of ``v`` over every dim but ``dim`` (kept as size-1 dims); all dims if dim=-1."""
    if dim == -1:
        return (v * v).sum().sqrt()
    d = dim % v.ndim
    others = tuple(i for i in range(v.ndim) if i != d)
    return (v * v).sum(others, keepdim=True).sqrt() if others else v.abs()


def _weight_norm(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """``w = g * v / ||v||`` with the norm taken over all dims but ``dim``."""
    return v * (g / _norm_except_dim(v, dim))


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||``: ``original0`` is the magnitude ``g``,
    ``original1`` the direction ``v`` (torch's key names)."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    """``W / sigma(W)``: ``sigma`` by power iteration on buffers ``_u``, ``_v`` (one update of
    ``u = normalize(M v)``, ``v = normalize(M^T u)`` per step, ``n_power_iterations`` steps per
    call in training, 15 at construction); 1-D weights are simply normalised."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        from ..functional._loss import normalize

        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            mat = self._reshape_weight_to_matrix(weight)
            h, w = mat.shape
            u = mat.new_empty(h).normal_(0, 1)
            v = mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", normalize(u.detach(), dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v.detach(), dim=0, eps=self.eps))
            self._power_method(mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, mat: Tensor, n_power_iterations: int) -> None:
        from ...autograd.grad_mode import no_grad
        from ..functional._loss import normalize

        with no_grad():
            mat = mat.detach()
            for _ in range(n_power_iterations):
                normalize(mat.mv(self._v), dim=0, eps=self.eps, out=self._u)
                normalize(mat.H.mv(self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight: Tensor) -> Tensor:
        from ..functional._loss import normalize

        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = u.vdot(mat.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Parametrize ``module.<name>`` as ``W / sigma(W)`` (state-dict keys
    ``parametrizations.<name>.original``, ``parametrizations.<name>.0._u`` and ``._v``)."""
    from .spectral_norm import _default_dim

    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = _default_dim(module)
    parametrize.register_parametrization(module, name,
                                         _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ------------------------------------------------------------------------------------------
# orthogonal
# ------------------------------------------------------------------------------------------
_ORTH_MAPS = ("matrix_exp", "cayley", "householder")


def _is_orthogonal(Q: Tensor) -> bool:
    """``Q^T Q = I`` within ``10 n eps`` (Q tall, n its rows)."""
    from ... import _dtype as D
    from ..._creation import eye

    n, k = Q.shape[-2], Q.shape[-1]
    eps = 10.0 * n * (2.220446049250313e-16 if Q.dtype is D.float64 else 1.1920928955078125e-07)
    return bool(((Q.mT @ Q) - eye(k, dtype=Q.dtype)).abs().le(eps).all())


def _make_orthogonal(A: Tensor) -> Tensor:
    """Q factor of ``A = QR`` (A tall) normalised so that ``diag(R) >= 0``."""
    from ..._ops.linalg import geqrf, householder_product

    X, tau = geqrf(A)
    Q = householder_product(X, tau)
    return Q * X.diagonal(0, -2, -1).sgn().unsqueeze(-2)


class _Orthogonal(Module):
    """``Q = base @ phi(X)`` (``base`` only with ``use_trivialization``), ``phi`` one of

    * matrix_exp: ``exp(A)``, ``A = T - T^T``, ``T`` the lower triangle of X padded to n x n;
    * cayley: ``(I - A/2)^-1 (I + A/2)``;
    * householder: ``H_1 ... H_k`` from the strictly lower triangle of X, ``tau = 2/(1+|v|^2)``,
      columns signed by ``X``'s diagonal (cast to int, as torch).

    Wide matrices are handled transposed; the first k columns of the n x n result are kept."""

    def __init__(self, weight: Tensor, orthogonal_map: str, *, use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        from ... import _creation as C
        from ..._ops.linalg import householder_product, matrix_exp, solve
        from ..._ops.shape import cat

        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X, n, k = X.mT, k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = X.tril()
            if n != k:
                pad = C.zeros(n, n - k, dtype=X.dtype).expand(tuple(X.shape[:-2]) + (n, n - k))
                X = cat([X, pad], -1)
            A = X - X.mT
            if self.orthogonal_map == "matrix_exp":
                Q = matrix_exp(A)
            else:
                Id = C.eye(n, dtype=A.dtype)
                Q = solve(Id - A * 0.5, Id + A * 0.5)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(-2))
            Q = householder_product(A, tau)
            Q = Q * X.diagonal(0, -2, -1).detach().trunc().unsqueeze(-2)
        if getattr(self, "base", None) is not None:
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        """With ``use_trivialization``: store an orthogonal ``base`` (Q itself if orthogonal,
        else the Q factor of its QR, completed with random columns when Q is not square) and
        return ``-I`` (so that every map gives ``base``). Without: householder returns geqrf's
        reflectors of Q with the diagonal set to ``sign(diag R)``; the other maps decline."""
        from ... import _creation as C
        from ..._ops.linalg import geqrf
        from ..._ops.shape import cat
        from ..._random import randn
        from ...autograd.grad_mode import no_grad

        if tuple(Q.shape) != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {tuple(Q.shape)}.")
        with no_grad():
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q, n, k = Q.mT, k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in ("matrix_exp", "cayley"):
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential or the Cayley "
                        "parametrizations when use_trivialization=False.")
                A, tau = geqrf(Q)
                d = A.diagonal(0, -2, -1).sgn()
                d = d.masked_fill(tau.eq(0.0), 0.0) - d.masked_fill(tau.ne(0.0), 0.0)
                on_diag = C.eye(n, k, dtype=A.dtype).ne(0.0)
                A = A.masked_fill(on_diag, 0.0) + d.unsqueeze(-2).masked_fill(~on_diag, 0.0)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                N = randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype)
                Q = _make_orthogonal(cat([Q, N], -1))
            self.base = Q
            return C.zeros_like(Q_init) - C.eye(Q_init.shape[-2], Q_init.shape[-1], dtype=Q_init.dtype)


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Constrain ``module.<name>`` (a matrix or batch of matrices) to be orthogonal:
    ``Q^T Q = I`` for tall, ``Q Q^T = I`` for wide ones.  ``orthogonal_map`` defaults to
    'matrix_exp' for square matrices, 'householder' otherwise."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. "
                         f"Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _ORTH_MAPS:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
