"""The one failure policy of docflow's document tasks, declared on their base class.

A TransientError (storage out of reach) is retried by Celery itself (autoretry_for), with
its exponential backoff; once the attempts are spent, on_failure leaves what the task says
is left (a STORAGE record, or ingest's hand-over to process). A document that ended as a
failure record raises DocumentFailedError: FAILURE in Flower, acknowledged, not retried.
"""

import inspect
import logging
from collections.abc import Mapping
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from workers.errors import TransientError
from workers.pipeline import Passthrough
from workers.settings import get_settings

log = logging.getLogger(__name__)

_settings = get_settings()


class DocumentFailedError(Exception):
    """Documents that ended as failure records: their task ends in FAILURE, naming each code.

    Raised only after every record is written, and acknowledged like any other outcome
    (task_acks_on_failure): the record is the outcome, so nothing retries or redelivers it.
    """


class DocflowTask(Task):  # type: ignore[misc]  # Celery ships no annotations
    """Retries, their timing and their budget for every task that works on documents."""

    autoretry_for = (TransientError,)
    max_retries = _settings.max_attempts - 1
    retry_backoff = _settings.retry_backoff
    retry_backoff_max = _settings.retry_backoff_max
    # Celery's jitter is full jitter, a wait anywhere from 0 to the delay, which could spend
    # every attempt inside a three-second S3 outage: each wait here is the whole delay.
    retry_jitter = False
    # Expected ends: Celery logs them in one line, without a traceback, as no bug.
    throws = (DocumentFailedError, TransientError)
    # What the pipeline lets through as control flow (workers.pipeline.Passthrough): the
    # soft time limit says nothing of the document it struck.
    passthrough: Passthrough = (SoftTimeLimitExceeded,)

    def on_retry(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        """Say which attempt failed, and why, in the task's own log."""
        what, attempt = _what(self.called(args, kwargs)), self.request.retries + 1
        log.warning("%s %s: %s; retry %d of %d", self.name, what, exc, attempt, self.max_retries)

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        """Once a transient error has spent every attempt, leave what the task leaves."""
        if isinstance(exc, TransientError):
            self.out_of_attempts(exc, self.request.retries + 1, self.called(args, kwargs))

    def called(self, args: Any, kwargs: Any) -> Mapping[str, Any]:
        """The task's arguments by name, defaults included."""
        call = inspect.signature(self.run).bind(*args, **kwargs)
        call.apply_defaults()
        return call.arguments

    def out_of_attempts(
        self, error: TransientError, attempts: int, call: Mapping[str, Any]
    ) -> None:
        """What a task leaves behind when storage stayed out of reach (call: its arguments
        by name); by default only a line in the log."""
        log.warning("%s %s: %s; out of attempts", self.name, _what(call), error)


def _what(call: Mapping[str, Any]) -> str:
    """What a task was called on, for its log: its key, or how many keys from which."""
    if "keys" in call:
        return f"batch of {len(call['keys'])} from {call['keys'][0]}"
    return str(call.get("key", ""))
