"""NLP efficiency: docflow's segment + tag stage against the full en_core_web_sm pipeline.

Usage: python benchmarks/nlp.py [--docs N] [--round R] [-v]
       (full size: --docs 500)

Both sides see the same cleaned plain-text articles in the same process, in alternating
rounds. Words are whitespace-separated tokens of the document text. Agreement is the
mention-level F1 over (start, end, label) of docflow's raw NER mentions (before folding)
against the full pipeline's doc.ents, all as offsets into the document text: once with the
full pipeline reading whole documents (what the timing compares), and once reading exactly
the blocks docflow hands its model (headings, paragraphs without speaker labels), which
isolates the models' own difference from that of reading blocks one by one.
"""

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:  # run as a script
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import spacy
from spacy.language import Language

from benchmarks.common import (
    arguments,
    docflow_model,
    interleaved,
    nlp_stage,
    setup_logging,
    table,
)
from benchmarks.corpus import cleaned_documents, describe, plain_corpus
from workers.model import Segmented
from workers.nlp import resolve_model_name
from workers.segment import PARAGRAPH_BREAK
from workers.settings import get_settings

DEFAULT_DOCS = 100
Triple = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class Agreement:
    """Mention-level counts of docflow (predicted) against the full pipeline (reference)."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def f1(self) -> float:
        """2TP / (2TP + FP + FN); 1.0 when neither side found anything."""
        found = 2 * self.true_positives + self.false_positives + self.false_negatives
        return 2 * self.true_positives / found if found else 1.0


@dataclass(frozen=True, slots=True)
class NlpResult:
    """Throughput of both sides and how far their entities agree."""

    documents: int
    words: int
    docflow_seconds: float
    full_seconds: float
    whole_documents: Agreement
    same_blocks: Agreement
    docflow_pipes: tuple[str, ...]
    full_pipes: tuple[str, ...]

    @property
    def ratio(self) -> float:
        """docflow words/s over full-pipeline words/s."""
        return self.full_seconds / self.docflow_seconds


def agreement(predicted: Iterable[set[Triple]], reference: Iterable[set[Triple]]) -> Agreement:
    """Micro-averaged counts over documents of predicted vs reference mention sets."""
    tp = fp = fn = 0
    for guess, gold in zip(predicted, reference, strict=True):
        tp += len(guess & gold)
        fp += len(guess - gold)
        fn += len(gold - guess)
    return Agreement(tp, fp, fn)


def entity_triples(nlp: Language, texts: Sequence[str]) -> list[set[Triple]]:
    """(start, end, label) of every entity the pipeline finds, per text."""
    return [{(e.start_char, e.end_char, e.label_) for e in doc.ents} for doc in nlp.pipe(texts)]


def mention_triples(segmented: Segmented) -> set[Triple]:
    """docflow's raw mentions of one document, before trimming and folding."""
    return {(m.start, m.end, m.label) for m in segmented.mentions}


def model_inputs(segmented: Segmented) -> list[tuple[int, int]]:
    """Spans docflow hands its model: every heading and every paragraph after its speaker label."""
    spans = []
    for section in segmented.sections:
        if section.heading is not None:
            spans.append((section.start, section.start + len(section.heading)))
        spans.extend((p.body_start, p.end) for p in section.paragraphs)
    return spans


def block_triples(full: Language, segmented: Sequence[Segmented]) -> list[set[Triple]]:
    """The full pipeline's entities on the very blocks docflow's model reads."""
    blocks = [
        (number, start, document.text[start:end])
        for number, document in enumerate(segmented)
        for start, end in model_inputs(document)
    ]
    found: list[set[Triple]] = [set() for _ in segmented]
    triples = entity_triples(full, [text for _, _, text in blocks])
    for (number, offset, _), entities in zip(blocks, triples, strict=True):
        found[number] |= {(offset + s, offset + e, label) for s, e, label in entities}
    return found


def measure(documents: int, round_size: int) -> NlpResult:
    """Time both sides over the plain-text corpus and score their agreement."""
    settings = get_settings()
    cleaned = [doc for _, doc in cleaned_documents(plain_corpus(documents), settings)]
    texts = [PARAGRAPH_BREAK.join(block.text for block in doc.blocks) for doc in cleaned]
    lean = docflow_model(settings)
    full = spacy.load(resolve_model_name(settings.spacy_model))
    # Warm both models (lazy allocations, first-call caches) outside the timed rounds.
    nlp_stage(cleaned[:2], lean, settings)
    entity_triples(full, texts[:2])

    segmented: dict[int, Segmented] = {}
    reference: dict[int, set[Triple]] = {}

    def run_docflow(chunk: Sequence[int]) -> None:
        for index, (done, _) in zip(
            chunk, nlp_stage([cleaned[i] for i in chunk], lean, settings), strict=True
        ):
            segmented[index] = done

    def run_full(chunk: Sequence[int]) -> None:
        reference.update(zip(chunk, entity_triples(full, [texts[i] for i in chunk]), strict=True))

    seconds = interleaved(
        range(len(cleaned)), round_size, {"docflow": run_docflow, "full": run_full}
    )
    ordered = [segmented[i] for i in range(len(cleaned))]
    if any(doc.text != text for doc, text in zip(ordered, texts, strict=True)):
        raise RuntimeError("docflow's document text differs from the blocks joined")
    predicted = [mention_triples(doc) for doc in ordered]
    return NlpResult(
        documents=len(cleaned),
        words=sum(len(text.split()) for text in texts),
        docflow_seconds=seconds["docflow"],
        full_seconds=seconds["full"],
        whole_documents=agreement(predicted, [reference[i] for i in range(len(cleaned))]),
        same_blocks=agreement(predicted, block_triples(full, ordered)),
        docflow_pipes=tuple(lean.pipe_names),
        full_pipes=tuple(full.pipe_names),
    )


def report(result: NlpResult) -> str:
    """The throughput and agreement tables."""
    speed = table(
        f"NLP efficiency: {result.documents} documents, {result.words:,} words",
        ["side", "pipes", "seconds", "words/s"],
        [
            ("docflow segment+tag", "+".join(result.docflow_pipes), result.docflow_seconds,
             result.words / result.docflow_seconds),
            ("full nlp.pipe", "+".join(result.full_pipes), result.full_seconds,
             result.words / result.full_seconds),
        ],
    )  # fmt: skip
    agree = table(
        "Entity agreement, docflow raw mentions vs full pipeline doc.ents, (start, end, label)",
        ["full pipeline reads", "TP", "FP", "FN", "F1"],
        [
            ("whole documents", *_counts(result.whole_documents)),
            ("the blocks docflow's model reads", *_counts(result.same_blocks)),
        ],
    )
    return (
        f"{speed}\nratio (docflow words/s / full words/s): {result.ratio:.3f}  (target >= 2.0)\n\n"
        f"{agree}\n(target F1 >= 0.995)"
    )


def _counts(scores: Agreement) -> tuple[int, int, int, float]:
    return scores.true_positives, scores.false_positives, scores.false_negatives, scores.f1


def main() -> None:
    """Parse flags, measure, print."""
    parser = arguments(__doc__, DEFAULT_DOCS, 500)
    args = parser.parse_args()
    setup_logging(args.verbose)
    print(describe("plain", args.docs))
    print(report(measure(args.docs, args.round)))


if __name__ == "__main__":
    main()
