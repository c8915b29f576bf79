"""Where uploaded files live: a small interface, and a local directory (under var/) by default.

Files are stored by content hash (`<sha256>.<ext>`), so the same picture uploaded twice is one file
and a key can never name anything outside the store. `put()` returns only once the file is durable
(written to a temporary file, fsync'd, atomically renamed, the directory fsync'd): callers store the
file first and commit the row that names it afterwards, so a committed row never points at nothing.
A rolled-back request can leave an unreferenced file behind; that is harmless (content-addressed).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from app.core.config import settings

KEY_PATTERN = re.compile(r"^[0-9a-f]{64}\.(jpg|png|webp)$")
EXTENSIONS = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def is_key(value: str) -> bool:
    return bool(KEY_PATTERN.match(value))


def content_type_of(key: str) -> str:
    return EXTENSIONS[key.rsplit(".", 1)[-1]]


class Storage(Protocol):
    def put(self, data: bytes, *, ext: str) -> str:
        """Store `data` durably; return its key (`<sha256>.<ext>`)."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Open a stored file for reading; FileNotFoundError when there is none."""
        ...

    def path(self, key: str) -> Path | None:
        """A local filesystem path for the key (for sendfile), or None for a remote store."""
        ...

    def exists(self, key: str) -> bool: ...


class LocalStorage:
    """Files under `root/ab/cd/<key>`, where ab/cd are the first hex digits of the hash."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _file(self, key: str) -> Path:
        if not is_key(key):
            raise FileNotFoundError(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes, *, ext: str) -> str:
        if ext not in EXTENSIONS:
            raise ValueError(f"unknown extension {ext!r}")
        key = f"{hashlib.sha256(data).hexdigest()}.{ext}"
        target = self._file(key)
        if target.exists() and target.stat().st_size == len(data):
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=f".{ext}")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o640)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(target.parent)
        return key

    def open(self, key: str) -> BinaryIO:
        return self._file(key).open("rb")

    def path(self, key: str) -> Path | None:
        file = self._file(key)
        return file if file.is_file() else None

    def exists(self, key: str) -> bool:
        try:
            return self._file(key).is_file()
        except FileNotFoundError:
            return False


def _fsync_dir(path: Path) -> None:
    # the rename is only durable once the directory entry is on disk (not possible on every OS)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_storage: Storage | None = None


def get_storage() -> Storage:
    """The configured store (a local directory under settings.uploads_dir)."""
    global _storage
    if _storage is None or (isinstance(_storage, LocalStorage) and _storage.root != settings.uploads_dir):
        _storage = LocalStorage(settings.uploads_dir)
    return _storage
