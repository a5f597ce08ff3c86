"""The benchmark workloads compute the same thing in danlu and in torch.

Each workload of ``benchmarks/workloads.py`` is built in both libraries from the same initial
weights (torch's, copied into danlu) and run for a few steps; the losses / outputs / gradients
must agree.  A benchmark that times a wrong computation would be worthless.  Quick sizes.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import torch

import danlu

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import workloads as W  # noqa: E402


def _same_init(lib, build):
    """torch builds and seeds; danlu gets torch's weights (its own RNG stream differs)."""
    torch.manual_seed(0)
    tm = build(torch)
    if lib is torch:
        return tm
    dm = build(danlu)
    dm.load_state_dict({k: danlu.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    return dm


def _flat(out):
    if out is None:
        return []
    if isinstance(out, (tuple, list)):
        return [a for o in out for a in _flat(o)]
    return [np.asarray(out.detach().numpy(), dtype=np.float64)]


@pytest.mark.parametrize("name", [n for n in W.WORKLOADS if n not in ("chain20_backward", "adam10m")])
def test_workload_agrees_with_torch(name, monkeypatch):
    monkeypatch.setattr(W, "_seeded", _same_init)
    steps = {}
    for lib in (torch, danlu):
        lib.manual_seed(1)
        step = W.WORKLOADS[name](lib, "cpu", True)
        steps[lib.__name__] = [_flat(step()) for _ in range(3 if name.endswith("_train") else 1)]
    # randn_like in hvp_mlp draws v from each library's own stream: compare only what is seeded
    if name == "hvp_mlp":
        for a, b in zip(steps["torch"], steps["danlu"]):
            assert [x.shape for x in a] == [x.shape for x in b]
        return
    for i, (a_step, b_step) in enumerate(zip(steps["torch"], steps["danlu"])):
        assert len(a_step) == len(b_step)
        # step 0 is one forward from equal weights; later steps follow float32 trajectories that
        # drift apart (ResNet's loss falls 2.3 -> 0.2 in three steps), still close unless a gradient is wrong
        tol = 2e-4 if i == 0 else 1e-2
        for a, b in zip(a_step, b_step):
            scale = max(1.0, float(np.abs(a).max()) if a.size else 1.0)
            np.testing.assert_allclose(b, a, rtol=tol, atol=tol * scale, err_msg=f"{name} step {i}")


def test_chain20_and_adam_run():
    for lib in (torch, danlu):
        W.build_chain20(lib, "cpu", True)()
        W.build_adam10m(lib, "cpu", True)()
    # chain20: the gradient is the same function in both libraries
    grads = []
    for lib in (torch, danlu):
        x = lib.linspace(0.1, 1.0, 10).requires_grad_()
        y = x
        for _ in range(5):
            y = ((y * 1.01 + 0.1).sin() - 0.05).exp().sqrt()
        y.sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-4, atol=1e-9)


def test_targets_name_real_workloads():
    assert set(W.TARGETS) <= set(W.WORKLOADS)
