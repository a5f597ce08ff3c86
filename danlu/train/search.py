"""Hyper-parameter search: spaces, random and grid search, trials in parallel processes or on Ray.

A search space maps names to dimensions::

    space = {"lr": LogUniform(1e-4, 1e-1),      # uniform in log10(lr): each decade equally likely
             "dropout": Uniform(0.0, 0.5),
             "width": IntUniform(32, 256),
             "optimizer": Choice(["sgd", "adam"])}

An objective is ``objective(config) -> float`` (or a dict with the ``metric`` key); it runs with the
trial's seed set on danlu's, NumPy's and Python's generators, so a trial gives the same result
serially, in a worker process, or on a Ray worker.
"""
from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import random
import time
import traceback
from typing import Any, Callable, Sequence

import numpy as np

from .history import atomic_write_text

__all__ = [
    "Dimension", "LogUniform", "Uniform", "IntUniform", "Choice", "space_from_dict", "load_space",
    "sample_configs", "grid_configs", "run_trials", "random_search", "grid_search", "SearchResult",
    "set_seed",
]


class Dimension:
    def sample(self, rng: np.random.Generator) -> Any:
        raise NotImplementedError

    def grid(self, n: int) -> list:
        raise NotImplementedError

    log = False


class LogUniform(Dimension):
    """log10(x) ~ U(log10 low, log10 high): a learning rate in [1e-4, 1e-1] is as likely in each decade."""

    log = True

    def __init__(self, low: float, high: float) -> None:
        if not 0 < low < high:
            raise ValueError(f"LogUniform needs 0 < low < high, got low={low}, high={high}")
        self.low, self.high = float(low), float(high)

    def sample(self, rng):
        return float(10 ** rng.uniform(math.log10(self.low), math.log10(self.high)))

    def grid(self, n):
        return [float(v) for v in np.logspace(math.log10(self.low), math.log10(self.high), n)]

    def __repr__(self):
        return f"LogUniform({self.low:g}, {self.high:g})"


class Uniform(Dimension):
    """x ~ U(low, high)."""

    def __init__(self, low: float, high: float) -> None:
        if not low < high:
            raise ValueError(f"Uniform needs low < high, got low={low}, high={high}")
        self.low, self.high = float(low), float(high)

    def sample(self, rng):
        return float(rng.uniform(self.low, self.high))

    def grid(self, n):
        return [float(v) for v in np.linspace(self.low, self.high, n)]

    def __repr__(self):
        return f"Uniform({self.low:g}, {self.high:g})"


class IntUniform(Dimension):
    """An integer uniform on [low, high] (both ends included); ``log=True`` samples it log-uniformly."""

    def __init__(self, low: int, high: int, log: bool = False) -> None:
        if not int(low) <= int(high):
            raise ValueError(f"IntUniform needs low <= high, got low={low}, high={high}")
        if log and low <= 0:
            raise ValueError("IntUniform(log=True) needs low > 0")
        self.low, self.high, self.log = int(low), int(high), bool(log)

    def sample(self, rng):
        if self.log:
            # floor of a log-uniform draw on [low, high + 1): each integer gets the log-width of its cell
            return int(min(self.high, math.floor(math.exp(rng.uniform(math.log(self.low),
                                                                      math.log(self.high + 1))))))
        return int(rng.integers(self.low, self.high + 1))

    def grid(self, n):
        vals = np.logspace(math.log10(self.low), math.log10(self.high), n) if self.log else \
            np.linspace(self.low, self.high, n)
        return sorted({int(round(v)) for v in vals})

    def __repr__(self):
        return f"IntUniform({self.low}, {self.high}{', log=True' if self.log else ''})"


class Choice(Dimension):
    """One of the given values, each equally likely."""

    def __init__(self, values: Sequence) -> None:
        if not len(values):
            raise ValueError("Choice needs at least one value")
        self.values = list(values)

    def sample(self, rng):
        v = self.values[int(rng.integers(len(self.values)))]
        return v.item() if hasattr(v, "item") else v

    def grid(self, n):
        return list(self.values)

    def __repr__(self):
        return f"Choice({self.values!r})"


