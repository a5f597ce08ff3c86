"""Gradient checking of whole models: autograd's ∇L against central differences.

For every parameter tensor θ_k (a float64 copy of the model, so that round-off stays far below
the check's resolution) the numerical gradient of element i is

    g_num[i] = (L(θ + ε e_i) − L(θ − ε e_i)) / 2ε            (error O(ε²))

and the tensor passes when the relative error ‖g − g_num‖ / (‖g‖ + ‖g_num‖) ≤ tol.  Large
tensors are checked on a random subset of ``max_elements`` entries.  Randomness (dropout) is
replayed identically in every forward pass and buffers (BatchNorm running statistics) are
restored after each one, so the loss is a fixed deterministic function of θ.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .._backend import to_numpy
from .._tensor import Tensor
from ._objective import Objective

__all__ = ["GradientCheckReport", "ParamCheck", "check_gradients"]


@dataclass
class ParamCheck:
    """The check of one parameter tensor."""

    name: str
    shape: tuple
    n_checked: int
    rel_error: float
    max_abs_error: float
    worst: list = field(default_factory=list)  # [(index tuple, analytic, numeric)], worst first
    ok: bool = True


@dataclass
class GradientCheckReport:
    """Per-parameter relative errors, the worst elements and an overall verdict (``passed``)."""

    params: list[ParamCheck]
    eps: float
    tol: float
    loss: float

    @property
    def passed(self) -> bool:
        return all(p.ok for p in self.params)

    @property
    def max_rel_error(self) -> float:
        return max((p.rel_error for p in self.params), default=0.0)

    def failed(self) -> list[ParamCheck]:
        return [p for p in self.params if not p.ok]

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        w = max([len(p.name) for p in self.params] + [9])
        lines = [f"gradient check (central differences, eps={self.eps:g}, float64, loss={self.loss:.6g})",
                 f"  {'parameter':<{w}}  {'shape':<16} {'checked':>7}  {'rel. error':>10}  verdict"]
        for p in self.params:
            lines.append(f"  {p.name:<{w}}  {str(list(p.shape)):<16} {p.n_checked:>7}  {p.rel_error:>10.2e}  "
                         + ("ok" if p.ok else "WRONG"))
            if not p.ok:
                for idx, a, n in p.worst[:3]:
                    lines.append(f"      worst element {list(idx)}: autograd {a:+.8g} vs numeric {n:+.8g}")
        lines.append(f"verdict: {'PASSED' if self.passed else 'FAILED'} (max relative error "
                     f"{self.max_rel_error:.2e}, tolerance {self.tol:.0e})")
        return "\n".join(lines)


def _double_batch(data):
    def cv(t):
        return t.double() if isinstance(t, Tensor) and t.dtype.is_floating_point else t

    if isinstance(data, Tensor):
        return cv(data)
    if isinstance(data, (tuple, list)) and all(isinstance(d, Tensor) for d in data):
        return type(data)(cv(d) for d in data)
    return [(_double_batch(b)) for b in data]


def check_gradients(model: Any, loss_fn: Callable | None, batch: Any, *, eps: float = 1e-6,
                    tol: float = 1e-5, floor: float = 1e-3, params: Sequence[str] | None = None,
                    max_elements: int | None = 200, n_worst: int = 5, seed: int = 0, double: bool = True) -> GradientCheckReport:
    """Compare autograd's gradient of ``loss_fn(model(*batch[:-1]), batch[-1])`` with central
    differences, per parameter tensor: relative error ‖g − g_num‖ / max(‖g‖ + ‖g_num‖, floor·‖∇L‖) ≤ tol.

    ``model`` is copied (``copy.deepcopy``) and, with ``double=True``, converted to float64
    together with the batch; the original is untouched.  ``params`` restricts the check to the
    named parameters; ``max_elements`` caps the entries checked per tensor (random subset,
    ``None`` = all).  A plain function ``fn(*tensors)`` works too: pass it as ``model`` with
    ``loss_fn=None`` and the tensors as ``batch``."""
    if not hasattr(model, "named_parameters"):
        if not callable(model):
            raise TypeError(f"model must be a Module or a function, got {type(model).__name__}")
        tensors = [batch] if isinstance(batch, Tensor) else list(batch)
        tensors = [t.detach().double() if double and t.dtype.is_floating_point else t.detach()
                   for t in tensors]
        obj = Objective.from_function(model, tensors)
    else:
        m = copy.deepcopy(model)
        if double:
            if not hasattr(m, "double"):
                raise TypeError("model has no .double(); pass double=False to check in its own dtype")
            m = m.double()
            batch = _double_batch(batch)
        named = [(n, p) for n, p in m.named_parameters() if p.requires_grad]
        if params is not None:
            wanted = set(params)
            unknown = wanted - {n for n, _ in named}
            if unknown:
                raise KeyError(f"model has no trainable parameters named {sorted(unknown)}")
            named = [(n, p) for n, p in named if n in wanted]
        obj = Objective.from_model(m, loss_fn, batch, params=[p for _, p in named])
    rng = np.random.default_rng(seed)
    loss, g = obj.value_and_grad()
    g = to_numpy(g)
    gnorm = float(np.linalg.norm(g))
    theta = obj.get_vector()
    checks = []
    offset = 0
    xp = obj.xp
    for name, shape, size in zip(obj.names, obj.shapes, obj.sizes):
        if max_elements is not None and size > max_elements:
            idx = np.sort(rng.choice(size, max_elements, replace=False))
        else:
            idx = np.arange(size)
        num = np.empty(len(idx))
        e = xp.zeros_like(theta)
        for j, i in enumerate(idx):
            e[offset + i] = eps
            lp = obj.value(theta + e)
            lm = obj.value(theta - e)
            e[offset + i] = 0.0
            num[j] = (lp - lm) / (2 * eps)
        ana = g[offset + idx]
        diff = np.abs(ana - num)
        den = np.linalg.norm(ana) + np.linalg.norm(num)
        # a tensor whose true gradient is ~0 (a bias before BatchNorm) shows only round-off:
        # measure it against a floor, ``floor`` × the whole gradient's norm, not its own ~0 norm
        rel = float(np.linalg.norm(ana - num) / max(den, floor * gnorm, 1e-300)) if den > 0 else 0.0
        order = np.argsort(-diff)[:n_worst]
        worst = [(tuple(int(k) for k in np.unravel_index(idx[o], shape)) if shape else (),
                  float(ana[o]), float(num[o])) for o in order]
        checks.append(ParamCheck(name=name, shape=tuple(shape), n_checked=len(idx), rel_error=rel,
                                 max_abs_error=float(diff.max()) if len(diff) else 0.0, worst=worst,
                                 ok=bool(rel <= tol)))
        offset += size
    return GradientCheckReport(params=checks, eps=eps, tol=tol, loss=loss)
