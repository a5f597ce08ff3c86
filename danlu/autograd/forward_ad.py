"""``danlu.autograd.forward_ad``: forward-mode AD with ``torch.autograd.forward_ad``'s API.

Usage is torch's::

    with forward_ad.dual_level():
        inp = forward_ad.make_dual(x, t)
        out = f(inp)
        y, jvp = forward_ad.unpack_dual(out)      # jvp = J_f(x) t

Design.  danlu is a reverse-mode engine, so tangents are not pushed forward op by op; they are
computed exactly and lazily from the reverse graph by the double-vjp identity

    J t = d/dv [ v^T J ] t        (v^T J is linear in v, so its vjp with t is J t).

``make_dual(x, t)`` returns a view of ``x`` that is also (through an identity node) a function of
a fresh hidden leaf ``x_i`` requiring grad; the pair ``(x_i, t_i)`` is recorded in the current
level.  ``unpack_dual(y)`` then computes, with a dummy ``v`` of y's shape requiring grad,

    tangent(y) = sum_i  grad( grad(y, x_i, v, create_graph=True), v, t_i ),

in one reverse pass per stage; it is ``None`` when y's graph reaches none of the level's duals.
This works through every differentiable danlu op (each op's backward is itself differentiable),
nn modules included, and gives torch's tangents.  The ``primal`` (and the ``tangent``) returned by
``unpack_dual`` carry no tangent of the level: they sit behind an identity node that passes
reverse-mode gradients through but is opaque to the tangent bookkeeping.

Differences from torch that follow from the design (documented, not bugs):

* dual tensors, and whatever is computed from them, report ``requires_grad=True`` (the tangent
  rides on the reverse graph); ``unpack_dual``'s ``primal`` and ``tangent`` require grad only
  when they depend on a tensor that truly requires grad;
* work done under ``no_grad``/``inference_mode`` records no graph, so it carries no tangent;
* each ``unpack_dual`` costs two reverse passes over y's graph.

As in torch, only one level may exist at a time (nested levels raise), ``make_dual`` needs a
level, primal and tangent must be floating point and of the same size, and once the level is
exited ``unpack_dual`` returns ``(tensor, None)``.
"""
from __future__ import annotations

from typing import NamedTuple

from .function import Op

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]

_current_level = -1
# level -> list of (hidden leaf, tangent as given, the dual's node)
_levels: dict = {}
# set while unpack_dual runs its first reverse pass: primals/tangents stop the tangent flow
_BLOCK = [False]


class _MakeDual(Op):
    """``dual = x`` (a view of x) that also depends, by identity, on the hidden leaf."""

    torch_name = "ViewBackward0"
    _view = True

    @staticmethod
    def forward(ctx, x, leaf):
        return x.view()

    @staticmethod
    def backward(ctx, g):
        return g, g


class _Primal(Op):
    """Identity view: passes reverse-mode gradients, but no tangent of the level."""

    torch_name = "torch::autograd::Identity"
    _view = True

    @staticmethod
    def forward(ctx, a):
        return a.view()

    @staticmethod
    def backward(ctx, g):
        return (None,) if _BLOCK[0] else (g,)


class UnpackedDualTensor(NamedTuple):
    """What :func:`unpack_dual` returns: the ``primal`` and its ``tangent`` (or ``None``)."""

    primal: object
    tangent: object


def enter_dual_level() -> int:
    """Enter a new forward-AD level and make it the default one; returns its number (0)."""
    global _current_level
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level += 1
    _levels[_current_level] = []
    return _current_level


def exit_dual_level(*, level: int | None = None) -> None:
    """Exit the latest level; every tangent made in it is dropped."""
    global _current_level
    if level is None:
        level = _current_level
    if level != _current_level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           "was created. This is not supported.")
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    _levels.pop(level, None)
    _current_level = level - 1


