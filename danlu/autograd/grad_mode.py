"""Grad-mode switches: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

Each works as a context manager and as a decorator, as in torch.
"""
from __future__ import annotations

import functools
import inspect


class GradMode:
    enabled = True
    inference = False


def is_grad_enabled() -> bool:
    return GradMode.enabled


def is_inference_mode_enabled() -> bool:
    return GradMode.inference


class _Switch:
    """Base: subclasses set ``self._target`` in ``__init__``."""

    _target: bool = True

    def __enter__(self):
        self._prev = GradMode.enabled
        GradMode.enabled = self._target
        return self

    def __exit__(self, *exc):
        GradMode.enabled = self._prev
        return False

    def clone(self):
        return type(self)()

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen_wrapper(*args, **kwargs):
                gen = fn(*args, **kwargs)
                with self.clone():
                    value = next(gen)
                while True:
                    try:
                        with self.clone():
                            sent = yield value
                            value = gen.send(sent)
                    except StopIteration as e:
                        return e.value
            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_Switch):
    """Disable graph recording: ops inside produce tensors with ``requires_grad=False``."""

    def __init__(self, orig_func=None) -> None:
        self._target = False
        self._fn = orig_func

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if callable(orig_func):  # used as @no_grad without parentheses
            self.__init__()
            return self(orig_func)
        return self


class enable_grad(_Switch):
    """Re-enable graph recording inside a ``no_grad`` block."""

    def __init__(self, orig_func=None) -> None:
        self._target = True

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if callable(orig_func):
            self.__init__()
            return self(orig_func)
        return self


class set_grad_enabled(_Switch):
    """``set_grad_enabled(mode)``: takes effect immediately, and as a context manager restores."""

    def __init__(self, mode: bool) -> None:
        self._prev = GradMode.enabled
        self._target = bool(mode)
        GradMode.enabled = self._target

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        GradMode.enabled = self._prev
        return False

    def clone(self):
        return _FixedSwitch(self._target)


class _FixedSwitch(_Switch):
    def __init__(self, mode: bool) -> None:
        self._target = mode

    def clone(self):
        return _FixedSwitch(self._target)


class inference_mode(_Switch):
    """Like ``no_grad`` (danlu has no separate inference tensors)."""

    def __init__(self, mode: bool = True) -> None:
        self._target = not mode
        self._mode = mode

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):
            self.__init__(True)
            return self(mode)
        return self

    def __enter__(self):
        self._prev_inf = GradMode.inference
        GradMode.inference = self._mode
        return super().__enter__()

    def __exit__(self, *exc):
        GradMode.inference = self._prev_inf
        return super().__exit__(*exc)

    def clone(self):
        return inference_mode(self._mode)
