"""Model selection: k-fold cross-validation and the small helpers that build optimizers and train a
freshly built model on one split (used by cross-validation, learning/validation curves and search)."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np

__all__ = ["batch_loader", "kfold_indices", "make_optimizer", "make_scheduler", "train_and_evaluate", "cross_validate",
           "CVResult", "OPTIMIZERS"]

OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad",
              "adadelta": "Adadelta", "momentum": "SGD"}


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0, momentum: float | None = None):
    """An optimizer of ``danlu.optim`` by name ('sgd', 'momentum' (SGD with momentum 0.9), 'adam', 'adamw',
    'rmsprop', 'adagrad', 'adadelta')."""
    from .. import optim

    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    cls = getattr(optim, OPTIMIZERS[key], None)
    if cls is None:
        raise ImportError(f"danlu.optim has no {OPTIMIZERS[key]} yet")
    kw: dict[str, Any] = {"lr": lr, "weight_decay": weight_decay}
    if OPTIMIZERS[key] == "SGD":
        m = 0.9 if (key == "momentum" and momentum is None) else (momentum or 0.0)
        kw["momentum"] = m
    elif momentum is not None and OPTIMIZERS[key] == "RMSprop":
        kw["momentum"] = momentum
    return cls(params, **kw)


def make_scheduler(name: str | None, optimizer, epochs: int, steps_per_epoch: int | None = None):
    """(scheduler, interval) by name: None/'none', 'step' (×0.1 at 1/2 and 3/4 of the epochs), 'cosine'
    (to 0 over the run, per epoch), 'onecycle' (per step; needs ``steps_per_epoch``), 'exponential'."""
    if name in (None, "", "none", "constant"):
        return None, "epoch"
    from ..optim import lr_scheduler as S

    key = name.lower()
    if key == "step":
        milestones = sorted({max(1, epochs // 2), max(1, (3 * epochs) // 4)})
        return S.MultiStepLR(optimizer, milestones=milestones, gamma=0.1), "epoch"
    if key == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=max(1, epochs)), "epoch"
    if key == "exponential":
        return S.ExponentialLR(optimizer, gamma=0.9), "epoch"
    if key == "onecycle":
        if not steps_per_epoch:
            raise ValueError("the onecycle schedule needs the number of batches per epoch")
        max_lr = optimizer.param_groups[0]["lr"]
        return S.OneCycleLR(optimizer, max_lr=max_lr, epochs=epochs, steps_per_epoch=steps_per_epoch), "step"
    raise ValueError(f"unknown schedule {name!r}; choose from none, step, cosine, exponential, onecycle")


def kfold_indices(n: int, k: int = 5, shuffle: bool = True, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` (train, validation) index pairs; the validation parts partition ``range(n)`` (sizes differ
    by at most one)."""
    if not 2 <= k <= n:
        raise ValueError(f"k-fold needs 2 <= k <= number of samples, got k={k} for {n} samples")
    idx = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    folds = np.array_split(idx, k)
    return [(np.concatenate([f for j, f in enumerate(folds) if j != i]), folds[i]) for i in range(k)]


def _subset(dataset, indices):
    from ..utils.data import Subset

    return Subset(dataset, [int(i) for i in indices])


def _indexable_by_batch(dataset) -> bool:
    from ..utils.data import Subset, TensorDataset

    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    return isinstance(dataset, TensorDataset)


def batch_loader(dataset, batch_size: int, shuffle: bool, num_workers: int = 0, drop_last: bool = False):
    """A DataLoader; for tensors in memory (a TensorDataset or a Subset of one) each batch is fetched with
    one fancy index (``dataset[list_of_indices]``, torch's batch-sampler idiom) instead of one
    ``__getitem__`` per sample and a collate: same batches, many times faster."""
    from ..utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

    if _indexable_by_batch(dataset):
        sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
        return DataLoader(dataset, sampler=BatchSampler(sampler, batch_size, drop_last), batch_size=None,
                          num_workers=num_workers, persistent_workers=num_workers > 0)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=num_workers,
                      drop_last=drop_last, persistent_workers=num_workers > 0)


_loader = batch_loader