class dual_level:  # noqa: N801 - torch's name
    """Context manager (and decorator) entering a forward-AD level for its body."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, exc_type, exc_value, tb) -> None:
        exit_dual_level()

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with dual_level():
                return fn(*args, **kwargs)

        return wrapper


def _walk(t, leaf_ids: set) -> tuple[bool, bool]:
    """Does ``t``'s graph reach a dual leaf of ``leaf_ids`` (not through a primal/tangent node),
    and does it reach any other leaf that requires grad?  ``(reaches_dual, reaches_real)``."""
    if t.grad_fn is None:
        return False, bool(t._rg) and id(t) not in leaf_ids
    dual = real = False
    seen = set()
    stack = [(t.grad_fn, False)]
    while stack:
        n, blocked = stack.pop()
        if (n, blocked) in seen:
            continue
        seen.add((n, blocked))
        if isinstance(n, _Primal):
            blocked = True
        for e in n.next_edges:
            if e is None:
                continue
            obj, nr = e
            if nr < 0:
                if id(obj) in leaf_ids:
                    dual = dual or not blocked
                else:
                    real = True
            else:
                stack.append((obj, blocked))
        if dual and real:
            break
    return dual, real


def _check_level(level, what: str) -> int:
    if level is None:
        level = _current_level
    if level >= 0 and level not in _levels:
        raise RuntimeError(f"Invalid level given to {what}")
    return level


def make_dual(tensor, tangent, *, level: int | None = None):
    """A dual tensor: a view of ``tensor`` whose tangent is ``tangent`` in the level."""
    from .grad_mode import enable_grad

    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    _check_level(level, "_make_dual")
    duals = _levels[level]
    if duals and _walk(tensor, {id(d[0]) for d in duals})[0]:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward "
                           f"gradient at the same level {level} is not supported.")
    if tangent.shape != tensor.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original "
            f"Tensor, this is not supported. Tensor is of size [{', '.join(map(str, tensor.shape))}]"
            f" while the given forward gradient is of size [{', '.join(map(str, tangent.shape))}].")
    leaf = tensor.detach().requires_grad_(True)
    with enable_grad():
        dual = _MakeDual.apply(tensor, leaf)
    duals.append((leaf, tangent, dual.grad_fn))
    return dual


def _opaque(t, requires_grad: bool):
    """A view of ``t`` carrying no tangent: behind a ``_Primal`` node when it must stay
    reverse-differentiable, else a plain view."""
    from .grad_mode import enable_grad, no_grad

    if requires_grad:
        with enable_grad():
            return _Primal.apply(t)
    with no_grad():
        res = _Primal.apply(t)
    res._base = t
    return res


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor`` in the level; ``tangent`` is ``None`` when ``tensor``
    does not depend on any dual of the level.  ``tangent = sum_i J_i t_i`` (see the module doc)."""
    from .._tensor import Tensor

    if level is None:
        level = _current_level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, Tensor):
        raise TypeError("_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    if level not in _levels:  # torch checks the level only for a tensor that has a tangent
        duals = [d for lv in _levels.values() for d in lv]
        if duals and _walk(tensor, {id(d[0]) for d in duals})[0]:
            raise RuntimeError("Invalid level given to _fw_primal")
        return UnpackedDualTensor(_opaque(tensor, _walk(tensor, set())[1]), None)
    duals = _levels[level]
    leaf_ids = {id(d[0]) for d in duals}
    reaches_dual, reaches_real = _walk(tensor, leaf_ids) if duals else (False, bool(tensor._rg))
    primal = _opaque(tensor, reaches_real)
    if not reaches_dual or not tensor.dtype.is_floating_point:
        return UnpackedDualTensor(primal, None)
    for _leaf, tan, node in duals:  # the dual itself: its tangent as given (torch: as-is)
        if tensor.grad_fn is node:
            return UnpackedDualTensor(primal, tan)
    return UnpackedDualTensor(primal, _tangent(tensor, duals, reaches_real))


def _tangent(y, duals, reaches_real: bool):
    from .. import _creation
    from . import grad
    from .grad_mode import enable_grad

    leaves = [d[0] for d in duals]
    with enable_grad():
        v = _creation.zeros_like(y).requires_grad_(True)
        _BLOCK[0] = True
        try:
            gis = grad(y, leaves, v, retain_graph=True, create_graph=True, allow_unused=True)
        finally:
            _BLOCK[0] = False
        outs, gos = [], []
        tan_rg = False
        for gi, (leaf, tan, _) in zip(gis, duals):
            if gi is None or not gi._rg:
                continue
            outs.append(gi)
            gos.append(tan.to(leaf.dtype) if tan.dtype != leaf.dtype else tan)
            tan_rg = tan_rg or tan._rg
        if not outs:
            return _creation.zeros_like(y).detach()
        keep = reaches_real or tan_rg  # the tangent is reverse-differentiable w.r.t. real leaves
        (jt,) = grad(outs, v, gos, retain_graph=True, create_graph=keep, allow_unused=True)
    if jt is None:
        return _creation.zeros_like(y).detach()
    if not keep:
        return jt.detach()
    return _opaque(jt, True)

