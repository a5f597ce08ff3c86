"""``danlu.func``: function transforms (torch.func's API) on danlu's reverse-mode autograd.

* ``functional_call(module, params, args)`` runs ``module`` with the given tensors in place of its
  parameters and buffers (restored afterwards); the result is differentiable w.r.t. them.
* ``grad``, ``grad_and_value``, ``vjp``, ``jacrev``, ``hessian``: reverse mode.  Each call lifts its
  differentiated inputs to fresh graph nodes and calls ``autograd.grad``; inside another
  transform (or when an input already requires grad) the graph of that gradient is kept, so
  transforms compose (``grad(grad(f))``, ``jacrev(jacrev(f))``, ``vmap(grad(f))``).
* ``jvp`` by the double-vjp trick: with ``g(u) = J^T u`` (a vjp at a dummy cotangent ``u``),
  ``J v = d/du <g(u), v>`` is a second vjp.  ``jacfwd`` gives ``jacrev``'s result (built by
  reverse mode: one vjp per output element), as ``hessian = jacfwd(jacrev(f))`` does.
* ``vmap`` is honestly a Python loop over the mapped dimension: the function runs once per
  index on ``x.select(in_dim, i)`` and the per-index outputs are stacked at ``out_dims``.
  Results equal torch's; the speed is that of the loop, not of a batched kernel.

Pytrees are tuples, lists, dicts and namedtuples of tensors.  Not supported: differentiating a
depth-0 transform's result w.r.t. tensors that reach ``func`` only through a closure (the
result is detached unless an argument requires grad).
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from ._tensor import Tensor
from .autograd.grad_mode import GradMode, enable_grad

__all__ = ["functional_call", "grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd",
           "hessian", "vmap", "functionalize", "linearize", "stack_module_state"]

_DEPTH = [0]  # how many differentiating transforms are active (they keep their graphs)


# -- pytrees ----------------------------------------------------------------------------------
class _Spec:
    """Structure of a pytree: ``kind`` None for a leaf, else the container type, its keys, children."""

    __slots__ = ("kind", "keys", "children", "n")

    def __init__(self, kind=None, keys=None, children=()):
        self.kind, self.keys, self.children = kind, keys, list(children)
        self.n = 1 if kind is None else sum(c.n for c in self.children)

    def __eq__(self, other) -> bool:
        return (isinstance(other, _Spec) and self.kind == other.kind and self.keys == other.keys
                and self.children == other.children)

    def __repr__(self) -> str:
        if self.kind is None:
            return "*"
        ctx = None if self.keys is None else list(self.keys)
        return f"TreeSpec({self.kind.__name__}, {ctx}, [{', '.join(map(repr, self.children))}])"


def _is_node(x) -> bool:
    return isinstance(x, (tuple, list, dict))


def _flatten(tree) -> tuple[list, _Spec]:
    if isinstance(tree, dict):
        keys = list(tree.keys())
        leaves, kids = [], []
        for k in keys:
            lv, s = _flatten(tree[k])
            leaves += lv
            kids.append(s)
        return leaves, _Spec(type(tree), tuple(keys), kids)
    if isinstance(tree, (tuple, list)):
        leaves, kids = [], []
        for v in tree:
            lv, s = _flatten(v)
            leaves += lv
            kids.append(s)
        return leaves, _Spec(type(tree), None, kids)
    return [tree], _Spec()


def _unflatten(leaves, spec: _Spec):
    it = iter(leaves)

    def build(s):
        if s.kind is None:
            return next(it)
        vals = [build(c) for c in s.children]
        if issubclass(s.kind, dict):
            return s.kind(zip(s.keys, vals))
        if hasattr(s.kind, "_fields"):  # namedtuple
            return s.kind(*vals)
        return s.kind(vals)

    return build(spec)


def _broadcast_prefix(prefix, spec: _Spec):
    """One value of ``prefix`` per leaf of ``spec`` (a leaf of ``prefix`` covers a whole subtree);
    None when the structures do not match."""
    if not _is_node(prefix):
        return [prefix] * spec.n
    if spec.kind is None or not isinstance(prefix, spec.kind if spec.kind in (tuple, list, dict)
                                           else (tuple, list, dict)):
        return None
    if isinstance(prefix, dict):
        if spec.keys is None or set(prefix.keys()) != set(spec.keys):
            return None
        parts = [prefix[k] for k in spec.keys]
    else:
        if spec.keys is not None or len(prefix) != len(spec.children):
            return None
        parts = list(prefix)
    out = []
    for p, c in zip(parts, spec.children):
        sub = _broadcast_prefix(p, c)
        if sub is None:
            return None
        out += sub
    return out


# -- functional_call -------------------------------------------------------------------------
def _owner(module, name: str):
    *path, leaf = name.split(".")
    m = module
    for p in path:
        sub = m._modules.get(p) if hasattr(m, "_modules") else None
        if sub is None:
            raise AttributeError(f"{type(m).__name__} has no attribute `{p}`")
        m = sub
    return m, leaf


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` with ``module.<name>`` replaced by ``dict[name]`` for each key
    (parameters, buffers, or new attributes), restored afterwards even on error.  Tied weights
    (one tensor under several names) all take the value given for any of their names."""
    if isinstance(parameter_and_buffer_dicts, dict):
        merged = dict(parameter_and_buffer_dicts)
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        seen, dup = set(), []
        for d in parameter_and_buffer_dicts:
            for k in d:
                if k in seen and k not in dup:
                    dup.append(k)
                seen.add(k)
        if dup:
            raise ValueError(f"{dup} appeared in multiple dictionaries; behavior of functional call "
                             "is ambiguous")
        merged = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(parameter_and_buffer_dicts)}")
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    kwargs = {} if kwargs is None else kwargs
    # every name of every parameter / buffer, tied ones grouped by identity
    names = [n for n, _ in module.named_parameters(remove_duplicate=False)] + \
            [n for n, _ in module.named_buffers(remove_duplicate=False)]
    groups: dict[int, list[str]] = {}
    for n, t in list(module.named_parameters(remove_duplicate=False)) + \
            list(module.named_buffers(remove_duplicate=False)):
        groups.setdefault(id(t), []).append(n)
    if tie_weights:
        for grp in groups.values():
            given = [n for n in grp if n in merged]
            if len(grp) < 2 or not given:
                continue
            vals = {id(merged[n]) for n in given}
            if len(vals) > 1:
                raise ValueError(f"functional_call got multiple values for keys {sorted(given)}, which "
                                 "are tied. Consider using tie_weights=False")
            for n in grp:
                merged.setdefault(n, merged[given[0]])
    if strict:
        unexpected = [k for k in merged if k not in names]
        missing = [n for n in names if n not in merged]
        if unexpected or missing:
            msg = f"Error(s) in reparametrizing for {type(module).__name__}:"
            if unexpected:
                msg += "\n\tUnexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + "."
            if missing:
                msg += "\n\tMissing key(s): " + ", ".join(f"'{k}'" for k in missing) + "."
            raise RuntimeError(msg)
    undo = []
    try:
        for name, value in merged.items():
            m, leaf = _owner(module, name)
            d = m.__dict__
            if leaf in d.get("_parameters", {}):
                undo.append((d["_parameters"], leaf, d["_parameters"][leaf], False))
                d["_parameters"][leaf] = value
            elif leaf in d.get("_buffers", {}):
                undo.append((d["_buffers"], leaf, d["_buffers"][leaf], False))
                d["_buffers"][leaf] = value
            else:  # a plain attribute, new or existing
                undo.append((d, leaf, d.get(leaf), leaf not in d))
                d[leaf] = value
        return module(*args, **kwargs)
    finally:
        for store, key, old, absent in reversed(undo):
            if absent:
                store.pop(key, None)
            else:
                store[key] = old


