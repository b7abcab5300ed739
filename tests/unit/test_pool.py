"""workers.pool: jobs in replaceable worker processes, each under a time limit."""

import os
import time

import pytest

from workers.pool import Done, Lost, Pool, Result, TimedOut

LIMIT = 1.0


def _work(job: str) -> str:
    """'sleep' outlasts the limit, 'exit' kills its process, 'raise' fails; others echo."""
    if job == "sleep":
        time.sleep(60)
    elif job == "exit":
        os._exit(3)
    elif job == "raise":
        raise ValueError("bad job")
    return f"{job} in {os.getpid()}"


def _kind(result: Result[str]) -> str:
    if isinstance(result, Done):
        return "done"
    if isinstance(result, TimedOut):
        return "timed out"
    assert isinstance(result, Lost)
    return f"lost: {result.reason}"


@pytest.mark.parametrize("processes", [1, 2])
def test_pool_replaces_a_child_past_the_limit_or_dead_and_goes_on(processes: int) -> None:
    jobs = ["a", "sleep", "b", "exit", "c", "raise", "d"]
    with Pool(_work, processes, LIMIT) as pool:
        for job in jobs:
            pool.submit(job)
        settled = {job: _kind(result) for job, result in pool.results()}
    assert settled == {
        "a": "done",
        "sleep": "timed out",
        "b": "done",
        "exit": "lost: the worker process died (exit code 3)",
        "c": "done",
        "raise": "lost: ValueError: bad job",
        "d": "done",
    }


def test_pool_takes_jobs_submitted_while_results_are_read() -> None:
    seen = []
    with Pool(_work, 2, LIMIT) as pool:
        pool.submit("first")
        for job, result in pool.results():
            seen.append(job)
            assert isinstance(result, Done)
            assert result.value.startswith(job)
            if job == "first":
                pool.submit("second")
    assert seen == ["first", "second"]
