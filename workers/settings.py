"""All settings, read once from DOCFLOW_* environment variables."""

import hashlib
import json
from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_LABELS = (
    "PERSON",
    "NORP",
    "FAC",
    "ORG",
    "GPE",
    "LOC",
    "PRODUCT",
    "EVENT",
    "WORK_OF_ART",
    "LAW",
    "LANGUAGE",
    "DATE",
    "TIME",
    "MISC",
)
# Language (ISO 639-1) -> spaCy package; "" for English picks en_core_web_sm, else its re-upload.
DEFAULT_MODELS = (("en", ""), ("fr", "fr_core_news_sm"))


class Settings(BaseSettings):
    """Every knob docflow has; tasks/ and workers/ both read this one object."""

    model_config = SettingsConfigDict(env_prefix="DOCFLOW_", frozen=True)

    # Content: these change what a document looks like, so they feed config_hash.
    spacy_models: tuple[tuple[str, str], ...] = Field(
        default=DEFAULT_MODELS,
        description="JSON map of language to spaCy package; the first is loaded as a worker "
        "starts, each other when a document first needs it; languages missing get no NER",
    )
    entity_labels: tuple[str, ...] = DEFAULT_LABELS
    max_input_bytes: int = 20_000_000
    max_text_chars: int = 2_000_000
    # spaCy holds ~3 MB per 1,000 characters of one text while tagging it; no real
    # paragraph is this long, and a worker must not need gigabytes for one that claims to be.
    max_block_chars: int = 100_000
    batch_docs: int = Field(
        default=20,
        ge=1,
        description="documents the model reads together in `docflow run`, and per process "
        "message from sweep and reprocess; more cost less per word",
    )

    # Service: where work and documents live.
    broker_url: str = "redis://127.0.0.1:6379/0"
    s3_endpoint_url: str | None = None
    ingest_bucket: str = "docflow-ingest"
    output_bucket: str = "docflow-output"
    events_key: str = "docflow:events"
    max_attempts: int = 3
    task_soft_time_limit: int = 120
    task_time_limit: int = 180
    retry_backoff: int = Field(default=2, description="first retry delay (s), doubled per retry")
    retry_backoff_max: int = Field(default=60, description="longest retry delay (s)")
    visibility_timeout: int = Field(
        default=900,
        description="seconds before an unacknowledged task is redelivered; over "
        "task_time_limit + retry_backoff_max",
    )
    max_deliveries: int = Field(
        default=3, description="deliveries that kill their worker before a WORKER_LOST record"
    )
    worker_max_memory_kb: int = Field(
        default=1_500_000, description="resident memory after which a worker child is replaced"
    )
    sweep_interval: int = Field(default=300, description="seconds between reconciliation sweeps")
    sweep_time_limit: int = Field(default=3600, description="time limit of sweep and reprocess")
    enqueue_chunk: int = Field(default=500, description="tasks published per batch")
    max_backlog: int = Field(
        default=10_000, description="queue depth at which sweep and reprocess wait"
    )

    @field_validator("spacy_models", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        """The JSON map as (language, package) pairs in its own order, hashable like the rest."""
        return tuple(value.items()) if isinstance(value, dict) else value

    def content_fields(self) -> dict[str, object]:
        """The settings that change the enriched output."""
        return {
            "entity_labels": list(self.entity_labels),
            "max_input_bytes": self.max_input_bytes,
            "max_text_chars": self.max_text_chars,
            "max_block_chars": self.max_block_chars,
        }

    def config_hash(self, models: dict[str, tuple[str, str]]) -> str:
        """Stable digest of everything but code version that shapes the output.

        models maps each language to the (name, version) of the package that tags it.
        """
        fields = self.content_fields() | {"models": {k: list(v) for k, v in models.items()}}
        blob = json.dumps(fields, sort_keys=True).encode()
        return "sha256:" + hashlib.sha256(blob).hexdigest()[:16]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
