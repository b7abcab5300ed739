"""Segment stage: sections under headings, who answers, paragraphs, sentences, raw mentions."""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.language import Language

from workers.errors import Code, DocflowError
from workers.model import Block, Cleaned, Mention, Paragraph, Section, Segmented, Span
from workers.nlp import analyse

PARAGRAPH_BREAK = "\n\n"

_NAME = r"[A-Z][\w’'.-]*(?: [A-Z][\w’'.-]*){0,2}"
# "Scobell: ...", "Ashby and Glantz: ...", "Smith, Jones & Lee: ..." at a paragraph's start.
_SPEAKER = re.compile(rf"^({_NAME}(?:(?:, | and | & ){_NAME})*):[ \t]+(?=\S)")
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


def segment(cleaned: Cleaned, nlp: Language, max_block_chars: int) -> Segmented:
    """Lay blocks out as text and group them into sections; tag sentences and entities once."""
    longest = max(len(block.text) for block in cleaned.blocks)
    if longest > max_block_chars:
        raise DocflowError(
            Code.TOO_LARGE,
            f"a {longest}-character paragraph is over the {max_block_chars} cap",
            "segment",
        )
    text = PARAGRAPH_BREAK.join(block.text for block in cleaned.blocks)
    placed = _place(cleaned.blocks, text)
    # Headings name entities too; speaker labels stay out of what the model reads.
    starts = [p.start + _label_length(p) for p in placed]
    analyses = analyse(nlp, [text[s : p.end] for s, p in zip(starts, placed, strict=True)])
    paragraphs: dict[int, Paragraph] = {}
    mentions: list[Mention] = []
    for item, start, found in zip(placed, starts, analyses, strict=True):
        mentions.extend(
            Mention(start + s, start + e, text[start + s : start + e], label)
            for s, e, label in found.entities
        )
        if item.block.kind == "paragraph":
            paragraphs[item.start] = Paragraph(
                start=item.start,
                end=item.end,
                body_start=start,
                sentences=tuple(Span(start + s.start, start + s.end) for s in found.sentences),
                speaker=item.speaker,
            )
    return Segmented(
        cleaned=cleaned,
        text=text,
        sections=_sections(placed, paragraphs, text),
        mentions=tuple(mentions),
    )


def _place(blocks: Sequence[Block], text: str) -> list[_Placed]:
    labels = [_speaker_label(b.text) if b.kind == "paragraph" else None for b in blocks]
    speakers = _real_speakers(labels, text)
    placed, offset = [], 0
    for block, label in zip(blocks, labels, strict=True):
        end = offset + len(block.text)
        placed.append(_Placed(block, offset, end, label if label in speakers else None))
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


def _label_length(placed: _Placed) -> int:
    if placed.speaker is None:
        return 0
    match = _SPEAKER.match(placed.block.text)
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
