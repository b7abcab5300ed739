"""Segment stage: sections under headings, who answers, paragraphs, sentences, raw mentions."""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.language import Language

from workers.errors import Code, DocflowError
from workers.model import Block, Cleaned, Mention, Paragraph, Section, Segmented, Span
from workers.nlp import Analysis, analyse, label_pairs

PARAGRAPH_BREAK = "\n\n"

# Possessive: what follows a name (a separator, the colon) never starts like a name does, so
# giving a character or word back never helps, and trying to took more than linear time.
_NAME = r"[A-Z][\w’'.-]*+(?: [A-Z][\w’'.-]*+){0,2}+"
# "Scobell: ...", "Ashby and Glantz: ...", "Smith, Jones & Lee: ..." at a paragraph's start.
_SPEAKER = re.compile(rf"^({_NAME}(?:(?:, | and | & ){_NAME})*+):[ \t]+(?=\S)")
_JOINERS = re.compile(r", | and | & ")
# Labels that introduce notes rather than people answering.
_NOT_SPEAKERS = frozenset(
    {
        "Note",
        "Update",
        "Updated",
        "Photo",
        "Source",
        "Sources",
        "Type",
        "Editor",
        "Correction",
        "Disclosure",
        "Warning",
        "Q",
        "A",
        "Question",
        "Answer",
        "Read",
        "Related",
        "Tags",
        "Topics",
        "Share",
        "Image",
        "Video",
        "Credit",
        "Caption",
        "Summary",
        "Published",
        "Date",
        "By",
    }
)


@dataclass(frozen=True, slots=True)
class _Placed:
    block: Block
    start: int
    end: int
    speaker: str | None
    body_start: int  # after the speaker label, if any


@dataclass(frozen=True, slots=True)
class Layout:
    """A cleaned document laid out as one text, before the model reads it."""

    cleaned: Cleaned
    text: str
    placed: tuple[_Placed, ...]
    # What the model reads: runs of whole blocks, each at most max_block_chars long, so
    # a long document costs the model no more memory than its longest paragraph may.
    pieces: tuple[tuple[int, int], ...]


def lay_out(cleaned: Cleaned, max_block_chars: int) -> Layout:
    """Join the blocks into the document text, finding who answers; refuse giant blocks."""
    longest = max(len(block.text) for block in cleaned.blocks)
    if longest > max_block_chars:
        raise DocflowError(
            Code.TOO_LARGE,
            f"a {longest}-character paragraph is over the {max_block_chars} cap",
            "segment",
        )
    text = PARAGRAPH_BREAK.join(block.text for block in cleaned.blocks)
    placed = tuple(_place(cleaned.blocks, text))
    return Layout(cleaned, text, placed, _pieces(placed, max_block_chars))


def _pieces(placed: Sequence[_Placed], limit: int) -> tuple[tuple[int, int], ...]:
    """Consecutive blocks grouped into spans of text no longer than limit."""
    pieces = [(placed[0].start, placed[0].end)]
    for item in placed[1:]:
        start, _ = pieces[-1]
        if item.end - start <= limit:
            pieces[-1] = (start, item.end)
        else:
            pieces.append((item.start, item.end))
    return tuple(pieces)


def segment_all(layouts: Sequence[Layout], nlp: Language) -> list[Segmented]:
    """Sections, paragraphs, sentences and raw mentions of each document, the model run once.

    The model reads each whole document text, as spaCy's own pipeline would (a very
    long one in pieces of whole paragraphs), and all of them in one batch: a batch of
    documents costs less per word than one at a time.
    """
    texts = [layout.text[start:end] for layout in layouts for start, end in layout.pieces]
    analyses = iter(list(analyse(nlp, texts)))
    labels = label_pairs(nlp)
    segmented = []
    for layout in layouts:
        sentences: list[Span] = []
        entities: list[tuple[int, int, str]] = []
        for offset, _ in layout.pieces:
            found = next(analyses)
            sentences.extend(Span(offset + s.start, offset + s.end) for s in found.sentences)
            entities.extend((offset + s, offset + e, label) for s, e, label in found.entities)
        whole = Analysis(tuple(sentences), tuple(entities))
        segmented.append(_segmented(layout, whole, labels))
    return segmented


