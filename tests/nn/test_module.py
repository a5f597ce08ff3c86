"""nn.Module vs torch.nn.Module: registration, traversal, state dicts, repr, hooks, modes."""
import copy
import re
from collections import OrderedDict

import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close
from tests.nn._models import compare_models, copy_into, twin


def make_net(lib):
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3)
            self.register_buffer("scale", lib.ones(3))
            self.register_buffer("tmp", lib.zeros(3), persistent=False)
            self.register_parameter("absent", None)

        def forward(self, x):
            return self.fc(x) * self.scale

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Linear(5, 4), nn.Identity(), Block())
            self.alpha = nn.Parameter(lib.full((1,), 0.5))
            self.head = nn.ModuleDict({"out": nn.Linear(3, 2)})
            self.extra = nn.ModuleList([nn.Linear(2, 2), nn.Flatten()])

        def forward(self, x):
            h = self.features(x) * self.alpha
            return self.extra[0](self.head["out"](h))

    return Net()


def test_names_keys_and_repr_match_torch():
    dm, tm = twin(make_net)
    assert [n for n, _ in dm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in dm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert [n for n, _ in dm.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [n for n, _ in dm.named_children()] == [n for n, _ in tm.named_children()]
    assert list(dm.state_dict()) == list(tm.state_dict())
    assert repr(dm) == repr(tm)
    assert [type(m).__name__ for m in dm.modules()] == [type(m).__name__ for m in tm.modules()]
    assert len(list(dm.parameters(recurse=False))) == 1
    assert [n for n, _ in dm.named_parameters(prefix="m", recurse=True)][:1] == ["m.alpha"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_and_grads_match_torch(dtype):
    dm, tm = twin(make_net, dtype)
    x = np.random.default_rng(0).standard_normal((6, 5)).astype(dtype)
    compare_models(dm, tm, x)


def test_state_dict_detached_shared_memory():
    m = danlu.nn.Linear(3, 2)
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    w = sd["weight"]
    assert not w.requires_grad and type(w) is danlu.Tensor
    with danlu.no_grad():
        m.weight.fill_(7.0)
    assert float(w[0, 0]) == 7.0  # shares memory like torch
    kv = m.state_dict(keep_vars=True)
    assert kv["weight"] is m.weight
    sd2 = m.state_dict(prefix="enc.")
    assert list(sd2) == ["enc.weight", "enc.bias"]


def test_load_state_dict_errors_like_torch():
    dm, tm = twin(make_net)
    bad_t = {k: v.clone() for k, v in tm.state_dict().items()}
    bad_t.pop("features.0.bias")
    bad_t["features.2.fc.weight"] = torch.zeros(3, 5)
    bad_t["unused.key"] = torch.zeros(1)
    with pytest.raises(RuntimeError) as et:
        tm.load_state_dict(bad_t)
    bad_d = {k: danlu.tensor(v.numpy()) for k, v in bad_t.items()}
    with pytest.raises(RuntimeError) as ed:
        dm.load_state_dict(bad_d)
    assert str(ed.value) == str(et.value).replace("torch.Size", "danlu.Size")
    rd = dm.load_state_dict(bad_d | {"features.2.fc.weight": danlu.zeros(3, 4)}, strict=False)
    rt = tm.load_state_dict(bad_t | {"features.2.fc.weight": torch.zeros(3, 4)}, strict=False)
    assert rd.missing_keys == rt.missing_keys and rd.unexpected_keys == rt.unexpected_keys
    assert repr(rd) == repr(rt)
    assert repr(copy_into(dm, tm)) == "<All keys matched successfully>"
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        dm.load_state_dict([1, 2])


def test_load_state_dict_copies_and_casts():
    m = danlu.nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": danlu.ones(2, 2, dtype=danlu.float64), "bias": danlu.zeros(2)})
    assert m.weight is w and m.weight.dtype == danlu.float32
    assert float(m.weight.sum()) == 4.0
    m.load_state_dict({"weight": danlu.full((2, 2), 2.0), "bias": danlu.zeros(2)}, assign=True)
    assert m.weight is not w and isinstance(m.weight, danlu.nn.Parameter)
    assert float(m.weight.sum()) == 8.0


def test_roundtrip_state_dict_between_models():
    a, b = make_net(danlu), make_net(danlu)
    b.load_state_dict(a.state_dict())
    x = danlu.randn(2, 5)
    assert_close(a(x), b(x).detach().numpy())


def test_attribute_errors_like_torch():
    dm, tm = make_net(danlu), make_net(torch)
    for m in (dm, tm):
        with pytest.raises(AttributeError, match=re.escape("'Net' object has no attribute 'foo'")):
            m.foo  # noqa: B018
    msgs = []
    for lib, m in (("danlu", dm), ("torch", tm)):
        errs = []
        for fn in (lambda: setattr(m, "features", 3),
                   lambda: setattr(m.features[0], "weight", (danlu if lib == "danlu" else torch).zeros(2)),
                   lambda: setattr(m.features[2], "scale", 3),
                   lambda: m.register_buffer("features", None),
                   lambda: m.add_module("a.b", None),
                   lambda: m.register_parameter("w", 3)):
            with pytest.raises((TypeError, KeyError)) as e:
                fn()
            errs.append(str(e.value).replace("torch.FloatTensor", "X").replace("danlu.FloatTensor", "X"))
        msgs.append(errs)
    assert msgs[0] == msgs[1]
    with pytest.raises(AttributeError, match="Linear has no attribute `foo`"):
        dm.get_submodule("features.0.foo")
    assert dm.get_submodule("features.2.fc") is dm.features[2].fc
    assert dm.get_parameter("features.2.fc.bias") is dm.features[2].fc.bias
    assert dm.get_buffer("features.2.scale") is dm.features[2].scale


def test_setattr_moves_between_registries_and_delattr():
    m = danlu.nn.Module()
    m.x = danlu.nn.Parameter(danlu.ones(1))
    assert "x" in m._parameters
    m.x = None
    assert m.x is None and list(m.parameters()) == []
    m.y = danlu.nn.Linear(1, 1)
    del m.y
    assert not hasattr(m, "y") and list(m.children()) == []
    m.register_buffer("b", danlu.ones(2))
    m.b = danlu.zeros(2)
    assert "b" in m._buffers and float(m.b.sum()) == 0
    m.plain = 3
    assert m.plain == 3 and "plain" in dir(m)
    m.bb = danlu.nn.Buffer(danlu.ones(1), persistent=False)
    assert "bb" in dict(m.named_buffers()) and "bb" not in m.state_dict()
    q = danlu.nn.Parameter(danlu.ones(1))
    q.grad_fn = (danlu.ones(1, requires_grad=True) * 2).grad_fn
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'z'"):
        m.register_parameter("z", q)


def test_shared_parameters_dedupe_and_accumulate():
    for lib in (danlu, torch):
        lin = lib.nn.Linear(3, 3)
        net = lib.nn.Sequential(lin, lib.nn.ReLU() if hasattr(lib.nn, "ReLU") else lib.nn.Identity(), lin)
        assert len(list(net.parameters())) == 2
        assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]
        assert len(list(net.named_parameters(remove_duplicate=False))) == 4
        assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
        assert len(list(net.modules())) == 3
    dm, tm = twin(lambda lib: (lambda l: lib.nn.Sequential(l, lib.nn.Identity(), l))(lib.nn.Linear(3, 3)))
    x = np.random.default_rng(1).standard_normal((4, 3)).astype("float32")
    compare_models(dm, tm, x)


def test_train_eval_requires_grad_zero_grad_apply():
    m = make_net(danlu)
    assert m.training and all(c.training for c in m.modules())
    assert m.eval() is m and not any(c.training for c in m.modules())
    m.train()
    assert all(c.training for c in m.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")
    m(danlu.randn(2, 5)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    tseen = []
    make_net(torch).apply(lambda mod: tseen.append(type(mod).__name__))
    assert seen == tseen

    def init(mod):
        if isinstance(mod, danlu.nn.Linear):
            danlu.nn.init.zeros_(mod.weight)
    m.apply(init)
    assert float(m.features[0].weight.abs().sum()) == 0


def test_to_dtype_keeps_parameter_objects():
    m = make_net(danlu)
    ps = list(m.parameters())
    assert m.double() is m
    assert all(p.dtype == danlu.float64 for p in m.parameters())
    assert [id(p) for p in m.parameters()] == [id(p) for p in ps]
    assert m.features[2].scale.dtype == danlu.float64
    m.to(danlu.float32)
    assert all(p.dtype == danlu.float32 for p in m.parameters())
    m.to("cpu").cpu().float()
    with pytest.raises(TypeError, match="only accepts floating point"):
        m.to(danlu.int64)
    m.register_buffer("steps", danlu.tensor(3))
    m.double()
    assert m.steps.dtype == danlu.int64


def test_forward_hooks():
    for lib in (danlu, torch):
        m = lib.nn.Linear(2, 2)
        log = []
        h1 = m.register_forward_pre_hook(lambda mod, args: log.append(("pre", len(args))))
        h2 = m.register_forward_hook(lambda mod, args, out: out * 0)
        h3 = m.register_forward_pre_hook(lambda mod, args, kw: (args, {}), with_kwargs=True)
        h4 = m.register_forward_hook(lambda mod, args, kw, out: log.append(("post", tuple(out.shape))),
                                     with_kwargs=True, prepend=True)
        y = m(lib.ones(3, 2))
        assert float(y.detach().abs().sum()) == 0
        assert log == [("pre", 1), ("post", (3, 2))]
        for h in (h1, h2, h3, h4):
            h.remove()
        with m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,)):
            assert float(m(lib.ones(1, 2)).sub(m.bias).detach().abs().sum()) == 0
        assert not m._forward_pre_hooks


def test_always_call_hook_runs_on_error():
    class Bad(danlu.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m, calls = Bad(), []
    m.register_forward_hook(lambda mod, a, out: calls.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(danlu.ones(1))
    assert calls == [None]


def test_full_backward_hook_matches_torch():
    torch.manual_seed(0)
    tm = torch.nn.Linear(3, 2)
    dm = danlu.nn.Linear(3, 2)
    copy_into(dm, tm)
    recs = {}
    for lib, m in ((torch, tm), (danlu, dm)):
        rec = recs[lib.__name__] = []
        m.register_full_backward_pre_hook(lambda mod, go, rec=rec: rec.append(("pre", go[0].numpy().copy())))
        m.register_full_backward_hook(
            lambda mod, gi, go, rec=rec: rec.append(("post", gi[0].numpy().copy(), go[0].numpy().copy()))
            or (gi[0] * 2,))
        x = lib.tensor(np.arange(6.0, dtype="float32").reshape(2, 3), requires_grad=True)
        m(x).pow(2).sum().backward()
        rec.append(("xgrad", x.grad.numpy().copy(), m.weight.grad.numpy().copy()))
    d, t = recs["danlu"], recs["torch"]
    assert [r[0] for r in d] == [r[0] for r in t] == ["pre", "post", "xgrad"]
    for a, b in zip(d, t):
        for u, v in zip(a[1:], b[1:]):
            np.testing.assert_allclose(u, v, rtol=1e-5)


def test_deepcopy_and_parameters_independent():
    m = make_net(danlu)
    m2 = copy.deepcopy(m)
    assert list(m2.state_dict()) == list(m.state_dict())
    for p, q in zip(m.parameters(), m2.parameters()):
        assert p is not q and isinstance(q, danlu.nn.Parameter) and q.requires_grad
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    with danlu.no_grad():
        m2.alpha.fill_(9.0)
    assert float(m.alpha) == 0.5
    x = danlu.randn(2, 5)
    m2.alpha.data = m.alpha.data.clone()
    assert_close(m(x), m2(x).detach().numpy())


def test_missing_forward_and_init_order_errors():
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        danlu.nn.Module()(1)

    class Early(danlu.nn.Module):
        def __init__(self):
            self.w = danlu.nn.Parameter(danlu.ones(1))

    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        Early()


def test_state_dict_hooks_and_extra_state():
    class WithExtra(danlu.nn.Module):
        def __init__(self):
            super().__init__()
            self.k = 1

        def get_extra_state(self):
            return {"k": self.k}

        def set_extra_state(self, st):
            self.k = st["k"]

    a = WithExtra()
    a.k = 5
    sd = a.state_dict()
    assert sd["_extra_state"] == {"k": 5}
    b = WithExtra()
    b.load_state_dict(sd)
    assert b.k == 5
    seen = []
    b.register_load_state_dict_post_hook(lambda mod, keys: seen.append(keys))
    b.load_state_dict(sd)
    assert len(seen) == 1 and seen[0].missing_keys == []
