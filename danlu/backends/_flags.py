"""Module-level boolean switches with torch's type check."""
from __future__ import annotations


class BoolFlag:
    """A data descriptor over ``state[name]`` accepting only ``bool``; ``error`` is torch's
    message for another type, formatted with ``type`` (the value's type), raised as ``exc``."""

    def __init__(self, state: dict, name: str, setter: str, error: str | None = None,
                 exc: type = RuntimeError) -> None:
        self.state, self.name, self.exc = state, name, exc
        self.error = error or setter + " expects a bool, but got {type.__name__}"

    def __get__(self, obj, objtype=None) -> bool:
        return self.state[self.name]

    def __set__(self, obj, value) -> None:
        if not isinstance(value, bool):
            raise self.exc(self.error.format(type=type(value)))
        self.state[self.name] = value
