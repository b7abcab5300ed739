"""Smoke tests of the benchmark scripts' core functions on a handful of documents (no timing)."""

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks import memory, nlp, pipeline, service
from benchmarks.common import docflow_model, interleaved, rss_mb, table
from benchmarks.corpus import (
    Input,
    html_corpus,
    plain_bases,
    plain_corpus,
    synthetic_word,
    varied_input,
)
from workers.settings import get_settings


@pytest.mark.parametrize("make", [plain_corpus, html_corpus])
def test_benchmarks_corpus_cycles_to_distinct_inputs(make: Callable[[int], list[Input]]) -> None:
    count = len(plain_bases()) + 3
    inputs = make(count)
    assert len(inputs) == count
    assert len({item.key for item in inputs}) == count
    assert len({item.data for item in inputs}) == count


def test_benchmarks_corpus_varied_inputs_bring_new_words() -> None:
    first, second = (set(varied_input(n).data.decode().split()) for n in (0, 1))
    assert synthetic_word(0) in first
    assert synthetic_word(0) not in second
    assert len({synthetic_word(n) for n in range(10_000)}) == 10_000


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


def test_benchmarks_nlp_measures_ratio_and_agreement() -> None:
    result = nlp.measure(5, 3)
    assert result.documents == 5
    assert result.words > 0
    assert result.ratio > 0
    for scores in (result.entities, result.sentences):
        assert 0.0 <= scores.f1 <= 1.0
    assert "ner" in result.docflow_pipes
    assert "parser" in result.full_pipes
    assert "ratio" in nlp.report(result)


@pytest.mark.parametrize("corpus", ["plain", "html"])
def test_benchmarks_pipeline_measures_overhead(corpus: str, tmp_path: Path) -> None:
    result = pipeline.measure(corpus, 5, 3, tmp_path)
    assert result.documents + result.rejected == 5
    assert result.documents > 0
    assert result.ratio > 0
    assert {"read", "clean", "segment", "tag", pipeline.OTHER} <= set(result.stage_ms)
    assert corpus in pipeline.report([result])


def test_benchmarks_pipeline_measures_scaling(tmp_path: Path) -> None:
    result = pipeline.measure_scaling("plain", 4, tmp_path)
    assert result.documents == 4
    assert set(result.seconds) == {1, 2}
    assert result.ratio > 0
    assert "plain" in pipeline.scaling_report([result])


@pytest.mark.parametrize("zone", [True, False])
def test_benchmarks_memory_samples_rss(zone: bool, tmp_path: Path) -> None:
    result = memory.measure(6, 2, zone, tmp_path)
    assert result.samples[0].documents == 2
    assert result.samples[-1].documents == 6
    assert all(s.rss_mb > 0 and s.strings > 0 for s in result.samples)
    assert "growth" in memory.report(result)
    assert not any((tmp_path / "out").rglob("*.json"))
    assert "memory_zone" not in vars(docflow_model(get_settings()))


def test_benchmarks_service_reports_overhead_scaling_and_cpu() -> None:
    runs = [
        service.ServiceRun(count, 10, 0.5, 0.1, 10.0 / count, 8.0 / count, 1.0, 0.1, 9.0, 200.0)
        for count in (1, 2)
    ]
    assert runs[0].overhead == pytest.approx(0.8)
    text = service.report(runs)
    assert "scaling, 2 workers vs 1: service 2.000" in text
    assert service.cpu_seconds(os.getpid()) > 0


@pytest.mark.integration
def test_benchmarks_service_runs_end_to_end(tmp_path: Path) -> None:
    (run,) = service.measure(3, [1], tmp_path)
    assert run.documents == 3
    assert run.overhead > 0
    assert run.s3_cpu >= 0
    assert run.worker_cpu > 0
    assert run.child_rss_mb > 0
