"""Shared helpers of the op modules: operand preparation, promotion, un-broadcasting."""
from __future__ import annotations

import math
import numbers

from .. import _dtype as D
from .._backend import xp_of

Tensor = None  # bound by danlu._tensor


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def as_tensor_like(v, ref) -> "Tensor":
    """A Python scalar / array-like as a constant Tensor on ``ref``'s device."""
    if isinstance(v, Tensor):
        return v
    xp = xp_of(ref._data)
    if isinstance(v, numbers.Number):
        return Tensor._make(xp.asarray(v, dtype=D.scalar_dtype(v).np), None)
    from .._creation import tensor

    return tensor(v, device=ref.device)


def same_device(a, b) -> None:
    if type(a._data) is not type(b._data):
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            f"{a.device} and {b.device}!"
        )


def result_dtype(*ops) -> D.dtype:
    dims, zeros, wrapped = [], [], []
    for o in ops:
        if isinstance(o, Tensor):
            (dims if o._data.ndim else zeros).append(D.NP2DT[o._data.dtype])
        elif isinstance(o, (bool, int, float)):
            wrapped.append(D.scalar_dtype(o))
        elif isinstance(o, complex):
            raise TypeError("complex numbers are not supported by danlu")
        else:
            dims.append(D.scalar_dtype(o))
    return D.result_type_from(dims, zeros, wrapped)


def scalar_array(xp, v, npdt):
    """A Python scalar as a 0-d array of ``npdt``; an integer outside the dtype's range wraps
    around as in torch's C++ cast (``uint8_tensor + -1`` adds 255)."""
    try:
        return xp.asarray(v, dtype=npdt)
    except OverflowError:
        if isinstance(v, bool) or not isinstance(v, int) or xp.dtype(npdt).kind not in "iu":
            raise
        return xp.asarray(v % (1 << 64)).astype("uint64").astype(npdt)


_C_TYPE = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
           "float16": "c10::Half", "float32": "float", "float64": "double", "bool": "bool"}


def checked_scalar_array(xp, v, npdt):
    """``scalar_array`` behind torch's filling ops (fill_, masked_fill, index_fill, scatter,
    full, where): torch's error when ``v`` does not fit the dtype (c10's overflow check:
    an integer may wrap into an unsigned type from as low as ``-max``; a float must be within
    range, or inf/NaN for a floating dtype)."""
    kind = xp.dtype(npdt).kind
    if isinstance(v, Tensor):
        v = v.item()
    bad = False
    if not isinstance(v, bool) and kind in "iuf":
        info = xp.finfo(npdt) if kind == "f" else xp.iinfo(npdt)
        lo = -int(info.max) if kind == "u" and isinstance(v, int) else info.min
        if isinstance(v, float) and kind == "f":
            bad = math.isfinite(v) and not lo <= v <= info.max
        else:
            bad = v != v or not lo <= v <= info.max
    if bad:
        name = _C_TYPE.get(xp.dtype(npdt).name, xp.dtype(npdt).name)
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")
    if isinstance(v, float) and kind in "iu":
        v = int(v)  # C++'s truncation toward zero
    return scalar_array(xp, v, npdt)


