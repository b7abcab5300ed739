"""The document as it moves through the stages: one frozen type per stage."""

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["text", "html", "xml"]
LanguageSource = Literal["declared", "detected"]
BlockKind = Literal["heading", "paragraph"]


@dataclass(frozen=True, slots=True)
class Source:
    """Where an input came from; bucket and friends are None for local files."""

    key: str
    bucket: str | None = None
    etag: str | None = None
    size: int | None = None
    content_type: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class RawDocument:
    """Input bytes exactly as stored."""

    source: Source
    data: bytes


@dataclass(frozen=True, slots=True)
class Decoded:
    """Input decoded to text, with its sniffed kind (markup still in place for html/xml)."""

    doc_id: str
    source: Source
    kind: Kind
    content: str
    removed: tuple["Removed", ...] = ()  # what decoding dropped (control characters)


@dataclass(frozen=True, slots=True)
class Metadata:
    """What the page says about itself; None where unknown, never guessed."""

    title: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None
    language: str | None = None
    # "declared" when the page stated the language and its text agrees, else "detected".
    language_source: LanguageSource | None = None
    site: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """One heading or paragraph of the article body, without blank lines inside."""

    kind: BlockKind
    text: str


@dataclass(frozen=True, slots=True)
class Removed:
    """Something cleaning dropped, kept so a reader can audit the cleaner."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Cleaned:
    """The article body as ordered blocks, its metadata and what was cut."""

    doc_id: str
    source: Source
    metadata: Metadata
    blocks: tuple[Block, ...]
    removed: tuple[Removed, ...] = ()


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range [start, end) into the document text."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph; body_start skips a leading speaker label such as 'Scobell: '."""

    start: int
    end: int
    body_start: int
    sentences: tuple[Span, ...]
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """A heading (None before the first one), who answers under it, and its paragraphs."""

    heading: str | None
    start: int
    end: int
    paragraphs: tuple[Paragraph, ...]
    speakers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mention:
    """One named-entity span as the model tagged it."""

    start: int
    end: int
    text: str
    label: str


@dataclass(frozen=True, slots=True)
class Segmented:
    """Cleaned text laid out as sections, paragraphs and sentences, with raw NER mentions."""

    cleaned: Cleaned
    text: str
    sections: tuple[Section, ...]
    mentions: tuple[Mention, ...] = ()
    # (docflow label, the model's own label) for each label of the model that tagged it.
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Entity:
    """One real-world entity: canonical name, label by vote, other names and every mention."""

    id: str
    text: str
    label: str
    aliases: tuple[str, ...]
    mentions: tuple[Mention, ...]

    @property
    def count(self) -> int:
        """How many times the entity is mentioned."""
        return len(self.mentions)


@dataclass(frozen=True, slots=True)
class Tagged:
    """A segmented document with its entities folded together."""

    segmented: Segmented
    entities: tuple[Entity, ...]
    # Per section, the ids of the entities who answer in it (Section.speakers as entities).
    speaker_ids: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """The spaCy package that tagged a document."""

    name: str
    version: str


@dataclass(frozen=True, slots=True)
class PipelineInfo:
    """How a document was made: code version, settings digest, model (None where its language
    has none), when and how long."""

    version: str
    config_hash: str
    model: ModelInfo | None
    processed_at: str
    timings_ms: dict[str, float] = field(default_factory=dict)
