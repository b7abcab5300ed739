"""Article-extraction F1 of docflow's clean stage against three baselines, per labelled corpus.

Usage: python -m benchmarks.extraction [DATASET_DIR ...] [--ids FILE] [--by-source]

Each corpus is a folder of html/<id>.html.gz plus ground-truth.json (default: both dev corpora
in ../shared/data). The baselines run in the same process on the same bytes, page by page in
turn with docflow, so machine load hits all alike: trafilatura with its defaults, trafilatura
with include_comments=False, and readability-lxml. The metric is the article-extraction
benchmark's own (see the data set's README): 4-token shingles of \\w+ tokens, per-page
TP/FP/FN normalised to sum 1, precision and recall averaged over pages and F1 taken from the
two means. A page docflow rejects (a failure record) or that runs past --timeout scores 0.
"""

import argparse
import gzip
import json
import re
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import trafilatura
from lxml import html
from readability import Document

from workers.clean import clean
from workers.decode import decode
from workers.errors import DocflowError
from workers.model import Cleaned, Decoded, RawDocument, Source
from workers.settings import Settings

DATA = Path(__file__).resolve().parents[2] / "shared/data"
DEFAULT_DATASET = DATA / "article-extraction-dev"
DEV_MORE = DATA / "extraction-dev-more"
DEFAULT_DATASETS = (DEFAULT_DATASET, DEV_MORE)
_TOKEN = re.compile(r"\w+")
_SHINGLE = 4
# A collapse: docflow keeps under half of a page that a baseline gets nearly right.
COLLAPSED_BELOW = 0.5
BASELINE_ABOVE = 0.9
_WARM_PAGES = 10
DOCFLOW = "docflow"


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


def page_f1(predicted: str, truth: str) -> float:
    """F1 of one page's shingles: 1 for a perfect copy, 0 for nothing in common."""
    tp, fp, fn = page_counts(predicted, truth)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


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


