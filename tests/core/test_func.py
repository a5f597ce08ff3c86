"""danlu.func against torch.func: functional_call, grad, vjp, jvp, jacrev/jacfwd, hessian, vmap."""
import numpy as np
import pytest
import torch
import torch.func as tf

import danlu
import danlu.func as df
from tests._oracle import assert_close

rng = np.random.default_rng(0)
X = rng.standard_normal((6, 4))
Y = rng.standard_normal((6, 3))


def both(fn):
    """Run ``fn(lib, F)`` with (danlu, danlu.func) and (torch, torch.func); compare."""
    assert_close(fn(danlu, df), fn(torch, tf))


def _model(lib):
    lib.manual_seed(0)
    m = lib.nn.Sequential(lib.nn.Linear(4, 5), lib.nn.Tanh(), lib.nn.Linear(5, 3)).double()
    w = np.random.default_rng(1)
    with lib.no_grad():
        for p in m.parameters():
            p.copy_(lib.tensor(w.standard_normal(tuple(p.shape))))
    return m


def test_per_example_gradients_of_a_module():
    def fn(lib, F):
        m = _model(lib)
        params = {k: v.detach() for k, v in m.named_parameters()}

        def loss(p, x, y):
            out = F.functional_call(m, p, (x.unsqueeze(0),))
            return ((out - y.unsqueeze(0)) ** 2).mean()

        g = F.vmap(F.grad(loss), in_dims=(None, 0, 0))(params, lib.tensor(X), lib.tensor(Y))
        return [g[k] for k in sorted(g)]

    both(fn)


def test_per_example_matches_loop_and_param_untouched():
    m = _model(danlu)
    before = [p.detach().clone() for p in m.parameters()]
    params = {k: v.detach() for k, v in m.named_parameters()}
    loss = lambda p, x, y: ((df.functional_call(m, p, x) - y) ** 2).sum()  # noqa: E731
    g = df.vmap(df.grad(loss), in_dims=(None, 0, 0))(params, danlu.tensor(X), danlu.tensor(Y))
    for i in range(len(X)):
        m.zero_grad()
        loss(dict(m.named_parameters()), danlu.tensor(X[i]), danlu.tensor(Y[i])).backward()
        for k, p in m.named_parameters():
            assert_close(g[k][i], p.grad)
    for p, b in zip(m.parameters(), before):
        assert_close(p, b)
        assert isinstance(p, danlu.nn.Parameter)


def test_functional_call_differentiable_and_restores():
    def fn(lib, F):
        m = _model(lib)
        w = lib.tensor(X[:5] * 0.5, requires_grad=True)
        out = F.functional_call(m, {"0.weight": w}, lib.tensor(X)).sum()
        out.backward()
        return out, w.grad, m(lib.tensor(X))  # afterwards the module uses its own weight again

    both(fn)


def test_functional_call_buffers_tuple_of_dicts_and_kwargs():
    def fn(lib, F):
        bn = lib.nn.BatchNorm1d(4).double()
        rm = lib.zeros(4, dtype=lib.float64)
        out = F.functional_call(bn, ({"running_mean": rm}, {"weight": lib.full((4,), 2.0, dtype=lib.float64)}),
                                args=(), kwargs={"input": lib.tensor(X)})
        return out, rm, bn.running_mean, bn.weight

    both(fn)


