"""``segment_reduce``: reduce consecutive segments of a tensor along one axis.

Segment ``j`` of row ``b`` covers ``lengths[b, j]`` consecutive entries of ``data`` along
``axis`` (``offsets[b, j] .. offsets[b, j + 1]`` when given offsets instead).  The reductions
are built from ``index_add`` / ``index_reduce``, so they are differentiable as torch's: ``max`` /
``min`` split the gradient evenly among tied entries, ``prod`` gives each entry the product of
the others (zeros included).  Empty segments give ``initial`` when given, else the reduction's
identity (0, 1, -inf, +inf) and NaN for ``mean``.  ``initial`` joins every segment:
``initial + sum``, ``initial * prod``, ``max(initial, ...)``, ``(initial + sum) / count``.
One deliberate difference: torch's CPU backward of max / min divides only *positive* output
gradients among tied entries (a negative one reaches each tied entry in full); danlu splits
every gradient evenly, so the gradient is that of a consistent subgradient.
"""
from __future__ import annotations

from .._tensor import Tensor
from ._util import norm_dim

__all__ = ["segment_reduce"]

_REDUCE = ("sum", "prod", "mean", "max", "min")


def segment_reduce(data: Tensor, reduce: str, *, lengths: Tensor | None = None,
                   indices: Tensor | None = None, offsets: Tensor | None = None, axis: int = 0,
                   unsafe: bool = False, initial=None) -> Tensor:
    """Reduce (sum / prod / mean / max / min) the segments of ``data`` along ``axis``; the result
    has ``data``'s shape with ``axis`` replaced by the number of segments."""
    from .. import _backend as B
    from .. import _creation as C
    from .elementwise import where
    from .views import index_reduce

    if reduce not in _REDUCE:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    if not data.dtype.is_floating_point:
        raise NotImplementedError(f"\"_segment_reduce_cpu\" not implemented for '{_tn(data.dtype)}'")
    xp = B.xp_of(data._data)
    if lengths is not None:
        ln = B.to_numpy(lengths._data)
        if ln.dtype.kind not in "iu":
            raise NotImplementedError(
                f"\"_segment_reduce_lengths_cpu_kernel1\" not implemented for '{_tn(lengths.dtype)}'")
    else:
        off = B.to_numpy(offsets._data)
        if off.dtype.kind not in "iu":
            raise NotImplementedError(
                f"\"_segment_reduce_offsets_cpu_kernel1\" not implemented for '{_tn(offsets.dtype)}'")
        ln = off[..., 1:] - off[..., :-1]
    ax = norm_dim(axis, data.ndim)
    if ax != ln.ndim - 1:
        raise RuntimeError(f"segment_reduce(): Expected axis to be the last dimension of lengths but got {axis}.")
    if not unsafe:
        if (ln < 0).any():
            raise RuntimeError("lengths contains negative value!")
        if (ln.sum(-1) != data.shape[ax]).any():
            raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum to "
                               "data.size(lengths.dim()-1) when !unsafe.")
    lead = tuple(data.shape[:ax])
    n_rows = 1
    for s in lead:
        n_rows *= s
    a = data.shape[ax]
    rest = tuple(data.shape[ax + 1:])
    n_seg = ln.shape[-1]
    ln2 = ln.reshape(n_rows, n_seg).astype("int64")
    # global segment id of each (row, position) entry; positions past the segments are dropped
    src, seg = [], []
    for r in range(n_rows):
        pos = 0
        for j in range(n_seg):
            k = max(int(ln2[r, j]), 0)
            for i in range(pos, min(pos + k, a)):
                src.append(r * a + i)
                seg.append(r * n_seg + j)
            pos += k
    flat = data.reshape((n_rows * a,) + rest)

    def _long(v):
        return Tensor._make(B.move(xp.asarray(v, dtype=xp.int64).reshape(-1), data.device), None)

    src_t, seg_t = _long(src), _long(seg)
    vals = flat.index_select(0, src_t) if len(src) != n_rows * a else flat
    base = C.zeros((n_rows * n_seg,) + rest, dtype=data.dtype, device=data.device)
    counts = xp.bincount(xp.asarray(seg, dtype=xp.int64), minlength=n_rows * n_seg)
    empty_np = (counts == 0).reshape((-1,) + (1,) * len(rest))
    empty = Tensor._make(B.move(empty_np, data.device), None)
    if reduce in ("sum", "mean"):
        out = base.index_add(0, seg_t, vals)
        if initial is not None:
            out = out + initial
        if reduce == "mean":
            cnt = Tensor._make(B.move(counts.reshape(empty_np.shape).astype(data._data.dtype), data.device),
                               None)
            fill = float("nan") if initial is None else initial
            out = where(empty, C.full((), fill, dtype=data.dtype, device=data.device),
                        out / cnt.clamp_min(1))
    else:
        kind = {"prod": "prod", "max": "amax", "min": "amin"}[reduce]
        ident = {"prod": 1.0, "max": float("-inf"), "min": float("inf")}[reduce]
        # the base holds the identity: index_reduce (as torch's) counts a base value equal to a
        # segment's extreme as a tie in the gradient even with include_self=False
        base = C.full(base.shape, ident, dtype=data.dtype, device=data.device)
        red = index_reduce(base, 0, seg_t, vals, kind, include_self=False)
        out = where(empty, C.full((), ident, dtype=data.dtype, device=data.device), red)
        if initial is not None:
            init = C.full((), initial, dtype=data.dtype, device=data.device)
            # a value tied with ``initial`` keeps the whole gradient (as torch)
            out = {"prod": lambda o: o * init, "max": lambda o: where(o >= init, o, init),
                   "min": lambda o: where(o <= init, o, init)}[reduce](out)
    return out.reshape(lead + (n_seg,) + rest)


def _tn(dt) -> str:
    return {"float16": "Half", "float32": "Float", "float64": "Double", "bool": "Bool", "uint8": "Byte",
            "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long"}.get(dt.name, dt.name)
