"""The docflow command line: `run` is the embedded mode; the service verbs queue work."""

import dataclasses
import json
import logging
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from workers.settings import get_settings
from workers.store import LocalStore

# Each verb imports what it runs on itself: `run` must work with no broker reachable or
# installed, and the service's modules build the Celery app and check its settings.
if TYPE_CHECKING:
    from tasks.jobs import Outcome

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console(stderr=True)


@app.callback()
def _root() -> None:
    """Keep every verb a sub-command, even while there is only one."""


def local_inputs(paths: list[Path]) -> Iterator[tuple[LocalStore, str]]:
    """(store, key) per input: a file keyed by its name, a folder's files by relative path."""
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                yield LocalStore(path), file.relative_to(path).as_posix()
        else:
            yield LocalStore(path.parent), path.name


@app.command()
def run(
    paths: Annotated[
        list[Path], typer.Argument(exists=True, readable=True, help="Files or folders to process")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output folder")] = Path("data"),
    force: Annotated[bool, typer.Option(help="Redo inputs whose output is current")] = False,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", min=1, help="Worker processes", show_default="one per core"),
    ] = None,
) -> None:
    """Process files with no broker and no S3; outputs go to OUT/enriched|failed."""
    from tasks.local import run_batches  # noqa: PLC0415

    settings = get_settings()
    inputs = list(local_inputs(paths))
    started = time.perf_counter()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=len(inputs) < 2,
    ) as progress:
        bar = progress.add_task("processing", total=len(inputs))
        outcomes = run_batches(
            inputs,
            out,
            settings,
            force=force,
            jobs=jobs or _cores(),
            advance=lambda done: progress.advance(bar, done),
        )
    _summary(outcomes, time.perf_counter() - started, out)
    raise typer.Exit(1 if any(o.status == "failed" for o in outcomes) else 0)


def _cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0))


def _summary(outcomes: list["Outcome"], seconds: float, out: Path) -> None:
    statuses = Counter(o.status for o in outcomes)
    codes = Counter(o.code for o in outcomes if o.code)
    table = Table(title=f"docflow run -> {out}", show_header=False)
    table.add_row("documents", str(len(outcomes)))
    table.add_row("succeeded", str(statuses["enriched"]))
    table.add_row("skipped (current)", str(statuses["skipped"]))
    table.add_row("failed", str(statuses["failed"]))
    for code, count in sorted(codes.items()):
        table.add_row(f"  {code}", str(count))
    table.add_row("entities", str(sum(o.entities for o in outcomes)))
    table.add_row("time", f"{seconds:.1f} s")
    console.print(table)


def _progress(description: str, total: int | None = None) -> tuple[Progress, TaskID]:
    """A progress bar on stderr, in the style of `run`, and its one task."""
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    return progress, progress.add_task(description, total=total)


@app.command()
def submit(
    paths: Annotated[
        list[Path], typer.Argument(exists=True, readable=True, help="Files or folders to upload")
    ],
) -> None:
    """Upload files to the ingest bucket, keyed as `run` keys them; events do the rest."""
    from tasks.submit import submit as upload  # noqa: PLC0415

    settings = get_settings()
    inputs = list(local_inputs(paths))
    progress, bar = _progress("uploading", len(inputs))
    with progress:
        count = upload(inputs, settings, sent=lambda _: progress.advance(bar))
    console.print(f"submitted {count} files to s3://{settings.ingest_bucket}")


@app.command()
def events(
    name: Annotated[
        str, typer.Option(help="This bridge's name; a restart under it recovers its events")
    ] = "main",
) -> None:
    """Move MinIO's bucket events from Redis to ingest tasks until stopped."""
    from tasks.events import Bridge  # noqa: PLC0415

    logging.getLogger("tasks").setLevel(logging.INFO)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    Bridge(get_settings(), name).run(stop)


@app.command()
def sweep() -> None:
    """Queue processing of every input whose output is missing or older than it."""
    from tasks.service import start_sweep  # noqa: PLC0415

    progress, bar = _progress("queueing ingest")
    with progress:
        count = start_sweep(get_settings(), sent=lambda n: progress.advance(bar, n))
    console.print(f"sweep queued {count} inputs")


@app.command()
def reprocess(
    *,
    key: Annotated[str | None, typer.Option(help="One input key")] = None,
    prefix: Annotated[str | None, typer.Option(help="Every input under this prefix")] = None,
    stale: Annotated[
        bool, typer.Option("--stale", help="Inputs without an output of this version and config")
    ] = False,
    failed: Annotated[bool, typer.Option("--failed", help="Inputs with a failure record")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Every input")] = False,
    force: Annotated[bool, typer.Option("--force", help="Redo outputs that are current")] = False,
) -> None:
    """Queue processing for a selection of inputs (exactly one of the selectors)."""
    from tasks.selection import Selection  # noqa: PLC0415
    from tasks.service import start_reprocess  # noqa: PLC0415

    try:
        selection = Selection(key=key, prefix=prefix, stale=stale, failed=failed, all=all_)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    progress, bar = _progress("queueing process")
    with progress:
        count = start_reprocess(
            selection, force, get_settings(), sent=lambda n: progress.advance(bar, n)
        )
    console.print(f"reprocess queued {count} inputs")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts")] = False,
) -> None:
    """Show queue depths, workers online and how many documents are enriched or failed."""
    from tasks.status import gather  # noqa: PLC0415

    now = gather(get_settings())
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(now)))
        return
    table = Table(title="docflow status", show_header=False)
    for queue, depth in now.queues.items():
        table.add_row(f"queued in {queue}", str(depth))
    table.add_row("workers online", ", ".join(now.workers) or "none")
    table.add_row("enriched", str(now.enriched))
    table.add_row("failed", str(now.failed))
    Console().print(table)


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
