"""Smoke tests of the benchmark scripts' helpers that need no dev corpus (no timing)."""

import os
from pathlib import Path

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


def test_benchmarks_service_latency_percentiles_ratio_and_share() -> None:
    latency = service.Latency(
        event_to_output=[0.1 * n for n in range(1, 11)],
        stages=[0.05] * 10,
        in_process=[0.25] * 10,
        round_trips=[0.006, 0.007, 0.009],
    )
    assert latency.p50 == pytest.approx(0.55)
    assert latency.p90 == pytest.approx(0.91)
    assert latency.ratio == pytest.approx(2.2)
    assert latency.share == pytest.approx(0.5 / 5.5)
    text = service.latency_report(latency)
    assert "550.0" in text and "1,000.0" in text and "2.200" in text and "7.0" in text
    assert f"target p50 <= {service.TARGET_LATENCY}" in text


def test_benchmarks_service_log_tail_sees_only_new_lines(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    log.write_text("process a.txt: enriched\n")
    tail = service.LogTail(log)
    with log.open("a") as out:
        out.write("process b.txt: enr")
        out.flush()
        with pytest.raises(TimeoutError):
            tail.wait_for("process b.txt: enriched", timeout=0.05)
        out.write("iched\n")
    assert tail.wait_for("process b.txt: enriched", timeout=5) > 0
    with pytest.raises(TimeoutError):
        tail.wait_for("process a.txt: enriched", timeout=0.05)
