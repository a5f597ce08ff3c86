"""Autograd semantics vs torch: accumulation, hooks, grad modes, errors, Function, functional API."""
import warnings

import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close, to_danlu, to_torch

rng = np.random.default_rng(6)


def pair(*shape, rg=True):
    a = rng.standard_normal(shape)
    return to_danlu(a, rg), to_torch(a, rg)


def test_accumulation_and_zeroing():
    for lib, x in zip((danlu, torch), pair(3)):
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        g1 = x.grad.clone()
        x.grad = None
        (x ** 3).sum().backward()
        if lib is danlu:
            d = (g1, x.grad)
        else:
            t = (g1, x.grad)
    assert_close(d, t)


def test_non_leaf_grad_is_none_and_retain_grad():
    x, tx = pair(3)
    y, ty = x * 2, tx * 2
    z, tz = y.exp(), ty.exp()
    y.retain_grad()
    ty.retain_grad()
    z.sum().backward()
    tz.sum().backward()
    assert_close(y.grad, ty.grad)
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert z.grad is None
    assert y.retains_grad and not z.retains_grad and x.is_leaf and not y.is_leaf


def test_retain_grad_with_backward_inputs_and_hook_order():
    """A retained non-leaf passed as ``backward(inputs=...)`` gets its gradient once; hooks run
    in registration order, all before the retain_grad hook (whenever that was registered)."""
    def run(lib):
        out = []
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        h = w * 3
        h.retain_grad()
        z = (h ** 2).sum()
        lib.autograd.grad(z, w, retain_graph=True)
        out.append(h.grad.clone())
        z.backward(inputs=[h], retain_graph=True)
        out.append(h.grad.clone())
        z.backward(inputs=[w], retain_graph=True)
        out += [h.grad.clone(), w.grad.clone()]
        h.register_hook(lambda g: g * 10)
        h.register_hook(lambda g: g + 1)              # order matters: (g*10)+1, not (g+1)*10
        z.backward(inputs=[h], retain_graph=True)
        out.append(h.grad.clone())
        u = h * 1                                     # a non-leaf input is made to retain grad
        (u ** 2).sum().backward(inputs=[u])
        assert u.retains_grad
        out.append(u.grad)
        return out

    assert_close(run(danlu), run(torch))


def test_register_hook_modifies_and_remove():
    x, tx = pair(3)
    seen = []
    for t in (x, tx):
        y = t * 3
        h = y.register_hook(lambda g: g * 2)
        t.register_hook(lambda g: seen.append(g.sum().item()))
        y.sum().backward(retain_graph=True)
        h.remove()
        y.sum().backward()
    assert_close(x.grad, tx.grad)
    assert np.allclose(seen[:2], seen[2:])


def test_post_accumulate_grad_hook():
    x = danlu.ones(2, requires_grad=True)
    calls = []
    x.register_post_accumulate_grad_hook(lambda p: calls.append(p.grad.tolist()))
    (x * 3).sum().backward()
    assert calls == [[3.0, 3.0]]


@pytest.mark.parametrize("lib", [danlu, torch])
def test_grad_modes(lib):
    x = lib.ones(2, requires_grad=True)
    with lib.no_grad():
        assert not (x * 2).requires_grad
        with lib.enable_grad():
            assert (x * 2).requires_grad
    with lib.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        assert not lib.is_grad_enabled()
    assert lib.is_grad_enabled()
    with lib.inference_mode():
        assert not (x * 2).requires_grad
        assert lib.is_inference_mode_enabled()

    @lib.no_grad()
    def f(t):
        return t * 2

    @lib.inference_mode()
    def g(t):
        return t * 2

    @lib.enable_grad()
    def h(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    with lib.no_grad():
        assert h(x).requires_grad
    lib.set_grad_enabled(False)
    assert not (x * 2).requires_grad
    lib.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_version_counter_error():
    for _lib, x in zip((danlu, torch), pair(3)):
        y = x * 1.0
        z = y * x  # saves y
        y.add_(1)
        with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has been "
                                               "modified by an inplace operation"):
            z.sum().backward()
        assert y._version == 1


def test_version_error_through_view():
    x = danlu.randn(4, requires_grad=True)
    y = x.exp()  # saves its output
    y[1:].mul_(2)
    with pytest.raises(RuntimeError, match=r"is at version 1; expected version 0 instead"):
        y.sum().backward()


