"""Faults done for real: killed workers, a restarted Redis, an S3 outage, a killed bridge.

Each test ends by checking every document it made: one output per input, valid against the
schema, and the same as an undisturbed run of the same bytes gives.
"""

import json
import os
import re
import signal
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from celery.exceptions import Reject

from tasks import service as service_module
from tasks.deliveries import counter_key
from tests.conftest import SEEDS, check_enriched
from tests.events import access_event
from tests.integration.harness import FLOWER_LOGIN, Service, comparable, wait_for
from workers.local import LocalStore
from workers.render import validate

pytestmark = pytest.mark.integration

SEED = (SEEDS / "000_3f1d083b70fe61c9.txt").read_bytes()
# About two seconds of NLP: long enough to be caught mid-document, well under the limits.
LONG = b"\n\n".join([SEED] * 10)
ARTICLES = {
    "news.txt": (SEEDS / "news_harbor_expansion.txt").read_bytes(),
    "brief.html": (SEEDS / "policy_brief.html").read_bytes(),
    "seed.txt": SEED,
}

CleanRun = Callable[[str, bytes], dict[str, Any]]
MakeService = Callable[..., Service]


def check_outputs(service: Service, inputs: dict[str, bytes], clean_run: CleanRun) -> None:
    """Exactly one output per input and no other, each valid and as a clean run makes it."""
    found = service.outputs()
    assert sorted(found) == sorted(inputs)
    for key, body in inputs.items():
        kind, document = service.sole_output(key)
        if kind == "enriched":
            check_enriched(document)
        else:
            validate(document, "failure.v1.json")
        assert document["source"]["key"] == key
        assert comparable(document) == comparable(clean_run(key, body)), key


def put_all(service: Service, inputs: dict[str, bytes]) -> None:
    for key, body in inputs.items():
        service.put(key, body)


def reprocess(service: Service, prefix: str) -> None:
    """Queue process for every input under prefix, in key order, with one command."""
    service.docflow("reprocess", "--prefix", prefix)


def in_flight(service: Service, key: str) -> None:
    """Wait until a process task is working on key (its delivery is being counted)."""
    etag = service.s3.head_object(Bucket=service.ingest_bucket, Key=key)["ETag"].strip('"')
    wait_for(f"{key} to be in flight", lambda: service.redis.exists(counter_key(key, etag)))


@pytest.mark.parametrize("batch_docs", ["1", "4"])
def test_faults_killed_worker_is_redelivered_and_completes_once(
    service: MakeService, clean_run: CleanRun, batch_docs: str
) -> None:
    svc = service(DOCFLOW_BATCH_DOCS=batch_docs)
    svc.start_worker()
    inputs = {"killed/long.txt": LONG, "killed/next.txt": ARTICLES["news.txt"]}
    put_all(svc, inputs)
    reprocess(svc, "killed/")
    if batch_docs == "1":
        in_flight(svc, "killed/long.txt")
        redelivered = r"killed/long.txt: 1 earlier deliveries never finished"
    else:
        counter = counter_key(service_module.batch_name(sorted(inputs)), "")
        wait_for("the batch to be in flight", lambda: svc.redis.exists(counter))
        # The redelivered batch sends each key on alone, in case one of them killed it.
        redelivered = r"batch of 2 from killed/long.txt: 1 earlier deliveries never finished"
    svc.kill_worker()
    assert svc.outputs() == {}
    # The message was never acknowledged: Redis hands it out again after the visibility
    # timeout, to whichever worker asks.
    svc.start_worker()
    svc.wait_outputs(list(inputs))
    check_outputs(svc, inputs, clean_run)
    assert svc.log_count(redelivered) == 1
    assert [svc.processed(key) for key in inputs] == [1, 1]


