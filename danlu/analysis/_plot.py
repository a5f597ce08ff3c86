"""PNG plots for the analysis results (matplotlib is optional: imported lazily, Agg canvas only,
never touching pyplot's global state)."""
from __future__ import annotations

import os

import numpy as np


def _figure(figsize=(6, 4)):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - matplotlib is an optional extra
        raise ImportError("plotting needs matplotlib: pip install 'danlu[plot]'") from e
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str) -> str:
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def plot_1d(res, path, *, title, log=False):
    fig = _figure()
    ax = fig.add_subplot(111)
    ax.plot(res.alphas, res.losses, "-o", ms=3)
    ax.axvline(0.0, color="gray", lw=0.8, ls="--")
    ax.set_xlabel(res.label)
    ax.set_ylabel("loss")
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    return _save(fig, path)


def plot_2d(res, path, *, title, surface=True, levels=30, log=False):
    A, B = np.meshgrid(res.alphas, res.betas, indexing="ij")
    Z = np.log10(np.maximum(res.losses, 1e-12)) if log else res.losses
    fig = _figure((11, 4.5) if surface else (5.5, 4.5))
    ax = fig.add_subplot(1, 2 if surface else 1, 1)
    cs = ax.contour(A, B, Z, levels=levels, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="log10 loss" if log else "loss")
    ax.plot([0], [0], "r*", ms=10, label="theta")
    if res.trajectory is not None:
        t = res.trajectory
        ax.plot(t[:, 0], t[:, 1], "r.-", lw=1, ms=3, label="trajectory")
    ax.set_xlabel("direction 1")
    ax.set_ylabel("direction 2")
    ax.legend(loc="best", fontsize=8)
    ax.set_title(title + " (contour)")
    if surface:
        ax3 = fig.add_subplot(1, 2, 2, projection="3d")
        ax3.plot_surface(A, B, Z, cmap="viridis", linewidth=0, antialiased=True)
        ax3.set_xlabel("direction 1")
        ax3.set_ylabel("direction 2")
        ax3.set_zlabel("log10 loss" if log else "loss")
        ax3.set_title(title + " (surface)")
    return _save(fig, path)


def plot_density(res, path, *, log=True, title):
    fig = _figure()
    ax = fig.add_subplot(111)
    ax.plot(res.grid, res.density)
    if log:
        ax.set_yscale("log")
        ax.set_ylim(max(res.density.max() * 1e-8, 1e-12), res.density.max() * 2)
    ax.set_xlabel("eigenvalue")
    ax.set_ylabel("density")
    ax.set_title(title)
    return _save(fig, path)


def plot_lr_finder(res, path, *, title):
    fig = _figure()
    ax = fig.add_subplot(111)
    ax.plot(res.lrs, res.losses, alpha=0.3, label="loss")
    ax.plot(res.lrs, res.smoothed, label="smoothed")
    ax.axvline(res.suggestion, color="r", ls="--", label=f"suggested lr {res.suggestion:.2g}")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    lo, hi = np.nanmin(res.smoothed), np.nanmax(res.smoothed[: max(2, len(res.smoothed) // 2)])
    if np.isfinite(lo) and np.isfinite(hi) and hi > lo:
        ax.set_ylim(lo - 0.1 * (hi - lo), hi + 0.5 * (hi - lo))
    ax.legend(fontsize=8)
    ax.set_title(title)
    return _save(fig, path)


def plot_gradflow(mon, path, *, title):
    h = mon.history()
    fig = _figure((11, 4))
    ax = fig.add_subplot(1, 2, 1)
    for n in mon.names:
        ax.plot(mon.steps, np.maximum(h[n]["grad_norm"], 1e-30), label=n)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("|grad|")
    ax.set_title(title + ": gradient norm per layer")
    if len(mon.names) <= 12:
        ax.legend(fontsize=7)
    ax2 = fig.add_subplot(1, 2, 2)
    med = [np.median(h[n]["grad_norm"]) for n in mon.names]
    ax2.bar(range(len(med)), np.maximum(med, 1e-30))
    ax2.set_yscale("log")
    ax2.set_xticks(range(len(med)))
    ax2.set_xticklabels(mon.names, rotation=60, fontsize=7, ha="right")
    ax2.set_ylabel("median |grad|")
    ax2.set_title("input side -> output side")
    return _save(fig, path)
