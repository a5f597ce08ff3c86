"""Tiny data and models for the training-workflow tests."""
import numpy as np

import danlu
from danlu import nn


def blobs(n=240, d=4, c=3, seed=0, spread=0.6, dtype=np.float32):
    """Gaussian blobs: class k centred at 2*e_k (well separated)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    centres = 2.0 * np.eye(c, d)
    x = centres[y] + spread * rng.normal(size=(n, d))
    return danlu.tensor(x.astype(dtype)), danlu.tensor(y.astype(np.int64))


def ce(out, target):
    return nn.functional.cross_entropy(out, target)


def mlp(d=4, c=3, h=16, dropout=0.0):
    layers = [nn.Linear(d, h), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(h, c))