def binary_operands(a, b, float_result: bool = False, bcast: bool = True):
    """Two operands as Tensors of torch's promoted dtype (``float_result``: at least float).

    Returns ``(a, b, dtype)``.  Python scalars become constant 0-d tensors.  With ``bcast`` two
    tensors' shapes must broadcast (torch's error, raised before any dtype kernel check).
    """
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    # fast path: float tensor with a Python float/int scalar keeps the tensor's dtype
    if ta and not tb:
        if (type(b) is float or type(b) is int) and a._data.dtype.kind == "f":
            arr = a._data
            return a, Tensor._make(xp_of(arr).asarray(b, arr.dtype), None), D.NP2DT[arr.dtype]
    elif tb and not ta:
        if (type(a) is float or type(a) is int) and b._data.dtype.kind == "f":
            arr = b._data
            return Tensor._make(xp_of(arr).asarray(a, arr.dtype), None), b, D.NP2DT[arr.dtype]
    if ta and tb:
        if type(a._data) is not type(b._data):
            same_device(a, b)
        sa, sb = a._data.shape, b._data.shape
        if bcast and sa != sb and sa and sb:
            broadcast_shapes(sa, sb)
        if a._data.dtype == b._data.dtype:
            dt = D.NP2DT[a._data.dtype]
            if float_result and not dt.is_floating_point:
                dt = D.get_default_dtype()
                return a.to(dt), b.to(dt), dt
            return a, b, dt
    elif not ta and not tb:
        raise TypeError("expected at least one Tensor operand")
    dt = result_dtype(a, b)
    if float_result and not dt.is_floating_point:
        dt = D.get_default_dtype()
    ref = a if ta else b
    xp = xp_of(ref._data)
    npdt = dt.np
    if ta:
        if a._data.dtype != npdt:
            a = a.to(dt)
    else:
        a = Tensor._make(scalar_array(xp, a, npdt), None)
    if tb:
        if b._data.dtype != npdt:
            b = b.to(dt)
    else:
        b = Tensor._make(scalar_array(xp, b, npdt), None)
    return a, b, dt


def broadcast_error(sa, sb):
    """torch's message for shapes that do not broadcast."""
    na, nb = len(sa), len(sb)
    n = max(na, nb)
    pa = (1,) * (n - na) + tuple(sa)
    pb = (1,) * (n - nb) + tuple(sb)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                f"at non-singleton dimension {i}"
            )
    return RuntimeError(f"shapes {tuple(sa)} and {tuple(sb)} cannot be broadcast together")


def broadcast_shapes(*shapes) -> tuple:
    out: list = []
    for s in shapes:
        s = tuple(s)
        if len(s) > len(out):
            out = [1] * (len(s) - len(out)) + out
        for i in range(1, len(s) + 1):
            a, b = out[-i], s[-i]
            if a == b or b == 1:
                continue
            if a == 1:
                out[-i] = b
            else:
                raise broadcast_error(tuple(out), s)
    return tuple(out)


def unbroadcast(g, shape):
    """Sum ``g`` over the dims that broadcasting added or stretched, giving ``shape``."""
    gs = g._data.shape
    if gs == shape:
        return g
    nd = len(gs) - len(shape)
    axes = tuple(range(nd)) + tuple(
        i + nd for i, s in enumerate(shape) if s == 1 and gs[i + nd] != 1
    )
    if axes:
        g = g.sum(dim=axes, keepdim=True)
    if nd:
        g = g.reshape(shape)
    elif g._data.shape != shape:
        g = g.reshape(shape)
    return g


def norm_dim(dim: int, ndim: int) -> int:
    """Wrap a negative dim; torch's IndexError when out of range."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + n if dim < 0 else dim


def norm_dims(dim, ndim: int) -> tuple:
    """``dim`` as a sorted tuple of non-negative axes; ``None`` (or ``()``) means all."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        d = norm_dim(dim, ndim)  # a 0-d tensor takes dim -1 / 0 (torch's IndexError otherwise)
        return (d,) if ndim else ()
    dims = tuple(norm_dim(d, ndim) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
    if ndim == 0:
        return ()
    return tuple(sorted(dims)) if dims else tuple(range(ndim))


def gemm_acc(a, b):
    """``a @ b`` on raw arrays; float16 operands are multiplied in float32 and the float32 product
    is returned, so a following bias add rounds to float16 only once (torch's CPU half GEMM
    accumulates in float32 and rounds ``a @ b + bias`` once). Cast the result back afterwards."""
    xp = xp_of(a)
    if a.dtype == xp.float16:
        return a.astype(xp.float32) @ b.astype(xp.float32)
    return a @ b
