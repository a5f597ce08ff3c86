"""The learning-rate range test ("LR finder", Smith 2017).

Train for ``num_steps`` mini-batches while the learning rate grows geometrically,

    lr_i = start_lr · (end_lr / start_lr)^(i / (num_steps − 1)),

record the loss (smoothed by a bias-corrected exponential moving average), stop once it exceeds
``diverge`` × its minimum, and suggest the lr where the smoothed loss falls fastest per unit of
log lr (before its minimum).  Model and optimizer are restored afterwards.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .._tensor import Tensor
from ._objective import _is_batch

__all__ = ["LRFinderResult", "lr_range_test"]


@dataclass
class LRFinderResult:
    """Learning rates tried, raw and smoothed losses, and the suggested learning rate."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float
    min_loss_lr: float
    diverged: bool

    def __str__(self) -> str:
        return (f"LR range test: {len(self.lrs)} steps, lr {self.lrs[0]:.1e} -> {self.lrs[-1]:.1e}"
                f"{' (stopped: loss diverged)' if self.diverged else ''}\n"
                f"  steepest descent at lr = {self.suggestion:.3g}  (suggested)\n"
                f"  minimum loss at lr     = {self.min_loss_lr:.3g}  (min/10 = {self.min_loss_lr / 10:.3g})")

    def plot(self, path: str, *, title: str = "learning-rate range test") -> str:
        from ._plot import plot_lr_finder

        return plot_lr_finder(self, path, title=title)


def _batches(data):
    if _is_batch(data):
        while True:
            yield data
    while True:
        empty = True
        for b in data:
            empty = False
            yield b
        if empty:
            raise ValueError("the data iterable yielded no batches")


def lr_range_test(model: Any, loss_fn: Callable, optimizer: Any, data: Any, *, start_lr: float = 1e-6,
                  end_lr: float = 10.0, num_steps: int = 100, smooth: float = 0.05,
                  diverge: float = 4.0, skip_start: int = 5, restore: bool = True) -> LRFinderResult:
    """Run the range test; ``data`` is one batch ``(x, y)`` (reused) or an iterable of batches
    (cycled).  ``smooth`` is the EMA weight of the newest loss."""
    if not (0 < start_lr < end_lr):
        raise ValueError(f"need 0 < start_lr < end_lr, got start_lr={start_lr}, end_lr={end_lr}")
    if num_steps < 2:
        raise ValueError(f"num_steps must be at least 2, got {num_steps}")
    saved_model = copy.deepcopy(model.state_dict()) if restore else None
    saved_opt = copy.deepcopy(optimizer.state_dict()) if restore and hasattr(optimizer, "state_dict") else None
    saved_lrs = [g["lr"] for g in optimizer.param_groups]
    ratio = (end_lr / start_lr) ** (1.0 / (num_steps - 1))
    lrs, losses, smoothed = [], [], []
    avg, best, diverged = 0.0, math.inf, False
    it = _batches(data)
    try:
        for i in range(num_steps):
            lr = start_lr * ratio ** i
            for g in optimizer.param_groups:
                g["lr"] = lr
            batch = next(it)
            b = (batch,) if isinstance(batch, Tensor) else tuple(batch)
            optimizer.zero_grad()
            loss = loss_fn(model(*b[:-1]), b[-1])
            loss.backward()
            optimizer.step()
            lv = float(loss.item())
            avg = (1 - smooth) * avg + smooth * lv
            s = avg / (1 - (1 - smooth) ** (i + 1))
            lrs.append(lr)
            losses.append(lv)
            smoothed.append(s)
            if not math.isfinite(lv) or (i > skip_start and s > diverge * best):
                diverged = True
                break
            best = min(best, s)
    finally:
        if restore:
            model.load_state_dict(saved_model)
            if saved_opt is not None:
                optimizer.load_state_dict(saved_opt)
        for g, lr in zip(optimizer.param_groups, saved_lrs):
            g["lr"] = lr
    lrs, losses, sm = np.asarray(lrs), np.asarray(losses), np.asarray(smoothed)
    ok = np.isfinite(sm)
    i_min = int(np.argmin(np.where(ok, sm, np.inf)))
    lo = min(skip_start, max(i_min - 1, 0))
    if i_min - lo >= 2:
        slope = np.gradient(sm[lo:i_min + 1], np.log(lrs[lo:i_min + 1]))
        suggestion = float(lrs[lo + int(np.argmin(slope))])
    else:
        suggestion = float(lrs[i_min] / 10)
    return LRFinderResult(lrs, losses, sm, suggestion, float(lrs[i_min]), diverged)
