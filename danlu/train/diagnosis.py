"""Bias / variance diagnosis: what to change next, from the errors on each data split.

Given errors (fractions, e.g. 1 − accuracy) on train, train-dev (held-out data from the *training*
distribution), dev and test sets, and a human-level error as a proxy for the Bayes error::

    avoidable bias       = train − human
    variance             = train-dev − train        (dev − train when there is no train-dev set)
    data mismatch        = dev − train-dev
    overfitting to dev   = test − dev

The largest gap above ``tol`` is the dominant problem; each comes with the recommended next actions.
Learning curves (errors vs training-set size) and validation curves (vs one hyper-parameter) are
computed and read the same way.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["diagnose", "Diagnosis", "RECOMMENDATIONS", "learning_curve", "validation_curve", "CurveResult",
           "error_of"]

RECOMMENDATIONS = {
    "avoidable bias": [
        "train a bigger model (more layers or units)",
        "train longer",
        "use a better optimizer (momentum, RMSprop, Adam) or tune the learning rate",
        "try a better architecture or reduce regularisation",
    ],
    "variance": [
        "get more training data (or augment it)",
        "add regularisation: weight decay (L2), dropout",
        "use data augmentation",
        "use early stopping, or a smaller / better-suited model",
    ],
    "data mismatch": [
        "study how the training and dev data differ (error analysis by hand)",
        "collect or synthesise training data that looks like the dev/test distribution",
        "add some dev-like data to the training set",
    ],
    "overfitting to dev": [
        "get a bigger dev set",
        "tune less aggressively against the dev set",
    ],
    "good fit": [
        "errors are close to human level and to each other: more gains need more data or a new idea",
    ],
}


@dataclass
class Diagnosis:
    """The gaps between consecutive error levels, the dominant problem and what to do about it."""

    errors: dict
    gaps: dict
    dominant: str
    problems: list = field(default_factory=list)
    recommendations: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def report(self) -> str:
        lines = ["errors:  " + "  ".join(f"{k}={v:.2%}" for k, v in self.errors.items())]
        lines.append("gaps:    " + "  ".join(f"{k}={v:+.2%}" for k, v in self.gaps.items()))
        if self.dominant == "good fit":
            lines.append("verdict: good fit (no gap above the tolerance)")
        else:
            others = [p for p in self.problems if p != self.dominant]
            lines.append(f"verdict: {self.dominant} is the dominant problem"
                         + (f" (also: {', '.join(others)})" if others else ""))
        lines.append("next:")
        lines += [f"  - {r}" for r in self.recommendations]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


def _err(v: Any, name: str) -> float | None:
    if v is None:
        return None
    v = float(v)
    if not 0.0 <= v or math.isnan(v):
        raise ValueError(f"{name} must be a non-negative error, got {v}")
    return v


def diagnose(train_error: float, dev_error: float | None = None, *, train_dev_error: float | None = None,
             test_error: float | None = None, human_error: float | None = None, tol: float = 0.01) -> Diagnosis:
    """Avoidable bias, variance, data mismatch and overfitting to dev from the errors on each split.

    Errors are fractions (0.08 = 8%).  Without ``human_error`` the Bayes error is taken as 0 (say so in the
    report).  ``tol``: gaps at most this large count as no problem.
    """
    tr = _err(train_error, "train_error")
    dv = _err(dev_error, "dev_error")
    td = _err(train_dev_error, "train_dev_error")
    te = _err(test_error, "test_error")
    hu = _err(human_error, "human_error")
    notes = []
    errors: dict[str, float] = {}
    if hu is not None:
        errors["human"] = hu
    errors["train"] = tr
    if td is not None:
        errors["train-dev"] = td
    if dv is not None:
        errors["dev"] = dv
    if te is not None:
        errors["test"] = te
    if hu is None:
        notes.append("no human-level error given: avoidable bias is measured against 0 error")
    gaps: dict[str, float] = {"avoidable bias": tr - (hu or 0.0)}
    if td is not None:
        gaps["variance"] = td - tr
        if dv is not None:
            gaps["data mismatch"] = dv - td
    elif dv is not None:
        gaps["variance"] = dv - tr
        notes.append("no train-dev error given: variance and data mismatch cannot be told apart")
    if te is not None and dv is not None:
        gaps["overfitting to dev"] = te - dv
    if hu is not None and tr < hu - tol:
        notes.append("training error is below human level: the human error is not a good Bayes proxy here, "
                     "or the model fits the training set's noise")
    problems = sorted((k for k, g in gaps.items() if g > tol + 1e-12), key=lambda k: -gaps[k])
    dominant = problems[0] if problems else "good fit"
    return Diagnosis(errors, gaps, dominant, problems, list(RECOMMENDATIONS[dominant]), notes)


def error_of(metrics: dict, metric: str = "accuracy") -> float:
    """An error in [0, 1] (or a loss) from evaluated metrics: 1 − accuracy-like scores, else the value."""
    v = float(metrics[metric])
    from .history import infer_mode

    return 1.0 - v if infer_mode(metric) == "max" else v


@dataclass
class CurveResult:
    """Train and validation errors along ``x`` (training-set sizes or hyper-parameter values)."""

    name: str
    x: list
    train_error: list
    val_error: list
    verdict: str
    details: list = field(default_factory=list)
    best_x: Any = None

    def report(self) -> str:
        w = max(len(self.name), *(len(_s(x)) for x in self.x))
        lines = [f"{self.name.rjust(w)}  train_error  val_error  gap"]
        for x, a, b in zip(self.x, self.train_error, self.val_error):
            lines.append(f"{_s(x).rjust(w)}  {a:11.4f}  {b:9.4f}  {b - a:+.4f}")
        lines.append(f"verdict: {self.verdict}")
        lines += [f"  - {d}" for d in self.details]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def plot(self, path: str, log_x: bool = False) -> bool:
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError:
            return False
        fig = Figure(figsize=(5, 3.6))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        numeric = all(isinstance(x, (int, float)) for x in self.x)
        xs = self.x if numeric else list(range(len(self.x)))
        ax.plot(xs, self.train_error, "-o", label="train error")
        ax.plot(xs, self.val_error, "--o", label="validation error")
        if not numeric:
            ax.set_xticks(xs, [str(x) for x in self.x])
        if log_x and numeric:
            ax.set_xscale("log")
        ax.set_xlabel(self.name)
        ax.set_ylabel("error")
        ax.set_title(self.verdict, fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.subplots_adjust(left=0.14, right=0.97, bottom=0.14, top=0.9)
        d = os.path.dirname(os.path.abspath(path))
        os.makedirs(d, exist_ok=True)
        tmp = os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}.tmp.png")
        fig.savefig(tmp, dpi=100, format="png")
        os.replace(tmp, path)
        return True


def _s(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def read_learning_curve(sizes: Sequence, train_error: Sequence[float], val_error: Sequence[float],
                        human_error: float = 0.0, tol: float = 0.02) -> tuple[str, list[str]]:
    """Verdict on a learning curve: high bias (train error itself far above human level, curves converged),
    high variance (a large train/validation gap, validation error still falling with more data), both,
    or a good fit."""
    tr, va = float(train_error[-1]), float(val_error[-1])
    bias, gap = tr - human_error, va - tr
    details = [f"at {sizes[-1]} samples: train error {tr:.4f}, validation error {va:.4f}, gap {gap:+.4f}"]
    still_falling = len(val_error) >= 2 and (float(val_error[-2]) - va) > tol / 2
    hb, hv = bias > tol, gap > tol
    if hb and hv:
        verdict = "high bias and high variance"
    elif hb:
        verdict = "high bias (under-fitting)"
    elif hv:
        verdict = "high variance (over-fitting)"
    else:
        verdict = "good fit"
    if hv and still_falling:
        details.append("validation error is still falling with more data: more data should help")
    elif hb and not still_falling:
        details.append("both curves have flattened out: more data will not help; use a bigger model or train "
                       "longer")
    key = "avoidable bias" if hb and (not hv or bias >= gap) else "variance" if hv else "good fit"
    details += RECOMMENDATIONS[key][:3]
    return verdict, details


def learning_curve(build_fn: Callable[[], Any], train_set, val_set, sizes: Sequence = (0.1, 0.25, 0.5, 1.0), *,
                   metric: str = "accuracy", human_error: float = 0.0, tol: float = 0.02, seed: int = 0,
                   verbose: bool = False, **train_kw) -> CurveResult:
    """Train a fresh model on growing subsets of ``train_set`` (fractions or counts; nested: each subset
    contains the smaller ones) and record train and validation error at each size."""
    from .selection import _subset, train_and_evaluate

    n = len(train_set)
    perm = np.random.default_rng(seed).permutation(n)
    counts = [max(1, int(round(s * n))) if isinstance(s, float) and s <= 1.0 else int(s) for s in sizes]
    tr_err, va_err = [], []
    for c in counts:
        res = train_and_evaluate(build_fn, _subset(train_set, perm[:c]), val_set, seed=seed,
                                 metrics=(metric,), **train_kw)
        tr_err.append(error_of(res["train"], metric))
        va_err.append(error_of(res["val"], metric))
        if verbose:
            print(f"{c} samples: train error {tr_err[-1]:.4f}, validation error {va_err[-1]:.4f}", flush=True)
    verdict, details = read_learning_curve(counts, tr_err, va_err, human_error, tol)
    return CurveResult("training samples", counts, tr_err, va_err, verdict, details)


def read_validation_curve(values: Sequence, train_error: Sequence[float], val_error: Sequence[float],
                          tol: float = 0.02) -> tuple[str, list[str], Any]:
    """Best value (lowest validation error) and the values that under-fit (train error well above the best
    validation error: both errors high) or over-fit (validation error up while the train/validation gap
    is large)."""
    i = int(np.argmin(val_error))
    best_val = float(val_error[i])
    under, over = [], []
    for x, a, b in zip(values, train_error, val_error):
        a, b = float(a), float(b)
        if a > best_val + tol:
            under.append(x)
        elif b - a > tol and b > best_val + tol:
            over.append(x)
    details = []
    if under:
        details.append("under-fitting (high bias) at " + ", ".join(_s(x) for x in under))
    if over:
        details.append("over-fitting (high variance) at " + ", ".join(_s(x) for x in over))
    verdict = f"best value {_s(values[i])} (validation error {best_val:.4f})"
    return verdict, details, values[i]


def validation_curve(build_fn: Callable[[Any], Any], param_name: str, values: Sequence, train_set, val_set, *,
                     metric: str = "accuracy", tol: float = 0.02, seed: int = 0, verbose: bool = False,
                     **train_kw) -> CurveResult:
    """Train a fresh model for each value of one hyper-parameter (``build_fn(value)`` builds the model)
    and record train and validation error, calling out under- and over-fitting values."""
    from .selection import train_and_evaluate

    tr_err, va_err = [], []
    for v in values:
        res = train_and_evaluate(lambda v=v: build_fn(v), train_set, val_set, seed=seed, metrics=(metric,),
                                 **train_kw)
        tr_err.append(error_of(res["train"], metric))
        va_err.append(error_of(res["val"], metric))
        if verbose:
            print(f"{param_name}={_s(v)}: train error {tr_err[-1]:.4f}, validation error {va_err[-1]:.4f}",
                  flush=True)
    verdict, details, best = read_validation_curve(list(values), tr_err, va_err, tol)
    return CurveResult(param_name, list(values), tr_err, va_err, verdict, details, best)
