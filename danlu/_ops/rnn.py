"""Recurrent layers: one layer, one direction, over a whole sequence.

Gate equations (torch's, gate order as torch's weight rows)::

    RNN:  h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)
    LSTM: i, f, g, o = chunk4(x W_ih^T + b_ih + h W_hh^T + b_hh)
          c' = sigmoid(f) * c + sigmoid(i) * tanh(g);   h' = sigmoid(o) * tanh(c')
    GRU:  r, z, n from x W_ih^T + b_ih (gi) and h W_hh^T + b_hh (gh):
          r = sigmoid(gi_r + gh_r);  z = sigmoid(gi_z + gh_z);  n = tanh(gi_n + r * gh_n)
          h' = (1 - z) * n + z * h

``layer_composite`` builds these from Tensor ops (the readable reference; any-order gradients).
``LSTMLayer`` / ``GRULayer`` are the fused ops: the time loop runs on raw arrays and its backward is hand-derived
BPTT (one GEMM per step each way).  When a graph of the gradient is wanted (``create_graph``),
its backward re-runs the composite path instead, so higher-order gradients stay exact.
"""
from __future__ import annotations

import contextlib
import os

from .._backend import xp_of
from ..autograd.function import Op
from ..autograd.grad_mode import GradMode
from . import _rnn_kernels as _rk


def _no_overflow_warning(xp):
    return xp.errstate(over="ignore") if hasattr(xp, "errstate") else contextlib.nullcontext()


_BLAS: dict = {}


def _blas_threads_ctl():
    """(get, set) for the thread count of the OpenBLAS NumPy is linked to, or None (found by its
    exported symbols among the loaded libraries; Linux only, everything else is a no-op)."""
    if "ctl" not in _BLAS:
        _BLAS["ctl"] = None
        try:
            import ctypes
            import re

            with open("/proc/self/maps") as f:
                paths = sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", f.read())))
            for path in paths:
                lib = ctypes.CDLL(path)
                for pre, suf in (("scipy_openblas_", "64_"), ("openblas_", "64_"), ("openblas_", "")):
                    get, put = (getattr(lib, f"{pre}{w}_num_threads{suf}", None) for w in ("get", "set"))
                    if get is not None and put is not None:
                        _BLAS["ctl"] = (get, put)
                        break
                if _BLAS["ctl"]:
                    break
        except Exception:  # no /proc, no ctypes, another BLAS: leave the thread count alone
            _BLAS["ctl"] = None
    return _BLAS["ctl"]


@contextlib.contextmanager
def _serial_blas(a):
    """One BLAS thread for the duration of a time loop.

    Each step's GEMM is small (batch rows x H x G*H) and follows the previous one serially; OpenBLAS
    splitting it over threads costs a wake-up and a barrier per step, and on a loaded machine a waiting
    thread turns a 0.3 ms GEMM into several ms.  On a quiet 2-core machine the pool is faster
    (LSTM 32x35x256 forward+backward: 17.6 ms pooled vs 21.7 ms serial), so this is opt-in:
    ``DANLU_RNN_BLAS_SERIAL=1``."""
    ctl = None
    if type(a).__module__ == "numpy" and os.environ.get("DANLU_RNN_BLAS_SERIAL", "0") not in ("", "0"):
        ctl = _blas_threads_ctl()
    if ctl is None:
        yield
        return
    get, put = ctl
    n = get()
    if n <= 1:
        yield
        return
    put(1)
    try:
        yield
    finally:
        put(n)


def _kernels(a, *others):
    """The compiled LSTM pointwise kernels when they apply (NumPy float32/64 arrays of one dtype)."""
    if a.dtype.char not in "fd" or type(a).__module__ != "numpy" or any(o.dtype != a.dtype for o in others):
        return None
    return _rk.kernels()


