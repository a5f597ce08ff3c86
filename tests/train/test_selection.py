"""Cross-validation folds, search spaces (log-uniform sampling), grid, parallel == serial, Ray."""
import math
import os

import numpy as np
import pytest

import danlu
from danlu.train import (Choice, IntUniform, LogUniform, Uniform, cross_validate, grid_search, kfold_indices,
                         random_search, run_trials, space_from_dict)
from danlu.train.search import grid_configs, load_space, sample_configs
from danlu.utils.data import TensorDataset

from ._util import blobs, ce, mlp


def test_kfold_partitions():
    folds = kfold_indices(23, 5, shuffle=True, seed=1)
    vals = np.concatenate([v for _, v in folds])
    assert sorted(vals.tolist()) == list(range(23))
    for tr, va in folds:
        assert not set(tr) & set(va) and len(tr) + len(va) == 23 and len(va) in (4, 5)
    assert [v.tolist() for _, v in kfold_indices(6, 3, shuffle=False)] == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(ValueError, match="k-fold"):
        kfold_indices(3, 5)


def test_cross_validate_tiny():
    X, y = blobs(90)
    res = cross_validate(lambda: mlp(), TensorDataset(X, y), k=3, loss=ce, optimizer="sgd", lr=0.3, epochs=2,
                         batch_size=16)
    assert len(res.folds) == 3
    allval = np.concatenate([f["val_indices"] for f in res.folds])
    assert sorted(allval.tolist()) == list(range(90))
    m, s = res.mean("val")["accuracy"], res.std("val")["accuracy"]
    assert m > 0.8 and s >= 0
    assert np.isclose(m, np.mean([f["val"]["accuracy"] for f in res.folds]))
    assert "mean±std" in res.summary()


def test_log_uniform_is_uniform_in_log_space():
    dim = LogUniform(1e-4, 1e-1)
    rng = np.random.default_rng(0)
    xs = np.array([dim.sample(rng) for _ in range(4000)])
    assert xs.min() >= 1e-4 and xs.max() <= 1e-1
    # each of the three decades gets ~1/3 of the samples (a uniform sampler would put ~90% in the last)
    counts = np.histogram(np.log10(xs), bins=[-4, -3, -2, -1])[0] / len(xs)
    assert np.all(np.abs(counts - 1 / 3) < 0.03)
    # Kolmogorov-Smirnov distance of log10(x) to U(-4, -1)
    u = np.sort((np.log10(xs) + 4) / 3)
    ks = np.max(np.abs(u - np.arange(1, len(u) + 1) / len(u)))
    assert ks < 1.36 / math.sqrt(len(u))  # 5% critical value


def test_dimensions_and_space_parsing(tmp_path):
    rng = np.random.default_rng(0)
    assert all(3 <= IntUniform(3, 5).sample(rng) <= 5 for _ in range(50))
    assert {IntUniform(3, 5).sample(rng) for _ in range(200)} == {3, 4, 5}
    assert all(1 <= IntUniform(1, 1000, log=True).sample(rng) <= 1000 for _ in range(100))
    assert 0 <= Uniform(0, 0.5).sample(rng) < 0.5
    assert Choice(["a", "b"]).sample(rng) in ("a", "b")
    sp = space_from_dict({"lr": {"type": "loguniform", "low": 1e-3, "high": 1}, "bs": [16, 32], "w": 7,
                          "n": {"type": "int", "low": 1, "high": 3}})
    assert isinstance(sp["lr"], LogUniform) and isinstance(sp["bs"], Choice) and sp["w"].values == [7]
    with pytest.raises(ValueError, match="unknown type"):
        space_from_dict({"x": {"type": "gaussian"}})
    with pytest.raises(ValueError, match="needs 'high'"):
        space_from_dict({"x": {"type": "uniform", "low": 0}})
    with pytest.raises(ValueError, match="0 < low < high"):
        LogUniform(0, 1)
    assert sample_configs(sp, 3, seed=4) == sample_configs(sp, 3, seed=4)
    g = grid_configs({"lr": LogUniform(1e-3, 1e-1), "bs": [1, 2]}, points=3)
    assert len(g) == 6 and sorted({round(c["lr"], 6) for c in g}) == [0.001, 0.01, 0.1]
    p = tmp_path / "s.json"
    p.write_text('{"lr": {"type": "loguniform", "low": 0.001, "high": 0.1}, "opt": ["sgd", "adam"]}')
    assert set(load_space(str(p))) == {"lr", "opt"}
    y = tmp_path / "s.yaml"
    y.write_text("lr: {type: uniform, low: 0.1, high: 0.2}\nbs: [1, 2]\n")
    pytest.importorskip("yaml")
    assert isinstance(load_space(str(y))["lr"], Uniform)


def _objective(config):
    """Depends on the trial's seed through danlu's generator and on the configuration."""
    noise = float(danlu.rand(1).item())
    return -((math.log10(config["lr"]) + 2) ** 2) + 0.01 * noise + (0.1 if config["opt"] == "adam" else 0)


SPACE = {"lr": LogUniform(1e-4, 1), "opt": Choice(["sgd", "adam"])}


def test_parallel_trials_equal_serial():
    serial = random_search(_objective, SPACE, 6, seed=3, workers=1)
    parallel = random_search(_objective, SPACE, 6, seed=3, workers=2, backend="process")
    assert [(t["trial"], t["value"], t["config"]) for t in serial.trials] == \
           [(t["trial"], t["value"], t["config"]) for t in parallel.trials]
    vals = [t["value"] for t in serial.trials]
    assert vals == sorted(vals, reverse=True) and serial.best_value == vals[0]
    # closures work in worker processes too (forked workers inherit the objective)
    k = 2.0
    res = run_trials(lambda c: c["x"] * k, [{"x": 1}, {"x": 2}, {"x": 3}], workers=2, backend="process")
    assert [r["value"] for r in res] == [2.0, 4.0, 6.0]


def test_grid_search_table_plot_and_failures(tmp_path):
    def obj(c):
        if c["a"] == 3:
            raise RuntimeError("boom")
        return {"score": c["a"] * 10 + c["b"], "other": 1.0}

    res = grid_search(obj, {"a": [1, 2, 3], "b": [0.5, 0.25]}, metric="score", mode="min", workers=2)
    assert res.best_config == {"a": 1, "b": 0.25} and res.best_value == 10.25
    assert [t["error"] is not None for t in res.trials] == [False] * 4 + [True] * 2
    assert "boom" in res.trials[-1]["error"]
    table = res.table()
    assert table.splitlines()[0].split()[:4] == ["rank", "trial", "a", "b"] and "failed" in table
    assert res.to_csv(str(tmp_path / "r.csv")).startswith("trial,seed,a,b,score")
    if res.plot(str(tmp_path / "s.png")):
        assert os.path.getsize(tmp_path / "s.png") > 1000
    with pytest.raises(RuntimeError, match="every trial failed"):
        _ = grid_search(lambda c: 1 / 0, {"a": [1]}).best


def test_ray_backend_local():
    ray = pytest.importorskip("ray")
    try:
        res = random_search(_objective, SPACE, 4, seed=3, workers=2, backend="ray")
    finally:
        if ray.is_initialized():
            ray.shutdown()
    serial = random_search(_objective, SPACE, 4, seed=3, workers=1)
    assert [t["value"] for t in res.trials] == [t["value"] for t in serial.trials]
