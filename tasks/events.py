"""The bridge from MinIO's bucket notifications (a Redis list) to ingest tasks."""

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import redis
from kombu.exceptions import OperationalError

from tasks.broker import redis_client
from tasks.service import ingest
from workers.outputs import OUTPUT_PREFIXES
from workers.settings import Settings

log = logging.getLogger(__name__)

_WAIT_SECONDS = 1  # how long one BLMOVE blocks, so a stop request is seen soon
_OUTAGE_PAUSE_SECONDS = 2.0


class MalformedEventError(ValueError):
    """A value on the event list that is not a bucket notification."""


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    """One S3 record: what happened to which object."""

    name: str
    bucket: str
    key: str
    etag: str | None


def parse(raw: bytes | str) -> list[ObjectEvent]:
    """Every S3 record in one value MinIO pushed, in any of its notification shapes."""
    try:
        value = json.loads(raw)
        return [_event(record) for record in _records(value)]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MalformedEventError(f"not a bucket notification: {exc}") from exc


def _records(value: Any) -> Iterator[dict[str, Any]]:
    # The Redis "access" format pushes [{"Event": [record], "EventTime": ...}]; webhook and
    # namespace values are {"EventName": ..., "Key": ..., "Records": [record]}.
    if isinstance(value, list):
        for item in value:
            yield from _records(item)
    elif isinstance(value, dict) and ("Records" in value or "Event" in value):
        yield from value.get("Records") or value.get("Event") or []
    else:
        raise MalformedEventError(f"unexpected {type(value).__name__} without Records")


def _event(record: dict[str, Any]) -> ObjectEvent:
    s3 = record["s3"]
    # Keys arrive URL-encoded, with '+' for a space (so a real '+' is '%2B').
    return ObjectEvent(
        name=record["eventName"],
        bucket=s3["bucket"]["name"],
        key=unquote_plus(s3["object"]["key"]),
        etag=s3["object"].get("eTag") or None,
    )


def wanted(event: ObjectEvent, settings: Settings) -> bool:
    """True for a created object in the ingest bucket that is not one of docflow's outputs."""
    # MinIO names events "s3:ObjectCreated:Put"; AWS leaves off the "s3:".
    created = event.name.removeprefix("s3:").startswith("ObjectCreated:")
    return (
        created
        and event.bucket == settings.ingest_bucket
        and not event.key.startswith(OUTPUT_PREFIXES)
    )


class Bridge:
    """Moves events from the list into ingest tasks, never dropping one it has taken.

    Each event is first moved (atomically) to this bridge's own processing list, then
    turned into ingest tasks, and only then removed. A bridge that dies in between finds
    the event there when it starts again and sends it once more; ingest skips work whose
    output is current, so a repeat costs a HEAD, never a second document.
    """

    def __init__(self, settings: Settings, name: str, client: redis.Redis | None = None) -> None:
        self.settings = settings
        self.client = client or redis_client(settings)
        self.source = settings.events_key
        self.pending = f"{settings.events_key}:processing:{name}"

    def recover(self) -> int:
        """Send again whatever an earlier run of this bridge took but did not finish."""
        leftovers = self.client.lrange(self.pending, 0, -1)
        for raw in leftovers:
            self.handle(raw)
        if leftovers:
            log.warning("recovered %d events from %s", len(leftovers), self.pending)
        return len(leftovers)

    def step(self, timeout: int = _WAIT_SECONDS) -> bool:
        """Handle the next event, waiting up to timeout for one; False when none came."""
        raw = self.client.blmove(self.source, self.pending, timeout, "LEFT", "RIGHT")
        if raw is None:
            return False
        self.handle(raw)
        return True

    def handle(self, raw: bytes | str) -> None:
        """Queue ingest for each wanted record of one event, then drop it from pending."""
        try:
            events = parse(raw)
        except MalformedEventError as error:
            log.error("dropping %r: %s", raw[:200], error)
            events = []
        for event in events:
            if wanted(event, self.settings):
                ingest.apply_async((event.key,), {"etag": event.etag})
                log.info("event %s %s/%s: queued ingest", event.name, event.bucket, event.key)
            else:
                log.info("event %s %s/%s: ignored", event.name, event.bucket, event.key)
        # redis-py's annotation says str, but it sends bytes unchanged, which is what to match.
        self.client.lrem(self.pending, 1, raw)  # type: ignore[arg-type]

    def run(self, stop: threading.Event) -> None:
        """Recover, then move events until stop is set; ride out broker outages."""
        log.info("bridge %s -> ingest tasks (pending in %s)", self.source, self.pending)
        while not stop.is_set():
            try:
                self.recover()
                while not stop.is_set():
                    self.step()
            except (redis.ConnectionError, redis.TimeoutError, OperationalError) as error:
                # Whatever was in flight is still in the pending list: recovery resends it.
                log.warning("broker unavailable (%s); retrying", error)
                stop.wait(_OUTAGE_PAUSE_SECONDS)
        log.info("bridge stopped")
