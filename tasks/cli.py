"""The docflow command line: `run` is the embedded mode; the service verbs queue work."""

import logging
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tasks.jobs import Outcome, process_key
from workers.settings import get_settings
from workers.store import LocalStore

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
) -> None:
    """Process files in-process with no broker and no S3; outputs go to OUT/enriched|failed."""
    settings = get_settings()
    inputs = list(local_inputs(paths))
    outbox = LocalStore(out)
    outcomes: list[Outcome] = []
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
        for inbox, key in inputs:
            progress.update(bar, description=key[-40:])
            outcomes.append(process_key(inbox, outbox, key, settings, force=force))
            progress.advance(bar)
    _summary(outcomes, time.perf_counter() - started, out)
    raise typer.Exit(1 if any(o.status == "failed" for o in outcomes) else 0)


def _summary(outcomes: list[Outcome], seconds: float, out: Path) -> None:
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


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
