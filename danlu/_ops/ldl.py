"""LDL^T of symmetric indefinite matrices: ``linalg.ldl_factor[_ex]`` and ``linalg.ldl_solve``.

The factorisation is LAPACK's ``sytf2`` (lower triangle, Bunch-Kaufman diagonal pivoting), the
format torch returns: ``A = L D L^T`` with ``L = P_1 L_1 P_2 L_2 ...`` and ``D`` block diagonal
with 1x1 and 2x2 blocks.  At column ``k`` of the trailing matrix ``A_k`` (``alpha =
(1 + sqrt(17)) / 8``, ``colmax = max_{i>k} |a_ik|`` at row ``r``, ``rowmax = max_{j != r}
|a_rj|``):

* ``|a_kk| >= alpha colmax`` or ``|a_kk| >= alpha colmax^2 / rowmax``: 1x1 pivot ``a_kk``;
* else ``|a_rr| >= alpha rowmax``: 1x1 pivot ``a_rr`` (rows/columns ``k, r`` swapped);
* else the 2x2 pivot ``[[a_kk, a_rk], [a_rk, a_rr]]`` (rows/columns ``k+1, r`` swapped).

A 1x1 pivot ``d`` eliminates with ``l = a_{k+1:,k} / d``, ``A_{k+1} = A_{k+1:,k+1:} - l d l^T``;
a 2x2 pivot ``E`` with ``W = C E^-1`` (``C`` the two columns below it), ``A_{k+2} -= W C^T``.
``LD`` holds ``L``'s columns below the diagonal blocks and ``D`` on/under the diagonal (the upper
triangle is zero); ``pivots`` (1-based, int32) hold the row swapped with ``k`` (1x1) or
``-(r+1)`` twice for a 2x2 block; ``info`` is the first column whose pivot search met an exactly
zero column (``D`` singular), 0 if none.  ``ldl_solve`` is ``sytrs``: ``X = L^-T D^-1 L^-1 B``
applied step by step with the same swaps.  Neither has a derivative (as in torch).

All loops run over columns and work on the whole batch at once: each matrix keeps its own
position ``k`` (a 2x2 block makes it skip a step).
"""
from __future__ import annotations

import math
from collections import namedtuple

from .. import _dtype as D
from .._backend import xp_of
from ..autograd.function import Op
from . import _util as U
from .linalg import _check, _out, _quiet, _tname

_ALPHA = (1.0 + math.sqrt(17.0)) / 8.0


def _prod(shape) -> int:
    r = 1
    for s in shape:
        r *= s
    return r


def _sym_lower(xp, m):
    """The symmetric matrix whose lower triangle (diagonal included) is ``m``'s."""
    n = m.shape[-1]
    low = xp.arange(n)[:, None] >= xp.arange(n)[None, :]
    return xp.where(low, m, xp.swapaxes(m, -1, -2))


def _fmax(xp, a, b):
    """Fortran's ``MAX(a, b)``: ``a`` where ``a > b``, else ``b`` (so ``b`` when unordered)."""
    return xp.where(a > b, a, b)


def _sytrf(xp, a):
    """``(LD, pivots, info)`` of a batch ``a`` (only its lower triangle is read)."""
    n = a.shape[-1]
    batch = tuple(a.shape[:-2])
    nb = _prod(batch)
    f = _sym_lower(xp, a.reshape((nb, n, n))).astype(a.dtype, copy=True)
    ld = xp.zeros((nb, n, n), a.dtype)
    piv = xp.zeros((nb, n), xp.int32)
    info = xp.zeros((nb,), xp.int32)
    kcur = xp.zeros((nb,), xp.int64)
    with _quiet(xp):
        for s in range(n):
            idx = xp.nonzero(kcur == s)[0]
            if idx.shape[0] == 0:
                continue
            kstep = _sytf2_step(xp, f, ld, piv, info, idx, s)
            kcur[idx] += kstep
    return (ld.reshape(batch + (n, n)), piv.reshape(batch + (n,)), info.reshape(batch))


