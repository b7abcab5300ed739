"""Language identification accuracy: docflow's metadata.language against a known language.

Usage: python -m benchmarks.language [--dev-more DIR] [--fixtures DIR] [--min-chars N] [-v]

Each page is read and cleaned as the pipeline does, then identified (declared language
kept where the text agrees, else detected). A page counts when its clean text has at least
--min-chars characters (300); accuracy is the share of those whose language is the known
one. Corpora: the extraction dev set with more sources (its meta.json gives each page's
`lang`), and the articles of tests/fixtures/languages (the language is the file name's
prefix). Neither is copied anywhere.
"""

import argparse
import json
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from benchmarks.common import setup_logging, table
from workers.clean import clean
from workers.decode import decode
from workers.errors import DocflowError
from workers.language import identify
from workers.model import RawDocument, Source
from workers.segment import PARAGRAPH_BREAK
from workers.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
DEV_MORE = ROOT.parent / "shared" / "data" / "extraction-dev-more"
FIXTURES = ROOT / "tests" / "fixtures" / "languages"
MIN_CHARS = 300
# A page docflow's cleaner has not finished in this long is left out and counted.
PAGE_SECONDS = 20
HEADER = ("corpus", "language", "pages", f">= {MIN_CHARS} chars", "right", "accuracy", "wrong as")


def dev_more_pages(folder: Path) -> Iterator[tuple[str, str, bytes]]:
    """(id, known language, raw bytes) of each page of the dev set."""
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    for page_id, about in sorted(meta.items()):
        yield page_id, about["lang"], (folder / "html" / f"{page_id}.html.gz").read_bytes()


def fixture_pages(folder: Path) -> Iterator[tuple[str, str, bytes]]:
    """(name, language of its prefix, raw bytes) of each fixture article."""
    for path in sorted(folder.iterdir()):
        yield path.name, path.name.split("_")[0], path.read_bytes()


def identified(pages: Iterator[tuple[str, str, bytes]]) -> list[tuple[str, str, str | None, int]]:
    """(id, known, identified, clean length) of each page docflow does not reject."""
    settings = get_settings()
    out = []
    signal.signal(signal.SIGALRM, _too_slow)
    for page_id, known, data in pages:
        signal.alarm(PAGE_SECONDS)
        try:
            cleaned = identify(clean(decode(RawDocument(Source(page_id), data), settings)))
        except DocflowError:
            continue
        except TimeoutError:
            print(f"{page_id}: not cleaned in {PAGE_SECONDS} s, left out", file=sys.stderr)
            continue
        finally:
            signal.alarm(0)
        length = len(PARAGRAPH_BREAK.join(block.text for block in cleaned.blocks))
        out.append((page_id, known, cleaned.metadata.language, length))
    return out


def _too_slow(*_: object) -> None:
    raise TimeoutError


def rows(
    corpus: str, results: list[tuple[str, str, str | None, int]], min_chars: int
) -> list[tuple[object, ...]]:
    """One row per known language and one for the whole corpus."""
    out = []
    languages = sorted({known for _, known, _, _ in results})
    for language in [*languages, "all"]:
        mine = [r for r in results if language in ("all", r[1])]
        long = [r for r in mine if r[3] >= min_chars]
        right = sum(1 for _, known, found, _ in long if found == known)
        wrong = Counter(str(found) for _, known, found, _ in long if found != known)
        accuracy = f"{right / len(long):.4f}" if long else "-"
        out.append((corpus, language, len(mine), len(long), right, accuracy,
                    ", ".join(f"{k} {n}" for k, n in wrong.most_common(4))))  # fmt: skip
    return out


def main() -> None:
    """Print the accuracy table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument("--dev-more", type=Path, default=DEV_MORE)
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    parser.add_argument("--min-chars", type=int, default=MIN_CHARS)
    args = parser.parse_args()
    setup_logging(args.verbose)
    found = rows("fixtures", identified(fixture_pages(args.fixtures)), args.min_chars)
    if args.dev_more.is_dir():
        pages = identified(dev_more_pages(args.dev_more))
        found += rows("extraction-dev-more", pages, args.min_chars)
    print(table("language identification", HEADER, found))


if __name__ == "__main__":
    main()
