"""Worker processes that can be replaced: a job past its time limit costs its child, not the run.

A thread cannot be stopped inside C code (a regex, lxml, spaCy), a process can: as in
Celery's prefork pool, each job runs in a child, and a child still busy at the deadline is
killed and replaced by a fresh one, while the other children go on.
"""

import logging
import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")

# Children fork from a server that imported the pipeline once, single-threaded: cheap to
# start, and no lock a thread of the parent held (a progress bar's, a log handler's) is
# inherited locked, as a fork of the parent itself risks.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["workers.pipeline"])
_READY = "ready"
_STOP_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Done(Generic[R]):
    """The job ran to the end and returned value."""

    value: R


@dataclass(frozen=True, slots=True)
class TimedOut:
    """The job was still running at the deadline; its child was killed."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Lost:
    """The job's child died under it (a signal, out of memory) or the job raised."""

    reason: str


Result = Done[R] | TimedOut | Lost


@dataclass(slots=True)
class _Child(Generic[J]):
    process: BaseProcess
    conn: Connection
    ready: bool = False
    job: J | None = None
    deadline: float = 0.0


def _serve(conn: Connection, work: Callable[[J], R], init: Callable[[], object] | None) -> None:
    """A child's loop: start up, then one job at a time until told to stop."""
    # Ctrl-C reaches the whole process group; the parent alone decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if init is not None:
        init()
    conn.send(_READY)
    while (job := conn.recv()) is not None:
        try:
            result: Result[R] = Done(work(job))
        except Exception as exc:  # a bug in one job must not take the child's others
            result = Lost(f"{type(exc).__name__}: {exc}")
        conn.send(result)


class Pool(Generic[J, R]):
    """Run work(job) for each submitted job in up to `processes` children, limit seconds each.

    init runs once in each new child before its first job (loading a model, say), outside
    the limit. Jobs may be submitted while results are read.
    """

    def __init__(
        self,
        work: Callable[[J], R],
        processes: int,
        limit: float,
        init: Callable[[], object] | None = None,
    ) -> None:
        self._work = work
        self._processes = max(1, processes)
        self._limit = limit
        self._init = init
        self._queue: deque[J] = deque()
        self._children: list[_Child[J]] = []

    def __enter__(self) -> "Pool[J, R]":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def submit(self, job: J) -> None:
        """Queue a job; it starts when a child is free."""
        self._queue.append(job)

    def results(self) -> Iterator[tuple[J, Result[R]]]:
        """(job, result) for every submitted job, as each finishes, until none is left."""
        while self._queue or any(child.job is not None for child in self._children):
            self._start_children()
            self._hand_out()
            yield from self._collect()

    def close(self) -> None:
        """Stop every child: idle ones when asked, busy ones at once."""
        for child in self._children:
            if child.job is None:
                with suppress(OSError):  # already gone
                    child.conn.send(None)
            else:
                child.process.kill()
        for child in self._children:
            child.process.join(_STOP_SECONDS)
            if child.process.is_alive():
                child.process.kill()
                child.process.join()
            child.conn.close()
        self._children = []

    def _start_children(self) -> None:
        """Enough children for the work queued, up to the pool's size."""
        busy = sum(child.job is not None for child in self._children)
        wanted = min(self._processes, busy + len(self._queue))
        while len(self._children) < wanted:
            ours, theirs = _CONTEXT.Pipe()
            process = _CONTEXT.Process(
                target=_serve, args=(theirs, self._work, self._init), daemon=True
            )
            process.start()
            theirs.close()
            self._children.append(_Child(process, ours))

    def _hand_out(self) -> None:
        for child in self._children:
            if child.ready and child.job is None and self._queue:
                child.job = self._queue.popleft()
                child.deadline = time.monotonic() + self._limit
                child.conn.send(child.job)

    def _collect(self) -> Iterator[tuple[J, Result[R]]]:
        """Wait for a message or the next deadline; what finished, timed out or died."""
        busy = [child for child in self._children if child.job is not None]
        timeout = min((c.deadline for c in busy), default=time.monotonic() + self._limit)
        ready = wait([c.conn for c in self._children], max(0.0, timeout - time.monotonic()))
        for child in list(self._children):
            if child.conn in ready:
                yield from self._receive(child)
            elif child.job is not None and time.monotonic() >= child.deadline:
                job = child.job
                log.warning(
                    "a job ran past the %s s limit; replacing its worker process", self._limit
                )
                self._replace(child)
                yield job, TimedOut(self._limit)

    def _receive(self, child: _Child[J]) -> Iterator[tuple[J, Result[R]]]:
        try:
            message = child.conn.recv()
        except (EOFError, OSError) as exc:
            job, ready = child.job, child.ready
            self._replace(child)
            exitcode = child.process.exitcode
            if not ready:  # it could not even start: another would fare no better
                raise RuntimeError(
                    f"a worker process died while starting (exit {exitcode})"
                ) from exc
            if job is not None:  # an idle one is simply replaced once work needs it
                yield job, Lost(f"the worker process died (exit code {exitcode})")
            return
        if message == _READY:
            child.ready = True
            return
        job, child.job = child.job, None
        if job is not None:
            yield job, message

    def _replace(self, child: _Child[J]) -> None:
        """Kill a child and forget it; the next round starts another if work remains."""
        child.process.kill()
        child.process.join()
        child.conn.close()
        self._children.remove(child)
