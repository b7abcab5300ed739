"""All settings, read once from DOCFLOW_* environment variables."""

import hashlib
import json
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

NUMERIC_LABELS = ("CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY")
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
)


class Settings(BaseSettings):
    """Every knob docflow has; tasks/ and workers/ both read this one object."""

    model_config = SettingsConfigDict(env_prefix="DOCFLOW_", frozen=True)

    # Content: these change what a document looks like, so they feed config_hash.
    spacy_model: str = Field(
        default="",
        description="spaCy package to load; empty picks en_core_web_sm, else the PyPI re-upload",
    )
    entity_labels: tuple[str, ...] = DEFAULT_LABELS
    max_input_bytes: int = 20_000_000
    max_text_chars: int = 2_000_000

    # Service: where work and documents live.
    broker_url: str = "redis://127.0.0.1:6379/0"
    s3_endpoint_url: str | None = None
    ingest_bucket: str = "docflow-ingest"
    output_bucket: str = "docflow-output"
    events_key: str = "docflow:events"
    max_attempts: int = 3
    task_soft_time_limit: int = 120
    task_time_limit: int = 180

    def content_fields(self) -> dict[str, object]:
        """The settings that change the enriched output."""
        return {
            "entity_labels": list(self.entity_labels),
            "max_input_bytes": self.max_input_bytes,
            "max_text_chars": self.max_text_chars,
        }

    def config_hash(self, model_name: str, model_version: str) -> str:
        """Stable digest of everything but code version that shapes the output."""
        fields = self.content_fields() | {"model": [model_name, model_version]}
        blob = json.dumps(fields, sort_keys=True).encode()
        return "sha256:" + hashlib.sha256(blob).hexdigest()[:16]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
