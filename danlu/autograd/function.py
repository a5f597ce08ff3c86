"""Graph nodes.

Every differentiable op is an ``Op`` subclass with ``forward`` and ``backward`` side by side:

* ``forward(ctx, *arrays, **kw) -> array`` works on raw backend arrays (numpy or cupy) and may
  stash non-differentiable helpers (shapes, masks, indices) on ``ctx``;
* ``backward(ctx, grad) -> tuple[Tensor | None, ...]`` is written in *Tensor* ops, so with
  ``create_graph=True`` the gradient is itself differentiable (Hessian-vector products and
  gradient penalties need nothing more).

``_save_in`` names the input positions the backward needs and ``_save_out`` whether it needs
the output; those are version-checked, and freed after backward unless ``retain_graph``.
The user-facing ``Function`` (torch's ``autograd.Function``) produces the same kind of node.
"""
from __future__ import annotations

import inspect
import re
import traceback

from .. import _backend
from . import graph as _graph
from .anomaly_mode import _Anomaly
from .grad_mode import GradMode

_T = None  # danlu.Tensor, bound by danlu._tensor at import time

FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling backward."
)


class _AllFalse:
    def __getitem__(self, i):
        return False


class _NoCtx:
    """Stand-in ctx when no graph is recorded: attribute writes are dropped."""

    needs_input_grad = _AllFalse()
    recording = False

    def __setattr__(self, k, v):
        pass

    def save_for_backward(self, *a):
        pass

    def mark_non_differentiable(self, *a):
        pass


NOCTX = _NoCtx()


def _describe(t) -> str:
    names = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
             "int64": "LongTensor", "int32": "IntTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
    return f"[danlu.{names.get(t.dtype.name, 'Tensor')} [{', '.join(map(str, t.shape))}]]"


def _op_name(node) -> str:
    """The forward op's name as torch's version-counter error gives it: ``ExpBackward0`` -> ``Exp``,
    ``MaxBackward1`` -> ``Max1`` (a 0 overload number is dropped, others stay)."""
    m = re.fullmatch(r"(.*)Backward(\d*)", node.name())
    if m is None:
        return node.name()
    return m.group(1) + ("" if m.group(2) in ("", "0") else m.group(2))


