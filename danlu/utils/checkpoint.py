"""``danlu.utils.checkpoint``: activation checkpointing (torch.utils.checkpoint).

A checkpointed segment keeps only its inputs during the forward; the backward reruns it with
recording on (with the random generator restored to its forward state, so dropout masks are
the same) and backpropagates through that fresh graph.  Memory for a chain of ``n`` layers cut
into ``s`` segments drops from ``O(n)`` saved activations to ``O(s + n / s)``; the price is a
second forward of each segment.  Gradients are identical to the non-checkpointed run.

* ``use_reentrant=True`` (torch's default when not passed, with its warning): the forward runs
  under ``no_grad``; the backward calls ``autograd.backward`` on the rerun segment, so gradients
  of parameters used inside reach their ``.grad`` directly.  As in torch, ``autograd.grad`` (or
  ``backward(inputs=...)``) through it is an error, and when no tensor *input* requires grad the
  output does not either (with torch's warning).
* ``use_reentrant=False``: the forward records the segment once to learn which leaves (e.g.
  parameters) it reaches, then drops that graph (so at most one segment's activations live at
  a time, as in the backward); the output is a single node whose inputs are the segment's
  tensor inputs and those leaves.  Works with ``autograd.grad`` and keyword arguments.
"""
from __future__ import annotations

import sys
import warnings
from typing import Any, Callable

from .._random import get_rng_state, set_rng_state
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, no_grad

__all__ = ["checkpoint", "checkpoint_sequential"]


def _in_grad_call() -> bool:
    """Whether the running backward was asked for specific ``inputs`` (``autograd.grad``)."""
    from ..autograd import engine

    code = engine.run_backward.__code__
    f = sys._getframe(1)
    while f is not None:
        if f.f_code is code:
            return f.f_locals.get("inputs") is not None
        f = f.f_back
    return False


def _detached(args):
    out = []
    for a in args:
        if isinstance(a, Tensor):
            d = a.detach()
            d.requires_grad_(a.requires_grad)
            out.append(d)
        else:
            out.append(a)
    return out


class _Rng:
    """Run a block with the generator set to ``state``, restoring the surrounding state after."""

    def __init__(self, state) -> None:
        self.state = state

    def __enter__(self):
        if self.state is not None:
            self.outer = get_rng_state()
            set_rng_state(self.state)

    def __exit__(self, *exc):
        if self.state is not None:
            set_rng_state(self.outer)
        return False


class _Reentrant(Function):
    @staticmethod
    def forward(ctx, run_function, preserve, *args):
        ctx.run_function = run_function
        ctx.rng = get_rng_state() if preserve else None
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        if _in_grad_call():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or "
                "passing an `inputs` parameter to .backward(). To resolve this error, you can either "
                "set use_reentrant=False, or call .backward() without passing the `inputs` argument.")
        from ..autograd import backward as _backward

        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        inputs = _detached(inputs)
        with _Rng(ctx.rng), enable_grad():
            outputs = ctx.run_function(*inputs)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        outs, gs = [], []
        for o, g in zip(outputs, grads):
            if isinstance(o, Tensor) and o.requires_grad:
                outs.append(o)
                gs.append(g)
        if not outs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        _backward(outs, gs)
        return (None, None) + tuple(a.grad if isinstance(a, Tensor) else None for a in inputs)


class _NonReentrant(Function):
    @staticmethod
    def forward(ctx, box, n_args, *tensors):
        ctx.box, ctx.n_args = box, n_args
        ctx.save_for_backward(*tensors[:n_args])
        out = box["outputs"]
        box["outputs"] = None
        return out

    @staticmethod
    def backward(ctx, *grads):
        from .. import _creation
        from ..autograd import grad as _agrad

        box = ctx.box
        args = list(box["args"])
        saved = ctx.saved_tensors
        for i, t in zip(box["tensor_indices"], saved):
            args[i] = t
        args = _detached(args)
        leaves = box["leaves"]
        with _Rng(box["rng"]), enable_grad():
            outputs = box["fn"](*args, **box["kwargs"])
        outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
        wrt = [args[i] for i in box["tensor_indices"]] + list(leaves)
        mask = [isinstance(t, Tensor) and t.requires_grad for t in wrt]
        outs, gs = [], []
        for o, g in zip(outputs, grads):
            if isinstance(o, Tensor) and o.requires_grad and g is not None:
                outs.append(o)
                gs.append(g)
        want = [t for t, m in zip(wrt, mask) if m]
        res = [None] * len(wrt)
        if outs and want:
            from ..autograd.grad_mode import GradMode

            got = iter(_agrad(outs, want, gs, allow_unused=True, create_graph=GradMode.enabled))
            res = [next(got) if m else None for m in mask]
        res = [r if r is not None or not m else _creation.zeros_like(t)
               for r, m, t in zip(res, mask, wrt)]
        return (None, None) + tuple(res)


def _leaves_of(outputs, exclude) -> list:
    """The leaf tensors requiring grad that the graph of ``outputs`` reaches (minus ``exclude``)."""
    skip = {id(t) for t in exclude}
    found, seen, stack = {}, set(), []
    for o in outputs:
        if isinstance(o, Tensor) and o.grad_fn is not None:
            stack.append(o.grad_fn)
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        for e in n.next_edges:
            if e is None:
                continue
            if e[1] < 0:
                if id(e[0]) not in skip:
                    found.setdefault(id(e[0]), e[0])
            else:
                stack.append(e[0])
    return list(found.values())


def checkpoint(function: Callable, *args, use_reentrant: bool | None = None,
               context_fn: Callable | None = None, determinism_check: str = "default",
               debug: bool = False, early_stop: bool = True, **kwargs) -> Any:
    """``function(*args)`` without keeping its activations: the backward recomputes them.

    ``preserve_rng_state`` (keyword, default True) replays the random generator in the rerun.
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not None or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                          stacklevel=2)
        return _Reentrant.apply(function, preserve, *args)
    from ..autograd.grad_mode import GradMode

    if not GradMode.enabled:
        return function(*args, **kwargs)
    rng = get_rng_state() if preserve else None
    fwd_ctx = context_fn()[0] if context_fn is not None else None
    inner = _detached(args)
    if fwd_ctx is not None:
        with fwd_ctx:
            outputs = function(*inner, **kwargs)
    else:
        outputs = function(*inner, **kwargs)
    single = isinstance(outputs, Tensor)
    outs = (outputs,) if single else tuple(outputs)
    idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    leaves = _leaves_of(outs, [inner[i] for i in idx])
    tensors = [args[i] for i in idx]
    if not any(t.requires_grad for t in tensors) and not leaves:
        return outputs
    box = {"fn": function, "args": [None if isinstance(a, Tensor) else a for a in args],
           "kwargs": kwargs, "tensor_indices": idx, "leaves": leaves, "rng": rng,
           "outputs": tuple(o.detach() if isinstance(o, Tensor) else o for o in outs)}
    del outputs, outs, inner  # the recorded graph goes with them
    res = _NonReentrant.apply(box, len(tensors), *tensors, *leaves)
    return res[0] if single else res


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None, **kwargs):
    """Run ``functions`` (a list or ``nn.Sequential``) in ``segments`` chunks, checkpointing all but
    the last chunk."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be "
            "passed explicitly. In version 2.9 we will raise an exception if use_reentrant is not "
            "passed. use_reentrant=False is recommended, but if you need to preserve the current "
            "default behavior, you can pass use_reentrant=True. Refer to docs for more details on "
            "the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    from ..nn import Sequential

    if isinstance(functions, Sequential):
        functions = list(functions.children())

    def run(start: int, end: int):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
