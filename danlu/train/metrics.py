"""Metrics for classification and regression, as functions and as streaming accumulators.

Every streaming metric keeps *sufficient statistics* (counts, sums, a confusion matrix, a running
mean and sum of squares) instead of per-batch averages, so that ``update`` over any split of the data
followed by ``compute`` equals the metric of the whole data at once (exactly, up to float64 rounding).

Predictions may be danlu tensors, NumPy arrays or lists.  A classification prediction with one more
dimension than the target holds scores (logits or probabilities) over axis 1 (``(N, C)`` or
``(N, C, d1, ...)``, torch's layout) and is reduced with ``argmax``; a prediction with
the target's shape holds labels, or probabilities of the positive class in the binary case
(thresholded at 0.5 when they are not integers).
"""
from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

__all__ = [
    "Metric", "Mean", "Accuracy", "TopKAccuracy", "ConfusionMatrix", "Precision", "Recall", "F1Score",
    "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError", "LogRMSE", "R2Score",
    "accuracy", "top_k_accuracy", "confusion_matrix", "precision_recall_f1", "precision", "recall",
    "f1_score", "mse", "mae", "rmse", "log_rmse", "r2_score", "get_metric", "METRICS", "to_numpy",
]


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy array from a danlu tensor (any device), array, list or number."""
    if hasattr(x, "_data") and hasattr(x, "detach"):  # danlu Tensor
        from .._backend import to_numpy as _tn

        return np.asarray(_tn(x._data))
    if hasattr(x, "get") and not isinstance(x, (dict, np.ndarray)):  # cupy array
        return np.asarray(x.get())
    return np.asarray(x)


def _labels(pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    """(predicted labels, target labels) as flat int64 arrays."""
    p, t = to_numpy(pred), to_numpy(target)
    if p.ndim == t.ndim + 1:  # scores over the class axis (axis 1, or 0 for a single sample)
        p = p.argmax(axis=1 if p.ndim > 1 else 0)
    elif p.shape != t.shape:
        raise ValueError(f"prediction of shape {tuple(p.shape)} does not match target of shape {tuple(t.shape)}")
    elif p.dtype.kind == "f" and not np.all(np.mod(p, 1) == 0):
        p = (p >= 0.5)  # probabilities of the positive class
    if t.dtype.kind == "f" and not np.all(np.mod(t, 1) == 0):
        raise ValueError("classification targets must be integer class labels")
    return p.astype(np.int64).reshape(-1), t.astype(np.int64).reshape(-1)


class Metric:
    """A streaming metric: ``reset()``, ``update(pred, target)`` per batch, ``compute()`` at the end.

    ``higher_is_better`` tells early stopping / model selection which way is good.
    """

    name = "metric"
    higher_is_better = True

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, pred: Any, target: Any) -> None:
        raise NotImplementedError

    def compute(self) -> Any:
        raise NotImplementedError

    def __call__(self, pred: Any, target: Any) -> Any:
        """The metric of one batch on its own (does not touch the running state)."""
        m = copy.deepcopy(self)
        m.reset()
        m.update(pred, target)
        return m.compute()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Mean(Metric):
    """Weighted running mean: ``update(value, weight=1)``; e.g. the loss weighted by batch size."""

    name = "mean"
    higher_is_better = False

    def reset(self) -> None:
        self.total, self.weight = 0.0, 0.0

    def update(self, value: Any, weight: float = 1.0) -> None:  # type: ignore[override]
        v = to_numpy(value).astype(np.float64)
        if v.ndim == 0:  # a batch mean standing for ``weight`` samples
            self.total += float(v) * float(weight)
            self.weight += float(weight)
        else:  # per-sample values
            self.total += float(v.sum())
            self.weight += float(v.size)

    def compute(self) -> float:
        return self.total / self.weight if self.weight else float("nan")


class Accuracy(Metric):
    """Fraction of correct predictions: (1/N) Σ 1[ŷ_i = y_i]."""

    name = "accuracy"

    def reset(self) -> None:
        self.correct, self.count = 0, 0

    def update(self, pred: Any, target: Any) -> None:
        p, t = _labels(pred, target)
        self.correct += int((p == t).sum())
        self.count += int(t.size)

    def compute(self) -> float:
        return self.correct / self.count if self.count else float("nan")


class TopKAccuracy(Metric):
    """Fraction of samples whose true class is among the ``k`` highest scores."""

    higher_is_better = True

    def __init__(self, k: int = 5) -> None:
        self.k = int(k)
        self.name = f"top{self.k}_accuracy"
        super().__init__()

    def reset(self) -> None:
        self.correct, self.count = 0, 0

    def update(self, pred: Any, target: Any) -> None:
        s, t = to_numpy(pred), to_numpy(target).astype(np.int64)
        if s.ndim != t.ndim + 1:
            raise ValueError(f"top-k accuracy needs scores of shape (N, C, ...); got {tuple(s.shape)} "
                             f"for targets of shape {tuple(t.shape)}")
        k = min(self.k, s.shape[1])
        # the true class is in the top k iff fewer than k classes score strictly higher
        true_score = np.take_along_axis(s, np.expand_dims(t, 1), axis=1)
        higher = (s > true_score).sum(axis=1)
        self.correct += int((higher < k).sum())
        self.count += int(t.size)

    def compute(self) -> float:
        return self.correct / self.count if self.count else float("nan")

    def __repr__(self) -> str:
        return f"TopKAccuracy(k={self.k})"


class ConfusionMatrix(Metric):
    """``C[i, j]`` = number of samples of true class ``i`` predicted as ``j`` (grows as classes appear)."""

    name = "confusion_matrix"

    def __init__(self, num_classes: int | None = None) -> None:
        self.num_classes = num_classes
        super().__init__()

    def reset(self) -> None:
        n = self.num_classes or 0
        self.matrix = np.zeros((n, n), dtype=np.int64)

    def update(self, pred: Any, target: Any) -> None:
        p, t = _labels(pred, target)
        if p.size and (p.min() < 0 or t.min() < 0):
            raise ValueError("class labels must be non-negative")
        n = max(self.matrix.shape[0], int(p.max(initial=-1)) + 1, int(t.max(initial=-1)) + 1)
        if self.num_classes is not None and n > self.num_classes:
            raise ValueError(f"label {n - 1} out of range for num_classes={self.num_classes}")
        if n > self.matrix.shape[0]:
            grown = np.zeros((n, n), dtype=np.int64)
            k = self.matrix.shape[0]
            grown[:k, :k] = self.matrix
            self.matrix = grown
        self.matrix += np.bincount(t * n + p, minlength=n * n).reshape(n, n)

    def compute(self) -> np.ndarray:
        return self.matrix.copy()


def _prf_from_matrix(cm: np.ndarray, average: str | None, pos_label: int = 1) -> tuple:
    """Precision, recall, F1 from a confusion matrix (zero where undefined, like scikit-learn)."""
    tp = np.diag(cm).astype(np.float64)
    pred_pos = cm.sum(axis=0).astype(np.float64)
    true_pos = cm.sum(axis=1).astype(np.float64)

    def div(a, b):
        return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b != 0)

    if average == "micro":
        t, pp, ap = tp.sum(), pred_pos.sum(), true_pos.sum()
        p = t / pp if pp else 0.0
        r = t / ap if ap else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)
    if average == "binary":
        n = cm.shape[0]
        if n > 2:
            raise ValueError(f"average='binary' needs two classes, got {n}; use 'macro', 'micro' or 'weighted'")
        if pos_label >= n:
            return 0.0, 0.0, 0.0
        p = div(tp, pred_pos)[pos_label]
        r = div(tp, true_pos)[pos_label]
        return float(p), float(r), float(2 * p * r / (p + r) if p + r else 0.0)
    p, r = div(tp, pred_pos), div(tp, true_pos)
    f = div(2 * p * r, p + r)
    if average is None:
        return p, r, f
    if average == "macro":
        return float(p.mean()), float(r.mean()), float(f.mean())
    if average == "weighted":
        w = true_pos / true_pos.sum() if true_pos.sum() else true_pos
        return float((p * w).sum()), float((r * w).sum()), float((f * w).sum())
    raise ValueError(f"average must be 'binary', 'macro', 'micro', 'weighted' or None, got {average!r}")


class _PRF(Metric):
    _which = 0

    def __init__(self, average: str | None = "macro", num_classes: int | None = None, pos_label: int = 1) -> None:
        self.average, self.pos_label = average, pos_label
        self._cm = ConfusionMatrix(num_classes)
        super().__init__()

    def reset(self) -> None:
        self._cm.reset()

    def update(self, pred: Any, target: Any) -> None:
        self._cm.update(pred, target)

    def compute(self):
        return _prf_from_matrix(self._cm.matrix, self.average, self.pos_label)[self._which]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(average={self.average!r})"


class Precision(_PRF):
    """TP / (TP + FP), per class then averaged ('binary', 'macro', 'micro', 'weighted' or None)."""

    name, _which = "precision", 0


class Recall(_PRF):
    """TP / (TP + FN), per class then averaged."""

    name, _which = "recall", 1


class F1Score(_PRF):
    """Harmonic mean 2PR / (P + R), per class then averaged."""

    name, _which = "f1", 2


class _Regression(Metric):
    """Accumulates n, Σe, Σ|e|, Σe², and the target's running mean and M2 (Chan et al.) for R²."""

    higher_is_better = False

    def reset(self) -> None:
        self.n = 0
        self.sum_abs = 0.0
        self.sum_sq = 0.0
        self.mean_t = 0.0
        self.m2_t = 0.0

    def _pair(self, pred, target):
        p = to_numpy(pred).astype(np.float64)
        t = to_numpy(target).astype(np.float64)
        if p.shape != t.shape:
            if p.size == t.size:
                p = p.reshape(t.shape)
            else:
                raise ValueError(f"prediction of shape {tuple(p.shape)} does not match target of shape "
                                 f"{tuple(t.shape)}")
        return p.reshape(-1), t.reshape(-1)

    def update(self, pred: Any, target: Any) -> None:
        p, t = self._pair(pred, target)
        if not t.size:
            return
        e = p - t
        self.sum_abs += float(np.abs(e).sum())
        self.sum_sq += float((e * e).sum())
        nb, mb = t.size, float(t.mean())
        m2b = float(((t - mb) ** 2).sum())
        n = self.n + nb
        delta = mb - self.mean_t
        self.mean_t += delta * nb / n
        self.m2_t += m2b + delta * delta * self.n * nb / n
        self.n = n


