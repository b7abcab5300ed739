"""Where outputs live, how they are tagged, when one is current, and how one is written.

An output is current when its tags say it was made from the input's etag with today's
settings and code. Ingest asks it of both outputs (a current failure record is an answer
too: an event for the same bytes is not worth another try); reprocess and process ask it
of the enriched document alone, since retrying a failure is what they are for.
"""

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from workers.model import Source
from workers.overlap import overlapped
from workers.pipeline import current_config
from workers.render import JSON_TYPE
from workers.settings import Settings
from workers.store import ObjectInfo, Store

ENRICHED_PREFIX = "enriched/"
FAILED_PREFIX = "failed/"
OUTPUT_PREFIXES = (ENRICHED_PREFIX, FAILED_PREFIX)

# Object metadata on every output, so freshness is known from a HEAD, not a download.
META_ETAG = "source-etag"
META_CONFIG = "config-hash"
META_VERSION = "docflow-version"
# On every enriched output: its language and the model that tagged it ("" for none), so
# `docflow status` can count the documents no model read, by language, from a HEAD.
META_LANGUAGE = "language"
META_MODEL = "spacy-model"


def output_key(prefix: str, key: str) -> str:
    """Where the output for an input key lives, e.g. enriched/a/b.txt.json."""
    return f"{prefix}{key}.json"


def input_key(prefix: str, output: str) -> str:
    """The input key an output key was written for (inverse of output_key)."""
    return output.removeprefix(prefix).removesuffix(".json")


def is_current(output: ObjectInfo | None, etag: str, settings: Settings) -> bool:
    """True when an output was made from this etag with today's config and code."""
    if output is None:
        return False
    config = current_config(settings)
    meta = output.metadata
    return (
        meta.get(META_ETAG) == etag
        and meta.get(META_CONFIG) == config.config_hash
        and meta.get(META_VERSION) == config.version
    )


def source_of(info: ObjectInfo, bucket: str | None) -> Source:
    """The source block of an output, from what the store says of the input."""
    if bucket is None:
        return Source(key=info.key)
    return Source(
        key=info.key,
        bucket=bucket,
        etag=info.etag,
        size=info.size,
        content_type=info.content_type,
        last_modified=info.last_modified,
    )


def has_current_output(outbox: Store, key: str, etag: str, settings: Settings) -> bool:
    """True when an enriched document or a failure record was made from this etag today."""
    heads = overlapped(outbox.head, [output_key(prefix, key) for prefix in OUTPUT_PREFIXES])
    return any(is_current(output, etag, settings) for output in heads)


class Looked(NamedTuple):
    """What ingest's HEADs found of one input and its outputs."""

    info: ObjectInfo | None  # the input; None when it is gone
    current: bool  # an enriched document or failure record was made from this input
    recorded: bool  # a failure record exists, current or not


def input_and_current(inbox: Store, outbox: Store, key: str, settings: Settings) -> Looked:
    """The input's HEAD and what its outputs say of it: three HEADs in flight."""
    # Each HEAD is a round trip: on the event path, asking all at once is latency saved.
    calls: list[Callable[[], ObjectInfo | None]] = [
        partial(inbox.head, key),
        *(partial(outbox.head, output_key(prefix, key)) for prefix in OUTPUT_PREFIXES),
    ]
    info, *outputs = overlapped(lambda call: call(), calls)
    current = info is not None and any(is_current(o, info.etag, settings) for o in outputs)
    recorded = outputs[OUTPUT_PREFIXES.index(FAILED_PREFIX)] is not None
    return Looked(info, current, recorded)


def write_output(
    outbox: Store,
    prefix: str,
    key: str,
    body: bytes,
    etag: str,
    *,
    settings: Settings,
    **described: str,
) -> None:
    """Put one output whole, tagged with what it was made from (and described, if given)."""
    config = current_config(settings)
    metadata = {
        META_ETAG: etag,
        META_CONFIG: config.config_hash,
        META_VERSION: config.version,
        **described,
    }
    outbox.put(output_key(prefix, key), body, JSON_TYPE, metadata)
