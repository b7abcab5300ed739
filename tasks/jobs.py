"""The body of every ingest: fetch by key, skip if current, enrich, write whole. No Celery here."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from workers.errors import DocflowError
from workers.model import RawDocument, Source
from workers.pipeline import current_config, enrich
from workers.settings import Settings
from workers.store import ENRICHED_PREFIX, FAILED_PREFIX, ObjectInfo, Store, output_key
from workers.write import JSON_TYPE, dumps, failure_record

log = logging.getLogger(__name__)

Status = Literal["enriched", "failed", "skipped", "missing"]

# Object metadata on every output, so freshness is known from a HEAD, not a download.
META_ETAG = "source-etag"
META_CONFIG = "config-hash"
META_VERSION = "docflow-version"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one input key."""

    key: str
    status: Status
    code: str | None = None
    entities: int = 0


def is_current(output: ObjectInfo | None, etag: str, settings: Settings) -> bool:
    """True when an output was made from this etag with today's config and code."""
    if output is None:
        return False
    config = current_config(settings)
    meta = output.metadata
    return (
        meta.get(META_ETAG) == etag
        and meta.get(META_CONFIG) == config.config_hash
        and meta.get(META_VERSION) == config.version
    )


def source_of(info: ObjectInfo, bucket: str | None) -> Source:
    """The source block of an output, from what the store says of the input."""
    if bucket is None:
        return Source(key=info.key)
    return Source(
        key=info.key,
        bucket=bucket,
        etag=info.etag,
        size=info.size,
        content_type=info.content_type,
        last_modified=info.last_modified,
    )


def process_key(
    inbox: Store,
    outbox: Store,
    key: str,
    settings: Settings,
    *,
    attempt: int = 1,
    force: bool = False,
    known: ObjectInfo | None = None,
    classify: Callable[[DocflowError], DocflowError] = lambda error: error,
) -> Outcome:
    """Enrich one input into outbox; transient errors propagate while attempts remain.

    known is what the caller already learnt of the input from the store, saving a HEAD.
    classify may give an error its true code where only the caller knows it (the Celery
    task tells its own soft time limit from a bug), before it is retried or recorded.
    """
    info = known or inbox.head(key)
    if info is None:
        log.info("skip %s: no such object (deleted?)", key)
        return Outcome(key, "missing")
    if not force and is_current(outbox.head(output_key(ENRICHED_PREFIX, key)), info.etag, settings):
        log.info("skip %s: output is current for etag %s", key, info.etag)
        return Outcome(key, "skipped")
    source, etag = source_of(info, inbox.bucket), info.etag
    doc_id = None
    try:
        # The object may have been replaced since the HEAD: describe what was read.
        data, fetched = inbox.get(key, settings.max_input_bytes)
        source, etag = source_of(fetched, inbox.bucket), fetched.etag
        raw = RawDocument(source, data)
        document = enrich(raw, settings)
        doc_id = document["doc_id"]
    except DocflowError as raised:
        error = classify(raised)
        if error.transient and attempt < settings.max_attempts:
            raise
        return record_failure(
            outbox, source, etag, error, doc_id=doc_id, attempts=attempt, settings=settings
        )
    write_output(outbox, ENRICHED_PREFIX, key, dumps(document), etag, settings=settings)
    outbox.delete(output_key(FAILED_PREFIX, key))
    log.info("enriched %s as %s (%d entities)", key, doc_id, len(document["entities"]))
    return Outcome(key, "enriched", entities=len(document["entities"]))


def record_failure(
    outbox: Store,
    source: Source,
    etag: str,
    error: DocflowError,
    *,
    doc_id: str | None,
    attempts: int,
    settings: Settings,
) -> Outcome:
    """Write failed/<key>.json; the input stays where it is for a later reprocess."""
    record = failure_record(source, doc_id, error, attempts)
    write_output(outbox, FAILED_PREFIX, source.key, dumps(record), etag, settings=settings)
    log.warning("failed %s: %s at %s: %s", source.key, error.code, error.stage, error.message)
    return Outcome(source.key, "failed", code=str(error.code))


def write_output(
    outbox: Store, prefix: str, key: str, body: bytes, etag: str, *, settings: Settings
) -> None:
    """Put one output whole, tagged with what it was made from."""
    config = current_config(settings)
    metadata = {
        META_ETAG: etag,
        META_CONFIG: config.config_hash,
        META_VERSION: config.version,
    }
    outbox.put(output_key(prefix, key), body, JSON_TYPE, metadata)
