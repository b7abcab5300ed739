"""process_keys: a batch of inputs, the model run once, each key's outcome its own."""

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from spacy.language import Language

from workers import pipeline
from workers.batch import Outcome, process_key, process_keys
from workers.errors import Code, TransientError
from workers.local import LocalStore
from workers.model import Segmented
from workers.outputs import ENRICHED_PREFIX, FAILED_PREFIX, output_key
from workers.segment import Layout
from workers.settings import get_settings
from workers.store import ObjectInfo

ARTICLE = (
    "Angela Merkel met Emmanuel Macron in Paris on Monday. The two leaders spoke for an hour "
    "about trade, energy and the war in Ukraine, aides said afterwards.\n\n"
    "Macron said the talks had been useful. Merkel left for Berlin in the evening."
)


class FlakyStore(LocalStore):
    """A folder whose GET of some keys fails the way an S3 outage does."""

    def __init__(self, root: Path, broken: set[str]) -> None:
        super().__init__(root)
        self.broken = broken

    def get(self, key: str, max_bytes: int) -> tuple[bytes, ObjectInfo]:
        if key in self.broken:
            raise TransientError("connection reset", "read")
        return super().get(key, max_bytes)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(3):
        (folder / f"good{n}.txt").write_text(ARTICLE.replace("Monday", f"day {n}"))
    (folder / "empty.txt").write_text("   \n")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    return folder


def _output(outbox: LocalStore, prefix: str, key: str) -> dict[str, object] | None:
    path = outbox.root / output_key(prefix, key)
    return json.loads(path.read_text()) if path.exists() else None


def test_batch_batch_gives_each_key_its_own_outcome_in_order(inbox: Path, tmp_path: Path) -> None:
    outbox = LocalStore(tmp_path / "out")
    keys = ["good0.txt", "empty.txt", "good1.txt", "gone.txt", "binary.txt", "good2.txt"]
    results = process_keys(LocalStore(inbox), outbox, keys, get_settings())
    assert all(isinstance(r, Outcome) for r in results)
    assert [(r.key, r.status, r.code) for r in results if isinstance(r, Outcome)] == [
        ("good0.txt", "enriched", None),
        ("empty.txt", "failed", "EMPTY"),
        ("good1.txt", "enriched", None),
        ("gone.txt", "missing", None),
        ("binary.txt", "failed", "UNSUPPORTED_TYPE"),
        ("good2.txt", "enriched", None),
    ]
    for n in range(3):
        document = _output(outbox, ENRICHED_PREFIX, f"good{n}.txt")
        assert document is not None
        assert f"day {n}" in str(document["text"])
        timings = document["pipeline"]["timings_ms"]  # type: ignore[index]
        assert timings["segment"] > 0
    # The batch gives the same documents as one key at a time, apart from the clock.
    alone = LocalStore(tmp_path / "alone")
    process_key(LocalStore(inbox), alone, "good1.txt", get_settings())
    batched, single = (_output(box, ENRICHED_PREFIX, "good1.txt") for box in (outbox, alone))
    assert batched is not None and single is not None
    for document in (batched, single):
        del document["pipeline"]["processed_at"], document["pipeline"]["timings_ms"]  # type: ignore[attr-defined]
    assert batched == single


def test_batch_batch_hands_back_a_transient_error_and_finishes_the_rest(
    inbox: Path, tmp_path: Path
) -> None:
    outbox = LocalStore(tmp_path / "out")
    flaky = FlakyStore(inbox, {"good1.txt"})
    keys = ["good0.txt", "good1.txt", "good2.txt"]
    settings = get_settings()
    # The others are done the first time; the flaky key is handed back on every attempt,
    # the last one too: whether it gets another, or a record, is the caller's policy.
    for attempt, others in ((1, "enriched"), (settings.max_attempts, "skipped")):
        results = process_keys(flaky, outbox, keys, settings, attempt=attempt)
        assert isinstance(results[1], TransientError) and results[1].code == Code.STORAGE
        assert [r.status for r in results if isinstance(r, Outcome)] == [others, others]
        assert _output(outbox, FAILED_PREFIX, "good1.txt") is None
    # And once storage is back, the key goes through and its failure record goes.
    flaky.broken.clear()
    (done,) = process_keys(flaky, outbox, ["good1.txt"], settings)
    assert isinstance(done, Outcome) and done.status == "enriched"
    assert _output(outbox, FAILED_PREFIX, "good1.txt") is None