def _sytf2_step(xp, f, ld, piv, info, idx, s):
    """One pivot step at column ``s`` for the matrices ``idx`` (in place); returns their steps."""
    n = f.shape[-1]
    m = n - s
    q = idx.shape[0]
    r = xp.arange(q)
    sub = f[idx, s:, s:]
    absakk = xp.abs(sub[:, 0, 0])
    if m > 1:
        col = xp.abs(sub[:, 1:, 0])
        im = 1 + xp.argmax(col, axis=1)
        colmax = col[r, im - 1]
        # rowmax = MAX(|a_r,k:r|.max, |a_r+1:,r|.max) as LAPACK evaluates it: a NaN in a
        # segment is its maximum (i?amax), Fortran's MAX(a, b) is ``a if a > b else b``
        row = xp.abs(sub[r, im, :])
        j = xp.arange(m)[None, :]
        r1 = xp.where(j < im[:, None], row, -xp.inf).max(axis=1)
        r2 = xp.where(j > im[:, None], row, -xp.inf).max(axis=1)
        rowmax = xp.where(im < m - 1, _fmax(xp, r1, r2), r1)
        c1 = absakk >= _ALPHA * colmax
        c2 = absakk >= _ALPHA * colmax * (colmax / rowmax)
        c3 = xp.abs(sub[r, im, im]) >= _ALPHA * rowmax
    else:
        im = xp.zeros((q,), xp.int64)
        colmax = xp.zeros((q,), sub.dtype)
        c1 = xp.ones((q,), bool)
        c2 = c3 = c1
    zero = _fmax(xp, absakk, colmax) == 0
    at_k = zero | c1 | c2
    two = ~at_k & ~c3
    kstep = xp.where(two, 2, 1)
    kp = xp.where(at_k, 0, im)
    kk = kstep - 1
    # symmetric interchange of rows/columns kk and kp of the trailing block
    perm = xp.tile(xp.arange(m), (q, 1))
    perm[r, kk] = kp
    perm[r, kp] = kk
    sub = sub[r[:, None, None], perm[:, :, None], perm[:, None, :]]
    pv = kp + s + 1
    piv[idx, s] = xp.where(two, -pv, pv).astype(xp.int32)
    if s + 1 < n:
        piv[idx[two], s + 1] = -pv[two].astype(xp.int32)
    info[idx] = xp.where((info[idx] == 0) & zero, s + 1, info[idx]).astype(xp.int32)
    ld[idx, s, s] = sub[:, 0, 0]
    one = ~two & ~zero
    if m > 1:
        # zero pivot: the column is left as it is, no elimination
        z = idx[zero]
        ld[z, s + 1:, s] = sub[zero, 1:, 0]
        f[z, s + 1:, s + 1:] = sub[zero, 1:, 1:]
        # 1x1 pivot (sytf2's dsyr with -1/d, then the column scaled by 1/d)
        o = idx[one]
        so = sub[one]
        d11 = 1.0 / so[:, 0, 0]
        x = so[:, 1:, 0]
        t = (-d11)[:, None] * x
        trail = so[:, 1:, 1:]
        # dsyr returns at once for alpha = -1/d == 0 and skips the columns j with x_j == 0
        keep = (x != 0) & (d11 != 0)[:, None]
        trail = xp.where(keep[:, None, :], trail + x[:, :, None] * t[:, None, :], trail)
        f[o, s + 1:, s + 1:] = _sym_lower(xp, trail)
        ld[o, s + 1:, s] = d11[:, None] * x
    if two.any():
        w = idx[two]
        st = sub[two]
        ld[w, s + 1, s] = st[:, 1, 0]
        ld[w, s + 1, s + 1] = st[:, 1, 1]
        if m > 2:
            d21 = st[:, 1, 0]
            d11 = st[:, 1, 1] / d21
            d22 = st[:, 0, 0] / d21
            tt = 1.0 / (d11 * d22 - 1.0)
            d21 = (tt / d21)[:, None]
            ck, ck1 = st[:, 2:, 0], st[:, 2:, 1]
            wk = d21 * (d11[:, None] * ck - ck1)
            wkp1 = d21 * (d22[:, None] * ck1 - ck)
            upd = st[:, 2:, 2:] - ck[:, :, None] * wk[:, None, :] - ck1[:, :, None] * wkp1[:, None, :]
            f[w, s + 2:, s + 2:] = _sym_lower(xp, upd)
            ld[w, s + 2:, s] = wk
            ld[w, s + 2:, s + 1] = wkp1
    return kstep


