"""torch's whole-sequence ATen RNN functions: ``lstm``, ``gru``, ``rnn_tanh``, ``rnn_relu``.

Two overloads each, as torch's schemas::

    lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
        -> (output, h_n, c_n)
    lstm(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional)
        -> (output data, h_n, c_n)        # a packed batch: a PackedSequence's data / batch_sizes

``gru`` / ``rnn_tanh`` / ``rnn_relu`` take ``hx`` as one tensor and return ``(output, h_n)``.
``params`` is the modules' ``_flat_weights``: per layer, per direction (forward, then reverse),
``w_ih, w_hh[, b_ih, b_hh][, w_hr]``; ``w_hr`` (LSTM projections) is expected when ``hx[0]``'s
last dim differs from ``hx[1]``'s.  ``hx`` is ``(num_layers * dirs, N, H)``.  With ``train``,
``dropout(p)`` is applied between layers.  The gate equations are danlu's recurrent-layer ops
(``danlu._ops.rnn``; the same path as ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN``).
"""
from __future__ import annotations

import numbers

from ._ops import rnn as R
from ._tensor import Tensor, _tn

__all__ = ["lstm", "gru", "rnn_tanh", "rnn_relu"]

_T, _TS, _B, _I, _F = "Tensor", "tuple of Tensors", "bool", "int", "float"
_TAIL = [("params", _TS), ("has_biases", _B), ("num_layers", _I), ("dropout", _F), ("train", _B),
         ("bidirectional", _B)]


def _signatures(hx_kind: str) -> tuple:
    """(packed, padded) argument lists, in torch's order."""
    packed = [("data", _T), ("batch_sizes", _T), ("hx", hx_kind)] + _TAIL
    padded = [("input", _T), ("hx", hx_kind)] + _TAIL + [("batch_first", _B)]
    return packed, padded


def _matches(v, kind: str) -> bool:
    if kind == _T:
        return isinstance(v, Tensor)
    if kind == _TS:
        return isinstance(v, (list, tuple)) and all(isinstance(t, Tensor) for t in v)
    if kind == _B:
        return isinstance(v, bool)
    if kind == _I:
        return isinstance(v, numbers.Integral) and not isinstance(v, bool)
    return isinstance(v, numbers.Real)  # float: ints and bools are accepted, as torch's parser


def _bind(sig: list, args: tuple, kwargs: dict) -> dict | None:
    names = [n for n, _ in sig]
    if len(args) > len(names):
        return None
    vals = dict(zip(names, args))
    for k, v in kwargs.items():
        if k not in names or k in vals:
            return None
        vals[k] = v
    if len(vals) != len(names) or not all(_matches(vals[n], kind) for n, kind in sig):
        return None
    return vals


