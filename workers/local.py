"""A local folder as an object store: `docflow run`'s inbox and outbox."""

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from workers.errors import Code, DocflowError
from workers.store import ObjectInfo

_META_DIR = ".docflow-meta"
_TMP_PREFIX = ".tmp-"
# Files whose md5 a LocalStore remembers, all forgotten at once past this many: enough for
# the HEAD and GET of every key of a batch in flight, and no more, so a long-lived process
# over ever-new files does not grow for it.
_ETAGS_KEPT = 256


def _signature(stat: os.stat_result) -> tuple[int, ...]:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


class LocalStore:
    """A folder used as a bucket: keys are relative paths, writes are atomic renames."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._etags: dict[Path, tuple[tuple[int, ...], str]] = {}

    @property
    def bucket(self) -> str | None:
        """Local folders have no bucket."""
        return None

    def _path(self, key: str) -> Path:
        parts = Path(key).parts
        if not parts or Path(key).is_absolute() or ".." in parts or _META_DIR in parts:
            raise DocflowError(Code.MALFORMED, f"key {key!r} leaves the store", "store")
        return self.root.joinpath(*parts)

    def _meta_path(self, key: str) -> Path:
        return self.root / _META_DIR / f"{key}.json"

    def _info(
        self, key: str, path: Path, data: bytes | None = None, before: os.stat_result | None = None
    ) -> ObjectInfo:
        stat = before or path.stat()
        meta_path = self._meta_path(key)
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        return ObjectInfo(
            key=key,
            etag=self._etag(path, stat, data),
            size=stat.st_size,
            last_modified=_iso(stat.st_mtime),
            content_type=meta.get("content_type"),
            metadata=meta.get("metadata", {}),
        )

    def _etag(self, path: Path, before: os.stat_result, data: bytes | None) -> str:
        """The md5 S3 would give the file: of data, the bytes read after before, when given.

        A HEAD and then a GET of one input would hash it twice (0.3 ms each for a typical
        page). A hash is kept against the file's inode, size, mtime and ctime as stats
        showed them before and after its bytes were read, and used again while the file
        still shows exactly those: for a HEAD, the stat it has just taken; for a GET, the
        stats before and after its read. A write changes the ctime, an atomic replace the
        inode.
        """
        signature = _signature(before)
        known = self._etags.get(path)
        if data is None:
            if known is not None and known[0] == signature:
                return known[1]
            data = path.read_bytes()
        after = _signature(path.stat())  # the file as it was once the bytes were read
        if known is not None and known[0] == signature == after:
            return known[1]
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        if after == signature:
            if len(self._etags) >= _ETAGS_KEPT:
                self._etags.clear()
            self._etags[path] = (signature, etag)
        return etag

    def get(self, key: str, max_bytes: int) -> tuple[bytes, ObjectInfo]:
        """Read a file whole, refusing one larger than max_bytes before reading it."""
        path = self._path(key)
        try:
            before = path.stat()
            size = before.st_size
            if size > max_bytes:
                raise DocflowError(
                    Code.TOO_LARGE, f"{size} bytes is over the {max_bytes} byte cap", "read"
                )
            with path.open("rb") as handle:
                data = handle.read(max_bytes + 1)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise DocflowError(Code.NOT_FOUND, f"no object {key!r}", "read") from exc
        if len(data) > max_bytes:
            raise DocflowError(Code.TOO_LARGE, f"over the {max_bytes} byte cap", "read")
        return data, self._info(key, path, data, before)

    def head(self, key: str) -> ObjectInfo | None:
        """Describe a file, or None when there is none."""
        path = self._path(key)
        return self._info(key, path) if path.is_file() else None

    def put(
        self, key: str, data: bytes, content_type: str, metadata: dict[str, str] | None = None
    ) -> None:
        """Write to a temporary file beside the target, then rename over it."""
        path = self._path(key)
        _atomic_write(
            self._meta_path(key),
            json.dumps({"content_type": content_type, "metadata": metadata or {}}).encode(),
        )
        _atomic_write(path, data)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Walk the folder in key order, skipping docflow's own metadata."""
        if not self.root.is_dir():
            return
        keys = sorted(
            path.relative_to(self.root).as_posix()
            for path in self.root.rglob("*")
            if path.is_file()
            and _META_DIR not in path.relative_to(self.root).parts
            and not path.name.startswith(_TMP_PREFIX)
        )
        for key in keys:
            if key.startswith(prefix):
                yield self._info(key, self._path(key))

    def delete(self, *keys: str) -> None:
        """Remove files and their metadata where present."""
        for key in keys:
            self._path(key).unlink(missing_ok=True)
            self._meta_path(key).unlink(missing_ok=True)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
