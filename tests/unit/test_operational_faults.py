"""Each operational fault a service verb meets is one line with its own exit status."""

import pytest
import redis
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from kombu.exceptions import OperationalError

from tasks.faults import Exit, FaultError, check_endpoint, explain
from workers.errors import Code, DocflowError, TransientError
from workers.settings import Settings

SETTINGS = Settings(
    broker_url="redis://u:pw@127.0.0.1:6390/0", s3_endpoint_url="http://127.0.0.1:9"
)


def client_error(code: str, bucket: str | None = None) -> ClientError:
    error = {"Code": code, "Message": "no"} | ({"BucketName": bucket} if bucket else {})
    return ClientError({"Error": error}, "ListObjectsV2")  # type: ignore[arg-type]


def storage(cause: BaseException) -> DocflowError:
    """A STORAGE error raised from cause, as workers.s3 raises it."""
    try:
        raise TransientError("s3://b/k: failed", "store") from cause
    except DocflowError as error:
        return error


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (redis.ConnectionError("refused"), Exit.BROKER_UNREACHABLE, "redis://u:**@127.0.0.1"),
        (OperationalError("gone"), Exit.BROKER_UNREACHABLE, "DOCFLOW_BROKER_URL"),
        (redis.TimeoutError("slow"), Exit.BROKER_UNREACHABLE, "check that Redis runs there"),
        (NoCredentialsError(), Exit.S3_CREDENTIALS, "set AWS_ACCESS_KEY_ID"),
        (
            storage(EndpointConnectionError(endpoint_url="http://127.0.0.1:9")),
            Exit.S3_UNREACHABLE,
            "cannot reach S3 at http://127.0.0.1:9",
        ),
        (storage(client_error("NoSuchBucket", "docflow-x")), Exit.S3_NO_BUCKET, "'docflow-x'"),
        (storage(client_error("InvalidAccessKeyId")), Exit.S3_CREDENTIALS, "refused access"),
        (storage(client_error("SignatureDoesNotMatch")), Exit.S3_CREDENTIALS, "bucket's policy"),
    ],
    ids=[
        "redis",
        "kombu",
        "redis-timeout",
        "no-credentials",
        "no-endpoint",
        "no-bucket",
        "bad-key",
        "bad-secret",
    ],
)
def test_faults_explain_names_cause_place_and_what_to_check(
    error: BaseException, status: Exit, words: str
) -> None:
    fault = explain(error, SETTINGS)
    assert fault is not None
    assert fault.status is status
    assert words in fault.line
    assert "\n" not in fault.line
    assert ":pw@" not in fault.line


@pytest.mark.parametrize(
    "error",
    [ValueError("a bug"), DocflowError(Code.INTERNAL, "a bug", "tag"), storage(KeyError("x"))],
    ids=["value-error", "internal", "storage-from-a-bug"],
)
def test_faults_explain_leaves_bugs_alone(error: BaseException) -> None:
    assert explain(error, SETTINGS) is None


def test_faults_explain_names_the_bucket_a_head_was_for() -> None:
    fault = explain(client_error("404"), SETTINGS, "docflow-in")
    assert fault is not None and fault.status is Exit.S3_NO_BUCKET
    assert "'docflow-in'" in fault.line


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("127.0.0.1:9000", True),
        ("minio:9000", True),
        ("ftp://minio:9000", True),
        ("http://", True),
        ("http://127.0.0.1:9000", False),
        ("https://s3.example.org", False),
        (None, False),
    ],
)
def test_faults_check_endpoint_wants_an_http_url(url: str | None, refused: bool) -> None:
    settings = Settings(s3_endpoint_url=url)
    if refused:
        with pytest.raises(FaultError, match="is not an http\\(s\\) URL") as raised:
            check_endpoint(settings)
        assert raised.value.status is Exit.S3_ENDPOINT
    else:
        check_endpoint(settings)


def test_faults_exit_statuses_are_distinct_from_run_and_usage() -> None:
    statuses = [int(status) for status in Exit]
    assert len(set(statuses)) == len(statuses)
    assert not {0, 1, 2} & set(statuses)
