"""What the service is doing: queues, workers, outputs and failures, each part on its own."""

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tasks.app import INGEST_QUEUE, PROCESS_QUEUE, app
from tasks.broker import queue_depth, redis_client
from tasks.faults import FaultError, check_endpoint, explain
from workers.errors import Code, DocflowError
from workers.outputs import ENRICHED_PREFIX, FAILED_PREFIX, input_key
from workers.overlap import overlapped
from workers.s3 import s3_store
from workers.settings import Settings
from workers.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

# Where kombu's Redis transport keeps each delivered, unacknowledged message (a worker's
# reserved and running tasks), as JSON [message, exchange, routing key].
_UNACKED = "unacked"
_RECORD_MAX_BYTES = 1_000_000  # a failure record is a few hundred bytes


@dataclass(frozen=True, slots=True)
class Queue:
    """One queue: messages waiting, and messages a worker holds but has not acknowledged."""

    waiting: int
    in_flight: int


@dataclass(frozen=True, slots=True)
class Worker:
    """One worker online and how many tasks it runs at once."""

    name: str
    concurrency: int | None


@dataclass(frozen=True, slots=True)
class Failure:
    """One failure record: which input, its code and message, and when."""

    key: str
    code: str
    message: str
    failed_at: str


@dataclass(frozen=True, slots=True)
class Status:
    """One snapshot of the service; a part that could not be seen is None, and errors say why."""

    queues: dict[str, Queue] | None
    workers: list[Worker] | None
    enriched: int | None
    failed: int | None
    failures_by_code: dict[str, int] | None
    recent_failures: list[Failure] | None
    errors: dict[str, str] = field(default_factory=dict)
    exit_status: int = 0  # the first fault's (tasks.faults.Exit), 0 when every part answered


@dataclass(frozen=True, slots=True)
class _Outputs:
    enriched: int
    failed: int
    by_code: dict[str, int]
    recent: list[Failure]


def gather(settings: Settings, recent: int = 5, timeout: float = 1.0) -> Status:
    """Ask Redis, the workers and the output bucket, each on its own: one may be down."""
    faults: dict[str, FaultError] = {}
    queues = _part("broker", faults, settings, lambda: _queues(settings))
    # Without the broker no worker can answer either; asking would only wait for retries.
    workers = _part("workers", faults, settings, lambda: _workers(timeout)) if queues else None
    outputs = _part("s3", faults, settings, lambda: _outputs(settings, recent))
    return Status(
        queues=queues,
        workers=workers,
        enriched=outputs.enriched if outputs else None,
        failed=outputs.failed if outputs else None,
        failures_by_code=outputs.by_code if outputs else None,
        recent_failures=outputs.recent if outputs else None,
        errors={part: fault.line for part, fault in faults.items()},
        exit_status=next((int(fault.status) for fault in faults.values()), 0),
    )


def _part(
    name: str, faults: dict[str, FaultError], settings: Settings, look: Callable[[], T]
) -> T | None:
    """What look returns, or None with the fault in faults[name]."""
    try:
        return look()
    except Exception as error:
        fault = explain(error, settings)
        if fault is None:
            raise
        log.debug("status: %s unavailable", name, exc_info=True)
        faults[name] = fault
        return None


def _queues(settings: Settings) -> dict[str, Queue]:
    """Each Celery queue's depth and unacknowledged messages, and the bucket-event list's."""
    client = redis_client(settings)
    held = Counter(json.loads(raw)[2] for raw in client.hvals(_UNACKED))
    # Events a bridge has taken and not yet turned into ingest tasks wait in its own list.
    taken = sum(
        int(client.llen(name))
        for name in client.scan_iter(match=f"{settings.events_key}:processing:*", count=100)
    )
    return {
        INGEST_QUEUE: Queue(queue_depth(settings, INGEST_QUEUE), held[INGEST_QUEUE]),
        PROCESS_QUEUE: Queue(queue_depth(settings, PROCESS_QUEUE), held[PROCESS_QUEUE]),
        settings.events_key: Queue(queue_depth(settings, settings.events_key), taken),
    }


def _workers(timeout: float) -> list[Worker]:
    """Every worker that answers within timeout, with its pool's size."""
    replies: dict[str, Any] = app.control.inspect(timeout=timeout).stats() or {}
    return [
        Worker(name, reply.get("pool", {}).get("max-concurrency"))
        for name, reply in sorted(replies.items())
    ]


def _outputs(settings: Settings, recent: int) -> _Outputs:
    """Counts of outputs, failures by code (each record read) and the latest failures."""
    check_endpoint(settings)
    outbox = s3_store(settings.output_bucket, settings)
    enriched = sum(1 for _ in outbox.list(ENRICHED_PREFIX))
    read = overlapped(lambda info: _failure(outbox, info.key), outbox.list(FAILED_PREFIX))
    # Newest first by the record's own time: a listing's times are whole seconds.
    records = sorted(
        (record for record in read if record is not None),
        key=lambda record: record.failed_at,
        reverse=True,
    )
    return _Outputs(
        enriched=enriched,
        failed=len(records),
        by_code=dict(Counter(record.code for record in records).most_common()),
        recent=records[:recent],
    )


def _failure(outbox: Store, record_key: str) -> Failure | None:
    """One failure record, read; None when a success removed it since the listing."""
    try:
        data, _ = outbox.get(record_key, _RECORD_MAX_BYTES)
    except DocflowError as unread:
        if unread.code is Code.NOT_FOUND:
            return None
        raise
    record = json.loads(data)
    why = record.get("error", {})
    return Failure(
        key=input_key(FAILED_PREFIX, record_key),
        code=str(why.get("code")),
        message=str(why.get("message")),
        failed_at=str(record.get("failed_at")),
    )
