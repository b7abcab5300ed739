"""What an operator sees when a service verb meets a fault: one line, its own exit status."""

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tasks.faults import Exit
from tests.integration.harness import (
    RedisServer,
    S3Endpoint,
    free_port,
    run_docflow,
    running_service,
)

pytestmark = pytest.mark.integration

# Never ask a cloud metadata service for credentials: tests talk to this machine only.
NO_METADATA = {"AWS_EC2_METADATA_DISABLED": "true"}
NO_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
VERBS = {
    "submit": ("submit", "seeds"),
    "sweep": ("sweep",),
    "reprocess": ("reprocess", "--all"),
    "status": ("status",),
}


@pytest.fixture(scope="module")
def good_env(shared_redis: RedisServer, s3: S3Endpoint, logs: Path) -> Iterator[dict[str, str]]:
    """A deployment whose broker and buckets are all there (no worker needed)."""
    with running_service(s3, logs, name="op", shared_redis=shared_redis) as service:
        yield service.env | NO_METADATA


def faulty(env: dict[str, str], fault: str) -> dict[str, str]:
    """The deployment's environment with one fault in it."""
    if fault == "broker-down":
        return env | {"DOCFLOW_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"}
    if fault == "s3-down":
        return env | {"DOCFLOW_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    if fault == "no-scheme":
        return env | {"DOCFLOW_S3_ENDPOINT_URL": env["DOCFLOW_S3_ENDPOINT_URL"].split("//")[1]}
    if fault == "no-credentials":
        nowhere = {"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent"}
        return {k: v for k, v in env.items() if k not in NO_CREDENTIALS} | nowhere
    assert fault == "no-bucket"
    missing = f"docflow-missing-{uuid.uuid4().hex[:8]}"
    return env | {"DOCFLOW_INGEST_BUCKET": missing, "DOCFLOW_OUTPUT_BUCKET": missing}


def docflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_docflow(env, args, timeout=120, ok=False)


FAULTS = [
    ("broker-down", Exit.BROKER_UNREACHABLE, "cannot reach the broker at redis://127.0.0.1:"),
    ("s3-down", Exit.S3_UNREACHABLE, "cannot reach S3 at http://127.0.0.1:"),
    ("no-scheme", Exit.S3_ENDPOINT, "is not an http(s) URL"),
    ("no-credentials", Exit.S3_CREDENTIALS, "no S3 credentials for http"),
    ("no-bucket", Exit.S3_NO_BUCKET, "no bucket 'docflow-missing-"),
]


# Every verb meets every fault, but for submit, which never talks to the broker.
CASES = [
    pytest.param(verb, *fault, id=f"{verb}-{fault[0]}")
    for verb in sorted(VERBS)
    for fault in FAULTS
    if (verb, fault[0]) != ("submit", "broker-down")
]


@pytest.mark.parametrize(("verb", "fault", "status", "words"), CASES)
def test_operations_fault_is_one_line_and_its_own_exit_status(
    good_env: dict[str, str], verb: str, fault: str, status: Exit, words: str
) -> None:
    done = docflow(faulty(good_env, fault), *VERBS[verb])
    lines = done.stderr.strip().splitlines()
    assert done.returncode == status, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"docflow {verb}: "), lines[0]
    assert words in lines[0]


def test_operations_debug_shows_the_traceback(good_env: dict[str, str]) -> None:
    env = faulty(good_env, "no-bucket")
    for shown in (docflow(env, "--debug", "sweep"), docflow(env | {"DOCFLOW_DEBUG": "1"}, "sweep")):
        assert shown.returncode not in (0, Exit.S3_NO_BUCKET)
        assert "Traceback" in shown.stderr
        assert "NoSuchBucket" in shown.stderr or "404" in shown.stderr


def status_json(env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    done = docflow(env, "status", "--json")
    shown: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, shown


def test_operations_status_without_the_broker_still_counts_outputs(
    good_env: dict[str, str],
) -> None:
    status, shown = status_json(faulty(good_env, "broker-down"))
    assert status == Exit.BROKER_UNREACHABLE
    assert shown["queues"] is None and shown["workers"] is None
    assert (shown["enriched"], shown["failed"], shown["failures_by_code"]) == (0, 0, {})
    assert set(shown["errors"]) == {"broker"}
    assert "cannot reach the broker" in shown["errors"]["broker"]


def test_operations_status_without_s3_still_shows_the_queues(good_env: dict[str, str]) -> None:
    status, shown = status_json(faulty(good_env, "s3-down"))
    assert status == Exit.S3_UNREACHABLE
    assert set(shown["queues"]) == {
        "docflow.ingest",
        "docflow.process",
        good_env["DOCFLOW_EVENTS_KEY"],
    }
    assert all(set(q) == {"waiting", "in_flight"} for q in shown["queues"].values())
    assert shown["enriched"] is None and shown["recent_failures"] is None
    assert set(shown["errors"]) == {"s3"}
