"""Memory formats and layout, as torch's: ``contiguous_format`` (row-major), ``channels_last``
(NCHW tensors stored NHWC: strides ``(HWC, 1, WC, C)``), ``channels_last_3d`` (NCDHW stored
NDHWC), ``preserve_format`` (keep the input's dense stride order); ``strided`` is the only layout.

A danlu tensor wraps an array that can carry any strides, so a format is just a stride order:
a channels_last tensor is ``empty(N, H, W, C).transpose(0, 3, 1, 2)`` filled with the values.
Values never depend on the format.  Ops compute on any strides but, unlike torch's conv /
batch_norm kernels, do not propagate channels_last to their outputs.
"""
from __future__ import annotations

import weakref

from . import _backend as B


class memory_format:
    """The type of ``danlu.contiguous_format``, ``channels_last``, ``channels_last_3d`` and
    ``preserve_format``."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return "danlu." + self._name

    def __reduce__(self):
        return self._name


class layout:
    """The type of ``danlu.strided`` (danlu tensors are always dense and strided)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return "danlu." + self._name

    def __reduce__(self):
        return self._name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
strided = layout("strided")

# physical (outer -> inner) order of the logical dims
_ORDER = {channels_last: (0, 2, 3, 1), channels_last_3d: (0, 2, 3, 4, 1)}
_RANK = {channels_last: 4, channels_last_3d: 5}


def check(fn: str, fmt, allow_none: bool = True):
    """``fmt`` as a memory_format (``None`` -> preserve), torch's TypeError otherwise."""
    if fmt is None and allow_none:
        return preserve_format
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{fn}(): argument 'memory_format' must be torch.memory_format, "
                        f"not {type(fmt).__name__}")
    return fmt


def _check_rank(fmt, ndim: int) -> None:
    r = _RANK.get(fmt)
    if r is not None and ndim != r:
        raise RuntimeError(f"required rank {r} tensor to use {fmt._name} format")


