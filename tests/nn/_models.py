"""Helpers for the nn module-system tests: build the same model with danlu and torch and copy
torch's weights into danlu."""
from __future__ import annotations

import numpy as np
import torch

import danlu


def copy_into(dmodel, tmodel, strict: bool = True):
    """Load torch model ``tmodel``'s state dict into danlu model ``dmodel`` via numpy."""
    sd = {k: danlu.tensor(v.detach().numpy().copy()) for k, v in tmodel.state_dict().items()}
    return dmodel.load_state_dict(sd, strict=strict)


def twin(build, dtype: str = "float32", seed: int = 0):
    """``build(lib)`` for both libraries; danlu gets torch's weights.  Returns (danlu, torch)."""
    torch.manual_seed(seed)
    tm = build(torch)
    dm = build(danlu)
    if dtype == "float64":
        tm = tm.double()
        dm = dm.double()
    copy_into(dm, tm)
    return dm, tm


def compare_models(dm, tm, x: np.ndarray, rtol=None, atol=None, grads: bool = True, seed: int = 0):
    """Forward ``x`` through both; compare outputs, input grads and every parameter grad."""
    from tests._oracle import assert_close

    xd = danlu.from_numpy(x.copy()).requires_grad_(True)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    yd, yt = dm(xd), tm(xt)
    assert_close(yd, yt, rtol, atol)
    if not grads:
        return yd, yt
    w = np.random.default_rng(seed).standard_normal(tuple(yt.shape)).astype(x.dtype)
    (yd * danlu.from_numpy(w)).sum().backward()
    (yt * torch.from_numpy(w)).sum().backward()
    assert_close(xd.grad, xt.grad, rtol, atol)
    tparams = dict(tm.named_parameters())
    dparams = dict(dm.named_parameters())
    assert list(dparams) == list(tparams)
    for k, p in tparams.items():
        assert_close(dparams[k].grad, p.grad, rtol, atol)
    return yd, yt
