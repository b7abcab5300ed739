"""What every benchmark shares: the NLP stage under test, interleaved timing, tables, RSS."""

import argparse
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from spacy.language import Language

from workers.language import identify
from workers.model import Cleaned, Segmented, Tagged
from workers.nlp import load_model, resolve_models
from workers.resolve import resolve
from workers.segment import lay_out, segment_all
from workers.settings import Settings

T = TypeVar("T")
ROUND_SIZE = 20


def docflow_model(settings: Settings) -> Language:
    """The lean English model docflow's workers load (ner alone), once per process."""
    return load_model(resolve_models(settings.spacy_models)["en"])


def nlp_stage(
    cleaned: Sequence[Cleaned], nlp: Language, settings: Settings, identifies: bool = True
) -> list[tuple[Segmented, Tagged]]:
    """docflow's language, segment and tag stages on a batch of documents of nlp's language,
    as the pipeline calls them; identifies=False leaves the language stage out."""
    layouts = [
        lay_out(identify(document) if identifies else document, settings.max_block_chars)
        for document in cleaned
    ]
    return [
        (segmented, resolve(segmented, settings.entity_labels))
        for segmented in segment_all(layouts, nlp)
    ]


def rounds(items: Sequence[T], size: int = ROUND_SIZE) -> list[Sequence[T]]:
    """items in consecutive chunks of size."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def interleaved(
    items: Sequence[T], size: int, runners: dict[str, Callable[[Sequence[T]], object]]
) -> dict[str, float]:
    """Seconds each runner spends over items in rounds of size, alternating who goes first.

    Running the contenders on the same round back to back, and reversing their order every
    round, spreads the machine's noise over all sides instead of one.
    """
    seconds = dict.fromkeys(runners, 0.0)
    names = list(runners)
    chunks = rounds(items, size)
    for index, chunk in enumerate(chunks):
        for name in names if index % 2 == 0 else reversed(names):
            started = time.perf_counter()
            runners[name](chunk)
            seconds[name] += time.perf_counter() - started
        logging.getLogger("benchmarks").info("round %d/%d done", index + 1, len(chunks))
    return seconds


def table(
    title: str, header: Sequence[str], rows: Iterable[Sequence[object]], digits: int = 3
) -> str:
    """A plain aligned text table, numbers right-aligned, fractions to `digits` places."""
    body = [list(row) for row in rows]
    cells = [list(header)] + [[_cell(value, digits) for value in row] for row in body]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    numeric = [all(isinstance(row[i], int | float) for row in body) for i in range(len(header))]
    lines = [title]
    for number, row in enumerate(cells):
        lines.append(
            "  ".join(
                cell.rjust(width) if right else cell.ljust(width)
                for cell, width, right in zip(row, widths, numeric, strict=True)
            ).rstrip()
        )
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _cell(value: object, digits: int) -> str:
    if isinstance(value, float):
        return f"{value:,.{digits}f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def rss_mb(pid: int | str = "self") -> float:
    """A process's resident memory in MB (VmRSS from /proc/PID/status), this one's by default."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def setup_logging(verbose: bool) -> None:
    """Progress lines on stderr when verbose, warnings only otherwise."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(name)s: %(message)s",
    )
    # docflow logs one line per document at INFO; keep the benchmark's own progress only.
    logging.getLogger("tasks").setLevel(logging.WARNING)
    logging.getLogger("workers").setLevel(logging.WARNING)


def arguments(
    doc: str, default_docs: int, full_docs: int, *, alternating: bool = True
) -> argparse.ArgumentParser:
    """The flags benchmarks take: --docs, -v and, where runs alternate, --round."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument(
        "--docs",
        type=int,
        default=default_docs,
        help=f"documents (default {default_docs}; full size {full_docs})",
    )
    if alternating:
        parser.add_argument(
            "--round", type=int, default=ROUND_SIZE, help="documents per alternating round"
        )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    return parser
