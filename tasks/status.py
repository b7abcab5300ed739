"""What the service is doing: queue depths, workers online, outputs so far."""

from dataclasses import dataclass

from tasks.app import INGEST_QUEUE, PROCESS_QUEUE, app
from tasks.broker import queue_depth
from workers.s3 import s3_store
from workers.settings import Settings
from workers.store import ENRICHED_PREFIX, FAILED_PREFIX


@dataclass(frozen=True, slots=True)
class Status:
    """One snapshot of the service."""

    queues: dict[str, int]
    workers: list[str]
    enriched: int
    failed: int


def gather(settings: Settings, ping_timeout: float = 1.0) -> Status:
    """Ask Redis, the workers and the output bucket; counting outputs pages the listing."""
    depths = {
        name: queue_depth(settings, name)
        for name in (INGEST_QUEUE, PROCESS_QUEUE, settings.events_key)
    }
    replies = app.control.ping(timeout=ping_timeout) or []
    outbox = s3_store(settings.output_bucket, settings)
    return Status(
        queues=depths,
        workers=sorted(name for reply in replies for name in reply),
        enriched=sum(1 for _ in outbox.list(ENRICHED_PREFIX)),
        failed=sum(1 for _ in outbox.list(FAILED_PREFIX)),
    )
