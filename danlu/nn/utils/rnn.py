"""Variable-length sequences for the recurrent layers: PackedSequence and the pack / pad helpers.

A batch of B sequences sorted by decreasing length ``l_0 >= l_1 >= ...`` is *packed* time step by time
step: ``data = cat([x[0, :bs_0], x[1, :bs_1], ...])`` with ``bs_t = #{b : l_b > t}`` (``batch_sizes``).
``sorted_indices`` is the permutation that sorted the batch (None when it came sorted) and
``unsorted_indices`` its inverse.  Packing and padding are gathers, so gradients flow through both.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ... import _creation as C
from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices",
                                                    "unsorted_indices"])):
    """Holds ``data`` (sum(batch_sizes), *) and ``batch_sizes`` (int64, one per time step) of a packed
    batch, plus the sorting permutation and its inverse (or None)."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # torch allows PackedSequence((data, batch_sizes))
            data, batch_sizes = data[0], data[1]
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data) -> PackedSequence:
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """Moves/casts ``data`` (the indices follow its device, never its dtype)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        dev = data.device
        idx = [None if t is None else t.to(dev) for t in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, *idx)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def cuda(self, *args, **kwargs) -> PackedSequence:
        return self.to("cuda")

    def double(self) -> PackedSequence:
        return self._with_data(self.data.double())

    def float(self) -> PackedSequence:
        return self._with_data(self.data.float())

    def half(self) -> PackedSequence:
        return self._with_data(self.data.half())

    def long(self) -> PackedSequence:
        return self._with_data(self.data.long())

    def int(self) -> PackedSequence:
        return self._with_data(self.data.int())

    def short(self) -> PackedSequence:
        return self._with_data(self.data.short())

    def char(self) -> PackedSequence:
        return self._with_data(self.data.char())

    def byte(self) -> PackedSequence:
        return self._with_data(self.data.byte())

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation):
    """The inverse permutation (None stays None): ``out[permutation[i]] = i``."""
    if permutation is None:
        return None
    p = _ints(permutation)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size)
    return C.tensor(inv, device=permutation.device if isinstance(permutation, Tensor) else None)


def _ints(v) -> np.ndarray:
    """Host int64 copy of a list / Tensor of integers (lengths and permutations are bookkeeping)."""
    if isinstance(v, Tensor):
        v = v.detach().cpu().numpy()
    return np.asarray(v, dtype=np.int64).reshape(-1)


def _batch_sizes(lengths: np.ndarray) -> np.ndarray:
    """``bs_t = #{b : lengths_b > t}`` for sorted-descending lengths."""
    return (lengths[None, :] > np.arange(int(lengths[0]))[:, None]).sum(1).astype(np.int64)


def _packed_rows(batch_sizes: np.ndarray, n_batch: int) -> np.ndarray:
    """Row ``t * n_batch + b`` of the (T*B)-flattened padded input for each packed element, in order."""
    return np.concatenate([t * n_batch + np.arange(bs) for t, bs in enumerate(batch_sizes)])


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Packs a padded batch ``(T, B, *)`` (``(B, T, *)`` if batch_first) of sequences of ``lengths``."""
    lengths = _ints(lengths)
    if enforce_sorted:
        if np.any(lengths[:-1] < lengths[1:]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                               "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                               "pack_sequence to sidestep this requirement if you do not need ONNX "
                               "exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = C.tensor(order, device=input.device)
    if batch_first:
        input = input.transpose(0, 1)
    if sorted_indices is not None:
        input = input.index_select(1, sorted_indices)
    T, B = input.shape[0], input.shape[1]
    if lengths.size != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} "
                           f"(batch_size={B})")
    if lengths.size == 0 or lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if lengths[0] > T:
        raise RuntimeError(f"Expected all lengths to be at most the padded length {T}, but got {lengths[0]}")
    bs = _batch_sizes(lengths)
    rows = C.tensor(_packed_rows(bs, B), device=input.device)
    data = input.reshape((T * B,) + tuple(input.shape[2:]))[rows]
    return PackedSequence(data, C.tensor(bs), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None):
    """Inverse of ``pack_padded_sequence``: returns (padded ``(T, B, *)``, lengths int64) in the original
    batch order; ``total_length`` pads T further."""
    data = sequence.data
    bs = _ints(sequence.batch_sizes)
    T, B = bs.size, int(bs[0])
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {T}")
        T = total_length
    n = data.shape[0]
    # every padded slot gathers its packed row, or row n: an appended row of padding_value
    src = np.full(T * B, n, dtype=np.int64)
    src[_packed_rows(bs, B)] = np.arange(n)
    pad = C.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    from ... import cat

    padded = cat([data, pad], 0)[C.tensor(src, device=data.device)]
    padded = padded.reshape((T, B) + tuple(data.shape[1:]))
    lengths = (bs[None, :] > np.arange(B)[:, None]).sum(1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[_ints(sequence.unsorted_indices)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, C.tensor(lengths.astype(np.int64))


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stacks sequences ``(L_i, *)`` into ``(T, B, *)`` (``(B, T, *)`` if batch_first), T = max L_i,
    padding on ``padding_side`` ('right' or 'left')."""
    from ... import cat, stack

    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    T = max(s.shape[0] for s in sequences)
    cols = []
    for s in sequences:
        gap = T - s.shape[0]
        if gap:
            fill = C.full((gap,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype, device=s.device)
            s = cat([s, fill] if padding_side == "right" else [fill, s], 0)
        cols.append(s)
    return stack(cols, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """Splits a padded batch back into a list of its sequences ``(L_i, *)``."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences.unbind(0), _ints(lengths))]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of sequences ``(L_i, *)`` (``pad_sequence`` then ``pack_padded_sequence``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences a PackedSequence holds, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
