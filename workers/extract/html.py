"""An HTML page's article body (trafilatura, backed by Readability) and the regions left out."""

import re
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from typing import Literal

import trafilatura
from lxml import etree, html
from trafilatura.readability_lxml import Document as ReadabilityDocument
from trafilatura.settings import DEFAULT_CONFIG, Document
from trafilatura.xml import xmltotxt

from workers.errors import DocflowError
from workers.extract.metadata import page_metadata, visible_text
from workers.model import Block, BlockKind, Metadata, Removed
from workers.parsers import HTML_PARSER, parse_html
from workers.residue import Blocks, Cut, squash

Mode = Literal["precision", "default", "recall"]
# trafilatura's three settings, never with reader comments (they are not the article).
_MODES: dict[Mode, dict[str, bool]] = {
    "precision": {"favor_precision": True, "include_comments": False},
    "default": {"include_comments": False},
    "recall": {"favor_recall": True, "include_comments": False},
}

# trafilatura's own bar for a usable extraction; below it the fast pass probably missed
# the article, so the page gets the slower pass with readability and jusText fallbacks.
_MIN_FAST_CHARS = DEFAULT_CONFIG.getint("DEFAULT", "MIN_EXTRACTED_SIZE")
# Measured on both dev corpora (benchmarks/extraction.py): a precise body under a quarter of
# Readability's lost the story (dev-more F1 +0.011, dev91 level); 3 also took real short bodies.
_COLLAPSE_RATIO = 4
_DEFAULT_SHARE = 0.5
# A body 1.5 times another's, and two bodies sharing 90% of their distinct words each way:
# on both dev corpora this won four pages (two had collapsed) and lost none on any source.
_LONGER = 1.5
_AGREE = 0.9
# A body with a table cell separator for every seven words or fewer is a page laid out in a
# table (the news sites of the 2000s): on the dev corpora Readability's cell scoring found
# the article in 22 such pages (l3s F1 +0.020, zhcwce +0.014, no page lost).
_TABLE_CELLS = 0.15
_PARAGRAPH_CHARS = 80
_TOKENS = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")
_HEADING_TAGS = frozenset({"head", "title", "heading", "h1", "h2", "h3", "h4", "h5", "h6"})
# Elements that run inside a line of text rather than starting a block of their own.
_INLINE_TAGS = frozenset(
    {"a", "abbr", "b", "cite", "code", "em", "emphasis", "hi", "i", "q", "ref", "small", "span"}
    | {"strong", "sub", "sup", "time", "u", "mark", "link", "font"}
)
# Posts quoted from social networks: part of the story, but their wrappers carry the
# "social"/"embed" classes that trafilatura drops as share widgets.
_EMBEDDED_POSTS = etree.XPath(
    '//blockquote[contains(@class, "twitter-tweet") or contains(@class, "instagram-media")'
    ' or contains(@class, "tiktok-embed")]'
)
_WRAPPER_TAGS = frozenset({"div", "figure", "section", "span", "p", "aside"})
_SCRIPT_TAGS = frozenset({"script", "noscript", "style", "iframe"})
# Page regions trafilatura leaves out, recorded so a reader can audit the cut; one XPath
# so the page is walked once.
_LANDMARKS = etree.XPath(
    "//nav | //footer | //aside | //figcaption | //header[not(ancestor::article)]"
    # The class test from the attributes up: 30% faster than from every element down.
    " | //@class[contains(., 'related') or contains(., 'newsletter') or contains(., 'cookie')]/.."
)
# Plain strings: lxml's default "smart" ones each build a proxy of their parent element.
_ALL_TEXT = etree.XPath("//text()", smart_strings=False)
_CODE_TEXT = etree.XPath("//script/text() | //style/text()", smart_strings=False)
_LANDMARK_KINDS = (
    ("navigation", ("nav", "header")),
    ("caption", ("figcaption",)),
    ("related", ("aside", "related")),
    ("prompt", ("newsletter",)),
)


@dataclass(frozen=True, slots=True)
class Extraction:
    """What a page or feed says about itself, its body blocks and the regions left out."""

    metadata: Metadata
    blocks: Blocks
    removed: Cut = ()


def extract_html(markup: str) -> Extraction:
    """Main text of a page as heading and paragraph blocks, with what the page says about itself."""
    tree = parse_html(markup)
    _unwrap_embedded_posts(tree)
    metadata = page_metadata(tree)
    blocks = choose_body(tree, metadata.url)
    kept = squash(" ".join(b.text for b in blocks))
    return Extraction(metadata, blocks, _left_out(tree, kept))