def space_from_dict(d: dict) -> dict[str, Dimension]:
    """A space from plain data (JSON/YAML): ``{"lr": {"type": "loguniform", "low": 1e-4, "high": 0.1},
    "batch_size": [64, 128], "dropout": {"type": "uniform", "low": 0, "high": 0.5},
    "width": {"type": "int", "low": 32, "high": 256}, "optimizer": {"type": "choice", "values": [...]}}``;
    a list is a choice and a scalar a fixed value."""
    out: dict[str, Dimension] = {}
    for name, spec in d.items():
        if isinstance(spec, Dimension):
            out[name] = spec
        elif isinstance(spec, list):
            out[name] = Choice(spec)
        elif isinstance(spec, dict):
            kind = str(spec.get("type", "")).lower().replace("_", "").replace("-", "")
            try:
                if kind in ("loguniform", "log"):
                    out[name] = LogUniform(spec["low"], spec["high"])
                elif kind == "uniform":
                    out[name] = Uniform(spec["low"], spec["high"])
                elif kind in ("int", "integer", "intuniform", "randint"):
                    out[name] = IntUniform(spec["low"], spec["high"], log=bool(spec.get("log", False)))
                elif kind in ("choice", "categorical"):
                    out[name] = Choice(spec["values"])
                else:
                    raise ValueError(f"hyper-parameter {name!r}: unknown type {spec.get('type')!r} (use "
                                     "loguniform, uniform, int or choice)")
            except KeyError as e:
                raise ValueError(f"hyper-parameter {name!r} of type {spec.get('type')!r} needs {e.args[0]!r}")
        else:
            out[name] = Choice([spec])
    return out


def load_space(path: str) -> dict[str, Dimension]:
    """Read a space file: JSON, or YAML when PyYAML is installed (.yaml/.yml)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            raise ImportError("reading a YAML space file needs PyYAML (pip install pyyaml); or write it as JSON")
        data = yaml.safe_load(text)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not valid JSON ({e})")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a search space must be a mapping of hyper-parameter names to ranges")
    return space_from_dict(data)


def sample_configs(space: dict, n: int, seed: int = 0) -> list[dict]:
    """``n`` random configurations (deterministic under ``seed``)."""
    space = space_from_dict(space)
    rng = np.random.default_rng(seed)
    return [{k: dim.sample(rng) for k, dim in space.items()} for _ in range(n)]


def grid_configs(space: dict, points: int = 3) -> list[dict]:
    """The Cartesian product of every dimension's grid (continuous ones get ``points`` values)."""
    space = space_from_dict(space)
    names = list(space)
    grids = [space[k].grid(points) for k in names]
    return [dict(zip(names, combo)) for combo in itertools.product(*grids)]


def set_seed(seed: int) -> None:
    """Seed danlu's, NumPy's and Python's global generators."""
    import danlu

    danlu.manual_seed(seed)
    np.random.seed(seed % (2 ** 32))
    random.seed(seed)


_WORKER_FN: Callable | None = None  # the objective, inherited by forked workers (so closures work)


def _run_one(fn: Callable | None, index: int, config: dict, seed: int, metric: str) -> dict:
    fn = fn if fn is not None else _WORKER_FN
    t0 = time.perf_counter()
    rec: dict[str, Any] = {"trial": index, "config": dict(config), "seed": seed}
    try:
        set_seed(seed)
        out = fn(dict(config))
        if isinstance(out, dict):
            if metric not in out:
                raise KeyError(f"the objective returned {sorted(out)} but the search optimises {metric!r}")
            rec["value"] = float(out[metric])
            rec["metrics"] = {k: float(v) for k, v in out.items() if isinstance(v, (int, float))}
        else:
            rec["value"] = float(out)
            rec["metrics"] = {metric: rec["value"]}
        rec["error"] = None
    except Exception as e:  # a failed trial is a result, not the end of the search
        rec["value"] = float("nan")
        rec["metrics"] = {}
        rec["error"] = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=5)}"
    rec["time"] = time.perf_counter() - t0
    return rec


