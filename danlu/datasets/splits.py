"""Splits for model selection: K-fold cross-validation and train / validation / test (/ train-dev).

Every splitter works on a length (an int), a sized dataset, or an array, and returns int64 index
arrays (wrap them with ``danlu.utils.data.Subset``). Shuffling uses ``numpy.random.default_rng(seed)``,
so a seed gives the same split everywhere.
"""
from __future__ import annotations

import warnings
from typing import Iterator, NamedTuple

import numpy as np

from .._tensor import Tensor

__all__ = ["KFold", "StratifiedKFold", "Split", "train_val_test_split", "train_dev_split"]


def _n(data) -> int:
    if isinstance(data, (int, np.integer)):
        return int(data)
    return len(data)


def _labels(y) -> np.ndarray:
    if isinstance(y, Tensor):
        return np.asarray(y._data).reshape(-1)
    return np.asarray(y).reshape(-1)


class KFold:
    """``n_splits`` consecutive folds (sizes differ by at most one, larger first) of the (optionally
    shuffled) indices; each fold is the validation set once, the rest the training set."""

    def __init__(self, n_splits: int = 5, shuffle: bool = False, seed: int | None = None) -> None:
        if not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
            raise ValueError(f"k-fold cross-validation requires at least one train/test split by setting "
                             f"n_splits=2 or more, got n_splits={n_splits}.")
        if not shuffle and seed is not None:
            raise ValueError("Setting a seed has no effect since shuffle is False. Leave seed=None or set "
                             "shuffle=True.")
        self.n_splits, self.shuffle, self.seed = int(n_splits), shuffle, seed

    def get_n_splits(self, data=None, y=None) -> int:
        return self.n_splits

    def _folds(self, data, y) -> list[np.ndarray]:
        n = _n(data)
        if self.n_splits > n:
            raise ValueError(f"Cannot have number of splits n_splits={self.n_splits} greater than the number "
                             f"of samples: n_samples={n}.")
        idx = np.arange(n)
        if self.shuffle:
            idx = np.random.default_rng(self.seed).permutation(n)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        return np.split(idx, np.cumsum(sizes)[:-1])

    def split(self, data, y=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_indices, val_indices)`` for each fold."""
        folds = self._folds(data, y)
        for k in range(self.n_splits):
            val = np.sort(folds[k])
            train = np.sort(np.concatenate([f for j, f in enumerate(folds) if j != k]))
            yield train.astype(np.int64), val.astype(np.int64)


class StratifiedKFold(KFold):
    """K folds whose class proportions match the whole set's: the samples of each class (shuffled when
    asked) are dealt to the folds in turn, so per-class counts differ by at most one between folds."""

    def _folds(self, data, y) -> list[np.ndarray]:
        if y is None:
            raise ValueError("StratifiedKFold.split() needs the labels y")
        labels = _labels(y)
        if labels.shape[0] != _n(data):
            raise ValueError(f"Found input variables with inconsistent numbers of samples: "
                             f"[{_n(data)}, {labels.shape[0]}]")
        classes, counts = np.unique(labels, return_counts=True)
        if self.n_splits > counts.max():
            raise ValueError(f"n_splits={self.n_splits} cannot be greater than the number of members in each class.")
        if self.n_splits > counts.min():
            warnings.warn(f"The least populated class in y has only {counts.min()} members, which is less than "
                          f"n_splits={self.n_splits}.")
        rng = np.random.default_rng(self.seed) if self.shuffle else None
        assign = np.empty(labels.shape[0], dtype=np.int64)
        start = 0
        for c in classes:
            members = np.flatnonzero(labels == c)
            if rng is not None:
                members = rng.permutation(members)
            # continue the round-robin where the previous class stopped, to balance fold sizes too
            assign[members] = (start + np.arange(members.shape[0])) % self.n_splits
            start = (start + members.shape[0]) % self.n_splits
        return [np.flatnonzero(assign == k) for k in range(self.n_splits)]


class Split(NamedTuple):
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    train_dev: np.ndarray


def _stratified_perm(n: int, y, rng) -> list[np.ndarray]:
    if y is None:
        return [rng.permutation(n)]
    labels = _labels(y)
    if labels.shape[0] != n:
        raise ValueError(f"stratify has {labels.shape[0]} labels for {n} samples")
    return [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]


def train_val_test_split(data, val: float = 0.1, test: float = 0.1, train_dev: float = 0.0, *,
                         seed: int = 0, stratify=None) -> Split:
    """Disjoint index sets covering ``data``: fractions ``val`` and ``test`` of the samples, a
    ``train_dev`` fraction (held out from the training distribution to tell variance from data
    mismatch) and the rest for training. With ``stratify`` (labels), each class is split in the same
    proportions. Deterministic under ``seed``; each part is sorted."""
    fracs = (val, test, train_dev)
    if any(f < 0 for f in fracs) or sum(fracs) >= 1:
        raise ValueError(f"val, test and train_dev must be non-negative fractions summing to less than 1, got "
                         f"{fracs}")
    n = _n(data)
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], [], []]
    for group in _stratified_perm(n, stratify, rng):
        m = group.shape[0]
        counts = [int(round(f * m)) for f in fracs]
        edges = np.cumsum(counts)
        if edges[-1] > m:
            raise ValueError(f"a group of {m} samples is too small for the fractions {fracs}")
        v, t, d, tr = np.split(group, edges)
        for k, arr in enumerate((tr, v, t, d)):
            parts[k].append(arr)
    out = [np.sort(np.concatenate(p)).astype(np.int64) for p in parts]
    return Split(train=out[0], val=out[1], test=out[2], train_dev=out[3])


def train_dev_split(data, dev: float = 0.1, *, seed: int = 0, stratify=None) -> tuple[np.ndarray, np.ndarray]:
    """``(train, dev)`` index sets with a ``dev`` fraction held out."""
    s = train_val_test_split(data, val=dev, test=0.0, seed=seed, stratify=stratify)
    return s.train, s.val


