"""``repr(tensor)`` in torch's format: ``tensor([1.0000, 2.5000], requires_grad=True)``.

torch's rules: precision 4; floats all integral print as ``1.``; scientific notation when the
ratio max/min of the non-zero magnitudes exceeds 1000 or a magnitude is >= 1e8 or < 1e-4;
summarised with ``...`` beyond 1000 elements (3 at each edge); line width 80.
"""
from __future__ import annotations

import numpy as np

from . import _backend as B
from . import _dtype as D

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80


class _Opts:
    precision = PRECISION
    threshold = THRESHOLD
    edgeitems = EDGEITEMS
    linewidth = LINEWIDTH
    sci_mode = None


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None) -> None:
    if profile == "default":
        _Opts.precision, _Opts.threshold, _Opts.edgeitems, _Opts.linewidth = 4, 1000, 3, 80
    elif profile == "short":
        _Opts.precision, _Opts.threshold, _Opts.edgeitems, _Opts.linewidth = 2, 1000, 2, 80
    elif profile == "full":
        _Opts.precision, _Opts.threshold, _Opts.edgeitems, _Opts.linewidth = 4, float("inf"), 3, 80
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            setattr(_Opts, k, v)
    _Opts.sci_mode = sci_mode


def _summarize(a, edge):
    """Elements kept for formatting when summarising."""
    if a.ndim == 0:
        return a.reshape(1)
    if a.shape[0] > 2 * edge:
        a = np.concatenate([a[:edge], a[-edge:]])
    if a.ndim == 1:
        return a
    return np.concatenate([_summarize(x, edge).reshape(-1) for x in a]) if len(a) else a.reshape(-1)


class _Formatter:
    def __init__(self, vals: np.ndarray, is_float: bool) -> None:
        self.is_float = is_float
        self.int_mode = True
        self.sci = False
        self.width = 1
        p = _Opts.precision
        if vals.dtype == bool:
            self.width = max(len("False") if not vals.all() else 4, 4) if vals.size else 1
            self.width = max((len(str(bool(v))) for v in vals), default=1)
            return
        if not is_float:
            self.width = max((len(str(int(v))) for v in vals), default=1)
            return
        finite = vals[np.isfinite(vals)]
        nz = np.abs(finite[finite != 0])
        if finite.size == 0 or (finite == np.round(finite)).all():
            self.int_mode = True
            if nz.size and (nz.max() / nz.min() > 1000.0 or nz.max() > 1e8):
                self.sci = True
                self.int_mode = False
        else:
            self.int_mode = False
            if nz.size and (nz.max() / nz.min() > 1000.0 or nz.max() > 1e8 or nz.min() < 1e-4):
                self.sci = True
        if _Opts.sci_mode is not None:
            self.sci = _Opts.sci_mode
            if self.sci:
                self.int_mode = False
        self.p = p
        # as torch: the width comes from the non-zero finite values only (nan/inf/0 may be
        # narrower or wider and are padded / overflow)
        self.width = max((len(self._fmt(v)) for v in finite[finite != 0]), default=1)

    def _fmt(self, v) -> str:
        if self.is_float:
            if np.isnan(v):
                return "nan"
            if np.isinf(v):
                return "inf" if v > 0 else "-inf"
            if self.sci:
                return f"{v:.{self.p}e}"
            if self.int_mode:
                return f"{v:.0f}."
            return f"{v:.{self.p}f}"
        if isinstance(v, (bool, np.bool_)):
            return str(bool(v))
        return str(int(v))

    def __call__(self, v) -> str:
        return self._fmt(v).rjust(self.width)


def _rec(a, fmt, indent, summarize):
    edge = _Opts.edgeitems
    if a.ndim == 0:
        return fmt(a.item())
    if a.ndim == 1:
        items = [fmt(v) for v in a.tolist()] if not summarize or a.shape[0] <= 2 * edge else \
            [fmt(v) for v in a[:edge].tolist()] + [" ..."] + [fmt(v) for v in a[-edge:].tolist()]
        per_line = max(1, (_Opts.linewidth - indent) // (fmt.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and a.shape[0] > 2 * edge:
        parts = [_rec(x, fmt, indent + 1, summarize) for x in a[:edge]] + ["..."] + \
                [_rec(x, fmt, indent + 1, summarize) for x in a[-edge:]]
    else:
        parts = [_rec(x, fmt, indent + 1, summarize) for x in a]
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def tensor_repr(t) -> str:
    a = B.to_numpy(t._data)
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    summarize = a.size > _Opts.threshold
    is_float = a.dtype.kind == "f"
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size=({', '.join(map(str, a.shape))}{',' if a.ndim == 1 else ''})")
    else:
        vals = _summarize(a, _Opts.edgeitems) if summarize else a.reshape(-1)
        fmt = _Formatter(vals.astype(np.float64) if is_float else vals, is_float)
        body = _rec(a.astype(np.float64) if is_float else a, fmt, indent, summarize)
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    dt = t.dtype
    default_ok = dt in (D.get_default_dtype(), D.int64, D.bool_)
    if not default_ok or (a.size == 0 and dt is not D.get_default_dtype()):
        suffixes.append(f"dtype={dt!r}")
    if t.grad_fn is not None:
        # torch's C++ nodes (torch::autograd::CopySlices) print their bare type name
        suffixes.append(f"grad_fn=<{t.grad_fn.name().rpartition('::')[2]}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    return prefix + ", ".join([body] + suffixes) + ")"
