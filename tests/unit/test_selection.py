import os
from pathlib import Path

import pytest

from tasks.jobs import write_output
from tasks.selection import Selection, select, unprocessed
from workers.settings import Settings
from workers.store import ENRICHED_PREFIX, FAILED_PREFIX, LocalStore, output_key

SETTINGS = Settings()
# Input key -> which output it has: none, current (this etag), stale (another etag), failed.
INPUTS = {
    "a/new.txt": None,
    "a/done.txt": "current",
    "a/old.txt": "stale",
    "b/bad.txt": "failed",
    "b/done.txt": "current",
}


@pytest.fixture
def stores(tmp_path: Path) -> tuple[LocalStore, LocalStore]:
    inbox, outbox = LocalStore(tmp_path / "in"), LocalStore(tmp_path / "out")
    for key, output in INPUTS.items():
        inbox.put(key, key.encode(), "text/plain")
        if output is None:
            continue
        info = inbox.head(key)
        assert info is not None
        etag = "another-etag" if output == "stale" else info.etag
        prefix = FAILED_PREFIX if output == "failed" else ENRICHED_PREFIX
        write_output(outbox, prefix, key, b"{}", etag, settings=SETTINGS)
    return inbox, outbox


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (Selection(key="b/bad.txt"), ["b/bad.txt"]),
        (Selection(key="enriched/a/done.txt.json"), []),
        (Selection(prefix="a/"), ["a/done.txt", "a/new.txt", "a/old.txt"]),
        (Selection(prefix="zzz/"), []),
        (Selection(stale=True), ["a/new.txt", "a/old.txt"]),
        (Selection(failed=True), ["b/bad.txt"]),
        (Selection(all=True), sorted(INPUTS)),
    ],
    ids=["key", "output-key", "prefix", "empty-prefix", "stale", "failed", "all"],
)
def test_selection_select_picks_the_inputs_asked_for(
    stores: tuple[LocalStore, LocalStore], selection: Selection, expected: list[str]
) -> None:
    assert list(select(selection, *stores, SETTINGS)) == expected


@pytest.mark.parametrize(
    "chosen",
    [{}, {"key": "a", "prefix": "b"}, {"stale": True, "failed": True}, {"all": True, "key": "a"}],
)
def test_selection_needs_exactly_one_selector(chosen: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Selection(**chosen)  # type: ignore[arg-type]


def test_selection_unprocessed_is_missing_or_older_outputs(
    stores: tuple[LocalStore, LocalStore],
) -> None:
    inbox, outbox = stores
    # The input changed after its output was made.
    path = outbox.root / output_key(ENRICHED_PREFIX, "b/done.txt")
    os.utime(path, (1_000_000_000, 1_000_000_000))
    # Outputs in the input bucket are never inputs themselves.
    inbox.put(output_key(ENRICHED_PREFIX, "x.txt"), b"{}", "application/json")
    assert list(unprocessed(inbox, outbox)) == ["a/new.txt", "b/done.txt"]
