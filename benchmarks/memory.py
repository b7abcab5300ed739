"""Memory: resident set of one process running the pipeline over ever-new vocabulary.

Usage: python -m benchmarks.memory [--docs N] [--warm-up W] [--french-every K]
                                   [--no-memory-zone] [-v]
       (full size: --docs 5000)

The process loads the model, enriches W documents (warm-up), then keeps going to N, each
through workers.batch.process_key over LocalStores like a worker. Every document carries a
paragraph of synthetic names and words no other has. Every K-th document (4th by default;
0 for none) is a French article of tests/fixtures/languages instead, so the process holds
both the English and the French model, each with its own vocabulary, as a worker that
meets both languages does. Each input is written just before it
is processed and both files are deleted after, so the corpus itself never sits in memory.
RSS is VmRSS from /proc/self/status; the string table's cells (live words and the
tombstones spaCy's memory zones leave) show when docflow loads its model afresh.
--no-memory-zone swaps spaCy's memory_zone for a no-op, and turns those reloads off, to
show what the zone saves.
"""

import contextlib
import logging
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import arguments, docflow_model, rss_mb, setup_logging, table
from benchmarks.corpus import Input, describe, varied_input, varied_paragraph
from workers import nlp as nlp_module
from workers.batch import process_key
from workers.local import LocalStore
from workers.outputs import ENRICHED_PREFIX, output_key
from workers.settings import get_settings

DEFAULT_DOCS = 1000
FULL_DOCS = 5000
WARM_UP = 50
CHECKPOINTS = 10
TARGET_MB = 400.0
TARGET_GROWTH = 5.0
FRENCH_EVERY = 4
FRENCH = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "languages" / "fr_sommet.txt"
log = logging.getLogger("benchmarks")


@dataclass(frozen=True, slots=True)
class Sample:
    """The process's state after some documents."""

    documents: int
    rss_mb: float
    strings: int
    table_cells: int | None


@dataclass(frozen=True, slots=True)
class MemoryResult:
    """Samples from warm-up to the last document."""

    memory_zone: bool
    samples: tuple[Sample, ...]

    @property
    def growth(self) -> float:
        """RSS growth from the end of warm-up to the end, in percent."""
        warm, last = self.samples[0].rss_mb, self.samples[-1].rss_mb
        return 100 * (last - warm) / warm


def _sample(documents: int) -> Sample:
    # The model the next document would get: the one loaded last.
    nlp = docflow_model(get_settings())
    return Sample(documents, rss_mb(), len(nlp.vocab.strings), nlp_module.table_cells(nlp))


def measure(
    documents: int,
    warm_up: int,
    memory_zone: bool,
    workdir: Path,
    french_every: int = FRENCH_EVERY,
) -> MemoryResult:
    """Enrich documents one by one, sampling RSS after warm-up and at even steps after."""
    # No reference to the model is held here: one the pipeline replaces must be freed.
    with _zone(memory_zone):
        return MemoryResult(memory_zone, _run(documents, warm_up, workdir, french_every))


def _input(index: int, french_every: int) -> Input:
    """Document number index: a French article every french_every-th, else an English one."""
    if french_every and index % french_every == french_every - 1:
        text = f"{FRENCH.read_text('utf-8')}\n\n{varied_paragraph(index)}\n"
        return Input(f"{index:05d}_fr.txt", text.encode("utf-8"))
    return varied_input(index)


@contextlib.contextmanager
def _zone(on: bool) -> Iterator[None]:
    """Leave memory_zone alone, or shadow it with a no-op (and no reloads) for the duration."""
    if on:
        yield
        return
    nlp = docflow_model(get_settings())  # with no reloads, the one model of the whole run
    vars(nlp)["memory_zone"] = contextlib.nullcontext
    growth, nlp_module.MAX_TABLE_GROWTH = nlp_module.MAX_TABLE_GROWTH, sys.maxsize
    try:
        yield
    finally:
        del vars(nlp)["memory_zone"]
        nlp_module.MAX_TABLE_GROWTH = growth


def _run(documents: int, warm_up: int, workdir: Path, french_every: int) -> tuple[Sample, ...]:
    settings = get_settings()
    inbox, outbox = LocalStore(workdir / "in"), LocalStore(workdir / "out")
    inbox.root.mkdir(parents=True, exist_ok=True)
    step = max(1, (documents - warm_up) // CHECKPOINTS)
    samples = []
    for index in range(documents):
        item = _input(index, french_every)
        (inbox.root / item.key).write_bytes(item.data)
        outcome = process_key(inbox, outbox, item.key, settings)
        if outcome.status != "enriched":
            raise RuntimeError(f"{item.key} was {outcome.status} ({outcome.code})")
        inbox.delete(item.key)
        outbox.delete(output_key(ENRICHED_PREFIX, item.key))
        done = index + 1
        if done == warm_up or (done > warm_up and (done - warm_up) % step == 0):
            samples.append(_sample(done))
            log.info("%d documents: %.1f MB", done, samples[-1].rss_mb)
    if samples[-1].documents != documents:
        samples.append(_sample(documents))
    return tuple(samples)


def report(result: MemoryResult) -> str:
    """The RSS table, growth and targets."""
    warm, last = result.samples[0], result.samples[-1]
    zone = "on" if result.memory_zone else "off"
    title = f"Resident memory of one pipeline process (memory_zone {zone})"
    rows = [
        (s.documents, s.rss_mb, s.rss_mb - warm.rss_mb, s.strings, s.table_cells or "?")
        for s in result.samples
    ]
    columns = ["documents", "RSS MB", "vs warm-up MB", "vocab strings", "string table cells"]
    return (
        f"{table(title, columns, rows)}\n"
        f"after warm-up ({warm.documents} docs): {warm.rss_mb:.1f} MB (target <= {TARGET_MB:.0f})"
        f"\nafter {last.documents} docs: {last.rss_mb:.1f} MB, growth {result.growth:+.2f}% "
        f"(target <= {TARGET_GROWTH:.0f}%)"
    )


def main() -> None:
    """Parse flags, measure, print."""
    parser = arguments(__doc__, DEFAULT_DOCS, FULL_DOCS, alternating=False)
    parser.add_argument("--warm-up", type=int, default=WARM_UP, help="documents before the base")
    parser.add_argument(
        "--french-every",
        type=int,
        default=FRENCH_EVERY,
        help="every K-th document French (0: English only)",
    )
    parser.add_argument(
        "--no-memory-zone", action="store_true", help="run without spaCy's memory_zone"
    )
    args = parser.parse_args()
    setup_logging(args.verbose)
    print(describe("varied", args.docs))
    with tempfile.TemporaryDirectory(prefix="docflow-memory-") as workdir:
        result = measure(
            args.docs, args.warm_up, not args.no_memory_zone, Path(workdir), args.french_every
        )
    print(report(result))


if __name__ == "__main__":
    main()
