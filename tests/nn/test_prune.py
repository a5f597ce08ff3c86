"""nn.utils.prune vs torch: masks, reparametrization (``<name>_orig`` / ``<name>_mask`` and the
forward pre-hook), combined methods, global pruning, ``remove`` and the errors."""
import numpy as np
import pytest
import torch
import torch.nn.utils.prune  # noqa: F401 - torch does not import it with torch.nn.utils

import danlu
from tests._oracle import assert_close

rng = np.random.default_rng(12)


def _pair(shape, seed=0):
    """The same Linear(in, out) / Conv2d(in, out, k) in both libraries with NumPy weights (no
    ties in |w|)."""
    out = []
    for lib in (danlu, torch):
        m = lib.nn.Conv2d(*shape) if len(shape) == 3 else lib.nn.Linear(*shape)
        with lib.no_grad():
            for p in m.parameters():
                p.copy_(lib.from_numpy(np.random.default_rng(seed).standard_normal(tuple(p.shape))
                                       .astype(np.float32)))
        out.append(m)
    return out


def _state(m, lib):
    return (sorted(n for n, _ in m.named_parameters()), sorted(n for n, _ in m.named_buffers()),
            list(m.state_dict().keys()))


@pytest.mark.parametrize("amount", [0.3, 5, 0, 1.0])
def test_l1_unstructured_matches_torch(amount):
    dm, tm = _pair((6, 4))
    x = rng.standard_normal((3, 6)).astype(np.float32)
    for lib, m in ((danlu, dm), (torch, tm)):
        lib.nn.utils.prune.l1_unstructured(m, "weight", amount=amount)
    assert _state(dm, danlu) == _state(tm, torch)
    assert_close(dm.weight_mask, tm.weight_mask)
    assert_close(dm.weight, tm.weight)
    yd, yt = dm(danlu.from_numpy(x)), tm(torch.from_numpy(x))
    yd.pow(2).sum().backward()
    yt.pow(2).sum().backward()
    assert_close(yd, yt)
    assert_close(dm.weight_orig.grad, tm.weight_orig.grad)   # zero where pruned
    assert danlu.nn.utils.prune.is_pruned(dm)


def test_importance_scores_and_prune_method():
    dm, tm = _pair((3, 5))
    scores = rng.standard_normal((5, 3)).astype(np.float32)
    for lib, m in ((danlu, dm), (torch, tm)):
        lib.nn.utils.prune.l1_unstructured(m, "bias", amount=1,
                                           importance_scores=lib.from_numpy(scores[:, 0].copy()))
        lib.nn.utils.prune.l1_unstructured(m, "weight", amount=0.4, importance_scores=lib.from_numpy(scores))
    assert_close([dm.weight_mask, dm.bias_mask], [tm.weight_mask, tm.bias_mask])
    t = rng.standard_normal((2, 5)).astype(np.float32)
    outs = [lib.nn.utils.prune.L1Unstructured(amount=3).prune(lib.from_numpy(t)) for lib in (danlu, torch)]
    assert_close(outs[0], outs[1])


def test_repeated_pruning_builds_a_container():
    dm, tm = _pair((4, 3, 3), seed=3)
    x = rng.standard_normal((1, 4, 5, 5)).astype(np.float32)
    res = []
    for lib, m in ((danlu, dm), (torch, tm)):
        P = lib.nn.utils.prune
        P.l1_unstructured(m, "weight", amount=0.25)
        P.ln_structured(m, "weight", amount=1, n=2, dim=0)
        P.ln_structured(m, "weight", amount=0.5, n=float("inf"), dim=1)
        P.custom_from_mask(m, "weight", mask=lib.from_numpy((np.arange(108) % 7 != 0)
                                                             .reshape(3, 4, 3, 3)))
        hooks = [h for h in m._forward_pre_hooks.values() if isinstance(h, P.BasePruningMethod)]
        assert len(hooks) == 1 and isinstance(hooks[0], P.PruningContainer) and len(hooks[0]) == 4
        assert [type(h).__name__ for h in hooks[0]] == ["L1Unstructured", "LnStructured",
                                                        "LnStructured", "CustomFromMask"]
        y = m(lib.from_numpy(x))
        y.sum().backward()
        res.append((m.weight_mask, y, m.weight_orig.grad))
        P.remove(m, "weight")
        assert isinstance(m.weight, lib.nn.Parameter) and not P.is_pruned(m)
        res.append((m.weight,))
    assert_close(res[0], res[2])
    assert_close(res[1], res[3])
    assert _state(dm, danlu) == _state(tm, torch)


