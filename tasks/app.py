"""The Celery app (`celery -A tasks.app`): broker, queues, routing and reliability settings."""

import logging
from collections.abc import Callable
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from workers.pipeline import warm
from workers.settings import Settings, get_settings

log = logging.getLogger(__name__)

INGEST_QUEUE = "docflow.ingest"
PROCESS_QUEUE = "docflow.process"


def celery_config(settings: Settings) -> dict[str, Any]:
    """Every Celery setting docflow relies on, each chosen for a reason."""
    # Redis redelivers a task whose message stays unacknowledged this long. A retry's
    # countdown plus one run under the hard limit must fit, or a healthy task runs twice.
    if settings.visibility_timeout <= settings.task_time_limit + settings.retry_backoff_max:
        raise ValueError(
            f"DOCFLOW_VISIBILITY_TIMEOUT={settings.visibility_timeout} must exceed "
            f"DOCFLOW_TASK_TIME_LIMIT + DOCFLOW_RETRY_BACKOFF_MAX "
            f"({settings.task_time_limit + settings.retry_backoff_max})"
        )
    return {
        "broker_url": settings.broker_url,
        "broker_transport_options": {
            "visibility_timeout": settings.visibility_timeout,
            # Each worker looks for messages a dead worker left unacknowledged this often.
            # kombu's default (every 10 s, scanning on every 10th look) adds up to 100 s to
            # the visibility timeout before another worker gets them; a tenth of it is enough.
            "unacked_restore_interval": max(1, min(60, settings.visibility_timeout // 10)),
            "unacked_restore_throttle": 1,
            # Restoring takes a lock; a worker SIGKILLed while holding it would block every
            # other worker's restore for kombu's default 300 s. A scan takes milliseconds.
            "unacked_mutex_expire": max(5, min(60, settings.visibility_timeout // 10)),
        },
        "broker_connection_retry_on_startup": True,
        # Acknowledge after the task, not before: a worker that dies mid-document leaves the
        # message to be redelivered. Safe because every task is idempotent (whole writes,
        # skip-if-current).
        "task_acks_late": True,
        # A child killed by the OOM killer or a segfault re-queues its message instead of
        # acknowledging it; tasks.deliveries bounds how often that may happen per document.
        "task_reject_on_worker_lost": True,
        # The same for a child killed at the hard time limit: Celery would acknowledge it
        # by default, and the document would end with no output at all. Requeued, it is
        # counted like any other lost delivery and ends as a WORKER_LOST record.
        "task_acks_on_timeout": False,
        # A task that raises is acknowledged (Celery's default, stated because FAILURE in
        # Flower relies on it): a document that ends as a failure record raises after the
        # record is written, and must not come back. Broker losses raise Reject instead.
        "task_acks_on_failure": True,
        # A task cut off by a lost broker connection is redelivered anyway: stop it rather
        # than let it finish beside its second copy.
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        # One message per child at a time: NLP tasks are long, so a prefetched message would
        # wait behind the current one while another worker sits idle.
        "worker_prefetch_multiplier": 1,
        # A soft limit raises inside the task so it can write a TIMEOUT failure record; the
        # hard limit kills a child stuck where the soft one cannot reach (C code).
        "task_soft_time_limit": settings.task_soft_time_limit,
        "task_time_limit": settings.task_time_limit,
        # S3 is the record of every outcome; a result backend would only duplicate it.
        "task_ignore_result": True,
        # JSON only: a pickled message from anyone who can write to Redis would run code.
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # A new child loads spaCy before it reports in (_warm_model), which on a busy host
        # took longer than Celery's 4 s wait for it: each child was killed as it loaded,
        # and replaced by another that was killed the same way.
        "worker_proc_alive_timeout": 120.0,
        # spaCy's memory grows with what it has read; replace a child past this size rather
        # than let the OOM killer pick a victim mid-document.
        "worker_max_memory_per_child": settings.worker_max_memory_kb,
        # Task events feed Flower's live view and its task API.
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        # I/O-bound ingest and CPU-bound NLP scale separately: one queue each.
        "task_queues": {
            name: {"exchange": name, "routing_key": name} for name in (INGEST_QUEUE, PROCESS_QUEUE)
        },
        "task_default_queue": INGEST_QUEUE,
        "task_routes": {
            name: {"queue": PROCESS_QUEUE} for name in ("docflow.process", "docflow.process_batch")
        },
        "beat_schedule": {
            "sweep": {
                "task": "docflow.sweep",
                "schedule": float(settings.sweep_interval),
                # A sweep that waited a whole interval is superseded by the next one.
                "options": {"expires": float(settings.sweep_interval)},
            }
        },
        "timezone": "UTC",
        "enable_utc": True,
    }


app = Celery("docflow", include=["tasks.service"])
app.conf.update(celery_config(get_settings()))


def task(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """app.task with a type mypy can check against (Celery ships no annotations)."""
    decorator: Callable[[Callable[..., Any]], Any] = app.task(**options)
    return decorator


def _warm_model(**_: Any) -> None:
    """Load spaCy in a new NLP child before its first task rather than during it."""
    # Ingest-only workers never run the pipeline: loading the model there only costs RAM.
    if PROCESS_QUEUE not in app.amqp.queues.consume_from:
        return
    log.info("worker child ready with model %s", warm(get_settings()))


worker_process_init.connect(_warm_model)