class MeanSquaredError(_Regression):
    """(1/N) Σ (ŷ − y)²."""

    name = "mse"

    def compute(self) -> float:
        return self.sum_sq / self.n if self.n else float("nan")


class MeanAbsoluteError(_Regression):
    """(1/N) Σ |ŷ − y|."""

    name = "mae"

    def compute(self) -> float:
        return self.sum_abs / self.n if self.n else float("nan")


class RootMeanSquaredError(_Regression):
    """sqrt((1/N) Σ (ŷ − y)²)."""

    name = "rmse"

    def compute(self) -> float:
        return math.sqrt(self.sum_sq / self.n) if self.n else float("nan")


class R2Score(_Regression):
    """Coefficient of determination 1 − Σ(ŷ − y)² / Σ(y − ȳ)²."""

    name = "r2"
    higher_is_better = True

    def compute(self) -> float:
        if not self.n:
            return float("nan")
        if self.m2_t == 0:
            return 1.0 if self.sum_sq == 0 else 0.0
        return 1.0 - self.sum_sq / self.m2_t


class LogRMSE(_Regression):
    """sqrt((1/N) Σ (log ŷ − log y)²), predictions clamped to ≥ 1 first (the house-price metric)."""

    name = "log_rmse"

    def __init__(self, clamp_min: float = 1.0) -> None:
        self.clamp_min = clamp_min
        super().__init__()

    def update(self, pred: Any, target: Any) -> None:
        p, t = self._pair(pred, target)
        if (t <= 0).any():
            raise ValueError("log-RMSE needs positive targets")
        super().update(np.log(np.maximum(p, self.clamp_min)), np.log(t))

    def compute(self) -> float:
        return math.sqrt(self.sum_sq / self.n) if self.n else float("nan")


