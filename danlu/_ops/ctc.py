"""Connectionist Temporal Classification (Graves et al. 2006): the negative log-likelihood of
a label sequence summed over all its alignments, by the log-space forward-backward recursions.

The label sequence ``y`` (length S) is extended with blanks, ``l' = (b, y_1, b, y_2, ..., y_S, b)``
(length 2S + 1).  With ``lp[t, c]`` the log-probabilities:

* forward:  ``alpha_0(0) = lp[0, b]``, ``alpha_0(1) = lp[0, y_1]``,
  ``alpha_t(s) = lp[t, l'_s] + logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), [alpha_{t-1}(s-2)])``,
  the skip term only where ``l'_s`` is a label different from ``l'_{s-2}``;
* ``nll = -logsumexp(alpha_{T-1}(2S), alpha_{T-1}(2S-1))``;
* backward: ``beta`` the same recursion run from ``T - 1`` down, over ``s + 1`` and ``s + 2``.

The gradient is torch's: ``exp(lp[t, c]) - exp(logsumexp_{s: l'_s = c}(alpha_t(s) + beta_t(s))
+ nll - lp[t, c])`` for ``t < T_n``, zero beyond -- the gradient with respect to the logits when
``lp = log_softmax(logits)`` (both alpha and beta include ``lp[t]``).  The time loops are
vectorised over the batch and the extended label positions.
"""
from __future__ import annotations

from .._backend import xp_of
from ..autograd.function import Op


def _T(arr):
    from .._tensor import Tensor

    return Tensor._make(arr)


def _lse3(xp, a, b, c):
    """Elementwise ``log(exp(a) + exp(b) + exp(c))``, ``-inf`` when all three are ``-inf``."""
    m = xp.maximum(xp.maximum(a, b), c)
    ms = xp.where(xp.isneginf(m), 0, m)
    return xp.log(xp.exp(a - ms) + xp.exp(b - ms) + xp.exp(c - ms)) + ms


def _shift(xp, a, k, fill):
    """``a`` shifted right by ``k`` along the last axis (``out[..., s] = a[..., s - k]``)."""
    out = xp.full_like(a, fill)
    out[..., k:] = a[..., :-k] if k < a.shape[-1] else out[..., k:]
    return out


def _shift_left(xp, a, k, fill):
    out = xp.full_like(a, fill)
    out[..., :-k] = a[..., k:] if k < a.shape[-1] else out[..., :-k]
    return out


