"""``Optimizer``: the base class every optimizer derives from (torch.optim.Optimizer).

An optimizer holds ``param_groups`` (a list of dicts, each with its own ``params`` list and
hyper-parameters such as ``lr``) and per-parameter ``state`` (a dict keyed by the parameter
Tensor).  ``state_dict()`` replaces parameters by their integer position across the groups, in
torch's layout::

    {"state": {0: {"step": tensor(3.), "exp_avg": ...}, 1: {...}},
     "param_groups": [{"lr": 0.01, ..., "params": [0, 1]}, ...]}

Updates run on the raw backend arrays under ``no_grad`` and never modify ``.grad`` in place;
each updated parameter's version counter is bumped once per step so autograd can still detect a
parameter that was saved for backward and then stepped on.
"""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as _np

from .. import _backend as B
from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Singleton marking a hyper-parameter that has no default (``SGD(lr=required)`` in old torch)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class _RemovableHandle:
    """What ``register_*_hook`` returns: ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


_global_pre_hooks: "OrderedDict[int, Callable]" = OrderedDict()
_global_post_hooks: "OrderedDict[int, Callable]" = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> _RemovableHandle:
    """A hook run before every optimizer's ``step``: ``hook(optimizer, args, kwargs)``."""
    h = _RemovableHandle(_global_pre_hooks)
    _global_pre_hooks[h.id] = hook
    return h


def register_optimizer_step_post_hook(hook: Callable) -> _RemovableHandle:
    """A hook run after every optimizer's ``step``: ``hook(optimizer, args, kwargs)``."""
    h = _RemovableHandle(_global_post_hooks)
    _global_post_hooks[h.id] = hook
    return h


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    t = type(obj)
    mod = t.__module__
    return t.__qualname__ if mod in ("builtins", None) else f"{mod}.{t.__qualname__}"


def _to_scalar(x):
    """A 1-element Tensor hyper-parameter (``lr=tensor(0.01)``) as a Python number."""
    if isinstance(x, Tensor):
        return x.item()
    return x


def _scalar_dtype():
    """dtype of the scalar state tensors (``step``, NAdam's ``mu_product``...): float32 unless
    the default dtype is float64, as torch."""
    return _np.float64 if D.get_default_dtype().np == _np.float64 else _np.float32


def _scalar(value: float = 0.0) -> Tensor:
    """A 0-d CPU state tensor such as ``state['step']``."""
    return Tensor._make(_np.array(value, dtype=_scalar_dtype()))


def _zeros_like(p: Tensor) -> Tensor:
    return Tensor._make(B.xp_of(p._data).zeros_like(p._data))


def _full_like(p: Tensor, value) -> Tensor:
    return Tensor._make(B.xp_of(p._data).full_like(p._data, value))


def _check_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_betas(betas) -> None:
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def _check_nonneg(name: str, value) -> None:
    if not 0.0 <= value:
        raise ValueError(f"Invalid {name} value: {value}")


def _check_impl_flags(differentiable: bool) -> None:
    if differentiable:
        raise NotImplementedError(
            "danlu optimizers do not support differentiable=True (differentiating through "
            "optimizer.step); the update runs on raw arrays under no_grad")


class _Scratch:
    """One growable flat buffer per (array type, dtype), reused as the temporary of every update
    so a step allocates nothing for the common options."""

    def __init__(self) -> None:
        self._bufs: dict = {}

    def get(self, like, k: int = 0):
        key = (type(like), like.dtype, k)
        buf = self._bufs.get(key)
        n = like.size
        if buf is None or buf.size < n:
            buf = B.xp_of(like).empty(max(n, 1), like.dtype)
            self._bufs[key] = buf
        return buf[:n].reshape(like.shape)


