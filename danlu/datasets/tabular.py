"""Tabular data: a CSV reader (no pandas) and a CSV-to-tensor pipeline for house-price-style tasks.

``TabularPipeline`` learns from the columns it is ``fit`` on (e.g. train and test features
together, as is usual in such competitions) and then ``transform`` s any table with those columns:

* numeric columns: standardised, ``(x - mean) / std`` (sample std; a constant column divides by 1),
  then missing values filled with ``fill_value`` (0, the mean after standardisation);
* categorical columns: one-hot, one column per category seen (sorted), plus one for a missing value
  when ``dummy_na`` (NaN is a category); unseen categories are all-zero rows;
* target: optionally ``log``-transformed (``inverse_target`` undoes it).

>>> cols = read_csv("train.csv")
>>> pipe = TabularPipeline(target="SalePrice", drop=["Id"], log_target=True)
>>> X, y = pipe.fit_transform(cols)          # float32 (n, d), float32 (n, 1)
"""
from __future__ import annotations

import csv
import io
import math
import os
from typing import Iterable, Sequence

import numpy as np

from .._tensor import Tensor

__all__ = ["read_csv", "TabularPipeline", "AUTO_MPG_PATH", "load_auto_mpg"]

AUTO_MPG_PATH = os.path.join(os.path.dirname(__file__), "_data", "auto_mpg.csv")
NA_VALUES = ("", "NA", "N/A", "NaN", "nan", "null", "None", "?")


def _parse_column(values: list[str], na: set) -> np.ndarray:
    """A float64 array (NaN for missing) when every present value is numeric, else an object array of
    strings (``None`` for missing)."""
    missing = [v.strip() in na for v in values]
    try:
        return np.array([math.nan if m else float(v) for v, m in zip(values, missing)], dtype=np.float64)
    except ValueError:
        return np.array([None if m else v for v, m in zip(values, missing)], dtype=object)


def read_csv(path_or_buffer, na_values: Iterable[str] = NA_VALUES, delimiter: str = ",") -> dict[str, np.ndarray]:
    """Read a CSV with a header row into ``{column: array}`` (ordered as in the file); numeric columns
    become float64 with NaN for missing, the others object arrays with ``None`` for missing."""
    if isinstance(path_or_buffer, (str, os.PathLike)):
        with open(path_or_buffer, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f, delimiter=delimiter))
    else:
        text = path_or_buffer.read()
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise ValueError("read_csv: the file is empty (a header row is required)")
    header, body = rows[0], [r for r in rows[1:] if r]
    for i, r in enumerate(body):
        if len(r) != len(header):
            raise ValueError(f"read_csv: row {i + 2} has {len(r)} fields, the header has {len(header)}")
    na = set(na_values)
    cols = list(zip(*body)) if body else [() for _ in header]
    return {name: _parse_column(list(col), na) for name, col in zip(header, cols)}


class TabularPipeline:
    """Standardise numeric columns, fill missing values, one-hot encode categoricals, log the target.

    ``numeric``/``categorical`` default to the float / non-float columns (minus ``target`` and
    ``drop``); numeric columns named in ``categorical`` are encoded by their values.
    """

    def __init__(self, target: str | None = None, numeric: Sequence[str] | None = None,
                 categorical: Sequence[str] | None = None, drop: Sequence[str] = (), log_target: bool = False,
                 fill_value: float = 0.0, dummy_na: bool = True) -> None:
        self.target, self.numeric, self.categorical = target, numeric, categorical
        self.drop, self.log_target, self.fill_value, self.dummy_na = tuple(drop), log_target, fill_value, dummy_na
        self.stats_: dict[str, tuple[float, float]] = {}
        self.categories_: dict[str, list] = {}
        self.feature_names_: list[str] = []
        self._fitted = False

    def fit(self, columns: dict[str, np.ndarray]) -> "TabularPipeline":
        skip = set(self.drop) | {self.target}
        names = [c for c in columns if c not in skip]
        cat = list(self.categorical) if self.categorical is not None else \
            [c for c in names if columns[c].dtype == object]
        num = list(self.numeric) if self.numeric is not None else [c for c in names if c not in cat]
        for c in num + cat:
            if c not in columns:
                raise KeyError(f"column {c!r} not in the table (columns: {list(columns)})")
        for c in num:
            if columns[c].dtype == object:
                raise ValueError(f"column {c!r} is not numeric; list it in categorical=")
        self.numeric_, self.categorical_ = num, cat
        self.feature_names_ = list(num)
        for c in num:
            x = columns[c].astype(np.float64)
            present = x[~np.isnan(x)]
            mean = float(present.mean()) if present.size else 0.0
            std = float(present.std(ddof=1)) if present.size > 1 else 0.0
            self.stats_[c] = (mean, std if std > 0 and np.isfinite(std) else 1.0)
        for c in cat:
            vals = [_key(v) for v in columns[c]]
            cats = sorted({v for v in vals if v is not None}, key=str)
            self.categories_[c] = cats
            self.feature_names_ += [f"{c}_{v}" for v in cats] + ([f"{c}_nan"] if self.dummy_na else [])
        self._fitted = True
        return self

    def transform(self, columns: dict[str, np.ndarray]):
        """``X`` (float32 tensor, ``(n, len(feature_names_))``) and ``y`` (float32 ``(n, 1)``, or None
        without a target column)."""
        if not self._fitted:
            raise RuntimeError("TabularPipeline.transform() called before fit()")
        n = len(next(iter(columns.values())))
        blocks = []
        for c in self.numeric_:
            mean, std = self.stats_[c]
            x = (columns[c].astype(np.float64) - mean) / std
            blocks.append(np.where(np.isnan(x), self.fill_value, x)[:, None])
        for c in self.categorical_:
            cats = self.categories_[c]
            pos = {v: i for i, v in enumerate(cats)}
            width = len(cats) + (1 if self.dummy_na else 0)
            onehot = np.zeros((n, width))
            for r, v in enumerate(columns[c]):
                k = _key(v)
                if k is None:
                    if self.dummy_na:
                        onehot[r, -1] = 1.0
                elif k in pos:
                    onehot[r, pos[k]] = 1.0
            blocks.append(onehot)
        X = np.concatenate(blocks, axis=1) if blocks else np.zeros((n, 0))
        y = None
        if self.target is not None and self.target in columns:
            t = columns[self.target].astype(np.float64)
            if self.log_target:
                if (t <= 0).any():
                    raise ValueError(f"log_target needs positive targets; {self.target!r} has min {t.min()}")
                t = np.log(t)
            y = Tensor._make(t.astype(np.float32)[:, None])
        return Tensor._make(X.astype(np.float32)), y

    def fit_transform(self, columns: dict[str, np.ndarray]):
        return self.fit(columns).transform(columns)

    def inverse_target(self, y):
        """Undo the target transform (``exp`` after ``log_target``)."""
        if not self.log_target:
            return y
        from .._ops.elementwise import exp

        return exp(y) if isinstance(y, Tensor) else np.exp(y)


def _key(v):
    """A hashable category key; None for a missing value (None or NaN)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def load_auto_mpg() -> dict[str, np.ndarray]:
    """Auto MPG (UCI, 392 cars): ``cylinders, displacement, horsepower, weight, acceleration,
    model_year, origin`` (usa/europe/japan), ``car_name`` and the target ``mpg``, as ``read_csv`` columns.

    >>> pipe = TabularPipeline(target="mpg", drop=["car_name"], categorical=["origin", "cylinders"],
    ...                        log_target=True)
    >>> X, y = pipe.fit_transform(load_auto_mpg())
    """
    return read_csv(AUTO_MPG_PATH)