def test_functional_call_errors_and_tied_weights():
    for lib, F in ((danlu, df), (torch, tf)):
        m = lib.nn.Linear(3, 2)
        x = lib.ones(4, 3)
        with pytest.raises(RuntimeError, match=r"Error\(s\) in reparametrizing for Linear:\n\tUnexpected "
                                               r"key\(s\): 'foo'.\n\tMissing key\(s\): 'bias'."):
            F.functional_call(m, {"weight": lib.zeros(2, 3), "foo": lib.ones(1)}, x, strict=True)
        with pytest.raises(ValueError, match=r"\['weight'\] appeared in multiple dictionaries"):
            F.functional_call(m, ({"weight": lib.zeros(2, 3)}, {"weight": lib.ones(2, 3)}), x)
        with pytest.raises(AttributeError, match="Linear has no attribute `a`"):
            F.functional_call(m, {"a.b": lib.ones(1)}, x)
        F.functional_call(m, {"weight": lib.zeros(2, 3), "foo": lib.ones(1)}, x)
        assert not hasattr(m, "foo")
        # tied weights: one value for either name reaches both
        seq = lib.nn.Sequential(lib.nn.Linear(3, 3, bias=False), lib.nn.Linear(3, 3, bias=False))
        seq[1].weight = seq[0].weight
        out = F.functional_call(seq, {"0.weight": lib.eye(3)}, x)
        assert np.allclose(out.detach().numpy(), 1.0)
        out = F.functional_call(seq, {"0.weight": lib.eye(3)}, x, tie_weights=False)
        assert not np.allclose(out.detach().numpy(), 1.0)
        with pytest.raises(ValueError, match="which are tied. Consider using tie_weights=False"):
            F.functional_call(seq, {"0.weight": lib.eye(3), "1.weight": lib.eye(3) * 2}, x)


def test_grad_argnums_aux_and_value():
    def fn(lib, F):
        a, b = lib.tensor(X[0]), lib.tensor(X[1])
        f = lambda x, y: ((x * y).sin().sum(), x.cos())  # noqa: E731
        (ga, gb), aux = F.grad(f, argnums=(0, 1), has_aux=True)(a, b)
        g, (v, aux2) = F.grad_and_value(f, argnums=-1, has_aux=True)(a, b)
        return ga, gb, aux, g, v, aux2, F.grad(lambda x: (x ** 3).sum())(a)

    both(fn)


def test_grad_of_grad_and_differentiable_inputs():
    def fn(lib, F):
        x = lib.tensor(0.7, dtype=lib.float64)
        d2 = F.grad(F.grad(lambda t: t.sin() * t ** 3))(x)
        xr = lib.tensor(X[0], requires_grad=True)
        g = F.grad(lambda t: (t ** 3).sum())(xr)
        (gg,) = lib.autograd.grad(g.sum(), xr)
        g0 = F.grad(lambda t: (t ** 2).sum())(lib.tensor(X[0]))
        return d2, g, gg, g0.requires_grad

    both(fn)


def test_grad_unused_input_is_zero_and_errors():
    def fn(lib, F):
        return F.grad(lambda x, y: (y * 2).sum())(lib.tensor(X[0]), lib.tensor(X[1]))

    both(fn)
    for lib, F in ((danlu, df), (torch, tf)):
        with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, got "
                                               "tensor with 1 dims"):
            F.grad(lambda a: a)(lib.ones(3))
        with pytest.raises(RuntimeError, match="should be a tuple: \\(output, aux\\)"):
            F.grad(lambda a: a.sum(), has_aux=True)(lib.ones(3))
        with pytest.raises(RuntimeError, match="Got argnum=1, but only 1 positional inputs"):
            F.grad(lambda a: a.sum(), argnums=1)(lib.ones(3))
        with pytest.raises(RuntimeError, match="argnums elements must be unique"):
            F.grad(lambda a: a.sum(), argnums=(0, 0))(lib.ones(3))
        with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor"):
            F.grad(lambda a: a.sum())(1.0)


def test_vjp_jvp():
    def fn(lib, F):
        a, b = lib.tensor(X[0]), lib.tensor(X[1])
        f = lambda x, y: (x * y.exp(), (x ** 2).cumsum(0))  # noqa: E731
        out, vjp_fn = F.vjp(f, a, b)
        c = (lib.tensor(Y[0, :1].repeat(4)), lib.tensor(X[2]))
        r1 = vjp_fn(c)
        r2 = vjp_fn(c)  # callable again
        o, jv = F.jvp(f, (a, b), (lib.tensor(X[3]), lib.tensor(X[4])))
        o2, jv2, aux = F.jvp(lambda x: (x.tanh().sum(), x), (a,), (lib.ones_like(a),), has_aux=True)
        return out, r1, r2, o, jv, o2, jv2, aux

    both(fn)
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        df.jvp(lambda x: x, danlu.ones(2), (danlu.ones(2),))