def segment(cleaned: Cleaned, nlp: Language, max_block_chars: int) -> Segmented:
    """segment_all for one document."""
    return segment_all([lay_out(cleaned, max_block_chars)], nlp)[0]


def _segmented(layout: Layout, found: Analysis, labels: tuple[tuple[str, str], ...]) -> Segmented:
    text = layout.text
    sentences = iter(found.sentences)
    sentence = next(sentences, None)
    paragraphs: dict[int, Paragraph] = {}
    for item in layout.placed:
        inside = []
        # Sentences never cross a paragraph break; a speaker label stays out of the first.
        while sentence is not None and sentence.start < item.end:
            if sentence.end > item.body_start:
                inside.append(Span(max(sentence.start, item.body_start), sentence.end))
            sentence = next(sentences, None)
        if item.block.kind == "paragraph":
            paragraphs[item.start] = Paragraph(
                start=item.start,
                end=item.end,
                body_start=item.body_start,
                sentences=tuple(inside),
                speaker=item.speaker,
            )
    return Segmented(
        cleaned=layout.cleaned,
        text=text,
        sections=_sections(layout.placed, paragraphs, text),
        mentions=tuple(Mention(s, e, text[s:e], label) for s, e, label in found.entities),
        labels=labels,
    )


def _place(blocks: Sequence[Block], text: str) -> list[_Placed]:
    labels = [_speaker_label(b.text) if b.kind == "paragraph" else None for b in blocks]
    speakers = _real_speakers(labels, text)
    placed, offset = [], 0
    for block, label in zip(blocks, labels, strict=True):
        end = offset + len(block.text)
        speaker = label if label in speakers else None
        body = offset + _label_length(block.text) if speaker else offset
        placed.append(_Placed(block, offset, end, speaker, body))
        offset = end + len(PARAGRAPH_BREAK)
    return placed


def _speaker_label(paragraph: str) -> str | None:
    match = _SPEAKER.match(paragraph)
    return match.group(1) if match else None


def _real_speakers(labels: Sequence[str | None], text: str) -> set[str]:
    """Labels whose names answer more than once or are named elsewhere in the text.

    >>> sorted(_real_speakers(["Scobell", "Type", None], "Andrew Scobell said. Scobell: x"))
    ['Scobell']
    """
    seen = Counter(label for label in labels if label)
    real = set()
    for label, times in seen.items():
        names = _JOINERS.split(label)
        if any(name.split()[0] in _NOT_SPEAKERS for name in names):
            continue
        if times > 1 or all(text.count(name) > times for name in names):
            real.add(label)
    return real


def speaker_names(label: str) -> list[tuple[int, int]]:
    """Where each name stands in a speaker label, as offsets into it.

    >>> speaker_names("Ashby and Glantz")
    [(0, 5), (10, 16)]
    """
    spans, start = [], 0
    for joiner in _JOINERS.finditer(label):
        spans.append((start, joiner.start()))
        start = joiner.end()
    spans.append((start, len(label)))
    return spans


def _label_length(paragraph: str) -> int:
    match = _SPEAKER.match(paragraph)
    return match.end() if match else 0


def _sections(
    placed: Sequence[_Placed], paragraphs: dict[int, Paragraph], text: str
) -> tuple[Section, ...]:
    groups: list[tuple[_Placed | None, list[Paragraph]]] = []
    for item in placed:
        if item.block.kind == "heading":
            groups.append((item, []))
        else:
            if not groups:
                groups.append((None, []))
            groups[-1][1].append(paragraphs[item.start])
    sections = []
    for heading, paras in groups:
        start = heading.start if heading else paras[0].start
        end = paras[-1].end if paras else heading.end if heading else start
        speakers = tuple(dict.fromkeys(p.speaker for p in paras if p.speaker))
        sections.append(
            Section(
                heading=text[heading.start : heading.end] if heading else None,
                start=start,
                end=end,
                paragraphs=tuple(paras),
                speakers=speakers,
            )
        )
    return tuple(sections)