# -- reverse-mode transforms ------------------------------------------------------------------
def _lift(t):
    """A differentiable stand-in for ``t``: an alias in ``t``'s graph when it requires grad
    (so an enclosing transform still sees through it), else a fresh leaf."""
    if not isinstance(t, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
    if t.requires_grad:
        return t.view_as(t)
    return t.detach().requires_grad_(True)


def _keep_graph(*trees) -> bool:
    """Whether a transform's results must stay differentiable (nested, or inputs need grad)."""
    if not GradMode.enabled:
        return False
    if _DEPTH[0] > 0:
        return True
    for tr in trees:
        for x in _flatten(tr)[0]:
            if isinstance(x, Tensor) and x.requires_grad:
                return True
    return False


def _detach_tree(tree):
    leaves, spec = _flatten(tree)
    return _unflatten([x.detach() if isinstance(x, Tensor) else x for x in leaves], spec)


def _vjp_flat(outs, cots, ins, create: bool) -> list:
    """``sum_j cot_j^T d out_j / d in_i`` for each ``in_i`` (zeros where unconnected)."""
    from . import _creation
    from .autograd import grad as _agrad

    pairs = [(o, c) for o, c in zip(outs, cots) if o.requires_grad]
    res = [None] * len(ins)
    if pairs:
        res = list(_agrad([o for o, _ in pairs], ins, [c for _, c in pairs], retain_graph=True,
                          create_graph=create, allow_unused=True))
    return [_creation.zeros_like(x) if r is None else r for r, x in zip(res, ins)]


def _check_argnums(argnums, nargs: int, name: str = "argnums"):
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if isinstance(argnums, tuple) and not argnums:
        raise RuntimeError("argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
        if not -nargs <= a < nargs:
            raise RuntimeError(f"Got argnum={a}, but only {nargs} positional inputs")
    norm = tuple(a % nargs for a in nums)
    if len(set(norm)) != len(norm):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return norm


def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """``(d f / d args[argnums], f(*args))`` for a scalar-valued ``f`` (plus ``aux`` with ``has_aux``:
    ``((grad, (value, aux))``)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from . import _creation

        nums = _check_argnums(argnums, len(args))
        keep = _keep_graph(args, kwargs)
        with enable_grad():
            _DEPTH[0] += 1
            try:
                args_l = list(args)
                diff = []
                for i in nums:
                    leaves, spec = _flatten(args[i])
                    lifted = [_lift(x) for x in leaves]
                    diff.append((lifted, spec))
                    args_l[i] = _unflatten(lifted, spec)
                out = func(*args_l, **kwargs)
                aux = None
                if has_aux:
                    if not (isinstance(out, tuple) and len(out) == 2):
                        raise RuntimeError("grad_and_value(f)(*args): output of function f should be a "
                                           "tuple: (output, aux) if has_aux is True")
                    out, aux = out
                if not isinstance(out, Tensor):
                    raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a Tensor, "
                                       f"got {type(out)}")
                if out.dim() != 0:
                    raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar "
                                       f"Tensor, got tensor with {out.dim()} dims. Maybe you wanted to "
                                       "use the vjp or jacrev APIs instead?")
                flat_in = [x for lifted, _ in diff for x in lifted]
                one = _creation.ones_like(out)
                flat_g = _vjp_flat([out], [one], flat_in, keep)
            finally:
                _DEPTH[0] -= 1
        grads, k = [], 0
        for lifted, spec in diff:
            grads.append(_unflatten(flat_g[k:k + len(lifted)], spec))
            k += len(lifted)
        g = tuple(grads) if isinstance(argnums, tuple) else grads[0]
        if not keep:
            g, out, aux = _detach_tree(g), out.detach(), _detach_tree(aux)
        return (g, (out, aux)) if has_aux else (g, out)

    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """The gradient ``d f / d args[argnums]`` of a scalar-valued ``f`` (pytree args give pytree
    gradients; with ``has_aux`` returns ``(grad, aux)``)."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, val = gv(*args, **kwargs)
        return (g, val[1]) if has_aux else g

    return wrapper


def vjp(func: Callable, *primals, has_aux: bool = False):
    """``(f(*primals), vjp_fn[, aux])`` where ``vjp_fn(v) = v^T J`` (a tuple, one per primal)."""
    keep = _keep_graph(primals)
    with enable_grad():
        _DEPTH[0] += 1
        try:
            leaves, spec = _flatten(primals)
            lifted = [_lift(x) for x in leaves]
            out = func(*_unflatten(lifted, spec))
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("vjp(f, *primals): output of function f should be a tuple: "
                                       "(output, aux) if has_aux is True")
                out, aux = out
        finally:
            _DEPTH[0] -= 1
    flat_out, ospec = _flatten(out)
    for o in flat_out:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"vjp(f, *primals): Expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")
    keep_fn = keep

    def vjp_fn(cotangents, *, retain_graph: bool = True, create_graph: bool | None = None):
        ct = cotangents
        flat_ct, cspec = _flatten(ct)
        if cspec != ospec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree "
                               f"structure of outputs to the function. cotangents: {cspec}, "
                               f"primal output: {ospec}")
        for o, c in zip(flat_out, flat_ct):
            if tuple(o.shape) != tuple(c.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {c.shape} and "
                                   f"output[0] has a shape of {o.shape}.")
        create = create_graph
        if create is None:
            create = keep_fn or _keep_graph(cotangents)
        with enable_grad():
            g = _vjp_flat(flat_out, flat_ct, lifted, create)
        if not create:
            g = [x.detach() for x in g]
        return _unflatten(g, spec)

    res_out = out if keep else _detach_tree(out)
    if has_aux:
        return res_out, vjp_fn, (aux if keep else _detach_tree(aux))
    return res_out, vjp_fn


