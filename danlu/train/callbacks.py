"""Callbacks: hooks the Trainer calls at the start/end of a fit, an epoch and a batch.

A callback may read anything on the trainer (``trainer.model``, ``trainer.history``, ...) and may ask
it to stop by setting ``trainer.stop_training = True`` (with ``trainer.stop_reason``).  Callbacks
whose state matters for an exact resume (early stopping's counters) implement ``state_dict`` /
``load_state_dict``; the trainer stores that state in its checkpoints.

Callbacks run in order of ``priority`` (lower first) so that e.g. early stopping has updated its
counters before the checkpoint of the same epoch is written.
"""
from __future__ import annotations

import math
import os
import sys
import time
from typing import Any

from .history import infer_mode

__all__ = [
    "Callback", "CallbackList", "ProgressBar", "CurvePlotter", "CSVLogger", "JSONLogger", "EarlyStopping",
    "ModelCheckpoint", "LRLogger", "LambdaCallback", "plot_history",
]


class Callback:
    """Base class; every hook is a no-op.  ``logs`` is the dict of numbers of that batch/epoch."""

    priority = 0

    def on_fit_start(self, trainer) -> None: ...
    def on_fit_end(self, trainer) -> None: ...
    def on_epoch_start(self, trainer, epoch: int) -> None: ...
    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None: ...
    def on_batch_start(self, trainer, step: int) -> None: ...
    def on_batch_end(self, trainer, step: int, logs: dict) -> None: ...
    def on_evaluate_start(self, trainer) -> None: ...
    def on_evaluate_end(self, trainer, logs: dict) -> None: ...

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda tr, epoch, logs: ...)``."""

    def __init__(self, **hooks) -> None:
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ValueError(f"unknown callback hook {name!r}")
            setattr(self, name, fn)


class CallbackList(Callback):
    """Calls each hook on every callback, in priority order."""

    def __init__(self, callbacks=()) -> None:
        self.callbacks = sorted(list(callbacks or ()), key=lambda c: getattr(c, "priority", 0))

    def __iter__(self):
        return iter(self.callbacks)

    def _call(self, hook: str, *args) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_fit_start(self, trainer): self._call("on_fit_start", trainer)
    def on_fit_end(self, trainer): self._call("on_fit_end", trainer)
    def on_epoch_start(self, trainer, epoch): self._call("on_epoch_start", trainer, epoch)
    def on_epoch_end(self, trainer, epoch, logs): self._call("on_epoch_end", trainer, epoch, logs)
    def on_batch_start(self, trainer, step): self._call("on_batch_start", trainer, step)
    def on_batch_end(self, trainer, step, logs): self._call("on_batch_end", trainer, step, logs)
    def on_evaluate_start(self, trainer): self._call("on_evaluate_start", trainer)
    def on_evaluate_end(self, trainer, logs): self._call("on_evaluate_end", trainer, logs)

    def state_dict(self) -> dict:
        return {f"{i}:{type(cb).__name__}": cb.state_dict() for i, cb in enumerate(self.callbacks)
                if cb.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        for i, cb in enumerate(self.callbacks):
            key = f"{i}:{type(cb).__name__}"
            if key in state:
                cb.load_state_dict(state[key])


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.3e}"
        return f"{v:.4f}"
    return str(v)


class ProgressBar(Callback):
    """A tqdm bar per epoch with the running loss, metrics and throughput (samples/s); one summary line
    per epoch.  Without tqdm it prints a plain line every ~10% of the epoch."""

    priority = 90

    def __init__(self, file=None, leave: bool = False, use_tqdm: bool | None = None) -> None:
        self.file = file
        self.leave = leave
        self.use_tqdm = use_tqdm
        self._bar = None

    @property
    def _out(self):
        return self.file if self.file is not None else sys.stderr

    def on_epoch_start(self, trainer, epoch):
        self._t0 = time.perf_counter()
        self._seen = 0
        self._total = trainer.num_batches
        self._epochs = trainer.epochs
        desc = f"epoch {epoch + 1}/{trainer.epochs}"
        self._bar = None
        tq = None
        if self.use_tqdm is not False:
            try:
                from tqdm.auto import tqdm as tq
            except ImportError:  # tqdm is optional: plain lines instead
                tq = None
        if tq is not None:
            self._bar = tq(total=self._total, desc=desc, file=self._out, leave=self.leave, dynamic_ncols=True,
                           unit="batch", mininterval=0.25)
        self._desc = desc
        self._next_print = 0.1

    def on_batch_end(self, trainer, step, logs):
        self._seen += int(logs.get("batch_size", 0))
        rate = self._seen / max(time.perf_counter() - self._t0, 1e-9)
        shown = {k: logs[k] for k in logs if k not in ("batch_size", "step", "epoch")}
        if self._bar is not None:
            self._bar.set_postfix_str(" ".join(f"{k}={_fmt(v)}" for k, v in shown.items())
                                      + f" {rate:,.0f} samples/s", refresh=False)
            self._bar.update(1)
        elif self._total:
            frac = (step + 1) / self._total
            if frac >= self._next_print or step + 1 == self._total:
                self._next_print = frac + 0.1
                print(f"{self._desc} [{step + 1}/{self._total}] "
                      + " ".join(f"{k}={_fmt(v)}" for k, v in shown.items()) + f" {rate:,.0f} samples/s",
                      file=self._out, flush=True)

    def on_epoch_end(self, trainer, epoch, logs):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        items = " ".join(f"{k}={_fmt(v)}" for k, v in logs.items() if k not in ("epoch",))
        print(f"epoch {epoch + 1}/{self._epochs}: {items}", file=self._out, flush=True)

    def on_fit_end(self, trainer):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def plot_history(history, path: str, title: str | None = None) -> bool:
    """Save the curves of ``history`` (loss, each metric, learning rate; train and validation on the
    same axes) as a PNG.  Returns False (and writes nothing) when matplotlib is not installed."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return False
    keys = history.keys
    epochs = history["epoch"] if "epoch" in keys else list(range(1, len(history) + 1))
    groups: dict[str, list[str]] = {}
    for k in keys:
        if k in ("epoch", "time", "samples_per_s"):
            continue
        base = k[4:] if k.startswith("val_") else k[6:] if k.startswith("train_") else k
        groups.setdefault(base, []).append(k)
    if not groups:
        return False
    n = len(groups)
    fig = Figure(figsize=(4.2 * n, 3.4))
    FigureCanvasAgg(fig)
    for i, (base, cols) in enumerate(groups.items()):
        ax = fig.add_subplot(1, n, i + 1)
        for c in cols:
            ys = history[c]
            style = "--" if c.startswith("val_") else "-"
            ax.plot(epochs, ys, style, marker="o", markersize=3, label=c)
        if base == "lr" and all(isinstance(v, (int, float)) and v > 0 for v in history["lr"]):
            ax.set_yscale("log")
            from matplotlib.ticker import NullFormatter

            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("epoch")
        ax.set_title(base)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(left=0.1 / n ** 0.5, right=0.98, bottom=0.16, top=0.84, wspace=0.35)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}.tmp.png")
    fig.savefig(tmp, dpi=100, format="png")
    os.replace(tmp, path)
    return True


