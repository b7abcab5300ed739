"""Direct Redis access beside Celery: queue depths, delivery counts and the event list."""

import os
from functools import lru_cache

import redis

from workers.settings import Settings


def redis_client(settings: Settings) -> redis.Redis:
    """This process's client for the broker's Redis, made on first use."""
    # Keyed by pid as well: a prefork worker child must not reuse its parent's sockets.
    return _client(settings.broker_url, os.getpid())


@lru_cache(maxsize=4)
def _client(url: str, pid: int) -> redis.Redis:
    # Timeouts keep a dead Redis from hanging a task or the bridge past its own limits.
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=5)


def queue_depth(settings: Settings, queue: str) -> int:
    """Messages waiting in a Celery queue (kombu keeps each queue as a Redis list)."""
    return int(redis_client(settings).llen(queue))
