"""``danlu.autograd.forward_ad`` against ``torch.autograd.forward_ad`` (tangents, primals, errors)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfw

import danlu
import danlu.autograd.forward_ad as dfw
from tests._oracle import assert_close, to_danlu, to_torch

LIBS = ((danlu, dfw), (torch, tfw))


def _rand(*shape, seed=0):
    return np.random.default_rng(seed + len(shape)).standard_normal(shape)


def _jvp_both(fn, primals, tangents):
    """``unpack_dual(fn(lib, *duals))`` in danlu and torch (a tuple of outputs allowed)."""
    res = []
    for lib, fw in LIBS:
        conv = to_danlu if lib is danlu else to_torch
        with fw.dual_level():
            duals = [fw.make_dual(conv(p), conv(t)) for p, t in zip(primals, tangents)]
            out = fn(lib, *duals)
            outs = out if isinstance(out, tuple) else (out,)
            res.append([fw.unpack_dual(o) for o in outs])
    return res


def _check(fn, primals, tangents):
    d, t = _jvp_both(fn, primals, tangents)
    for (dp, dt), (tp, tt) in zip(d, t):
        assert_close(dp, tp)
        assert_close(dt, tt)


CASES = {
    "elementwise": (lambda L, x: (x.sin() * x.exp() + x.tanh() ** 2) / (1 + x * x), [(3, 4)]),
    "log_sqrt": (lambda L, x: (x * x + 1).log() + (x.abs() + 0.5).sqrt(), [(5,)]),
    "matmul": (lambda L, a, b: a @ b, [(3, 4), (4, 2)]),
    "reductions": (lambda L, x: (x.sum(0), x.mean(), (x * x).sum(1, keepdim=True), x.amax(1)),
                   [(3, 4)]),
    "broadcast": (lambda L, a, b: a * b + b.exp(), [(3, 1), (4,)]),
    "softmax": (lambda L, x: L.nn.functional.softmax(x, dim=-1), [(2, 5)]),
    "log_softmax": (lambda L, x: L.nn.functional.log_softmax(x * 2, dim=0), [(3, 4)]),
    "shape_ops": (lambda L, x: x.t().reshape(-1)[1:5].unsqueeze(0).expand(2, 4), [(3, 2)]),
    "scalar": (lambda L, x: (x ** 3).sum(), [()]),
    "conv2d": (lambda L, x, w: L.nn.functional.conv2d(x, w, padding=1), [(1, 2, 4, 4), (3, 2, 3, 3)]),
    "layer_norm": (lambda L, x: L.nn.functional.layer_norm(x, (4,)), [(3, 4)]),
    "cross_entropy": (lambda L, x: L.nn.functional.cross_entropy(x, L.tensor([0, 2, 1])), [(3, 4)]),
    "where_clamp": (lambda L, x: L.where(x > 0, x.clamp(max=0.5), x * x), [(6,)]),
    "inv": (lambda L, x: L.linalg.inv(x + 3 * L.eye(3, dtype=x.dtype)), [(3, 3)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_tangents_match_torch(name):
    fn, shapes = CASES[name]
    primals = [_rand(*s, seed=i) for i, s in enumerate(shapes)]
    tangents = [_rand(*s, seed=10 + i) for i, s in enumerate(shapes)]
    _check(fn, primals, tangents)


def test_mlp_jvp_wrt_input():
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3)).double()
    dnet = danlu.nn.Sequential(danlu.nn.Linear(4, 6), danlu.nn.Tanh(), danlu.nn.Linear(6, 3)).double()
    for dp, tp in zip(dnet.parameters(), tnet.parameters()):
        with danlu.no_grad():
            dp.copy_(danlu.from_numpy(tp.detach().numpy().copy()))
    x, v = _rand(5, 4), _rand(5, 4, seed=3)
    with dfw.dual_level():
        dy, dt = dfw.unpack_dual(dnet(dfw.make_dual(to_danlu(x), to_danlu(v))))
    with tfw.dual_level():
        ty, tt = tfw.unpack_dual(tnet(tfw.make_dual(to_torch(x), to_torch(v))))
    assert_close(dy, ty)
    assert_close(dt, tt)
    # parameters require grad: the primal stays reverse-differentiable, as in torch
    assert dy.requires_grad and ty.requires_grad
    # and the same J v from the double-vjp jvp of autograd.functional
    _, jv = danlu.autograd.functional.jvp(lambda a: dnet(a), to_danlu(x), to_danlu(v))
    assert_close(dt, jv.numpy())


def test_several_duals_and_unused_dual():
    a, b, c = _rand(3), _rand(3, seed=1), _rand(3, seed=2)
    ta, tb, tc = _rand(3, seed=4), _rand(3, seed=5), _rand(3, seed=6)
    _check(lambda L, x, y, z: (x * y.cos(), y.exp(), x + 0 * y), [a, b, c], [ta, tb, tc])
    # an output independent of every dual has no tangent; one of several duals unused is fine
    for lib, fw in LIBS:
        conv = to_danlu if lib is danlu else to_torch
        with fw.dual_level():
            x = fw.make_dual(conv(a), conv(ta))
            fw.make_dual(conv(b), conv(tb))
            plain = conv(c) * 2
            assert fw.unpack_dual(plain).tangent is None
            assert fw.unpack_dual((x > 0).to(x.dtype) if lib is torch else (x > 0)).tangent is None
            assert_close(fw.unpack_dual(x * 3).tangent, 3 * ta)


def test_inplace_on_non_leaf():
    def f(L, x, y):
        z = x.clone()
        z.mul_(y)
        z.add_(x.exp())
        z[0] = y[1] * 2
        return z

    _check(f, [_rand(4), _rand(4, seed=1)], [_rand(4, seed=2), _rand(4, seed=3)])


def test_tangent_dtype_and_identity():
    x, t = _rand(3), _rand(3, seed=1)
    with dfw.dual_level():
        tan = to_danlu(t).float()
        d = dfw.make_dual(to_danlu(x), tan)
        p, dt = dfw.unpack_dual(d)
        assert dt is tan  # the dual's own tangent, as given (torch: "as-is")
        assert p._base is not None and not p.requires_grad
        _, t2 = dfw.unpack_dual(d * 2)
        assert t2.dtype == danlu.float64  # downstream tangents take the primal's dtype (as torch)
        assert_close(t2, 2 * t.astype(np.float32).astype(np.float64))
    with tfw.dual_level():
        _, tt2 = tfw.unpack_dual(tfw.make_dual(to_torch(x), to_torch(t).float()) * 2)
    assert tt2.dtype == torch.float64


def test_after_exit_and_outside_level():
    x, t = to_danlu(_rand(3)), to_danlu(_rand(3, seed=1))
    with dfw.dual_level() as lvl:
        assert lvl == 0
        y = dfw.make_dual(x, t).exp()
    res = dfw.unpack_dual(y)
    assert isinstance(res, dfw.UnpackedDualTensor) and res.primal is y and res.tangent is None
    assert dfw.unpack_dual(y, level=-1).tangent is None
    # a new level does not see the old level's duals
    with dfw.dual_level():
        assert dfw.unpack_dual(y).tangent is None
    lvl = dfw.enter_dual_level()
    d = dfw.make_dual(x, t)
    assert_close(dfw.unpack_dual(d.sin(), level=lvl).tangent, (x.cos() * t).numpy())
    dfw.exit_dual_level(level=lvl)


def test_primal_carries_no_tangent_but_stays_differentiable():
    xa, ta = _rand(3), _rand(3, seed=1)
    for lib, fw in LIBS:
        conv = to_danlu if lib is danlu else to_torch
        x = conv(xa, requires_grad=True)
        with fw.dual_level():
            y = fw.make_dual(x, conv(ta)).exp()
            p, _ = fw.unpack_dual(y)
            assert fw.unpack_dual(p * 2).tangent is None
            assert p.requires_grad
            p.sum().backward()
        assert_close(x.grad, np.exp(xa))


def test_reverse_over_forward():
    """The tangent is reverse-differentiable w.r.t. tensors that require grad (torch too)."""
    xa, ta = _rand(4), _rand(4, seed=1)
    grads = []
    for lib, fw in LIBS:
        conv = to_danlu if lib is danlu else to_torch
        x = conv(xa, requires_grad=True)
        with fw.dual_level():
            _, jt = fw.unpack_dual((fw.make_dual(x, conv(ta)) ** 3).sin())
            (jt * jt).sum().backward()
        grads.append(x.grad)
    assert_close(*grads)


def test_forward_over_reverse_hvp():
    """Tangent of a gradient built with create_graph: H t."""
    xa, ta = _rand(4), _rand(4, seed=1)
    with dfw.dual_level():
        d = dfw.make_dual(to_danlu(xa), to_danlu(ta))
        (g,) = danlu.autograd.grad((d.sin() * d).sum(), d, create_graph=True)
        _, hv = dfw.unpack_dual(g)
    x = to_torch(xa)
    h = torch.autograd.functional.hessian(lambda a: (a.sin() * a).sum(), x)
    assert_close(hv, h @ to_torch(ta))


def test_agrees_with_functional_jvp():
    a, b = _rand(3, 4), _rand(4, seed=1)
    ta, tb = _rand(3, 4, seed=2), _rand(4, seed=3)

    def f(x, y):
        return (x @ y).tanh() * y.sum()

    _, jv = danlu.autograd.functional.jvp(f, (to_danlu(a), to_danlu(b)), (to_danlu(ta), to_danlu(tb)))
    with dfw.dual_level():
        _, t = dfw.unpack_dual(f(dfw.make_dual(to_danlu(a), to_danlu(ta)),
                                 dfw.make_dual(to_danlu(b), to_danlu(tb))))
    assert_close(t, jv.numpy())


def _errors(fw, lib):
    conv = to_danlu if lib is danlu else to_torch
    x, t = conv(_rand(3)), conv(_rand(3, seed=1))
    out = []

    def catch(f):
        try:
            f()
        except (RuntimeError, ValueError, TypeError) as e:
            out.append((type(e).__name__, str(e)))
        else:
            out.append(None)

    catch(lambda: fw.make_dual(x, t))
    with fw.dual_level():
        catch(lambda: fw.enter_dual_level())
        catch(lambda: fw.make_dual(x, conv(_rand(4))))
        catch(lambda: fw.make_dual(conv(np.arange(3)), t))
        catch(lambda: fw.make_dual(x, conv(np.arange(3))))
        catch(lambda: fw.make_dual(x, t, level=3))
        catch(lambda: fw.unpack_dual(x, level=3))
        d = fw.make_dual(x, t)
        catch(lambda: fw.unpack_dual(d * 2, level=3))
        catch(lambda: fw.make_dual(d * 2, t))
        catch(lambda: fw.unpack_dual(1.0))
        catch(lambda: fw.exit_dual_level(level=1))
    catch(lambda: fw.exit_dual_level())
    return out


def test_errors_as_torch():
    d, t = _errors(dfw, danlu), _errors(tfw, torch)
    assert len(d) == len(t) == 12
    for a, b in zip(d, t):
        if b is None:  # unpack_dual of a plain tensor at a bad level: no error in torch
            assert a is None
            continue
        assert a is not None
        assert a[0] == b[0]
        assert a[1] == b[1].replace("torch.", "danlu."), (a, b)
