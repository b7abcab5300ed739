"""Object stores behind one small interface: a local folder in workers.local, S3 in
workers.s3."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What a store knows about one object without reading it."""

    key: str
    etag: str
    size: int
    last_modified: str
    content_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


class Store(Protocol):
    """A bucket-like key/value store of whole objects."""

    @property
    def bucket(self) -> str | None:
        """The bucket name, or None for a local folder."""
        ...

    def get(self, key: str, max_bytes: int) -> tuple[bytes, ObjectInfo]:
        """Read one object whole; TOO_LARGE past max_bytes, NOT_FOUND when absent."""
        ...

    def head(self, key: str) -> ObjectInfo | None:
        """Describe one object, or None when it does not exist."""
        ...

    def put(
        self, key: str, data: bytes, content_type: str, metadata: dict[str, str] | None = None
    ) -> None:
        """Write one object whole: a reader sees the old one or the new one, never a part."""
        ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object under prefix, in key order."""
        ...

    def delete(self, *keys: str) -> None:
        """Remove objects; absent is fine."""
        ...