def test_version_error_message_matches_torch():
    """torch 2.13 names the op without its ``Backward0`` suffix and hints at anomaly detection."""
    def cases(lib):
        a = lib.ones(3, requires_grad=True)

        def saved_input():        # sin saves b; b's grad_fn is now the in-place add's
            b = a * 1
            c = b.sin()
            b.add_(1)
            c.sum().backward()

        def saved_output():       # exp saves its output, which the in-place mul changed
            b = a.exp()
            c = b * 2
            b.mul_(2)
            c.sum().backward()

        def leaf():
            b = a.detach().clone().requires_grad_()
            c = b.sin()
            with lib.no_grad():
                b.add_(1)
            c.sum().backward()

        out = []
        for anomaly in (False, True):
            for fn in (saved_input, saved_output, leaf):
                with lib.autograd.set_detect_anomaly(anomaly):
                    with pytest.raises(RuntimeError) as info, warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        fn()
                out.append(str(info.value).replace("danlu.", "torch."))
        return out

    assert cases(danlu) == cases(torch)


def test_freed_graph_error():
    for x in pair(3):
        y = (x.exp() * x).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            y.backward()


def test_leaf_inplace_error():
    for x in pair(3):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
            x.add_(1)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place operation"):
            x[:2].mul_(2)


INPLACE_ON_VIEW = {
    "slice mul_": lambda lib, b, w: b[1:].mul_(2),
    "narrow add_": lambda lib, b, w: b.narrow(0, 1, 2).add_(w[:2]),
    "view select": lambda lib, b, w: b.view(3, 1)[2].mul_(w[0]),
    "transposed view": lambda lib, b, w: b.view(3, 1).t()[0, :2].mul_(w[1:]),
    "view of view setitem": lambda lib, b, w: b[1:][0:1].__setitem__(0, w[2] * 5),
    "copy_ into view": lambda lib, b, w: b[:2].copy_(w[1:] ** 2),
    "relu_ on view": lambda lib, b, w: b[::2].sub_(w[:2]).relu_(),
}


@pytest.mark.parametrize("name", list(INPLACE_ON_VIEW))
def test_inplace_on_view_rebases_base(name):
    """An in-place op recorded on a view changes its base's history (torch's CopySlices): the
    base's gradient sees the op, on a base that requires grad and on a plain buffer alike."""
    op = INPLACE_ON_VIEW[name]
    a, w = rng.standard_normal(3), rng.standard_normal(3)
    res = []
    for lib, conv in ((danlu, to_danlu), (torch, to_torch)):
        x, wt = conv(a, True), conv(w, True)
        base = x.clone()
        op(lib, base, wt)
        buf = lib.zeros(3, dtype=lib.float64)         # requires no grad until the op
        op(lib, buf, wt)
        loss = (base * lib.arange(1, 4)).sum()
        (loss + (buf ** 2).sum() if buf.requires_grad else loss).backward()
        res.append((base, buf, x.grad, wt.grad, repr(base.grad_fn).split(" ")[0],
                    buf.requires_grad, buf.is_leaf))
    assert_close(res[0][:4], res[1][:4])
    assert res[0][4:] == res[1][4:]


def test_inplace_on_view_of_non_contiguous_base():
    arr = rng.standard_normal((2, 3))
    w = rng.standard_normal(2)
    res = []
    for lib, conv in ((danlu, to_danlu), (torch, to_torch)):
        buf = lib.from_numpy(arr.copy().T)           # a root array that is not C-contiguous
        wt = conv(w, True)
        buf[1].copy_(wt * 3)
        buf[2, :1].mul_(wt[1])
        (buf * lib.from_numpy(arr.T.copy())).sum().backward()
        res.append((buf, wt.grad))
    assert_close(res[0], res[1])


def test_inplace_on_view_made_under_no_grad_is_an_error():
    for lib in (danlu, torch):
        w = lib.ones(2, requires_grad=True)
        h = lib.ones(4, requires_grad=True) * 2
        for base in (h, lib.zeros(4)):
            with lib.no_grad():
                v = base[2:]
            with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is "
                                                   "being modified inplace with grad mode enabled"):
                v.add_(w)
            with lib.no_grad():
                v.add_(w)                             # both inside no_grad: untracked
        assert h.grad_fn.name() == "MulBackward0"
        v = h.detach()[1:]                            # detach() ends the aliasing for autograd
        v.mul_(w[0])
        assert h.grad_fn.name() == "MulBackward0"