class CTCLoss(Op):
    """Per-sample CTC negative log-likelihood of ``log_probs`` (T, N, C).

    ``labels`` (N, S) int array of targets (padded), ``input_lengths`` and ``target_lengths``
    (N,) int arrays.  Returns (N,); ``zero_infinity`` sets infinite losses and their gradients
    to zero.
    """

    _save_in = (0,)

    @staticmethod
    def forward(ctx, lp, *, labels, input_lengths, target_lengths, blank, zero_infinity):
        xp = xp_of(lp)
        T, N, C = lp.shape
        S = labels.shape[1] if labels.ndim == 2 else 0
        L = 2 * S + 1
        ninf = -xp.inf
        ext = xp.full((N, L), blank, dtype=labels.dtype)  # extended labels l'
        if S:
            ext[:, 1::2] = labels
        pos = xp.arange(L)
        valid = pos[None, :] < (2 * target_lengths + 1)[:, None]  # (N, L)
        skip = xp.zeros((N, L), dtype=bool)  # alpha_{t-1}(s-2) allowed into alpha_t(s)
        if L > 2:
            skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
        rows = xp.arange(N)[:, None]
        alpha = xp.full((T, N, L), ninf, dtype=lp.dtype)
        if T:
            a0 = xp.full((N, L), ninf, dtype=lp.dtype)
            a0[:, 0] = lp[0, :, blank]
            if L > 1:
                a0[:, 1] = xp.where(target_lengths > 0, lp[0, rows[:, 0], ext[:, 1]], ninf)
            alpha[0] = xp.where(valid, a0, ninf)
        for t in range(1, T):
            prev = alpha[t - 1]
            s1 = _shift(xp, prev, 1, ninf)
            s2 = xp.where(skip, _shift(xp, prev, 2, ninf), ninf)
            cur = _lse3(xp, prev, s1, s2) + lp[t][rows, ext]
            alpha[t] = xp.where(valid, cur, ninf)
        # nll from the last valid frame of each sample
        tl = xp.maximum(input_lengths - 1, 0)
        last = alpha[tl, xp.arange(N)]  # (N, L)
        end = 2 * target_lengths
        a_end = last[xp.arange(N), end]
        a_pen = xp.where(target_lengths > 0, last[xp.arange(N), xp.maximum(end - 1, 0)], ninf)
        m = xp.maximum(a_end, a_pen)
        ms = xp.where(xp.isneginf(m), 0, m)
        nll = -(xp.log(xp.exp(a_end - ms) + xp.exp(a_pen - ms)) + ms)
        nll = xp.where(input_lengths > 0, nll, xp.where(target_lengths > 0, xp.inf, 0))
        if ctx.recording:
            ctx.alpha, ctx.ext, ctx.valid, ctx.nll = alpha, ext, valid, nll
            ctx.k = (input_lengths, target_lengths, blank, zero_infinity)
        if zero_infinity:
            nll = xp.where(xp.isposinf(nll), 0, nll)
        return nll.astype(lp.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (lp_t,) = ctx.saved_tensors
        return (_T(_ctc_grad(ctx, lp_t._data, g._data)),)


def _ctc_grad(ctx, lp, g):
    """d(sum_n g_n nll_n)/d lp as torch computes it (see the module docstring)."""
    xp = xp_of(lp)
    input_lengths, target_lengths, blank, zero_infinity = ctx.k
    alpha, ext, valid, nll = ctx.alpha, ctx.ext, ctx.valid, ctx.nll
    T, N, C = lp.shape
    L = ext.shape[1]
    ninf = -xp.inf
    rows = xp.arange(N)[:, None]
    # skip into beta_t(s) from beta_{t+1}(s+2): l'_{s+2} a label different from l'_s
    skip = xp.zeros((N, L), dtype=bool)
    if L > 2:
        skip[:, :-2] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    end = 2 * target_lengths
    binit = xp.full((N, L), ninf, dtype=lp.dtype)
    n_all, n_lab = xp.arange(N), xp.nonzero(target_lengths > 0)[0]
    beta = xp.full((T, N, L), ninf, dtype=lp.dtype)
    nxt = binit
    for t in range(T - 1, -1, -1):
        lpt = lp[t][rows, ext]
        init = binit.copy()  # beta_{T_n - 1}: the final blank and the final label
        init[n_all, end] = lp[t, :, blank]
        init[n_lab, end[n_lab] - 1] = lpt[n_lab, end[n_lab] - 1]
        s1 = _shift_left(xp, nxt, 1, ninf)
        s2 = xp.where(skip, _shift_left(xp, nxt, 2, ninf), ninf)
        rec = _lse3(xp, nxt, s1, s2) + lpt
        here = (t == input_lengths - 1)[:, None]
        before = (t < input_lengths - 1)[:, None]
        cur = xp.where(here, init, xp.where(before, rec, ninf))
        cur = xp.where(valid, cur, ninf)
        beta[t] = cur
        nxt = cur
    ab = alpha + beta  # (T, N, L)
    m = ab.max(axis=2, keepdims=True) if L else xp.zeros((T, N, 1), dtype=lp.dtype)
    ms = xp.where(xp.isneginf(m), 0, m)
    onehot = (ext[:, :, None] == xp.arange(C)[None, None, :]).astype(lp.dtype)  # (N, L, C)
    post = xp.einsum("tns,nsc->tnc", xp.exp(ab - ms), onehot)  # sum_{s: l'_s = c} e^(ab - m)
    pos = post > 0
    logpost = xp.where(pos, xp.log(xp.where(pos, post, 1)), ninf)
    occ = xp.exp(logpost + ms + nll[None, :, None] - lp)
    grad = xp.exp(lp) - occ
    live = (xp.arange(T)[:, None] < input_lengths[None, :])[:, :, None]
    grad = xp.where(live, grad, 0)
    if zero_infinity:
        grad = xp.where(xp.isposinf(nll)[None, :, None], 0, grad)
    return (grad * g[None, :, None]).astype(lp.dtype, copy=False)
