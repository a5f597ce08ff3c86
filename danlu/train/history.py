"""History: the per-epoch record of a training run (one row of named numbers per epoch)."""
from __future__ import annotations

import csv
import io
import json
import math
import os
from typing import Any, Iterator

__all__ = ["History", "atomic_write_text"]


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so a reader never sees half a file."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def _num(v: Any) -> Any:
    try:
        return float(v) if not isinstance(v, (int, bool)) else v
    except (TypeError, ValueError):
        return v


class History:
    """Rows of per-epoch logs; ``h['val_loss']`` is that column (NaN where an epoch lacks it).

    ``stop_reason`` says why training ended early (early stopping, a non-finite loss), else ``None``.
    """

    def __init__(self, rows: list[dict] | None = None) -> None:
        self.rows: list[dict] = [dict(r) for r in rows or []]
        self.stop_reason: str | None = None

    def append(self, row: dict) -> None:
        self.rows.append({k: _num(v) for k, v in row.items()})

    @property
    def keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.rows:
            for k in r:
                seen.setdefault(k, None)
        return list(seen)

    def __getitem__(self, key: str) -> list:
        if key not in self.keys:
            raise KeyError(f"{key!r} is not in the history; it has {', '.join(self.keys) or 'nothing yet'}")
        return [r.get(key, float("nan")) for r in self.rows]

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict]:
        return iter(self.rows)

    @property
    def last(self) -> dict:
        return dict(self.rows[-1]) if self.rows else {}

    def best(self, key: str, mode: str = "auto") -> tuple[int, float]:
        """(index, value) of the best epoch by ``key`` (``mode`` 'min', 'max' or 'auto' from the name)."""
        mode = infer_mode(key) if mode == "auto" else mode
        vals = [(i, v) for i, v in enumerate(self[key]) if isinstance(v, (int, float)) and not math.isnan(v)]
        if not vals:
            raise ValueError(f"no values of {key!r} recorded")
        return (min if mode == "min" else max)(vals, key=lambda iv: iv[1])

    def to_dict(self) -> dict[str, list]:
        """Columns: ``{name: [value per epoch]}``."""
        return {k: self[k] for k in self.keys}

    @classmethod
    def from_dict(cls, cols: dict[str, list]) -> "History":
        n = max((len(v) for v in cols.values()), default=0)
        rows = []
        for i in range(n):
            row = {}
            for k, v in cols.items():
                x = v[i]
                x = x.item() if hasattr(x, "item") else x
                if not (isinstance(x, float) and math.isnan(x)):
                    row[k] = x
            rows.append(row)
        return cls(rows)

    # serialisation ---------------------------------------------------------------------------
    def to_csv(self, path: str | None = None) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        keys = self.keys
        w.writerow(keys)
        for r in self.rows:
            w.writerow(["" if r.get(k) is None else (f"{r[k]:.10g}" if isinstance(r.get(k), float) else r.get(k, ""))
                        for k in keys])
        text = buf.getvalue()
        if path:
            atomic_write_text(path, text)
        return text

    def to_json(self, path: str | None = None) -> str:
        def clean(v):
            return None if isinstance(v, float) and not math.isfinite(v) else v

        text = json.dumps({"rows": [{k: clean(v) for k, v in r.items()} for r in self.rows],
                           "stop_reason": self.stop_reason}, indent=1)
        if path:
            atomic_write_text(path, text)
        return text

    @classmethod
    def load(cls, path: str) -> "History":
        """Read a history written by ``to_json`` or ``to_csv``."""
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if path.endswith(".json"):
            d = json.loads(text)
            h = cls([{k: (float("nan") if v is None else v) for k, v in r.items()} for r in d["rows"]])
            h.stop_reason = d.get("stop_reason")
            return h
        rows = []
        for r in csv.DictReader(io.StringIO(text)):
            rows.append({k: _parse(v) for k, v in r.items() if v != ""})
        return cls(rows)

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, keys={self.keys})"


def _parse(s: str) -> Any:
    try:
        return int(s)
    except ValueError:
        try:
            return float(s)
        except ValueError:
            return s


def infer_mode(key: str) -> str:
    """'max' for accuracy-like names (accuracy, f1, precision, recall, r2), else 'min' (losses, errors)."""
    k = key.lower()
    return "max" if any(s in k for s in ("acc", "f1", "precision", "recall", "r2", "auc")) else "min"