def _sytrs(xp, ld, piv, b):
    """``X`` with ``A X = B`` from sytrf's ``(LD, pivots)`` (batch dims already equal)."""
    n = ld.shape[-1]
    batch = tuple(b.shape[:-2])
    nb = _prod(batch)
    k = b.shape[-1]
    a = ld.reshape((nb, n, n))
    p = piv.reshape((nb, n)).astype(xp.int64)
    x = xp.array(b, copy=True).reshape((nb, n, k))
    rows = xp.arange(nb)
    # block starts: a 2x2 block at s makes s + 1 no start
    start = xp.zeros((nb, n), bool)
    kcur = xp.zeros((nb,), xp.int64)
    for s in range(n):
        st = kcur == s
        start[:, s] = st
        kcur = xp.where(st, s + xp.where(p[:, s] < 0, 2, 1), kcur)
    two = start & (p < 0)
    one = start & ~two

    def swap(i, j):
        xi, xj = x[rows, i], x[rows, j]
        x[rows, i] = xj
        x[rows, j] = xi

    def sel(mask, new, old):
        return xp.where(mask[:, None, None], new, old)

    with _quiet(xp):
        # L D Y = B, forward
        for s in range(n):
            o, t = one[:, s], two[:, s]
            if not (o.any() or t.any()):
                continue
            kp = xp.abs(p[:, s]) - 1
            here = xp.where(t, s + 1, s)
            swap(xp.where(o | t, here, kp), kp)
            if s + 1 < n:
                upd = x[:, s + 1:] - a[:, s + 1:, s, None] * x[:, s, None, :]
                x[:, s + 1:] = sel(o, upd, x[:, s + 1:])
            if s + 2 < n:
                upd = x[:, s + 2:] - a[:, s + 2:, s, None] * x[:, s, None, :]
                upd = upd - a[:, s + 2:, s + 1, None] * x[:, s + 1, None, :]
                x[:, s + 2:] = sel(t, upd, x[:, s + 2:])
            xs = x[:, s] * (1.0 / a[:, s, s])[:, None]
            if s + 1 < n:
                akm1k = a[:, s + 1, s][:, None]
                akm1 = a[:, s, s][:, None] / akm1k
                ak = a[:, s + 1, s + 1][:, None] / akm1k
                denom = akm1 * ak - 1.0
                bkm1 = x[:, s] / akm1k
                bk = x[:, s + 1] / akm1k
                x[:, s + 1] = xp.where(t[:, None], (akm1 * bk - bkm1) / denom, x[:, s + 1])
                xs = xp.where(t[:, None], (ak * bkm1 - bk) / denom, xs)
            x[:, s] = xp.where((o | t)[:, None], xs, x[:, s])
        # L^T X = Y, backward: a block ends at s (1x1 at s, or 2x2 starting at s - 1)
        for s in range(n - 1, -1, -1):
            o = one[:, s]
            t = two[:, s - 1] if s > 0 else xp.zeros((nb,), bool)
            if not (o.any() or t.any()):
                continue
            if s + 1 < n:
                tail = x[:, s + 1:]
                xs = x[:, s] - xp.einsum("bi,bij->bj", a[:, s + 1:, s], tail)
                x[:, s] = xp.where((o | t)[:, None], xs, x[:, s])
                if s > 0:
                    xm = x[:, s - 1] - xp.einsum("bi,bij->bj", a[:, s + 1:, s - 1], tail)
                    x[:, s - 1] = xp.where(t[:, None], xm, x[:, s - 1])
            kp = xp.abs(p[:, s]) - 1
            swap(xp.where(o | t, s, kp), kp)
    return x.reshape(b.shape)


# ------------------------------------------------------------------------------------------
# ops (no derivative, as torch: the backward raises)
# ------------------------------------------------------------------------------------------
class _NoDerivative(Op):
    """torch's node for an op without a derivative formula (backward raises)."""

    __slots__ = ()
    torch_name = "torch::autograd::NotImplemented"

    def __repr__(self) -> str:
        return f"<NotImplemented object at {hex(id(self))}>"


class LinalgLdlFactorEx(_NoDerivative):
    n_out = 3

    @staticmethod
    def forward(ctx, a):
        ctx.non_differentiable = (1, 2)
        return _sytrf(xp_of(a), a)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("derivative for aten::linalg_ldl_factor_ex is not implemented")


class LinalgLdlSolve(_NoDerivative):

    @staticmethod
    def forward(ctx, ld, piv, b):
        return _sytrs(xp_of(b), ld, piv, b)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::linalg_ldl_solve is not implemented")


_LDLFEX = namedtuple("linalg_ldl_factor_ex", ["LD", "pivots", "info"])
_LDLF = namedtuple("linalg_ldl_factor", ["LD", "pivots"])