class Optimizer:
    """Base class for all optimizers.

    ``params`` is an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts (parameter
    groups: ``{"params": [...], "lr": ...}``; options a group leaves out come from
    ``defaults``).
    """

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors "
                            "or dicts, but got " + _typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # -- step hooks: every subclass's ``step`` is wrapped once, at class creation ----------
    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        fn = cls.__dict__.get("step")
        if fn is not None and not getattr(fn, "_danlu_hooked", False):
            cls.step = Optimizer._hook_step(fn)

    @staticmethod
    def _hook_step(fn):
        @functools.wraps(fn)
        def step(self, *args, **kwargs):
            for hook in chain(list(_global_pre_hooks.values()),
                              list(self._optimizer_step_pre_hooks.values())):
                res = hook(self, args, kwargs)
                if res is not None:
                    if isinstance(res, tuple) and len(res) == 2:
                        args, kwargs = res
                    else:
                        raise RuntimeError(
                            f"{fn} must return None or a tuple of (new_args, new_kwargs), but got {res}.")
            out = fn(self, *args, **kwargs)
            for hook in chain(list(self._optimizer_step_post_hooks.values()),
                              list(_global_post_hooks.values())):
                hook(self, args, kwargs)
            return out

        step._danlu_hooked = True
        return step

    def register_step_pre_hook(self, hook: Callable) -> _RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs before ``step``; it may return new (args, kwargs)."""
        h = _RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[h.id] = hook
        return h

    def register_step_post_hook(self, hook: Callable) -> _RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs after ``step``."""
        h = _RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[h.id] = hook
        return h

    def _register(self, table: OrderedDict, hook, prepend: bool) -> _RemovableHandle:
        h = _RemovableHandle(table)
        table[h.id] = hook
        if prepend:
            table.move_to_end(h.id, last=False)
        return h

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> _RemovableHandle:
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> _RemovableHandle:
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> _RemovableHandle:
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> _RemovableHandle:
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- pickling / repr ------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)
        # old checkpoints kept scalar state as Python numbers; torch keeps 0-d tensors
        for s in self.state.values():
            if isinstance(s, dict):
                for key in self._scalar_state_keys:
                    if key in s and not isinstance(s[key], Tensor):
                        s[key] = _scalar(float(s[key]))

    _scalar_state_keys: tuple[str, ...] = ("step",)

    def __repr__(self) -> str:
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    # -- parameter groups -----------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Append a group (``{"params": [...], **options}``); missing options come from ``defaults``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                            "ordering of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        tensors, names = [], []
        for p in param_group["params"]:
            if isinstance(p, tuple):
                names.append(p[0])
                tensors.append(p[1])
            else:
                tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this "
                          "will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                          "information", stacklevel=3)
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to ``None`` (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._rg = False
                    g._data[...] = 0
                    g._vc[0] += 1

    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one update; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    @staticmethod
    def _closure_loss(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- state dict -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}`` (tensors shared,
        not copied, as torch)."""
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index: dict[int, int] = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        sd = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            res = hook(self, sd)
            if res is not None:
                sd = res
        return sd

    @staticmethod
    def _cast_state(param: Tensor, value, param_id, saved_groups, key=None):
        """State tensors move to the parameter's device and (floating parameters, except ``step``)
        its dtype, as torch's load_state_dict."""
        if isinstance(value, Tensor):
            if key == "step":
                group = next((g for g in saved_groups if param_id in g["params"]), {})
                if group.get("capturable", False) or group.get("fused", False):
                    return value.to(dtype=D.float32)
                return value
            if param.is_floating_point():
                return value.to(dtype=param.dtype, device=param.device)
            return value.to(device=param.device)
        if isinstance(value, dict):
            return {k: Optimizer._cast_state(param, v, param_id, saved_groups, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(Optimizer._cast_state(param, v, param_id, saved_groups) for v in value)
        return value

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()`` (same number of groups and group sizes) and continue from it."""
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            res = hook(self, state_dict)
            if res is not None:
                state_dict = res
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size "
                             "of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = self._cast_state(p, v, k, state_dict["param_groups"])
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        self.__setstate__({"state": state,
                           "param_groups": [update_group(g, n) for g, n in zip(groups, saved_groups)]})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    # -- helpers for subclasses -----------------------------------------------------------
    def _scratch(self, like, k: int = 0):
        sc = self.__dict__.get("_scratch_bufs")
        if sc is None:
            sc = self.__dict__["_scratch_bufs"] = _Scratch()
        return sc.get(like, k)


def _grad_array(p: Tensor, maximize: bool, weight_decay: float):
    """The gradient array the update uses: ``-g`` when maximizing, plus ``weight_decay * p``
    (coupled L2 decay). A new array whenever it differs from ``p.grad`` (never written in place)."""
    g = p._grad._data
    if maximize:
        g = -g
        if weight_decay != 0:
            g += weight_decay * p._data
        return g
    if weight_decay != 0:
        g = g + weight_decay * p._data
    return g


def _lerp_(xp, a, b, w: float, tmp) -> None:
    """``a.lerp_(b, w)`` as torch: ``a + w (b - a)`` for ``w < 0.5``, else ``b - (b - a)(1 - w)``
    (the weight is rounded to the arrays' dtype before ``1 - w`` is taken, as torch's kernel)."""
    xp.subtract(b, a, out=tmp)
    w = a.dtype.type(w)
    if w < 0.5:
        tmp *= w
        a += tmp
    else:
        tmp *= a.dtype.type(1) - w
        xp.subtract(b, tmp, out=a)


def _addcmul_sq_(xp, a, g, value: float, tmp) -> None:
    """``a += value * g * g`` (torch's ``addcmul_(g, g, value=value)``, evaluated as (value*g)*g)."""
    xp.multiply(g, value, out=tmp)
    tmp *= g
    a += tmp


def _bump(p: Tensor) -> None:
    p._vc[0] += 1


def _step_context():
    return no_grad()


def _params_with_grad(group: dict) -> Iterable[Tensor]:
    return [p for p in group["params"] if p._grad is not None]