def test_batch_batch_model_failure_costs_only_the_document_that_caused_it(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline.segment_all

    def choke_on_day_1(layouts: Sequence[Layout], nlp: Language) -> list[Segmented]:
        if any("day 1" in layout.text for layout in layouts):
            raise RuntimeError("the model fell over")
        return real(layouts, nlp)

    monkeypatch.setattr(pipeline, "segment_all", choke_on_day_1)
    outbox = LocalStore(tmp_path / "out")
    keys = ["good0.txt", "good1.txt", "good2.txt"]
    results = process_keys(LocalStore(inbox), outbox, keys, get_settings())
    assert [(r.status, r.code) for r in results if isinstance(r, Outcome)] == [
        ("enriched", None),
        ("failed", "INTERNAL"),
        ("enriched", None),
    ]
    record = _output(outbox, FAILED_PREFIX, "good1.txt")
    assert record is not None
    assert record["error"] == {
        "code": "INTERNAL",
        "message": "RuntimeError: the model fell over",
        "stage": "segment",
    }


def test_batch_checked_reads_each_input_at_once(inbox: Path, tmp_path: Path) -> None:
    outbox = LocalStore(tmp_path / "out")
    settings = get_settings()
    process_keys(LocalStore(inbox), outbox, ["good0.txt"], settings)
    # Told each input needs work (as the sweep is), it neither HEADs nor skips: it redoes.
    results = process_keys(
        LocalStore(inbox), outbox, ["good0.txt", "gone.txt"], settings, checked=True
    )
    assert [(r.key, r.status) for r in results if isinstance(r, Outcome)] == [
        ("good0.txt", "enriched"),
        ("gone.txt", "missing"),
    ]
    # Without it, the current output is seen and kept.
    (kept,) = process_keys(LocalStore(inbox), outbox, ["good0.txt"], settings)
    assert isinstance(kept, Outcome) and kept.status == "skipped"


class CountingStore(LocalStore):
    """A folder that counts deletes, can fail them, and sees how many reads overlap."""

    def __init__(self, root: Path, *, meet: threading.Barrier | None = None) -> None:
        super().__init__(root)
        self.deletes: list[tuple[str, ...]] = []
        self.fail_deletes = False
        self.meet = meet  # every read waits here until all the barrier's parties arrive
        self.reading = 0
        self.most_reading = 0
        self.lock = threading.Lock()

    def delete(self, *keys: str) -> None:
        self.deletes.append(keys)
        if self.fail_deletes:
            raise TransientError("connection reset", "store")
        super().delete(*keys)

    def get(self, key: str, max_bytes: int) -> tuple[bytes, ObjectInfo]:
        with self.lock:
            self.reading += 1
            self.most_reading = max(self.most_reading, self.reading)
        try:
            if self.meet is not None:
                self.meet.wait()
            return super().get(key, max_bytes)
        finally:
            with self.lock:
                self.reading -= 1


def test_batch_batch_clears_old_failure_records_in_one_request(inbox: Path, tmp_path: Path) -> None:
    outbox = CountingStore(tmp_path / "out")
    settings = get_settings()
    keys = ["good0.txt", "empty.txt", "good1.txt", "good2.txt"]
    for key in keys:  # every document has failed before
        outbox.put(output_key(FAILED_PREFIX, key), b"{}", "application/json")
    results = process_keys(LocalStore(inbox), outbox, keys, settings)
    assert [r.status for r in results if isinstance(r, Outcome)] == [
        "enriched",
        "failed",
        "enriched",
        "enriched",
    ]
    assert outbox.deletes == [tuple(output_key(FAILED_PREFIX, f"good{n}.txt") for n in range(3))]
    assert [_output(outbox, FAILED_PREFIX, key) is None for key in keys] == [
        True,
        False,  # the document that failed again keeps its (new) record
        True,
        True,
    ]
    record = _output(outbox, FAILED_PREFIX, "empty.txt")
    assert record is not None and record["error"]["code"] == "EMPTY"  # type: ignore[index]


def test_batch_batch_failing_to_clear_old_records_is_never_a_failure(
    inbox: Path, tmp_path: Path
) -> None:
    outbox = CountingStore(tmp_path / "out")
    outbox.fail_deletes = True
    settings = get_settings()
    keys = ["good0.txt", "good1.txt"]
    for key in keys:
        outbox.put(output_key(FAILED_PREFIX, key), b"{}", "application/json")
    results = process_keys(LocalStore(inbox), outbox, keys, settings)
    # The outputs are current, and that is what counts: the stale records stay for now.
    assert [(r.status, r.code) for r in results if isinstance(r, Outcome)] == [
        ("enriched", None),
        ("enriched", None),
    ]
    assert all(_output(outbox, ENRICHED_PREFIX, key) is not None for key in keys)
    assert all(_output(outbox, FAILED_PREFIX, key) == {} for key in keys)
    # Once storage is back, the next run finds each output current and clears its record.
    outbox.fail_deletes = False
    results = process_keys(LocalStore(inbox), outbox, keys, settings)
    assert [r.status for r in results if isinstance(r, Outcome)] == ["skipped", "skipped"]
    assert all(_output(outbox, FAILED_PREFIX, key) is None for key in keys)


def test_batch_batch_reads_its_inputs_side_by_side(inbox: Path, tmp_path: Path) -> None:
    # Each read waits until four are in flight: one at a time, the barrier breaks instead.
    slow = CountingStore(inbox, meet=threading.Barrier(4, timeout=10))
    keys = ["good0.txt", "good1.txt", "good2.txt", "empty.txt"]
    results = process_keys(slow, LocalStore(tmp_path / "out"), keys, get_settings())
    assert len(results) == 4
    assert slow.most_reading == 4
    # One key is read on the caller's own thread.
    single = CountingStore(inbox)
    process_key(single, LocalStore(tmp_path / "one"), "good0.txt", get_settings())
    assert single.most_reading == 1


def test_batch_clears_no_failure_record_the_caller_saw_none_of(inbox: Path, tmp_path: Path) -> None:
    outbox = CountingStore(tmp_path / "out")
    settings = get_settings()
    outbox.put(output_key(FAILED_PREFIX, "good1.txt"), b"{}", "application/json")
    keys = ["good0.txt", "good1.txt"]
    results = process_keys(
        LocalStore(inbox), outbox, keys, settings, checked=True, unrecorded={"good0.txt"}
    )
    assert [r.status for r in results if isinstance(r, Outcome)] == ["enriched", "enriched"]
    # Only the key that may have a record costs a delete; the other's would find nothing.
    assert outbox.deletes == [(output_key(FAILED_PREFIX, "good1.txt"),)]
    assert _output(outbox, FAILED_PREFIX, "good1.txt") is None
    outbox.deletes.clear()
    process_keys(LocalStore(inbox), outbox, ["good0.txt"], settings, checked=True, unrecorded=keys)
    assert outbox.deletes == []  # nothing to clear: no request at all
