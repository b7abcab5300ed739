"""Pipeline overhead: the whole in-process pipeline (docflow run) against its NLP stage alone.

Usage: python -m benchmarks.pipeline [--docs N] [--corpus plain|html ...] [--round R]
       [--english] [--no-scaling] [-v]   (full size: --docs 500)

Whole pipeline: workers.batch.process_keys over a LocalStore inbox and outbox in a temporary
folder, in batches of DOCFLOW_BATCH_DOCS exactly as `docflow run` does (per input: head,
read, decode, clean; the model once per batch; per input: tag, render, serialise, write
with metadata). NLP stage: segment + tag on the same documents, cleaned beforehand, in
the same batches. Both run in alternating rounds in one process. The stage split sums
every output's pipeline.timings_ms; 'store, render, write' is what the whole run spent
outside those stages.

--english keeps the bases docflow reads as English (83 of 92 plain, 83 of 91 HTML pages)
and adds a third side to the alternating rounds: the whole pipeline with the language stage
replaced by a declaration of English, as docflow ran before it identified languages. Its
ratio is what language support costs an English document.

Scaling: `docflow run`'s batches (workers.embedded.run_batches, worker processes that load the
model once each) over the same inputs with --jobs 1, 2, 2 and 1, forced, each timed from
the pool's start to its last output; the ratio is how much faster two processes are.
"""

import json
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks import common
from benchmarks.corpus import (
    Input,
    cleaned_documents,
    describe,
    html_corpus,
    plain_corpus,
    write_inputs,
)
from workers import pipeline
from workers.batch import Outcome, process_key, process_keys
from workers.embedded import run_batches
from workers.local import LocalStore
from workers.model import Cleaned
from workers.outputs import ENRICHED_PREFIX, output_key
from workers.settings import get_settings

DEFAULT_DOCS = 100
CORPORA: dict[str, Callable[..., list[Input]]] = {"plain": plain_corpus, "html": html_corpus}
NO_LANGUAGE = "whole, English declared"
DECLARED_HEADER = ("corpus", "docs", "docs/s", "declared docs/s", "ratio", "target")
TARGETS = {"plain": 0.90, "html": 0.75}
SCALING_TARGET = 1.7
SCALING_HEADER = ("corpus", "docs", "jobs 1 s", "jobs 2 s", "jobs 1 docs/s", "jobs 2 docs/s",
                  "ratio", "target")  # fmt: skip
OTHER = "store, render, write"
HEADER = ("corpus", "docs", "rejected", "whole s", "whole docs/s", "nlp s", "nlp docs/s", "ratio",
          "target")  # fmt: skip


@dataclass(frozen=True, slots=True)
class PipelineResult:
    """Seconds of both runs over one corpus and where the whole run's time went."""

    corpus: str
    documents: int
    rejected: int
    whole_seconds: float
    nlp_seconds: float
    stage_ms: dict[str, float]
    declared_seconds: float | None = None  # --english: the language stage replaced

    @property
    def ratio(self) -> float:
        """Whole-pipeline docs/s over NLP-stage docs/s."""
        return self.nlp_seconds / self.whole_seconds


def measure(
    corpus: str, documents: int, round_size: int, workdir: Path, english: bool = False
) -> PipelineResult:
    """Time process_key and the NLP stage alone on the same documents of one corpus."""
    settings = get_settings()
    inputs = CORPORA[corpus](documents, english=english)
    inbox_dir, outbox = workdir / corpus / "in", LocalStore(workdir / corpus / "out")
    write_inputs(inputs, inbox_dir)
    inbox = LocalStore(inbox_dir)
    # Inputs docflow rejects (no article text, say) would be cheap failures: leave them out.
    accepted = cleaned_documents(inputs, settings)
    cleaned: dict[str, Cleaned] = {item.key: doc for item, doc in accepted}
    nlp = common.docflow_model(settings)
    warm_box = LocalStore(workdir / corpus / "warm-up")
    for item, _ in accepted[:2]:
        process_key(inbox, warm_box, item.key, settings)

    def run_whole(chunk: Sequence[str], box: LocalStore = outbox) -> None:
        for batch in common.rounds(chunk, settings.batch_docs):
            outcomes = process_keys(inbox, box, batch, settings)
            for key, outcome in zip(batch, outcomes, strict=True):
                if not isinstance(outcome, Outcome) or outcome.status != "enriched":
                    raise RuntimeError(f"{key} was not enriched: {outcome}")

    def run_nlp(chunk: Sequence[str]) -> None:
        for batch in common.rounds(chunk, settings.batch_docs):
            common.nlp_stage([cleaned[key] for key in batch], nlp, settings)

    declared_box = LocalStore(workdir / corpus / "declared")

    def run_declared(chunk: Sequence[str]) -> None:
        with _english_declared():
            run_whole(chunk, declared_box)

    runners = {"whole": run_whole, "nlp": run_nlp}
    if english:
        runners[NO_LANGUAGE] = run_declared
    seconds = common.interleaved(list(cleaned), round_size, runners)
    stage_ms: dict[str, float] = {}
    for key in cleaned:
        body = (outbox.root / output_key(ENRICHED_PREFIX, key)).read_text("utf-8")
        for stage, ms in json.loads(body)["pipeline"]["timings_ms"].items():
            stage_ms[stage] = stage_ms.get(stage, 0.0) + ms
    stage_ms[OTHER] = seconds["whole"] * 1000 - sum(stage_ms.values())
    return PipelineResult(
        corpus=corpus,
        documents=len(cleaned),
        rejected=len(inputs) - len(cleaned),
        whole_seconds=seconds["whole"],
        nlp_seconds=seconds["nlp"],
        stage_ms=stage_ms,
        declared_seconds=seconds.get(NO_LANGUAGE),
    )