class Node:
    """A recorded op in the graph; ``next_edges[i]`` says where the gradient of input i goes:
    ``None`` (no grad), ``(node, output_nr)`` for a non-leaf, ``(leaf_tensor, -1)`` for a leaf."""

    __slots__ = ("next_edges", "needs_input_grad", "_saved", "_saved_v", "_out", "_freed",
                 "_pre_hooks", "_trace", "_tname", "__weakref__", "__dict__")
    n_out = 1
    recording = True
    # torch's name for this node type when it differs from ``<ClassName>Backward0``
    torch_name: str | None = None

    def name(self) -> str:
        """torch's ``grad_fn.name()``: the per-node ``_tname`` an op's forward may set (one op
        standing for several torch ops), else the class's ``torch_name``, else
        ``<ClassName>Backward0``.  ``_tname`` is a slot, so it survives ``_release``."""
        try:
            return self._tname
        except AttributeError:
            return self.torch_name or type(self).__name__ + "Backward0"

    def __repr__(self) -> str:
        # torch's C++ nodes print their bare type name: <CopySlices object at ...>
        return f"<{self.name().rpartition('::')[2]} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        out = []
        for e in self.next_edges:
            if e is None:
                out.append((None, 0))
            elif e[1] < 0:
                out.append((AccumulateGrad(e[0]), 0))
            else:
                out.append(e)
        return tuple(out)

    def register_prehook(self, fn):
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append((None, fn))
        return _Handle(self._pre_hooks, (None, fn))

    # -- saved tensors -------------------------------------------------------------------
    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(FREED_MSG)
        if self._saved_v is None:  # packed by saved_tensors_hooks
            return self._unpack_saved()
        saved = self._saved
        for t, v in zip(saved, self._saved_v):
            if t is not None and t._vc[0] != v:
                self._version_error(t, v)
        out = self._out
        if out is None:
            return saved
        if type(out) is list:  # multi-output op saving all its outputs
            outs = []
            for data, vc, v, nr in out:
                if vc[0] != v:
                    self._version_error(_T._make(data, None), v, vc[0], nr)
                outs.append(_T._make(data, self, nr, vc))
            return saved + tuple(outs)
        data, vc, v, nr = out
        if vc[0] != v:
            t = _T._make(data, None)
            self._version_error(t, v, vc[0], nr)
        return saved + (_T._make(data, self, nr, vc),)

    def _saved_arrays(self):
        """The saved inputs' (and single output's) raw arrays, version-checked like
        ``saved_tensors`` but without wrapping them in Tensors (for array-level backwards)."""
        if self._freed:
            raise RuntimeError(FREED_MSG)
        if self._saved_v is None:  # packed by saved_tensors_hooks
            return [None if t is None else t._data for t in self._unpack_saved()]
        out = []
        for t, v in zip(self._saved, self._saved_v):
            if t is None:
                out.append(None)
                continue
            if t._vc[0] != v:
                self._version_error(t, v)
            out.append(t._data)
        o = self._out
        if o is not None:
            data, vc, v, nr = o
            if vc[0] != v:
                self._version_error(_T._make(data, None), v, vc[0], nr)
            out.append(data)
        return out

    def _unpack_saved(self) -> tuple:
        """The saved tensors of a node whose saves went through ``saved_tensors_hooks``: each
        unpacked once per access (no version check, as in torch)."""
        res = [None if p is None else p.get() for p in self._saved]
        out = self._out
        if out is not None:
            for p in (out if type(out) is list else (out,)):
                res.append(p.get(self, p.output_nr))
        return tuple(res)

    def _pack_saved(self, saved, outs) -> None:
        """Run the active pack hook on each saved input and on the saved outputs."""
        self._saved = tuple([_graph.pack(t) for t in saved])
        self._saved_v = None
        if outs is not None:
            packed = [_graph.pack(o, True) for o in outs]
            for p, o in zip(packed, outs):
                p.output_nr = o._output_nr
            self._out = packed if self.n_out != 1 else packed[0]

    def _version_error(self, t, expected, actual=None, nr=None):
        actual = t._vc[0] if actual is None else actual
        which = ""
        if nr is not None:
            which = f", which is output {nr} of {_op_name(self)},"
        elif t.grad_fn is not None:
            which = f", which is output {t._output_nr} of {_op_name(t.grad_fn)},"
        hint = ("the backtrace further above shows the operation that failed to compute its "
                "gradient. The variable in question was changed in there or anywhere later. Good luck!"
                if _Anomaly.enabled else
                "enable anomaly detection to find the operation that failed to compute its "
                "gradient, with danlu.autograd.set_detect_anomaly(True, check_nan=False).")
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {_describe(t)}{which} is at version {actual}; expected version "
            f"{expected} instead. Hint: {hint}"
        )

    def _release(self) -> None:
        if self._saved or self._out is not None or self.__dict__:
            self._freed = True
            self._saved = ()
            self._out = None
            self.__dict__.clear()

    def _run_backward(self, grads):
        raise NotImplementedError  # every concrete node type defines it


def _init_node(ctx) -> None:
    ctx._saved = ()
    ctx._saved_v = ()
    ctx._out = None
    ctx._freed = False
    ctx._pre_hooks = None
    ctx._trace = None