def _pool_context():
    import multiprocessing as mp

    return mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")


def run_trials(objective: Callable, configs: list[dict], *, workers: int = 1, seed: int = 0,
               metric: str = "objective", backend: str = "auto", ray_address: str | None = None) -> list[dict]:
    """Run ``objective`` on every configuration; trial ``i`` is seeded with ``seed + i``.

    ``backend``: 'serial', 'process' (``workers`` worker processes on this machine), 'ray' (tasks on a
    Ray cluster: ``ray_address`` such as 'auto' or 'ray://host:10001', or a fresh local instance), or
    'auto' (ray when an address is given, processes when workers > 1, else serial).
    """
    global _WORKER_FN
    if backend == "auto":
        backend = "ray" if ray_address else ("process" if workers > 1 and len(configs) > 1 else "serial")
    jobs = [(i, c, seed + i) for i, c in enumerate(configs)]
    if backend == "serial":
        return [_run_one(objective, i, c, s, metric) for i, c, s in jobs]
    if backend == "process":
        ctx = _pool_context()
        fn_arg = None
        if ctx.get_start_method() == "fork":
            _WORKER_FN = objective  # inherited by the children: no pickling of the objective needed
        else:
            fn_arg = objective
        try:
            with ctx.Pool(processes=max(1, min(workers, len(configs)))) as pool:
                res = pool.starmap(_run_one, [(fn_arg, i, c, s, metric) for i, c, s in jobs], chunksize=1)
        finally:
            _WORKER_FN = None
        return res
    if backend == "ray":
        return _run_ray(objective, jobs, metric, ray_address, workers)
    raise ValueError(f"backend must be 'auto', 'serial', 'process' or 'ray', got {backend!r}")


def _run_ray(objective: Callable, jobs: list, metric: str, address: str | None, workers: int) -> list[dict]:
    try:
        import ray
    except ImportError:
        raise ImportError("the Ray backend needs ray (pip install 'ray[default]'); or use backend='process'")
    started = False
    if not ray.is_initialized():
        if address in (None, "", "local"):
            ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        started = True
    try:
        remote = ray.remote(num_cpus=1)(_run_one)
        fn_ref = ray.put(objective)
        refs = [remote.remote(fn_ref, i, c, s, metric) for i, c, s in jobs]
        return list(ray.get(refs))
    finally:
        if started:
            ray.shutdown()


