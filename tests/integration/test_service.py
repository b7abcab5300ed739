"""The service end to end: files in the ingest bucket become enriched JSON in the output bucket."""

import json
import os
import re
import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests

from tasks.deliveries import counter_key
from tests.conftest import ROOT, SEEDS, check_enriched
from tests.events import access_event
from tests.integration.harness import CELERY, DOCFLOW, FLOWER_LOGIN, Service, wait_for
from workers.render import validate

pytestmark = pytest.mark.integration

SEED = SEEDS / "000_3f1d083b70fe61c9.txt"
# What may differ between `docflow run` and the service for the same bytes.
RUN_ONLY = ("processed_at", "timings_ms")


def files(root: Path, prefix: str, names: dict[str, bytes]) -> Path:
    """Write name -> bytes under root/prefix; root is what `docflow submit` takes."""
    for name, data in names.items():
        path = root / prefix / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def submit_and_notify(stack: Service, root: Path, keys: list[str]) -> None:
    """Upload a folder with the CLI, then push an event per key, as MinIO would."""
    stack.docflow("submit", str(root))
    for key in keys:
        stack.notify(key)


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """The document without what legitimately differs from run to run and store to store."""
    pipeline = {k: v for k, v in document["pipeline"].items() if k not in RUN_ONLY}
    return document | {"pipeline": pipeline, "source": {"key": document["source"]["key"]}}


def test_service_event_gives_the_same_document_as_run(
    stack: Service, prefix: str, tmp_path: Path
) -> None:
    key = f"{prefix}{SEED.name}"
    root = files(tmp_path / "in", prefix, {SEED.name: SEED.read_bytes()})
    submit_and_notify(stack, root, [key])
    served = stack.wait_output("enriched", key)
    check_enriched(served)
    head = stack.s3.head_object(Bucket=stack.ingest_bucket, Key=key)
    assert served["source"] == {
        "key": key,
        "bucket": stack.ingest_bucket,
        "etag": head["ETag"].strip('"'),
        "size": SEED.stat().st_size,
        "content_type": "text/plain",
        "last_modified": served["source"]["last_modified"],
    }
    subprocess.run(
        [*DOCFLOW, "run", str(root), "--out", str(tmp_path / "out")],
        cwd=ROOT,
        env=stack.env,
        check=True,
        capture_output=True,
    )
    local = json.loads((tmp_path / "out" / "enriched" / f"{key}.json").read_text())
    assert comparable(served) == comparable(local)


def test_service_duplicate_event_does_no_second_processing(
    stack: Service, prefix: str, tmp_path: Path
) -> None:
    key = f"{prefix}article.txt"
    submit_and_notify(stack, files(tmp_path, prefix, {"article.txt": SEED.read_bytes()}), [key])
    first = stack.wait_output("enriched", key)
    made = stack.s3.head_object(Bucket=stack.output_bucket, Key=f"enriched/{key}.json")
    stack.notify(key)
    wait_for(
        "the duplicate to be skipped",
        lambda: stack.worker.count(f"ingest {key}: output is current"),
    )
    assert stack.processed(key) == 1
    assert stack.wait_output("enriched", key) == first
    again = stack.s3.head_object(Bucket=stack.output_bucket, Key=f"enriched/{key}.json")
    assert again["ETag"] == made["ETag"]


def test_service_sweep_finds_an_object_nobody_announced(stack: Service, prefix: str) -> None:
    key = f"{prefix}silent.txt"
    stack.s3.put_object(Bucket=stack.ingest_bucket, Key=key, Body=SEED.read_bytes())
    swept = stack.docflow("sweep")
    assert "sweep queued" in swept.stderr
    check_enriched(stack.wait_output("enriched", key))
    assert stack.processed(key) == 1


def test_service_beat_sweeps_on_its_schedule(stack: Service, prefix: str, tmp_path: Path) -> None:
    key = f"{prefix}scheduled.txt"
    stack.s3.put_object(Bucket=stack.ingest_bucket, Key=key, Body=SEED.read_bytes())
    schedule = tmp_path / "celerybeat-schedule"
    beat = stack.start(
        "beat",
        [*CELERY, "beat", "--schedule", str(schedule), "--loglevel", "INFO"],
        DOCFLOW_SWEEP_INTERVAL="1",
    )
    try:
        check_enriched(stack.wait_output("enriched", key))
    finally:
        beat.stop()
    assert beat.count(r"Sending due task sweep \(docflow.sweep\)") >= 1


