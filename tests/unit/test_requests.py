"""The store requests one document costs on each path, counted: each is a round trip to S3.

The tasks run eagerly against folder stores that count what they are asked, with the
delivery count (Redis) left out; tests/integration runs the same paths on a real worker.
"""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tasks import service
from workers.local import LocalStore
from workers.outputs import FAILED_PREFIX, output_key
from workers.settings import Settings
from workers.store import ObjectInfo

ARTICLE = (
    b"Harbour plan approved\n\nThe harbour authority said on Tuesday that the plan would "
    b"double the port's capacity by 2030, after two years of talks with the city.\n"
)


class _Counting(LocalStore):
    """A folder store that counts each request by its verb."""

    def __init__(self, root: Path, calls: Counter[str]) -> None:
        super().__init__(root)
        self.calls = calls

    def head(self, key: str) -> ObjectInfo | None:
        self.calls["HEAD"] += 1
        return super().head(key)

    def get(self, key: str, max_bytes: int) -> tuple[bytes, ObjectInfo]:
        self.calls["GET"] += 1
        return super().get(key, max_bytes)

    def put(
        self, key: str, data: bytes, content_type: str, metadata: dict[str, str] | None = None
    ) -> None:
        self.calls["PUT"] += 1
        super().put(key, data, content_type, metadata)

    def delete(self, *keys: str) -> None:
        self.calls["DELETE"] += 1
        super().delete(*keys)


@contextmanager
def _first_delivery(key: str, etag: str, settings: Settings) -> Iterator[int]:
    yield 0


@dataclass
class _Counted:
    """The requests made so far, and the process tasks ingest sent."""

    calls: Counter[str] = field(default_factory=Counter)
    sent: list[tuple[Any, Any]] = field(default_factory=list)

    def event(self) -> Counter[str]:
        """ingest then process, as a bucket event runs them; the requests of both."""
        assert service.ingest.apply(("a.txt",)).get() == "queued"
        ((args, kwargs),) = self.sent
        self.sent.clear()
        assert service.process.apply(args, kwargs).get() == "enriched"
        return self.calls


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> _Counted:
    counted = _Counted()
    inbox = _Counting(tmp_path / "in", counted.calls)
    outbox = _Counting(tmp_path / "out", counted.calls)
    (tmp_path / "in").mkdir(exist_ok=True)
    (tmp_path / "in" / "a.txt").write_bytes(ARTICLE)
    monkeypatch.setattr(service, "stores", lambda _: (inbox, outbox))
    monkeypatch.setattr(service, "delivery", _first_delivery)
    monkeypatch.setattr(
        service.process, "delay", lambda *args, **kwargs: counted.sent.append((args, kwargs))
    )
    return counted


def test_requests_new_document_from_an_event_costs_five(counted: _Counted) -> None:
    # Three HEADs at once (input, enriched, failed), then the GET and the PUT.
    assert counted.event() == {"HEAD": 3, "GET": 1, "PUT": 1}


def test_requests_an_event_for_a_document_that_failed_before_clears_its_record(
    counted: _Counted, tmp_path: Path
) -> None:
    LocalStore(tmp_path / "out").put(output_key(FAILED_PREFIX, "a.txt"), b"{}", "application/json")
    assert counted.event() == {"HEAD": 3, "GET": 1, "PUT": 1, "DELETE": 1}


def test_requests_an_event_for_a_current_output_costs_three_heads(counted: _Counted) -> None:
    counted.event()
    counted.calls.clear()
    assert service.ingest.apply(("a.txt",)).get() == "skipped"
    assert counted.calls == {"HEAD": 3}


def test_requests_process_of_a_key_alone_heads_input_and_output(counted: _Counted) -> None:
    # As `docflow reprocess --key` queues it (checked: read at once) and as a lone key is sent.
    assert service.process.apply(("a.txt",)).get() == "enriched"
    # HEAD of the input (for the delivery count's etag) and of the enriched output, the
    # GET, the PUT, and one DELETE for any old failure record, unseen.
    assert counted.calls == {"HEAD": 2, "GET": 1, "PUT": 1, "DELETE": 1}
