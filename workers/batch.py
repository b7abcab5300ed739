"""The body of every job over keys: fetch, skip if current, enrich, write whole, settle.

Whether a key stopped by a TransientError gets another attempt is the caller's policy (the
Celery task's retries, `docflow run`'s loop): here such a key is only handed back.
"""

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from workers.errors import Code, DocflowError, TransientError
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
from workers.pipeline import DocumentOrError, Passthrough, enrich_all
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


Settled = Outcome | TransientError


def process_key(
    inbox: Store,
    outbox: Store,
    key: str,
    settings: Settings,
    *,
    attempt: int = 1,
    force: bool = False,
    checked: bool = False,
    known: ObjectInfo | None = None,
    unrecorded: Collection[str] = (),
    passthrough: Passthrough = (),
) -> Outcome:
    """Enrich one input into outbox, or record why not; a TransientError is raised.

    known is what the caller already learnt of the input from the store, saving a HEAD;
    unrecorded (see process_keys), the keys it has just seen with no failure record.
    """
    (result,) = process_keys(
        inbox,
        outbox,
        [key],
        settings,
        attempt=attempt,
        force=force,
        checked=checked,
        known={key: known} if known else None,
        unrecorded=unrecorded,
        passthrough=passthrough,
    )
    if isinstance(result, TransientError):
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
    checked: bool = False,
    known: Mapping[str, ObjectInfo] | None = None,
    unrecorded: Collection[str] = (),
    passthrough: Passthrough = (),
) -> list[Settled]:
    """Enrich several inputs into outbox, the model run once over all of them.

    Each key gets its outcome, in order, or the TransientError that stopped it; one key's
    failure is its own. With force, or checked (the caller has just seen each output missing
    or older than its input, as the sweep has), each input is read at once: the HEADs of
    input and output that would decide whether to read it are two of the four requests a
    document costs (a GET and a PUT the others). The reads, and then the writes, go out on
    a few threads at once, and one request clears the old failure records of every key
    whose output is current, but for the unrecorded keys, which the caller has just seen
    without one. An exception of a passthrough type (see workers.pipeline) leaves at once.
    """
    job = _Job(inbox, outbox, settings, attempt, force, checked, known or {}, unrecorded)
    read = list(overlapped(job.fetch, keys))
    fetched = [got for got in read if isinstance(got, _Fetched)]
    enriched = enrich_all([item.raw for item in fetched], settings, passthrough)
    written = iter(list(overlapped(job.write, zip(fetched, enriched, strict=True))))
    settled = [next(written) if isinstance(got, _Fetched) else got for got in read]
    job.clear_failures(settled)
    return settled


@dataclass(frozen=True, slots=True)
class _Job:
    """What every key of one process_keys call shares, and its phases for one key."""

    inbox: Store
    outbox: Store
    settings: Settings
    attempt: int
    force: bool
    checked: bool
    known: Mapping[str, ObjectInfo]
    unrecorded: Collection[str]

    def fetch(self, key: str) -> "Settled | _Fetched":
        """The input read whole, unless it is gone or its output is current."""
        info = None
        try:
            if not (self.force or self.checked):
                info = self.known.get(key) or self.inbox.head(key)
                if info is None:
                    log.info("skip %s: no such object (deleted?)", key)
                    return Outcome(key, "missing")
                output = self.outbox.head(output_key(ENRICHED_PREFIX, key))
                if is_current(output, info.etag, self.settings):
                    log.info("skip %s: output is current for etag %s", key, info.etag)
                    return Outcome(key, "skipped")
            # The object may have been replaced since the HEAD: describe what was read.
            got_or_none = _read(self.inbox, key, self.settings)
            if got_or_none is None:
                log.info("skip %s: no such object (deleted?)", key)
                return Outcome(key, "missing")
            data, got = got_or_none
            source = source_of(got, self.inbox.bucket)
            return _Fetched(key, source, got.etag, RawDocument(source, data))
        except DocflowError as raised:
            source = source_of(info, self.inbox.bucket) if info else Source(key, self.inbox.bucket)
            return self.settle(source, info.etag if info else "", raised)

    def write(self, pair: "tuple[_Fetched, DocumentOrError]") -> Settled:
        """The enriched document put whole, tagged, or the record of why it is not."""
        item, document = pair
        if isinstance(document, DocflowError):
            return self.settle(item.source, item.etag, document)
        model, language = document["pipeline"]["model"], document["metadata"]["language"] or ""
        described = {META_LANGUAGE: language, META_MODEL: model["name"] if model else ""}
        try:
            body = dumps(document)
            write_output(
                self.outbox,
                ENRICHED_PREFIX,
                item.key,
                body,
                item.etag,
                settings=self.settings,
                **described,
            )
        except DocflowError as raised:
            return self.settle(item.source, item.etag, raised, document["doc_id"])
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

    def settle(
        self, source: Source, etag: str, error: DocflowError, doc_id: str | None = None
    ) -> Settled:
        """The failure recorded; a transient one, or a record not written, handed back."""
        if isinstance(error, TransientError):
            return error
        try:
            return record_failure(
                self.outbox,
                source,
                etag,
                error,
                doc_id=doc_id,
                attempts=self.attempt,
                settings=self.settings,
            )
        except TransientError as unwritten:
            return unwritten

    def clear_failures(self, settled: Sequence[Settled]) -> None:
        """Delete the old failure records of every key whose output is now current."""
        current = [
            got.key
            for got in settled
            if isinstance(got, Outcome)
            and got.status in _CURRENT
            and got.key not in self.unrecorded
        ]
        if not current:
            return
        try:
            # An older failure record no longer says anything true once the output is
            # current: one request for them all.
            self.outbox.delete(*(output_key(FAILED_PREFIX, key) for key in current))
        except DocflowError as error:
            # The outputs are good: a stale record beside one is not worth a failure, and
            # the next run that finds its output current clears it.
            log.warning("could not clear old failure records of %d: %s", len(current), error)


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