@contextmanager
def _english_declared() -> Iterator[None]:
    """The pipeline's language stage replaced by a declaration: every document English."""

    def declare(cleaned: Cleaned) -> Cleaned:
        metadata = replace(cleaned.metadata, language="en", language_source="declared")
        return replace(cleaned, metadata=metadata)

    identify = pipeline.identify
    pipeline.identify = declare
    try:
        yield
    finally:
        pipeline.identify = identify


@dataclass(frozen=True, slots=True)
class ScalingResult:
    """Seconds of `docflow run`'s worker processes over one corpus, one and two of them.

    Each is the mean of its two runs.
    """

    corpus: str
    documents: int
    seconds: dict[int, float]

    @property
    def ratio(self) -> float:
        """Speed with two worker processes over speed with one."""
        return self.seconds[1] / self.seconds[2]


def measure_scaling(corpus: str, documents: int, workdir: Path) -> ScalingResult:
    """Time run_batches over one corpus with one worker process, then with two."""
    settings = get_settings()
    inbox_dir = workdir / corpus / "scaling-in"
    write_inputs(CORPORA[corpus](documents), inbox_dir)
    inbox = LocalStore(inbox_dir)
    inputs = [(inbox, info.key) for info in sorted(inbox.list(), key=lambda i: i.key)]
    seconds, statuses = {1: 0.0, 2: 0.0}, {}
    # 1, 2, 2, 1: a machine getting busier or quieter during the runs weighs on both alike.
    for jobs in (1, 2, 2, 1):
        started = time.perf_counter()
        outcomes = run_batches(
            inputs, workdir / corpus / f"jobs-{jobs}", settings, force=True, jobs=jobs,
            advance=lambda _: None,
        )  # fmt: skip
        seconds[jobs] += time.perf_counter() - started
        statuses[jobs] = [(o.key, o.status, o.code) for o in outcomes]
    if statuses[1] != statuses[2]:
        raise RuntimeError("jobs 1 and jobs 2 settled the documents differently")
    return ScalingResult(corpus, len(inputs), {jobs: total / 2 for jobs, total in seconds.items()})


def scaling_report(results: Sequence[ScalingResult]) -> str:
    """The scaling table."""
    rows = [
        (r.corpus, r.documents, r.seconds[1], r.seconds[2], r.documents / r.seconds[1],
         r.documents / r.seconds[2], r.ratio, f">= {SCALING_TARGET:.1f}")
        for r in results
    ]  # fmt: skip
    title = "docflow run scaling: 2 worker processes vs 1 (model load in each included)"
    return common.table(title, SCALING_HEADER, rows)


def report(results: Sequence[PipelineResult]) -> str:
    """The overhead table and each corpus's stage split."""
    rows = [
        (r.corpus, r.documents, r.rejected, r.whole_seconds, r.documents / r.whole_seconds,
         r.nlp_seconds, r.documents / r.nlp_seconds, r.ratio, f">= {TARGETS[r.corpus]:.2f}")
        for r in results
    ]  # fmt: skip
    title = "Pipeline overhead: whole in-process pipeline vs NLP stage (segment+tag) alone"
    parts = [common.table(title, HEADER, rows)]
    declared = [r for r in results if r.declared_seconds]
    if declared:
        rows = [
            (r.corpus, r.documents, r.documents / r.whole_seconds,
             r.documents / (r.declared_seconds or 1), (r.declared_seconds or 0) / r.whole_seconds,
             ">= 0.97")
            for r in declared
        ]  # fmt: skip
        title = (
            "Language support on English documents: the whole pipeline vs the same with its"
            " language stage replaced by a declaration of English"
        )
        parts.append(common.table(title, DECLARED_HEADER, rows))
    for result in results:
        total = sum(result.stage_ms.values())
        parts.append(
            common.table(
                f"Where the whole run's time went ({result.corpus}, from pipeline.timings_ms)",
                ["stage", "total ms", "ms/doc", "share %"],
                [
                    (stage, ms, ms / result.documents, 100 * ms / total)
                    for stage, ms in result.stage_ms.items()
                ],
            )
        )
    return "\n\n".join(parts)


def main() -> None:
    """Parse flags, measure each corpus, print."""
    parser = common.arguments(__doc__, DEFAULT_DOCS, 500)
    parser.add_argument("--corpus", nargs="+", choices=list(CORPORA), default=list(CORPORA))
    parser.add_argument("--no-scaling", action="store_true", help="skip jobs 2 vs jobs 1")
    parser.add_argument(
        "--english", action="store_true", help="English bases only, and the language-stage cost"
    )
    args = parser.parse_args()
    common.setup_logging(args.verbose)
    results, scaling = [], []
    with tempfile.TemporaryDirectory(prefix="docflow-bench-") as workdir:
        for corpus in args.corpus:
            print(describe(corpus, args.docs, english=args.english))
            results.append(measure(corpus, args.docs, args.round, Path(workdir), args.english))
            if not args.no_scaling:
                scaling.append(measure_scaling(corpus, args.docs, Path(workdir)))
    print(report(results))
    if scaling:
        print()
        print(scaling_report(scaling))


if __name__ == "__main__":
    main()
