"""danlu.utils.checkpoint against torch.utils.checkpoint: same values and gradients, the RNG
replayed for dropout, torch's warnings/errors, and a real memory saving (saved arrays in the graph)."""
import warnings

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tcp

import danlu
import danlu.utils.checkpoint as dcp
from tests._oracle import assert_close

rng = np.random.default_rng(0)
X = rng.standard_normal((5, 6))


def _mlp(lib, depth=6, width=6, dropout=0.0):
    w = np.random.default_rng(1)
    layers = []
    for _ in range(depth):
        lin = lib.nn.Linear(width, width).double()
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(w.standard_normal((width, width)) * 0.5))
            lin.bias.copy_(lib.tensor(w.standard_normal(width) * 0.1))
        layers += [lin, lib.nn.Tanh()] + ([lib.nn.Dropout(dropout)] if dropout else [])
    return lib.nn.Sequential(*layers)


def _run(lib, cp, reentrant, how):
    m = _mlp(lib)
    x = lib.tensor(X, requires_grad=True)
    if how == "seq":
        y = cp.checkpoint_sequential(m, 3, x, use_reentrant=reentrant)
    else:
        h = cp.checkpoint(m[:4], x, use_reentrant=reentrant)
        h = cp.checkpoint(lambda a, b: m[4:](a) * b, h, 2.0, use_reentrant=reentrant)
        y = m[8:](h)
    (y ** 2).sum().backward()
    return y, x.grad, [p.grad for p in m.parameters()]


@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("how", ["seq", "fn"])
def test_values_and_gradients_match_torch(reentrant, how):
    assert_close(_run(danlu, dcp, reentrant, how), _run(torch, tcp, reentrant, how))


def test_gradients_identical_to_plain_run_with_dropout():
    def run(cp, reentrant):
        danlu.manual_seed(0)
        m = _mlp(danlu, dropout=0.3)
        x = danlu.tensor(X, requires_grad=True)
        danlu.manual_seed(5)
        y = m(x) if cp is None else cp(m, 3, x, use_reentrant=reentrant)
        danlu.rand(3)  # the generator moves on before the backward
        (y ** 2).sum().backward()
        return y, x.grad, [p.grad for p in m.parameters()]

    ref = run(None, None)
    for reentrant in (True, False):
        np.testing.assert_array_equal(run(dcp.checkpoint_sequential, reentrant)[0].detach().numpy(),
                                      ref[0].detach().numpy())
        assert_close(run(dcp.checkpoint_sequential, reentrant), ref)


def test_non_reentrant_with_autograd_grad_and_params_only():
    def fn(lib, cp):
        m = _mlp(lib, depth=3)
        x = lib.tensor(X)  # no input requires grad: the parameters still get gradients
        y = cp.checkpoint(m, x, use_reentrant=False).sum()
        return lib.autograd.grad(y, list(m.parameters()))

    assert_close(fn(danlu, dcp), fn(torch, tcp))


def test_reentrant_errors_and_warnings():
    for lib, cp in ((danlu, dcp), (torch, tcp)):
        m = _mlp(lib, depth=2)
        x = lib.tensor(X, requires_grad=True)
        with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
            y = cp.checkpoint(m, x)
        with pytest.raises(RuntimeError, match="incompatible with .grad\\(\\) or passing an `inputs`"):
            lib.autograd.grad(y.sum(), x)
        with pytest.warns(UserWarning, match="use_reentrant parameter should be passed"):
            cp.checkpoint_sequential(m, 2, x)
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            out = cp.checkpoint(m, lib.tensor(X), use_reentrant=True)
        assert not out.requires_grad
        with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
            cp.checkpoint(m, x, use_reentrant=True, foo=1)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            cp.checkpoint(lambda a, s=1.0: m(a) * s, x, use_reentrant=False, s=2.0).sum().backward()


def _saved_bytes(t):
    """Bytes of the arrays the autograd graph of ``t`` keeps for its backward."""
    total, seen, stack = 0, set(), [t.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        for s in getattr(n, "_saved", ()) or ():
            if isinstance(s, danlu.Tensor):
                total += s._data.nbytes
        out = getattr(n, "_out", None)
        if isinstance(out, tuple):
            total += out[0].nbytes
        elif isinstance(out, list):
            total += sum(o[0].nbytes for o in out)
        stack += [e[0] for e in n.next_edges if e is not None and e[1] >= 0]
    return total


@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpointing_saves_memory(reentrant):
    m = _mlp(danlu, depth=16, width=32)
    x = danlu.randn(64, 32, dtype=danlu.float64, requires_grad=True)
    plain = _saved_bytes(m(x).sum())
    ck = dcp.checkpoint_sequential(m, 4, x, use_reentrant=reentrant).sum()
    saved = _saved_bytes(ck)
    # 4 segments of 8 modules: the graph keeps 3 segment inputs + the last segment's activations
    assert saved < plain / 2.5, (saved, plain)
    ck.backward()
    assert m[0].weight.grad is not None
