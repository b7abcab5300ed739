"""Documents from raw bytes to enriched JSON objects: decode, clean, language, segment,
resolve, render.

Each stage's time is reported under the name the output contract gave it first ("read",
"tag", "write" for decode, resolve and render), so readers of timings_ms keep working.
"""

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from spacy.util import get_package_version

from workers import __version__
from workers.clean import clean
from workers.decode import decode
from workers.document import EnrichedDocument
from workers.errors import Code, DocflowError
from workers.language import identify, load_identifier
from workers.model import ModelInfo, PipelineInfo, RawDocument, Segmented
from workers.nlp import load_model, model_for, resolve_models
from workers.render import now_iso, render
from workers.resolve import country_codes, gazetteer, resolve
from workers.segment import Layout, lay_out, segment_all
from workers.settings import Settings

T = TypeVar("T")
# What the pipeline makes of one document: the enriched document, or why it could not.
DocumentOrError = EnrichedDocument | DocflowError


@dataclass(frozen=True, slots=True)
class Config:
    """What decides whether an existing output is current: code version and settings digest,
    which covers the model of every language."""

    version: str
    config_hash: str
    models: Mapping[str, ModelInfo]  # language -> its package, in the setting's order

    @property
    def packages(self) -> dict[str, str]:
        """Language -> the name of its package."""
        return {language: model.name for language, model in self.models.items()}


@lru_cache(maxsize=4)
def current_config(settings: Settings) -> Config:
    """The config outputs are made with now, known without loading any model."""
    models = {
        language: ModelInfo(name=name, version=get_package_version(name) or "unknown")
        for language, name in resolve_models(settings.spacy_models).items()
    }
    digest = settings.config_hash({k: (m.name, m.version) for k, m in models.items()})
    return Config(__version__, digest, models)


def warm(settings: Settings) -> str | None:
    """Load the language identifier, the gazetteers and the first model ahead of any document.

    Returns the model's name. Any other language's model loads when a document needs it.
    """
    load_identifier()
    gazetteer()
    country_codes()
    names = list(current_config(settings).packages.values())[:1]
    for name in names:
        load_model(name)
    return names[0] if names else None


# What a caller declares to pass through the stages untouched, as control flow rather than
# a document's failure: a Celery worker's soft time limit, for one. Everything else a stage
# raises becomes the document's DocflowError.
Passthrough = tuple[type[BaseException], ...]


def _timed(
    stage: str,
    timings: dict[str, float],
    passthrough: Passthrough,
    step: Callable[..., T],
    *args: Any,
) -> T:
    started = time.perf_counter()
    try:
        return step(*args)
    except DocflowError:
        raise
    except passthrough:
        raise
    except RecursionError as exc:
        raise DocflowError(Code.MALFORMED, "input nests too deeply to parse", stage) from exc
    except MemoryError as exc:
        raise DocflowError(Code.TOO_LARGE, "input needs more memory than allowed", stage) from exc
    except Exception as exc:
        raise DocflowError(Code.INTERNAL, f"{type(exc).__name__}: {exc}", stage) from exc
    finally:
        timings[stage] = (time.perf_counter() - started) * 1000


def enrich_all(
    raws: Sequence[RawDocument],
    settings: Settings,
    passthrough: Passthrough = (),
) -> list[DocumentOrError]:
    """Run every stage on each document, the model once over all that reach it.

    Each result is the document's enriched object, or the DocflowError that says which
    stage gave up on it and why; one document's failure never costs another its output.
    Documents go through the model of their language together, one batch per language;
    a language with no model gets sentences from its blank tokenizer and no entities.
    Should the model fail on the batch, each document is tried alone. An exception of a
    passthrough type leaves at once, whatever stage it struck.
    """
    config = current_config(settings)
    results: list[DocumentOrError | None] = [None] * len(raws)
    laid_out: list[tuple[int, Layout, dict[str, float]]] = []
    for index, raw in enumerate(raws):
        timings: dict[str, float] = {}
        try:
            decoded = _timed("read", timings, passthrough, decode, raw, settings)
            cleaned = _timed("clean", timings, passthrough, clean, decoded)
            cleaned = _timed("language", timings, passthrough, identify, cleaned)
            layout = _timed(
                "segment", timings, passthrough, lay_out, cleaned, settings.max_block_chars
            )
        except DocflowError as error:
            results[index] = error
            continue
        laid_out.append((index, layout, timings))
    by_language: dict[str | None, list[tuple[int, Layout, dict[str, float]]]] = {}
    # A text too short or too mixed to tell (a results table, say) goes to the setting's
    # first model: it is the default language, and no other language was identified.
    default = next(iter(config.models), None)
    for item in laid_out:
        language = item[1].cleaned.metadata.language or default
        by_language.setdefault(language, []).append(item)
    for language, group in by_language.items():
        model = config.models.get(language or "")
        found = _segment(group, language, config.packages, passthrough)
        for (index, _, timings), segmented in zip(group, found, strict=True):
            results[index] = _finish(
                segmented, timings, model, config, settings, passthrough=passthrough
            )
    return [result for result in results if result is not None]


def _finish(
    segmented: Segmented | DocflowError,
    timings: dict[str, float],
    model: ModelInfo | None,
    config: Config,
    settings: Settings,
    *,
    passthrough: Passthrough,
) -> DocumentOrError:
    """Resolve and render one segmented document; a DocflowError stays what it is."""
    if isinstance(segmented, DocflowError):
        return segmented
    try:
        resolved = _timed("tag", timings, passthrough, resolve, segmented, settings.entity_labels)
        info = PipelineInfo(config.version, config.config_hash, model, now_iso(), timings)
        # Rendering is not a timed stage; it fails on its own, like one.
        return _timed("write", {}, passthrough, render, resolved, info)
    except DocflowError as error:
        return error


def _segment(
    laid_out: Sequence[tuple[int, Layout, dict[str, float]]],
    language: str | None,
    models: Mapping[str, str],
    passthrough: Passthrough,
) -> list[Segmented | DocflowError]:
    """segment_all over a batch of one language; should it fail, each document on its own.

    The model is asked for on each try: one that failed is loaded afresh for the next.
    Each document's segment time is its share, by length, of the batch's model time.
    """
    if not laid_out:
        return []
    layouts = [layout for _, layout, _ in laid_out]
    spent: dict[str, float] = {}
    try:
        found: list[Segmented | DocflowError] = list(
            _timed("segment", spent, passthrough, segment_all, layouts, model_for(language, models))
        )
    except DocflowError as error:
        if len(layouts) == 1:
            return [error]
        return [one for item in laid_out for one in _segment([item], language, models, passthrough)]
    total = sum(len(layout.text) for layout in layouts) or 1
    for (_, layout, timings), _ in zip(laid_out, found, strict=True):
        timings["segment"] += spent["segment"] * len(layout.text) / total
    return found
