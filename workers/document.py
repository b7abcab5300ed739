"""What docflow writes: the enriched document and the failure record, as plain-dict types.

Each TypedDict declares its keys in the order they are written. The shipped JSON Schemas in
workers/schema/ say the same, with the constraints a type cannot carry (patterns, minimums);
tests/unit/test_document.py fails when the two disagree at any level.
"""

from typing import Literal, NotRequired, TypedDict

from workers.errors import Code
from workers.model import LanguageSource


class SourceJSON(TypedDict):
    """Where the input came from; the S3 keys only when it came from a bucket."""

    key: str
    bucket: NotRequired[str]
    etag: NotRequired[str | None]
    size: NotRequired[int | None]
    content_type: NotRequired[str | None]
    last_modified: NotRequired[str | None]


class ModelJSON(TypedDict):
    """The spaCy package that tagged the document."""

    name: str
    version: str


class PipelineJSON(TypedDict):
    """How the document was made; model is None for a language with no model."""

    version: str
    config_hash: str
    model: ModelJSON | None
    processed_at: str
    timings_ms: dict[str, float]


class MetadataJSON(TypedDict):
    """What the page says about itself; None where unknown."""

    title: str | None
    authors: list[str]
    published: str | None
    language: str | None
    language_source: LanguageSource | None
    site: str | None
    url: str | None


class RemovedJSON(TypedDict):
    """Something cleaning dropped."""

    kind: str
    text: str


class SentenceJSON(TypedDict):
    """A sentence as offsets into the text."""

    start: int
    end: int


class ParagraphJSON(TypedDict):
    """A paragraph as offsets, with its sentences."""

    start: int
    end: int
    sentences: list[SentenceJSON]


class SectionJSON(TypedDict):
    """A heading (None before the first), who answers under it (as written and as entity
    ids), and its paragraphs."""

    heading: str | None
    speakers: list[str]
    speaker_ids: list[str]
    start: int
    end: int
    paragraphs: list[ParagraphJSON]


class MentionJSON(TypedDict):
    """One span of the text that names an entity."""

    start: int
    end: int
    text: str


class EntityJSON(TypedDict):
    """One real-world entity with its canonical name, labels, other names and mentions."""

    id: str
    text: str
    label: str
    model_label: str
    aliases: list[str]
    count: int
    mentions: list[MentionJSON]


class EnrichedDocument(TypedDict):
    """enriched/<key>.json."""

    schema_version: Literal["1.1"]
    doc_id: str
    source: SourceJSON
    pipeline: PipelineJSON
    metadata: MetadataJSON
    text: str
    removed: list[RemovedJSON]
    sections: list[SectionJSON]
    entities: list[EntityJSON]


class ErrorJSON(TypedDict):
    """Why a document could not be enriched, and at which stage."""

    code: Code
    message: str
    stage: str


class FailureRecord(TypedDict):
    """failed/<key>.json."""

    schema_version: Literal["1"]
    doc_id: str | None
    source: SourceJSON
    error: ErrorJSON
    attempts: int
    failed_at: str