def train_and_evaluate(build_fn: Callable[[], Any], train_set, val_set=None, *, loss=None,
                       optimizer: str | Callable = "sgd", lr: float = 0.1, weight_decay: float = 0.0,
                       epochs: int = 1, batch_size: int = 64, metrics: Sequence = ("accuracy",),
                       schedule: str | None = None, eval_train: bool = True, callbacks: Iterable = (),
                       seed: int | None = None, num_workers: int = 0) -> dict:
    """Build a model, train it on ``train_set`` and return ``{'train': {...}, 'val': {...}, 'history'}``.

    ``build_fn()`` returns a model; ``optimizer`` is a name (see :func:`make_optimizer`) or a factory
    ``optimizer(params) -> Optimizer``.  With ``eval_train`` the train metrics are measured after
    training in eval mode (what the bias/variance diagnosis needs), not averaged during the epoch.
    """
    from .search import set_seed
    from .trainer import Trainer

    if seed is not None:
        set_seed(seed)
    model = build_fn()
    opt = optimizer(model.parameters()) if callable(optimizer) else \
        make_optimizer(optimizer, model.parameters(), lr, weight_decay)
    train_loader = _loader(train_set, batch_size, True, num_workers)
    sched, interval = make_scheduler(schedule, opt, epochs, len(train_loader))
    tr = Trainer(model, loss, opt, sched, metrics=metrics, callbacks=callbacks, scheduler_interval=interval)
    hist = tr.fit(train_loader, None, epochs)
    out: dict[str, Any] = {"history": hist, "model": model}
    if eval_train:
        out["train"] = tr.evaluate(_loader(train_set, 512, False))
    else:
        out["train"] = {k[6:]: v for k, v in hist.last.items() if k.startswith("train_")}
    if val_set is not None:
        out["val"] = tr.evaluate(_loader(val_set, 512, False))
    return out


class CVResult:
    """Per-fold train/validation metrics and their mean ± std (sample std, ddof=1)."""

    def __init__(self, folds: list[dict]) -> None:
        self.folds = folds

    def _col(self, split: str, key: str) -> np.ndarray:
        return np.array([f[split][key] for f in self.folds], dtype=np.float64)

    @property
    def metric_names(self) -> list[str]:
        return [k for k, v in self.folds[0]["val"].items() if isinstance(v, float)]

    def mean(self, split: str = "val") -> dict:
        return {k: float(self._col(split, k).mean()) for k in self.metric_names}

    def std(self, split: str = "val") -> dict:
        n = len(self.folds)
        return {k: float(self._col(split, k).std(ddof=1)) if n > 1 else 0.0 for k in self.metric_names}

    def summary(self) -> str:
        names = self.metric_names
        head = ["fold"] + [f"train_{k}" for k in names] + [f"val_{k}" for k in names]
        rows = [[str(i + 1)] + [f"{f['train'][k]:.4f}" for k in names] + [f"{f['val'][k]:.4f}" for k in names]
                for i, f in enumerate(self.folds)]
        mt, st, mv, sv = self.mean("train"), self.std("train"), self.mean("val"), self.std("val")
        rows.append(["mean±std"] + [f"{mt[k]:.4f}±{st[k]:.4f}" for k in names]
                    + [f"{mv[k]:.4f}±{sv[k]:.4f}" for k in names])
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        mv, sv = self.mean("val"), self.std("val")
        return "CVResult(" + ", ".join(f"val_{k}={mv[k]:.4f}±{sv[k]:.4f}" for k in mv) + ")"


def cross_validate(build_fn: Callable[[], Any], dataset, k: int = 5, *, shuffle: bool = True, seed: int = 0,
                   verbose: bool = False, **train_kw) -> CVResult:
    """k-fold cross-validation: for each fold build a fresh model with ``build_fn()``, train it on the other
    k−1 folds and evaluate it on this one.  ``train_kw`` go to :func:`train_and_evaluate` (loss,
    optimizer, lr, epochs, batch_size, metrics, ...).  Every fold starts from the same seed."""
    folds = []
    for i, (tr_idx, va_idx) in enumerate(kfold_indices(len(dataset), k, shuffle, seed)):
        res = train_and_evaluate(build_fn, _subset(dataset, tr_idx), _subset(dataset, va_idx), seed=seed + i,
                                 **train_kw)
        fold = {"train": res["train"], "val": res["val"], "train_indices": tr_idx, "val_indices": va_idx}
        folds.append(fold)
        if verbose:
            vals = " ".join(f"{k_}={v:.4f}" for k_, v in res["val"].items() if isinstance(v, float))
            print(f"fold {i + 1}/{k}: {vals}", flush=True)
    return CVResult(folds)
