"""`docflow run`'s work: batches of local files in replaceable worker processes, no broker."""

import itertools
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from workers.batch import Outcome, process_keys, record_failure
from workers.decode import doc_id_of
from workers.errors import Code, DocflowError, TransientError, timeout_error
from workers.local import LocalStore
from workers.model import Source
from workers.pipeline import warm
from workers.pool import Done, Lost, Pool, TimedOut
from workers.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Batch:
    """Keys of one input folder for one worker process, and everything it needs to run them."""

    inbox: Path
    outbox: Path
    keys: tuple[str, ...]
    force: bool
    settings: Settings


def run_batches(
    inputs: Sequence[tuple[LocalStore, str]],
    out: Path,
    settings: Settings,
    *,
    force: bool,
    jobs: int,
    advance: Callable[[int], None],
) -> list[Outcome]:
    """Each input's outcome, in input order; advance(n) as n more are settled.

    A batch past DOCFLOW_TASK_SOFT_TIME_LIMIT, or one whose worker process died, goes on
    key by key, so only the document that caused it ends as TIMEOUT or WORKER_LOST.
    """
    # Enough batches for every worker process, as long as the model's batches allow.
    size = max(1, min(settings.batch_docs, math.ceil(len(inputs) / max(1, jobs))))
    batches = list(_batches(inputs, size, out, force, settings))
    settled: dict[tuple[Path, str], Outcome] = {}
    ready = partial(warm, settings)
    limit = settings.task_soft_time_limit
    with Pool(work, min(jobs, len(batches)), limit, init=ready) as pool:
        for batch in batches:
            pool.submit(batch)
        for batch, result in pool.results():
            if isinstance(result, Done):
                settled.update(((batch.inbox, o.key), o) for o in result.value)
                advance(len(batch.keys))
            elif len(batch.keys) > 1:
                log.warning(
                    "batch of %d from %s: %s; sending each key alone",
                    len(batch.keys),
                    batch.keys[0],
                    _error(result, limit).message,
                )
                for key in batch.keys:
                    pool.submit(replace(batch, keys=(key,)))
            else:
                outcome = _record(batch, _error(result, limit))
                settled[(batch.inbox, outcome.key)] = outcome
                advance(1)
    return [settled[(inbox.root, key)] for inbox, key in inputs]


def work(batch: Batch) -> list[Outcome]:
    """process_keys in a worker process, trying again at once the keys a transient error stopped.

    Attempts are counted here, as the Celery tasks' retries count them there; a key still
    stopped after the last one gets its failure record.
    """
    inbox, outbox, settings = LocalStore(batch.inbox), LocalStore(batch.outbox), batch.settings
    done: dict[str, Outcome] = {}
    pending, stopped = list(batch.keys), dict[str, TransientError]()
    for attempt in range(1, settings.max_attempts + 1):
        results = process_keys(inbox, outbox, pending, settings, attempt=attempt, force=batch.force)
        settled = list(zip(pending, results, strict=True))
        done.update((key, result) for key, result in settled if isinstance(result, Outcome))
        stopped = {key: result for key, result in settled if isinstance(result, TransientError)}
        pending = list(stopped)
        if not pending:
            break
    for key, error in stopped.items():
        done[key] = record_failure(
            outbox,
            Source(key),
            "",
            error,
            doc_id=None,
            attempts=settings.max_attempts,
            settings=settings,
        )
    return [done[key] for key in batch.keys]


def _batches(
    inputs: Sequence[tuple[LocalStore, str]],
    size: int,
    out: Path,
    force: bool,
    settings: Settings,
) -> Iterator[Batch]:
    """Runs of up to size keys from the same folder, in input order."""
    for root, run in itertools.groupby(inputs, key=lambda item: item[0].root):
        keys = tuple(key for _, key in run)
        for start in range(0, len(keys), size):
            yield Batch(root, out, keys[start : start + size], force, settings)


def _error(result: TimedOut | Lost, limit: int) -> DocflowError:
    """The failure a document alone in its batch gets for a killed or lost worker process."""
    if isinstance(result, TimedOut):
        return timeout_error(limit)
    return DocflowError(Code.WORKER_LOST, result.reason, "process")


def _record(batch: Batch, error: DocflowError) -> Outcome:
    """The failure record of the one key of batch, written here: its worker is gone."""
    (key,) = batch.keys
    inbox, settings = LocalStore(batch.inbox), batch.settings
    doc_id, etag = None, ""
    try:
        data, info = inbox.get(key, settings.max_input_bytes)
        doc_id, etag = doc_id_of(data), info.etag
    except DocflowError:
        pass  # gone or too large since: the record says what is known
    return record_failure(
        LocalStore(batch.outbox),
        Source(key),
        etag,
        error,
        doc_id=doc_id,
        attempts=1,
        settings=settings,
    )