def test_service_killed_worker_child_redelivers_and_completes(stack: Service, prefix: str) -> None:
    key = f"{prefix}interrupted.txt"
    # Long enough to be mid-document when killed.
    body = "\n\n".join([SEED.read_text()] * 10).encode()
    stack.s3.put_object(Bucket=stack.ingest_bucket, Key=key, Body=body)
    stack.notify(key)
    etag = stack.s3.head_object(Bucket=stack.ingest_bucket, Key=key)["ETag"].strip('"')
    # The delivery counter exists exactly while a process task works on this version.
    wait_for("the process task to start", lambda: stack.redis.exists(counter_key(key, etag)))
    for child in stack.worker.children():
        os.kill(child, signal.SIGKILL)
    check_enriched(stack.wait_output("enriched", key))
    assert stack.worker.count(rf"{re.escape(key)}: 1 earlier deliveries never finished") == 1
    assert stack.processed(key) == 1


def test_service_reprocess_prefix_regenerates_exactly_the_selection(
    stack: Service, prefix: str, tmp_path: Path
) -> None:
    names = {"redo/a.txt": SEED.read_bytes(), "redo/b.txt": SEED.read_bytes(), "keep/c.txt": b""}
    keys = [f"{prefix}{name}" for name in names]
    submit_and_notify(stack, files(tmp_path, prefix, names), keys)
    for key in keys[:2]:
        stack.wait_output("enriched", key)
    stack.wait_output("failed", keys[2])
    done = stack.docflow("reprocess", "--prefix", f"{prefix}redo/", "--force")
    assert "reprocess queued 2 inputs" in done.stderr
    for key in keys[:2]:
        wait_for(f"{key} processed again", lambda key=key: stack.processed(key) == 2)
        check_enriched(stack.wait_output("enriched", key))
    assert stack.processed(keys[2]) == 1


def test_service_bad_file_fails_and_the_next_succeeds(
    stack: Service, prefix: str, tmp_path: Path
) -> None:
    names = {"bad.txt": b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "good.txt": SEED.read_bytes()}
    keys = [f"{prefix}{name}" for name in names]
    submit_and_notify(stack, files(tmp_path, prefix, names), keys)
    record = stack.wait_output("failed", keys[0])
    validate(record, "failure.v1.json")
    assert record["error"]["code"] == "UNSUPPORTED_TYPE"
    assert record["source"]["key"] == keys[0]
    check_enriched(stack.wait_output("enriched", keys[1]))


def test_service_poison_document_ends_as_worker_lost(
    stack: Service, prefix: str, tmp_path: Path
) -> None:
    key = f"{prefix}poison.txt"
    stack.s3.put_object(Bucket=stack.ingest_bucket, Key=key, Body=SEED.read_bytes())
    etag = stack.s3.head_object(Bucket=stack.ingest_bucket, Key=key)["ETag"].strip('"')
    # As if three deliveries had each killed their worker: counted, never finished.
    stack.redis.set(counter_key(key, etag), 3)
    stack.docflow("reprocess", "--key", key)
    record = stack.wait_output("failed", key)
    validate(record, "failure.v1.json")
    assert record["error"]["code"] == "WORKER_LOST"
    assert record["attempts"] == 3
    assert not stack.redis.exists(counter_key(key, etag))


def test_service_bridge_resends_what_it_took_before_dying(stack: Service, prefix: str) -> None:
    key = f"{prefix}taken.txt"
    stack.s3.put_object(Bucket=stack.ingest_bucket, Key=key, Body=SEED.read_bytes())
    # Where a bridge named "crashed" had moved the event when it died, before enqueueing.
    pending = f"{stack.env['DOCFLOW_EVENTS_KEY']}:processing:crashed"
    stack.redis.rpush(pending, access_event(stack.ingest_bucket, key))
    bridge = stack.start("bridge-crashed", [*DOCFLOW, "events", "--name", "crashed"])
    try:
        check_enriched(stack.wait_output("enriched", key))
        wait_for("the pending list to empty", lambda: stack.redis.llen(pending) == 0)
    finally:
        bridge.stop()
    assert bridge.count("recovered 1 events") == 1