def _parse(name: str, hx_kind: str, args: tuple, kwargs: dict) -> tuple:
    """(bound arguments, packed?) for the overload the arguments fit; torch's TypeError otherwise."""
    sigs = _signatures(hx_kind)
    for packed, sig in zip((True, False), sigs):
        vals = _bind(sig, args, kwargs)
        if vals is not None:
            return vals, packed
    got = ", ".join([type(a).__name__ for a in args] + [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    lines = [f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:"]
    lines += [" * (" + ", ".join(f"{kind} {n}" for n, kind in sig) + ")" for sig in sigs]
    raise TypeError("\n".join(lines) + "\n")


def _layer(mode: str, x: Tensor, h0: Tensor, c0, w: list, has_biases: bool, proj: bool, reverse: bool,
           batch_sizes):
    """One layer, one direction: nn.RNNBase's choice of op (fused LSTM / GRU, else the composite)."""
    from .nn.modules import rnn as M

    for a, m in ((x, w[0]), (h0, w[1])):  # the GEMMs a W^T, with torch's message on a shape mismatch
        rows = a.numel() // a.shape[-1] if a.shape[-1] else 0
        if a.shape[-1] != m.shape[1]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a.shape[-1]} and "
                               f"{m.shape[1]}x{m.shape[0]})")
    b_ih, b_hh = (w[2], w[3]) if has_biases else (None, None)
    w_hr = w[-1] if proj else None
    if batch_sizes is not None:
        return R.layer_packed(mode, x, batch_sizes, h0, c0, w[0], w[1], b_ih, b_hh, reverse, w_hr=w_hr)
    if not proj and M.USE_FUSED and mode == "LSTM":
        return R.lstm_layer(x, h0, c0, w[0], w[1], b_ih, b_hh, reverse)
    if not proj and M.USE_FUSED and mode == "GRU":
        return R.gru_layer(x, h0, w[0], w[1], b_ih, b_hh, reverse)
    return R.layer_composite(mode, x, h0, c0, w[0], w[1], b_ih, b_hh, reverse, w_hr=w_hr)


def _batch_sizes(bs: Tensor, rows: int) -> list:
    if bs.dtype.name != "int64":
        raise RuntimeError(f"expected scalar type Long but found {_tn(bs.dtype)}")
    if bs.dim() != 1:
        raise RuntimeError(f"batch_sizes must be 1-D, got {bs.dim()}-D")
    sizes = [int(v) for v in bs.tolist()]
    if any(a < b for a, b in zip(sizes, sizes[1:])) or (sizes and sizes[-1] <= 0):
        raise RuntimeError(f"batch_sizes must be positive and non-increasing, got {sizes}")
    if sum(sizes) != rows:
        raise RuntimeError(f"batch_sizes sum to {sum(sizes)} but data has {rows} rows")
    return sizes


def _run(name: str, mode: str, args: tuple, kwargs: dict) -> tuple:
    from . import cat, stack
    from .nn.functional import dropout as _dropout

    v, packed = _parse(name, _TS if mode == "LSTM" else _T, args, kwargs)
    x, hx, params = v["data" if packed else "input"], v["hx"], list(v["params"])
    has_biases, num_layers, p = v["has_biases"], int(v["num_layers"]), float(v["dropout"])
    train, bidirectional = v["train"], v["bidirectional"]
    if mode == "LSTM":
        if len(hx) != 2:
            raise RuntimeError("lstm expects two hidden states")
        h0, c0 = hx
        proj = h0.size(2) != c0.size(2)
    else:
        h0, c0, proj = hx, None, False
    want = 2 if packed else 3
    if x.dim() != want:
        raise RuntimeError(f"input must have {want} dimensions, got {x.dim()}")
    batch_sizes = _batch_sizes(v["batch_sizes"], x.shape[0]) if packed else None
    stride = (4 if has_biases else 2) + (1 if proj else 0)
    if len(params) % stride:
        raise RuntimeError("got an incorrect number of RNN parameters")
    groups = [params[i:i + stride] for i in range(0, len(params), stride)]
    dirs = 2 if bidirectional else 1
    n_hidden = [s.shape[0] for s in ([h0] if c0 is None else [h0, c0])]
    if bidirectional and (len(groups) % 2 or any(n % 2 for n in n_hidden)):
        raise RuntimeError("Odd number of params or hiddens given to a bidirectional RNN")
    if any(n != num_layers * dirs for n in n_hidden):
        raise RuntimeError("Expected more hidden states in stacked_rnn")
    if len(groups) != num_layers * dirs:
        raise RuntimeError("Expected more weights in stacked_rnn")
    for w in params:
        if w.dtype != x.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_tn(x.dtype)} and "
                               f"{_tn(w.dtype)}")
    for s in [h0] if c0 is None else [h0, c0]:
        if s.dtype != x.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_tn(s.dtype)} and "
                               f"{_tn(x.dtype)}")
    batch_first = not packed and v["batch_first"]
    if batch_first:
        x = x.transpose(0, 1)
    hs, cs = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            out, hn, cn = _layer(mode, x, h0[k], None if c0 is None else c0[k], groups[k], has_biases, proj,
                                 d == 1, batch_sizes)
            outs.append(out)
            hs.append(hn)
            cs.append(cn)
        x = outs[0] if dirs == 1 else cat(outs, -1)
        if p != 0 and train and layer < num_layers - 1:
            if not 0 <= p <= 1:
                raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
            x = _dropout(x, p, True)
    out = x.transpose(0, 1) if batch_first else x
    if mode == "LSTM":
        return out, stack(hs, 0), stack(cs, 0)
    return out, stack(hs, 0)


def lstm(*args, **kwargs) -> tuple:
    """Multi-layer LSTM over a sequence (padded or packed overload; see the module docstring):
    ``i, f, g, o = chunk4(x W_ih^T + b_ih + h W_hh^T + b_hh)``, ``c' = s(f) c + s(i) tanh(g)``,
    ``h' = s(o) tanh(c')`` (times ``W_hr^T`` with projections).  Returns ``(output, h_n, c_n)``."""
    return _run("lstm", "LSTM", args, kwargs)


def gru(*args, **kwargs) -> tuple:
    """Multi-layer GRU over a sequence: ``r, z = s(gi_r + gh_r), s(gi_z + gh_z)``,
    ``n = tanh(gi_n + r gh_n)``, ``h' = (1 - z) n + z h``.  Returns ``(output, h_n)``."""
    return _run("gru", "GRU", args, kwargs)


def rnn_tanh(*args, **kwargs) -> tuple:
    """Multi-layer Elman RNN: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``.
    Returns ``(output, h_n)``."""
    return _run("rnn_tanh", "RNN_TANH", args, kwargs)


def rnn_relu(*args, **kwargs) -> tuple:
    """Multi-layer Elman RNN: ``h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``.
    Returns ``(output, h_n)``."""
    return _run("rnn_relu", "RNN_RELU", args, kwargs)
