"""Synthetic datasets: linear-regression data and Gaussian blobs for classification."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .._tensor import Tensor

__all__ = ["synthetic_linear_regression", "synthetic_data", "make_blobs", "load_array"]


def _rng(generator):
    from .. import _random

    return (generator or _random.default_generator)._rng


def synthetic_linear_regression(w, b: float, num_examples: int, noise: float = 0.01, generator=None):
    """``X ~ N(0, 1)`` of shape ``(num_examples, len(w))`` and ``y = X w + b + N(0, noise^2)`` of shape
    ``(num_examples, 1)`` (float32, or w's float dtype when ``w`` is a tensor)."""
    wa = np.asarray(w._data if isinstance(w, Tensor) else w)
    dt = wa.dtype if wa.dtype.kind == "f" else np.dtype(np.float32)
    wa = wa.astype(dt).reshape(-1)
    g = _rng(generator)
    X = g.standard_normal((num_examples, wa.shape[0])).astype(dt)
    y = X @ wa + dt.type(b) + (noise * g.standard_normal(num_examples)).astype(dt)
    return Tensor._make(X), Tensor._make(y.reshape(-1, 1).astype(dt))


synthetic_data = synthetic_linear_regression  # d2l's name


def make_blobs(n_samples: int | Sequence[int] = 100, centers=3, n_features: int = 2, cluster_std: float = 1.0,
               center_box: tuple[float, float] = (-10.0, 10.0), generator=None):
    """Isotropic Gaussian clusters: ``(X float32 (n, n_features), y int64 (n,))``. ``centers`` is a count
    (drawn uniformly in ``center_box``) or an array of centres; ``n_samples`` a total (split as evenly
    as possible) or a count per centre. Samples are shuffled."""
    g = _rng(generator)
    if isinstance(centers, (int, np.integer)):
        c = g.uniform(center_box[0], center_box[1], size=(int(centers), n_features))
    else:
        c = np.asarray(centers._data if isinstance(centers, Tensor) else centers, dtype=np.float64)
    k = c.shape[0]
    if isinstance(n_samples, (int, np.integer)):
        counts = [n_samples // k + (1 if i < n_samples % k else 0) for i in range(k)]
    else:
        counts = list(n_samples)
        if len(counts) != k:
            raise ValueError(f"n_samples has {len(counts)} entries but there are {k} centers")
    y = np.repeat(np.arange(k), counts)
    X = c[y] + cluster_std * g.standard_normal((y.shape[0], c.shape[1]))
    perm = g.permutation(y.shape[0])
    return Tensor._make(X[perm].astype(np.float32)), Tensor._make(y[perm].astype(np.int64))


def load_array(data_arrays, batch_size: int, is_train: bool = True):
    """A DataLoader over ``TensorDataset(*data_arrays)``, shuffled when ``is_train``."""
    from ..utils.data import DataLoader, TensorDataset

    return DataLoader(TensorDataset(*data_arrays), batch_size, shuffle=is_train)
