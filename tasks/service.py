"""The Celery tasks: thin wrappers that pass keys to workers.batch and record what happened."""

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import redis
from celery.exceptions import Reject, SoftTimeLimitExceeded
from kombu.exceptions import OperationalError

from tasks.app import PROCESS_QUEUE, task
from tasks.deliveries import delivery
from tasks.enqueue import enqueue
from tasks.policy import DocflowTask, DocumentFailedError
from workers.batch import Outcome, process_key, process_keys, record_failure
from workers.errors import Code, DocflowError, TransientError, timeout_error
from workers.model import Source
from workers.outputs import input_and_current, source_of
from workers.s3 import s3_store
from workers.selection import Selection, SelectionError, Verdict, from_options, select, unprocessed
from workers.settings import Settings, get_settings
from workers.store import ObjectInfo, Store

log = logging.getLogger(__name__)

_settings = get_settings()
# Sweeps and reprocesses only publish messages; losing one to a dead worker costs nothing
# (the next sweep, or the operator, starts another), so they need no late ack, and their
# time limit is their own: a big bucket takes longer to list than a document to process.
_BULK = {
    "acks_late": False,
    "soft_time_limit": _settings.sweep_time_limit,
    "time_limit": _settings.sweep_time_limit + 60,
}


def stores(settings: Settings) -> tuple[Store, Store]:
    """The ingest bucket and the output bucket."""
    return s3_store(settings.ingest_bucket, settings), s3_store(settings.output_bucket, settings)


class _Ingest(DocflowTask):
    def out_of_attempts(
        self, error: TransientError, attempts: int, call: Mapping[str, Any]
    ) -> None:
        """Hand the key to process: dropping the event would leave it without any output
        until a sweep, while process has attempts of its own and ends with a record."""
        key = call["key"]
        log.warning("ingest %s: %s; out of attempts, queueing process anyway", key, error)
        process.delay(key)


@task(name="docflow.ingest", bind=True, base=_Ingest)
def ingest(self: Any, key: str, etag: str | None = None) -> str:
    """Queue processing of one input unless it is gone or already has a current output."""
    settings = get_settings()
    inbox, outbox = stores(settings)
    info, current, recorded = input_and_current(inbox, outbox, key, settings)
    if info is None:
        log.info("ingest %s: no such object (deleted?)", key)
        return "missing"
    if current:
        log.info("ingest %s: output is current for etag %s", key, info.etag)
        return "skipped"
    if etag is not None and etag != info.etag:
        log.info("ingest %s: event for etag %s, processing the newer %s", key, etag, info.etag)
    # What these HEADs saw goes on with the key, so process asks S3 none of it again.
    process.delay(key, seen=seen_of(info, recorded))
    log.info("ingest %s: queued etag %s", key, info.etag)
    return "queued"


def seen_of(info: ObjectInfo, recorded: bool) -> dict[str, Any]:
    """What ingest saw of an input, as process takes it: the HEAD's fields, and a record."""
    return {
        "etag": info.etag,
        "size": info.size,
        "last_modified": info.last_modified,
        "content_type": info.content_type,
        "recorded": recorded,
    }


def _seen(key: str, seen: dict[str, Any]) -> tuple[ObjectInfo, bool]:
    """The input's ObjectInfo and whether a failure record exists, from process's seen."""
    fields: dict[str, type | tuple[type, ...]] = {
        "etag": str,
        "size": int,
        "last_modified": str,
        "content_type": (str, type(None)),
    }
    if set(seen) != {*fields, "recorded"} or not isinstance(seen["recorded"], bool):
        raise TypeError(f"docflow.process: seen must hold {', '.join(fields)} and recorded")
    for name, kind in fields.items():
        if not isinstance(seen[name], kind):
            raise TypeError(f"docflow.process: seen's {name} is {seen[name]!r}")
    return ObjectInfo(
        key, seen["etag"], seen["size"], seen["last_modified"], seen["content_type"]
    ), seen["recorded"]


def describe(outcome: Outcome) -> str:
    """One key's outcome in words: enriched, skipped (current), missing, or failed CODE: why."""
    if outcome.status == "failed":
        return f"failed {outcome.code}: {outcome.message}"
    if outcome.status == "skipped":
        return "skipped (current)"
    return outcome.status


