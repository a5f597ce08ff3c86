"""The IDX format of MNIST / Fashion-MNIST (optionally gzip-compressed).

Header: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
0x0E float64), the number of dimensions ``d``, then ``d`` big-endian uint32 sizes; then the data,
big-endian, row-major.
"""
from __future__ import annotations

import gzip
import os

import numpy as np

__all__ = ["read_idx", "write_idx"]

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(v).newbyteorder("="): k for k, v in _TYPES.items()}


def _open(path):
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or ``.gz``) into a native-endian numpy array."""
    try:
        with _open(path) as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise RuntimeError(f"cannot read IDX file {os.fspath(path)}: {e}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise RuntimeError(f"corrupt IDX header in {os.fspath(path)}: expected magic 00 00 <type> <ndim> with "
                           f"type in {sorted(hex(k) for k in _TYPES)}, got {raw[:4].hex(' ')}")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise RuntimeError(f"corrupt IDX header in {os.fspath(path)}: {ndim} dimensions announced but the "
                           f"file has only {len(raw)} bytes")
    shape = tuple(int(s) for s in np.frombuffer(raw, ">u4", ndim, 4))
    dt = np.dtype(_TYPES[raw[2]])
    need = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    have = len(raw) - 4 - 4 * ndim
    if have != need:
        raise RuntimeError(f"corrupt IDX file {os.fspath(path)}: shape {list(shape)} of {dt.newbyteorder('=')} "
                           f"needs {need} data bytes, found {have}")
    arr = np.frombuffer(raw, dt, offset=4 + 4 * ndim).reshape(shape)
    return arr.astype(dt.newbyteorder("="))  # native order and a writable copy


def write_idx(path: str | os.PathLike, arr: np.ndarray, compress: bool | None = None) -> None:
    """Write ``arr`` as IDX (gzip-compressed when ``compress`` or the name ends in ``.gz``)."""
    arr = np.asarray(arr)
    code = _CODES.get(arr.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"IDX cannot store dtype {arr.dtype}")
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, ">u4").tobytes()
    body = header + np.ascontiguousarray(arr, dtype=_TYPES[code]).tobytes()
    compress = os.fspath(path).endswith(".gz") if compress is None else compress
    if compress:
        with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as f:  # mtime=0: byte-reproducible
            f.write(body)
    else:
        with open(path, "wb") as f:
            f.write(body)
