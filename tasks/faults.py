"""The operational faults a service verb meets, each as one line: cause, where, what to check."""

from collections.abc import Iterator
from enum import IntEnum
from urllib.parse import urlsplit

import redis
from botocore.exceptions import (
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as S3ConnectionError,
)
from kombu.exceptions import OperationalError
from kombu.utils.url import maybe_sanitize_url

from tasks.broker import redis_client
from workers.s3 import s3_client
from workers.settings import Settings

# What S3 and MinIO answer for a bucket that is not there, and for credentials they refuse
# (a HEAD has no body, so only its status).
_NO_BUCKET = frozenset({"NoSuchBucket", "404"})
_REFUSED = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "InvalidToken"}
)


class Exit(IntEnum):
    """The exit status of each fault, distinct so a script can tell them apart."""

    BROKER_UNREACHABLE = 3
    S3_UNREACHABLE = 4
    S3_CREDENTIALS = 5
    S3_NO_BUCKET = 6
    S3_ENDPOINT = 7


class FaultError(Exception):
    """An expected operational fault, said in one line, with its exit status."""

    def __init__(self, status: Exit, line: str) -> None:
        super().__init__(line)
        self.status = status
        self.line = line


def s3_where(settings: Settings) -> str:
    """The S3 endpoint in words: its URL, or AWS's own."""
    return settings.s3_endpoint_url or "AWS S3 (no DOCFLOW_S3_ENDPOINT_URL)"


def broker_where(settings: Settings) -> str:
    """The broker URL without its password."""
    return str(maybe_sanitize_url(settings.broker_url))


def explain(error: BaseException, settings: Settings, bucket: str = "") -> FaultError | None:
    """The fault behind an exception (or anything it was raised from); None for any other."""
    for cause in _chain(error):
        fault = _fault(cause, settings, bucket)
        if fault is not None:
            return fault
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _fault(error: BaseException, settings: Settings, bucket: str) -> FaultError | None:
    s3 = s3_where(settings)
    if isinstance(error, FaultError):
        return error
    if isinstance(error, redis.ConnectionError | redis.TimeoutError | OperationalError):
        return FaultError(
            Exit.BROKER_UNREACHABLE,
            f"cannot reach the broker at {broker_where(settings)} ({error}): "
            "check that Redis runs there and DOCFLOW_BROKER_URL",
        )
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return FaultError(
            Exit.S3_CREDENTIALS,
            f"no S3 credentials for {s3} ({error}): set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)",
        )
    if isinstance(error, S3ConnectionError):
        return FaultError(
            Exit.S3_UNREACHABLE,
            f"cannot reach S3 at {s3} ({error}): check DOCFLOW_S3_ENDPOINT_URL and that the "
            "server is up",
        )
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code"))
        name = details.get("BucketName") or bucket or "?"
        if code in _NO_BUCKET:
            return FaultError(
                Exit.S3_NO_BUCKET,
                f"no bucket {name!r} at {s3}: create it, or check DOCFLOW_INGEST_BUCKET and "
                "DOCFLOW_OUTPUT_BUCKET",
            )
        if code in _REFUSED:
            return FaultError(
                Exit.S3_CREDENTIALS,
                f"S3 at {s3} refused access to bucket {name!r} ({code}): check "
                "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's policy",
            )
    return None


def check_endpoint(settings: Settings) -> None:
    """Refuse an S3 endpoint that is not an http(s) URL, before boto3 says it less clearly."""
    url = settings.s3_endpoint_url
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        raise FaultError(
            Exit.S3_ENDPOINT,
            f"DOCFLOW_S3_ENDPOINT_URL={url!r} is not an http(s) URL: give the scheme and "
            "host, e.g. http://127.0.0.1:9000",
        )


def check_s3(settings: Settings, *buckets: str) -> None:
    """Raise the fault, if any, that keeps each bucket out of reach; one request a bucket."""
    check_endpoint(settings)
    client = s3_client(settings)
    for bucket in buckets:
        try:
            client.head_bucket(Bucket=bucket)
        except Exception as error:
            fault = explain(error, settings, bucket)
            if fault is None:
                raise
            raise fault from error


def check_broker(settings: Settings) -> None:
    """Raise the fault, if any, that keeps the broker out of reach."""
    try:
        redis_client(settings).ping()
    except redis.RedisError as error:
        fault = explain(error, settings)
        if fault is None:
            raise
        raise fault from error
