"""Soak: many documents through two workers while a chaos loop kills workers and Redis.

CI runs DOCFLOW_SOAK_DOCS (default 150) documents; the full run is
`DOCFLOW_SOAK_DOCS=1000 .venv/bin/python -m pytest -m integration tests/integration/test_soak.py`.
"""

import gzip
import json
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SEEDS, check_enriched
from tests.events import access_event
from tests.integration.harness import Service, comparable, wait_for
from workers.render import validate

pytestmark = pytest.mark.integration

DOCS = int(os.environ.get("DOCFLOW_SOAK_DOCS", "150"))
WORKERS = ("a", "b")


def _pool() -> dict[str, bytes]:
    """Inputs of every kind the service meets: articles of several sizes, and bad files."""
    seed = (SEEDS / "000_3f1d083b70fe61c9.txt").read_bytes()
    paragraphs = seed.split(b"\n\n")
    pool = {
        "seed.txt": seed,
        "news.txt": (SEEDS / "news_harbor_expansion.txt").read_bytes(),
        "brief.html": (SEEDS / "policy_brief.html").read_bytes(),
        "news.txt.gz": gzip.compress((SEEDS / "news_harbor_expansion.txt").read_bytes()),
        "empty.txt": b"",
        "image.txt": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    }
    for size in (4, 8, 16):
        pool[f"part-{size}.txt"] = b"\n\n".join(paragraphs[:size])
    return pool


def _chaos(svc: Service, progress: Callable[[], int], rng: random.Random) -> list[str]:
    """Kill a random worker process at spread-out points of the run, and Redis once."""
    # Fractions of the documents done at which to strike: the faults land all through the
    # run, whatever its size, and the Redis restart in the middle.
    marks = [0.1, 0.25, 0.4, 0.55, 0.7, 0.85]
    faults: list[str] = []
    for mark in marks:
        wait_for(
            f"{mark:.0%} of the documents",
            lambda needed=mark * DOCS: progress() >= needed,
            60 + DOCS,
        )
        if mark == 0.4:
            svc.redis_server.restart(signal.SIGKILL)
            faults.append("redis")
            continue
        name = rng.choice(WORKERS)
        worker = svc.workers[name]
        victim = rng.choice([worker.popen.pid, *svc.workers[name].children()])
        os.kill(victim, signal.SIGKILL)
        if victim == worker.popen.pid:
            # Its pool child is orphaned: gone with the group, as in a container stop.
            os.killpg(worker.popen.pid, signal.SIGKILL)
            worker.popen.wait(timeout=10)
            svc.start_worker(name, wait=False)
            faults.append(f"worker {name}")
        else:
            faults.append(f"child of {name}")
    return faults


@pytest.mark.timeout(300 + 2 * DOCS)
def test_soak_every_document_ends_once_through_kills_and_a_redis_restart(
    service: Callable[..., Service], clean_run: Callable[[str, bytes], dict[str, Any]]
) -> None:
    svc = service()
    for name in WORKERS:
        svc.start_worker(name)
    svc.start_bridge()
    pool = _pool()
    names = sorted(pool)
    inputs = {
        f"soak/{i:04d}-{names[i % len(names)]}": pool[names[i % len(names)]] for i in range(DOCS)
    }
    events = []
    for key, body in inputs.items():
        events.append(access_event(svc.ingest_bucket, key, etag=svc.put(key, body), size=len(body)))
    started = time.monotonic()
    svc.redis.rpush(svc.env["DOCFLOW_EVENTS_KEY"], *events)

    faults = _chaos(svc, lambda: len(svc.outputs()), random.Random(DOCS))
    assert faults.count("redis") == 1
    svc.wait_outputs(list(inputs), timeout=120 + DOCS)
    elapsed = time.monotonic() - started

    # Drained: whatever the kills left unacknowledged has come back and found its output.
    def drained() -> bool:
        status = json.loads(svc.docflow("status", "--json").stdout)
        queues = status["queues"].values()
        idle = not any(queue["waiting"] or queue["in_flight"] for queue in queues)
        return idle and not svc.redis.hlen("unacked")

    wait_for("the queues to drain", drained, 120)
    found = svc.outputs()
    assert sorted(found) == sorted(inputs)
    assert all(len(kinds) == 1 for kinds in found.values())
    kinds: Counter[str] = Counter()
    for key, body in inputs.items():
        (kind,) = found[key]
        document = svc.read(kind, key)
        kinds[kind] += 1
        if kind == "enriched":
            check_enriched(document)
        else:
            validate(document, "failure.v1.json")
        assert comparable(document) == comparable(clean_run(key, body)), key
    status = json.loads(svc.docflow("status", "--json").stdout)
    assert (status["enriched"], status["failed"]) == (kinds["enriched"], kinds["failed"])
    assert status["enriched"] + status["failed"] == DOCS
    print(f"soak: {DOCS} documents in {elapsed:.0f} s through {faults}; {dict(kinds)}")