def _cell_step(mode, x_proj, h, c, w_hh, b_hh, w_hr=None):
    """One time step from the precomputed input projection ``x_proj`` (Tensor ops); ``w_hr``:
    LSTM's output projection ``h' = (o * tanh(c')) W_hr^T`` (proj_size)."""
    gh = h.matmul(w_hh.t())
    if b_hh is not None:
        gh = gh + b_hh
    if mode == "LSTM":
        i, f, g, o = (x_proj + gh).chunk(4, 1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        return (h if w_hr is None else h.matmul(w_hr.t())), c
    if mode == "GRU":
        xr, xz, xn = x_proj.chunk(3, 1)
        hr, hz, hn = gh.chunk(3, 1)
        r = (xr + hr).sigmoid()
        z = (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        return (1 - z) * n + z * h, None
    pre = x_proj + gh
    return (pre.tanh() if mode == "RNN_TANH" else pre.relu()), None


def layer_composite(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False, w_hr=None):
    """x (L, N, I) -> (out (L, N, H), h_n, c_n or None), built from differentiable Tensor ops."""
    from .. import stack

    L, N = x.shape[0], x.shape[1]
    xp_ = x.reshape(L * N, x.shape[2]).matmul(w_ih.t())
    if b_ih is not None:
        xp_ = xp_ + b_ih
    xp_ = xp_.reshape(L, N, -1)
    h, c = h0, c0
    outs = [None] * L
    for t in (range(L - 1, -1, -1) if reverse else range(L)):
        h, c = _cell_step(mode, xp_[t], h, c, w_hh, b_hh, w_hr)
        outs[t] = h
    return stack(outs, 0), h, c



def layer_packed(mode, data, batch_sizes, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False, w_hr=None):
    """A packed batch (rows sorted by decreasing length): ``data`` (sum(batch_sizes), I) ->
    (out data (sum(batch_sizes), H), h_n, c_n).

    At step t only rows ``[:bs_t]`` are live; the others keep their state.  Running backward in time the
    live set grows, and rows joining it start from their h0 (still untouched), so one loop serves both
    directions.  Built from Tensor ops (any-order gradients)."""
    from .. import cat

    xp_ = data.matmul(w_ih.t())
    if b_ih is not None:
        xp_ = xp_ + b_ih
    offs = [0]
    for b in batch_sizes:
        offs.append(offs[-1] + b)
    h, c = h0, c0
    outs = [None] * len(batch_sizes)
    for t in (range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))):
        bs = batch_sizes[t]
        full = bs == h.shape[0]
        hs, cs = h if full else h[:bs], None if c is None else (c if full else c[:bs])
        hs, cs = _cell_step(mode, xp_[offs[t]:offs[t + 1]], hs, cs, w_hh, b_hh, w_hr)
        outs[t] = hs
        h = hs if full else cat([hs, h[bs:]], 0)
        if c is not None:
            c = cs if full else cat([cs, c[bs:]], 0)
    return cat(outs, 0), h, c