def jvp(func: Callable, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``(f(*primals), J tangents)`` by two vjps: ``J v = d/du <J^T u, v>``."""
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should "
                           "be valid to call f(*primals).")
    if not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected tangents to be a tuple. E.g. it should "
                           "be valid to call f(*primals).")
    pl, pspec = _flatten(primals)
    tl, tspec = _flatten(tangents)
    if pspec != tspec:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same "
                           f"python structure. For example, if primals is a tuple of 3 tensors, tangents "
                           f"also must be. Got primals with structure {pspec} and tangents with "
                           f"structure {tspec}")
    for p, t in zip(pl, tl):
        if not isinstance(p, Tensor) or not isinstance(t, Tensor):
            raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be "
                               "tuples of Tensors")
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the "
                               f"same shape, got {tuple(p.shape)} and {tuple(t.shape)}")
    from . import _creation

    keep = _keep_graph(primals, tangents)
    with enable_grad():
        _DEPTH[0] += 1
        try:
            lifted = [_lift(x) for x in pl]
            out = func(*_unflatten(lifted, pspec))
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("jvp(f, primals, tangents): output of function f should be a "
                                       "tuple: (output, aux) if has_aux is True")
                out, aux = out
            flat_out, ospec = _flatten(out)
            us = [_creation.zeros_like(o).requires_grad_(True) for o in flat_out]
            g = _vjp_flat(flat_out, us, lifted, True)  # J^T u, linear in u
            jv = _vjp_flat(g, tl, us, keep)            # d/du <J^T u, v> = J v
        finally:
            _DEPTH[0] -= 1
    res = (_unflatten(flat_out, ospec), _unflatten(jv, ospec))
    if not keep:
        res = _detach_tree(res)
        aux = _detach_tree(aux)
    return res + (aux,) if has_aux else res


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False,
           chunk_size: int | None = None, _preallocate_and_copy: bool = False) -> Callable:
    """Jacobian ``d f / d args[argnums]`` by reverse mode: one vjp per output element; each entry
    has shape ``out.shape + input.shape`` (pytrees: output structure outside, input inside)."""
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from . import _creation
        from ._ops.shape import stack

        nums = _check_argnums(argnums, len(args))
        keep = _keep_graph(args, kwargs)
        with enable_grad():
            _DEPTH[0] += 1
            try:
                args_l = list(args)
                diff = []
                for i in nums:
                    leaves, spec = _flatten(args[i])
                    lifted = [_lift(x) for x in leaves]
                    diff.append((lifted, spec))
                    args_l[i] = _unflatten(lifted, spec)
                out = func(*args_l, **kwargs)
                aux = None
                if has_aux:
                    if not (isinstance(out, tuple) and len(out) == 2):
                        raise RuntimeError("jacrev(f, ...)(*args): output of function f should be a "
                                           "tuple: (output, aux) if has_aux is True")
                    out, aux = out
                flat_out, ospec = _flatten(out)
                flat_in = [x for lifted, _ in diff for x in lifted]
                per_out = []
                for o in flat_out:
                    if not isinstance(o, Tensor):
                        raise RuntimeError("jacrev(f, ...)(*args): Expected f to be a function that has "
                                           f"non-empty output (got {type(o)})")
                    n = o.numel()
                    rows: list[list] = [[] for _ in flat_in]
                    basis = _creation.eye(n, dtype=o.dtype) if n else None
                    for k in range(n):
                        gs = _vjp_flat([o], [basis[k].reshape(o.shape)], flat_in, keep)
                        for j, gj in enumerate(gs):
                            rows[j].append(gj)
                    jac = []
                    for j, x in enumerate(flat_in):
                        shp = tuple(o.shape) + tuple(x.shape)
                        jac.append(stack(rows[j]).reshape(shp) if n else
                                   _creation.zeros(shp, dtype=x.dtype))
                    per_out.append(jac)
            finally:
                _DEPTH[0] -= 1
        results = []
        for jac in per_out:
            trees, k = [], 0
            for lifted, spec in diff:
                trees.append(_unflatten(jac[k:k + len(lifted)], spec))
                k += len(lifted)
            results.append(tuple(trees) if isinstance(argnums, tuple) else trees[0])
        res = _unflatten(results, ospec)
        if not keep:
            res, aux = _detach_tree(res), _detach_tree(aux)
        return (res, aux) if has_aux else res

    return wrapper


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """Jacobian as torch's forward-mode ``jacfwd`` returns it; computed here by reverse mode
    (``jacrev``), which gives the same values."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or 'same'. "
                           f"Got {randomness}")
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """``H = jacfwd(jacrev(f))``: shape ``input.shape + input.shape`` for a scalar ``f``."""
    return jacfwd(jacrev(func, argnums), argnums)


