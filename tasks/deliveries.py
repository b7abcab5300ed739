"""Count the deliveries of one input that never finished, to stop a poison document."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from tasks.broker import redis_client
from workers.settings import Settings

log = logging.getLogger(__name__)

# Long enough to span every redelivery of one message, short enough to tidy itself up.
_TTL_SECONDS = 86_400


@dataclass(slots=True)
class Delivery:
    """One delivery of an input version, and how many before it never finished."""

    client: redis.Redis
    counter: str
    count: int
    open: bool = True

    @property
    def lost_before(self) -> int:
        """Earlier deliveries whose worker died before they ended."""
        return self.count - 1

    def close(self, *, reset: bool = False) -> None:
        """End this delivery; reset also forgets the lost ones (after a failure record)."""
        if self.open:
            if reset:
                self.client.delete(self.counter)
            else:
                self.client.decr(self.counter)
        self.open = False


@contextmanager
def delivery(key: str, etag: str, settings: Settings) -> Iterator[Delivery]:
    """Count this delivery of key at etag in Redis until it ends.

    A delivery that ends, normally or by an exception, takes itself back off the count; one
    whose process is killed (out of memory, segfault, hard time limit) cannot, so the count
    grows by one each time the same document kills a worker.
    """
    client = redis_client(settings)
    counter = f"docflow:deliveries:{etag}:{key}"
    with client.pipeline() as pipe:
        pipe.incr(counter)
        pipe.expire(counter, _TTL_SECONDS)
        current = Delivery(client, counter, int(pipe.execute()[0]))
    if current.lost_before:
        log.warning("%s: %d earlier deliveries never finished", key, current.lost_before)
    try:
        yield current
    finally:
        current.close()