class LSTMLayer(Op):
    """Fused LSTM over a sequence: inputs (x, h0, c0, w_ih, w_hh[, b_ih, b_hh]) ->
    (out (L, N, H), h_n, c_n)."""

    n_out = 3
    _save_in = (0, 1, 2, 3, 4)

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, *b, reverse=False):
        xp = xp_of(x)
        L, N, _ = x.shape
        H = w_hh.shape[1]
        G = x.reshape(L * N, -1) @ w_ih.T
        if b:
            G += b[0] + b[1]
        G = G.reshape(L, N, 4 * H)
        out = xp.empty((L, N, H), x.dtype)
        rec = ctx.recording
        order = range(L - 1, -1, -1) if reverse else range(L)
        whT = w_hh.T
        # activations in place from one exp over all gates: sigmoid(v) = 1 / (1 + exp(-v)) and
        # tanh(v) = 2 sigmoid(2v) - 1 (NumPy's exp is SIMD, its tanh is not)
        scale = xp.full(4 * H, -1.0, x.dtype)
        scale[2 * H:3 * H] = -2.0
        cs = xp.empty((L, N, H), x.dtype)   # c after each step
        tcs = xp.empty((L, N, H), x.dtype)  # tanh(c)
        tmp = xp.empty((N, H), x.dtype)
        h, c = h0, c0
        kern = _kernels(x, h0, c0, w_hh)
        gh = xp.empty((N, 4 * H), x.dtype) if kern is not None else None
        with _no_overflow_warning(xp), _serial_blas(x):  # exp(-v) = inf for v << 0 gives sigmoid 0, as it should
            for t in order:
                if kern is not None:  # the same step, compiled (one pass over the gates)
                    xp.matmul(h, whT, out=gh)
                    kern.lstm_fwd(G[t], gh, c, cs[t], tcs[t], out[t])
                    h, c = out[t], cs[t]
                    continue
                a = G[t]
                a += h @ whT
                a *= scale
                xp.exp(a, out=a)
                a += 1.0
                xp.reciprocal(a, out=a)
                i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
                g *= 2.0
                g -= 1.0
                ct = cs[t]
                xp.multiply(f, c, out=ct)
                xp.multiply(i, g, out=tmp)
                ct += tmp
                xp.tanh(ct, out=tcs[t])
                xp.multiply(o, tcs[t], out=out[t])
                h, c = out[t], ct
        acts = G
        if rec:
            ctx.acts, ctx.cs, ctx.tcs, ctx.out = acts, cs, tcs, out
            ctx.reverse = reverse
            ctx.has_bias = bool(b)
        return out, h.copy(), c.copy()

    @staticmethod
    def backward(ctx, gout, gh, gc):
        x, h0, c0, w_ih, w_hh = ctx.saved_tensors
        if GradMode.enabled:  # create_graph: differentiate the composite graph instead
            return _composite_grads(ctx, x, h0, c0, w_ih, w_hh, gout, gh, gc)
        from .._tensor import Tensor

        xa, h0a, c0a, wi, wh = x._data, h0._data, c0._data, w_ih._data, w_hh._data
        xp = xp_of(xa)
        L, N, _ = xa.shape
        H = wh.shape[1]
        acts, cs, tcs, out = ctx.acts, ctx.cs, ctx.tcs, ctx.out
        go = gout._data if gout is not None else None
        dh = gh._data.copy() if gh is not None else xp.zeros((N, H), xa.dtype)
        dc = gc._data.copy() if gc is not None else xp.zeros((N, H), xa.dtype)
        dG = xp.empty((L, N, 4 * H), xa.dtype)
        hprev = xp.empty((L, N, H), xa.dtype)
        order = range(L) if ctx.reverse else range(L - 1, -1, -1)
        kern = _kernels(xa, h0a, c0a, wh)
        with _serial_blas(xa):
            for t in order:
                prev = t + 1 if ctx.reverse else t - 1
                first = prev < 0 or prev >= L
                c_prev = c0a if first else cs[prev]
                hprev[t] = h0a if first else out[prev]
                a = acts[t]
                if kern is not None:  # the pointwise part compiled, dL/d out_t folded in
                    kern.lstm_bwd(a, c_prev, tcs[t], None if go is None else go[t], dh, dc, dG[t])
                    xp.matmul(dG[t], wh, out=dh)
                    continue
                if go is not None:
                    dh += go[t]
                i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
                tc = tcs[t]
                dc += dh * o * (1 - tc * tc)
                d = dG[t]
                d[:, :H] = dc * g * i * (1 - i)
                d[:, H:2 * H] = dc * c_prev * f * (1 - f)
                d[:, 2 * H:3 * H] = dc * i * (1 - g * g)
                d[:, 3 * H:] = dh * tc * o * (1 - o)
                dc *= f
                dh = d @ wh
        need = ctx.needs_input_grad
        dG2 = dG.reshape(L * N, 4 * H)
        res = [
            Tensor._make((dG2 @ wi).reshape(xa.shape)) if need[0] else None,
            Tensor._make(dh) if need[1] else None,
            Tensor._make(dc) if need[2] else None,
            Tensor._make(dG2.T @ xa.reshape(L * N, -1)) if need[3] else None,
            Tensor._make(dG2.T @ hprev.reshape(L * N, H)) if need[4] else None,
        ]
        if ctx.has_bias:
            db = dG2.sum(axis=0)
            res += [Tensor._make(db) if need[5] else None, Tensor._make(db.copy()) if need[6] else None]
        return tuple(res)


