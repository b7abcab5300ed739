from collections.abc import Callable, Iterator

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from workers.errors import Code, DocflowError, TransientError
from workers.s3 import S3Store

BUCKET = "docflow-test"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Store]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield S3Store(BUCKET, client)


def test_s3_list_pages_in_key_order(store: S3Store) -> None:
    keys = [f"p/{i:04d}" for i in range(1005)] + ["q/other"]
    for key in reversed(keys):
        store.put(key, b"x", "text/plain")
    assert [info.key for info in store.list("p/")] == keys[:-1]
    store.delete("q/other")
    assert [info.key for info in store.list("q/")] == []


def test_s3_delete_many_in_requests_of_a_thousand(store: S3Store) -> None:
    keys = [f"d/{i:04d}" for i in range(1005)]
    for key in keys:
        store.put(key, b"x", "text/plain")
    store.put("keep", b"x", "text/plain")
    requests: list[str] = []
    store.client.meta.events.register(
        "before-call.s3.*", lambda model, **_: requests.append(model.name)
    )
    store.delete(*keys, "d/absent")
    store.delete()  # nothing to delete sends nothing
    assert requests == ["DeleteObjects", "DeleteObjects"]
    assert [info.key for info in store.list()] == ["keep"]


def test_s3_delete_many_names_what_it_could_not_delete(store: S3Store) -> None:
    def refuse(parsed: dict[str, object], **_: object) -> None:
        parsed["Errors"] = [{"Key": "b", "Code": "AccessDenied", "Message": "Access Denied"}]

    store.client.meta.events.register("after-call.s3.DeleteObjects", refuse)
    with pytest.raises(DocflowError) as caught:
        store.delete("a", "b")
    assert isinstance(caught.value, TransientError) and caught.value.code == Code.STORAGE
    assert "1 of 2 objects not deleted, first 'b': AccessDenied" in caught.value.message


@pytest.mark.parametrize(
    "action",
    [
        lambda s: s.head("k"),
        lambda s: s.get("k", 10),
        lambda s: s.put("k", b"x", "text/plain"),
        lambda s: list(s.list()),
        lambda s: s.delete("k"),
        lambda s: s.delete("k", "l"),
    ],
    ids=["head", "get", "put", "list", "delete", "delete-many"],
)
def test_s3_unreachable_endpoint_is_transient(action: Callable[[S3Store], object]) -> None:
    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(DocflowError) as caught:
        action(S3Store(BUCKET, client))
    assert caught.value.code == Code.STORAGE
    assert isinstance(caught.value, TransientError)


def test_s3_missing_bucket_is_transient(store: S3Store) -> None:
    with pytest.raises(DocflowError) as caught:
        S3Store("no-such-bucket", store.client).put("k", b"x", "text/plain")
    assert isinstance(caught.value, TransientError) and caught.value.code == Code.STORAGE
