"""Helpers shared by every test: run the same computation in danlu and torch and compare.

    from tests._oracle import to_danlu, to_torch, assert_close, compare_fn

``compare_fn(fn, *arrays)`` calls ``fn(lib, *tensors)`` with ``lib`` = danlu and lib = torch on
the same values, compares outputs and (for float inputs) the gradients of a random weighted sum.
"""
from __future__ import annotations

import numpy as np
import torch

import danlu

DTYPES = {np.dtype("float32"): (danlu.float32, torch.float32),
          np.dtype("float64"): (danlu.float64, torch.float64)}
TOL = {np.dtype("float32"): (1e-4, 1e-5), np.dtype("float64"): (1e-10, 1e-12),
       "float32": (1e-4, 1e-5), "float64": (1e-10, 1e-12)}


def to_danlu(a, requires_grad: bool = False) -> danlu.Tensor:
    a = np.array(a)
    t = danlu.from_numpy(a.copy()) if a.ndim else danlu.tensor(a.item(), dtype=_ddt(a.dtype))
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_torch(a, requires_grad: bool = False) -> torch.Tensor:
    a = np.array(a)
    t = torch.from_numpy(a.copy()) if a.ndim else torch.tensor(a.item(), dtype=_tdt(a.dtype))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _ddt(dt):
    return getattr(danlu, np.dtype(dt).name if np.dtype(dt).name != "bool" else "bool")


def _tdt(dt):
    return getattr(torch, np.dtype(dt).name if np.dtype(dt).name != "bool" else "bool")


def np_of(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, danlu.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def assert_close(actual, expected, rtol=None, atol=None, check_dtype: bool = True) -> None:
    """``actual`` (danlu or array) equals ``expected`` (torch or array): shape, dtype, values."""
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)) and len(actual) == len(expected), (actual, expected)
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol, atol, check_dtype)
        return
    if expected is None:
        assert actual is None, actual
        return
    a, e = np_of(actual), np_of(expected)
    assert a.shape == e.shape, f"shape {a.shape} != torch {e.shape}"
    if check_dtype and isinstance(expected, torch.Tensor):
        assert str(actual.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1], \
            f"dtype {actual.dtype} != torch {expected.dtype}"
    if rtol is None:
        rtol, atol = TOL.get(e.dtype, (1e-5, 1e-6)) if e.dtype.kind == "f" else (0, 0)
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)


def compare_fn(fn, *arrays, grad: bool = True, rtol=None, atol=None, seed: int = 0):
    """Compare ``fn(danlu, *xs)`` with ``fn(torch, *xs)`` in value and gradient."""
    arrays = [np.asarray(a) for a in arrays]
    diff = [grad and a.dtype.kind == "f" for a in arrays]
    xd = [to_danlu(a, g) for a, g in zip(arrays, diff)]
    xt = [to_torch(a, g) for a, g in zip(arrays, diff)]
    out_d, out_t = fn(danlu, *xd), fn(torch, *xt)
    assert_close(out_d, out_t, rtol, atol)
    if not any(diff):
        return out_d, out_t
    outs_d = out_d if isinstance(out_d, (tuple, list)) else [out_d]
    outs_t = out_t if isinstance(out_t, (tuple, list)) else [out_t]
    rng = np.random.default_rng(seed)
    ld, lt = 0, 0
    for od, ot in zip(outs_d, outs_t):
        if not isinstance(ot, torch.Tensor) or not ot.requires_grad:
            continue
        w = rng.standard_normal(tuple(ot.shape)).astype(np_of(ot).dtype)
        ld = ld + (od * to_danlu(w)).sum()
        lt = lt + (ot * to_torch(w)).sum()
    if not isinstance(lt, torch.Tensor):
        return out_d, out_t
    gd = danlu.autograd.grad(ld, [x for x, g in zip(xd, diff) if g], allow_unused=True)
    gt = torch.autograd.grad(lt, [x for x, g in zip(xt, diff) if g], allow_unused=True)
    for a, b in zip(gd, gt):
        if b is None:
            assert a is None or np.all(np_of(a) == 0)
        else:
            assert_close(a, b, rtol, atol)
    return out_d, out_t