def choose_body(tree: html.HtmlElement, url: str | None) -> Blocks:
    """trafilatura's precise body, unless a longer body is backed by a second opinion.

    Precision mode sometimes keeps a lede, a notice or a caption and loses the story; a body
    a quarter the length of Readability's is such a collapse. Then trafilatura's default mode
    has the story when it finds at least half as much as Readability, else Readability does.
    A body only somewhat longer (Readability's, or the default mode's when Readability finds
    something else entirely) wins when trafilatura's paragraph baseline finds the same words;
    the default pass runs only when the baseline holds enough words to back it. When the two
    agree on a body and the baseline holds four times as much, both may have collapsed alike:
    trafilatura's full cascade then wins if it finds that much and the baseline agrees.
    A page laid out in a table, which precision mode keeps whole, gets the article cell
    Readability finds in it when that reads as prose. When neither finds anything,
    trafilatura's recall mode may.
    """
    precise = trafilatura_blocks(tree, url, "precision")
    words = max(_words(precise), 1)
    tabled = _cells(precise) >= _TABLE_CELLS * words
    # No body can hold more words than the page shows: when even that is under 1.5 times
    # precision's, no rule below could choose another body (two pages in five on the dev
    # corpora), and Readability, a sixth of the time, need not run.
    visible = _visible_words(tree)
    if precise and not tabled and visible < _LONGER * words:
        return precise
    algorithm = readability_blocks(tree)
    found = _words(algorithm)
    if not (precise or found):  # neither finds an article: recall mode is the last resort
        return trafilatura_blocks(tree, url, "recall")
    if (
        tabled
        and words >= found >= words / _COLLAPSE_RATIO
        and _within(algorithm, precise)
        and _prose(algorithm)
    ):
        # A page laid out in a table, kept whole by precision mode: Readability scores the
        # cells and keeps the article's. A table of data (results, prices) is the content:
        # there Readability's part of it is cells too, not prose, and precision's stands.
        return algorithm
    if found >= _COLLAPSE_RATIO * words:
        default = trafilatura_blocks(tree, url, "default")
        return default if _words(default) >= _DEFAULT_SHARE * found else algorithm
    agreed = not (found >= _LONGER * words or _LONGER * found < words)
    if agreed and visible < _COLLAPSE_RATIO * words:
        return precise  # the two agree, and the page holds too little for both to have collapsed
    _, baseline_text, _ = trafilatura.baseline(tree)
    baseline = _TOKENS.findall(baseline_text.lower())
    if agreed:
        if len(baseline) < _COLLAPSE_RATIO * words:
            return precise
        # The slow cascade (Readability and jusText fallbacks, recall retry): a twentieth of
        # the dev pages get here, and one in twenty of those had lost the story.
        longer = trafilatura_blocks(tree, url, "default", fast=False)
        if _words(longer) < _COLLAPSE_RATIO * words:
            return precise
    elif found >= _LONGER * words:
        longer = algorithm
    elif len(baseline) < _LONGER * words:
        # Readability sees less and the baseline cannot back a body 1.5 times precision's:
        # the default pass (the slowest step, on a fifth of the pages) could not win here.
        return precise
    else:
        longer = trafilatura_blocks(tree, url, "default")
        if _words(longer) < _LONGER * words:
            return precise
    return longer if _agree(_tokens(longer), baseline) else precise


def _cells(blocks: Blocks) -> int:
    """Table cell separators in trafilatura's text of a body."""
    return sum(block.text.count("|") for block in blocks)


def _within(inner: Blocks, outer: Blocks) -> bool:
    """Nearly all of inner's distinct words are outer's too."""
    words = set(_tokens(inner))
    return len(words & set(_tokens(outer))) >= _AGREE * max(len(words), 1)


def _prose(blocks: Blocks) -> bool:
    """Most of the text in blocks of paragraph length, not in table cells or list items."""
    size = sum(len(block.text) for block in blocks)
    return 2 * sum(len(b.text) for b in blocks if len(b.text) >= _PARAGRAPH_CHARS) >= size


def _visible_words(tree: html.HtmlElement) -> int:
    """Words in the page's text outside scripts and styles: more than any extractor keeps."""
    # All text less the scripts' and styles': twice as fast as a test on every text node.
    words = sum(len(text.split()) for text in _ALL_TEXT(tree))
    return words - sum(len(text.split()) for text in _CODE_TEXT(tree))


def _tokens(blocks: Blocks) -> list[str]:
    return [t for block in blocks for t in _TOKENS.findall(block.text.lower())]


def _agree(first: list[str], second: list[str]) -> bool:
    """Each of two texts has nearly all the other's distinct words."""
    one, two = set(first), set(second)
    common = len(one & two)
    return common >= _AGREE * max(len(one), 1) and common >= _AGREE * max(len(two), 1)


def _words(blocks: Blocks) -> int:
    return sum(len(block.text.split()) for block in blocks)