def test_faults_sigterm_finishes_the_document_in_flight(
    service: MakeService, clean_run: CleanRun
) -> None:
    svc = service()
    first = svc.start_worker()
    inputs = {f"term/{n}.txt": LONG + str(n).encode() for n in range(3)}
    put_all(svc, inputs)
    reprocess(svc, "term/")
    in_flight(svc, "term/0.txt")
    first.popen.send_signal(signal.SIGTERM)
    first.popen.wait(timeout=60)
    # Warm shutdown: the document in hand was finished, the rest went back to the queue.
    assert first.count(r"process term/0.txt: enriched$") == 1
    svc.start_worker()
    svc.wait_outputs(list(inputs))
    check_outputs(svc, inputs, clean_run)
    assert [svc.processed(key) for key in inputs] == [1, 1, 1]


@pytest.mark.parametrize(
    ("fsync", "signum"),
    [
        ("always", signal.SIGKILL),  # a crash: only an fsync per write keeps every task
        ("everysec", signal.SIGTERM),  # compose's setting, with a clean restart
    ],
)
def test_faults_redis_restart_keeps_the_queue(
    service: MakeService, clean_run: CleanRun, fsync: str, signum: int
) -> None:
    svc = service(fsync=fsync)
    svc.start_worker()
    inputs = {f"redis/{n}.txt": SEED + str(n).encode() for n in range(6)}
    put_all(svc, inputs)
    reprocess(svc, "redis/")
    in_flight(svc, "redis/0.txt")
    svc.redis_server.kill(signum)
    time.sleep(2)
    svc.redis_server.start()
    svc.wait_outputs(list(inputs), timeout=120)
    check_outputs(svc, inputs, clean_run)


def test_faults_s3_outage_is_retried_and_completes(
    service: MakeService, clean_run: CleanRun
) -> None:
    svc = service()
    svc.start_worker()
    svc.start_bridge()
    inputs = {f"outage/{name}": body for name, body in ARTICLES.items()}
    put_all(svc, inputs)
    svc.gate.down()
    for key in inputs:
        svc.notify(key)
    wait_for("a retry", lambda: svc.log_count(r"STORAGE.*; retry 1 of"))
    time.sleep(3)
    assert svc.outputs() == {}
    svc.gate.up()
    svc.wait_outputs(list(inputs))
    check_outputs(svc, inputs, clean_run)


def test_faults_s3_past_the_retry_budget_records_storage_then_reprocess_failed(
    service: MakeService, clean_run: CleanRun
) -> None:
    svc = service()
    svc.start_worker()
    svc.start_bridge()
    inputs = {f"budget/{name}": body for name, body in ARTICLES.items()}
    put_all(svc, inputs)
    # The ingest bucket answers 503 to everything; the output bucket still works.
    svc.gate.failing.add(svc.ingest_bucket)
    for key in inputs:
        svc.notify(key)
    svc.wait_outputs(list(inputs), timeout=180)
    for key in inputs:
        kind, record = svc.sole_output(key)
        assert kind == "failed"
        validate(record, "failure.v1.json")
        assert record["error"]["code"] == "STORAGE"
    # Ingest ran out of attempts too, and handed each over to process rather than drop it.
    assert svc.log_count(r"out of attempts, queueing process anyway") == len(inputs)
    svc.gate.failing.clear()
    assert "reprocess queued 3 inputs" in svc.docflow("reprocess", "--failed").stderr
    wait_for(
        "the failure records to go",
        lambda: all(kinds == ["enriched"] for kinds in svc.outputs().values()),
    )
    check_outputs(svc, inputs, clean_run)


