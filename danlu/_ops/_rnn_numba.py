"""numba kernels for the fused LSTM step (imported lazily by ``_rnn_kernels.kernels()``; see there).

``_exp(x)``: ``x = k ln2 + r`` with ``k = floor(x / ln2 + 1/2)`` and ``|r| <= ln2/2`` (ln2 split in a
high part exact in the working precision and a low part, so ``r`` is exact to ~1 ulp); ``e^r`` by
its Taylor polynomial (degree 7 in float32, 13 in float64: truncation below half an ulp); ``2^k``
from its IEEE exponent bits.  ``x`` is clamped to where ``e^x`` and ``2^k`` are normal numbers,
beyond which sigmoid and tanh are saturated.  Measured error: < 2 ulp (float32), < 1 ulp
(float64).  The arithmetic is branch-free and the kernels use ``error_model="numpy"`` (no
zero-division checks), so LLVM vectorises the loops: 8 float32 lanes per AVX2 op.

``sigmoid(v) = 1 / (1 + e^-v)``, ``tanh(v) = 1 - 2 / (1 + e^2v)``: one form
``p + q / (1 + e^(s v))`` with (p, q, s) = (0, 1, -1) or (1, -2, 2).
"""
from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic, overload

_F32 = numba.float32
_OPTS = dict(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})


@intrinsic
def _bits_f64(typingctx, v):
    """The float64 whose IEEE bits are the int64 ``v``."""
    return types.float64(types.int64), lambda context, builder, sig, args: builder.bitcast(args[0],
                                                                                         ir.DoubleType())


@intrinsic
def _bits_f32(typingctx, v):
    """The float32 whose IEEE bits are the int32 ``v``."""
    return types.float32(types.int32), lambda context, builder, sig, args: builder.bitcast(args[0],
                                                                                         ir.FloatType())


@numba.njit(inline="always", **_OPTS)
def _exp64(x):  # pragma: no cover - compiled
    x = min(max(x, -708.0), 708.0)
    k = np.floor(x * 1.4426950408889634 + 0.5)
    r = (x - k * 0.6931471803691238) - k * 1.9082149292705877e-10
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    return p * _bits_f64((numba.int64(k) + 1023) << 52)


@numba.njit(inline="always", **_OPTS)
def _exp32(x):  # pragma: no cover - compiled
    x = min(max(x, _F32(-87.0)), _F32(88.0))
    k = np.floor(x * _F32(1.4426950408889634) + _F32(0.5))
    r = (x - k * _F32(0.693145751953125)) - k * _F32(1.428606765330187e-06)
    p = _F32(1.0 / 5040.0)
    p = p * r + _F32(1.0 / 720.0)
    p = p * r + _F32(1.0 / 120.0)
    p = p * r + _F32(1.0 / 24.0)
    p = p * r + _F32(1.0 / 6.0)
    p = p * r + _F32(0.5)
    p = p * r + _F32(1.0)
    p = p * r + _F32(1.0)
    return p * _bits_f32((numba.int32(k) + numba.int32(127)) << numba.int32(23))


def _exp(x):
    """e^x in x's precision (compiled only)."""
    raise NotImplementedError


@overload(_exp, inline="always")
def _exp_impl(x):
    if x == types.float32:
        return lambda x: _exp32(x)
    return lambda x: _exp64(x)


@numba.njit(**_OPTS)
def lstm_fwd(a, gh, c_prev, c, tc, h):  # pragma: no cover - compiled
    """One step.  a: x W_ih^T + biases (N, 4H) in, the gate activations i, f, g, o out; gh: h W_hh^T;
    out: c = f c_prev + i g, tc = tanh(c), h = o tc."""
    n_, h4 = a.shape
    H = h4 // 4
    one = a.dtype.type(1.0)
    two = a.dtype.type(2.0)
    for n in range(n_):
        for gate in range(4):
            if gate == 2:
                s, p, q = two, one, -two
            else:
                s, p, q = -one, a.dtype.type(0.0), one
            for j in range(gate * H, (gate + 1) * H):
                a[n, j] = p + q / (one + _exp(s * (a[n, j] + gh[n, j])))
        for j in range(H):
            c[n, j] = a[n, H + j] * c_prev[n, j] + a[n, j] * a[n, 2 * H + j]
        for j in range(H):
            t = one - two / (one + _exp(two * c[n, j]))
            tc[n, j] = t
            h[n, j] = a[n, 3 * H + j] * t


@numba.njit(**_OPTS)
def lstm_bwd(acts, c_prev, tc, go, dh, dc, d):  # pragma: no cover - compiled
    """One step back.  dh: dL/dh_t from step t+1 (N, H), plus ``go`` (dL/d out_t) when it is not None;
    dc: dL/dc_t in, dL/dc_{t-1} out; d: dL/d pre-activations (N, 4H)."""
    n_, h4 = acts.shape
    H = h4 // 4
    one = acts.dtype.type(1.0)
    for n in range(n_):
        for j in range(H):
            i = acts[n, j]
            f = acts[n, H + j]
            g = acts[n, 2 * H + j]
            o = acts[n, 3 * H + j]
            t = tc[n, j]
            dhh = dh[n, j]
            if go is not None:
                dhh += go[n, j]
            dcc = dc[n, j] + dhh * o * (one - t * t)
            d[n, j] = dcc * g * i * (one - i)
            d[n, H + j] = dcc * c_prev[n, j] * f * (one - f)
            d[n, 2 * H + j] = dcc * i * (one - g * g)
            d[n, 3 * H + j] = dhh * t * o * (one - o)
            dc[n, j] = dcc * f