def test_service_ignores_events_it_should(stack: Service, prefix: str) -> None:
    key = f"{prefix}ignored.txt"
    events = stack.env["DOCFLOW_EVENTS_KEY"]
    for raw in (
        access_event(stack.ingest_bucket, key, name="s3:ObjectRemoved:Delete"),
        access_event(stack.ingest_bucket, f"enriched/{key}.json"),
        access_event("another-bucket", key),
        b"not json",
    ):
        stack.redis.rpush(events, raw)
    wait_for("the bridge to reach the last", lambda: stack.bridge.count("dropping b'not json'"))
    assert stack.bridge.count(rf"{re.escape(key)}(\.json)?: ignored$") == 3
    assert stack.worker.count(re.escape(key)) == 0


def test_service_status_counts_what_is_in_the_bucket(stack: Service, prefix: str) -> None:
    keys = {"counted.txt": SEED.read_bytes(), "refused.txt": b"\x89PNG\r\n\x1a\n" + bytes(256)}
    for name, body in keys.items():
        stack.s3.put_object(Bucket=stack.ingest_bucket, Key=f"{prefix}{name}", Body=body)
        stack.notify(f"{prefix}{name}")
    stack.wait_output("enriched", f"{prefix}counted.txt")
    record = stack.wait_output("failed", f"{prefix}refused.txt")
    done = stack.docflow("status", "--json", "--failed", "1000")
    shown = json.loads(done.stdout)
    listed = {
        kind: [
            item["Key"]
            for page in stack.s3.get_paginator("list_objects_v2").paginate(
                Bucket=stack.output_bucket, Prefix=f"{kind}/"
            )
            for item in page.get("Contents", [])
        ]
        for kind in ("enriched", "failed")
    }
    assert shown["enriched"] == len(listed["enriched"]) > 0
    assert shown["failed"] == len(listed["failed"]) > 0
    codes = Counter(
        json.loads(stack.s3.get_object(Bucket=stack.output_bucket, Key=key)["Body"].read())[
            "error"
        ]["code"]
        for key in listed["failed"]
    )
    assert shown["failures_by_code"] == dict(codes)
    recent = {failure["key"]: failure for failure in shown["recent_failures"]}
    assert len(recent) == len(listed["failed"])
    assert recent[f"{prefix}refused.txt"] == {
        "key": f"{prefix}refused.txt",
        "code": "UNSUPPORTED_TYPE",
        "message": record["error"]["message"],
        "failed_at": record["failed_at"],
    }
    latest = [f["failed_at"] for f in shown["recent_failures"]]
    assert latest == sorted(latest, reverse=True)
    assert set(shown["queues"]) == {
        "docflow.ingest",
        "docflow.process",
        stack.env["DOCFLOW_EVENTS_KEY"],
    }
    assert all(set(q) == {"waiting", "in_flight"} for q in shown["queues"].values())
    assert [(w["name"].split("@")[0], w["concurrency"]) for w in shown["workers"]] == [
        (stack.worker.name, 1)
    ]
    assert (shown["errors"], shown["exit_status"], done.stderr) == ({}, 0, "")
    table = stack.docflow("status", "--failed", "1").stdout
    assert "UNSUPPORTED_TYPE" in table and "concurrency 1" in table


def test_service_flower_lists_worker_and_tasks_behind_a_login(stack: Service, prefix: str) -> None:
    key = f"{prefix}watched.txt"
    stack.s3.put_object(Bucket=stack.ingest_bucket, Key=key, Body=SEED.read_bytes())
    api = stack.flower_url + "/api"
    assert requests.get(api + "/workers", timeout=10).status_code == 401
    assert requests.get(api + "/tasks", timeout=10).status_code == 401
    apply = api + "/task/async-apply/docflow.reprocess"
    assert requests.post(apply, json={"kwargs": {"key": key}}, timeout=10).status_code == 401
    started = requests.post(apply, json={"kwargs": {"key": key}}, auth=FLOWER_LOGIN, timeout=10)
    assert started.status_code == 200, started.text
    check_enriched(stack.wait_output("enriched", key))

    def workers() -> list[str]:
        online = requests.get(api + "/workers?refresh=1", auth=FLOWER_LOGIN, timeout=30).json()
        return [name.split("@")[0] for name in online]

    assert wait_for("flower to list the worker", workers) == [stack.worker.name]

    def names() -> set[str]:
        tasks = requests.get(api + "/tasks", auth=FLOWER_LOGIN, timeout=10).json()
        return {t["name"] for t in tasks.values() if key in f"{t.get('args')}{t.get('kwargs')}"}

    wait_for(
        "flower to list the tasks", lambda: names() >= {"docflow.reprocess", "docflow.process"}
    )