def test_faults_bridge_killed_holding_an_event_sends_it_after_restart(
    service: MakeService, clean_run: CleanRun
) -> None:
    svc = service()
    svc.start_worker()
    bridge = svc.start_bridge("kill-me")
    key = "bridge/taken.txt"
    inputs = {key: ARTICLES["news.txt"]}
    put_all(svc, inputs)
    # One value with many records for another bucket before ours: handling it takes the
    # bridge long enough to be killed after taking it and before queueing our record.
    records = json.loads(access_event("elsewhere", "x.txt"))[0]["Event"] * 20_000
    ours = json.loads(access_event(svc.ingest_bucket, key))[0]["Event"]
    event = json.dumps([{"Event": records + ours, "EventTime": "2026-11-30T08:00:00Z"}])
    pending = f"{svc.env['DOCFLOW_EVENTS_KEY']}:processing:kill-me"
    svc.redis.rpush(svc.env["DOCFLOW_EVENTS_KEY"], event)
    wait_for("the bridge to take the event", lambda: svc.redis.llen(pending) == 1, 10)
    bridge.popen.send_signal(signal.SIGKILL)
    bridge.popen.wait(timeout=10)
    assert svc.redis.llen(pending) == 1
    assert bridge.count(re.escape(f"{svc.ingest_bucket}/{key}: queued ingest")) == 0
    again = svc.start_bridge("kill-me")
    svc.wait_outputs([key])
    check_outputs(svc, inputs, clean_run)
    assert again.count("recovered 1 events") == 1
    assert svc.redis.llen(pending) == 0


@pytest.mark.parametrize("batch_docs", ["1", "4"])
def test_faults_poison_document_that_kills_its_worker_ends_as_worker_lost(
    service: MakeService, clean_run: CleanRun, batch_docs: str
) -> None:
    svc = service(DOCFLOW_BATCH_DOCS=batch_docs)
    svc.start_worker()
    poison = "poison/a-killer.txt"
    behind = {f"poison/b-{name}": body for name, body in ARTICLES.items()}
    inputs = {poison: LONG, **behind}
    put_all(svc, inputs)
    etag = svc.s3.head_object(Bucket=svc.ingest_bucket, Key=poison)["ETag"].strip('"')
    counter = counter_key(poison, etag)
    # With batches, the poison first kills the batch it came in; then it goes on alone.
    batch = counter_key(service_module.batch_name(sorted(inputs)), "")
    stop = threading.Event()

    def oom_killer() -> None:
        # Whatever child holds the poison document dies, as the OOM killer would do it,
        # until the delivery cap is reached (the count then reads 4 and a record is written).
        killed = 0
        killed_batch = batch_docs == "1"
        while not stop.is_set():
            if not killed_batch and svc.redis.exists(batch):
                for child in svc.worker.children():
                    os.kill(child, signal.SIGKILL)
                killed_batch = True
            delivery = int(svc.redis.get(counter) or 0)
            if killed < delivery <= 3:
                # One child at a time, so the one alive now holds the poison document.
                for child in svc.worker.children():
                    os.kill(child, signal.SIGKILL)
                killed = delivery
            time.sleep(0.05)

    killer = threading.Thread(target=oom_killer, daemon=True)
    killer.start()
    try:
        reprocess(svc, "poison/")
        svc.wait_outputs(list(inputs), timeout=120)
    finally:
        stop.set()
        killer.join(timeout=40)
    kind, record = svc.sole_output(poison)
    assert kind == "failed"
    validate(record, "failure.v1.json")
    assert (record["error"]["code"], record["attempts"]) == ("WORKER_LOST", 3)
    for key, body in behind.items():
        _, document = svc.sole_output(key)
        check_enriched(document)
        assert comparable(document) == comparable(clean_run(key, body))
        assert svc.processed(key) == 1


def test_faults_hard_time_limit_is_redelivered_then_ends_as_worker_lost(
    service: MakeService, clean_run: CleanRun
) -> None:
    # No soft limit, as when it fires inside C code or a library swallows it: billiard
    # SIGKILLs the child at the hard limit on every delivery.
    svc = service(DOCFLOW_TASK_SOFT_TIME_LIMIT="0", DOCFLOW_TASK_TIME_LIMIT="4")
    svc.start_worker()
    poison = "hard/a-huge.txt"
    behind = {f"hard/b-{name}": body for name, body in ARTICLES.items()}
    inputs = {poison: b"\n\n".join([SEED] * 100), **behind}
    put_all(svc, inputs)
    reprocess(svc, "hard/")
    svc.wait_outputs(list(inputs), timeout=120)
    kind, record = svc.sole_output(poison)
    assert kind == "failed"
    validate(record, "failure.v1.json")
    assert (record["error"]["code"], record["attempts"]) == ("WORKER_LOST", 3)
    assert svc.log_count(r"Hard time limit \(4s?\) exceeded") == 3
    for key, body in behind.items():
        _, document = svc.sole_output(key)
        assert comparable(document) == comparable(clean_run(key, body))


