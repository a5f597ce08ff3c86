"""Text shipped with danlu: *The Time Machine* by H. G. Wells (public domain, Project Gutenberg #35;
the book text between Gutenberg's start and end markers)."""
from __future__ import annotations

import gzip
import os

__all__ = ["TIME_MACHINE_PATH", "load_time_machine"]

TIME_MACHINE_PATH = os.path.join(os.path.dirname(__file__), "_data", "time_machine.txt.gz")


def load_time_machine() -> str:
    """The full text of *The Time Machine* as one string (about 180,000 characters)."""
    with gzip.open(TIME_MACHINE_PATH, "rt", encoding="utf-8") as f:
        return f.read()
