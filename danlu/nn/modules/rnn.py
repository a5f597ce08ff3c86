"""Recurrent layers: RNN (tanh/relu), LSTM, GRU and their single-step cells.

Parameters and their names are torch's: ``weight_ih_l{k}`` (G*H, I), ``weight_hh_l{k}`` (G*H, H),
``bias_ih_l{k}``, ``bias_hh_l{k}`` (G*H,), with ``_reverse`` for the backward direction; G = 4
(LSTM rows i, f, g, o), 3 (GRU rows r, z, n) or 1.  All initialised U(-1/sqrt(H), 1/sqrt(H)).
The gate equations are in ``danlu._ops.rnn``; LSTM and GRU layers run the fused ops there.
"""
from __future__ import annotations

import math
import numbers
import warnings

from ... import _creation as C
from ..._ops import rnn as R
from ..._tensor import Tensor
from .. import init
from ..functional._dropout import dropout as _dropout
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}

# Use the fused LSTM / GRU ops (tests flip this to compare with the composite reference path).
USE_FUSED = True


def _shape_str(s) -> str:
    return "[" + ", ".join(map(str, s)) + "]"


def _tname(dt) -> str:
    return f"torch.{dt.name}"


class RNNBase(Module):
    """Shared by RNN, LSTM and GRU: parameter layout, checks, the layer/direction loop."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                     "bidirectional", "proj_size"]

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate = _GATES[mode] * hidden_size
        real = proj_size if proj_size > 0 else hidden_size  # size of h (c keeps hidden_size)
        dirs = 2 if bidirectional else 1
        self._flat_weights_names: list = []
        self._all_weights: list = []
        for layer in range(num_layers):
            for d in range(dirs):
                in_sz = input_size if layer == 0 else real * dirs
                sfx = "_reverse" if d == 1 else ""
                names = [f"weight_ih_l{layer}{sfx}", f"weight_hh_l{layer}{sfx}"]
                shapes = [(gate, in_sz), (gate, real)]
                if bias:
                    names += [f"bias_ih_l{layer}{sfx}", f"bias_hh_l{layer}{sfx}"]
                    shapes += [(gate,), (gate,)]
                if proj_size > 0:
                    names.append(f"weight_hr_l{layer}{sfx}")
                    shapes.append((proj_size, hidden_size))
                for n, s in zip(names, shapes):
                    setattr(self, n, Parameter(C.empty(s, device=device, dtype=dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op (torch compacts cuDNN weights here)."""

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- forward ------------------------------------------------------------------------------
    def _prepare(self, input, hx):
        """Checks; returns (input (L, N, I), list of initial states (D*layers, N, H), batched)."""
        name = type(self).__name__
        is_lstm = self.mode == "LSTM"
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        batched = input.dim() == 3
        states = None
        if hx is not None:
            states = list(hx) if is_lstm else [hx]
            dims = [t.dim() for t in states]
            want = 3 if batched else 2
            if any(d != want for d in dims):
                kind = "batched 3-D" if batched else "unbatched 2-D"
                if is_lstm:
                    raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                       f"({dims[0]}-D, {dims[1]}-D) tensors")
                raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {dims[0]}-D tensor")
        if not batched:
            input = input.unsqueeze(1 if not self.batch_first else 0)
            if states is not None:
                states = [s.unsqueeze(1) for s in states]
        if self.batch_first:
            input = input.transpose(0, 1)
        w0 = getattr(self, self._flat_weights_names[0])
        if input.dtype != w0.dtype:
            raise RuntimeError(f"input must have the type {_tname(w0.dtype)}, got type {_tname(input.dtype)}")
        if input.shape[2] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[2]}")
        dirs = 2 if self.bidirectional else 1
        n = input.shape[1]
        real = self.proj_size if self.proj_size > 0 else self.hidden_size
        exps = [(self.num_layers * dirs, n, real), (self.num_layers * dirs, n, self.hidden_size)]
        if states is None:
            states = [C.zeros(e, dtype=input.dtype, device=input.device) for e in exps[:2 if is_lstm else 1]]
        for k, s in enumerate(states):
            exp = exps[k]
            if tuple(s.shape) != exp:
                which = f"hidden[{k}]" if is_lstm else "hidden"
                raise RuntimeError(f"Expected {which} size {exp}, got {_shape_str(s.shape)}")
        return input, states, batched

    def _run_layer(self, x, h0, c0, names, reverse):
        ws = [getattr(self, n) for n in names]
        w_ih, w_hh = ws[0], ws[1]
        b_ih, b_hh = (ws[2], ws[3]) if self.bias else (None, None)
        if self.proj_size > 0:  # projected LSTM: composite path only
            return R.layer_composite(self.mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, w_hr=ws[-1])
        if self.mode == "LSTM" and USE_FUSED:
            return R.lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)
        if self.mode == "GRU" and USE_FUSED:
            return R.gru_layer(x, h0, w_ih, w_hh, b_ih, b_hh, reverse)
        return R.layer_composite(self.mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)

    def _forward_packed(self, input, hx):
        """PackedSequence in, PackedSequence out (composite path; see ``R.layer_packed``)."""
        from ... import cat, stack
        from ..utils.rnn import PackedSequence

        data, sizes, sorted_idx, unsorted_idx = input
        is_lstm = self.mode == "LSTM"
        w0 = getattr(self, self._flat_weights_names[0])
        if data.dtype != w0.dtype:
            raise RuntimeError(f"input must have the type {_tname(w0.dtype)}, got type {_tname(data.dtype)}")
        if data.dim() != 2 or data.shape[1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {data.shape[-1]}")
        bs = [int(v) for v in sizes.tolist()]
        dirs = 2 if self.bidirectional else 1
        real = self.proj_size if self.proj_size > 0 else self.hidden_size
        exps = [(self.num_layers * dirs, bs[0], real), (self.num_layers * dirs, bs[0], self.hidden_size)]
        if hx is None:
            states = [C.zeros(e, dtype=data.dtype, device=data.device) for e in exps[:2 if is_lstm else 1]]
        else:
            states = list(hx) if is_lstm else [hx]
            for k, st in enumerate(states):
                if tuple(st.shape) != exps[k]:
                    which = f"hidden[{k}]" if is_lstm else "hidden"
                    raise RuntimeError(f"Expected {which} size {exps[k]}, got {_shape_str(st.shape)}")
            if sorted_idx is not None:  # the hidden rows follow the batch into sorted order
                states = [st.index_select(1, sorted_idx) for st in states]
        x = data
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                ws = [getattr(self, n) for n in self._all_weights[k]]
                b = (ws[2], ws[3]) if self.bias else (None, None)
                out, hn, cn = R.layer_packed(self.mode, x, bs, states[0][k], states[1][k] if is_lstm else None,
                                             ws[0], ws[1], b[0], b[1], d == 1,
                                             w_hr=ws[-1] if self.proj_size > 0 else None)
                outs.append(out)
                hs.append(hn)
                cs.append(cn)
            x = outs[0] if dirs == 1 else cat(outs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        h_n = stack(hs, 0)
        c_n = stack(cs, 0) if is_lstm else None
        if unsorted_idx is not None:
            h_n = h_n.index_select(1, unsorted_idx)
            c_n = c_n.index_select(1, unsorted_idx) if is_lstm else None
        out = PackedSequence(x, sizes, sorted_idx, unsorted_idx)
        return (out, (h_n, c_n)) if is_lstm else (out, h_n)

    def forward(self, input: Tensor, hx=None):
        """``input`` (L, N, I) / (N, L, I) if batch_first / (L, I) unbatched, or a PackedSequence."""
        from ... import cat, stack
        from ..utils.rnn import PackedSequence

        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        x, states, batched = self._prepare(input, hx)
        dirs = 2 if self.bidirectional else 1
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                c0 = states[1][k] if self.mode == "LSTM" else None
                out, hn, cn = self._run_layer(x, states[0][k], c0, self._all_weights[k], d == 1)
                outs.append(out)
                hs.append(hn)
                cs.append(cn)
            x = outs[0] if dirs == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        out = x.transpose(0, 1) if self.batch_first else x
        h_n = stack(hs, 0)
        c_n = stack(cs, 0) if self.mode == "LSTM" else None
        if not batched:
            out = out.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        return (out, (h_n, c_n)) if self.mode == "LSTM" else (out, h_n)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``; returns ``(output, h_n)``."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory; returns ``(output, (h_n, c_n))``.

    ``i, f, g, o`` = sigmoid, sigmoid, tanh, sigmoid of ``x W_ih^T + b_ih + h W_hh^T + b_hh``;
    ``c' = f*c + i*g``, ``h' = o*tanh(c')``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit; returns ``(output, h_n)``.

    ``r = σ(W_ir x + b_ir + W_hr h + b_hr)``, ``z = σ(...)``, ``n = tanh(W_in x + b_in + r*(W_hn h + b_hn))``,
    ``h' = (1-z)*n + z*h``."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(C.empty((num_chunks * hidden_size, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(C.empty((num_chunks * hidden_size, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(C.empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(C.empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _step(self, mode, input, hx, n_states):
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        states = None if hx is None else (list(hx) if n_states == 2 else [hx])
        if states is not None:
            for s in states:
                if s.dim() not in (1, 2):
                    raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {s.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
            states = None if states is None else [s.unsqueeze(0) for s in states]
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected "
                               f"{self.input_size}")
        n = input.shape[0]
        if states is None:
            z = C.zeros((n, self.hidden_size), dtype=input.dtype, device=input.device)
            states = [z] * n_states
        for k, s in enumerate(states):
            if s.shape[0] != n:
                raise RuntimeError(f"Input batch size {n} doesn't match hidden{k} batch size {s.shape[0]}")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {s.shape[1]}, expected "
                                   f"{self.hidden_size}")
        xp = input.matmul(self.weight_ih.t())
        if self.bias_ih is not None:
            xp = xp + self.bias_ih
        h, c = R._cell_step(mode, xp, states[0], states[1] if n_states == 2 else None, self.weight_hh,
                            self.bias_hh)
        if not batched:
            h = h.squeeze(0)
            c = c.squeeze(0) if c is not None else None
        return (h, c) if n_states == 2 else h


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx=None) -> Tensor:
        return self._step("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", input, hx, 1)


class LSTMCell(RNNCellBase):
    """One LSTM step; ``forward(x, (h, c)) -> (h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx=None):
        return self._step("LSTM", input, hx, 2)


class GRUCell(RNNCellBase):
    """One GRU step; ``forward(x, h) -> h'``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx=None) -> Tensor:
        return self._step("GRU", input, hx, 1)
