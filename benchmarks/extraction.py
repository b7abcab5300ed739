"""Article-extraction F1 of docflow's clean stage against plain trafilatura, on a labelled set.

Usage: python benchmarks/extraction.py [DATASET_DIR]

The metric is the article-extraction benchmark's own (see the data set's README): 4-token
shingles of \\w+ tokens, per-page TP/FP/FN normalised to sum 1, precision and recall averaged
over pages and F1 taken from the two means.
"""

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import trafilatura

# Run as a script, put the checkout (not benchmarks/) first on the path, as the other
# benchmarks do, so the workers measured are the ones in this tree.
if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from workers.clean import clean
from workers.model import Cleaned, Decoded, RawDocument, Source
from workers.read import decode
from workers.settings import Settings

DEFAULT_DATASET = Path(__file__).resolve().parents[2] / "shared/data/article-extraction-dev"
_TOKEN = re.compile(r"\w+")
_SHINGLE = 4


@dataclass(frozen=True, slots=True)
class Page:
    """One labelled page: its id, the bytes as fetched and the true article body."""

    id: str
    data: bytes
    truth: str


@dataclass(frozen=True, slots=True)
class Score:
    """Mean precision and recall over pages, and the F1 of the two means."""

    f1: float
    precision: float
    recall: float


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """Multiset of consecutive 4-token runs: 'a b c d e' -> {(a,b,c,d): 1, (b,c,d,e): 1}."""
    tokens = _TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + _SHINGLE]) for i in range(len(tokens) - _SHINGLE + 1))


def page_counts(predicted: str, truth: str) -> tuple[float, float, float]:
    """TP, FP and FN shares of one page's shingles, normalised to sum 1."""
    guess, gold = shingles(predicted), shingles(truth)
    tp = sum((guess & gold).values())
    fp = sum(guess.values()) - tp
    fn = sum(gold.values()) - tp
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (1.0, 0.0, 0.0)


def score(pairs: Iterable[tuple[str, str]]) -> Score:
    """Score (predicted, truth) text pairs the way the benchmark does."""
    precisions: list[float] = []
    recalls: list[float] = []
    for predicted, truth in pairs:
        tp, fp, fn = page_counts(predicted, truth)
        if fp == 0 and fn == 0:
            precisions.append(1.0)
            recalls.append(1.0)
            continue
        if tp + fp > 0:
            precisions.append(tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(tp / (tp + fn))
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(f1, precision, recall)


def load_pages(dataset: Path) -> list[Page]:
    """Pages of a data set laid out as html/<id>.html.gz plus ground-truth.json."""
    truth = json.loads((dataset / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(key, gzip.decompress((dataset / "html" / f"{key}.html.gz").read_bytes()), body)
        for key, body in sorted((k, v["articleBody"]) for k, v in truth.items())
    ]


def docflow_text(page: Page, settings: Settings) -> str:
    """The article text the pipeline would write, through the pipeline's own read and clean."""
    return _joined(clean(_read(page, settings)))


def _read(page: Page, settings: Settings) -> Decoded:
    return decode(RawDocument(Source(f"{page.id}.html"), page.data), settings)


def _joined(cleaned: Cleaned) -> str:
    return "\n\n".join(block.text for block in cleaned.blocks)


def trafilatura_text(page: Page) -> str:
    """trafilatura's text with its default options, from the same bytes."""
    return trafilatura.extract(page.data) or ""


@dataclass(frozen=True, slots=True)
class Run:
    """Scores of both extractors and seconds spent in each step, over the same pages."""

    docflow: Score
    trafilatura: Score
    seconds: dict[str, float]


def compare(pages: list[Page], settings: Settings) -> Run:
    """Run trafilatura and docflow page by page, alternating, so machine load hits both alike."""
    # One untimed pass first: lazy imports and per-process caches (trafilatura's TLD list,
    # compiled XPaths) cost a worker once, not per page, so neither tool pays them here.
    for page in pages:
        clean(_read(page, settings))
        trafilatura_text(page)
    seconds = dict.fromkeys(("trafilatura", "read", "clean"), 0.0)
    ours: list[str] = []
    theirs: list[str] = []
    for page in pages:
        started = time.perf_counter()
        theirs.append(trafilatura_text(page))
        read_at = time.perf_counter()
        decoded = _read(page, settings)
        clean_at = time.perf_counter()
        ours.append(_joined(clean(decoded)))
        seconds["trafilatura"] += read_at - started
        seconds["read"] += clean_at - read_at
        seconds["clean"] += time.perf_counter() - clean_at
    truths = [page.truth for page in pages]
    return Run(
        score(zip(ours, truths, strict=True)), score(zip(theirs, truths, strict=True)), seconds
    )


def _row(name: str, figures: tuple[float, float, float], speed: str, sign: str = "") -> str:
    return f"{name:16} " + " ".join(f"{x:{sign}7.4f}" for x in figures) + f" {speed:>8}"


def main() -> None:
    """Print F1, precision, recall and speed for docflow and trafilatura, and the gaps."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    pages = load_pages(parser.parse_args().dataset)
    result = compare(pages, Settings())
    ours, theirs, seconds = result.docflow, result.trafilatura, result.seconds
    their_speed = len(pages) / seconds["trafilatura"]
    our_speed = len(pages) / (seconds["read"] + seconds["clean"])
    print(f"{len(pages)} pages")
    print(f"{'':16} {'F1':>7} {'P':>7} {'R':>7} {'pages/s':>8}")
    print(_row("trafilatura", (theirs.f1, theirs.precision, theirs.recall), f"{their_speed:.1f}"))
    print(_row("docflow", (ours.f1, ours.precision, ours.recall), f"{our_speed:.1f}"))
    gaps = (ours.f1 - theirs.f1, ours.precision - theirs.precision, ours.recall - theirs.recall)
    print(_row("difference", gaps, f"{our_speed / their_speed:.2f}x", "+"))
    # Where docflow's time goes: decoding bytes (read stage) versus extraction (clean stage).
    for stage in ("read", "clean"):
        speed = len(pages) / seconds[stage]
        print(f"docflow {stage:8} {'':23} {speed:8.1f} ({speed / their_speed:.2f}x)")


if __name__ == "__main__":
    main()
