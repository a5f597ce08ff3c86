"""``danlu.autograd``: reverse-mode differentiation (torch.autograd's API)."""
from __future__ import annotations

from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "functional",
           "gradcheck", "gradgradcheck", "is_inference_mode_enabled", "forward_ad", "Variable"]


def _seq(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _make_grads(outputs, grad_outputs, create_graph):
    from .._tensor import Tensor

    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs is not None else None
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point:
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got {out.dtype}")
            xp = __import__("danlu._backend", fromlist=["xp_of"]).xp_of(out._data)
            g = Tensor._make(xp.ones(out._data.shape, out._data.dtype), None)
        else:
            if not isinstance(g, Tensor):
                raise TypeError("grad_outputs must be Tensors")
            if g.shape != out.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                    f"has a shape of {out.shape}.")
            if not create_graph:
                g = g.detach()
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad``."""
    outs = _seq(tensors)
    gs = _seq(grad_tensors)
    for t in outs:
        if not t._rg:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn")
    grads = _make_grads(outs, gs, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        ins = _seq(inputs)
        for t in ins:  # torch: a non-leaf input retains its grad (its hook fills .grad)
            if t.grad_fn is not None:
                t.retain_grad()
        res = run_backward(outs, grads, retain_graph, create_graph, inputs=ins, allow_unused=True)
        for t, g in zip(ins, res):
            if g is None or t.grad_fn is not None:
                continue
            if create_graph:
                t._grad = g if t._grad is None else t._grad + g
            else:
                g = g.detach()
                t._grad = type(t)._make(g._data.copy(), None) if t._grad is None else \
                    type(t)._make(t._grad._data + g._data, None)
        return
    run_backward(outs, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` w.r.t. ``inputs`` (returned, not accumulated)."""
    outs = _seq(outputs)
    ins = _seq(inputs)
    for t in ins:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    for t in outs:
        if not t._rg:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn")
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        res = _batched_grad(outs, ins, _seq(grad_outputs), retain_graph, create_graph,
                            allow_unused)
    else:
        grads = _make_grads(outs, _seq(grad_outputs), create_graph)
        res = run_backward(outs, grads, retain_graph, create_graph, inputs=ins,
                           allow_unused=allow_unused)
    if materialize_grads:
        from .. import _creation

        res = tuple(r if r is not None else _creation.zeros_like(t) for r, t in zip(res, ins))
    if not create_graph:
        res = tuple(r.detach() if r is not None else None for r in res)
    return res


def _batched_grad(outs, ins, grad_outputs, retain_graph, create_graph, allow_unused):
    """``grad(..., is_grads_batched=True)``: dim 0 of every grad_output is a batch of
    cotangents ``v_b``; the result for input x is ``stack_b(v_b^T J_x)`` (one vjp per batch
    entry over the same graph, which is kept until the last one)."""
    from .._ops.shape import stack

    gos = list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    sizes = []
    for g in gos:
        if g is None or g.ndim == 0:
            raise ValueError("vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some input, but "
                             "that input is a Tensor of dimensionality 0 so expected in_dim to "
                             "satisfy 0 <= in_dim < 0.")
        sizes.append(g.shape[0])
    if len(set(sizes)) > 1:
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    for i, (out, g) in enumerate(zip(outs, gos)):
        if g.shape[1:] != out.shape:
            # torch's message slices the batch dimension off twice: it prints g.shape[2:]
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each grad_output "
                "as the batch dimension. The sizes of the remaining dimensions are expected to "
                f"match the shape of corresponding output, but a mismatch was detected: "
                f"grad_output[{i}] has a shape of {g.shape[2:]} and output[{i}] has a shape of "
                f"{out.shape}. If you only want some tensors in `grad_output` to be considered "
                "batched, consider using vmap.")
    per_entry = []
    for b in range(sizes[0]):
        grads = _make_grads(outs, [g[b] for g in gos], create_graph)
        keep = retain_graph or b < sizes[0] - 1
        per_entry.append(run_backward(outs, grads, keep, create_graph, inputs=ins,
                                      allow_unused=allow_unused))
    res = []
    for k in range(len(ins)):
        col = [r[k] for r in per_entry]
        res.append(None if all(c is None for c in col) else stack(
            [c if c is not None else ins[k].detach() * 0 for c in col]))
    return tuple(res)


from . import functional  # noqa: E402
from .gradcheck import gradcheck, gradgradcheck  # noqa: E402
from . import forward_ad  # noqa: E402


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        from .._tensor import Tensor

        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """Legacy ``Variable(data, requires_grad=False)``: returns a new leaf tensor sharing ``data``'s
    storage (detached) with ``requires_grad`` set; every tensor is an instance of it."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        from .._creation import tensor
        from .._tensor import Tensor

        if data is None:
            data = tensor([])
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
