"""Ready-made parametrizations: ``weight_norm`` (torch.nn.utils.parametrizations)."""
from __future__ import annotations

from ..._tensor import Tensor
from ..modules.module import Module
from . import parametrize

__all__ = ["weight_norm"]


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
