"""The backward walk.

Iterative (no recursion limit), in dependency order (Kahn's algorithm): a node runs once all
gradients flowing into it have been summed.  Only nodes on a path to a wanted input run; with
``create_graph=False`` the backward formulas run under no-grad and record nothing.
"""
from __future__ import annotations

from .anomaly_mode import _Anomaly
from .grad_mode import GradMode
from . import function as _fn


def _edge_of(t):
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (t, -1)


def _add(a, b):
    if a is None:
        return b
    if not GradMode.enabled:  # no graph of the backward: sum the arrays (same shape and dtype)
        da, db = a._data, b._data
        if da.shape == db.shape and da.dtype == db.dtype and da.ndim:
            return _fn._T._make(da + db)
    return a + b


def run_backward(roots, grad_roots, retain_graph: bool, create_graph: bool, inputs=None,
                 allow_unused: bool = False, accumulate: bool = True):
    """Propagate ``grad_roots`` from ``roots``.

    With ``accumulate`` the gradients land in leaves' ``.grad`` (``Tensor.backward``);
    otherwise the gradients w.r.t. ``inputs`` are returned (``autograd.grad``).
    """
    Tensor = _fn._T
    # -- 1. discover the graph ---------------------------------------------------------
    deps: dict = {}
    order = []
    stack = []
    seen = set()
    for t in roots:
        if t.grad_fn is not None and t.grad_fn not in seen:
            seen.add(t.grad_fn)
            stack.append(t.grad_fn)
    while stack:
        n = stack.pop()
        order.append(n)
        for e in n.next_edges:
            if e is None or e[1] < 0:
                continue
            m = e[0]
            deps[m] = deps.get(m, 0) + 1
            if m not in seen:
                seen.add(m)
                stack.append(m)

    # -- 2. which nodes lead to the wanted inputs --------------------------------------
    capture_leaf = {}
    capture_node = {}
    needed = None
    if inputs is not None:
        for i, t in enumerate(inputs):
            if t.grad_fn is None:
                capture_leaf.setdefault(id(t), []).append(i)
            else:
                capture_node.setdefault((t.grad_fn, t._output_nr), []).append(i)
        needed = set()
        # reverse topological order: children before parents
        topo = _topo(order, deps)
        for n in reversed(topo):
            for e in n.next_edges:
                if e is None:
                    continue
                if e[1] < 0:
                    if id(e[0]) in capture_leaf:
                        needed.add(n)
                        break
                elif e[0] in needed:
                    needed.add(n)
                    break
            if any(k[0] is n for k in capture_node):
                needed.add(n)
        # recount dependencies only over needed nodes
        deps = {}
        for n in needed:
            for e in n.next_edges:
                if e is not None and e[1] >= 0 and e[0] in needed:
                    deps[e[0]] = deps.get(e[0], 0) + 1

    results = [None] * (len(inputs) if inputs is not None else 0)
    given = set()  # ids of gradient tensors already handed to a leaf (never share one)
    for g in grad_roots:
        given.add(id(g))

    def to_leaf(t, g):
        if t._hooks:
            for h in list(t._hooks):
                r = h(g)
                if r is not None:
                    g = r
        if inputs is not None:
            for i in capture_leaf.get(id(t), ()):
                results[i] = _add(results[i], g)
            return
        if not accumulate:
            return
        if not create_graph:
            if id(g) in given or g._data.base is not None or g.grad_fn is not None:
                g = Tensor._make(g._data.copy(), None)
            given.add(id(g))
            if t._grad is None:
                if g.shape != t.shape:
                    g = Tensor._make(_T_broadcast(g._data, t.shape), None)
                t._grad = g
            else:
                t._grad = Tensor._make(t._grad._data + g._data, None)
        else:
            t._grad = g if t._grad is None else t._grad + g
        for h in getattr(t, "_post_acc_hooks", None) or ():
            h(t)

    buf: dict = {}
    ready = []
    for t, g in zip(roots, grad_roots):
        if t.grad_fn is None:
            if not t._rg:
                continue
            to_leaf(t, g)
            continue
        n, nr = t.grad_fn, t._output_nr
        if needed is not None and n not in needed:
            continue
        slot = buf.get(n)
        if slot is None:
            slot = buf[n] = [None] * n.n_out
        slot[nr] = _add(slot[nr], g)
    for n in list(buf):
        if deps.get(n, 0) == 0:
            ready.append(n)

    prev = GradMode.enabled
    GradMode.enabled = create_graph
    try:
        while ready:
            n = ready.pop()
            grads = buf.pop(n)
            if n._pre_hooks:
                for nr, h in list(n._pre_hooks):
                    if nr is None:
                        r = h(tuple(grads))
                        if r is not None:
                            grads = list(r)
                    elif grads[nr] is not None:
                        r = h(grads[nr])
                        if r is not None:
                            grads[nr] = r
            if capture_node:
                for nr in range(len(grads)):
                    for i in capture_node.get((n, nr), ()):
                        results[i] = _add(results[i], grads[nr])
            if all(g is None for g in grads):
                in_grads = (None,) * len(n.next_edges)
            else:
                in_grads = n._run_backward(grads)
                if _Anomaly.enabled and _Anomaly.check_nan:
                    _check_nan(n, in_grads)
            if not retain_graph:
                n._release()
            for e, g in zip(n.next_edges, in_grads):
                if e is None:
                    continue
                obj, nr = e
                if nr < 0:
                    if g is not None:
                        to_leaf(obj, g)
                    continue
                if needed is not None and obj not in needed:
                    continue
                slot = buf.get(obj)
                if slot is None:
                    slot = buf[obj] = [None] * obj.n_out
                if g is not None:
                    slot[nr] = _add(slot[nr], g)
                d = deps[obj] - 1
                deps[obj] = d
                if d == 0:
                    ready.append(obj)
    finally:
        GradMode.enabled = prev

    if inputs is not None:
        for i, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
        return tuple(results)
    return None


def _T_broadcast(arr, shape):
    from .._backend import xp_of

    xp = xp_of(arr)
    return xp.ascontiguousarray(xp.broadcast_to(arr, shape))


def _topo(order, deps):
    """Topological order (parents before children) of the discovered nodes."""
    indeg = {n: deps.get(n, 0) for n in order}
    ready = [n for n in order if indeg[n] == 0]
    out = []
    while ready:
        n = ready.pop()
        out.append(n)
        for e in n.next_edges:
            if e is None or e[1] < 0:
                continue
            m = e[0]
            indeg[m] -= 1
            if indeg[m] == 0:
                ready.append(m)
    return out


def _check_nan(node, grads):
    for i, g in enumerate(grads):
        if g is None:
            continue
        xp = __import__("danlu._backend", fromlist=["xp_of"]).xp_of(g._data)
        if g.dtype.is_floating_point and bool(xp.isnan(g._data).any()):
            where = ""
            if node._trace:
                where = "\nTraceback of forward call that caused the error:\n" + node._trace
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output.{where}"
            )