class Op(Node):
    """Base of danlu's built-in ops (arrays in forward, Tensors in backward).

    Naming (``grad_fn.name()``, shown by ``repr`` and in torch's error messages): a class
    attribute ``torch_name = "TransposeBackward0"`` where torch's op has another name (often on
    a tiny subclass that a wrapper picks, e.g. ``Transpose(Permute)``), or ``ctx._tname = ...``
    set in ``forward`` where the name depends on the arguments (e.g. ``x[0]`` vs ``x[1:]``).
    """

    __slots__ = ()
    _save_in: tuple = ()
    # optional, parallel to ``_save_in``: the input positions whose needing a gradient makes
    # that save necessary (e.g. Mul saves ``a`` only for ``b``'s gradient); unneeded saves are
    # stored as None, so an in-place write to them later is no error (as in torch)
    _save_for: tuple | None = None
    _save_out = False
    _view = False  # output may share memory with input 0 (shares its version counter)
    # optional ``fast_backward(ctx, g) -> tuple | NotImplemented`` for single-output ops: the
    # same gradient computed on raw arrays (no per-op Tensor dispatch), used only when no graph
    # of the backward is being built (create_graph=False); NotImplemented -> ``backward``
    fast_backward = None

    @staticmethod
    def forward(ctx, *arrays, **kw):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **kw):
        """Run ``forward`` on the inputs' arrays; record a node when any input needs grad."""
        if _backend._cupy is not None and len(inputs) > 1:
            _check_devices(inputs)
        if GradMode.enabled:
            for t in inputs:
                if t._rg:
                    break
            else:
                return cls._plain(inputs, kw)
        else:
            return cls._plain(inputs, kw)
        ctx = object.__new__(cls)
        ctx._saved = ctx._saved_v = ()
        ctx._out = ctx._pre_hooks = ctx._trace = None
        ctx._freed = False
        # one pass over the inputs: needs_input_grad, graph edges, raw arrays
        needs, edges, arrays = [], [], []
        for t in inputs:
            arrays.append(t._data)
            if t._rg:
                needs.append(True)
                fn = t.grad_fn
                edges.append((t, -1) if fn is None else (fn, t._output_nr))
            else:
                needs.append(False)
                edges.append(None)
        ctx.needs_input_grad = tuple(needs)
        ctx.next_edges = tuple(edges)
        out = cls.forward(ctx, *arrays, **kw)
        if cls._save_in:
            if cls._save_for is None:
                saved = tuple([inputs[i] for i in cls._save_in])
                ctx._saved_v = tuple([t._vc[0] for t in saved])
            else:
                nig = ctx.needs_input_grad
                saved = tuple([inputs[i] if any(nig[j] for j in w) else None
                               for i, w in zip(cls._save_in, cls._save_for)])
                ctx._saved_v = tuple([-1 if t is None else t._vc[0] for t in saved])
            ctx._saved = saved
        if _Anomaly.enabled:
            ctx._trace = "".join(traceback.format_stack()[:-2])
        make = _T._make
        if cls.n_out == 1:
            vc = inputs[0]._vc if cls._view and out.base is not None else None
            if out.dtype.kind != "f":  # integer / bool results are not differentiable
                return make(out, None, 0, vc)
            res = make(out, ctx, 0, vc)
            if cls._view:
                res._base = inputs[0]
            if cls._save_out:
                ctx._out = (res._data, res._vc, res._vc[0], 0)
            if _graph._HOOKS:
                ctx._pack_saved(ctx._saved, [res] if cls._save_out else None)
            return res
        nd = getattr(ctx, "non_differentiable", ())
        res = tuple(make(o, None if i in nd else ctx, i) for i, o in enumerate(out))
        if cls._save_out:
            ctx._out = [(r._data, r._vc, r._vc[0], i) for i, r in enumerate(res)]
        if _graph._HOOKS:
            ctx._pack_saved(ctx._saved, list(res) if cls._save_out else None)
        return res

    @classmethod
    def _plain(cls, inputs, kw):
        out = cls.forward(NOCTX, *[t._data for t in inputs], **kw)
        make = _T._make
        if cls.n_out == 1:
            if cls._view and inputs and out.base is not None:
                # an unrecorded view still knows its base, so that an in-place op recorded on
                # it later rebases the base's history (or is torch's error, made under no_grad)
                res = make(out, None, 0, inputs[0]._vc)
                res._base = inputs[0]
                if not GradMode.enabled:
                    res._view_nograd = True
                return res
            return make(out, None, 0)
        return tuple(make(o, None, 0) for o in out)

    def _run_backward(self, grads):
        if self._freed:
            raise RuntimeError(FREED_MSG)
        if self.n_out == 1:
            fast = self.fast_backward
            if fast is not None and not GradMode.enabled:
                res = fast(self, grads[0])
                if res is not NotImplemented:
                    return res
            res = self.backward(self, grads[0])
        else:
            res = self.backward(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        return res


def _check_devices(inputs) -> None:
    """torch's error for operands on different devices (only checked where CuPy exists)."""
    t0 = type(inputs[0]._data)
    for t in inputs[1:]:
        if type(t._data) is not t0:
            raise RuntimeError(
                "Expected all tensors to be on the same device, but found at least two devices, "
                f"{inputs[0].device} and {t.device}!")


class AccumulateGrad:
    """What ``next_functions`` shows for a leaf: the leaf's gradient accumulator."""

    def __init__(self, variable) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


class _Handle:
    """Returned by ``register_hook``: ``remove()`` unregisters."""

    def __init__(self, lst, item) -> None:
        self._lst, self._item = lst, item

    def remove(self) -> None:
        try:
            self._lst.remove(self._item)
        except ValueError:
            pass


# ------------------------------------------------------------------------------------------
# torch.autograd.Function
# ------------------------------------------------------------------------------------------
class FunctionCtx:
    """What ``ctx`` offers in a user ``Function``'s forward and backward."""

    def save_for_backward(self, *tensors) -> None:
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_diff = {id(t) for t in tensors}

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = value


class _UserNode(Node, FunctionCtx):
    __slots__ = ()

    def name(self) -> str:
        return self._fn_cls.__name__ + "Backward"

    def _run_backward(self, grads):
        if self._freed:
            raise RuntimeError(FREED_MSG)
        if getattr(self, "_materialize", True):
            grads = [g if g is not None else _T._zeros_like_meta(*meta)
                     for g, meta in zip(grads, self._out_meta)]
        res = self._fn_cls._user_backward()(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n_args = len(self._arg_is_tensor)
        if len(res) < n_args:
            res = res + (None,) * (n_args - len(res))
        if len(res) > n_args:
            if any(r is not None for r in res[n_args:]):
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients "
                    f"(expected {n_args}, got {len(res)})"
                )
            res = res[:n_args]
        return tuple(r for r, is_t in zip(res, self._arg_is_tensor) if is_t)

    def _release(self) -> None:
        self._freed = True
        self._saved = ()


class _FunctionMeta(type):
    """Gives every ``Function`` subclass its own node type ``<Name>Backward`` (torch's
    ``_backward_cls``), so ``type(out.grad_fn).__name__`` reads as in torch."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (_UserNode,),
                                 {"__slots__": (), "_fn_cls": cls, "_forward_cls": cls})


class Function(FunctionCtx, metaclass=_FunctionMeta):
    """User-defined differentiable op::

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, g):
                (y,) = ctx.saved_tensors
                return g * y
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):  # pragma: no cover - user overrides
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):  # pragma: no cover - user overrides
        raise NotImplementedError("You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")

    # torch's alias: a Function may define ``vjp`` instead of ``backward``
    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        """Split style: a Function that overrides this has ``forward(*inputs)`` without ctx;
        ``apply`` then calls ``setup_context(ctx, inputs, output)`` right after forward, with
        ``inputs`` the forward arguments (defaults filled in) and ``output`` its result. The
        base one is never called (forward takes ctx itself), so it saves nothing."""
        return None

    @classmethod
    def _user_backward(cls):
        """The user's gradient formula: ``backward``, or ``vjp`` when that is what was defined."""
        bwd, vjp = cls.backward, cls.vjp
        if bwd is not Function.backward and vjp is not Function.vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is "
                               "not allowed. You should only implement one of them.")
        return vjp if vjp is not Function.vjp else bwd

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = _T
        split = cls.setup_context is not Function.setup_context
        if split:  # torch binds the defaults so setup_context sees every forward argument
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = tuple(bound.args), bound.kwargs
        is_t = tuple(isinstance(a, Tensor) for a in args)
        ctx = object.__new__(cls._backward_cls)
        _init_node(ctx)
        ctx._arg_is_tensor = is_t
        tensors = [a for a in args if isinstance(a, Tensor)]
        record = GradMode.enabled and any(t._rg for t in tensors)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        prev = GradMode.enabled
        GradMode.enabled = False
        try:
            if split:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        finally:
            GradMode.enabled = prev
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        dirty = getattr(ctx, "_dirty", ())
        if dirty and not all(any(d is o for o in outs) for d in dirty):
            raise RuntimeError(
                "Some elements marked as dirty during the forward method were not returned as "
                "output. The inputs that are modified inplace must all be outputs of the Function.")
        if not record:
            return outputs
        ctx.next_edges = tuple(
            None if not t._rg else ((t, -1) if t.grad_fn is None else (t.grad_fn, t._output_nr))
            for t in tensors
        )
        non_diff = getattr(ctx, "_non_diff", set())
        wrapped = []
        meta = []
        raw_to_wrapped = {}
        rebase = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and any(o is d for d in dirty):
                # an input modified in place (mark_dirty): it is the output, with new history
                if o.grad_fn is None and o._rg:
                    raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                       "in-place operation.")
                o._check_inplace()  # a view of such a leaf
                meta.append((o.shape, o.dtype, o._data))
                if id(o) not in non_diff and o.dtype.is_floating_point:
                    rebase.append((o, o._view_root()))
                    o.grad_fn, o._output_nr, o._rg = ctx, i, True
                raw_to_wrapped[id(o)] = o
                wrapped.append(o)
            elif isinstance(o, Tensor):
                meta.append((o.shape, o.dtype, o._data))
                if id(o) in non_diff or not o.dtype.is_floating_point:
                    w = Tensor._make(o._data, None, 0, o._vc)
                else:
                    w = Tensor._make(o._data, ctx, i, o._vc)
                raw_to_wrapped[id(o)] = w
                wrapped.append(w)
            else:
                meta.append(((), None, None))
                wrapped.append(o)
        for o, root in rebase:  # a dirty view: its base now holds the Function's output
            o._rebase_view_base(root, o)
        ctx._out_meta = meta
        ctx.n_out = len(outs)
        to_save = getattr(ctx, "_to_save", ())
        # saved outputs must be the graph-connected ones so double backward sees through them
        saved = []
        for t in to_save:
            if t is not None and id(t) in raw_to_wrapped:
                saved.append(raw_to_wrapped[id(t)])
            else:
                saved.append(t)
        ctx._saved = tuple(saved)
        ctx._saved_v = tuple(t._vc[0] if t is not None else 0 for t in saved)
        if _graph._HOOKS and saved:
            ctx._pack_saved(saved, None)
        if _Anomaly.enabled:
            ctx._trace = "".join(traceback.format_stack()[:-1])
        return wrapped[0] if single else tuple(wrapped)