# -- functional forms ------------------------------------------------------------------------------

def _once(metric: Metric, pred: Any, target: Any):
    metric.update(pred, target)
    return metric.compute()


def accuracy(pred: Any, target: Any) -> float:
    """Fraction of correct predictions (scores are reduced with argmax over axis 1)."""
    return _once(Accuracy(), pred, target)


def top_k_accuracy(pred: Any, target: Any, k: int = 5) -> float:
    """Fraction of samples whose true class is among the ``k`` highest scores."""
    return _once(TopKAccuracy(k), pred, target)


def confusion_matrix(pred: Any, target: Any, num_classes: int | None = None) -> np.ndarray:
    """``C[i, j]`` = number of samples of true class ``i`` predicted as ``j``."""
    return _once(ConfusionMatrix(num_classes), pred, target)


def precision_recall_f1(pred: Any, target: Any, average: str | None = "macro", num_classes: int | None = None,
                        pos_label: int = 1) -> tuple:
    """(precision, recall, F1); ``average`` in 'binary', 'macro', 'micro', 'weighted' or None (per class)."""
    cm = confusion_matrix(pred, target, num_classes)
    return _prf_from_matrix(cm, average, pos_label)


def precision(pred: Any, target: Any, average: str | None = "macro", **kw):
    return precision_recall_f1(pred, target, average, **kw)[0]


