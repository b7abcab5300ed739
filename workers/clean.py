"""Clean stage: decoded text or markup to the article's heading and paragraph blocks."""

from dataclasses import replace

from workers.decode import fix_text
from workers.errors import Code, DocflowError
from workers.extract.feeds import extract_xml
from workers.extract.html import Extraction, extract_html
from workers.extract.masthead import read_masthead
from workers.model import Block, Cleaned, Decoded, Removed
from workers.residue import (
    FILTERS,
    Blocks,
    Cut,
    drop_lead_heading,
    run_filters,
    squash,
)

STAGE = "clean"

# A scraped heading is one short line that does not end like a sentence.
_HEADING_MAX_WORDS = 14
_HEADING_MAX_CHARS = 120
_SENTENCE_END = tuple(".!,;:…\"'”’)]。！？」")  # Chinese and Japanese stops too


def clean(decoded: Decoded) -> Cleaned:
    """Article blocks, metadata and an audit of what was dropped, by the kind of input."""
    filters = FILTERS
    if decoded.kind == "html":
        extraction = extract_html(decoded.content)
        filters = (drop_lead_heading, *FILTERS)
    elif decoded.kind == "xml":
        extraction = extract_xml(decoded.content)
    else:
        masthead = read_masthead(_text_blocks(decoded.content))
        extraction = Extraction(masthead.metadata, masthead.blocks, masthead.removed)
    if decoded.kind != "text":
        # read leaves markup as it came; repairing the article alone is far cheaper.
        extraction = replace(
            extraction, blocks=tuple(replace(b, text=fix_text(b.text)) for b in extraction.blocks)
        )
    metadata = extraction.metadata
    blocks, title_cut = _drop_repeated_title(extraction.blocks, metadata.title)
    blocks, cut = run_filters(blocks, filters)
    if not blocks:
        raise DocflowError(Code.EMPTY, f"no article text left in {decoded.source.key}", STAGE)
    return Cleaned(
        doc_id=decoded.doc_id,
        source=decoded.source,
        metadata=metadata,
        blocks=blocks,
        removed=decoded.removed + extraction.removed + title_cut + cut,
    )


def _text_blocks(content: str) -> Blocks:
    """Lines of scraped text as blocks, hard-wrapped lines rejoined, headings marked."""
    lines: list[str] = []
    for paragraph in content.split("\n\n"):
        lines.extend(_unwrap(paragraph.splitlines()))
    following = [*lines[1:], ""]
    return tuple(
        Block("heading" if _looks_like_heading(line, after) else "paragraph", line)
        for line, after in zip(lines, following, strict=True)
    )


def _unwrap(lines: list[str]) -> list[str]:
    """Rejoin a line broken mid-sentence: it lacks an end mark and the next starts lowercase."""
    joined: list[str] = []
    for line in (s.strip() for s in lines):
        if not line:
            continue
        if joined and not joined[-1].endswith((*_SENTENCE_END, "?")) and line[0].islower():
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    return joined


def _looks_like_heading(line: str, after: str) -> bool:
    """A title-like line followed by longer text."""
    return _title_like(line) and len(after) > len(line)


def _title_like(line: str) -> bool:
    """One short line that does not end like a sentence; a question may be a heading."""
    short = len(line) <= _HEADING_MAX_CHARS and len(line.split()) <= _HEADING_MAX_WORDS
    return short and not line.endswith(_SENTENCE_END)


def _drop_repeated_title(blocks: Blocks, title: str | None) -> tuple[Blocks, Cut]:
    """The page title repeated as the first block is not body text."""
    if title and blocks and squash(blocks[0].text) == squash(title):
        return blocks[1:], (Removed("title", blocks[0].text),)
    return blocks, ()