def _user_saved(self):
    if self._freed:
        raise RuntimeError(FREED_MSG)
    if self._saved_v is None:  # packed by saved_tensors_hooks
        return self._unpack_saved()
    for t, v in zip(self._saved, self._saved_v):
        if t is not None and t._vc[0] != v:
            self._version_error(t, v)
    return self._saved


_UserNode.saved_tensors = property(_user_saved)


ONCE_MSG = "trying to differentiate twice a function that was marked with @once_differentiable"


class _DelayedError(Op):
    """Identity whose own backward raises: what a ``once_differentiable`` backward returns when
    the gradient graph is being built, so that differentiating it again fails (torch's Error node)."""

    torch_name = "torch::autograd::Error"

    @staticmethod
    def forward(ctx, a):
        return a

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(ONCE_MSG)


class once_differentiable:  # noqa: N801 - torch's name
    """Decorator for a backward that is not itself differentiable: it runs under no_grad, and
    when grad mode is on and a gradient argument requires grad (``create_graph=True``) each
    returned gradient is detached and put behind a node that raises on a second backward."""

    def __new__(cls, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(ctx, *args):
            prev = GradMode.enabled
            GradMode.enabled = False
            try:
                outputs = fn(ctx, *args)
            finally:
                GradMode.enabled = prev
            if not prev or not any(isinstance(a, _T) and a._rg for a in args):
                return outputs
            single = not isinstance(outputs, tuple)
            outs = (outputs,) if single else outputs
            wrapped = tuple(
                _DelayedError.apply(o.detach().requires_grad_())
                if isinstance(o, _T) and o.dtype.is_floating_point else o
                for o in outs)
            return wrapped[0] if single else wrapped

        return wrapper