def trafilatura_blocks(
    tree: html.HtmlElement, url: str | None, mode: Mode, fast: bool = True
) -> Blocks:
    """trafilatura's body in one mode, from a copy of our tree; () when it finds no article.

    fast=False runs trafilatura's whole cascade at once, as its extract() does by default.
    """
    options = _MODES[mode]
    # trafilatura takes our hardened tree as is, so the page is parsed once, by us.
    document = _trafilatura(tree, url, fast, options)
    if fast and (document is None or len(document.text or "") < _MIN_FAST_CHARS):
        document = _trafilatura(tree, url, False, options) or document
    return () if document is None else _body_blocks(document.body)


def _trafilatura(
    tree: html.HtmlElement, url: str | None, fast: bool, options: dict[str, bool]
) -> Document | None:
    """One trafilatura pass over a copy of our tree; None when it finds no article."""
    result = trafilatura.bare_extraction(tree, url=url, fast=fast, **options)  # type: ignore[arg-type]
    return result if isinstance(result, Document) else None


def readability_blocks(tree: html.HtmlElement) -> Blocks:
    """The body Readability's scoring finds (trafilatura's port of it), from a copy of our tree."""
    # The port drops and moves elements of the tree it is given.
    try:
        summary = ReadabilityDocument(deepcopy(tree), min_text_length=25).summary()
        if not summary.strip():
            return ()
        # Markup lxml wrote from our own tree, read back with the same hardened parser.
        return tuple(markup_blocks(etree.fromstring(summary, HTML_PARSER)))
    except (DocflowError, ValueError, TypeError, etree.LxmlError):
        return ()  # no second opinion on this page: trafilatura's body stands


def _left_out(tree: html.HtmlElement, kept: str) -> Cut:
    """Navigation, captions, asides, prompts and footers whose text is not in the body."""
    seen: set[html.HtmlElement] = set()
    cut: list[Removed] = []
    for region in _LANDMARKS(tree):
        # Matches come outermost first; a region inside one already recorded is part of it.
        if any(a in seen for a in region.iterancestors()):
            continue
        seen.add(region)
        text = visible_text(region)
        if text and text.casefold() not in kept:
            cut.append(Removed(_landmark_kind(region), text))
    return tuple(cut)


def _landmark_kind(region: html.HtmlElement) -> str:
    """What a left-out region is, from its tag and class."""
    signs = f"{region.tag} {region.get('class', '')}"
    for kind, words in _LANDMARK_KINDS:
        if any(word in signs for word in words):
            return kind
    return "boilerplate"


def _unwrap_embedded_posts(tree: html.HtmlElement) -> None:
    """Lift each quoted social post out of the wrappers that hold nothing else but its script."""
    for post in _EMBEDDED_POSTS(tree):
        wrapper = post
        while (parent := wrapper.getparent()) is not None and _wraps_only(parent, wrapper):
            wrapper = parent
        if wrapper is not post:
            post.tail = wrapper.tail
            wrapper.getparent().replace(wrapper, post)


def _wraps_only(parent: html.HtmlElement, child: html.HtmlElement) -> bool:
    if parent.tag not in _WRAPPER_TAGS or (parent.text or "").strip():
        return False
    return all(c is child or c.tag in _SCRIPT_TAGS for c in parent)


def _body_blocks(body: etree._Element) -> Blocks:
    """One block per line of trafilatura's text, headings from its <head> elements."""
    blocks: list[Block] = []
    for child in body:
        kind: BlockKind = "heading" if child.tag == "head" else "paragraph"
        blocks.extend(lines_as_blocks(xmltotxt(child, False), kind))
    return tuple(blocks)


def lines_as_blocks(text: str, kind: BlockKind) -> Iterator[Block]:
    """A block of kind for each line of text that holds any, its whitespace collapsed."""
    for line in text.splitlines():
        if line.strip():
            yield Block(kind, " ".join(line.split()))


def markup_blocks(root: etree._Element) -> Iterator[Block]:
    """Text of block elements in document order; inline elements stay inside their line."""
    parts: list[str] = [_flat(root.text)]
    kind: BlockKind = "heading" if local_name(root) in _HEADING_TAGS else "paragraph"
    for child in root:
        if local_name(child) in _INLINE_TAGS:
            parts.append(_flat(str(child.xpath("string()"))))
        elif local_name(child) == "br":
            parts.append("\n")
        elif isinstance(child.tag, str):
            yield from lines_as_blocks("".join(parts), kind)
            yield from markup_blocks(child)
            parts = []
        parts.append(_flat(child.tail))
    yield from lines_as_blocks("".join(parts), kind)


def _flat(text: str | None) -> str:
    """Markup text with its source line breaks read as spaces; only <br> breaks a line."""
    return _SPACES.sub(" ", text) if text else ""


def local_name(element: etree._Element) -> str:
    """An element's tag without its namespace, lowercased; '' for comments and PIs."""
    # Not etree.QName: it rejects the prefixed names HTML pages use, such as 'fb:post'.
    return element.tag.rpartition("}")[2].lower() if isinstance(element.tag, str) else ""