class CurvePlotter(Callback):
    """Redraws train/validation loss and metric curves into a PNG after every epoch (like the course's
    animator, but to a file); uses matplotlib's Agg canvas, so no display is needed."""

    priority = 80

    def __init__(self, path: str = "curves.png", title: str | None = None) -> None:
        self.path, self.title = path, title
        self.available = True

    def on_epoch_end(self, trainer, epoch, logs):
        if self.available:
            self.available = plot_history(trainer.history, self.path, self.title)


class CSVLogger(Callback):
    """Rewrites the whole history as CSV after every epoch (atomically: a resumed run stays consistent)."""

    priority = 80

    def __init__(self, path: str = "metrics.csv") -> None:
        self.path = path

    def on_epoch_end(self, trainer, epoch, logs):
        trainer.history.to_csv(self.path)

    def on_fit_end(self, trainer):
        if len(trainer.history):
            trainer.history.to_csv(self.path)


class JSONLogger(CSVLogger):
    """The history (and why training stopped) as JSON after every epoch."""

    def __init__(self, path: str = "metrics.json") -> None:
        self.path = path

    def on_epoch_end(self, trainer, epoch, logs):
        trainer.history.stop_reason = trainer.stop_reason
        trainer.history.to_json(self.path)

    def on_fit_end(self, trainer):
        trainer.history.stop_reason = trainer.stop_reason
        trainer.history.to_json(self.path)