class _Process(DocflowTask):
    def out_of_attempts(
        self, error: TransientError, attempts: int, call: Mapping[str, Any]
    ) -> None:
        """The STORAGE record, so the document shows under failed/ and `reprocess --failed`
        finds it once storage is back; if even that cannot be written, the sweep will."""
        key, seen, settings = call["key"], call["seen"], get_settings()
        inbox, outbox = stores(settings)
        info = _seen(key, seen)[0] if seen is not None else None
        source = source_of(info, inbox.bucket) if info else Source(key=key, bucket=inbox.bucket)
        try:
            record_failure(
                outbox,
                source,
                info.etag if info else "",
                error,
                doc_id=None,
                attempts=attempts,
                settings=settings,
            )
        except TransientError as unwritten:
            log.warning("process %s: no record either (%s); the sweep finds it", key, unwritten)


@task(name="docflow.process", bind=True, base=_Process)
def process(
    self: Any,
    key: str,
    force: bool = False,
    checked: bool = False,
    seen: dict[str, Any] | None = None,
) -> str:
    """Enrich one input into the output bucket, or record why it could not be.

    checked says the caller has just seen the output missing or older than the input (a
    sweep, a reprocess), so the input is read at once, without the HEADs that would ask.
    seen is what ingest's HEADs just found (seen_of): the input's etag and fields, and
    whether a failure record exists. With it, process reads the input at once, as after
    a sweep, and clears no failure record ingest saw none of: two of the five requests a
    document costs on the event path, each a round trip.
    """
    settings = get_settings()
    inbox, outbox = stores(settings)
    recorded = True
    with _broker_lost(key):
        if seen is None:
            info = inbox.head(key)
            if info is None:
                log.info("process %s: no such object (deleted?)", key)
                return "missing"
        else:
            info, recorded = _seen(key, seen)
        outcome = _deliver(
            self,
            inbox,
            outbox,
            info,
            settings,
            force=force,
            checked=checked or seen is not None,
            recorded=recorded,
        )
    log.info("process %s: %s", key, outcome.status)
    if outcome.status == "failed":
        raise DocumentFailedError(f"{key}: {describe(outcome)}")
    return outcome.status


@task(name="docflow.process_batch", bind=True, base=DocflowTask)
def process_batch(
    self: Any, keys: list[str], force: bool = False, checked: bool = False
) -> dict[str, str]:
    """Enrich several inputs with one pass of the model; if the batch goes wrong, each alone.

    Sweep and reprocess send these. Each key's outcome is its own, as in process; a key
    that meets a transient error, and every key of a batch that killed its worker or ran
    out of time, is sent on as a process task of its own, with that task's attempts,
    delivery count and time limit, so one bad document never costs the others. The result
    maps each key to its outcome; with any key failed, the task fails listing them all.
    """
    settings = get_settings()
    inbox, outbox = stores(settings)
    batch = batch_name(keys)
    # Sending keys on needs Redis too: it fails as a whole, giving the message back.
    with _broker_lost(batch):
        with delivery(batch, "", settings) as lost:
            if lost:
                return _alone(keys, force, f"{lost} earlier deliveries never finished")
            try:
                results = process_keys(
                    inbox,
                    outbox,
                    keys,
                    settings,
                    force=force,
                    checked=checked,
                    passthrough=self.passthrough,
                )
            except SoftTimeLimitExceeded:
                return _alone(keys, force, timeout_error(settings.task_soft_time_limit).message)
        outcomes = {}
        for key, result in zip(keys, results, strict=True):
            if isinstance(result, TransientError):
                log.warning("process %s: %s; sending it on alone", key, result)
                outcomes[key] = _SENT_ON
            else:
                log.info("process %s: %s", key, result.status)
                outcomes[key] = describe(result)
        for key, outcome in outcomes.items():
            if outcome == _SENT_ON:
                process.apply_async((key,), {"force": force}, countdown=settings.retry_backoff)
    failed = sum(outcome.startswith("failed") for outcome in outcomes.values())
    if failed:
        listed = "; ".join(f"{key}: {outcome}" for key, outcome in outcomes.items())
        raise DocumentFailedError(f"{failed} of {len(keys)} failed: {listed}")
    return outcomes


def batch_name(keys: list[str]) -> str:
    """What a batch's deliveries are counted under (tasks.deliveries), from its keys."""
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()
    return f"batch:{digest[:16]}"


_SENT_ON = "sent on alone"


def _alone(keys: list[str], force: bool, why: str) -> dict[str, str]:
    """Send every key of a batch on as a process task of its own."""
    log.warning("batch of %d from %s: %s; sending each key alone", len(keys), keys[0], why)
    for key in keys:
        process.apply_async((key,), {"force": force})
    return dict.fromkeys(keys, _SENT_ON)


