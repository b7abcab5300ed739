"""The body of every job over keys: fetch, skip if current, enrich, write whole, settle."""

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from workers.errors import Code, DocflowError
from workers.model import RawDocument, Source
from workers.outputs import (
    ENRICHED_PREFIX,
    FAILED_PREFIX,
    META_LANGUAGE,
    META_MODEL,
    is_current,
    output_key,
    source_of,
    write_output,
)
from workers.overlap import overlapped
from workers.pipeline import Enriched, enrich_all
from workers.render import dumps, failure_record
from workers.settings import Settings
from workers.store import ObjectInfo, Store

log = logging.getLogger(__name__)

Status = Literal["enriched", "failed", "skipped", "missing"]
_CURRENT = ("enriched", "skipped")  # outcomes that leave a current output behind


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one input key."""

    key: str
    status: Status
    code: str | None = None
    entities: int = 0
    message: str | None = None  # a failure's own words, as in its record
    # The language of a document written with no model for it ("" when none was told).
    no_model: str | None = None


def process_key(
    inbox: Store,
    outbox: Store,
    key: str,
    settings: Settings,
    *,
    attempt: int = 1,
    force: bool = False,
    stale: bool = False,
    known: ObjectInfo | None = None,
    unrecorded: Collection[str] = (),
    classify: Callable[[DocflowError], DocflowError] = lambda error: error,
) -> Outcome:
    """Enrich one input into outbox; transient errors propagate while attempts remain.

    known is what the caller already learnt of the input from the store, saving a HEAD;
    unrecorded (see process_keys), the keys it has just seen with no failure record.
    classify may give an error its true code where only the caller knows it (the Celery
    task tells its own soft time limit from a bug), before it is retried or recorded.
    """
    (result,) = process_keys(
        inbox,
        outbox,
        [key],
        settings,
        attempt=attempt,
        force=force,
        stale=stale,
        known={key: known} if known else None,
        unrecorded=unrecorded,
        classify=classify,
    )
    if isinstance(result, DocflowError):
        raise result
    return result


def process_keys(
    inbox: Store,
    outbox: Store,
    keys: Sequence[str],
    settings: Settings,
    *,
    attempt: int = 1,
    force: bool = False,
    stale: bool = False,
    known: Mapping[str, ObjectInfo] | None = None,
    unrecorded: Collection[str] = (),
    classify: Callable[[DocflowError], DocflowError] = lambda error: error,
) -> list[Outcome | DocflowError]:
    """Enrich several inputs into outbox, the model run once over all of them.

    Each key gets its outcome, in order, or, for a transient error while attempts remain,
    the error itself, for the caller to try that key again. One key's failure is its own.
    With force, or stale (the caller has just seen each output missing or older than its
    input, as the sweep has), each input is read at once: the HEADs of input and output
    that would decide whether to read it are two of the four requests a document costs
    (a GET and a PUT the others). The batch's reads, and then its writes, go out on a few
    threads at once, and one request clears the old failure records of every document
    whose output is current, but for the unrecorded keys, which the caller has just seen
    without one.
    """
    known = known or {}

    def settle(
        source: Source, etag: str, raised: DocflowError, doc_id: str | None = None
    ) -> Outcome | DocflowError:
        error = classify(raised)
        return _settle(
            outbox, source, etag, error, attempt=attempt, settings=settings, doc_id=doc_id
        )

    def fetch(key: str) -> Outcome | DocflowError | _Fetched:
        info = None
        try:
            if not (force or stale):
                info = known.get(key) or inbox.head(key)
                if info is None:
                    log.info("skip %s: no such object (deleted?)", key)
                    return Outcome(key, "missing")
                output = outbox.head(output_key(ENRICHED_PREFIX, key))
                if is_current(output, info.etag, settings):
                    log.info("skip %s: output is current for etag %s", key, info.etag)
                    return Outcome(key, "skipped")
            # The object may have been replaced since the HEAD: describe what was read.
            got_or_none = _read(inbox, key, settings)
            if got_or_none is None:
                log.info("skip %s: no such object (deleted?)", key)
                return Outcome(key, "missing")
            data, got = got_or_none
            source = source_of(got, inbox.bucket)
            return _Fetched(key, source, got.etag, RawDocument(source, data))
        except DocflowError as raised:
            source = source_of(info, inbox.bucket) if info else Source(key, inbox.bucket)
            return settle(source, info.etag if info else "", raised)

    def write(pair: tuple[_Fetched, Enriched]) -> Outcome | DocflowError:
        item, document = pair
        if isinstance(document, DocflowError):
            return settle(item.source, item.etag, document)
        model, language = document["pipeline"]["model"], document["metadata"]["language"] or ""
        described = {META_LANGUAGE: language, META_MODEL: model["name"] if model else ""}
        try:
            body = dumps(document)
            write_output(
                outbox, ENRICHED_PREFIX, item.key, body, item.etag, settings=settings, **described
            )
        except DocflowError as raised:
            return settle(item.source, item.etag, raised, document["doc_id"])
        log.info(
            "enriched %s as %s (%d entities)",
            item.key,
            document["doc_id"],
            len(document["entities"]),
        )
        return Outcome(
            item.key,
            "enriched",
            entities=len(document["entities"]),
            no_model=None if model else language,
        )

    read = list(overlapped(fetch, keys))
    fetched = [got for got in read if isinstance(got, _Fetched)]
    enriched = enrich_all([item.raw for item in fetched], settings, classify)
    written = iter(list(overlapped(write, zip(fetched, enriched, strict=True))))
    settled: list[Outcome | DocflowError] = [
        next(written) if isinstance(got, _Fetched) else got for got in read
    ]
    current = [
        got.key
        for got in settled
        if isinstance(got, Outcome) and got.status in _CURRENT and got.key not in unrecorded
    ]
    if not current:
        return settled
    try:
        # An older failure record no longer says anything true once the output is current
        # (a retry that finds its output written clears it too): one request for them all.
        outbox.delete(*(output_key(FAILED_PREFIX, key) for key in current))
    except DocflowError as raised:
        error = classify(raised)
        if error.transient and attempt < settings.max_attempts:
            # Tried again, each finds its output current and clears its record then.
            cleared = set(current)
            settled = [
                error if isinstance(got, Outcome) and got.key in cleared else got for got in settled
            ]
        else:
            # The outputs are good: a stale record beside one is not worth a failure.
            log.warning("could not clear old failure records of %d: %s", len(current), error)
    return settled


@dataclass(frozen=True, slots=True)
class _Fetched:
    """An input read whole, on its way to the pipeline."""

    key: str
    source: Source
    etag: str
    raw: RawDocument


def _read(inbox: Store, key: str, settings: Settings) -> tuple[bytes, ObjectInfo] | None:
    """The input and what the store says of it; None when it is gone."""
    try:
        return inbox.get(key, settings.max_input_bytes)
    except DocflowError as error:
        if error.code is Code.NOT_FOUND:
            return None
        raise


def _settle(
    outbox: Store,
    source: Source,
    etag: str,
    error: DocflowError,
    *,
    attempt: int,
    settings: Settings,
    doc_id: str | None = None,
) -> Outcome | DocflowError:
    """The error back, to try again, while it is transient and attempts remain; else a record."""
    if error.transient and attempt < settings.max_attempts:
        return error
    return record_failure(
        outbox, source, etag, error, doc_id=doc_id, attempts=attempt, settings=settings
    )


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
    return Outcome(source.key, "failed", code=str(error.code), message=error.message)
