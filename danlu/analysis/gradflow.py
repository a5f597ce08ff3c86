"""Gradient flow: per-layer gradient norms, weight norms and update/weight ratios over training.

Vanishing gradients show up as early layers whose ‖∇W‖ is orders of magnitude below the
largest layer's (saturating sigmoids multiply the backward signal by σ' ≤ 1/4 per layer);
exploding ones as huge or non-finite norms.  The update/weight ratio ‖ΔW‖/‖W‖ per step is the
classic learning-rate health check (≈ 1e-3 is typical; ≫ 1e-2 is aggressive).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .._backend import to_numpy
from .._tensor import Tensor
from ..autograd import grad as _grad
from ..autograd.grad_mode import enable_grad

__all__ = ["GradientFlowMonitor", "GradientFlowReport", "gradient_flow"]


def _norm(a) -> float:
    return float(np.linalg.norm(to_numpy(a).astype(np.float64).ravel()))


@dataclass
class GradientFlowReport:
    """Per-layer median gradient norms (over the recorded steps) with vanishing/exploding flags."""

    names: list[str]
    grad_norms: np.ndarray
    weight_norms: np.ndarray
    update_ratios: np.ndarray
    vanishing: list[str]
    exploding: list[str]
    vanish_ratio: float
    explode_norm: float

    @property
    def healthy(self) -> bool:
        return not self.vanishing and not self.exploding

    def __str__(self) -> str:
        w = max([len(n) for n in self.names] + [5])
        top = float(np.max(self.grad_norms)) if len(self.grad_norms) else 0.0
        lines = ["gradient flow (median over recorded steps)",
                 f"  {'layer':<{w}}  {'|grad|':>10}  {'rel. to max':>11}  {'|W|':>9}  {'|dW|/|W|':>9}  flag"]
        for i, n in enumerate(self.names):
            flag = "VANISHING" if n in self.vanishing else ("EXPLODING" if n in self.exploding else "")
            rel = self.grad_norms[i] / top if top > 0 else 0.0
            ur = self.update_ratios[i]
            lines.append(f"  {n:<{w}}  {self.grad_norms[i]:>10.3e}  {rel:>11.2e}  {self.weight_norms[i]:>9.3g}  "
                         f"{'-' if math.isnan(ur) else f'{ur:.2e}':>9}  {flag}")
        lines.append("verdict: " + ("healthy" if self.healthy else
                                    (f"vanishing gradients in {len(self.vanishing)} layer(s)" if self.vanishing else "")
                                    + ("; " if self.vanishing and self.exploding else "")
                                    + (f"exploding gradients in {len(self.exploding)} layer(s)"
                                       if self.exploding else "")))
        return "\n".join(lines)


class GradientFlowMonitor:
    """Records per-layer ‖∇W‖, ‖W‖ and ‖ΔW‖/‖W‖ during training.

    Either call ``monitor.record()`` after ``loss.backward()`` each step (the update ratio is
    then measured between consecutive calls), or ``monitor.attach(optimizer)`` to record around
    every ``optimizer.step()``.  ``include_1d=False`` (default) tracks weights only (≥ 2-D
    parameters), the usual per-layer view."""

    def __init__(self, model: Any, *, include_1d: bool = False, every: int = 1) -> None:
        if hasattr(model, "named_parameters"):
            named = list(model.named_parameters())
        else:
            named = [(f"param{i}", p) for i, p in enumerate(model)]
        named = [(n, p) for n, p in named if p.requires_grad and (include_1d or p.ndim >= 2)]
        if not named:
            raise ValueError("no parameters to monitor (include_1d=True tracks biases and 1-D weights too)")
        self.names = [n for n, _ in named]
        self.params = [p for _, p in named]
        self.every = max(1, int(every))
        self.steps: list[int] = []
        self.grad_norms: list[list[float]] = []
        self.weight_norms: list[list[float]] = []
        self.update_ratios: list[list[float]] = []
        self._calls = 0
        self._prev = None
        self._hooked = None

    def _snapshot(self):
        return [to_numpy(p._data).astype(np.float64, copy=True) for p in self.params]

    def record(self, step: int | None = None) -> None:
        """Record the current gradients and weights (call after ``backward()``)."""
        self._calls += 1
        if (self._calls - 1) % self.every:
            return
        now = self._snapshot()
        g = [(_norm(p.grad._data) if p.grad is not None else 0.0) for p in self.params]
        w = [float(np.linalg.norm(a)) for a in now]
        if self._prev is None:
            u = [math.nan] * len(now)
        else:
            u = [float(np.linalg.norm(a - b)) / (float(np.linalg.norm(b)) or math.inf)
                 for a, b in zip(now, self._prev)]
        self._prev = now
        self.steps.append(self._calls - 1 if step is None else int(step))
        self.grad_norms.append(g)
        self.weight_norms.append(w)
        self.update_ratios.append(u)

    def attach(self, optimizer: Any) -> "GradientFlowMonitor":
        """Record around each ``optimizer.step()``: gradients before, the exact update after."""
        monitor = self
        orig = optimizer.step

        def step(*args, **kwargs):
            monitor._calls += 1
            take = (monitor._calls - 1) % monitor.every == 0
            before = monitor._snapshot() if take else None
            grads = [(_norm(p.grad._data) if p.grad is not None else 0.0) for p in monitor.params] if take else None
            out = orig(*args, **kwargs)
            if take:
                after = monitor._snapshot()
                monitor.steps.append(monitor._calls - 1)
                monitor.grad_norms.append(grads)
                monitor.weight_norms.append([float(np.linalg.norm(b)) for b in before])
                monitor.update_ratios.append([float(np.linalg.norm(a - b)) / (float(np.linalg.norm(b)) or math.inf)
                                              for a, b in zip(after, before)])
            return out

        optimizer.step = step
        self._hooked = (optimizer, orig)
        return self

    def detach(self) -> None:
        """Undo :meth:`attach`."""
        if self._hooked is not None:
            opt, _orig = self._hooked
            try:
                del opt.step  # the instance attribute; the class's step shows through again
            except AttributeError:
                pass
            self._hooked = None

    def history(self) -> dict[str, dict[str, np.ndarray]]:
        """name -> {'grad_norm', 'weight_norm', 'update_ratio'} arrays over the recorded steps."""
        G, W, U = (np.asarray(x, dtype=np.float64).reshape(len(self.steps), len(self.names))
                   for x in (self.grad_norms, self.weight_norms, self.update_ratios))
        return {n: {"grad_norm": G[:, i], "weight_norm": W[:, i], "update_ratio": U[:, i]}
                for i, n in enumerate(self.names)}

    def report(self, *, vanish_ratio: float = 1e-3, vanish_abs: float = 1e-10,
               explode_norm: float = 1e3) -> GradientFlowReport:
        """Flag layers whose median ‖∇W‖ is < ``vanish_ratio`` × the largest layer's (or below
        ``vanish_abs``) as vanishing, and those whose ‖∇W‖ ever exceeded ``explode_norm`` or was
        non-finite as exploding."""
        if not self.steps:
            raise RuntimeError("nothing recorded yet: call record() after backward() (or attach an optimizer)")
        G = np.asarray(self.grad_norms, dtype=np.float64)
        W = np.asarray(self.weight_norms, dtype=np.float64)
        U = np.asarray(self.update_ratios, dtype=np.float64)
        g = np.median(G, axis=0)
        w = np.median(W, axis=0)
        with np.errstate(all="ignore"):
            u = np.array([np.nanmedian(U[:, i]) if np.isfinite(U[:, i]).any() else math.nan
                          for i in range(U.shape[1])])
        finite = np.isfinite(G).all(axis=0)
        top = float(np.max(g[finite])) if finite.any() else 0.0
        vanishing = [n for i, n in enumerate(self.names)
                     if finite[i] and (g[i] < vanish_abs or (top > 0 and g[i] < vanish_ratio * top))]
        # one blow-up is enough: explosion is judged on the largest norm seen, not the median
        gmax = np.max(G, axis=0)
        exploding = [n for i, n in enumerate(self.names) if not finite[i] or gmax[i] > explode_norm]
        return GradientFlowReport(self.names, g, w, u, vanishing, exploding, vanish_ratio, explode_norm)

    def plot(self, path: str, *, title: str = "gradient flow") -> str:
        from ._plot import plot_gradflow

        return plot_gradflow(self, path, title=title)


def gradient_flow(model: Any, loss_fn: Callable | None, batch: Any, *, include_1d: bool = False,
                  **report_kw) -> GradientFlowReport:
    """One-shot diagnosis: per-layer gradient norms of ``loss_fn(model(x), y)`` on ``batch``.

    Gradients are computed with ``autograd.grad`` (``.grad`` fields are left untouched)."""
    mon = GradientFlowMonitor(model, include_1d=include_1d)
    b = (batch,) if isinstance(batch, Tensor) else tuple(batch)
    with enable_grad():
        out = model(*b[:-1]) if loss_fn is not None and len(b) > 1 else model(*b)
        loss = out if loss_fn is None else (loss_fn(out, b[-1]) if len(b) > 1 else loss_fn(out))
        gs = _grad(loss, mon.params, allow_unused=True)
    mon.steps.append(0)
    mon.grad_norms.append([_norm(g._data) if g is not None else 0.0 for g in gs])
    mon.weight_norms.append([_norm(p._data) for p in mon.params])
    mon.update_ratios.append([math.nan] * len(mon.params))
    return mon.report(**report_kw)

