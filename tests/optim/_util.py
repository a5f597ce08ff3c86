"""Shared helpers: run a danlu optimizer and a torch optimizer side by side on the same problem."""
from __future__ import annotations

import numpy as np
import torch

import danlu
from tests._oracle import assert_close, np_of, to_danlu, to_torch

SHAPES = [(3, 4), (4,)]


def init_values(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def grad_fn(values, step):
    """A deterministic, parameter-dependent gradient that changes sign now and then (exercises
    Rprop, amsgrad's max, maximize...); computed in the parameters' dtype."""
    out = []
    for i, v in enumerate(values):
        g = 2.0 * np.tanh(v) + 0.3 * np.cos(3.0 * v) + 0.7 * np.sin(0.9 * step + i + np.arange(v.size).reshape(v.shape))
        out.append(g.astype(v.dtype))
    return out


def make_params(values):
    return [to_danlu(v, requires_grad=True) for v in values], [to_torch(v, requires_grad=True) for v in values]


def groups(params, split_lr, lr_key="lr"):
    if split_lr is None:
        return params
    return [{"params": [params[0]]}, {"params": [params[1]], lr_key: split_lr}]


def set_grads(dps, tps, step):
    gd = grad_fn([p.detach().numpy() for p in dps], step)
    gt = grad_fn([p.detach().numpy() for p in tps], step)
    for p, g in zip(dps, gd):
        p.grad = to_danlu(g)
    for p, g in zip(tps, gt):
        p.grad = to_torch(g)


def compare_value(a, b, path="", rtol=None, atol=None):
    if isinstance(b, torch.Tensor):
        assert isinstance(a, danlu.Tensor), f"{path}: {type(a)} is not a Tensor (torch has {b!r})"
        assert_close(a, b, rtol, atol)
    elif isinstance(b, dict):
        assert isinstance(a, dict) and set(a) == set(b), f"{path}: keys {sorted(map(str, a))} != torch {sorted(map(str, b))}"
        for k in b:
            compare_value(a[k], b[k], f"{path}.{k}", rtol, atol)
    elif isinstance(b, (list, tuple)):
        assert isinstance(a, (list, tuple)) and len(a) == len(b), f"{path}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            compare_value(x, y, f"{path}[{i}]", rtol, atol)
    elif isinstance(b, float):
        np.testing.assert_allclose(float(a), b, rtol=1e-12, err_msg=path)
    else:
        assert a == b, f"{path}: {a!r} != torch {b!r}"


def compare_state(dopt, topt, rtol=None, atol=None):
    compare_value(dopt.state_dict(), topt.state_dict(), "state_dict", rtol, atol)


def compare_params(dps, tps, rtol=None, atol=None):
    for a, b in zip(dps, tps):
        assert_close(a.detach(), b.detach(), rtol, atol)


def to_danlu_state(obj):
    """A torch state_dict with every tensor converted to danlu (keeps dtypes)."""
    if isinstance(obj, torch.Tensor):
        a = obj.detach().numpy().copy()
        return danlu.from_numpy(a) if a.ndim else danlu.tensor(a.item(), dtype=getattr(danlu, str(a.dtype)))
    if isinstance(obj, dict):
        return {k: to_danlu_state(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_danlu_state(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(to_danlu_state(v) for v in obj)
    return obj


__all__ = ["init_values", "grad_fn", "make_params", "groups", "set_grads", "compare_state", "compare_params",
           "compare_value", "to_danlu_state", "np_of"]
