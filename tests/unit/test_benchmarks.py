"""Smoke tests of the benchmark scripts' helpers that need no dev corpus (no timing)."""

import os

import pytest

from benchmarks import service
from benchmarks.common import interleaved, rss_mb, table


def test_benchmarks_common_interleaved_runs_every_chunk_once() -> None:
    seen: list[tuple[str, int]] = []
    seconds = interleaved(
        list(range(5)),
        2,
        {"a": lambda c: seen.append(("a", c[0])), "b": lambda c: seen.append(("b", c[0]))},
    )
    assert [first for first, _ in seen] == ["a", "b", "b", "a", "a", "b"]
    assert set(seconds) == {"a", "b"}
    assert all(s >= 0 for s in seconds.values())


def test_benchmarks_common_table_aligns_columns() -> None:
    text = table("T", ["name", "n"], [("x", 1.5), ("longer", 20.0)])
    assert text.splitlines() == ["T", "name        n", "------  -----", "x       1.500",
                                 "longer   20.0"]  # fmt: skip
    assert rss_mb() > 0


def test_benchmarks_service_reports_overhead_scaling_and_cpu() -> None:
    runs = [
        service.ServiceRun(count, 10, 0.5, 0.1, 10.0 / count, 8.0 / count, 1.0, 0.1, 9.0, 200.0)
        for count in (1, 2)
    ]
    assert runs[0].overhead == pytest.approx(0.8)
    text = service.report(runs)
    assert "scaling, 2 workers vs 1: service 2.000" in text
    assert service.cpu_seconds(os.getpid()) > 0
