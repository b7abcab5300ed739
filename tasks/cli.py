"""The docflow command line: `run` is the embedded mode; the service verbs queue work."""

import dataclasses
import functools
import json
import logging
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec

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

from workers.local import LocalStore
from workers.settings import Settings, get_settings

# Each verb imports what it runs on itself: `run` must work with no broker reachable or
# installed, and the service's modules build the Celery app and check its settings.
if TYPE_CHECKING:
    from tasks.status import Status
    from workers.batch import Outcome

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console(stderr=True)
# The root options, set once per invocation before any verb runs.
_root_options = {"debug": False}


@app.callback()
def _root(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", envvar="DOCFLOW_DEBUG", help="Show the traceback of an operational fault"
        ),
    ] = False,
) -> None:
    """Keep every verb a sub-command; a service fault is one line unless --debug."""
    _root_options["debug"] = debug


P = ParamSpec("P")


def _operational(verb: Callable[P, None]) -> Callable[P, None]:
    """A service verb whose expected faults end it with one line on stderr and their status."""

    @functools.wraps(verb)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            verb(*args, **kwargs)
        except Exception as error:
            from tasks.faults import explain  # noqa: PLC0415

            fault = explain(error, get_settings())
            if fault is None or _root_options["debug"]:
                raise
            line = f"docflow {verb.__name__}: {fault.line}"
            console.print(line, soft_wrap=True, markup=False, highlight=False)
            raise typer.Exit(fault.status) from None

    return guarded


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
    from workers.embedded import run_batches  # noqa: PLC0415

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
    for language, count in sorted(
        Counter(o.no_model for o in outcomes if o.no_model is not None).items()
    ):
        table.add_row(f"  no model for {language or 'unknown language'}", str(count))
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
@_operational
def submit(
    paths: Annotated[
        list[Path], typer.Argument(exists=True, readable=True, help="Files or folders to upload")
    ],
) -> None:
    """Upload files to the ingest bucket, keyed as `run` keys them; events do the rest."""
    from tasks.faults import check_s3  # noqa: PLC0415
    from tasks.submit import submit as upload  # noqa: PLC0415

    settings = get_settings()
    check_s3(settings, settings.ingest_bucket)
    inputs = list(local_inputs(paths))
    progress, bar = _progress("uploading", len(inputs))
    with progress:
        count = upload(inputs, settings, sent=lambda _: progress.advance(bar))
    console.print(f"submitted {count} files to s3://{settings.ingest_bucket}")


def _reachable(settings: Settings) -> None:
    """Fail first, in one line, on a broker or bucket a sweep or reprocess cannot reach."""
    from tasks.faults import check_broker, check_s3  # noqa: PLC0415

    check_broker(settings)
    check_s3(settings, settings.ingest_bucket, settings.output_bucket)


@app.command()
@_operational
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
@_operational
def sweep() -> None:
    """Queue processing of every input whose output is missing or older than it."""
    from tasks.service import start_sweep  # noqa: PLC0415

    settings = get_settings()
    _reachable(settings)
    # The listing already found these without a current output: they go straight to process.
    progress, bar = _progress("queueing process tasks for inputs without a current output")
    with progress:
        count = start_sweep(settings, sent=lambda n: progress.advance(bar, n))
    console.print(f"sweep queued {count} inputs")


@app.command()
@_operational
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
    from tasks.service import start_reprocess  # noqa: PLC0415
    from workers.selection import Selection  # noqa: PLC0415

    try:
        selection = Selection(key=key, prefix=prefix, stale=stale, failed=failed, all=all_)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    settings = get_settings()
    _reachable(settings)
    progress, bar = _progress("queueing process tasks")
    with progress:
        done = start_reprocess(selection, force, settings, sent=lambda n: progress.advance(bar, n))
    # Stale never redoes a current output, so --force would change nothing there.
    hint = "" if force or stale or not done.current else " (--force redoes them)"
    console.print(
        f"reprocess queued {done.queued} inputs, skipped {done.current} as current{hint}, "
        f"{done.missing} not found in s3://{settings.ingest_bucket}",
        soft_wrap=True,
    )


@app.command()
@_operational
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts")] = False,
    failed: Annotated[
        int, typer.Option("--failed", min=0, help="How many of the latest failures to list")
    ] = 5,
) -> None:
    """Show queues, workers, outputs and failures; a part that cannot be reached says why."""
    from tasks.status import gather  # noqa: PLC0415

    settings = get_settings()
    now = gather(settings, recent=failed)
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(now)))
    else:
        Console().print(_status_table(now))
    for part, line in now.errors.items():
        console.print(f"docflow status: {part}: {line}", soft_wrap=True, markup=False)
    if now.exit_status:
        # Every part degrades on its own; the exit status is the first fault's.
        raise typer.Exit(now.exit_status)


def _status_table(now: "Status") -> Table:
    """The snapshot as rows; unreachable parts say so."""
    table = Table(title="docflow status", show_header=False)
    unreachable = "unreachable (see below)"
    for queue, state in (now.queues or {}).items():
        table.add_row(f"{queue}", f"{state.waiting} waiting, {state.in_flight} in flight")
    if now.queues is None:
        table.add_row("queues", unreachable)
    if now.workers is None:
        table.add_row("workers online", unreachable if now.queues else "unknown (no broker)")
    else:
        online = [f"{w.name} (concurrency {w.concurrency or '?'})" for w in now.workers]
        table.add_row("workers online", "\n".join(online) or "none")
    if now.enriched is None:
        table.add_row("outputs", unreachable)
    else:
        table.add_row("enriched", str(now.enriched))
        table.add_row("failed", str(now.failed))
        for code, count in (now.failures_by_code or {}).items():
            table.add_row(f"  {code}", str(count))
        for failure in now.recent_failures or []:
            table.add_row(f"  {failure.key}", f"{failure.code}: {failure.message}")
    return table


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