def load_pages(dataset: Path, ids: frozenset[str] | None = None) -> list[Page]:
    """Pages of a data set laid out as html/<id>.html.gz plus ground-truth.json, or some of them."""
    truth = json.loads((dataset / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(key, gzip.decompress((dataset / "html" / f"{key}.html.gz").read_bytes()), body)
        for key, body in sorted((k, v["articleBody"]) for k, v in truth.items())
        if ids is None or key in ids
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


def trafilatura_no_comments_text(page: Page) -> str:
    """trafilatura's text without reader comments, its other documented setting."""
    return trafilatura.extract(page.data, include_comments=False) or ""


def readability_text(page: Page) -> str:
    """readability-lxml's summary, its markup's text with blocks kept apart."""
    summary = Document(page.data.decode("utf-8", "replace")).summary(html_partial=True)
    return " ".join(" ".join(html.fragment_fromstring(summary).itertext()).split())


BASELINES: dict[str, Callable[[Page], str]] = {
    "trafilatura": trafilatura_text,
    "traf-no-comments": trafilatura_no_comments_text,
    "readability-lxml": readability_text,
}


class _StalledError(Exception):
    """A page ran past its time limit."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise _StalledError in the block after seconds (Python's regex engine checks for signals)."""

    def stop(_signal: int, _frame: FrameType | None) -> None:
        raise _StalledError

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(slots=True)
class Run:
    """Texts and seconds of every extractor over the same pages, and docflow's misses."""

    pages: list[Page]
    texts: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    failed: list[str] = field(default_factory=list)
    stalled: list[str] = field(default_factory=list)

    def score(self, name: str, keep: Callable[[Page], bool] = lambda _: True) -> Score:
        """An extractor's score over the pages keep selects."""
        chosen = [
            (t, p.truth) for t, p in zip(self.texts[name], self.pages, strict=True) if keep(p)
        ]
        return score(chosen)

    def collapsed(self) -> list[tuple[str, float, float]]:
        """(id, docflow F1, best baseline F1) where docflow lost a page a baseline got."""
        found = []
        for index, page in enumerate(self.pages):
            ours = page_f1(self.texts[DOCFLOW][index], page.truth)
            best = max(page_f1(self.texts[name][index], page.truth) for name in BASELINES)
            if ours < COLLAPSED_BELOW and best > BASELINE_ABOVE:
                found.append((page.id, ours, best))
        return found


def compare(pages: list[Page], settings: Settings, timeout: float) -> Run:
    """Run every baseline and docflow on each page in turn, timing each."""
    # One untimed pass over a few pages first: lazy imports and per-process caches
    # (trafilatura's TLD list, compiled XPaths) cost a worker once, not per page.
    for page in pages[:_WARM_PAGES]:
        _docflow_or_blank(page, settings, timeout)
        for extract in BASELINES.values():
            extract(page)
    run = Run(pages)
    for page in pages:
        for name, extract in BASELINES.items():
            started = time.perf_counter()
            run.texts[name].append(extract(page))
            run.seconds[name] += time.perf_counter() - started
        started = time.perf_counter()
        text, miss = _docflow_or_blank(page, settings, timeout)
        spent = time.perf_counter() - started
        run.texts[DOCFLOW].append(text)
        if miss == "stalled":
            run.stalled.append(page.id)  # its time is the limit, not docflow's: left out
        else:
            run.seconds[DOCFLOW] += spent
        if miss == "failed":
            run.failed.append(page.id)
    return run


def _docflow_or_blank(page: Page, settings: Settings, timeout: float) -> tuple[str, str | None]:
    """docflow's text and None, or '' and why there is none: 'failed' or 'stalled'."""
    try:
        with _time_limit(timeout):
            return docflow_text(page, settings), None
    except DocflowError:
        return "", "failed"
    except _StalledError:
        return "", "stalled"


def source_of(page: Page) -> str:
    """The source a page id names by its prefix: 'wcxb-0012' -> 'wcxb'."""
    prefix, dash, _ = page.id.partition("-")
    return prefix if dash else "other"


def report(label: str, run: Run, by_source: bool) -> None:
    """Print one corpus's table: every extractor's F1, P, R, pages/s and speed ratio."""
    pages = run.pages
    print(f"\n{label}: {len(pages)} pages")
    print(f"{'':18} {'F1':>7} {'P':>7} {'R':>7} {'pages/s':>8} {'vs traf':>8}")
    reference = len(pages) / run.seconds["trafilatura"]
    for name in (*BASELINES, DOCFLOW):
        result = run.score(name)
        timed = len(pages) - (len(run.stalled) if name == DOCFLOW else 0)
        speed = timed / run.seconds[name] if run.seconds[name] else 0.0
        figures = " ".join(f"{x:7.4f}" for x in (result.f1, result.precision, result.recall))
        print(f"{name:18} {figures} {speed:8.1f} {speed / reference:7.2f}x")
    best = max(run.score(name).f1 for name in BASELINES)
    print(f"docflow - best baseline F1: {run.score(DOCFLOW).f1 - best:+.4f}")
    print(f"docflow failed (F1 0): {len(run.failed)} {' '.join(run.failed)}")
    print(f"docflow stalled (F1 0, time left out): {len(run.stalled)} {' '.join(run.stalled)}")
    collapsed = run.collapsed()
    print(f"collapsed (docflow < {COLLAPSED_BELOW}, best baseline > {BASELINE_ABOVE}): ", end="")
    print(len(collapsed), " ".join(f"{i} ({a:.2f} vs {b:.2f})" for i, a, b in collapsed))
    if by_source:
        names = (*BASELINES, DOCFLOW)
        for source in sorted({source_of(p) for p in pages}):
            count = sum(source_of(p) == source for p in pages)

            def keep(page: Page, wanted: str = source) -> bool:
                return source_of(page) == wanted

            row = " ".join(f"{name} {run.score(name, keep).f1:.4f}" for name in names)
            print(f"  {source:16} {count:4} {row}")


def main() -> None:
    """Print the tables for each corpus and for all of them together."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", type=Path, default=list(DEFAULT_DATASETS))
    parser.add_argument("--ids", type=Path, help="file of page ids (first column) to score")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a page may take")
    parser.add_argument("--by-source", action="store_true", help="F1 per id prefix too")
    args = parser.parse_args()
    ids = None
    if args.ids:
        lines = args.ids.read_text(encoding="utf-8").splitlines()
        ids = frozenset(line.split()[0] for line in lines if line.strip())
    settings = Settings()
    runs = []
    for dataset in args.datasets:
        run = compare(load_pages(dataset, ids), settings, args.timeout)
        if run.pages:
            report(dataset.name, run, args.by_source)
            runs.append(run)
    if len(runs) > 1:
        pooled = Run([p for run in runs for p in run.pages])
        for run in runs:
            for name, texts in run.texts.items():
                pooled.texts[name].extend(texts)
            for name, spent in run.seconds.items():
                pooled.seconds[name] += spent
            pooled.failed.extend(run.failed)
            pooled.stalled.extend(run.stalled)
        report("all corpora", pooled, by_source=False)


if __name__ == "__main__":
    main()
