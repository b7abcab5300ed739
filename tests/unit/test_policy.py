"""The one failure policy: Celery's own retries for a TransientError, then one record.

Eager runs (Task.apply) here check the policy's arithmetic without a broker; the fault
tests in tests/integration prove it on a real worker against a failing S3 endpoint.
"""

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tasks import service
from tasks.policy import DocflowTask
from workers.errors import Code, DocflowError, TransientError
from workers.local import LocalStore
from workers.settings import get_settings
from workers.store import ObjectInfo


class _Unreachable:
    """An inbox whose every request fails as an S3 outage does, counting them."""

    bucket = "in"

    def __init__(self) -> None:
        self.calls = 0

    def head(self, key: str) -> ObjectInfo | None:
        self.calls += 1
        raise TransientError(f"s3://in/{key}: 503 Slow Down", "store")

    get = list = delete = put = head  # type: ignore[assignment]


@pytest.fixture
def outage(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[_Unreachable, LocalStore]]:
    inbox, outbox = _Unreachable(), LocalStore(tmp_path / "out")
    monkeypatch.setattr(service, "stores", lambda _: (inbox, outbox))
    yield inbox, outbox


@pytest.mark.parametrize("task", [service.ingest, service.process, service.process_batch])
def test_policy_document_tasks_declare_celerys_retries(task: Any) -> None:
    settings = get_settings()
    assert isinstance(task, DocflowTask)
    assert task.autoretry_for == (TransientError,)
    assert task.max_retries == settings.max_attempts - 1
    assert (task.retry_backoff, task.retry_backoff_max) == (
        settings.retry_backoff,
        settings.retry_backoff_max,
    )
    assert task.retry_jitter is False  # each wait whole: see DocflowTask


def test_policy_process_spends_every_attempt_then_writes_one_storage_record(
    outage: tuple[_Unreachable, LocalStore],
) -> None:
    inbox, outbox = outage
    result = service.process.apply(("a/b.txt",))
    assert result.state == "FAILURE" and isinstance(result.result, TransientError)
    assert inbox.calls == get_settings().max_attempts
    (record,) = outbox.list("failed/")
    assert record.key == "failed/a/b.txt.json"
    data, _ = outbox.get(record.key, 10**6)
    assert b'"code": "STORAGE"' in data
    assert f'"attempts": {get_settings().max_attempts}'.encode() in data


def test_policy_ingest_out_of_attempts_hands_the_key_to_process(
    outage: tuple[_Unreachable, LocalStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, outbox = outage
    handed: list[tuple[Any, ...]] = []
    monkeypatch.setattr(service.process, "delay", lambda *args, **kwargs: handed.append(args))
    result = service.ingest.apply(("a/b.txt",), {"etag": "abc"})
    assert result.state == "FAILURE"
    assert inbox.calls == get_settings().max_attempts
    assert handed == [("a/b.txt",)]
    assert list(outbox.list()) == []  # process writes any record, after its own attempts


@pytest.mark.parametrize(
    "error",
    [TransientError("s3://in/a: 503", "read"), DocflowError(Code.EMPTY, "no text", "clean")],
)
def test_policy_errors_pickle_whole(error: DocflowError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert (back.code, back.message, back.stage, str(back)) == (
        error.code,
        error.message,
        error.stage,
        str(error),
    )
