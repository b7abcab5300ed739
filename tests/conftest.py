"""Shared test helpers: where the repo and seeds are, and the contract checks."""

from pathlib import Path
from typing import Any

from workers.render import validate

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def check_enriched(document: dict[str, Any]) -> None:
    """Validate against the schema, then what a schema cannot say: spans nest, lie inside the
    text and point at their own text, and each entity's count is its mentions'."""
    validate(document)
    text = document["text"]
    for section in document["sections"]:
        assert section["start"] <= section["end"] <= len(text)
        if section["heading"] is not None:
            assert text[section["start"] :].startswith(section["heading"])
        for paragraph in section["paragraphs"]:
            assert section["start"] <= paragraph["start"] <= paragraph["end"] <= section["end"]
            for sentence in paragraph["sentences"]:
                assert paragraph["start"] <= sentence["start"] < sentence["end"] <= paragraph["end"]
    for entity in document["entities"]:
        assert entity["count"] == len(entity["mentions"])
        for mention in entity["mentions"]:
            assert text[mention["start"] : mention["end"]] == mention["text"]