def flower_tasks(stack: Service, key: str) -> dict[str, dict[str, Any]]:
    """Flower's view of every task whose arguments name key, by task name."""
    tasks = requests.get(stack.flower_url + "/api/tasks", auth=FLOWER_LOGIN, timeout=10).json()
    return {t["name"]: t for t in tasks.values() if key in f"{t.get('args')}{t.get('kwargs')}"}


def flower_state(stack: Service, key: str, name: str, state: str) -> dict[str, Any]:
    """Wait until Flower shows the task name for key in a final state; that task."""

    def final() -> dict[str, Any] | None:
        task = flower_tasks(stack, key).get(name)
        return task if task and task["state"] in ("SUCCESS", "FAILURE") else None

    task = wait_for(f"flower to show {name} for {key} finished", final)
    assert task["state"] == state, task
    return task


@pytest.mark.parametrize(
    ("name", "body", "state", "shown"),
    [
        ("bad.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "FAILURE", "UNSUPPORTED_TYPE"),
        ("empty.txt", b"  \n\t\n", "FAILURE", "EMPTY"),
        ("good.txt", SEED.read_bytes(), "SUCCESS", "enriched"),
    ],
    ids=["unsupported", "empty", "good"],  # the test's name is part of the key
)
def test_service_flower_shows_a_document_task_as_its_outcome(
    stack: Service, prefix: str, name: str, body: bytes, state: str, shown: str
) -> None:
    key = f"{prefix}{name}"
    stack.s3.put_object(Bucket=stack.ingest_bucket, Key=key, Body=body)
    stack.notify(key)
    task = flower_state(stack, key, "docflow.process", state)
    assert key in task["args"]
    assert shown in (task["exception"] if state == "FAILURE" else task["result"])
    # The record is the outcome: a failure is neither retried nor redelivered.
    assert stack.processed(key) == 1
    assert task["retries"] == 0
    if state == "FAILURE":
        assert key in task["exception"]
        record = stack.wait_output("failed", key)
        assert record["error"]["message"] in task["exception"]
        assert stack.worker.count(rf"docflow.process\[{task['uuid']}\] raised expected") == 1


def test_service_flower_shows_a_batch_with_a_failed_document_as_failure(
    stack: Service, prefix: str, tmp_path: Path
) -> None:
    names = {"a.txt": SEED.read_bytes(), "b.pdf": b"%PDF-1.7\n" + bytes(range(256))}
    keys = [f"{prefix}{name}" for name in names]
    stack.docflow("submit", str(files(tmp_path, prefix, names)))
    stack.docflow("reprocess", "--prefix", prefix)
    task = flower_state(stack, keys[1], "docflow.process_batch", "FAILURE")
    assert all(key in task["args"] for key in keys)
    assert f"{keys[0]}: enriched" in task["exception"]
    assert f"{keys[1]}: failed UNSUPPORTED_TYPE" in task["exception"]
    assert "1 of 2 failed" in task["exception"]
    assert [stack.processed(key) for key in keys] == [1, 1]


def test_service_reprocess_says_what_it_queued_skipped_and_did_not_find(
    stack: Service, prefix: str
) -> None:
    key = f"{prefix}current.txt"
    stack.s3.put_object(Bucket=stack.ingest_bucket, Key=key, Body=SEED.read_bytes())
    stack.notify(key)
    stack.wait_output("enriched", key)
    again = stack.docflow("reprocess", "--key", key).stderr
    assert "queued 0 inputs, skipped 1 as current (--force redoes them), 0 not found" in again
    gone = stack.docflow("reprocess", "--key", f"{prefix}gone.txt").stderr
    assert (
        f"queued 0 inputs, skipped 0 as current, 1 not found in s3://{stack.ingest_bucket}" in gone
    )
    forced = stack.docflow("reprocess", "--key", key, "--force").stderr
    assert "queued 1 inputs, skipped 0 as current, 0 not found" in forced
    wait_for(f"{key} processed again", lambda: stack.processed(key) == 2)


def test_service_flower_reprocess_with_an_unknown_argument_fails_naming_it(
    stack: Service, prefix: str
) -> None:
    apply = stack.flower_url + "/api/task/async-apply/docflow.reprocess"
    started = requests.post(
        apply, json={"kwargs": {"prefx": prefix}}, auth=FLOWER_LOGIN, timeout=10
    )
    assert started.status_code == 200, started.text
    task = flower_state(stack, prefix, "docflow.reprocess", "FAILURE")
    assert "unknown argument 'prefx'; it takes key, prefix" in task["exception"]
