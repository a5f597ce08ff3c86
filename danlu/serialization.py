"""``danlu.save`` / ``danlu.load``: checkpoints that never execute code when read.

A checkpoint is one file laid out as::

    magic  b"DANLUCKP" | u32 format version | u64 header length | u32 header CRC-32
    header (UTF-8 JSON): {"root": <encoded object>, "tensors": [{"dtype", "shape", "offset",
                          "nbytes", "crc32", ...}, ...], "data_bytes": N}
    zero padding to a multiple of 64
    data: each tensor's raw little-endian bytes, C order, 64-byte aligned
    trailer b"DANLUEND" | u64 total file length

Only tensors (and Parameters, numpy arrays), ``None``/bool/int/float/str/bytes, dtypes, devices,
``Size`` and lists/tuples/dicts (``OrderedDict`` kept as such, any supported key type) of them can
be stored: nothing is pickled, so loading a file can only ever build those.  Writing to a path is
atomic (temp file in the same directory, flush + fsync, ``os.replace``), so a crash mid-save leaves
the previous checkpoint intact.  Truncated or foreign files raise ``RuntimeError``.
"""
from __future__ import annotations

import base64
import json
import math
import os
import secrets
import struct
import zlib
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as np

from . import _backend as B
from . import _dtype as D
from ._tensor import Size, Tensor

__all__ = ["save", "load"]

MAGIC = b"DANLUCKP"
END = b"DANLUEND"
VERSION = 1
ALIGN = 64
_FIXED = struct.Struct("<8sIQI")  # magic, version, header length, header crc32
_TRAILER = struct.Struct("<8sQ")  # end magic, total file length
_ALLOWED_KINDS = "biuf"


def _pad(n: int) -> int:
    return (-n) % ALIGN


