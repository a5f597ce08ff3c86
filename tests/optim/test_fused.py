"""The optional numba Adam kernel equals the NumPy reference path (and torch)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import danlu
from danlu.optim import _fused
from tests._oracle import assert_close

pytestmark = pytest.mark.skipif(_fused.adam_kernel() is None, reason="numba not installed")

N = _fused.MIN_NUMEL + 13


def _run(dtype, kw, fused, monkeypatch, steps=4):
    monkeypatch.setenv("DANLU_NO_NUMBA", "0" if fused else "1")
    rng = np.random.default_rng(0)
    p = danlu.tensor(rng.standard_normal(N).astype(dtype), requires_grad=True)
    cls = danlu.optim.AdamW if kw.pop("adamw", False) else danlu.optim.Adam
    opt = cls([p], **kw)
    for s in range(steps):
        p.grad = danlu.tensor((rng.standard_normal(N) * (1 + s)).astype(dtype))
        assert _fused.can_fuse(p._data, p.grad._data) == fused
        opt.step()
    return p.detach().numpy().copy(), {k: v for k, v in opt.state[p].items()}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [dict(), dict(amsgrad=True, maximize=True), dict(weight_decay=0.1),
                                dict(weight_decay=0.1, adamw=True, amsgrad=True), dict(betas=(0.3, 0.9), eps=1e-3)],
                         ids=["plain", "amsgrad-max", "l2", "adamw-ams", "betas"])
def test_fused_equals_numpy(dtype, kw, monkeypatch):
    a, sa = _run(dtype, dict(kw, lr=0.01), True, monkeypatch)
    b, sb = _run(dtype, dict(kw, lr=0.01), False, monkeypatch)
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == "float64" else dict(rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(a, b, **tol)
    assert set(sa) == set(sb)
    for k in sa:
        np.testing.assert_allclose(sa[k].numpy(), sb[k].numpy(), **tol)


def test_fused_matches_torch(monkeypatch):
    monkeypatch.setenv("DANLU_NO_NUMBA", "0")
    rng = np.random.default_rng(1)
    v = rng.standard_normal((N,)).astype(np.float32)
    pd, pt = danlu.tensor(v.copy(), requires_grad=True), torch.tensor(v.copy(), requires_grad=True)
    od, ot = danlu.optim.AdamW([pd], lr=0.01, amsgrad=True), torch.optim.AdamW([pt], lr=0.01, amsgrad=True)
    for _ in range(3):
        g = rng.standard_normal(N).astype(np.float32)
        pd.grad, pt.grad = danlu.tensor(g.copy()), torch.tensor(g.copy())
        od.step()
        ot.step()
        assert_close(pd.detach(), pt.detach())


def test_non_contiguous_falls_back(monkeypatch):
    monkeypatch.setenv("DANLU_NO_NUMBA", "0")
    a = np.zeros((N, 2), np.float32)[:, 0]
    assert not _fused.can_fuse(a)
    assert not _fused.can_fuse(np.zeros(10, np.float32))
