"""One document from raw bytes to the enriched JSON object: read, clean, segment, tag."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from spacy.util import get_package_version

from workers import __version__
from workers.clean import clean
from workers.errors import Code, DocflowError
from workers.model import ModelInfo, PipelineInfo, RawDocument
from workers.nlp import load_model, resolve_model_name
from workers.read import decode
from workers.segment import segment
from workers.settings import Settings
from workers.tag import tag
from workers.write import now_iso, render

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Config:
    """What decides whether an existing output is current: code version and settings digest."""

    version: str
    config_hash: str
    model: ModelInfo


@lru_cache(maxsize=4)
def current_config(settings: Settings) -> Config:
    """The config outputs are made with now, known without loading the model."""
    name = resolve_model_name(settings.spacy_model)
    model = ModelInfo(name=name, version=get_package_version(name) or "unknown")
    return Config(__version__, settings.config_hash(model.name, model.version), model)


def _timed(stage: str, timings: dict[str, float], step: Callable[[], T]) -> T:
    started = time.perf_counter()
    try:
        return step()
    except DocflowError:
        raise
    except RecursionError as exc:
        raise DocflowError(Code.MALFORMED, "input nests too deeply to parse", stage) from exc
    except MemoryError as exc:
        raise DocflowError(Code.TOO_LARGE, "input needs more memory than allowed", stage) from exc
    except Exception as exc:
        raise DocflowError(Code.INTERNAL, f"{type(exc).__name__}: {exc}", stage) from exc
    finally:
        timings[stage] = (time.perf_counter() - started) * 1000


def enrich(raw: RawDocument, settings: Settings) -> dict[str, Any]:
    """Run every stage on one document; a DocflowError says which stage gave up and why."""
    config = current_config(settings)
    timings: dict[str, float] = {}
    decoded = _timed("read", timings, lambda: decode(raw, settings))
    cleaned = _timed("clean", timings, lambda: clean(decoded))
    nlp = load_model(config.model.name)
    segmented = _timed("segment", timings, lambda: segment(cleaned, nlp, settings.max_block_chars))
    tagged = _timed("tag", timings, lambda: tag(segmented, settings.entity_labels))
    info = PipelineInfo(config.version, config.config_hash, config.model, now_iso(), timings)
    return render(tagged, info)