class SearchResult:
    """The trials of a search, sorted by objective (best first for ``mode``)."""

    def __init__(self, trials: list[dict], metric: str = "objective", mode: str = "max",
                 space: dict | None = None) -> None:
        self.metric, self.mode = metric, mode
        self.space = space_from_dict(space) if space else {}
        ok = [t for t in trials if not math.isnan(t["value"])]
        bad = [t for t in trials if math.isnan(t["value"])]
        self.trials = sorted(ok, key=lambda t: t["value"], reverse=(mode == "max")) + bad

    @property
    def best(self) -> dict:
        if not self.trials or math.isnan(self.trials[0]["value"]):
            errs = "; ".join((t["error"] or "").splitlines()[0] for t in self.trials[:3])
            raise RuntimeError(f"every trial failed: {errs}")
        return self.trials[0]

    @property
    def best_config(self) -> dict:
        return dict(self.best["config"])

    @property
    def best_value(self) -> float:
        return self.best["value"]

    @property
    def names(self) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.trials:
            for k in t["config"]:
                seen.setdefault(k, None)
        return list(seen)

    def table(self, max_rows: int | None = None) -> str:
        """A text table, best first."""
        names = self.names
        head = ["rank", "trial", *names, self.metric, "time_s"]
        rows = []
        for r, t in enumerate(self.trials[:max_rows] if max_rows else self.trials):
            vals = [_short(t["config"].get(k)) for k in names]
            v = "failed" if t["error"] else f"{t['value']:.5g}"
            rows.append([str(r + 1), str(t["trial"]), *vals, v, f"{t['time']:.1f}"])
        widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def to_csv(self, path: str | None = None) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        names = self.names
        w.writerow(["trial", "seed", *names, self.metric, "time_s", "error"])
        for t in self.trials:
            w.writerow([t["trial"], t["seed"], *[t["config"].get(k) for k in names], t["value"],
                        f"{t['time']:.3f}", (t["error"] or "").splitlines()[0] if t["error"] else ""])
        text = buf.getvalue()
        if path:
            atomic_write_text(path, text)
        return text

    def to_json(self, path: str | None = None) -> str:
        def clean(v):
            return None if isinstance(v, float) and not math.isfinite(v) else v

        text = json.dumps({"metric": self.metric, "mode": self.mode,
                           "trials": [{**t, "value": clean(t["value"])} for t in self.trials]}, indent=1,
                          default=str)
        if path:
            atomic_write_text(path, text)
        return text

    def plot(self, path: str) -> bool:
        """One panel per hyper-parameter: the objective of every trial against its value (log axis for
        log-uniform dimensions).  Returns False when matplotlib is missing."""
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError:
            return False
        names = self.names
        ok = [t for t in self.trials if not t["error"]]
        if not names or not ok:
            return False
        fig = Figure(figsize=(3.8 * len(names), 3.2))
        FigureCanvasAgg(fig)
        best = ok[0]
        for i, k in enumerate(names):
            ax = fig.add_subplot(1, len(names), i + 1)
            xs = [t["config"].get(k) for t in ok]
            ys = [t["value"] for t in ok]
            numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
            if not numeric:
                cats = list(dict.fromkeys(str(x) for x in xs))
                xs = [cats.index(str(x)) for x in xs]
                ax.set_xticks(range(len(cats)), cats, rotation=30, fontsize=8)
            ax.scatter(xs, ys, s=18, alpha=0.8)
            bx = best["config"].get(k)
            ax.scatter([bx if numeric else cats.index(str(bx))], [best["value"]], s=60, marker="*", color="red",
                       label="best")
            dim = self.space.get(k)
            if numeric and (getattr(dim, "log", False) or (dim is None and _looks_log(xs))):
                ax.set_xscale("log")
                from matplotlib.ticker import NullFormatter

                ax.xaxis.set_minor_formatter(NullFormatter())  # crowded minor labels otherwise
            ax.set_xlabel(k)
            ax.set_ylabel(self.metric)
            ax.grid(True, alpha=0.3)
        fig.subplots_adjust(left=0.12 / len(names) ** 0.5, right=0.98, bottom=0.2, top=0.95, wspace=0.4)
        d = os.path.dirname(os.path.abspath(path))
        os.makedirs(d, exist_ok=True)
        tmp = os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}.tmp.png")
        fig.savefig(tmp, dpi=100, format="png")
        os.replace(tmp, path)
        return True


def _looks_log(xs: list) -> bool:
    pos = [x for x in xs if x > 0]
    return len(pos) == len(xs) and len(xs) > 1 and max(pos) / min(pos) > 100


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def random_search(objective: Callable, space: dict, n_trials: int = 10, *, seed: int = 0, workers: int = 1,
                  metric: str = "objective", mode: str = "max", backend: str = "auto",
                  ray_address: str | None = None) -> SearchResult:
    """Sample ``n_trials`` configurations from ``space`` and run them (in parallel with ``workers`` > 1)."""
    configs = sample_configs(space, n_trials, seed)
    trials = run_trials(objective, configs, workers=workers, seed=seed, metric=metric, backend=backend,
                        ray_address=ray_address)
    return SearchResult(trials, metric, mode, space)


def grid_search(objective: Callable, space: dict, points: int = 3, *, seed: int = 0, workers: int = 1,
                metric: str = "objective", mode: str = "max", backend: str = "auto",
                ray_address: str | None = None) -> SearchResult:
    """Run every configuration of the grid over ``space`` (continuous dimensions get ``points`` values)."""
    configs = grid_configs(space, points)
    trials = run_trials(objective, configs, workers=workers, seed=seed, metric=metric, backend=backend,
                        ray_address=ray_address)
    return SearchResult(trials, metric, mode, space)