def _composite_grads(ctx, x, h0, c0, w_ih, w_hh, gout, gh, gc, mode="LSTM"):
    """Gradients through the composite graph (differentiable, for create_graph)."""
    from .. import autograd

    # the biases are not among the saved tensors; the layer functions park them on the node
    bt = list(ctx.bias_tensors) if ctx.has_bias else [None, None]
    out, hn, cn = layer_composite(mode, x, h0, c0, w_ih, w_hh, bt[0], bt[1], ctx.reverse)
    ins = [x, h0] + ([c0] if mode == "LSTM" else []) + [w_ih, w_hh] + (bt if ctx.has_bias else [])
    outs, grads = [], []
    for o, g in ((out, gout), (hn, gh), (cn, gc)):
        if g is not None:
            outs.append(o)
            grads.append(g)
    wanted = [t for t, n in zip(ins, ctx.needs_input_grad) if n]
    got = iter(autograd.grad(outs, wanted, grads, create_graph=True, allow_unused=True))
    return tuple(next(got) if n else None for n in ctx.needs_input_grad)


class GRULayer(Op):
    """Fused GRU over a sequence: inputs (x, h0, w_ih, w_hh[, b_ih, b_hh]) -> (out (L, N, H), h_n).

    BPTT per step, with ``a = gi_n + r * gh_n`` and ``h' = n + z * (h - n)``::

        dn = dh (1 - z);  dz = dh (h - n);  da = dn (1 - n^2);  dr = da gh_n
        d gi = [dr r(1-r), dz z(1-z), da];  d gh = [dr r(1-r), dz z(1-z), da r]
        dh_prev = dh z + d gh W_hh
    """

    n_out = 2
    _save_in = (0, 1, 2, 3)

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, *b, reverse=False):
        xp = xp_of(x)
        L, N, _ = x.shape
        H = w_hh.shape[1]
        GI = x.reshape(L * N, -1) @ w_ih.T
        if b:
            GI += b[0]
        GI = GI.reshape(L, N, 3 * H)
        out = xp.empty((L, N, H), x.dtype)
        rz = xp.empty((L, N, 2 * H), x.dtype)   # sigmoid(r), sigmoid(z)
        nn_ = xp.empty((L, N, H), x.dtype)      # n
        ghn = xp.empty((L, N, H), x.dtype)      # gh_n = (h W_hh^T + b_hh)[n part]
        whT = w_hh.T
        tmp = xp.empty((N, H), x.dtype)
        h = h0
        with _no_overflow_warning(xp), _serial_blas(x):
            for t in (range(L - 1, -1, -1) if reverse else range(L)):
                gh = h @ whT
                if b:
                    gh += b[1]
                gi = GI[t]
                a = rz[t]
                xp.add(gi[:, :2 * H], gh[:, :2 * H], out=a)
                a *= -1.0
                xp.exp(a, out=a)
                a += 1.0
                xp.reciprocal(a, out=a)
                r, z = a[:, :H], a[:, H:]
                ghn[t] = gh[:, 2 * H:]
                n = nn_[t]
                xp.multiply(r, ghn[t], out=n)
                n += gi[:, 2 * H:]
                xp.tanh(n, out=n)
                xp.subtract(h, n, out=tmp)
                tmp *= z
                xp.add(n, tmp, out=out[t])
                h = out[t]
        if ctx.recording:
            ctx.rz, ctx.n, ctx.ghn, ctx.out = rz, nn_, ghn, out
            ctx.reverse = reverse
            ctx.has_bias = bool(b)
        return out, h.copy()

    @staticmethod
    def backward(ctx, gout, gh):
        x, h0, w_ih, w_hh = ctx.saved_tensors
        if GradMode.enabled:  # create_graph: differentiate the composite graph instead
            return _composite_grads(ctx, x, h0, None, w_ih, w_hh, gout, gh, None, mode="GRU")
        from .._tensor import Tensor

        xa, h0a, wi, wh = x._data, h0._data, w_ih._data, w_hh._data
        xp = xp_of(xa)
        L, N, _ = xa.shape
        H = wh.shape[1]
        rz, nn_, ghn, out = ctx.rz, ctx.n, ctx.ghn, ctx.out
        go = gout._data if gout is not None else None
        dh = gh._data.copy() if gh is not None else xp.zeros((N, H), xa.dtype)
        dGI = xp.empty((L, N, 3 * H), xa.dtype)
        dGH = xp.empty((L, N, 3 * H), xa.dtype)
        hprev = xp.empty((L, N, H), xa.dtype)
        with _serial_blas(xa):
            for t in (range(L) if ctx.reverse else range(L - 1, -1, -1)):
                prev = t + 1 if ctx.reverse else t - 1
                hp = h0a if (prev < 0 or prev >= L) else out[prev]
                hprev[t] = hp
                if go is not None:
                    dh += go[t]
                r, z = rz[t][:, :H], rz[t][:, H:]
                n = nn_[t]
                da = dh * (1 - z) * (1 - n * n)
                dz = dh * (hp - n) * z * (1 - z)
                dr = da * ghn[t] * r * (1 - r)
                gi, ghh = dGI[t], dGH[t]
                gi[:, :H] = dr
                gi[:, H:2 * H] = dz
                gi[:, 2 * H:] = da
                ghh[:, :2 * H] = gi[:, :2 * H]
                xp.multiply(da, r, out=ghh[:, 2 * H:])
                dh = dh * z + ghh @ wh
        need = ctx.needs_input_grad
        dGI2, dGH2 = dGI.reshape(L * N, 3 * H), dGH.reshape(L * N, 3 * H)
        res = [
            Tensor._make((dGI2 @ wi).reshape(xa.shape)) if need[0] else None,
            Tensor._make(dh) if need[1] else None,
            Tensor._make(dGI2.T @ xa.reshape(L * N, -1)) if need[2] else None,
            Tensor._make(dGH2.T @ hprev.reshape(L * N, H)) if need[3] else None,
        ]
        if ctx.has_bias:
            res += [Tensor._make(dGI2.sum(axis=0)) if need[4] else None,
                    Tensor._make(dGH2.sum(axis=0)) if need[5] else None]
        return tuple(res)


def gru_layer(x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False):
    """Fused GRU layer (see ``GRULayer``); returns (out, h_n, None) like ``layer_composite``."""
    args = (x, h0, w_ih, w_hh) + ((b_ih, b_hh) if b_ih is not None else ())
    out, hn = GRULayer.apply(*args, reverse=reverse)
    node = out.grad_fn
    if node is not None and b_ih is not None:
        node.bias_tensors = (b_ih, b_hh)
    return out, hn, None


def lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False):
    """Fused LSTM layer (see ``LSTMLayer``); biases optional (both or neither)."""
    args = (x, h0, c0, w_ih, w_hh) + ((b_ih, b_hh) if b_ih is not None else ())
    out, hn, cn = LSTMLayer.apply(*args, reverse=reverse)
    node = out.grad_fn
    if node is not None and b_ih is not None:
        node.bias_tensors = (b_ih, b_hh)
    return out, hn, cn