def test_jacrev_jacfwd_hessian():
    def fn(lib, F):
        a, b = lib.tensor(X[0]), lib.tensor(X[1, :3])
        f = lambda x, y: (x.sin()[:3] * y).cumsum(0)  # noqa: E731
        j = F.jacrev(f, argnums=(0, 1))(a, b)
        jf = F.jacfwd(f)(a, b)
        h = F.hessian(lambda x: (x.sin() * x.cos().sum()).prod())(a)
        hd = F.hessian(lambda p: (p["u"] * p["v"].sum() ** 2).sum())({"u": a, "v": b})
        jr2 = F.jacrev(F.jacrev(lambda x: x ** 3))(b)
        jtree = F.jacrev(lambda x: {"s": x.sum(), "p": (x * 2, x.exp())})(b)
        return j, jf, h, hd["u"]["u"], hd["u"]["v"], hd["v"]["v"], jr2, jtree["s"], jtree["p"]

    both(fn)


def test_vmap_in_out_dims_nested_and_tuples():
    def fn(lib, F):
        a, b = lib.tensor(X), lib.tensor(Y)
        r1 = F.vmap(lambda x, y: (x.sum() * y, x.max()))(a, b)
        r2 = F.vmap(lambda x, y: x.outer(y), in_dims=(1, None), out_dims=2)(a, lib.tensor(Y[0]))
        r3 = F.vmap(F.vmap(lambda x, y: x * y, in_dims=(0, None)), in_dims=(None, 0))(a[0], b[:, 0])
        r4 = F.vmap(lambda d: d["p"] + d["q"][0], in_dims=({"p": 0, "q": (1,)},))(
            {"p": a[:, :3], "q": (b.t(),)})
        r5 = F.vmap(lambda x: (x * 2, a.sum()), out_dims=(1, None))(a)
        r6 = F.vmap(lambda x, s: x * s, in_dims=(-1, None))(a, 3.0)
        r7 = F.vmap(lambda x: x.sum(), chunk_size=2)(a)
        return r1, r2, r3, r4, r5, r6, r7

    both(fn)


def test_vmap_errors():
    for lib, F in ((danlu, df), (torch, tf)):
        with pytest.raises(ValueError, match=r"got sizes \[3, 4\] for the mapped dimension"):
            F.vmap(lambda a, b: a + b)(lib.ones(3, 2), lib.ones(4, 2))
        with pytest.raises(ValueError, match="Got in_dim=2 for some input, but that input is a Tensor of "
                                             "dimensionality 2 so expected in_dim to satisfy -2 <= in_dim < 2"):
            F.vmap(lambda a: a, in_dims=2)(lib.ones(3, 2))
        with pytest.raises(ValueError, match="expected `in_dims` to be int or a"):
            F.vmap(lambda a: a, in_dims=None)(lib.ones(3, 2))
        with pytest.raises(ValueError, match="in_dims is not compatible with the structure of `inputs`"):
            F.vmap(lambda a: a, in_dims=(0, 0))(lib.ones(3, 2))
        with pytest.raises(ValueError, match="must only return Tensors, got type <class 'float'>"):
            F.vmap(lambda a: 1.0)(lib.ones(3, 2))
        with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
            F.vmap(lambda a: a)(2.0)
        with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
            F.vmap(lambda a: lib.rand(2) + a)(lib.ones(3, 2))
        with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
            F.vmap(lambda a: a, randomness="foo")
        with pytest.raises(ValueError, match="chunk_size should be None or greater than 0"):
            F.vmap(lambda a: a, chunk_size=0)
        with pytest.raises(ValueError, match="Expected at least one Tensor to vmap over"):
            F.vmap(lambda a: a, in_dims=(None,))(lib.ones(3))


def test_vmap_randomness_same_and_different():
    danlu.manual_seed(0)
    same = df.vmap(lambda a: danlu.rand(3) + a, randomness="same")(danlu.zeros(4, 1))
    assert np.allclose(same.numpy(), same.numpy()[:1])
    diff = df.vmap(lambda a: danlu.rand(3) + a, randomness="different")(danlu.zeros(4, 1))
    assert not np.allclose(diff.numpy(), diff.numpy()[:1])