def _elem_strides(a):
    return tuple(s // a.itemsize for s in a.strides)


def is_contiguous_as(a, fmt) -> bool:
    """torch's ``is_contiguous(memory_format)``: the strides are exactly those of ``fmt``
    (size-1 dims ignored); preserve / contiguous test row-major contiguity."""
    order = _ORDER.get(fmt)
    if order is None:
        return bool(a.flags.c_contiguous)
    if a.ndim != len(order):
        return False
    st, expected = _elem_strides(a), 1
    for d in reversed(order):
        if a.shape[d] != 1:
            if st[d] != expected:
                return False
            expected *= a.shape[d]
    return True


def _strides_like(a, fmt) -> bool:
    """torch's ``is_channels_last_strides_2d/3d``: strides ordered as ``fmt`` (ambiguous
    cases default to NCHW)."""
    order = _ORDER[fmt]
    if a.ndim != len(order):
        return False
    st = _elem_strides(a)
    if st[1] == 0:
        return False
    lo = 0
    for d in reversed(order):
        if a.shape[d] == 0 or st[d] < lo:
            return False
        if d == 0 and lo == st[1]:
            return False
        lo = st[d] * (a.shape[d] if a.shape[d] > 1 else 1)
    return True


def suggest(a):
    """torch's ``suggest_memory_format``: channels_last(_3d) when the strides look like it."""
    if _strides_like(a, channels_last):
        return channels_last
    if _strides_like(a, channels_last_3d):
        return channels_last_3d
    return contiguous_format


def _non_overlapping_and_dense(a) -> bool:
    dims = sorted((d for d in range(a.ndim) if a.shape[d] != 1), key=lambda d: _elem_strides(a)[d])
    st, expected = _elem_strides(a), 1
    for d in dims:
        if st[d] != expected:
            return False
        expected *= a.shape[d]
    return True


def _dense_order(a):
    """torch's ``infer_dense_strides`` permutation (outer -> inner) keeping the input's stride
    order: a stable insertion sort, 0 strides and ties (smaller size inner) as torch."""
    st, sh = _elem_strides(a), a.shape
    perm = list(range(a.ndim))[::-1]  # inner -> outer

    def after(d0, d1) -> int:
        s0, s1 = st[d0], st[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return 1 if s0 > s1 else -1
        return 1 if sh[d0] > sh[d1] else 0

    for i in range(1, a.ndim):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = after(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return tuple(perm[::-1])


def _empty_ordered(xp, shape, dtype, order):
    """An uninitialised array of ``shape`` whose memory runs through ``order`` (outer -> inner)."""
    inv = [0] * len(order)
    for i, d in enumerate(order):
        inv[d] = i
    return xp.empty(tuple(shape[d] for d in order), dtype).transpose(inv)


def empty_like_array(a, fmt, dtype=None, xp=None, mode: str = "clone"):
    """An uninitialised array shaped like ``a`` laid out per ``fmt``; under preserve_format a
    dense non-overlapping ``a`` gives its exact strides, else ``mode`` 'clone' (empty_like: keep
    the stride order) or 'to' (_to_copy: the suggested format)."""
    xp = xp if xp is not None else B.xp_of(a)
    dtype = a.dtype if dtype is None else dtype
    if fmt is preserve_format:
        if _non_overlapping_and_dense(a):
            isz = xp.dtype(dtype).itemsize
            buf = xp.empty(int(a.size), dtype)
            return xp.lib.stride_tricks.as_strided(
                buf, a.shape, tuple(s * isz for s in _elem_strides(a)))
        if mode == "clone":
            return _empty_ordered(xp, a.shape, dtype, _dense_order(a))
        fmt = suggest(a)
    _check_rank(fmt, a.ndim)
    return _empty_ordered(xp, a.shape, dtype, _ORDER.get(fmt, tuple(range(a.ndim))))


def copy_as(a, fmt, mode: str = "clone"):
    """A copy of ``a`` (same values) laid out per ``fmt``."""
    out = empty_like_array(a, fmt, mode=mode)
    out[...] = a
    return out


def empty_as(xp, shape, dtype, fmt):
    """``empty(shape, memory_format=fmt)`` (preserve_format is refused, as torch)."""
    if fmt is preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    _check_rank(fmt, len(shape))
    return _empty_ordered(xp, tuple(shape), dtype, _ORDER.get(fmt, tuple(range(len(shape)))))


def like(arr, template, fmt):
    """``arr`` (a fresh row-major array of ``template``'s shape) laid out as a ``*_like`` factory
    with ``memory_format=fmt`` (None -> preserve) lays out its result."""
    fmt = check("empty_like", fmt)
    if fmt is contiguous_format or (fmt is preserve_format
                                    and _elem_strides(template) == _elem_strides(arr)):
        return arr
    out = empty_like_array(template, fmt, dtype=arr.dtype, xp=B.xp_of(arr))
    out[...] = arr
    return out


# -- pinned / shared memory: flags on the underlying buffer (views see them, as torch's storage) --
class _Flagged:
    """Buffers (NumPy arrays are unhashable) flagged by identity, forgotten when freed."""

    def __init__(self) -> None:
        self._refs: dict = {}

    def add(self, a) -> None:
        key = id(a)
        self._refs[key] = weakref.ref(a, lambda _r, k=key: self._refs.pop(k, None))

    def __contains__(self, a) -> bool:
        r = self._refs.get(id(a))
        return r is not None and r() is a


_PINNED = _Flagged()
_SHARED = _Flagged()


def _root(a):
    while getattr(a, "base", None) is not None and hasattr(a.base, "shape"):
        a = a.base
    return a


def _pin_memory(self, device=None):
    """torch's ``pin_memory()``: a copy in page-locked host memory.  Without an accelerator it
    raises as torch's CPU build; with one it returns a host copy flagged pinned (CuPy/NumPy host
    memory is used as is)."""
    if device is not None and str(device) == "cpu":
        raise RuntimeError("CPU device type not an accelerator.")
    if not B.cuda_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    if B.device_of(self._data).type != "cpu":
        raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
    if _is_pinned(self):
        return self
    r = self.clone()
    _PINNED.add(_root(r._data))
    return r


def _is_pinned(self, device=None) -> bool:
    return _root(self._data) in _PINNED


def _share_memory_(self):
    """torch moves the storage to shared memory for worker processes; danlu has no such workers,
    so this only flags the buffer (``is_shared()`` then reports True, for views too)."""
    _SHARED.add(_root(self._data))
    return self


def _is_shared(self) -> bool:
    root = _root(self._data)
    return B.device_of(root).type == "cuda" or root in _SHARED


def bind_tensor_methods(cls) -> None:
    cls.pin_memory = _pin_memory
    cls.is_pinned = _is_pinned
    cls.share_memory_ = _share_memory_
    cls.is_shared = _is_shared
