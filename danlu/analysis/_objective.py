"""The loss as a function of a flat parameter vector: what every analysis tool differentiates.

An :class:`Objective` wraps either a model + loss + data (one batch, or any iterable of batches
such as a DataLoader) or a plain function of parameter tensors.  It exposes the parameters as one
flat vector ``θ ∈ R^n`` (a 1-D backend array) and evaluates

    L(θ) = Σ_b (n_b / N) · loss_b(θ)          (batch losses are means; weights are batch sizes,
                                               streamed: N is counted while iterating)

together with ``∇L(θ)`` and exact Hessian-vector products ``H v = ∇(∇L(θ) · v)`` (double
backward).  Public analysis functions accept ``(model, loss_fn, data)`` or an Objective.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterable, Sequence

from .._backend import xp_of
from .._tensor import Tensor
from ..autograd import grad as _grad
from ..autograd.grad_mode import enable_grad, no_grad

__all__ = ["Objective", "as_objective"]


def _is_batch(data: Any) -> bool:
    """A single batch is a Tensor or a tuple/list of Tensors; anything else iterates batches."""
    if isinstance(data, Tensor):
        return True
    return isinstance(data, (tuple, list)) and len(data) > 0 and all(isinstance(d, Tensor) for d in data)


def _batch_size(batch) -> int:
    t = batch if isinstance(batch, Tensor) else batch[0]
    return int(t.shape[0]) if t.ndim > 0 else 1


class Objective:
    """``L(θ)`` over a fixed list of parameter tensors, with value, gradient and Hessian products.

    Build one with :meth:`from_model` or :meth:`from_function` (or :func:`as_objective`)."""

    def __init__(self, params: Sequence[Tensor], batch_losses: Callable[[], Iterable[tuple[int, Tensor]]],
                 names: Sequence[str] | None = None, model: Any = None) -> None:
        params = list(params)
        if not params:
            raise ValueError("the objective has no parameters to analyse (empty parameter list)")
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"parameter {i} must be a Tensor, not {type(p).__name__}")
            if not p.dtype.is_floating_point:
                raise TypeError(f"parameter {i} has dtype {p.dtype}; only floating-point parameters "
                                "can be analysed")
            if not p.is_leaf:
                raise ValueError(f"parameter {i} is not a leaf tensor (it has grad_fn {p.grad_fn})")
            if not p.requires_grad:
                p.requires_grad_(True)
        self.params = params
        self.names = list(names) if names is not None else [f"param{i}" for i in range(len(params))]
        self.model = model
        self._batch_losses = batch_losses
        self.shapes = [tuple(p.shape) for p in params]
        self.sizes = [p.numel() for p in params]
        self.n = sum(self.sizes)
        self.xp = xp_of(params[0]._data)
        self.dtype = params[0]._data.dtype

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_model(cls, model: Any, loss_fn: Callable | None, data: Any,
                   params: Sequence[Tensor] | None = None) -> "Objective":
        """``loss_fn(model(*batch[:-1]), batch[-1])`` averaged over ``data``'s batches.

        ``data`` is one batch (a Tensor or a tuple of Tensors) or an iterable of batches
        (a DataLoader); ``loss_fn=None`` means ``model(*batch)`` returns the loss itself.
        ``params`` defaults to the model's parameters that require grad."""
        if data is None:
            raise ValueError("data must be a batch (tuple of Tensors) or an iterable of batches, not None")
        named = list(model.named_parameters()) if hasattr(model, "named_parameters") else None
        if params is None:
            if named is None:
                raise TypeError("model has no named_parameters(); pass params=[...] explicitly")
            chosen = [(n, p) for n, p in named if p.requires_grad]
        else:
            by_id = {id(p): n for n, p in (named or [])}
            chosen = [(by_id.get(id(p), f"param{i}"), p) for i, p in enumerate(params)]

        def one_loss(batch):
            b = (batch,) if isinstance(batch, Tensor) else tuple(batch)
            if loss_fn is None:
                return model(*b)
            if len(b) < 2:
                return loss_fn(model(*b))
            return loss_fn(model(*b[:-1]), b[-1])

        def batch_losses():
            if _is_batch(data):
                yield 1, one_loss(data)
                return
            for b in data:  # streamed: weights are normalised by the total count afterwards
                yield _batch_size(b), one_loss(b)

        return cls([p for _, p in chosen], batch_losses, names=[n for n, _ in chosen], model=model)

    @classmethod
    def from_function(cls, fn: Callable[..., Tensor], params: Sequence[Tensor] | Tensor,
                      names: Sequence[str] | None = None) -> "Objective":
        """``L = fn(*params)`` for a scalar-valued function of leaf tensors (used in place)."""
        params = [params] if isinstance(params, Tensor) else list(params)

        def batch_losses():
            yield 1, fn(*params)

        return cls(params, batch_losses, names=names)

    # -- flat vectors ----------------------------------------------------------------------
    def get_vector(self):
        """θ as a fresh flat float64 array."""
        xp = self.xp
        return xp.concatenate([xp.asarray(p._data, dtype=xp.float64).reshape(-1) for p in self.params])

    def split(self, vec) -> list:
        """A flat vector cut into parameter-shaped arrays."""
        out, o = [], 0
        for s, k in zip(self.shapes, self.sizes):
            out.append(vec[o:o + k].reshape(s))
            o += k
        return out

    def to_tensors(self, vec) -> list[Tensor]:
        """A flat vector as parameter-shaped Tensors (float64)."""
        return [Tensor._make(self.xp.array(a)) for a in self.split(vec)]

    def flatten(self, tensors: Sequence[Any]):
        """Parameter-shaped Tensors/arrays, a state dict (aligned by name) or a flat array, as one flat
        float64 vector."""
        xp = self.xp
        if hasattr(tensors, "ndim") and not isinstance(tensors, Tensor) and tensors.ndim == 1 \
                and tensors.shape[0] == self.n:  # already a flat vector
            return xp.asarray(tensors, dtype=xp.float64)
        if isinstance(tensors, dict):
            missing = [n for n in self.names if n not in tensors]
            if missing:
                raise KeyError(f"state dict has no entries for parameters {missing}")
            tensors = [tensors[n] for n in self.names]
        tensors = list(tensors)
        if len(tensors) != len(self.params):
            raise ValueError(f"expected {len(self.params)} parameter-shaped tensors, got {len(tensors)}")
        parts = []
        for i, (t, s) in enumerate(zip(tensors, self.shapes)):
            a = t._data if isinstance(t, Tensor) else t
            if tuple(a.shape) != s:
                raise ValueError(f"tensor {i} ({self.names[i]}) has shape {tuple(a.shape)}, "
                                 f"expected {s}")
            parts.append(xp.asarray(a, dtype=xp.float64).reshape(-1))
        return xp.concatenate(parts)

    def set_vector(self, vec) -> None:
        """Write θ into the parameters in place (bumping their version counters)."""
        with no_grad():
            for p, a in zip(self.params, self.split(vec)):
                p.copy_(Tensor._make(a.astype(p._data.dtype, copy=False)))

    @contextmanager
    def at(self, vec):
        """Temporarily move the parameters to ``vec``."""
        old = self.get_vector()
        self.set_vector(vec)
        try:
            yield
        finally:
            self.set_vector(old)

    @contextmanager
    def frozen(self):
        """Freeze side effects while evaluating: buffers (BatchNorm running stats) are restored
        afterwards and every forward pass replays the same random numbers (dropout masks)."""
        from .. import _random

        state = _random.get_rng_state()
        buffers = []
        if self.model is not None and hasattr(self.model, "buffers"):
            buffers = [(b, b._data.copy()) for b in self.model.buffers() if isinstance(b, Tensor)]
        prev, self._rng_state = getattr(self, "_rng_state", None), state
        try:
            yield
        finally:
            self._rng_state = prev
            for b, a in buffers:
                b._data[...] = a
            _random.set_rng_state(state)

    def _losses(self):
        """(batch size, scalar loss) per batch; every forward pass replays the frozen RNG state."""
        from .. import _random

        st = getattr(self, "_rng_state", None)
        it = iter(self._batch_losses())
        while True:
            if st is not None:
                _random.set_rng_state(st)
            try:
                n, loss = next(it)
            except StopIteration:
                return
            if not isinstance(loss, Tensor) or loss.numel() != 1:
                shape = tuple(loss.shape) if isinstance(loss, Tensor) else type(loss).__name__
                raise RuntimeError(f"the loss must be a single-element Tensor, got {shape}")
            yield n, loss.reshape(())

    @staticmethod
    def _check_total(total: int) -> None:
        if total == 0:
            raise ValueError("the data iterable yielded no samples")

    # -- evaluation --------------------------------------------------------------------------
    def value(self, vec=None) -> float:
        """L(θ) (at ``vec`` when given), without recording a graph."""
        if vec is not None:
            with self.at(vec):
                return self.value()
        total, acc = 0, 0.0
        with self.frozen(), no_grad():
            for n, loss in self._losses():
                total += n
                acc += n * float(loss.item())
        self._check_total(total)
        return acc / total

    def value_and_grad(self):
        """(L(θ), ∇L(θ) as a flat float64 array)."""
        xp = self.xp
        g = xp.zeros(self.n, dtype=xp.float64)
        total, acc = 0, 0.0
        with self.frozen(), enable_grad():
            for n, loss in self._losses():
                total += n
                acc += n * float(loss.item())
                if not loss.requires_grad:
                    continue
                gs = _grad(loss, self.params, allow_unused=True)
                g += n * self._cat(gs)
        self._check_total(total)
        return acc / total, g / total

    def grad(self):
        return self.value_and_grad()[1]

    def _cat(self, gs):
        xp = self.xp
        return xp.concatenate([
            (xp.zeros(k, dtype=xp.float64) if g is None else xp.asarray(g._data, dtype=xp.float64).reshape(-1))
            for g, k in zip(gs, self.sizes)])

    def hvp(self, vec):
        """Exact ``H v`` by double backward: ``∇_θ (∇_θ L · v)``, batch-weighted."""
        xp = self.xp
        vs = [Tensor._make(xp.asarray(a, dtype=p._data.dtype)) for a, p in zip(self.split(vec), self.params)]
        out = xp.zeros(self.n, dtype=xp.float64)
        total = 0
        with self.frozen(), enable_grad():
            for n, loss in self._losses():
                total += n
                if not loss.requires_grad:
                    continue
                gs = _grad(loss, self.params, create_graph=True, allow_unused=True)
                dot = None
                for g, v in zip(gs, vs):
                    if g is None or not g.requires_grad:
                        continue
                    t = (g * v).sum()
                    dot = t if dot is None else dot + t
                if dot is None:  # the loss is (piecewise) linear in θ: zero curvature
                    continue
                hv = _grad(dot, self.params, allow_unused=True)
                out += n * self._cat(hv)
        self._check_total(total)
        return out / total

    def hvp_many(self, mat):
        """``H`` applied to each column of ``mat`` (n × k)."""
        xp = self.xp
        return xp.stack([self.hvp(mat[:, j]) for j in range(mat.shape[1])], axis=1)


def as_objective(model_or_fn: Any = None, loss_fn: Callable | None = None, data: Any = None,
                 params: Sequence[Tensor] | None = None) -> Objective:
    """Normalise the analysis tools' arguments to an :class:`Objective`.

    Accepted forms: an Objective; ``(model, loss_fn, data[, params])`` for a Module-like model
    (anything with ``named_parameters()`` that is callable); ``(fn, params=[...])`` for a plain
    function ``fn(*params) -> scalar``."""
    if isinstance(model_or_fn, Objective):
        return model_or_fn
    if hasattr(model_or_fn, "named_parameters") or hasattr(model_or_fn, "parameters"):
        return Objective.from_model(model_or_fn, loss_fn, data, params)
    if callable(model_or_fn):
        if params is None:
            raise ValueError("a plain loss function needs params=[tensors...] (the point to analyse)")
        return Objective.from_function(model_or_fn, params)
    raise TypeError(f"expected a Module, a loss function or an Objective, got {type(model_or_fn).__name__}")
