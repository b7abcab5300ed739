"""S3 (or MinIO) as a Store: whole-object reads and writes through boto3."""

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from workers.errors import Code, DocflowError, TransientError
from workers.settings import Settings
from workers.store import ObjectInfo

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import (
        DeleteTypeDef,
        GetObjectOutputTypeDef,
        HeadObjectOutputTypeDef,
    )

    Described = HeadObjectOutputTypeDef | GetObjectOutputTypeDef
else:
    S3Client = Described = DeleteTypeDef = Any

log = logging.getLogger(__name__)

T = TypeVar("T")

# Codes S3 and MinIO use for "no such object"; a HEAD has no body, so only the status.
_ABSENT = frozenset({"404", "NoSuchKey", "NotFound"})
_DELETE_MAX = 1000  # keys one DeleteObjects request may name


def s3_client(settings: Settings) -> S3Client:
    """The process's S3 client for these settings, made on first use."""
    # Keyed by pid as well: a prefork worker child must not reuse its parent's sockets.
    return _client(settings, os.getpid())


@lru_cache(maxsize=4)
def _client(settings: Settings, pid: int) -> S3Client:
    config = Config(
        # MinIO (any custom endpoint) serves buckets by path, not as DNS subdomains.
        s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
        # botocore's "standard" mode retries throttling, 5xx and dropped connections with
        # backoff; a few tries ride out a blip, a longer outage becomes a Celery retry.
        retries={"mode": "standard", "max_attempts": 4},
        # Four tries of a hung server must fit well inside the task's soft time limit, so a
        # stall ends as a Celery retry (and at worst STORAGE), not a TIMEOUT.
        connect_timeout=5,
        read_timeout=20,
    )
    log.debug("new S3 client for %s in process %s", settings.s3_endpoint_url or "AWS", pid)
    client: S3Client = boto3.session.Session().client(
        "s3", endpoint_url=settings.s3_endpoint_url, config=config
    )
    return client


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _etag(raw: str) -> str:
    # S3 quotes ETags in headers and listings; events and our metadata carry them bare.
    return raw.strip('"')


def _is_absent(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _ABSENT


class S3Store:
    """One bucket as a Store; every failure to reach it is a transient STORAGE error."""

    def __init__(self, bucket: str, client: S3Client) -> None:
        self._bucket = bucket
        self.client = client

    @property
    def bucket(self) -> str | None:
        """The bucket name."""
        return self._bucket

    def _call(self, stage: str, key: str, action: Callable[[], T]) -> T:
        try:
            return action()
        except (ClientError, BotoCoreError) as exc:
            if isinstance(exc, ClientError) and _is_absent(exc):
                raise DocflowError(Code.NOT_FOUND, f"no object {key!r}", stage) from exc
            raise TransientError(f"s3://{self._bucket}/{key}: {exc}", stage) from exc

    def head(self, key: str) -> ObjectInfo | None:
        """Describe one object from a HEAD, or None when there is none."""
        try:
            reply = self._call(
                "store", key, lambda: self.client.head_object(Bucket=self._bucket, Key=key)
            )
        except DocflowError as error:
            if error.code is Code.NOT_FOUND:
                return None
            raise
        return self._info(key, reply)

    def get(self, key: str, max_bytes: int) -> tuple[bytes, ObjectInfo]:
        """Read one object whole, refusing one over max_bytes before downloading its body."""
        reply = self._call(
            "read", key, lambda: self.client.get_object(Bucket=self._bucket, Key=key)
        )
        body = reply["Body"]
        try:
            # The headers arrive before the body: an oversized object is refused unread.
            _check_size(reply["ContentLength"], max_bytes)
            data = self._call("read", key, lambda: body.read(max_bytes + 1))
        finally:
            body.close()
        _check_size(len(data), max_bytes)
        return data, self._info(key, reply)

    def put(
        self, key: str, data: bytes, content_type: str, metadata: dict[str, str] | None = None
    ) -> None:
        """One PutObject: S3 makes it visible whole or not at all."""
        self._call(
            "write",
            key,
            lambda: self.client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                Metadata=metadata or {},
            ),
        )

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object under prefix in key order, a page of listing at a time."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        iterator = iter(pages)
        while page := self._call("store", prefix, lambda: next(iterator, None)):
            for item in page.get("Contents", []):
                yield ObjectInfo(
                    key=item["Key"],
                    etag=_etag(item["ETag"]),
                    size=item["Size"],
                    last_modified=_iso(item["LastModified"]),
                )

    def delete(self, *keys: str) -> None:
        """Remove objects, up to 1,000 to a request; S3 counts an absent key as deleted."""
        if len(keys) == 1:
            (key,) = keys
            self._call(
                "store", key, lambda: self.client.delete_object(Bucket=self._bucket, Key=key)
            )
            return
        for start in range(0, len(keys), _DELETE_MAX):
            self._delete_many(keys[start : start + _DELETE_MAX])

    def _delete_many(self, keys: Sequence[str]) -> None:
        request: DeleteTypeDef = {"Objects": [{"Key": key} for key in keys], "Quiet": True}
        reply = self._call(
            "store",
            keys[0],
            lambda: self.client.delete_objects(Bucket=self._bucket, Delete=request),
        )
        # A multi-object delete answers 200 and lists, per key, what it could not remove.
        if errors := reply.get("Errors"):
            first = errors[0]
            why = f"{first.get('Key')!r}: {first.get('Code')} {first.get('Message')}"
            message = f"{len(errors)} of {len(keys)} objects not deleted, first {why}"
            raise TransientError(f"s3://{self._bucket}: {message}", "store")

    def _info(self, key: str, reply: "Described") -> ObjectInfo:
        return ObjectInfo(
            key=key,
            etag=_etag(reply["ETag"]),
            size=reply["ContentLength"],
            last_modified=_iso(reply["LastModified"]),
            content_type=reply.get("ContentType"),
            metadata=dict(reply.get("Metadata", {})),
        )


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise DocflowError(Code.TOO_LARGE, f"{size} bytes is over the {max_bytes} byte cap", "read")


def s3_store(bucket: str, settings: Settings) -> S3Store:
    """A Store for one bucket through this process's client."""
    return S3Store(bucket, s3_client(settings))