# ------------------------------------------------------------------------------------------
# encoding: Python object -> JSON-able structure + list of arrays
# ------------------------------------------------------------------------------------------
class _Encoder:
    def __init__(self) -> None:
        self.entries: list[dict] = []
        self.arrays: list[np.ndarray] = []
        self.seen: dict[int, int] = {}  # id(tensor) -> entry index (same object stored once)
        self.offset = 0

    def add_array(self, arr: np.ndarray, meta: dict) -> int:
        if arr.dtype.kind not in _ALLOWED_KINDS:
            raise TypeError(f"danlu.save: arrays of dtype {arr.dtype} cannot be stored")
        if not arr.flags.c_contiguous:  # (np.ascontiguousarray would turn 0-d into 1-d)
            arr = arr.copy(order="C")
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        nbytes = arr.nbytes
        meta.update(dtype=arr.dtype.str, shape=list(arr.shape), offset=self.offset, nbytes=nbytes,
                    crc32=zlib.crc32(_bytes_view(arr)))
        self.offset += nbytes + _pad(nbytes)
        self.entries.append(meta)
        self.arrays.append(arr)
        return len(self.entries) - 1

    def encode(self, obj: Any, path: str) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj
        if isinstance(obj, float):
            return {"$float": repr(obj)}
        if isinstance(obj, Tensor):
            key = id(obj)
            if key not in self.seen:
                from .nn.parameter import Parameter, is_lazy

                if is_lazy(obj):
                    raise TypeError(f"danlu.save: {path} is an uninitialized (lazy) parameter; run a "
                                    "forward pass first")
                meta = {"kind": "parameter" if isinstance(obj, Parameter) else "tensor",
                        "requires_grad": bool(obj.requires_grad), "device": str(obj.device)}
                self.seen[key] = self.add_array(B.to_numpy(obj._data), meta)
            return {"$tensor": self.seen[key]}
        if isinstance(obj, np.ndarray):
            return {"$ndarray": self.add_array(obj, {"kind": "ndarray"})}
        if isinstance(obj, np.generic):
            if obj.dtype.kind not in _ALLOWED_KINDS:
                raise TypeError(f"danlu.save: numpy scalars of dtype {obj.dtype} cannot be stored")
            return {"$npscalar": self.add_array(np.asarray(obj), {"kind": "npscalar"})}
        if isinstance(obj, Size):
            return {"$size": [int(s) for s in obj]}
        if isinstance(obj, D.dtype):
            return {"$dtype": obj.name}
        if isinstance(obj, B.device):
            return {"$device": str(obj)}
        if isinstance(obj, (bytes, bytearray)):
            return {"$bytes": base64.b64encode(bytes(obj)).decode("ascii")}
        if isinstance(obj, list):
            return [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            if hasattr(obj, "_fields"):
                raise TypeError(f"danlu.save: cannot store the namedtuple {type(obj).__name__} at "
                                f"{path}; convert it to a tuple or dict")
            return {"$tuple": [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, dict):
            items = [[self.encode(k, f"{path} key"), self.encode(v, f"{path}[{k!r}]")]
                     for k, v in obj.items()]
            out: dict = {"$dict": items}
            if isinstance(obj, OrderedDict):
                out["ordered"] = True
                meta = getattr(obj, "_metadata", None)
                if isinstance(meta, dict):
                    out["metadata"] = self.encode(meta, f"{path}._metadata")
            elif type(obj) is not dict:
                raise TypeError(f"danlu.save: cannot store the dict subclass {type(obj).__name__} "
                                f"at {path}")
            return out
        raise TypeError(
            f"danlu.save: cannot store an object of type {type(obj).__module__}."
            f"{type(obj).__qualname__} at {path}. Checkpoints hold only tensors, numbers, strings, "
            "None, dtypes, devices and lists/tuples/dicts of them (nothing is pickled); save "
            "`model.state_dict()` rather than the model.")


def _bytes_view(arr: np.ndarray) -> memoryview:
    """The raw bytes of C-contiguous ``arr`` without copying."""
    return memoryview(arr.reshape(-1).view(np.uint8))


def _write_tensor_bytes(fh: BinaryIO, arr: np.ndarray) -> None:
    """Write one tensor's bytes (a separate function so tests can simulate a crash here)."""
    fh.write(_bytes_view(arr))


def _write(fh: BinaryIO, enc: _Encoder, root: Any) -> None:
    header = json.dumps({"format": "danlu-checkpoint", "version": VERSION, "root": root,
                         "tensors": enc.entries, "data_bytes": enc.offset},
                        separators=(",", ":"), allow_nan=False).encode("utf-8")
    fixed = _FIXED.pack(MAGIC, VERSION, len(header), zlib.crc32(header))
    fh.write(fixed)
    fh.write(header)
    fh.write(b"\0" * _pad(len(fixed) + len(header)))
    for arr in enc.arrays:
        _write_tensor_bytes(fh, arr)
        fh.write(b"\0" * _pad(arr.nbytes))
    total = len(fixed) + len(header) + _pad(len(fixed) + len(header)) + enc.offset + _TRAILER.size
    fh.write(_TRAILER.pack(END, total))


def _fsync_dir(d: str) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def save(obj: Any, f, pickle_module=None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Write ``obj`` (tensors, state dicts, optimizer states, nested containers of them) to ``f``,
    a path or a writable binary file object.  Paths are written atomically."""
    if pickle_module is not None:
        raise ValueError("danlu.save never pickles: pickle_module is not supported")
    enc = _Encoder()
    root = enc.encode(obj, "obj")  # fails before touching the destination
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        d = os.path.dirname(os.path.abspath(path))
        tmp = os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as fh:
                _write(fh, enc, root)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        _fsync_dir(d)
    elif hasattr(f, "write"):
        _write(f, enc, root)
        if hasattr(f, "flush"):
            f.flush()
    else:
        raise AttributeError(f"danlu.save: expected a path or a writable file object, got "
                             f"{type(f).__name__}")


# ------------------------------------------------------------------------------------------
# decoding
# ------------------------------------------------------------------------------------------
def _name_of(f) -> str:
    if isinstance(f, (str, os.PathLike)):
        return repr(os.fspath(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else "the given file"


def _read_exact(fh: BinaryIO, n: int, name: str, what: str) -> bytes:
    buf = fh.read(n)
    if buf is None or len(buf) != n:
        got = 0 if buf is None else len(buf)
        raise RuntimeError(f"{name} is truncated: expected {n} bytes of {what} but the file ends "
                           f"after {got}. The checkpoint is incomplete or damaged.")
    return buf


def _read_into(fh: BinaryIO, arr: np.ndarray, name: str) -> None:
    view = _bytes_view(arr)
    n = len(view)
    if hasattr(fh, "readinto"):
        got = 0
        while got < n:
            k = fh.readinto(view[got:])
            if not k:
                break
            got += k
    else:
        data = fh.read(n)
        got = len(data)
        view[:got] = data
    if got != n:
        raise RuntimeError(f"{name} is truncated: a tensor needs {n} bytes but the file ends after "
                           f"{got}. The checkpoint is incomplete or damaged.")


def _not_ours(name: str, head: bytes) -> RuntimeError:
    if head.startswith(b"PK\x03\x04"):
        hint = (" It looks like a zip archive (the format of torch.save); danlu.load reads only "
                "files written by danlu.save, since reading torch's would mean unpickling. Convert "
                "it with torch: save {k: v.numpy()} arrays via danlu.save, or load the numpy "
                "arrays into a state dict.")
    elif head[:1] == b"\x80":
        hint = " It looks like a Python pickle, which danlu.load never executes."
    elif not head:
        hint = " The file is empty."
    else:
        hint = ""
    return RuntimeError(f"{name} is not a danlu checkpoint (bad magic bytes).{hint}")


def _target_device(map_location, saved: str):
    """Where a tensor saved on ``saved`` goes, as a device, or a callable to apply later."""
    if map_location is None:
        return B.as_device(saved)
    if isinstance(map_location, (str, B.device, int)):
        return B.as_device(map_location)
    if isinstance(map_location, dict):
        return B.as_device(map_location.get(saved, saved))
    if callable(map_location):
        return map_location
    raise TypeError(f"map_location must be None, a device, a str, a dict or a callable, got "
                    f"{type(map_location).__name__}")


class _Decoder:
    def __init__(self, objs: list) -> None:
        self.objs = objs

    def decode(self, x: Any) -> Any:
        if x is None or isinstance(x, (bool, int, str)):
            return x
        if isinstance(x, list):
            return [self.decode(v) for v in x]
        if not isinstance(x, dict) or len(x) == 0:
            raise RuntimeError("corrupt danlu checkpoint: unexpected entry in the header")
        if "$dict" in x:
            pairs = [(self._key(k), self.decode(v)) for k, v in x["$dict"]]
            if x.get("ordered"):
                out = OrderedDict(pairs)
                if "metadata" in x:
                    out._metadata = self.decode(x["metadata"])
                return out
            return dict(pairs)
        tag, val = next(iter(x.items()))
        if tag == "$float":
            return float(val)
        if tag in ("$tensor", "$ndarray", "$npscalar"):
            return self.objs[int(val)]
        if tag == "$tuple":
            return tuple(self.decode(v) for v in val)
        if tag == "$size":
            return Size(int(v) for v in val)
        if tag == "$dtype":
            return D.to_dtype(val)
        if tag == "$device":
            return B.device(val)
        if tag == "$bytes":
            return base64.b64decode(val)
        raise RuntimeError(f"corrupt danlu checkpoint: unknown tag {tag!r} in the header")

    def _key(self, k):
        v = self.decode(k)
        if isinstance(v, list):  # lists are unhashable; they cannot have been keys
            raise RuntimeError("corrupt danlu checkpoint: a dict key is a list")
        return v


def _make_tensor(arr: np.ndarray, meta: dict, map_location, name: str):
    kind = meta.get("kind", "tensor")
    if kind == "ndarray":
        return arr
    if kind == "npscalar":
        return arr[()]
    saved = meta.get("device", "cpu")
    target = _target_device(map_location, saved)
    t = Tensor._make(arr)
    if isinstance(target, B.device):
        if target.type == "cuda" and not B.cuda_available():
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU.")
        if target.type != "cpu":
            t = Tensor._make(B.move(arr, target))
    else:
        res = target(t, saved)
        if isinstance(res, Tensor):
            t = Tensor._make(res._data)
    if kind == "parameter":
        from .nn.parameter import Parameter

        return Parameter(t, requires_grad=bool(meta.get("requires_grad", True)))
    if meta.get("requires_grad") and t.is_floating_point():
        t.requires_grad_(True)
    return t


def _load_stream(fh: BinaryIO, name: str, map_location) -> Any:
    head = fh.read(_FIXED.size) or b""
    if len(head) < len(MAGIC) or head[:len(MAGIC)] != MAGIC:
        raise _not_ours(name, head)
    if len(head) < _FIXED.size:
        raise RuntimeError(f"{name} is truncated: the file ends inside the checkpoint preamble.")
    _, version, hlen, hcrc = _FIXED.unpack(head)
    if version > VERSION:
        raise RuntimeError(f"{name} was written by a newer danlu (checkpoint format {version}; "
                           f"this danlu reads up to {VERSION}).")
    if hlen > (1 << 34):
        raise RuntimeError(f"{name} is corrupt: implausible header length {hlen}.")
    header_bytes = _read_exact(fh, hlen, name, "header")
    if zlib.crc32(header_bytes) != hcrc:
        raise RuntimeError(f"{name} is corrupt: the header checksum does not match.")
    try:
        header = json.loads(header_bytes.decode("utf-8"))
        entries = header["tensors"]
        data_bytes = int(header["data_bytes"])
    except (ValueError, KeyError, TypeError) as e:
        raise RuntimeError(f"{name} is corrupt: unreadable header ({e}).") from None
    if _read_exact(fh, _pad(_FIXED.size + hlen), name, "header padding").strip(b"\0"):
        raise RuntimeError(f"{name} is corrupt: non-zero padding after the header.")
    objs = []
    pos = 0
    for i, meta in enumerate(entries):
        try:
            dt = np.dtype(meta["dtype"])
            shape = tuple(int(s) for s in meta["shape"])
            offset, nbytes = int(meta["offset"]), int(meta["nbytes"])
        except (KeyError, TypeError, ValueError) as e:
            raise RuntimeError(f"{name} is corrupt: bad tensor entry {i} ({e}).") from None
        if dt.kind not in _ALLOWED_KINDS or dt.byteorder == ">" or \
                math.prod(shape) * dt.itemsize != nbytes or offset != pos or min(shape, default=0) < 0:
            raise RuntimeError(f"{name} is corrupt: inconsistent tensor entry {i}.")
        arr = np.empty(shape, dt)
        _read_into(fh, arr, name)
        if zlib.crc32(_bytes_view(arr)) != int(meta.get("crc32", -1)):
            raise RuntimeError(f"{name} is corrupt: checksum mismatch in tensor {i} "
                               f"(shape {list(shape)}, dtype {dt}).")
        if _read_exact(fh, _pad(nbytes), name, "padding").strip(b"\0"):
            raise RuntimeError(f"{name} is corrupt: non-zero padding after tensor {i}.")
        pos += nbytes + _pad(nbytes)
        objs.append(_make_tensor(arr, meta, map_location, name))
    if pos != data_bytes:
        raise RuntimeError(f"{name} is corrupt: tensor sizes do not add up to the data section.")
    trailer = _read_exact(fh, _TRAILER.size, name, "end marker")
    end, total = _TRAILER.unpack(trailer)
    expected = _FIXED.size + hlen + _pad(_FIXED.size + hlen) + data_bytes + _TRAILER.size
    if end != END or total != expected:
        raise RuntimeError(f"{name} is corrupt: bad end marker.")
    return _Decoder(objs).decode(header["root"])


def load(f, map_location: Any = None, pickle_module=None, *, weights_only: bool | None = True,
         mmap: bool | None = None, **pickle_load_args: Any) -> Any:
    """Read what ``danlu.save`` wrote.  ``map_location``: None (saved devices), a device or
    string, a ``{saved: target}`` dict, or ``fn(tensor, saved_location)``.  Never executes code;
    ``weights_only`` is accepted for compatibility (loading is always weights-only)."""
    name = _name_of(f)
    if isinstance(f, (str, os.PathLike)):
        with open(os.fspath(f), "rb") as fh:
            return _load_stream(fh, name, map_location)
    if hasattr(f, "read"):
        return _load_stream(f, name, map_location)
    raise AttributeError(f"danlu.load: expected a path or a readable file object, got "
                         f"{type(f).__name__}")

