"""Which inputs need work: the sweep's missing-or-older rule and reprocess's selectors."""

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime

from tasks.jobs import is_current
from workers.settings import Settings
from workers.store import (
    ENRICHED_PREFIX,
    FAILED_PREFIX,
    OUTPUT_PREFIXES,
    ObjectInfo,
    Store,
    input_key,
    output_key,
)


@dataclass(frozen=True, slots=True)
class Selection:
    """Exactly one of: one key, a key prefix, stale outputs, failed inputs, or all inputs."""

    key: str | None = None
    prefix: str | None = None
    stale: bool = False
    failed: bool = False
    all: bool = False

    def __post_init__(self) -> None:
        chosen = [f.name for f in fields(self) if getattr(self, f.name) not in (None, False)]
        if len(chosen) != 1:
            raise ValueError(
                f"choose exactly one of --key, --prefix, --stale, --failed, --all; "
                f"got {chosen or 'none'}"
            )


def inputs(inbox: Store, prefix: str = "") -> Iterator[ObjectInfo]:
    """Input objects under prefix, never docflow's own outputs if they share the bucket."""
    return (info for info in inbox.list(prefix) if not info.key.startswith(OUTPUT_PREFIXES))


def has_current_output(outbox: Store, key: str, etag: str, settings: Settings) -> bool:
    """True when an enriched document or a failure record was made from this etag today."""
    return any(
        is_current(outbox.head(output_key(prefix, key)), etag, settings)
        for prefix in OUTPUT_PREFIXES
    )


def select(selection: Selection, inbox: Store, outbox: Store, settings: Settings) -> Iterator[str]:
    """Input keys a reprocess covers, in key order."""
    if selection.key is not None:
        if not selection.key.startswith(OUTPUT_PREFIXES):
            yield selection.key
    elif selection.failed:
        yield from (input_key(FAILED_PREFIX, o.key) for o in outbox.list(FAILED_PREFIX))
    else:
        for info in inputs(inbox, selection.prefix or ""):
            if not selection.stale or not has_current_output(outbox, info.key, info.etag, settings):
                yield info.key


def unprocessed(inbox: Store, outbox: Store) -> Iterator[str]:
    """Inputs with no output, or only outputs older than the input: what the sweep enqueues."""
    newest: dict[str, datetime] = {}
    for prefix in (ENRICHED_PREFIX, FAILED_PREFIX):
        for output in outbox.list(prefix):
            key, made = input_key(prefix, output.key), _moment(output)
            newest[key] = max(made, newest.get(key, made))
    for info in inputs(inbox):
        done = newest.get(info.key)
        if done is None or done < _moment(info):
            yield info.key


def _moment(info: ObjectInfo) -> datetime:
    return datetime.fromisoformat(info.last_modified)
