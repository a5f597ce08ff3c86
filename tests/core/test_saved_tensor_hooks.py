"""danlu.autograd.graph.saved_tensors_hooks / save_on_cpu / disable_saved_tensors_hooks against torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close, to_danlu, to_torch


def _counting(lib, log, copy=False):
    def pack(t):
        log.append(("pack", lib.is_grad_enabled()))
        return t.detach().clone() if copy else t

    def unpack(p):
        log.append(("unpack", lib.is_grad_enabled()))
        return p

    return lib.autograd.graph.saved_tensors_hooks(pack, unpack)


@pytest.mark.parametrize("fn", [
    lambda x: (x * x).sum(),          # saves both operands
    lambda x: x.exp().sum(),          # saves its output
    lambda x: x.sin().sum(),          # saves its input
    lambda x: x.clone().sum(),        # saves nothing
])
@pytest.mark.parametrize("copy", [False, True])
def test_pack_unpack_counts_and_grads_match_torch(fn, copy):
    a = np.random.default_rng(0).standard_normal(5)
    logs = {}
    grads = {}
    for lib, conv in ((danlu, to_danlu), (torch, to_torch)):
        x = conv(a, True)
        log = []
        with _counting(lib, log, copy):
            y = fn(x)
        n_pack = len(log)
        y.backward()
        logs[lib.__name__] = (n_pack, log)
        grads[lib.__name__] = x.grad
    assert logs["danlu"] == logs["torch"]
    assert_close(grads["danlu"], grads["torch"])


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_mlp_gradients_unchanged_with_copying_hooks(dt):
    rng = np.random.default_rng(1)
    xs, w1, w2 = rng.standard_normal((4, 3)).astype(dt), rng.standard_normal((3, 5)).astype(dt), \
        rng.standard_normal((5, 2)).astype(dt)
    out = {}
    for lib, conv in ((danlu, to_danlu), (torch, to_torch)):
        p = [conv(w1, True), conv(w2, True)]
        store = []

        def pack(t, store=store):
            store.append(t.detach().clone())
            return len(store) - 1

        def unpack(i, store=store):
            return store[i]

        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            loss = (conv(xs).matmul(p[0]).tanh().matmul(p[1]).sigmoid() ** 2).mean()
        loss.backward()
        out[lib.__name__] = [loss] + [q.grad for q in p]
        assert len(store) > 0
    assert_close(out["danlu"], out["torch"])


def test_double_backward_through_unpacked_copies():
    a = np.random.default_rng(2).standard_normal(4)
    res = {}
    for lib, conv in ((danlu, to_danlu), (torch, to_torch)):
        x = conv(a, True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda p: p):
            y = (x.sin() * x).sum() + (x.exp() * 2).exp().sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        res[lib.__name__] = (g, h)
    assert_close(res["danlu"], res["torch"])


def test_custom_function_saves_go_through_hooks():
    a = np.random.default_rng(3).standard_normal(3)
    counts = {}
    for lib, conv in ((danlu, to_danlu), (torch, to_torch)):
        class Exp(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(x, y)
                return y

            @staticmethod
            def backward(ctx, g):
                _, y = ctx.saved_tensors
                return g * y

        x = conv(a, True)
        n = []
        with lib.autograd.graph.saved_tensors_hooks(lambda t: (n.append(1), t.clone())[1], lambda p: p):
            y = Exp.apply(x)
        y.sum().backward()
        counts[lib.__name__] = (len(n), x.grad)
    assert counts["danlu"][0] == counts["torch"][0] == 2
    assert_close(counts["danlu"][1], counts["torch"][1])


def test_wrapped_number_operand_is_packed_too():
    # danlu documents one difference: a Python number operand is a 0-d tensor in danlu's graph,
    # so ``x * 2.0`` saves (and packs) that tensor, where torch saves a Scalar
    x = danlu.ones(3, requires_grad=True)
    log = []
    with _counting(danlu, log):
        y = (x * 2.0).sum()
    y.backward()
    assert [k for k, _ in log] == ["pack", "unpack"]
    assert_close(x.grad, torch.full((3,), 2.0))


def test_unpack_must_return_tensor_and_freed_error():
    for lib in (danlu, torch):
        x = lib.ones(3, requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: 1, lambda p: 5):
            y = x.exp().sum()
        with pytest.raises(TypeError, match="Output of saved tensor unpack_hook expected to be a Tensor "
                                            "but got result of type int"):
            y.backward()
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p):
            y = x.exp().sum()
        y.backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            y.backward()


def test_innermost_hooks_win_and_no_version_check():
    for lib in (danlu, torch):
        seen = []
        x = lib.ones(2, requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: (seen.append("outer"), t)[1], lambda p: p):
            with lib.autograd.graph.saved_tensors_hooks(lambda t: (seen.append("inner"), t.clone())[1],
                                                        lambda p: p):
                (x * x).sum()
            h = x.clone()
            y = (h.sin()).sum()
        assert seen == ["inner", "inner", "outer"]
        with lib.no_grad():
            h.add_(1.0)  # the hook kept the tensor; torch skips the version check with hooks
        y.backward()
        assert_close(x.grad, torch.cos(torch.full((2,), 2.0)), rtol=1e-6, atol=1e-6, check_dtype=False)


def test_save_on_cpu_and_disable():
    a = np.random.default_rng(4).standard_normal((3, 3))
    g = {}
    for lib, conv in ((danlu, to_danlu), (torch, to_torch)):
        x = conv(a, True)
        with lib.autograd.graph.save_on_cpu():
            y = (x.matmul(x).tanh()).sum()
        y.backward()
        g[lib.__name__] = x.grad
        with lib.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            with pytest.raises(RuntimeError, match="no hooks here"):
                with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p):
                    pass
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p):
            with pytest.raises(RuntimeError, match="outer hooks"):
                with lib.autograd.graph.disable_saved_tensors_hooks("outer hooks"):
                    pass
        # the stacks are back to empty: hooks work again
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p):
            pass
    assert_close(g["danlu"], g["torch"])
    assert danlu.autograd.graph._HOOKS == [] and danlu.autograd.graph._DISABLED == []