class LRLogger(Callback):
    """Records the learning rate of every optimizer step in ``self.lrs`` (the epoch's first learning rate
    is in the history as ``lr`` anyway)."""

    def __init__(self) -> None:
        self.lrs: list[float] = []

    def on_batch_end(self, trainer, step, logs):
        self.lrs.append(trainer.current_lr())


class EarlyStopping(Callback):
    """Stops when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``mode`` is 'min', 'max' or 'auto' (max for accuracy-like names).  With ``restore_best_weights``
    the model gets the weights of the best epoch back when the fit ends.
    """

    priority = 10

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0, mode: str = "auto",
                 restore_best_weights: bool = True, verbose: bool = False) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.min_delta = monitor, int(patience), abs(float(min_delta))
        self.mode = infer_mode(monitor) if mode == "auto" else mode
        self.restore_best_weights, self.verbose = restore_best_weights, verbose
        self.best: float | None = None
        self.best_epoch = -1
        self.wait = 0
        self.best_state: dict | None = None
        self.stopped_epoch: int | None = None

    def _improved(self, v: float) -> bool:
        if self.best is None:
            return True
        return v < self.best - self.min_delta if self.mode == "min" else v > self.best + self.min_delta

    def on_epoch_end(self, trainer, epoch, logs):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, which this run does not log; "
                           f"logged: {', '.join(logs)}")
        v = float(logs[self.monitor])
        if math.isnan(v):
            return
        if self._improved(v):
            self.best, self.best_epoch, self.wait = v, epoch, 0
            if self.restore_best_weights:
                self.best_state = {k: t.detach().clone() for k, t in trainer.model.state_dict().items()}
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                trainer.stop_training = True
                trainer.stop_reason = (f"early stopping: {self.monitor} did not improve for {self.patience} epochs "
                                       f"(best {self.best:.6g} at epoch {self.best_epoch + 1})")

    def on_fit_end(self, trainer):
        if self.restore_best_weights and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)
            if self.verbose:
                print(f"restored the weights of epoch {self.best_epoch + 1} ({self.monitor}={self.best:.6g})")

    def state_dict(self) -> dict:
        d: dict[str, Any] = {"best": float("nan") if self.best is None else self.best,
                             "best_epoch": self.best_epoch, "wait": self.wait}
        if self.best_state is not None:
            d["best_state"] = self.best_state
        return d

    def load_state_dict(self, state: dict) -> None:
        b = float(state["best"])
        self.best = None if math.isnan(b) else b
        self.best_epoch, self.wait = int(state["best_epoch"]), int(state["wait"])
        self.best_state = state.get("best_state")


class ModelCheckpoint(Callback):
    """Saves the trainer's full state (model, optimizer, scheduler, epoch, RNG states, history, callback
    state) with ``danlu.save`` after every ``every`` epochs to ``dirpath/last.ckpt`` and, when
    ``monitor`` improves, to ``dirpath/best.ckpt``.  Writes are atomic (temporary file + rename).
    ``Trainer.fit(resume=dirpath/last.ckpt)`` continues exactly where the run stopped."""

    priority = 50

    def __init__(self, dirpath: str = "checkpoints", monitor: str | None = "val_loss", mode: str = "auto",
                 every: int = 1, save_last: bool = True) -> None:
        self.dirpath, self.monitor, self.every, self.save_last = dirpath, monitor, int(every), save_last
        self.mode = infer_mode(monitor) if (monitor and mode == "auto") else mode
        self.best: float | None = None

    @property
    def last_path(self) -> str:
        return os.path.join(self.dirpath, "last.ckpt")

    @property
    def best_path(self) -> str:
        return os.path.join(self.dirpath, "best.ckpt")

    def on_epoch_end(self, trainer, epoch, logs):
        if self.monitor and self.monitor in logs and not math.isnan(float(logs[self.monitor])):
            v = float(logs[self.monitor])
            if self.best is None or (v < self.best if self.mode == "min" else v > self.best):
                self.best = v
                trainer.save_checkpoint(self.best_path)
        if self.save_last and ((epoch + 1) % self.every == 0 or trainer.stop_training):
            trainer.save_checkpoint(self.last_path)

    def state_dict(self) -> dict:
        return {"best": float("nan") if self.best is None else self.best}

    def load_state_dict(self, state: dict) -> None:
        b = float(state["best"])
        self.best = None if math.isnan(b) else b
