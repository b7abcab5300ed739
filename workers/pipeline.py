"""Documents from raw bytes to enriched JSON objects: read, clean, segment, tag, render."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from spacy.util import get_package_version

from workers import __version__
from workers.clean import clean
from workers.errors import Code, DocflowError
from workers.model import ModelInfo, PipelineInfo, RawDocument, Segmented
from workers.nlp import load_model, resolve_model_name
from workers.read import decode
from workers.segment import Layout, lay_out, segment_all
from workers.settings import Settings
from workers.tag import tag
from workers.write import now_iso, render

T = TypeVar("T")
Enriched = dict[str, Any] | DocflowError


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


def _timed(stage: str, timings: dict[str, float], step: Callable[..., T], *args: Any) -> T:
    started = time.perf_counter()
    try:
        return step(*args)
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


def enrich_all(
    raws: Sequence[RawDocument],
    settings: Settings,
    classify: Callable[[DocflowError], DocflowError] = lambda error: error,
) -> list[Enriched]:
    """Run every stage on each document, the model once over all that reach it.

    Each result is the document's enriched object, or the DocflowError that says which
    stage gave up on it and why; one document's failure never costs another its output.
    Should the model fail on the batch, classify sees the error first (it may raise, when
    the caller knows the failure is not any document's doing) before each document is
    tried alone.
    """
    config = current_config(settings)
    results: list[Enriched | None] = [None] * len(raws)
    laid_out: list[tuple[int, Layout, dict[str, float]]] = []
    for index, raw in enumerate(raws):
        timings: dict[str, float] = {}
        try:
            decoded = _timed("read", timings, decode, raw, settings)
            cleaned = _timed("clean", timings, clean, decoded)
            layout = _timed("segment", timings, lay_out, cleaned, settings.max_block_chars)
        except DocflowError as error:
            results[index] = error
            continue
        laid_out.append((index, layout, timings))
    found = _segment(laid_out, config.model.name, classify)
    for (index, _, timings), segmented in zip(laid_out, found, strict=True):
        if isinstance(segmented, DocflowError):
            results[index] = segmented
            continue
        try:
            tagged = _timed("tag", timings, tag, segmented, settings.entity_labels)
            info = PipelineInfo(
                config.version, config.config_hash, config.model, now_iso(), timings
            )
            # Rendering is not a timed stage; it fails on its own, like one.
            results[index] = _timed("write", {}, render, tagged, info)
        except DocflowError as error:
            results[index] = error
    return [result for result in results if result is not None]


def _segment(
    laid_out: Sequence[tuple[int, Layout, dict[str, float]]],
    model: str,
    classify: Callable[[DocflowError], DocflowError],
) -> list[Segmented | DocflowError]:
    """segment_all over the batch; should the batch fail, each document on its own.

    The model is asked for on each try: one that failed is loaded afresh for the next.
    Each document's segment time is its share, by length, of the batch's model time.
    """
    if not laid_out:
        return []
    layouts = [layout for _, layout, _ in laid_out]
    spent: dict[str, float] = {}
    try:
        found: list[Segmented | DocflowError] = list(
            _timed("segment", spent, segment_all, layouts, load_model(model))
        )
    except DocflowError as error:
        if len(layouts) == 1:
            return [error]  # the document's own failure, classified with the rest by the caller
        classify(error)  # may raise: the caller may know the batch, not a document, failed
        return [one for item in laid_out for one in _segment([item], model, classify)]
    total = sum(len(layout.text) for layout in layouts) or 1
    for (_, layout, timings), _ in zip(laid_out, found, strict=True):
        timings["segment"] += spent["segment"] * len(layout.text) / total
    return found


def enrich(raw: RawDocument, settings: Settings) -> dict[str, Any]:
    """Run every stage on one document; a DocflowError says which stage gave up and why."""
    (result,) = enrich_all([raw], settings)
    if isinstance(result, DocflowError):
        raise result
    return result
