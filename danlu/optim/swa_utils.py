"""Weight averaging (torch.optim.swa_utils): SWA and EMA copies of a model, the SWA learning-rate
schedule, and recomputing BatchNorm statistics for averaged weights.

    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))
    for x, y in loader:
        ...; opt.step(); ema.update_parameters(model)
    update_bn(loader, ema)          # running statistics for the averaged weights

SWA (the default) keeps the running mean :math:`\\bar\\theta_{n+1} = \\bar\\theta_n +
(\\theta - \\bar\\theta_n)/(n+1)`; EMA keeps :math:`\\bar\\theta \\leftarrow d\\,\\bar\\theta +
(1-d)\\,\\theta`.
"""
from __future__ import annotations

import itertools
import math
import warnings
from copy import deepcopy
from typing import Any, Callable, Iterable

import numpy as np

from .. import _dtype as D
from .._backend import xp_of
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from .lr_scheduler import LRScheduler, _format_param
from .optimizer import _lerp_

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def _lerp_all(dst: list, src: list, w: float) -> None:
    """``dst[i].lerp_(src[i], w)`` for every pair, in place on the arrays (torch's ``_foreach_lerp_``)."""
    for a, b in zip(dst, src):
        x = a._data
        tmp = xp_of(x).empty_like(x)
        _lerp_(xp_of(x), x, b._data, w, tmp)
        a._vc[0] += 1


def _is_float(t: Tensor) -> bool:
    return t._data.dtype.kind in "fc"


def get_ema_multi_avg_fn(decay: float = 0.999):
    """In-place EMA over lists of tensors: :math:`\\bar\\theta \\leftarrow \\operatorname{lerp}(\\bar\\theta,
    \\theta, 1 - d)`."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param_list, current_param_list, _num_averaged) -> None:
        with no_grad():
            if _is_float(ema_param_list[0]):
                _lerp_all(ema_param_list, current_param_list, 1 - decay)
            else:
                for e, c in zip(ema_param_list, current_param_list):
                    e.copy_(e * decay + c * (1 - decay))

    return ema_update


def _weight(num_averaged) -> float:
    # torch divides the integer counter tensor, which yields the default float dtype
    n = int(num_averaged)
    dt = D.get_default_dtype().np
    return float(dt.type(1) / dt.type(n + 1))


def get_swa_multi_avg_fn():
    """In-place running mean over lists of tensors: :math:`\\bar\\theta \\leftarrow
    \\operatorname{lerp}(\\bar\\theta, \\theta, 1/(n+1))`."""

    def swa_update(averaged_param_list, current_param_list, num_averaged) -> None:
        with no_grad():
            if _is_float(averaged_param_list[0]):
                w = _weight(num_averaged) if isinstance(num_averaged, Tensor) else 1 / (num_averaged + 1)
                _lerp_all(averaged_param_list, current_param_list, w)
            else:
                for a, c in zip(averaged_param_list, current_param_list):
                    diff = c._data - a._data
                    a._data[...] = a._data + diff / (int(num_averaged) + 1)
                    a._vc[0] += 1

    return swa_update


def get_ema_avg_fn(decay: float = 0.999):
    """Per-tensor EMA: returns :math:`d\\,\\bar\\theta + (1-d)\\,\\theta`."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """Per-tensor running mean: returns :math:`\\bar\\theta + (\\theta - \\bar\\theta)/(n+1)`."""

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A deep copy of ``model`` whose parameters (and, with ``use_buffers=True``, buffers) hold a
    running average of ``model``'s, updated by ``update_parameters(model)``.

    ``avg_fn(avg, current, n)`` returns the new average of one tensor; ``multi_avg_fn(avgs,
    currents, n)`` updates lists in place; neither means the SWA running mean.  ``n_averaged``
    (a long buffer) counts the updates.  Without ``use_buffers`` buffers are copied from ``model``
    (run :func:`update_bn` afterwards to recompute BatchNorm statistics).
    """

    def __init__(self, model: Module, device=None, avg_fn: Callable | None = None,
                 multi_avg_fn: Callable | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        n = Tensor._make(np.array(0, dtype=np.int64))
        if device is not None:
            n = n.to(device)
        self.register_buffer("n_averaged", n)
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters into the average (the first call copies them)."""
        if self.use_buffers:
            mine = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.parameters(), model.parameters()
        avg_list, cur_list = [], []
        first = int(self.n_averaged) == 0
        with no_grad():
            for pa, pm in zip(mine, theirs):
                cur = pm.detach().to(pa.device)
                avg_list.append(pa.detach())
                cur_list.append(cur)
                if first:
                    pa.detach().copy_(cur)
            if int(self.n_averaged) > 0:
                if self.multi_avg_fn is not None or self.avg_fn is None:
                    # group by device and dtype, as torch's foreach grouping
                    groups: dict = {}
                    for a, c in zip(avg_list, cur_list):
                        groups.setdefault((str(a.device), a._data.dtype), ([], []))
                        groups[(str(a.device), a._data.dtype)][0].append(a)
                        groups[(str(a.device), a._data.dtype)][1].append(c)
                    for (dev, _), (avgs, curs) in groups.items():
                        n = self.n_averaged.to(dev)
                        if self.multi_avg_fn is not None:
                            self.multi_avg_fn(avgs, curs, n)
                        elif dev.startswith("cuda"):
                            get_swa_multi_avg_fn()(avgs, curs, n)
                        else:
                            fn = get_swa_avg_fn()
                            for a, c in zip(avgs, curs):
                                a.copy_(fn(a, c, n))
                else:
                    for a, c in zip(avg_list, cur_list):
                        a.detach().copy_(self.avg_fn(a.detach(), c, self.n_averaged.to(a.device)))
            if not self.use_buffers:
                for bs, bm in zip(self.module.buffers(), model.buffers()):
                    bs.detach().copy_(bm.detach().to(bs.device))
            self.n_averaged += 1


def update_bn(loader: Iterable[Any], model: Module, device=None) -> None:
    """Recompute every BatchNorm's running statistics with one pass over ``loader`` (batches of
    inputs, or ``(input, target, ...)`` tuples/lists whose first item is the input), using a
    cumulative average (``momentum=None``); the model's training mode is restored afterwards."""
    momenta = {}
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.reset_running_stats()
            momenta[m] = m.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for m in momenta:
        m.momentum = None
    with no_grad():
        for inp in loader:
            if isinstance(inp, (list, tuple)):
                inp = inp[0]
            if device is not None:
                inp = inp.to(device)
            model(inp)
    for m, mom in momenta.items():
        m.momentum = mom
    model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneal each group's rate from its current value to ``swa_lr`` over ``anneal_epochs``
    epochs (``cos``: :math:`\alpha = (1-\cos(\pi t))/2`, ``linear``: :math:`\alpha = t`), then hold
    it: :math:`\text{lr} = \alpha\,\text{swa\_lr} + (1-\alpha)\,\text{lr}_0`."""

    def __init__(self, optimizer, swa_lr, anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1) -> None:
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, strategy: str) -> None:
        self._anneal_strategy = strategy
        self.anneal_func = self._cosine_anneal if strategy == "cos" else self._linear_anneal

    def get_lr(self) -> list:
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        # recover the rate the annealing started from, then move it towards swa_lr
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
