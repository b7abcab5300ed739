"""What ingest hands process of the input it saw, so process need not ask S3 again."""

from typing import Any

import pytest

from tasks.service import _seen, seen_of
from workers.store import ObjectInfo

INFO = ObjectInfo("a.txt", "e1", 12, "2026-12-02T10:00:00+00:00", "text/plain")


@pytest.mark.parametrize("recorded", [False, True])
def test_service_seen_round_trips_through_a_json_message(recorded: bool) -> None:
    seen = seen_of(INFO, recorded)
    assert _seen("a.txt", seen) == (INFO, recorded)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"etag": 5}, "seen's etag is 5"),
        ({"size": "12"}, "seen's size is '12'"),
        ({"recorded": "no"}, "seen must hold"),
        ({"extra": 1}, "seen must hold"),
    ],
    ids=["etag", "size", "recorded", "extra"],
)
def test_service_seen_names_what_is_wrong(change: dict[str, Any], words: str) -> None:
    with pytest.raises(TypeError, match=words):
        _seen("a.txt", seen_of(INFO, False) | change)