def _factor(A, fn, pyname):
    if not isinstance(A, U.Tensor):
        raise TypeError(f"{pyname}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    _check(A, fn, floating=False)  # rank and squareness come before torch's half-kernel error
    if A.dtype is D.float16 or A.dtype is getattr(D, "bfloat16", None):
        raise NotImplementedError(f'"ldl_factor_kernel_cpu" not implemented for '
                                  f"'{_half_name(A.dtype)}'")
    _check(A, fn)
    return _LDLFEX(*LinalgLdlFactorEx.apply(A))


def _half_name(dt) -> str:
    return "Half" if dt is D.float16 else "BFloat16"


def _info_error(fn, info):
    """torch's error for a singular ``D`` (torch reports LAPACK's info as an unknown code)."""
    from .._backend import to_numpy

    flat = to_numpy(info._data).reshape(-1)
    bad = flat[flat != 0]
    if bad.size:
        return RuntimeError(f"{fn}: Unknown error code: {int(bad[0])}.")
    return None


def _write_out(res, out, cls):
    if out is None:
        return res
    for o, r in zip(out, res):
        _out(r, o)
    return cls(*out)


def ldl_factor_ex(A, *, hermitian: bool = False, check_errors: bool = False, out=None):
    """``(LD, pivots, info)``: the Bunch-Kaufman ``A = L D L^T`` of a symmetric (indefinite)
    ``A`` in LAPACK sytrf's compact form (lower triangle read; ``hermitian`` is the same for
    real input); ``info > 0``: ``D`` is exactly singular."""
    fn = "torch.linalg.ldl_factor_ex"
    res = _factor(A, fn, "linalg_ldl_factor_ex")
    if check_errors:
        err = _info_error(fn, res.info)
        if err is not None:
            raise err
    return _write_out(res, out, _LDLFEX)


def ldl_factor(A, *, hermitian: bool = False, out=None):
    """``(LD, pivots)`` of ``ldl_factor_ex``; an exactly singular ``D`` is an error."""
    LD, piv, info = _factor(A, "torch.linalg.ldl_factor_ex", "linalg_ldl_factor")
    err = _info_error("torch.linalg.ldl_factor", info)
    if err is not None:
        raise err
    return _write_out(_LDLF(LD, piv), out, _LDLF)


def _dim_error(t):
    if t.ndim == 0:
        return IndexError("Dimension specified as -2 but tensor has no dimensions")
    return IndexError(f"Dimension out of range (expected to be in range of [{-t.ndim}, "
                      f"{t.ndim - 1}], but got -2)")


def ldl_solve(LD, pivots, B, *, hermitian: bool = False, out=None):
    """``X`` with ``A X = B`` from ``(LD, pivots) = ldl_factor(A)``:
    ``X = L^-T D^-1 L^-1 B`` with the factor's interchanges (batches of ``B`` broadcast)."""
    fn = "torch.linalg.ldl_solve"
    for i, (name, t) in enumerate((("LD", LD), ("pivots", pivots), ("B", B))):
        if not isinstance(t, U.Tensor):
            raise TypeError(f"linalg_ldl_solve(): argument '{name}' (position {i + 1}) must be "
                            f"Tensor, not {type(t).__name__}")
    _check(LD, fn, floating=False)
    if LD.dtype is D.float16:
        raise NotImplementedError("\"ldl_solve_kernel_cpu\" not implemented for 'Half'")
    _check(LD, fn)
    if B.dtype is not LD.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_tname(B.dtype)} and A of type {_tname(LD.dtype)} instead.")
    if B.ndim < 2:
        raise _dim_error(B)
    n = LD.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {fn}: each A matrix is {n} by {n} but "
                           f"each b matrix is {B.shape[-2]} by {B.shape[-1]}")
    if tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise RuntimeError(f"{fn}: Expected LD.shape[:-1] and pivots.shape to be the same, but "
                           f"got pivots with shape {list(pivots.shape)} instead")
    if pivots.dtype.is_floating_point or pivots.dtype is D.bool_:
        raise RuntimeError(f"{fn}: Expected pivots to be integers. Got {_tname(pivots.dtype)}")
    batch = U.broadcast_shapes(tuple(B.shape[:-2]), tuple(LD.shape[:-2]))
    LDe = LD.expand(batch + (n, n))
    pe = pivots.expand(batch + (n,))
    Be = B.expand(batch + tuple(B.shape[-2:]))
    return _out(LinalgLdlSolve.apply(LDe, pe, Be), out)