def test_backward_non_scalar_error_and_gradient():
    x, tx = pair(3)
    msg = "grad can be implicitly created only for scalar outputs"
    with pytest.raises(RuntimeError, match=msg):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match=msg):
        (tx * 2).backward()
    w = rng.standard_normal(3)
    (x * 2).backward(to_danlu(w))
    (tx * 2).backward(to_torch(w))
    assert_close(x.grad, tx.grad)


def test_requires_grad_errors():
    msg = "only Tensors of floating point dtype can require gradients"
    with pytest.raises(RuntimeError, match=msg):
        danlu.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match=msg):
        torch.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match=msg):
        danlu.zeros(2, dtype=danlu.int64, requires_grad=True)
    y = danlu.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        danlu.ones(2).sum().backward()


def test_long_chain_backward_is_iterative():
    x = danlu.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_only_needed_nodes_run():
    calls = []

    class Spy(danlu.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g

    a = danlu.ones(2, requires_grad=True)
    b = danlu.ones(2, requires_grad=True)
    y = (Spy.apply(a) * b).sum()
    (gb,) = danlu.autograd.grad(y, [b])
    assert calls == [] and gb.tolist() == [1.0, 1.0]


def test_autograd_grad_options():
    for lib, x in zip((danlu, torch), pair(3)):
        u = lib.ones(3, dtype=x.dtype, requires_grad=True)
        y = (x ** 3).sum()
        with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not have been used in the graph"):
            lib.autograd.grad(y, [x, u], retain_graph=True)
        gx, gu = lib.autograd.grad(y, [x, u], allow_unused=True, create_graph=True)
        assert gu is None and gx.requires_grad
        (ggx,) = lib.autograd.grad(gx.sum(), x)
        if lib is danlu:
            d = ggx
        else:
            assert_close(d, ggx)
        outs = [x * 2, x.sin()]
        gs = lib.autograd.grad(outs, x, grad_outputs=[lib.ones_like(x), lib.ones_like(x)])
        if lib is danlu:
            d2 = gs
        else:
            assert_close(d2, gs)


def test_gradient_penalty_double_backward():
    for lib, x in zip((danlu, torch), pair(4)):
        w = lib.tensor([0.5, -1.0, 2.0, 0.1], dtype=x.dtype, requires_grad=True)
        out = ((x * w).tanh() ** 2).sum()
        (g,) = lib.autograd.grad(out, x, create_graph=True)
        pen = (g.norm() - 1) ** 2
        pen.backward()
        if lib is danlu:
            d = (w.grad, x.grad)
        else:
            assert_close(d, (w.grad, x.grad))


def test_detach_and_leaves():
    x = danlu.ones(2, requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    z = x * 2
    z.detach_()
    assert not z.requires_grad
    assert (x * 2).grad_fn.name() == "MulBackward0"
    assert "AccumulateGrad" in (x * 2).grad_fn.next_functions[0][0].name()


class Cube(danlu.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        idx = x.argmax()
        ctx.mark_non_differentiable(idx)
        return x ** 3 * k, idx

    @staticmethod
    def backward(ctx, g, gidx):
        (x,) = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False)
        return 3 * x ** 2 * g * ctx.k, None


def test_custom_function():
    x = danlu.tensor([1.0, 2.0, -1.0], dtype=danlu.float64, requires_grad=True)
    y, i = Cube.apply(x, 2.0)
    assert not i.requires_grad and y.requires_grad and i.item() == 1
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 24.0, 6.0]
    # double backward through a Function whose backward is written in Tensor ops
    assert danlu.autograd.gradgradcheck(lambda t: Cube.apply(t, 1.5)[0], (x.detach().requires_grad_(),))
    with danlu.no_grad():
        y2, _ = Cube.apply(x, 1.0)
    assert y2.grad_fn is None


def test_custom_function_wrong_number_of_grads():
    class Bad(danlu.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = danlu.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Bad.apply(x).sum().backward()


def _split_linear(lib):
    """torch's split style: ``forward`` without ctx, ``setup_context`` saving for backward."""

    class SplitLinear(lib.autograd.Function):
        @staticmethod
        def forward(x, w, b=None, scale=2.0):
            out = x.mm(w.t()) * scale
            return out if b is None else out + b

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, w, b, scale = inputs  # defaults are bound, so all four arrive
            ctx.save_for_backward(x, w)
            ctx.scale, ctx.has_b = scale, b is not None

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            gb = g.sum(0) if ctx.has_b and ctx.needs_input_grad[2] else None
            return g.mm(w) * ctx.scale, g.t().mm(x) * ctx.scale, gb, None

    return SplitLinear


def test_custom_function_setup_context_and_backward_cls():
    xs = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    for with_b in (True, False):
        res = []
        for lib, conv in ((danlu, to_danlu), (torch, to_torch)):
            x, w, b = (conv(a, True) for a in xs)
            out = _split_linear(lib).apply(x, w, b) if with_b else _split_linear(lib).apply(x, w)
            out.pow(2).sum().backward()
            res.append((out, x.grad, w.grad, b.grad, type(out.grad_fn).__name__,
                        out.grad_fn.name()))
        (*dv, dn, dname), (*tv, tn, tname) = res
        assert_close(dv, tv)
        assert (dn, dname) == (tn, tname) == ("SplitLinearBackward",) * 2
    f = _split_linear(danlu)
    out = f.apply(*(to_danlu(a, True) for a in xs))
    assert isinstance(out.grad_fn, f._backward_cls)
    args = tuple(to_danlu(a, True) for a in xs)
    assert danlu.autograd.gradcheck(f.apply, args)
    assert danlu.autograd.gradgradcheck(f.apply, args)


def test_custom_function_vjp_alias():
    class Sq(danlu.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def vjp(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = danlu.tensor([1.0, -3.0], requires_grad=True)
    Sq.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, -6.0]

    class Both(Sq):
        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="Implementing both 'backward' and 'vjp'"):
        Both.apply(x).sum().backward()


def test_custom_function_mark_dirty():
    """An input modified in place and marked dirty is returned as the very same tensor with the
    Function as its history; on a view, the base's history is rebased too."""
    def run(lib):
        class AddOne_(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 3

        out = []
        leaf = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a = leaf * 2
        b = AddOne_.apply(a)
        assert b is a and a.grad_fn.name() == "AddOne_Backward"
        (a * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        out += [a, leaf.grad]
        leaf.grad = None
        base = leaf * 1
        v = AddOne_.apply(base[1:])
        (base * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        out += [base, v, leaf.grad, repr(base.grad_fn).split(" ")[0]]
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used"):
            AddOne_.apply(leaf)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
            AddOne_.apply(leaf[1:])

        class Forgot(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                x.add_(1)
                ctx.mark_dirty(x)
                return y * 2

            @staticmethod
            def backward(ctx, g):
                return g, g

        with pytest.raises(RuntimeError, match="Some elements marked as dirty during the forward"):
            Forgot.apply(leaf * 1, leaf)
        return out

    d, t = run(danlu), run(torch)
    assert_close(d[:5], t[:5])
    assert d[5] == t[5] == "<CopySlices"


def test_once_differentiable_blocks_double_backward():
    """As in torch: under create_graph the gradients sit behind an Error node that raises when
    differentiated again; without a graph to build they are plain."""
    msg = "trying to differentiate twice a function that was marked with @once_differentiable"
    for lib in (danlu, torch):
        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            @lib.autograd.function.once_differentiable
            def backward(ctx, g):
                assert not lib.is_grad_enabled()
                return g * 2

        x = lib.ones(3, requires_grad=True)
        (g,) = lib.autograd.grad(Twice.apply(x).pow(2).sum(), x, create_graph=True)
        assert g.requires_grad and g.grad_fn.name() == "torch::autograd::Error"
        assert g.tolist() == [8.0] * 3
        with pytest.raises(RuntimeError, match=msg):
            g.sum().backward()
        (g,) = lib.autograd.grad(Twice.apply(x).sum(), x, create_graph=True)
        assert not g.requires_grad  # the incoming gradient needed no graph


def test_grad_is_grads_batched():
    """dim 0 of each grad_output is a batch of cotangents: one vjp per entry, stacked."""
    a = rng.standard_normal(3)
    res = []
    for lib, conv in ((danlu, to_danlu), (torch, to_torch)):
        x = conv(a, True)
        u = lib.ones(1, dtype=lib.float64, requires_grad=True)
        y = x ** 3
        eye = lib.eye(3, dtype=lib.float64)
        (jac,) = lib.autograd.grad(y, x, grad_outputs=eye, is_grads_batched=True, retain_graph=True)
        # two outputs, create_graph for a second derivative, an unused input materialized
        gs = lib.autograd.grad([y, y.sum() * 2], [x, u], grad_outputs=[eye, lib.ones(3, dtype=lib.float64)],
                               is_grads_batched=True, create_graph=True, materialize_grads=True)
        (h,) = lib.autograd.grad(gs[0].sum(), x)
        res.append((jac, gs[0], gs[1], h))
    assert_close(res[0], res[1])
    for lib in (danlu, torch):
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match=r"If `is_grads_batched=True`, we interpret the first "
                                               r"dimension .* grad_output\[0\] has a shape of "):
            lib.autograd.grad(x * 3, x, grad_outputs=lib.ones(2, 3), is_grads_batched=True)
        with pytest.raises(ValueError, match="so expected in_dim to satisfy 0 <= in_dim < 0"):
            lib.autograd.grad((x * 3).sum(), x, is_grads_batched=True)
        with pytest.raises(ValueError, match=r"got sizes \[2, 3\] for the mapped dimension"):
            lib.autograd.grad([x * 3, x * 2], x, grad_outputs=[lib.eye(2), lib.ones(3, 2)],
                              is_grads_batched=True)


def test_detect_anomaly_names_forward_op():
    x = danlu.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning) if False else _null():
        with danlu.autograd.detect_anomaly():
            y = x.sqrt()  # d/dx sqrt at 0 is inf; times 0 -> nan
            z = (y * 0).sum()
            with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward0' returned nan values in its 0th output") as e:
                z.backward()
    assert "x.sqrt()" in str(e.value)  # forward traceback included


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_hessian_matches_torch():
    def f(lib):
        return lambda x: (x.sin() * x.roll(1)).sum() + (x ** 3).prod() + lib.logsumexp(x, 0)

    a = rng.standard_normal(4)
    Hd = danlu.autograd.functional.hessian(f(danlu), to_danlu(a))
    Ht = torch.autograd.functional.hessian(f(torch), to_torch(a))
    assert_close(Hd, Ht)

    def g(lib):
        return lambda x, y: (x @ y).tanh().sum() + (x * x).sum() * y.sum()

    b = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    Hd = danlu.autograd.functional.hessian(g(danlu), tuple(to_danlu(v) for v in b))
    Ht = torch.autograd.functional.hessian(g(torch), tuple(to_torch(v) for v in b))
    assert_close(Hd, Ht)


def test_functional_api_matches_torch():
    F = {"d": danlu.autograd.functional, "t": torch.autograd.functional}

    def f(lib):
        return lambda x: (x.exp() * x.flip(0)).cumsum(0)

    def s(lib):
        return lambda x: (x ** 3).sum() * x.sin().sum()

    a, v = rng.standard_normal(3), rng.standard_normal(3)
    for _name in ("jacobian",):
        assert_close(F["d"].jacobian(f(danlu), to_danlu(a)), F["t"].jacobian(f(torch), to_torch(a)))
    assert_close(F["d"].vjp(f(danlu), to_danlu(a), to_danlu(v)), F["t"].vjp(f(torch), to_torch(a), to_torch(v)))
    assert_close(F["d"].jvp(f(danlu), to_danlu(a), to_danlu(v)), F["t"].jvp(f(torch), to_torch(a), to_torch(v)))
    assert_close(F["d"].hvp(s(danlu), to_danlu(a), to_danlu(v)), F["t"].hvp(s(torch), to_torch(a), to_torch(v)))
    assert_close(F["d"].vhp(s(danlu), to_danlu(a), to_danlu(v)), F["t"].vhp(s(torch), to_torch(a), to_torch(v)))
    b = rng.standard_normal((2, 2))
    jd = F["d"].jacobian(lambda x, y: (x @ y, x.sum()), (to_danlu(b), to_danlu(b)))
    jt = F["t"].jacobian(lambda x, y: (x @ y, x.sum()), (to_torch(b), to_torch(b)))
    assert_close(jd, jt)


def test_backward_inputs_argument_and_create_graph():
    x, tx = pair(3)
    w, tw = pair(3)
    for _lib, a, b in ((danlu, x, w), (torch, tx, tw)):
        (a * b).sum().backward(inputs=[a])
        assert b.grad is None
    assert_close(x.grad, tx.grad)
    x.grad = None
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    assert x.grad.requires_grad


def test_saved_tensors_freed_and_retain_graph():
    x = danlu.randn(3, requires_grad=True)
    y = x.exp()
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert np.allclose(x.grad.numpy(), 2 * np.exp(x.detach().numpy()))
