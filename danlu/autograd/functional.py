"""``autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp (torch's signatures)."""
from __future__ import annotations

from .grad_mode import enable_grad


def _tup(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _prep(inputs, create_graph):
    from .._tensor import Tensor

    out = []
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError("The inputs given to the function must be Tensors")
        d = t if create_graph and t._rg else t.detach()
        out.append(d.requires_grad_(True) if not d._rg else d)
    return tuple(out)


def _grad(outs, ins, gos, create_graph):
    from . import grad

    res = grad(outs, ins, gos, retain_graph=True, create_graph=create_graph, allow_unused=True)
    from .. import _creation

    return tuple(r if r is not None else _creation.zeros_like(i) for r, i in zip(res, ins))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``."""
    with enable_grad():
        ins, is_t = _tup(inputs)
        ins = _prep(ins, create_graph)
        out = func(*ins)
        outs, out_t = _tup(out)
        vs = _tup(v)[0] if v is not None else None
        g = _grad(outs, ins, vs, create_graph)
    res_out = out if create_graph else (tuple(o.detach() for o in outs) if out_t else outs[0].detach())
    return res_out, (g if is_t else g[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)`` by the double-vjp trick."""
    from .. import _creation

    with enable_grad():
        ins, is_t = _tup(inputs)
        ins = _prep(ins, True)
        out = func(*ins)
        outs, out_t = _tup(out)
        us = tuple(_creation.zeros_like(o).requires_grad_(True) for o in outs)
        gi = _grad(outs, ins, us, True)
        vs = _tup(v)[0] if v is not None else tuple(_creation.ones_like(i) for i in ins)
        from . import grad

        jv = grad(gi, us, vs, retain_graph=True, create_graph=create_graph, allow_unused=True)
        jv = tuple(j if j is not None else _creation.zeros_like(o) for j, o in zip(jv, outs))
    if not create_graph:
        jv = tuple(j.detach() for j in jv)
    res_out = tuple(o.detach() for o in outs) if out_t else outs[0].detach()
    return res_out, (jv if out_t else jv[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """Full Jacobian: for outputs of shape O and inputs of shape I, a tensor of shape O + I."""
    from .. import _creation
    from .._ops.shape import stack

    with enable_grad():
        ins, is_t = _tup(inputs)
        ins = _prep(ins, create_graph)
        out = func(*ins)
        outs, out_t = _tup(out)
        jac = []
        for o in outs:
            rows = [[] for _ in ins]
            flat = o.reshape(-1)
            for k in range(flat.numel()):
                gs = _grad((flat[k],), ins, None, create_graph)
                for j, gj in enumerate(gs):
                    rows[j].append(gj)
            per_in = []
            for j, i in enumerate(ins):
                if rows[j]:
                    per_in.append(stack(rows[j]).reshape(o.shape + i.shape))
                else:
                    per_in.append(_creation.zeros(o.shape + i.shape, dtype=i.dtype))
            jac.append(tuple(per_in))
    if not create_graph:
        jac = [tuple(x.detach() for x in r) for r in jac]
    if not out_t and not is_t:
        return jac[0][0]
    if not out_t:
        return jac[0]
    if not is_t:
        return tuple(r[0] for r in jac)
    return tuple(jac)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """Hessian of a scalar function: shape I + I (tuple of tuples for several inputs)."""
    ins, is_t = _tup(inputs)

    def grad_fn(*xs):
        with enable_grad():
            out = func(*xs)
            if out.numel() != 1:
                raise RuntimeError(
                    "The function given to hessian should return a single element Tensor")
            return _grad((out.reshape(()),), xs, None, True)

    jac = jacobian(lambda *xs: grad_fn(*xs), ins, create_graph=create_graph)
    if not is_t:
        return jac[0][0]
    return jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)``."""
    with enable_grad():
        ins, is_t = _tup(inputs)
        ins = _prep(ins, True)
        out = func(*ins)
        g = _grad((out,), ins, None, True)
        vs = _tup(v)[0]
        r = _grad(g, ins, vs, create_graph)
    if not create_graph:
        r = tuple(x.detach() for x in r)
    return out.detach(), (r if is_t else r[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)``; equal to ``vhp`` for the symmetric Hessian of a C² function."""
    return vhp(func, inputs, v, create_graph, strict)
