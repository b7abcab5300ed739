"""MinIO bucket notifications as MinIO writes them, for the unit and integration tests."""

import json
from typing import Any
from urllib.parse import quote_plus


def s3_record(
    bucket: str,
    key: str,
    *,
    name: str = "s3:ObjectCreated:Put",
    etag: str | None = "d41d8cd98f00b204e9800998ecf8427e",
    size: int | None = 1,
) -> dict[str, Any]:
    """One S3 event record; MinIO leaves out eTag and size when they are empty."""
    obj: dict[str, Any] = {"key": quote_plus(key), "sequencer": "1806F4E9D9C1C2A0"}
    if etag:
        obj |= {"eTag": etag, "contentType": "text/plain", "userMetadata": {}}
    if size:
        obj["size"] = size
    return {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "awsRegion": "",
        "eventTime": "2026-11-30T08:00:00.000Z",
        "eventName": name,
        "userIdentity": {"principalId": "docflow"},
        "requestParameters": {"principalId": "docflow", "region": "", "sourceIPAddress": "::1"},
        "responseElements": {"x-amz-request-id": "1806F4E9D9C1C2A0"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "Config",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "docflow"}, "arn": ""},
            "object": obj,
        },
        "source": {"host": "::1", "port": "", "userAgent": "MinIO (linux; amd64) minio-go/v7"},
    }


def access_event(bucket: str, key: str, **fields: Any) -> bytes:
    """The value MinIO's Redis target RPUSHes in the access format."""
    record = s3_record(bucket, key, **fields)
    return json.dumps([{"Event": [record], "EventTime": record["eventTime"]}]).encode()


def log_event(bucket: str, key: str, **fields: Any) -> bytes:
    """The same event in MinIO's log shape (webhook and namespace targets)."""
    record = s3_record(bucket, key, **fields)
    return json.dumps(
        {"EventName": record["eventName"], "Key": f"{bucket}/{key}", "Records": [record]}
    ).encode()
