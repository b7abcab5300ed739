"""Benchmark corpora: the dev set's pages and true bodies, cycled or varied to any size.

- plain text: the 91 dev-set `articleBody` texts plus the seed article (92 bases);
- HTML: the 91 dev-set pages, un-gzipped;
- varied: the plain-text bases with a paragraph of never-seen synthetic names and words
  per document, so a long run keeps meeting new vocabulary.

Copy k of a base gets a distinct last line (plain text) or trailing comment (HTML), so
every input has its own bytes, key and doc_id while the article stays the same.
"""

import gzip
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from workers.clean import clean
from workers.decode import decode
from workers.errors import DocflowError
from workers.language import identify
from workers.model import Cleaned, RawDocument, Source
from workers.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT.parent / "shared" / "data" / "article-extraction-dev"
SEED = ROOT / "seeds" / "000_3f1d083b70fe61c9.txt"
FULL_SIZE = 500
_SYLLABLES = (
    "ka", "zu", "ven", "tor", "mi", "rax", "lo", "quen", "dra", "fel", "osh", "bri", "tal", "ny",
    "gor", "ve", "sil", "mar", "thu", "pex", "an", "wol", "cri", "dun",
)  # fmt: skip
_NAMES_PER_DOC = 8


@dataclass(frozen=True, slots=True)
class Input:
    """One benchmark input: the key it is stored under and its raw bytes."""

    key: str
    data: bytes


@lru_cache(maxsize=1)
def plain_bases() -> tuple[tuple[str, str], ...]:
    """(name, text) of every dev-set true article body, then the seed article."""
    truth = json.loads((DEV_SET / "ground-truth.json").read_text("utf-8"))
    bodies = tuple((page, entry["articleBody"]) for page, entry in sorted(truth.items()))
    return (*bodies, (SEED.stem, SEED.read_text("utf-8")))


@lru_cache(maxsize=1)
def html_bases() -> tuple[tuple[str, str], ...]:
    """(name, markup) of every dev-set page, decompressed."""
    return tuple(
        (path.name.removesuffix(".html.gz"), gzip.decompress(path.read_bytes()).decode("utf-8"))
        for path in sorted((DEV_SET / "html").glob("*.html.gz"))
    )


def _copy(
    bases: tuple[tuple[str, str], ...], index: int, suffix: Callable[[int, int], str], ext: str
) -> Input:
    """Input number index, taken round-robin from bases; suffix(copy, index) makes it unique."""
    name, text = bases[index % len(bases)]
    copy = index // len(bases)
    body = text + suffix(copy, index)
    return Input(f"{index:05d}_{name[:16]}_c{copy}.{ext}", body.encode("utf-8"))


def _cycle(
    bases: tuple[tuple[str, str], ...], count: int, suffix: Callable[[int, int], str], ext: str
) -> list[Input]:
    """The first count inputs of _copy."""
    return [_copy(bases, index, suffix, ext) for index in range(count)]


def plain_corpus(count: int, english: bool = False) -> list[Input]:
    """Plain-text articles cycled to count, each ending in its own copy line."""
    bases = english_bases(plain_bases(), "txt") if english else plain_bases()
    return _cycle(bases, count, lambda copy, _: f"\n\n(benchmark copy {copy})\n", "txt")


def html_corpus(count: int, english: bool = False) -> list[Input]:
    """Dev-set pages cycled to count, each ending in its own HTML comment."""
    bases = english_bases(html_bases(), "html") if english else html_bases()
    return _cycle(bases, count, lambda copy, _: f"\n<!-- benchmark copy {copy} -->\n", "html")


@lru_cache(maxsize=2)
def english_bases(bases: tuple[tuple[str, str], ...], ext: str) -> tuple[tuple[str, str], ...]:
    """The bases docflow's own language stage reads as English, after its own cleaning;
    cleaned once per process (the corpus and its description both ask)."""
    settings = Settings()
    kept = []
    for name, text in bases:
        item = Input(f"{name}.{ext}", text.encode("utf-8"))
        try:
            language = identify(clean(decode(raw_document(item), settings))).metadata.language
        except DocflowError:
            continue
        if language == "en":
            kept.append((name, text))
    return tuple(kept)


def synthetic_word(number: int) -> str:
    """A pronounceable made-up word unique to number: 0 -> 'Ka', 25 -> 'Zuka'."""
    digits = []
    while True:
        number, digit = divmod(number, len(_SYLLABLES))
        digits.append(_SYLLABLES[digit])
        if number == 0:
            break
        number -= 1
    return "".join(digits).capitalize()


def varied_paragraph(index: int) -> str:
    """A paragraph of names and words no other document has, seeded by index."""
    rng = random.Random(index)
    words = [synthetic_word(index * 4 * _NAMES_PER_DOC + n) for n in range(4 * _NAMES_PER_DOC)]
    people = [f"{words[2 * n]} {words[2 * n + 1]}" for n in range(_NAMES_PER_DOC)]
    places = words[2 * _NAMES_PER_DOC : 3 * _NAMES_PER_DOC]
    things = [w.lower() for w in words[3 * _NAMES_PER_DOC :]]
    rng.shuffle(places)
    return " ".join(
        f"{person} of the {place} Institute said the {thing} talks in {places[-1 - n]} went well."
        for n, (person, place, thing) in enumerate(zip(people, places, things, strict=True))
    )


def varied_input(index: int) -> Input:
    """Plain-text article number index with its own paragraph of new vocabulary."""
    return _copy(plain_bases(), index, lambda _, n: f"\n\n{varied_paragraph(n)}\n", "txt")


def raw_document(item: Input) -> RawDocument:
    """The raw document a local store would hand the pipeline for this input."""
    return RawDocument(Source(key=item.key), item.data)


def cleaned_documents(inputs: Iterable[Input], settings: Settings) -> list[tuple[Input, Cleaned]]:
    """Inputs decoded and cleaned by docflow's own stages, without those it rejects."""
    cleaned = []
    for item in inputs:
        try:
            cleaned.append((item, clean(decode(raw_document(item), settings))))
        except DocflowError:
            continue
    return cleaned


def write_inputs(inputs: Iterable[Input], folder: Path) -> None:
    """Lay inputs out as files under folder, keyed by their names."""
    folder.mkdir(parents=True, exist_ok=True)
    for item in inputs:
        (folder / item.key).write_bytes(item.data)


def describe(kind: str, count: int, english: bool = False) -> str:
    """One line saying how a corpus of count documents was made."""
    bases = {"plain": plain_bases, "html": html_bases, "varied": plain_bases}[kind]()
    if english:
        bases = english_bases(bases, "html" if kind == "html" else "txt")
    how = {
        "plain": "dev-set true article bodies + seed article, cycled; copy k ends in a line "
        "'(benchmark copy k)'",
        "html": "dev-set HTML pages, cycled; copy k ends in '<!-- benchmark copy k -->'",
        "varied": "dev-set true article bodies + seed article, cycled; each document gets a "
        f"paragraph of {_NAMES_PER_DOC} unseen synthetic person names, places and words",
    }[kind]
    which = " English" if english else ""
    return f"{kind} corpus: {count} documents from {len(bases)}{which} bases ({how})"
