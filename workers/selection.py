"""Which inputs need work: the sweep's missing-or-older rule and reprocess's selectors."""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Literal

from workers.outputs import (
    ENRICHED_PREFIX,
    FAILED_PREFIX,
    OUTPUT_PREFIXES,
    has_current_output,
    input_key,
    is_current,
    output_key,
)
from workers.settings import Settings
from workers.store import ObjectInfo, Store


class SelectionError(ValueError):
    """A reprocess asked for in words that select nothing: which words, and what it takes."""


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
            raise SelectionError(
                f"choose exactly one of --key, --prefix, --stale, --failed, --all; "
                f"got {chosen or 'none'}"
            )


# What reprocess does with one selected key: queue it, skip it as current, or say it is gone.
Verdict = Literal["queue", "current", "missing"]
_TEXTS = ("key", "prefix")
_FLAGS = ("stale", "failed", "all", "force")


def from_options(args: Sequence[object], options: Mapping[str, object]) -> tuple[Selection, bool]:
    """The selection and force flag that docflow.reprocess's arguments name, each checked."""
    takes = ", ".join((*_TEXTS, *_FLAGS))
    if args:
        raise SelectionError(
            f"docflow.reprocess takes keyword arguments only ({takes}), not {args!r}"
        )
    unknown = sorted(set(options) - {*_TEXTS, *_FLAGS})
    if unknown:
        named = ", ".join(repr(name) for name in unknown)
        raise SelectionError(f"docflow.reprocess: unknown argument {named}; it takes {takes}")
    text = {name: options.get(name) for name in _TEXTS}
    flag = {name: options.get(name, False) for name in _FLAGS}
    for name, value in (*text.items(), *flag.items()):
        wanted = (str, type(None)) if name in text else bool
        if not isinstance(value, wanted):
            kind = "a string" if name in text else "true or false"
            raise SelectionError(f"docflow.reprocess: {name} must be {kind}, not {value!r}")
    selection = Selection(
        key=str(text["key"]) if text["key"] is not None else None,
        prefix=str(text["prefix"]) if text["prefix"] is not None else None,
        stale=bool(flag["stale"]),
        failed=bool(flag["failed"]),
        all=bool(flag["all"]),
    )
    return selection, bool(flag["force"])


def inputs(inbox: Store, prefix: str = "") -> Iterator[ObjectInfo]:
    """Input objects under prefix, never docflow's own outputs if they share the bucket."""
    return (info for info in inbox.list(prefix) if not info.key.startswith(OUTPUT_PREFIXES))


def select(
    selection: Selection, inbox: Store, outbox: Store, settings: Settings, *, force: bool = False
) -> Iterator[tuple[str, Verdict]]:
    """Each input key a reprocess covers, in key order, and what to do with it.

    A key without an input is "missing". Without force, an input whose enriched document
    is current is "current", as the worker would find it (a failure record is no reason to
    skip: retrying it is what `--failed` is for); stale selects what has no current output
    of either kind, force or not. Everything else is queued.
    """
    for key, info in _candidates(selection, inbox, outbox):
        if info is None:
            yield key, "missing"
        elif selection.stale:
            current = has_current_output(outbox, key, info.etag, settings)
            yield key, "current" if current else "queue"
        elif not force and is_current(
            outbox.head(output_key(ENRICHED_PREFIX, key)), info.etag, settings
        ):
            yield key, "current"
        else:
            yield key, "queue"


def _candidates(
    selection: Selection, inbox: Store, outbox: Store
) -> Iterator[tuple[str, ObjectInfo | None]]:
    """Selected keys and what the store says of each input (None when there is none)."""
    if selection.key is not None:
        # An output's key names no input, even where both share one bucket.
        absent = selection.key.startswith(OUTPUT_PREFIXES)
        yield selection.key, None if absent else inbox.head(selection.key)
    elif selection.failed:
        for record in outbox.list(FAILED_PREFIX):
            key = input_key(FAILED_PREFIX, record.key)
            yield key, inbox.head(key)
    else:
        for info in inputs(inbox, selection.prefix or ""):
            yield info.key, info


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
