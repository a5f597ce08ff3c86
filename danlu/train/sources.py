"""Data sources for the command line: a name -> in-memory (train, test) image tensors.

'fashion-mnist-subset' is the class-balanced Fashion-MNIST subset bundled with danlu (no network);
'fashion-mnist', 'mnist' and 'cifar10' are the full sets, read from ``root`` (or Debian's
dataset-fashion-mnist location) or downloaded with ``download=True``.  Images become float32
tensors of shape (N, C, H, W) standardised with the training set's per-channel mean and std.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["DATASETS", "load_arrays", "load_tensors", "split_train_val"]

DATASETS = {
    "fashion-mnist-subset": "bundled class-balanced Fashion-MNIST subset (ships with danlu, no download)",
    "fashion-mnist": "full Fashion-MNIST (60k/10k), from --data-root or /usr/share/datasets, --download",
    "mnist": "MNIST digits (60k/10k), from --data-root or --download",
    "cifar10": "CIFAR-10 colour images (50k/10k), from --data-root or --download",
}

ALIASES = {"fashion-mnist-small": "fashion-mnist-subset", "fmnist-subset": "fashion-mnist-subset",
           "subset": "fashion-mnist-subset", "fashionmnist": "fashion-mnist", "fmnist": "fashion-mnist",
           "cifar-10": "cifar10"}


def _np_images(ds: Any) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 or float images N[C]HW, int64 labels) from a torchvision-style dataset object."""
    data = getattr(ds, "data", None)
    targets = getattr(ds, "targets", None)
    if data is not None and targets is not None:
        x = data.numpy() if hasattr(data, "numpy") else np.asarray(data)
        y = targets.numpy() if hasattr(targets, "numpy") else np.asarray(targets)
        return x, np.asarray(y, dtype=np.int64)
    xs, ys = [], []
    for i in range(len(ds)):  # generic path: index every sample
        xi, yi = ds[i]
        xs.append(xi.numpy() if hasattr(xi, "numpy") else np.asarray(xi))
        ys.append(int(yi))
    return np.stack(xs), np.asarray(ys, dtype=np.int64)


def _to_nchw(x: np.ndarray) -> np.ndarray:
    if x.ndim == 3:  # N, H, W
        return x[:, None]
    if x.ndim == 4 and x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):  # N, H, W, C
        return x.transpose(0, 3, 1, 2)
    return x


def load_arrays(name: str, root: str | None = None, download: bool = False) -> dict:
    """``{'train': (x, y), 'test': (x, y), 'classes': [...]}`` with x float32 in [0, 1], NCHW."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    from ..vision import datasets as vd

    if key == "fashion-mnist-subset":
        fn = getattr(vd, "FashionMNISTSubset", None)
        if fn is None:
            raise ImportError("danlu.vision.datasets has no FashionMNISTSubset (the bundled subset)")
        tr, te = fn(train=True), fn(train=False)
    else:
        cls = {"fashion-mnist": "FashionMNIST", "mnist": "MNIST", "cifar10": "CIFAR10"}[key]
        C = getattr(vd, cls)
        tr, te = C(root, train=True, download=download), C(root, train=False, download=download)
    out: dict[str, Any] = {"classes": list(getattr(tr, "classes", [])) or [str(i) for i in range(10)]}
    for split, ds in (("train", tr), ("test", te)):
        x, y = _np_images(ds)
        x = _to_nchw(x)
        x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
        out[split] = (x, y)
    return out


def split_train_val(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled (train, validation) indices with ``round(val_fraction * n)`` validation samples."""
    perm = np.random.default_rng(seed).permutation(n)
    nv = int(round(val_fraction * n))
    return perm[nv:], perm[:nv]


def load_tensors(name: str, *, root: str | None = None, download: bool = False, limit: int | None = None,
                 limit_test: int | None = None, val_fraction: float = 0.1, seed: int = 0,
                 stats: tuple | None = None) -> dict:
    """Standardised danlu tensors: ``{'train', 'val', 'test': (X, y) or None, 'classes', 'shape', 'stats'}``.

    ``limit`` keeps the first ``limit`` training images (after a seeded shuffle, so classes stay mixed),
    ``limit_test`` the first test images; ``stats`` = (mean, std) per channel, computed on the training
    part when not given (an evaluation reuses the training run's).
    """
    import danlu

    arrs = load_arrays(name, root, download)
    xtr, ytr = arrs["train"]
    xte, yte = arrs["test"]
    if limit is not None and limit < len(ytr):
        keep = np.random.default_rng(seed).permutation(len(ytr))[:limit]
        xtr, ytr = xtr[keep], ytr[keep]
    if limit_test is not None and limit_test < len(yte):
        xte, yte = xte[:limit_test], yte[:limit_test]
    tr_idx, va_idx = split_train_val(len(ytr), val_fraction, seed)
    if stats is None:
        part = xtr[tr_idx]
        mean = part.mean(axis=(0, 2, 3)).astype(np.float64)
        std = part.std(axis=(0, 2, 3)).astype(np.float64) + 1e-8
        stats = (mean.tolist(), std.tolist())
    mean = np.asarray(stats[0], np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(stats[1], np.float32).reshape(1, -1, 1, 1)

    def t(x, y):
        return (danlu.from_numpy(np.ascontiguousarray((x - mean) / std, dtype=np.float32)),
                danlu.from_numpy(np.ascontiguousarray(y, dtype=np.int64)))

    return {"train": t(xtr[tr_idx], ytr[tr_idx]), "val": t(xtr[va_idx], ytr[va_idx]) if len(va_idx) else None,
            "test": t(xte, yte), "classes": arrs["classes"], "shape": tuple(int(s) for s in xtr.shape[1:]),
            "stats": [list(map(float, stats[0])), list(map(float, stats[1]))]}