@pytest.mark.parametrize("batch_docs", ["1", "4"])
def test_faults_soft_time_limit_records_timeout(
    service: MakeService, clean_run: CleanRun, batch_docs: str
) -> None:
    svc = service(
        DOCFLOW_TASK_SOFT_TIME_LIMIT="2",
        DOCFLOW_TASK_TIME_LIMIT="60",
        DOCFLOW_VISIBILITY_TIMEOUT="70",
        DOCFLOW_BATCH_DOCS=batch_docs,
    )
    svc.start_worker()
    key, quick = "slow/a-huge.txt", "slow/b-news.txt"
    inputs = {key: b"\n\n".join([SEED] * 100), quick: ARTICLES["news.txt"]}
    put_all(svc, inputs)
    reprocess(svc, "slow/")
    svc.wait_outputs(list(inputs), timeout=120)
    kind, record = svc.sole_output(key)
    assert kind == "failed"
    validate(record, "failure.v1.json")
    assert record["error"]["code"] == "TIMEOUT"
    assert record["attempts"] == 1
    _, document = svc.sole_output(quick)
    assert comparable(document) == comparable(clean_run(quick, inputs[quick]))
    # In a batch, the time limit says nothing of which document was slow: each goes on
    # alone, under a time limit of its own, before anything is recorded.
    sent_on = svc.log_count(r"batch of 2 from slow/a-huge.txt: over the 2 s time limit")
    assert sent_on == (1 if batch_docs == "4" else 0)


def test_faults_broker_error_mid_task_gives_the_message_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # In-process: Redis fails between fetching the message and counting the delivery.
    inbox = LocalStore(tmp_path / "in")
    inbox.put("doc.txt", SEED, "text/plain")
    monkeypatch.setattr(service_module, "stores", lambda _: (inbox, LocalStore(tmp_path / "out")))

    @contextmanager
    def broker_down(*_: Any) -> Iterator[int]:
        raise redis.ConnectionError("Connection refused")
        yield 0

    monkeypatch.setattr(service_module, "delivery", broker_down)
    with pytest.raises(Reject) as rejected:
        service_module.process("doc.txt")
    assert rejected.value.requeue
    assert not (tmp_path / "out").exists()


# --- Events, on the shared stack: nothing here harms the service.

ODD_KEYS = [
    "with space/and more spaces.txt",
    "plus+sign/a+b.txt",
    "percent%25/100%.txt",
    "unicode/überprüfung-日本語-😀.txt",
    "deep/a/b/c/d/e.txt",
    "mixed/ a+b%20c ü.txt",
]


@pytest.mark.parametrize("name", ODD_KEYS)
def test_faults_odd_keys_survive_the_event_encoding(stack: Service, prefix: str, name: str) -> None:
    key = f"{prefix}{name}"
    stack.s3.put_object(Bucket=stack.ingest_bucket, Key=key, Body=ARTICLES["news.txt"])
    stack.notify(key)
    document = stack.wait_output("enriched", key)
    check_enriched(document)
    assert document["source"]["key"] == key
    assert stack.processed(key) == 1


