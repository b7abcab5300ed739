"""Publish many tasks in chunks, waiting whenever the queue is already deep."""

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from tasks.broker import queue_depth
from workers.settings import Settings

log = logging.getLogger(__name__)

_POLL_SECONDS = 1.0


def chunks(keys: Iterable[str], size: int) -> Iterator[list[str]]:
    """Consecutive lists of at most size keys."""
    iterator = iter(keys)
    while chunk := list(islice(iterator, size)):
        yield chunk


def enqueue(
    task: Any,
    keys: Iterable[str],
    queue: str,
    settings: Settings,
    kwargs: dict[str, Any] | None = None,
    *,
    batch: tuple[Any, int] | None = None,
    wait: bool = True,
    sent: Callable[[int], None] = lambda _: None,
) -> int:
    """Send task(key, **kwargs) for every key, chunk by chunk; the number of keys sent.

    With batch (batch_task, size), keys go size to a message as batch_task([key, ...],
    **kwargs), and only a key left on its own goes as task(key). While the queue holds
    max_backlog messages it waits for room, or with wait=False stops there (a task feeding
    its own queue would otherwise wait on itself).
    """
    batch_task, size = batch or (task, 1)
    total = 0
    for chunk in chunks(keys, settings.enqueue_chunk * size):
        if not _room(settings, queue, wait=wait):
            log.warning("%s is full; stopped after %d keys, the rest come next time", queue, total)
            break
        # One pooled connection per chunk rather than one per message.
        with task.app.producer_or_acquire() as producer:
            for group in chunks(chunk, size):
                if len(group) == 1:
                    task.apply_async((group[0],), kwargs or {}, producer=producer)
                else:
                    batch_task.apply_async((group,), kwargs or {}, producer=producer)
        total += len(chunk)
        sent(len(chunk))
    return total


def _room(settings: Settings, queue: str, *, wait: bool) -> bool:
    # Backpressure: a million-key reprocess must not sit in Redis memory all at once
    # (compose runs it with noeviction, so a full Redis would refuse new work).
    depth = queue_depth(settings, queue)
    if depth >= settings.max_backlog and wait:
        log.info("%s holds %d tasks; waiting for it to drain", queue, depth)
    while depth >= settings.max_backlog and wait:
        time.sleep(_POLL_SECONDS)
        depth = queue_depth(settings, queue)
    return depth < settings.max_backlog
