"""Downloading into a cache, with checksums, never leaving a partial file behind.

``download_url(url, root, sha256=..., md5=...)`` returns the path of a verified file: a cached copy
is reused when its checksum matches; otherwise the file is fetched (``http(s)://`` or ``file://``)
into a temporary ``*.part`` file in the same directory, verified, and only then renamed into place.
Failures raise ``RuntimeError`` naming the URL, the destination, and (for a mismatch) the expected
and actual digests.

The cache directory is ``$DANLU_DATA`` when set, else ``~/.cache/danlu``.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile

__all__ = ["get_data_home", "calculate_digest", "check_integrity", "download_url", "extract_archive",
           "download_and_extract_archive"]


def get_data_home(root: str | os.PathLike | None = None) -> str:
    """The directory datasets are cached in: ``root`` if given, else ``$DANLU_DATA``, else
    ``~/.cache/danlu``."""
    if root is None:
        root = os.environ.get("DANLU_DATA") or os.path.join(os.path.expanduser("~"), ".cache", "danlu")
    return os.fspath(os.path.expanduser(root))


def calculate_digest(path: str | os.PathLike, algorithm: str = "sha256", chunk_size: int = 1 << 20) -> str:
    """Hex digest of a file (``'sha256'`` or ``'md5'``), read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def _mismatch(path, sha256: str | None, md5: str | None) -> str | None:
    """None when ``path`` matches every checksum given, else a message naming expected and actual."""
    for algo, expected in (("sha256", sha256), ("md5", md5)):
        if expected:
            actual = calculate_digest(path, algo)
            if actual.lower() != expected.lower():
                return f"{algo} mismatch: expected {expected.lower()}, got {actual}"
    return None


def check_integrity(path: str | os.PathLike, sha256: str | None = None, md5: str | None = None) -> bool:
    """True when ``path`` exists and matches the given checksums (no checksum: existence only)."""
    return os.path.isfile(path) and _mismatch(path, sha256, md5) is None


def download_url(url: str, root: str | os.PathLike | None = None, filename: str | None = None,
                 sha256: str | None = None, md5: str | None = None, timeout: float = 60.0) -> str:
    """Fetch ``url`` into ``root/filename`` unless a verified copy is already there; return its path."""
    root = get_data_home(root)
    os.makedirs(root, exist_ok=True)
    filename = filename or os.path.basename(urllib.parse.urlparse(url).path) or "download"
    path = os.path.join(root, filename)
    if os.path.isfile(path) and _mismatch(path, sha256, md5) is None:
        return path
    fd, tmp = tempfile.mkstemp(prefix=filename + ".", suffix=".part", dir=root)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    shutil.copyfileobj(resp, out, 1 << 20)
            except (urllib.error.URLError, OSError, ValueError) as e:
                reason = getattr(e, "reason", e)
                raise RuntimeError(
                    f"Failed to download {url} to {path}: {reason}. Without network access, place the file "
                    f"there yourself" + (f" (expected sha256 {sha256})" if sha256 else
                                         f" (expected md5 {md5})" if md5 else "") + ".") from None
        bad = _mismatch(tmp, sha256, md5)
        if bad:
            raise RuntimeError(f"Checksum mismatch for {url}: {bad}. The download was discarded; "
                               f"{path} was not written.")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def extract_archive(from_path: str | os.PathLike, to_path: str | os.PathLike | None = None) -> str:
    """Extract a ``.tar[.gz|.bz2|.xz]``/``.tgz`` or ``.zip`` archive (refusing members that would land
    outside ``to_path``); return ``to_path``."""
    from_path = os.fspath(from_path)
    to_path = os.fspath(to_path) if to_path is not None else os.path.dirname(from_path)
    dest = os.path.realpath(to_path)

    def _safe(name: str) -> None:
        target = os.path.realpath(os.path.join(dest, name))
        if os.path.commonpath([dest, target]) != dest:
            raise RuntimeError(f"refusing to extract {name!r} from {from_path}: it points outside {to_path}")

    if zipfile.is_zipfile(from_path):
        with zipfile.ZipFile(from_path) as z:
            for n in z.namelist():
                _safe(n)
            z.extractall(to_path)
    elif tarfile.is_tarfile(from_path):
        with tarfile.open(from_path) as t:
            members = t.getmembers()
            for m in members:
                _safe(m.name)
                if m.issym() or m.islnk():
                    raise RuntimeError(f"refusing to extract link {m.name!r} from {from_path}")
            t.extractall(to_path, members=members)
    else:
        raise RuntimeError(f"{from_path} is not a tar or zip archive")
    return to_path


def download_and_extract_archive(url: str, download_root: str | os.PathLike | None = None,
                                 extract_root: str | os.PathLike | None = None, filename: str | None = None,
                                 sha256: str | None = None, md5: str | None = None) -> str:
    path = download_url(url, download_root, filename, sha256=sha256, md5=md5)
    return extract_archive(path, extract_root if extract_root is not None else os.path.dirname(path))
