import os
import re
from pathlib import Path

import pytest

from workers.local import LocalStore
from workers.outputs import (
    ENRICHED_PREFIX,
    FAILED_PREFIX,
    input_and_current,
    output_key,
    write_output,
)
from workers.selection import Selection, SelectionError, from_options, select, unprocessed
from workers.settings import Settings

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


Q, C, M = "queue", "current", "missing"


@pytest.mark.parametrize(
    ("selection", "force", "expected"),
    [
        (Selection(key="b/bad.txt"), False, [("b/bad.txt", Q)]),
        (Selection(key="a/done.txt"), False, [("a/done.txt", C)]),
        (Selection(key="a/done.txt"), True, [("a/done.txt", Q)]),
        (Selection(key="a/gone.txt"), False, [("a/gone.txt", M)]),
        (Selection(key="enriched/a/done.txt.json"), True, [("enriched/a/done.txt.json", M)]),
        (Selection(prefix="a/"), False, [("a/done.txt", C), ("a/new.txt", Q), ("a/old.txt", Q)]),
        (Selection(prefix="a/"), True, [("a/done.txt", Q), ("a/new.txt", Q), ("a/old.txt", Q)]),
        (Selection(prefix="zzz/"), False, []),
        (
            Selection(stale=True),
            True,
            list(zip(sorted(INPUTS), [C, Q, Q, C, C], strict=True)),
        ),
        (Selection(failed=True), False, [("b/bad.txt", Q)]),
        (
            Selection(all=True),
            False,
            list(zip(sorted(INPUTS), [C, Q, Q, Q, C], strict=True)),
        ),
    ],
    ids=[
        "key-failed",
        "key-current",
        "key-current-force",
        "key-gone",
        "output-key",
        "prefix",
        "prefix-force",
        "empty-prefix",
        "stale-force",
        "failed",
        "all",
    ],
)
def test_selection_select_says_what_to_do_with_each_input(
    stores: tuple[LocalStore, LocalStore],
    selection: Selection,
    force: bool,
    expected: list[tuple[str, str]],
) -> None:
    assert list(select(selection, *stores, SETTINGS, force=force)) == expected


def test_selection_select_finds_a_failed_input_gone(stores: tuple[LocalStore, LocalStore]) -> None:
    inbox, outbox = stores
    (inbox.root / "b" / "bad.txt").unlink()
    assert list(select(Selection(failed=True), inbox, outbox, SETTINGS)) == [("b/bad.txt", M)]


@pytest.mark.parametrize(
    ("args", "options", "expected"),
    [
        ((), {"prefix": "2024/", "force": True}, (Selection(prefix="2024/"), True)),
        ((), {"key": "a.txt"}, (Selection(key="a.txt"), False)),
        ((), {"failed": True, "force": False}, (Selection(failed=True), False)),
    ],
)
def test_selection_from_options_reads_the_task_arguments(
    args: tuple[object, ...], options: dict[str, object], expected: tuple[Selection, bool]
) -> None:
    assert from_options(args, options) == expected


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        ((), {"prefx": "2024/"}, "unknown argument 'prefx'; it takes key, prefix, stale"),
        ((), {"prefix": "a/", "forse": True}, "unknown argument 'forse'"),
        (("a.txt",), {}, "keyword arguments only"),
        ((), {"key": 7}, "key must be a string, not 7"),
        ((), {"all": "yes"}, "all must be true or false, not 'yes'"),
        ((), {}, "exactly one"),
        ((), {"key": "a", "all": True}, "exactly one"),
    ],
)
def test_selection_from_options_names_what_is_wrong(
    args: tuple[object, ...], options: dict[str, object], message: str
) -> None:
    with pytest.raises(SelectionError, match=re.escape(message)):
        from_options(args, options)


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


@pytest.mark.parametrize(
    ("key", "exists", "current", "recorded"),
    [
        ("a/new.txt", True, False, False),
        ("a/done.txt", True, True, False),
        ("a/old.txt", True, False, False),
        ("b/bad.txt", True, True, True),
        ("a/gone.txt", False, False, False),
    ],
)
def test_selection_input_and_current_says_what_ingest_saw(
    stores: tuple[LocalStore, LocalStore], key: str, exists: bool, current: bool, recorded: bool
) -> None:
    inbox, outbox = stores
    looked = input_and_current(inbox, outbox, key, SETTINGS)
    assert (looked.info is not None, looked.current, looked.recorded) == (
        exists,
        current,
        recorded,
    )