def recall(pred: Any, target: Any, average: str | None = "macro", **kw):
    return precision_recall_f1(pred, target, average, **kw)[1]


def f1_score(pred: Any, target: Any, average: str | None = "macro", **kw):
    return precision_recall_f1(pred, target, average, **kw)[2]


def mse(pred: Any, target: Any) -> float:
    return _once(MeanSquaredError(), pred, target)


def mae(pred: Any, target: Any) -> float:
    return _once(MeanAbsoluteError(), pred, target)


def rmse(pred: Any, target: Any) -> float:
    return _once(RootMeanSquaredError(), pred, target)


def log_rmse(pred: Any, target: Any) -> float:
    return _once(LogRMSE(), pred, target)


def r2_score(pred: Any, target: Any) -> float:
    return _once(R2Score(), pred, target)


METRICS = {
    "accuracy": Accuracy, "acc": Accuracy,
    "top5": lambda: TopKAccuracy(5), "top5_accuracy": lambda: TopKAccuracy(5),
    "precision": Precision, "recall": Recall, "f1": F1Score,
    "precision_micro": lambda: Precision("micro"), "recall_micro": lambda: Recall("micro"),
    "f1_micro": lambda: F1Score("micro"), "f1_weighted": lambda: F1Score("weighted"),
    "f1_binary": lambda: F1Score("binary"),
    "mse": MeanSquaredError, "mae": MeanAbsoluteError, "rmse": RootMeanSquaredError,
    "log_rmse": LogRMSE, "r2": R2Score,
}


def get_metric(spec: "str | Metric") -> Metric:
    """A fresh metric from a name ('accuracy', 'top5', 'f1', 'mse', 'r2', ... or 'topK') or a Metric."""
    if isinstance(spec, Metric):
        return spec
    if isinstance(spec, str):
        key = spec.lower()
        if key in METRICS:
            m = METRICS[key]()
            if key not in ("acc",):
                m.name = key if not key.startswith("top") else m.name
            return m
        if key.startswith("top") and key[3:].split("_")[0].isdigit():
            return TopKAccuracy(int(key[3:].split("_")[0]))
    raise ValueError(f"unknown metric {spec!r}; choose from {', '.join(sorted(METRICS))} or a Metric")
