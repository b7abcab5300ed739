"""Smoke tests of the benchmark scripts on a handful of documents of the dev corpora (no timing).

They read ../shared/data, so they run in `make quality`, not `make test`.
"""

from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks import memory, nlp, pipeline, service
from benchmarks.common import docflow_model
from benchmarks.corpus import (
    Input,
    english_bases,
    html_corpus,
    plain_bases,
    plain_corpus,
    synthetic_word,
    varied_input,
)
from workers.settings import get_settings

pytestmark = pytest.mark.quality


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


def test_benchmarks_corpus_english_bases_leave_the_others_out() -> None:
    everything = plain_bases()
    english = english_bases(everything, "txt")
    assert 0 < len(english) < len(everything)
    assert set(english) < set(everything)


def test_benchmarks_pipeline_english_measures_the_language_stage(tmp_path: Path) -> None:
    result = pipeline.measure("plain", 5, 3, tmp_path, english=True)
    assert result.documents == 5
    assert result.declared_seconds is not None and result.declared_seconds > 0
    assert "Language support on English documents" in pipeline.report([result])


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


@pytest.mark.integration
def test_benchmarks_service_runs_end_to_end(tmp_path: Path) -> None:
    (run,), latency = service.measure(3, [1], tmp_path, latency_docs=2)
    assert run.documents == 3
    assert run.overhead > 0
    assert run.s3_cpu >= 0
    assert run.worker_cpu > 0
    assert run.child_rss_mb > 0
    assert latency is not None and len(latency.event_to_output) == 2
    assert all(seconds > 0 for seconds in latency.event_to_output + latency.in_process)
    assert 0 < latency.share < 1