@pytest.mark.parametrize("n,dim", [(1, 0), (2, 1), (float("-inf"), -1), (3, 2), ("fro", 0)])
def test_ln_structured_matches_torch(n, dim):
    dm, tm = _pair((4, 5) if n == "fro" else (5, 4, 2), seed=5)   # 'fro' needs <= 2 norm dims
    for lib, m in ((danlu, dm), (torch, tm)):
        lib.nn.utils.prune.ln_structured(m, "weight", amount=0.4, n=n, dim=dim)
    assert_close(dm.weight_mask, tm.weight_mask)


def test_global_unstructured_matches_torch():
    (d1, t1), (d2, t2) = _pair((4, 5), seed=1), _pair((5, 2), seed=2)
    s = rng.standard_normal((2, 5)).astype(np.float32)   # scores for the (2, 5) weight of d2
    for lib, a, b in ((danlu, d1, d2), (torch, t1, t2)):
        P = lib.nn.utils.prune
        P.l1_unstructured(b, "weight", amount=2)
        P.global_unstructured([(a, "weight"), (b, "weight"), (b, "bias")],
                              pruning_method=P.L1Unstructured, amount=0.35,
                              importance_scores={(b, "weight"): lib.from_numpy(s.copy())})
    assert_close([d1.weight_mask, d2.weight_mask, d2.bias_mask],
                 [t1.weight_mask, t2.weight_mask, t2.bias_mask])
    assert _state(d2, danlu) == _state(t2, torch)


def test_random_methods_prune_the_right_counts():
    m = danlu.nn.Conv2d(3, 6, 2)
    P = danlu.nn.utils.prune
    P.random_unstructured(m, "weight", amount=0.5)
    assert int((m.weight_mask == 0).sum()) == round(0.5 * m.weight.numel())
    P.random_structured(m, "weight", amount=2, dim=0)
    per_out = m.weight_mask.sum(dim=(1, 2, 3))
    assert int((per_out == 0).sum()) >= 2
    P.identity(m, "bias")
    assert bool((m.bias_mask == 1).all())
    assert (m.weight == m.weight_orig * m.weight_mask).all()


def test_errors_match_torch():
    for lib in (danlu, torch):
        P = lib.nn.utils.prune
        m = lib.nn.Linear(3, 2)
        with pytest.raises(ValueError, match=r"amount=1.5 should either be a float in the range \[0, 1\]"):
            P.l1_unstructured(m, "weight", amount=1.5)
        with pytest.raises(TypeError, match="Invalid type for amount"):
            P.l1_unstructured(m, "weight", amount="a")
        with pytest.raises(ValueError, match="amount=7 should be smaller than the number of parameters"):
            P.l1_unstructured(m, "weight", amount=7)
        assert "weight" in dict(m.named_parameters())    # a failed prune leaves the module as it was
        with pytest.raises(ValueError, match="Structured pruning can only be applied to multidimensional"):
            P.ln_structured(m, "bias", amount=1, n=2, dim=0)
        with pytest.raises(IndexError, match="Invalid index 2 for tensor of size"):
            P.ln_structured(m, "weight", amount=1, n=2, dim=2)
        with pytest.raises(ValueError, match="Parameter 'weight' of module .* has to be pruned"):
            P.remove(m, "weight")
        with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE supported'):
            P.global_unstructured([(m, "weight")], pruning_method=P.LnStructured, amount=1, n=2)
        ident = P.Identity()
        ident._tensor_name = "weight"
        container = P.PruningContainer(ident)
        with pytest.raises(TypeError, match="is not a BasePruningMethod subclass"):
            container.add_pruning_method(3)
        other = P.Identity()
        other._tensor_name = "bias"
        with pytest.raises(ValueError, match="Can only add pruning methods acting on the parameter "
                                             "named 'weight'"):
            container.add_pruning_method(other)
