"""Count the deliveries of one input that never finished, to stop a poison document."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from tasks.broker import redis_client
from workers.settings import Settings

log = logging.getLogger(__name__)

# Long enough to span every redelivery of one message, short enough to tidy itself up.
_TTL_SECONDS = 86_400


def counter_key(key: str, etag: str) -> str:
    """The Redis key counting unfinished deliveries of one version of one input."""
    return f"docflow:deliveries:{etag}:{key}"


@contextmanager
def delivery(key: str, etag: str, settings: Settings) -> Iterator[int]:
    """Count this delivery of key at etag; yield how many earlier ones never finished.

    A delivery that ends, normally or by an exception, clears the count: the document let
    its worker live. One whose process is killed (out of memory, segfault, hard time limit)
    cannot, so the count grows by one each time the same document kills a worker.
    """
    client = redis_client(settings)
    counter = counter_key(key, etag)
    with client.pipeline() as pipe:
        pipe.incr(counter)
        pipe.expire(counter, _TTL_SECONDS)
        lost = int(pipe.execute()[0]) - 1
    if lost:
        log.warning("%s: %d earlier deliveries never finished", key, lost)
    try:
        yield lost
    except Exception:
        _clear(client, counter, key)
        raise
    # Not on SystemExit or KeyboardInterrupt: a child Celery terminates (a lost broker
    # connection, a revoke) never finished either, and Celery must see that exception, not
    # whatever a clean-up against a missing Redis would raise in its place.
    _clear(client, counter, key)


def _clear(client: redis.Redis, counter: str, key: str) -> None:
    try:
        client.delete(counter)
    except redis.RedisError as error:
        # The outcome is written already; a stale count only expires later.
        log.warning("%s: could not clear the delivery count: %s", key, error)
