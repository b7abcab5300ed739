import json
from collections.abc import Callable

import pytest

from tasks.events import MalformedEventError, ObjectEvent, parse, wanted
from tests.events import access_event, log_event
from workers.settings import Settings

SETTINGS = Settings(ingest_bucket="in", output_bucket="out")


@pytest.mark.parametrize("shape", [access_event, log_event], ids=["access", "log"])
@pytest.mark.parametrize(
    "key",
    [
        "plain.txt",
        "a folder/with spaces.txt",
        "c++ and 100%.html",
        "nested/deeper/x.xml",
        "unicodé/日本語.txt",
        "a+b=c&d?.txt",
    ],
)
def test_events_parse_unquotes_keys(shape: Callable[..., bytes], key: str) -> None:
    assert parse(shape("in", key)) == [
        ObjectEvent("s3:ObjectCreated:Put", "in", key, "d41d8cd98f00b204e9800998ecf8427e")
    ]


def test_events_parse_empty_object_has_no_etag() -> None:
    assert parse(access_event("in", "empty.txt", etag=None, size=None)) == [
        ObjectEvent("s3:ObjectCreated:Put", "in", "empty.txt", None)
    ]


def test_events_parse_keeps_every_record_of_a_value() -> None:
    raw = json.dumps(json.loads(access_event("in", "a")) + json.loads(access_event("in", "b")))
    assert [event.key for event in parse(raw)] == ["a", "b"]


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b"42",
        b"[1]",
        b'{"Key": "in/a"}',
        b'{"Records": [{"eventName": "s3:ObjectCreated:Put"}]}',
        b'{"Records": [{"eventName": "s3:ObjectCreated:Put", "s3": {"bucket": {}}}]}',
    ],
)
def test_events_parse_rejects_what_is_not_a_notification(raw: bytes) -> None:
    with pytest.raises(MalformedEventError):
        parse(raw)


@pytest.mark.parametrize(
    ("name", "bucket", "key", "expected"),
    [
        ("s3:ObjectCreated:Put", "in", "a.txt", True),
        ("s3:ObjectCreated:CompleteMultipartUpload", "in", "big.html", True),
        ("s3:ObjectCreated:Copy", "in", "dir/a.txt", True),
        ("ObjectCreated:Put", "in", "aws-style.txt", True),
        ("s3:ObjectRemoved:Delete", "in", "a.txt", False),
        ("s3:ObjectAccessed:Get", "in", "a.txt", False),
        ("s3:ObjectCreated:Put", "other", "a.txt", False),
        ("s3:ObjectCreated:Put", "in", "enriched/a.txt.json", False),
        ("s3:ObjectCreated:Put", "in", "failed/a.txt.json", False),
        ("s3:ObjectCreated:Put", "in", "not-enriched/a.txt", True),
    ],
)
def test_events_wanted_filters_kind_bucket_and_output_keys(
    name: str, bucket: str, key: str, expected: bool
) -> None:
    assert wanted(ObjectEvent(name, bucket, key, None), SETTINGS) is expected
