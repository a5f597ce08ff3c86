"""Loss landscapes: 1-D interpolations, 1-D/2-D slices along (filter-normalised) directions, and
the optimisation trajectory projected onto the 2-D plane.

* interpolation (Goodfellow et al. 2015):  L((1 − α) θ₀ + α θ₁), all floating state included
  (BatchNorm running statistics are interpolated too);
* slices (Li et al. 2018):  L(θ + α δ) and L(θ + α δ + β η) with random Gaussian directions
  rescaled filter by filter, δ_{k,i} ← δ_{k,i} / ‖δ_{k,i}‖ · ‖θ_{k,i}‖ (row i of parameter k),
  so that the slice's scale matches the weights' and is comparable across networks;
* trajectory:  θ_t − θ projected by least squares on span(δ, η); with PCA directions of the
  trajectory (the top two principal components of {θ_t − θ}) the path is faithfully visible,
  random directions in high dimension are almost orthogonal to it.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .._backend import to_numpy
from .._tensor import Tensor
from ._objective import Objective, as_objective

__all__ = ["Landscape1D", "Landscape2D", "random_direction", "interpolate", "slice_1d", "slice_2d",
           "pca_directions", "project_trajectory"]


@dataclass
class Landscape1D:
    """Losses along a line: ``losses[i] = L(θ(alphas[i]))``; ``center_loss`` is L at α = 0."""

    alphas: np.ndarray
    losses: np.ndarray
    center_loss: float
    label: str = "alpha"

    def plot(self, path: str, *, title: str = "loss landscape (1-D)", log: bool = False) -> str:
        from ._plot import plot_1d

        return plot_1d(self, path, title=title, log=log)


@dataclass
class Landscape2D:
    """``losses[i, j] = L(θ + alphas[i] δ + betas[j] η)``; ``trajectory`` (k × 2) are the
    projected coordinates of an optimisation path when one was given."""

    alphas: np.ndarray
    betas: np.ndarray
    losses: np.ndarray
    center_loss: float
    trajectory: np.ndarray | None = None
    directions: tuple | None = None

    def plot(self, path: str, *, title: str = "loss landscape (2-D)", surface: bool = True,
             levels: int = 30, log: bool = False) -> str:
        from ._plot import plot_2d

        return plot_2d(self, path, title=title, surface=surface, levels=levels, log=log)


def _params_of(model_or_params) -> tuple[list[str], list[Tensor]]:
    if hasattr(model_or_params, "named_parameters"):
        named = [(n, p) for n, p in model_or_params.named_parameters() if p.requires_grad]
        return [n for n, _ in named], [p for _, p in named]
    if isinstance(model_or_params, Objective):
        return model_or_params.names, model_or_params.params
    ps = [model_or_params] if isinstance(model_or_params, Tensor) else list(model_or_params)
    return [f"param{i}" for i in range(len(ps))], ps


def random_direction(model_or_params: Any, *, filter_normalize: bool = True, ignore_1d: bool = True,
                     seed: int | np.random.Generator | None = None) -> list[Tensor]:
    """A random Gaussian direction shaped like the parameters (float64 Tensors).

    With ``filter_normalize`` each filter (row along dim 0 of a ≥2-D parameter) is rescaled to
    the norm of the matching filter of θ; 1-D parameters (biases, norm-layer affines) get a zero
    direction when ``ignore_1d`` (Li et al.'s choice) or are rescaled as a whole otherwise."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    _, params = _params_of(model_or_params)
    out = []
    for p in params:
        theta = to_numpy(p._data).astype(np.float64)
        d = rng.standard_normal(theta.shape)
        if filter_normalize:
            if theta.ndim <= 1:
                if ignore_1d:
                    d = np.zeros_like(d)
                else:
                    nd = np.linalg.norm(d)
                    d = d * (np.linalg.norm(theta) / nd if nd > 0 else 0.0)
            else:
                d2, t2 = d.reshape(d.shape[0], -1), theta.reshape(theta.shape[0], -1)
                nd = np.linalg.norm(d2, axis=1, keepdims=True)
                d = (d2 * (np.linalg.norm(t2, axis=1, keepdims=True) / np.where(nd > 0, nd, 1.0))
                     ).reshape(theta.shape)
        from .._backend import xp_of

        out.append(Tensor._make(xp_of(p._data).asarray(d)))
    return out


def _state_vectors(model, start, end):
    """Floating state-dict entries of start/end as aligned arrays; others taken from end."""
    keys = list(model.state_dict().keys())
    for k in keys:
        if k not in start or k not in end:
            raise KeyError(f"state dict entry {k!r} is missing from start or end")
    return keys


def interpolate(model: Any, loss_fn: Callable | None, data: Any, start: Any, end: Any, *,
                steps: int = 25, alphas: Sequence[float] | None = None,
                params: Sequence[Tensor] | None = None) -> Landscape1D:
    """L((1 − α)·start + α·end) for α in ``alphas`` (default ``linspace(-0.25, 1.25, steps)``).

    ``start``/``end``: state dicts of ``model`` (every floating entry is interpolated, buffers
    included; integer buffers are taken from ``end``) or parameter-shaped tensor lists.  The
    model's state is restored afterwards.  ``center_loss`` is the loss at α = 0 (``start``)."""
    alphas = np.linspace(-0.25, 1.25, steps) if alphas is None else np.asarray(alphas, dtype=np.float64)
    obj = as_objective(model, loss_fn, data, params)
    losses = []
    if isinstance(start, dict) and hasattr(model, "load_state_dict"):
        keys = _state_vectors(model, start, end)
        saved = copy.deepcopy(model.state_dict())
        # state dicts may share memory with the model (``end=model.state_dict()``): snapshot them
        start, end = copy.deepcopy(dict(start)), copy.deepcopy(dict(end))

        def load(a):
            sd = {}
            for k in keys:
                s, e = start[k], end[k]
                if isinstance(s, Tensor) and s.dtype.is_floating_point:
                    sd[k] = Tensor._make((s._data * (1 - a) + e._data * a).astype(s._data.dtype))
                else:
                    sd[k] = e
            model.load_state_dict(sd)

        try:
            for a in alphas:
                load(a)
                losses.append(obj.value())
            load(0.0)
            center = obj.value()
        finally:
            model.load_state_dict(saved)
        return Landscape1D(alphas, np.asarray(losses), center, label="alpha (0 = start, 1 = end)")
    v0, v1 = obj.flatten(start), obj.flatten(end)
    for a in alphas:
        losses.append(obj.value((1 - a) * v0 + a * v1))
    return Landscape1D(alphas, np.asarray(losses), obj.value(v0), label="alpha (0 = start, 1 = end)")


def slice_1d(model: Any, loss_fn: Callable | None = None, data: Any = None, *, direction=None,
             alphas: Sequence[float] | None = None, params: Sequence[Tensor] | None = None,
             filter_normalize: bool = True, seed: int | None = 0) -> Landscape1D:
    """L(θ + α δ) along ``direction`` δ (default: a random filter-normalised direction)."""
    obj = as_objective(model, loss_fn, data, params)
    alphas = np.linspace(-1.0, 1.0, 21) if alphas is None else np.asarray(alphas, dtype=np.float64)
    if direction is None:
        direction = random_direction(obj, filter_normalize=filter_normalize, seed=seed)
    d = obj.flatten(direction)
    theta = obj.get_vector()
    losses = np.asarray([obj.value(theta + a * d) for a in alphas])
    return Landscape1D(alphas, losses, obj.value())


def pca_directions(trajectory: Sequence[Any], center: Any, obj: Objective | None = None) -> list[np.ndarray]:
    """The top two principal directions (unit vectors) of {θ_t − center}."""
    X = np.stack([to_numpy(_flat(obj, t)) for t in trajectory]) - to_numpy(_flat(obj, center))[None]
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    if Vt.shape[0] < 2:
        raise ValueError("pca_directions needs a trajectory spanning at least two directions")
    return [Vt[0], Vt[1]]


def _flat(obj, t):
    if obj is not None:
        return obj.flatten(t)
    if isinstance(t, Tensor):
        return t._data.reshape(-1).astype(np.float64)
    return np.concatenate([to_numpy(x._data if isinstance(x, Tensor) else x).reshape(-1).astype(np.float64)
                           for x in t])


def project_trajectory(trajectory: Sequence[Any], center: Any, directions: Sequence[Any],
                       obj: Objective | None = None) -> np.ndarray:
    """Least-squares coordinates (α_t, β_t) of θ_t − center in span(δ, η): a k × 2 array."""
    X = np.stack([to_numpy(_flat(obj, t)) for t in trajectory]) - to_numpy(_flat(obj, center))[None]
    D = np.stack([to_numpy(_flat(obj, d)) for d in directions], axis=1)
    coef, *_ = np.linalg.lstsq(D, X.T, rcond=None)
    return coef.T


def slice_2d(model: Any, loss_fn: Callable | None = None, data: Any = None, *, directions=None,
             alphas: Sequence[float] | None = None, betas: Sequence[float] | None = None,
             steps: int = 21, trajectory: Sequence[Any] | None = None,
             params: Sequence[Tensor] | None = None, filter_normalize: bool = True,
             seed: int | None = 0) -> Landscape2D:
    """L(θ + α δ + β η) on a grid around the current parameters θ.

    ``directions``: two parameter-shaped directions, 'random' (filter-normalised, the default
    without a trajectory) or 'pca' (default with ``trajectory``: principal directions of the
    path θ_t − θ).  ``trajectory``: parameter snapshots (tensor lists or state dicts) projected
    onto the plane; without explicit ``alphas``/``betas`` the grid then covers the path."""
    obj = as_objective(model, loss_fn, data, params)
    theta = obj.get_vector()
    xp = obj.xp
    if directions is None:
        directions = "pca" if trajectory is not None else "random"
    if isinstance(directions, str):
        if directions == "pca":
            if trajectory is None:
                raise ValueError("directions='pca' needs a trajectory")
            d1, d2 = (xp.asarray(v) for v in pca_directions(trajectory, obj.params, obj))
        elif directions == "random":
            rng = np.random.default_rng(seed)
            d1 = obj.flatten(random_direction(obj, filter_normalize=filter_normalize, seed=rng))
            d2 = obj.flatten(random_direction(obj, filter_normalize=filter_normalize, seed=rng))
        else:
            raise ValueError(f"directions must be 'random', 'pca' or two tensors lists, got {directions!r}")
    else:
        if len(directions) != 2:
            raise ValueError(f"slice_2d needs exactly two directions, got {len(directions)}")
        d1, d2 = obj.flatten(directions[0]), obj.flatten(directions[1])
    coords = None
    if trajectory is not None:
        coords = project_trajectory(trajectory, obj.params, [d1, d2], obj)
    if alphas is None or betas is None:
        if coords is not None:
            lo, hi = coords.min(axis=0), coords.max(axis=0)
            pad = 0.2 * np.maximum(hi - lo, 1e-12)
            lo, hi = np.minimum(lo - pad, -pad), np.maximum(hi + pad, pad)
        else:
            lo, hi = np.array([-1.0, -1.0]), np.array([1.0, 1.0])
        alphas = np.linspace(lo[0], hi[0], steps) if alphas is None else alphas
        betas = np.linspace(lo[1], hi[1], steps) if betas is None else betas
    alphas, betas = np.asarray(alphas, dtype=np.float64), np.asarray(betas, dtype=np.float64)
    losses = np.empty((len(alphas), len(betas)))
    try:
        for i, a in enumerate(alphas):
            for j, b in enumerate(betas):
                obj.set_vector(theta + a * d1 + b * d2)
                losses[i, j] = obj.value()
    finally:
        obj.set_vector(theta)
    return Landscape2D(alphas, betas, losses, obj.value(), coords,
                       (obj.to_tensors(d1), obj.to_tensors(d2)))
