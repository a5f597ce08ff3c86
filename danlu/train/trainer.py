"""The training loop: the course's recipe — zero the gradients, compute the loss, backpropagate, step —
with metrics, callbacks, checkpoints and an exact resume.

Every piece of the loop is a method, so a subclass can replace one step and keep the rest::

    for epoch:                                   fit()
        model.train()                            train_epoch()
        for batch:                               train_step()
            x, y = unpack_batch(batch)
            out = forward(x);  loss = compute_loss(out, y)
            backward(loss)                       (loss / accumulate_steps).backward()
            every accumulate_steps: optimizer_step()   (clip, step, zero_grad, scheduler per step)
        model.eval(); with no_grad: evaluate()   eval_step()
        scheduler per epoch; callbacks (early stopping, checkpoint, logs, curves)
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Iterable

from .callbacks import CallbackList
from .checkpoint import get_rng_states, load_checkpoint, save_checkpoint, set_rng_states
from .history import History
from .metrics import Mean, Metric, get_metric

__all__ = ["Trainer", "fit", "evaluate", "predict", "NonFiniteLossError"]


class NonFiniteLossError(FloatingPointError):
    """Raised (when ``on_nonfinite='raise'``) for a NaN/inf loss; the message names the epoch and step."""


def _to_device(obj: Any, device) -> Any:
    if device is None:
        return obj
    if hasattr(obj, "to") and hasattr(obj, "_data"):
        return obj.to(device)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj


def _batch_size(t: Any) -> int:
    if hasattr(t, "shape") and len(t.shape):
        return int(t.shape[0])
    if isinstance(t, (list, tuple)) and t:
        return _batch_size(t[0]) if hasattr(t[0], "shape") else len(t)
    return 1


def _clip_grad_norm(params: list, max_norm: float) -> float:
    """Scale all gradients so that their global 2-norm is at most ``max_norm``; returns the norm before."""
    try:
        from ..nn.utils import clip_grad_norm_
    except ImportError:
        clip_grad_norm_ = None
    if clip_grad_norm_ is not None:
        return float(clip_grad_norm_(params, max_norm))
    import danlu

    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    with danlu.no_grad():
        total = math.sqrt(sum(float((g * g).sum()) for g in grads))
        coef = max_norm / (total + 1e-6)
        if coef < 1:
            for g in grads:
                g.mul_(coef)
    return total


class Trainer:
    """Trains ``model`` with ``loss`` and ``optimizer``; ``fit`` returns a :class:`History`.

    - ``metrics``: names ('accuracy', 'top5', 'f1', 'mse', 'r2', ...) or :class:`Metric` objects,
      computed on the training batches (streaming, exact over the epoch) and on the validation data.
    - ``scheduler``: stepped every epoch (``scheduler_interval='epoch'``, the default) or every
      optimizer step ('step'); ``ReduceLROnPlateau``-style schedulers get ``val_loss`` (or the train loss).
    - ``grad_clip``: clip the global gradient norm to this value before every step.
    - ``accumulate_steps``: sum the gradients of this many batches (each loss divided by it) per step.
    - ``on_nonfinite``: 'stop' (record why in ``history.stop_reason`` and end the fit) or 'raise'.
    """

    def __init__(self, model, loss: Callable | None = None, optimizer=None, scheduler=None, *,
                 metrics: Iterable[str | Metric] = ("accuracy",), callbacks: Iterable = (), device=None,
                 grad_clip: float | None = None, accumulate_steps: int = 1, scheduler_interval: str = "epoch",
                 on_nonfinite: str = "stop", verbose: bool = False) -> None:
        if accumulate_steps < 1:
            raise ValueError(f"accumulate_steps must be >= 1, got {accumulate_steps}")
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}")
        if on_nonfinite not in ("stop", "raise"):
            raise ValueError(f"on_nonfinite must be 'stop' or 'raise', got {on_nonfinite!r}")
        self.model = model
        if loss is None:
            from ..nn import CrossEntropyLoss

            loss = CrossEntropyLoss()
        self.loss_fn = loss
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.metric_specs = list(metrics or ())
        self.callbacks = CallbackList(callbacks)
        self.device = device
        self.grad_clip = grad_clip
        self.accumulate_steps = int(accumulate_steps)
        self.scheduler_interval = scheduler_interval
        self.on_nonfinite = on_nonfinite
        self.verbose = verbose
        self.history = History()
        self.epoch = 0          # completed epochs
        self.global_step = 0    # optimizer steps taken
        self.epochs = 0
        self.num_batches: int | None = None
        self.stop_training = False
        self.stop_reason: str | None = None
        self._loaders: list = []
        if device is not None and hasattr(model, "to"):
            model.to(device)

    # -- pieces of a step (override any of them) ------------------------------------------------
    def unpack_batch(self, batch: Any) -> tuple[Any, Any]:
        """(inputs, target) of a batch; a batch is ``(x, y)`` (extra items are ignored) or a dict."""
        if isinstance(batch, dict):
            return batch.get("input", batch.get("x")), batch.get("target", batch.get("y"))
        if isinstance(batch, (list, tuple)):
            if len(batch) < 2:
                raise ValueError("a batch must be (inputs, target); got a sequence of length "
                                 f"{len(batch)}")
            return batch[0], batch[1]
        raise TypeError(f"a batch must be a tuple (inputs, target) or a dict, got {type(batch).__name__}")

    def forward(self, inputs: Any) -> Any:
        return self.model(*inputs) if isinstance(inputs, (list, tuple)) else self.model(inputs)

    def compute_loss(self, output: Any, target: Any):
        return self.loss_fn(output, target)

    def backward(self, loss) -> None:
        (loss / self.accumulate_steps if self.accumulate_steps > 1 else loss).backward()

    def optimizer_step(self) -> None:
        """Clip, step, zero the gradients, and step a per-step scheduler."""
        if self.grad_clip is not None:
            params = [p for g in self.optimizer.param_groups for p in g["params"]]
            _clip_grad_norm(params, self.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad()
        self.global_step += 1
        if self.scheduler is not None and self.scheduler_interval == "step":
            self.scheduler.step()

    def train_step(self, batch: Any, step: int) -> tuple[float, Any, Any, int]:
        """One batch forward and backward; returns (loss value, detached output, target, batch size).
        The optimizer steps every ``accumulate_steps`` batches (see :meth:`fit`)."""
        x, y = self.unpack_batch(_to_device(batch, self.device))
        out = self.forward(x)
        loss = self.compute_loss(out, y)
        value = float(loss.item())
        if not math.isfinite(value):
            return value, None, y, _batch_size(y)
        self.backward(loss)
        return value, out.detach() if hasattr(out, "detach") else out, y, _batch_size(y)

    def eval_step(self, batch: Any) -> tuple[float, Any, Any, int]:
        x, y = self.unpack_batch(_to_device(batch, self.device))
        out = self.forward(x)
        loss = self.compute_loss(out, y) if y is not None else None
        return (float(loss.item()) if loss is not None else float("nan")), out, y, _batch_size(out)

    # -- epochs -----------------------------------------------------------------------------------
    def _new_metrics(self) -> list[Metric]:
        import copy

        return [copy.deepcopy(m) if isinstance(m, Metric) else get_metric(m) for m in self.metric_specs]

    def current_lr(self) -> float:
        if self.optimizer is None:
            return float("nan")
        return float(self.optimizer.param_groups[0]["lr"])

    def train_epoch(self, loader: Iterable, epoch: int) -> dict:
        """One pass over ``loader``; returns {'loss': ..., metric: ...} accumulated over the epoch."""
        self.model.train()
        loss_mean, metrics = Mean(), self._new_metrics()
        self.optimizer.zero_grad()
        pending = 0
        for step, batch in enumerate(loader):
            self.callbacks.on_batch_start(self, step)
            value, out, y, n = self.train_step(batch, step)
            if not math.isfinite(value):
                msg = (f"the loss became {value} at epoch {epoch + 1}, step {step + 1} (optimizer step "
                       f"{self.global_step + 1}); try a smaller learning rate, gradient clipping "
                       "(grad_clip) or check the data for NaN/inf")
                if self.on_nonfinite == "raise":
                    raise NonFiniteLossError(msg)
                self.stop_training, self.stop_reason = True, msg
                self.optimizer.zero_grad()
                break
            pending += 1
            if pending == self.accumulate_steps:
                self.optimizer_step()
                pending = 0
            loss_mean.update(value, n)
            logs = {"loss": loss_mean.compute()}
            for m in metrics:
                m.update(out, y)
                v = m.compute()
                if isinstance(v, float):
                    logs[m.name] = v
            logs["batch_size"] = n
            self.callbacks.on_batch_end(self, step, logs)
        if pending:  # leftover accumulated gradients at the end of the epoch
            self.optimizer_step()
        res = {"loss": loss_mean.compute()}
        for m in metrics:
            v = m.compute()
            if isinstance(v, float):
                res[m.name] = v
        return res

    def evaluate(self, data: Iterable, metrics: Iterable[str | Metric] | None = None,
                 batch_size: int = 256) -> dict:
        """Loss and metrics over ``data`` in eval mode without recording a graph (exact over all samples)."""
        import danlu

        loader = self._as_loader(data, batch_size, shuffle=False)
        was_training = getattr(self.model, "training", False)
        self.model.eval()
        ms = self._new_metrics() if metrics is None else [get_metric(m) for m in metrics]
        loss_mean = Mean()
        self.callbacks.on_evaluate_start(self)
        try:
            with danlu.no_grad():
                for batch in loader:
                    value, out, y, n = self.eval_step(batch)
                    if not math.isnan(value):
                        loss_mean.update(value, n)
                    for m in ms:
                        m.update(out, y)
        finally:
            self.model.train(was_training)
        res: dict[str, Any] = {"loss": loss_mean.compute()}
        for m in ms:
            res[m.name] = m.compute()
        self.callbacks.on_evaluate_end(self, res)
        return res

    def predict(self, data: Iterable, batch_size: int = 256):
        """Concatenated model outputs over ``data``: a tensor of inputs, an (X, y) pair, a Dataset, or an
        iterable of batches (inputs, or (inputs, target, ...))."""
        import danlu

        loader = self._as_loader(data, batch_size, shuffle=False)
        was_training = getattr(self.model, "training", False)
        self.model.eval()
        outs = []
        try:
            with danlu.no_grad():
                for batch in loader:
                    if isinstance(batch, dict):
                        x = self.unpack_batch(batch)[0]
                    elif isinstance(batch, (list, tuple)):
                        x = batch[0]  # (inputs,) or (inputs, target, ...)
                    else:
                        x = batch
                    outs.append(self.forward(_to_device(x, self.device)))
        finally:
            self.model.train(was_training)
        if not outs:
            raise ValueError("predict() got no data")
        return danlu.cat(outs, 0)

    # -- the loop ---------------------------------------------------------------------------------
    def _as_loader(self, data: Any, batch_size: int | None, shuffle: bool):
        """A DataLoader for a Dataset or an (X, y) pair of tensors; anything iterable is used as is."""
        if data is None:
            return None
        from ..utils import data as D

        from .selection import batch_loader

        if hasattr(data, "_data") and hasattr(data, "detach"):  # a bare tensor of inputs
            data = D.TensorDataset(data)
        elif isinstance(data, tuple) and len(data) == 2 and all(hasattr(t, "_data") for t in data):
            data = D.TensorDataset(*data)
        if isinstance(data, D.Dataset):
            return batch_loader(data, batch_size or 64, shuffle)
        return data

    def _step_epoch_scheduler(self, logs: dict) -> None:
        if self.scheduler is None or self.scheduler_interval != "epoch":
            return
        if type(self.scheduler).__name__ == "ReduceLROnPlateau":
            self.scheduler.step(logs.get("val_loss", logs.get("train_loss")))
        else:
            self.scheduler.step()

    def fit(self, train_data: Iterable, val_data: Iterable | None = None, epochs: int = 1, *,
            resume: str | dict | None = None, batch_size: int | None = None) -> History:
        """Train for ``epochs`` epochs in total (a resumed run counts the epochs already done).

        ``resume`` is a checkpoint path (or a loaded checkpoint): model, optimizer, scheduler, epoch,
        history, callback state and every RNG state are restored, so the run ends exactly where an
        uninterrupted one would.  Returns the :class:`History` (one row per epoch).
        """
        if self.optimizer is None:
            raise ValueError("Trainer.fit needs an optimizer")
        loader = self._as_loader(train_data, batch_size, shuffle=True)
        val_loader = self._as_loader(val_data, batch_size or 256, shuffle=False)
        self._loaders = [loader] + ([val_loader] if val_loader is not None else [])
        self.epochs = int(epochs)
        self.stop_training, self.stop_reason = False, None
        if resume is not None:
            self.load_checkpoint(resume)
        try:
            self.num_batches = len(loader)
        except TypeError:
            self.num_batches = None
        self.callbacks.on_fit_start(self)
        for epoch in range(self.epoch, self.epochs):
            self.callbacks.on_epoch_start(self, epoch)
            t0 = time.perf_counter()
            lr = self.current_lr()
            train = self.train_epoch(loader, epoch)
            logs: dict[str, Any] = {"epoch": epoch + 1}
            logs.update({f"train_{k}": v for k, v in train.items()})
            if val_loader is not None and not self.stop_training:
                val = self.evaluate(val_loader)
                logs.update({f"val_{k}": v for k, v in val.items() if isinstance(v, float)})
            logs["lr"] = lr
            logs["time"] = time.perf_counter() - t0
            if self.stop_training and not math.isfinite(train["loss"]):
                self.history.append(logs)
                break
            self._step_epoch_scheduler(logs)
            self.epoch = epoch + 1
            self.history.append(logs)
            self.callbacks.on_epoch_end(self, epoch, logs)
            if self.stop_training:
                break
        self.history.stop_reason = self.stop_reason
        self.callbacks.on_fit_end(self)
        if self.stop_reason and self.verbose:
            print(self.stop_reason)
        return self.history

    # -- checkpoints ------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything an exact resume needs (tensors, numbers and strings only: ``danlu.save`` writes it)."""
        state: dict[str, Any] = {
            "model": self.model.state_dict(),
            "epoch": self.epoch,
            "global_step": self.global_step,
            "history": self.history.to_dict(),
            "rng": get_rng_states(self._loaders),
            "callbacks": self.callbacks.state_dict(),
        }
        if self.optimizer is not None:
            state["optimizer"] = self.optimizer.state_dict()
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        if self.optimizer is not None and "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        self.epoch = int(state["epoch"])
        self.global_step = int(state.get("global_step", 0))
        self.history = History.from_dict(state.get("history", {}))
        if "callbacks" in state:
            self.callbacks.load_state_dict(state["callbacks"])
        if "rng" in state:
            set_rng_states(state["rng"], self._loaders)

    def save_checkpoint(self, path: str) -> str:
        """Atomically write :meth:`state_dict` to ``path`` with ``danlu.save``."""
        return save_checkpoint(self.state_dict(), path)

    def load_checkpoint(self, path_or_state: str | dict) -> None:
        state = load_checkpoint(path_or_state) if isinstance(path_or_state, str) else path_or_state
        self.load_state_dict(state)


def fit(model, train_data, val_data=None, loss=None, optimizer=None, scheduler=None, epochs: int = 1,
        callbacks=(), device=None, grad_clip: float | None = None, accumulate_steps: int = 1,
        metrics=("accuracy",), resume=None, batch_size: int | None = None, **kw) -> History:
    """One-call training: ``Trainer(model, loss, optimizer, ...).fit(train_data, val_data, epochs)``."""
    tr = Trainer(model, loss, optimizer, scheduler, metrics=metrics, callbacks=callbacks, device=device,
                 grad_clip=grad_clip, accumulate_steps=accumulate_steps, **kw)
    return tr.fit(train_data, val_data, epochs, resume=resume, batch_size=batch_size)


def evaluate(model, data, loss=None, metrics=("accuracy",), device=None, batch_size: int = 256) -> dict:
    """Loss and metrics of ``model`` over ``data`` (eval mode, no graph)."""
    return Trainer(model, loss, metrics=metrics, device=device).evaluate(data, batch_size=batch_size)


def predict(model, data, device=None, batch_size: int = 256):
    """Concatenated outputs of ``model`` over ``data`` (eval mode, no graph)."""
    return Trainer(model, loss=lambda o, t: None, device=device).predict(data, batch_size=batch_size)