@contextmanager
def _broker_lost(key: str) -> Iterator[None]:
    """Give the message back when Redis fails mid-task, rather than let Celery ack it."""
    try:
        yield
    except (redis.RedisError, OperationalError) as error:
        # A task that raises is acknowledged (acks_on_failure), which here would drop a
        # document with no output. Requeued, or left unacknowledged if even that fails, it
        # comes back once Redis does.
        log.warning("process %s: broker unavailable (%s); giving the message back", key, error)
        raise Reject(error, requeue=True) from error


def _deliver(
    task: Any,
    inbox: Store,
    outbox: Store,
    info: ObjectInfo,
    settings: Settings,
    *,
    force: bool,
    checked: bool,
    recorded: bool = True,
) -> Outcome:
    """process_key within this delivery's count: WORKER_LOST past the budget, TIMEOUT on the
    soft time limit, a TransientError raised for the task's retries."""
    key, attempt = info.key, task.request.retries + 1
    with delivery(key, info.etag, settings) as lost:
        if lost >= settings.max_deliveries:
            message = f"the worker process died on each of {lost} deliveries"
            error, attempts = DocflowError(Code.WORKER_LOST, message, "process"), lost
        else:
            try:
                return process_key(
                    inbox,
                    outbox,
                    key,
                    settings,
                    attempt=attempt,
                    force=force,
                    checked=checked,
                    known=info,
                    unrecorded=() if recorded else (key,),
                    passthrough=task.passthrough,
                )
            except SoftTimeLimitExceeded:
                error, attempts = timeout_error(settings.task_soft_time_limit), attempt
    source = source_of(info, inbox.bucket)
    return record_failure(
        outbox, source, info.etag, error, doc_id=None, attempts=attempts, settings=settings
    )


@dataclass(frozen=True, slots=True)
class Reprocessed:
    """What a reprocess did: keys queued, skipped as current, and not found."""

    queued: int
    current: int
    missing: int


def start_reprocess(
    selection: Selection,
    force: bool,
    settings: Settings,
    sent: Callable[[int], None] = lambda _: None,
) -> Reprocessed:
    """Queue process for every selected input that needs it; what was queued and skipped."""
    inbox, outbox = stores(settings)
    verdicts: Counter[Verdict] = Counter()

    def queued() -> Iterator[str]:
        for key, verdict in select(selection, inbox, outbox, settings, force=force):
            verdicts[verdict] += 1
            if verdict == "queue":
                yield key
            else:
                log.info("reprocess %s: %s", key, verdict)

    # Each queued input was just seen without a current output: the worker reads it at once.
    kwargs = {"force": True} if force else {"checked": True}
    count = _enqueue_process(queued(), settings, kwargs, sent=sent)
    return Reprocessed(count, verdicts["current"], verdicts["missing"])


def start_sweep(
    settings: Settings, *, wait: bool = True, sent: Callable[[int], None] = lambda _: None
) -> int:
    """Queue process for every input whose output is missing or older; how many were queued."""
    # The listing already did ingest's check (the output is missing or older), so these go
    # straight to the NLP queue and read each input at once (checked=True); one whose output
    # became current in the meantime is made again, the same document.
    inbox, outbox = stores(settings)
    keys = unprocessed(inbox, outbox)
    return _enqueue_process(keys, settings, {"checked": True}, wait=wait, sent=sent)


def _enqueue_process(
    keys: Iterable[str],
    settings: Settings,
    kwargs: dict[str, Any],
    *,
    wait: bool = True,
    sent: Callable[[int], None],
) -> int:
    """Queue keys for the NLP workers, batch_docs keys to a message (a lone key as process)."""
    batch = (process_batch, settings.batch_docs)
    return enqueue(
        process, keys, PROCESS_QUEUE, settings, kwargs, batch=batch, wait=wait, sent=sent
    )


@task(name="docflow.reprocess", typing=False, throws=(SelectionError,), **_BULK)
def reprocess(*args: Any, **options: Any) -> dict[str, int]:
    """Queue process for one key, a prefix, stale or failed inputs, or all of them.

    Takes the CLI's words as keyword arguments (key, prefix, stale, failed, all, force),
    checked here rather than by Celery's signature check, which would fail in the caller
    (Flower's API answers 500 with no body) instead of as this task's FAILURE.
    """
    selection, force = from_options(args, options)
    done = start_reprocess(selection, force, get_settings())
    log.info("reprocess %s (force=%s): %s", selection, force, done)
    return asdict(done)


@task(name="docflow.sweep", **_BULK)
def sweep() -> int:
    """Queue processing of inputs whose output is missing or older than the input."""
    # wait=False: this task runs on the queue it fills, so it must not wait for it to drain.
    count = start_sweep(get_settings(), wait=False)
    log.info("sweep: queued %d", count)
    return count
