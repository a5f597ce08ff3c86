"""Checkpoints: atomic, pickle-free files (``danlu.save``) and the random-number states a resume needs."""
from __future__ import annotations

import os
import random
from typing import Any

import numpy as np

__all__ = ["save_checkpoint", "load_checkpoint", "get_rng_states", "set_rng_states"]


def save_checkpoint(state: dict, path: str) -> str:
    """Write ``state`` with ``danlu.save`` to a temporary file next to ``path``, then rename it over
    ``path``: an interrupted write never leaves a truncated checkpoint behind."""
    import danlu

    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            danlu.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def load_checkpoint(path: str, map_location: Any = None) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` (never executes code)."""
    import danlu

    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path!r}")
    with open(path, "rb") as f:
        return danlu.load(f, map_location=map_location)


def _generators_of(loader: Any) -> list:
    """danlu Generators a data loader draws its shuffling from (loader, sampler, batch sampler)."""
    out, seen = [], set()
    cands = [loader, getattr(loader, "sampler", None), getattr(loader, "batch_sampler", None),
             getattr(getattr(loader, "batch_sampler", None), "sampler", None)]
    for c in cands:
        g = getattr(c, "generator", None) if c is not None else None
        if g is not None and hasattr(g, "get_state") and id(g) not in seen:
            seen.add(id(g))
            out.append(g)
    return out


def get_rng_states(loaders=()) -> dict:
    """Every random state a training run may draw from: danlu's global generator, NumPy's and Python's
    global generators, and the generators of the given data loaders."""
    import danlu

    kind, keys, pos, has_gauss, cached = np.random.get_state()
    pyver, pystate, pygauss = random.getstate()
    states = {
        "danlu": danlu.get_rng_state(),
        "numpy": {"keys": danlu.tensor(np.asarray(keys, dtype=np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "python": {"version": int(pyver), "state": danlu.tensor(np.asarray(pystate, dtype=np.int64)),
                   "gauss": float("nan") if pygauss is None else float(pygauss)},
    }
    gens = [g for ld in loaders for g in _generators_of(ld)]
    if gens:
        states["loaders"] = [g.get_state() for g in gens]
    return states


def set_rng_states(states: dict, loaders=()) -> None:
    """Restore what :func:`get_rng_states` captured."""
    import danlu

    danlu.set_rng_state(states["danlu"])
    n = states["numpy"]
    np.random.set_state(("MT19937", np.asarray(n["keys"].tolist(), dtype=np.uint32), int(n["pos"]),
                         int(n["has_gauss"]), float(n["cached_gaussian"])))
    p = states["python"]
    g = float(p["gauss"])
    random.setstate((int(p["version"]), tuple(int(v) for v in p["state"].tolist()), None if g != g else g))
    gens = [g for ld in loaders for g in _generators_of(ld)]
    for gen, st in zip(gens, states.get("loaders", [])):
        gen.set_state(st)