# -- vmap -------------------------------------------------------------------------------------
def _name(func) -> str:
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return getattr(func, "__name__", repr(func))


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """Map ``func`` over dimension ``in_dims`` of its inputs, stacking results at ``out_dims``.

    Implemented as a loop: ``out[i] = func(*(x.select(d, i) for x, d in inputs))`` for each
    index ``i`` of the mapped dimension, then ``stack`` (so nested ``vmap`` is a nested loop).
    ``randomness``: ``'error'`` raises if ``func`` draws random numbers, ``'different'`` lets each
    index draw its own, ``'same'`` replays the generator's state for every index.
    ``chunk_size`` is accepted for torch's API (a loop needs no chunks).
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or 'same'. "
                           f"Got {randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        from ._ops.shape import stack
        from ._random import get_rng_state, set_rng_state

        name = _name(func)
        if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be "
                             "int or a (potentially nested) tuple matching the structure of inputs, "
                             f"got: {type(in_dims)}.")
        if not args:
            raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, "
                             "or you are trying to vmap over a function with no inputs. The latter is "
                             "unsupported.")
        flat, aspec = _flatten(args)
        dims = _broadcast_prefix(in_dims, aspec)
        if dims is None:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                             "compatible with the structure of `inputs`. in_dims has structure "
                             f"{_flatten(in_dims)[1]} but inputs has structure {aspec}.")
        sizes = []
        norm = []
        for x, d in zip(flat, dims):
            if d is None:
                norm.append(None)
                continue
            if not isinstance(d, int) or isinstance(d, bool):
                raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for "
                                 "an input but in_dim must be either an integer dimension or None.")
            if not isinstance(x, Tensor):
                raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for "
                                 f"an input but the input is of type {type(x)}. We cannot vmap over "
                                 "non-Tensor arguments, please use None as the respective in_dim")
            nd = x.dim()
            if not -nd <= d < nd:
                raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for "
                                 f"some input, but that input is a Tensor of dimensionality {nd} so "
                                 f"expected in_dim to satisfy -{nd} <= in_dim < {nd}.")
            d %= nd
            norm.append(d)
            sizes.append(x.shape[d])
        if not sizes:
            raise ValueError("vmap: Expected at least one Tensor to vmap over")
        if any(s != sizes[0] for s in sizes):
            raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sizes} for the mapped dimension")
        n = sizes[0]
        state0 = get_rng_state() if randomness != "different" else None
        outs = []
        for i in range(n):
            if randomness == "same":
                set_rng_state(state0)
            sliced = [x if d is None else x.select(d, i) for x, d in zip(flat, norm)]
            out = func(*_unflatten(sliced, aspec), **kwargs)
            if randomness == "error" and not bool((get_rng_state() == state0).all()):
                raise RuntimeError("vmap: called random operation while in randomness error mode. "
                                   "Please either use the 'same' or 'different' randomness flags on "
                                   "vmap or perform the randomness operation out of vmap")
            outs.append(_flatten(out))
        if not outs:
            raise ValueError("vmap: Expected at least one Tensor to vmap over")
        ospec = outs[0][1]
        odims = _broadcast_prefix(out_dims, ospec)
        if odims is None:
            raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
                             "compatible with the structure of `outputs`. out_dims has structure "
                             f"{_flatten(out_dims)[1]} but outputs has structure {ospec}.")
        res = []
        for j, od in enumerate(odims):
            first = outs[0][0][j]
            if od is None:  # unbatched: the loop sees the same value at every index
                if isinstance(first, Tensor) and any(
                        not bool((o[0][j] == first).all()) for o in outs[1:]):
                    raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when "
                                     "out_dim is None")
                res.append(first)
                continue
            if not isinstance(od, int) or isinstance(od, bool):
                raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): `out_dims` must be an int, "
                                 "None or a python collection of ints representing where in the "
                                 "outputs the vmapped dimension should appear.")
            if not isinstance(first, Tensor):
                raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                                 f"{type(first)}. Did you mean to set out_dims= to None for output?")
            res.append(stack([o[0][j] for o in outs], dim=od))
        return _unflatten(res, ospec)

    return wrapped


def functionalize(func: Callable, *, remove: str = "mutations") -> Callable:
    """``func`` itself: danlu records no aliasing views to replace, and its in-place ops are
    already value-equivalent to their out-of-place forms under every transform here."""
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for remove={remove}. "
            "Valid options are:\n     remove='mutations': all inplace and out= operators will be "
            "removed from the program, and replaced with their out-of-place equivalents.\n     "
            "remove='mutations_and_views': In addition to the above, all aliasing operators {view} "
            "will be replaced with their non-aliasing counterparts, {view}_copy.\n")
    return func


def linearize(func: Callable, *primals) -> tuple[Any, Callable]:
    """``(func(*primals), jvp_fn)`` with ``jvp_fn(*tangents) = J(primals) tangents`` (by ``jvp``);
    tangents must match the primals' structure and shapes."""
    out = func(*primals)
    out = _unflatten([o.detach() if isinstance(o, Tensor) else o for o in _flatten(out)[0]],
                     _flatten(out)[1])
    pl, pspec = _flatten(primals)

    def jvp_fn(*tangents):
        tl, tspec = _flatten(tangents)
        if tspec != pspec:
            raise RuntimeError(f"Expected the tangents {tspec} to have the same structure as the "
                               f"primals {pspec}.")
        for i, (p, t) in enumerate(zip(pl, tl)):
            if tuple(p.shape) != tuple(t.shape):
                raise RuntimeError(f"tangent:{i} with shape {t.shape} in flattened pytree doesn't "
                                   f"match the shape {p.shape} of the corresponding primal.")
        return jvp(func, primals, tangents)[1]

    return out, jvp_fn


def stack_module_state(models) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(params, buffers)``: each name's tensors from the models stacked on a new dim 0;
    parameters as new leaves that require grad when all the models' do."""
    from ._ops.shape import stack

    models = list(models)
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    if not all(type(m) is type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    all_p = [dict(m.named_parameters()) for m in models]
    params = {}
    for k in all_p[0]:
        ts = [p[k] for p in all_p]
        rg = all(t.requires_grad for t in ts)
        if not rg and any(t.requires_grad for t in ts):
            raise RuntimeError(f"Expected {k} from each model to have the same .requires_grad")
        s = stack(ts)
        params[k] = s.detach().requires_grad_() if rg else s
    all_b = [dict(m.named_buffers()) for m in models]
    buffers = {k: stack([b[k] for b in all_b]) for k in all_b[0]}
    return params, buffers