def test_faults_overwritten_object_replaces_its_output_and_stale_events_do_nothing(
    stack: Service, prefix: str, clean_run: CleanRun
) -> None:
    key = f"{prefix}overwritten.txt"
    old, new = ARTICLES["news.txt"], SEED
    stack.s3.put_object(Bucket=stack.ingest_bucket, Key=key, Body=old)
    old_etag = stack.s3.head_object(Bucket=stack.ingest_bucket, Key=key)["ETag"].strip('"')
    stack.notify(key)
    assert comparable(stack.wait_output("enriched", key)) == comparable(clean_run(key, old))
    stack.s3.put_object(Bucket=stack.ingest_bucket, Key=key, Body=new)
    stack.notify(key)
    wait_for("the new version", lambda: stack.processed(key) == 2)
    document = stack.wait_output("enriched", key)
    assert comparable(document) == comparable(clean_run(key, new))
    assert document["source"]["etag"] != old_etag
    # The first version's event again, late and twice: the current output stays.
    events = stack.env["DOCFLOW_EVENTS_KEY"]
    for _ in range(2):
        stack.redis.rpush(events, access_event(stack.ingest_bucket, key, etag=old_etag))
    wait_for("the late events", lambda: stack.worker.count(f"ingest {key}: output is current") == 2)
    assert stack.processed(key) == 2
    assert stack.wait_output("enriched", key) == document


def test_faults_deleted_object_events_do_nothing(stack: Service, prefix: str) -> None:
    key = f"{prefix}deleted.txt"
    stack.s3.put_object(Bucket=stack.ingest_bucket, Key=key, Body=SEED)
    etag = stack.s3.head_object(Bucket=stack.ingest_bucket, Key=key)["ETag"].strip('"')
    stack.s3.delete_object(Bucket=stack.ingest_bucket, Key=key)
    events = stack.env["DOCFLOW_EVENTS_KEY"]
    # Out of order: the create arrives after the object is gone, then the delete.
    stack.redis.rpush(events, access_event(stack.ingest_bucket, key, etag=etag))
    stack.redis.rpush(
        events, access_event(stack.ingest_bucket, key, name="s3:ObjectRemoved:Delete", etag=None)
    )
    wait_for("the ingest to find nothing", lambda: stack.worker.count(f"ingest {key}: no such"))
    wait_for("the delete to be ignored", lambda: stack.bridge.count(rf"{re.escape(key)}: ignored$"))
    listed = stack.s3.list_objects_v2(Bucket=stack.output_bucket, Prefix=f"enriched/{prefix}")
    assert listed["KeyCount"] == 0
    assert stack.processed(key) == 0


HOSTILE = {
    "xxe.xml": b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<rss><channel><item><title>&x;</title><description>Readers of this feed get a "
    b"long enough description to count as an article body, nothing more.</description>"
    b"</item></channel></rss>",
    "bomb.gz": b"",  # filled in below: a gzip stream that inflates far past the cap
    "image.txt": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
}


def test_faults_hostile_input_through_the_service(
    stack: Service, prefix: str, clean_run: CleanRun
) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join(packer.compress(b"\0" * 1_000_000) for _ in range(60)) + packer.flush()
    inputs = HOSTILE | {"bomb.gz": bomb}
    for name, body in inputs.items():
        stack.s3.put_object(Bucket=stack.ingest_bucket, Key=f"{prefix}{name}", Body=body)
        stack.notify(f"{prefix}{name}")
    for name, body in inputs.items():
        key = f"{prefix}{name}"
        kind = "enriched" if name == "xxe.xml" else "failed"
        document = stack.wait_output(kind, key)
        assert "root:" not in json.dumps(document)
        assert comparable(document) == comparable(clean_run(key, body))


def test_faults_flower_refuses_every_api_call_without_the_login(stack: Service) -> None:
    api = stack.flower_url + "/api"
    calls = [
        ("get", "/workers"),
        ("get", "/tasks"),
        ("get", "/task/types"),
        ("post", "/task/async-apply/docflow.sweep"),
        ("post", "/task/revoke/00000000-0000-0000-0000-000000000000"),
        ("post", f"/worker/shutdown/{stack.worker.name}"),
        ("post", "/worker/pool/restart/anything"),
    ]
    for method, path in calls:
        for auth in (None, (FLOWER_LOGIN[0], "wrong"), ("someone", FLOWER_LOGIN[1])):
            reply = requests.request(method, api + path, auth=auth, timeout=10)
            assert reply.status_code == 401, (method, path, auth)
    # And the pages too, not only the API.
    assert requests.get(stack.flower_url + "/", timeout=10).status_code == 401
    assert stack.worker.popen.poll() is None
