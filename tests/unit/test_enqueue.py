"""enqueue: keys grouped into messages, a lone key as the single-key task."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tasks import enqueue as enqueue_module
from tasks.enqueue import enqueue
from workers.settings import Settings


class FakeTask:
    """Records what would be published; shares one fake app between tasks."""

    def __init__(self, name: str, sent: list[tuple[str, Any, dict[str, Any]]]) -> None:
        self.name, self.sent, self.app = name, sent, self

    @contextmanager
    def producer_or_acquire(self) -> Iterator[object]:
        yield object()

    def apply_async(self, args: tuple[Any, ...], kwargs: dict[str, Any], producer: object) -> None:
        self.sent.append((self.name, args[0], kwargs))


@pytest.fixture(autouse=True)
def _always_room(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(enqueue_module, "_room", lambda *_, **__: True)


def test_enqueue_groups_keys_and_sends_a_lone_key_alone() -> None:
    sent: list[tuple[str, Any, dict[str, Any]]] = []
    single, batch = FakeTask("process", sent), FakeTask("process_batch", sent)
    counted: list[int] = []
    keys = [f"k{n}" for n in range(7)]
    total = enqueue(
        single,
        keys,
        "q",
        Settings(enqueue_chunk=2),
        {"force": True},
        batch=(batch, 3),
        sent=counted.append,
    )
    assert total == 7
    assert sum(counted) == 7
    assert sent == [
        ("process_batch", ["k0", "k1", "k2"], {"force": True}),
        ("process_batch", ["k3", "k4", "k5"], {"force": True}),
        ("process", "k6", {"force": True}),
    ]


def test_enqueue_without_batches_sends_one_key_per_message() -> None:
    sent: list[tuple[str, Any, dict[str, Any]]] = []
    total = enqueue(FakeTask("process", sent), ["a", "b"], "q", Settings())
    assert total == 2
    assert sent == [("process", "a", {}), ("process", "b", {})]
