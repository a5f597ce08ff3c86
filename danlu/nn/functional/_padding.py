"""nn.functional: ``pad`` (constant, reflect, replicate, circular).

``pad`` lists (left, right) pairs starting from the LAST dim: ``(l_W, r_W, l_H, r_H, ...)``.
Negative amounts crop.  Non-constant modes map each output position to a source index
(reflect: mirror without repeating the edge; replicate: clamp; circular: wrap) and gather.
"""
from __future__ import annotations

from ..._ops.padding import ConstantPad, TakeAlong, pad_index

__all__ = ["pad"]


def _shape_str(s) -> str:
    return "[" + ", ".join(map(str, s)) + "]"


def pad(input, pad, mode: str = "constant", value=None):
    """Pad the last ``len(pad) // 2`` dims of ``input``."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = input.dim()
    k = len(pad) // 2
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in range(k))[::-1]  # first..last padded dim
    if mode == "constant":
        if k > nd:
            raise RuntimeError(
                "Padding length should be less than or equal to two times the input dimension but got "
                f"padding length {len(pad)} and input of dimension {nd}")
        if value is None:
            value = 0
        if not input.dtype.is_floating_point and not input.dtype.is_complex and input.dtype.name != "bool":
            value = int(value)
        if not pairs:
            return input.clone() if hasattr(input, "clone") else input
        return ConstantPad.apply(input, pads=pairs, value=value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if k not in (1, 2, 3) or nd not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {nd}D input tensor.")
    lead = nd - k
    if any(s == 0 for s in input.shape[1 if nd == k + 2 else 0:]):
        raise RuntimeError(
            f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {_shape_str(input.shape)}")
    out = input
    for i, (lo, hi) in enumerate(pairs):
        axis = lead + i
        n = input.shape[axis]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                f"got: padding ({lo}, {hi}) at dimension {axis} of input {_shape_str(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if lo == 0 and hi == 0:
            continue
        out = TakeAlong.apply(out, idx=pad_index(n, lo, hi, mode), axis=axis)
    return out if out is not input else input.clone()
