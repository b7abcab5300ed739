"""NLP efficiency: docflow's language, segment and tag stages against full en_core_web_sm.

Usage: python -m benchmarks.nlp [--docs N] [--round R] [--english] [-v]
       (full size: --docs 500)

Both sides see the same cleaned plain-text articles in the same process, in alternating
rounds of --round documents; docflow takes each round as one batch, as `docflow run` and a
worker do. Words are whitespace-separated tokens of the document text. Entity agreement is
the mention-level F1 over (start, end, label) of docflow's raw NER mentions (before
folding) against the full pipeline's doc.ents, as offsets into the document text. Sentence
agreement is the F1 over (start, end) of docflow's rule-based sentences against the full
pipeline's (parser) sentences cut to the same paragraph bodies, both without surrounding
whitespace. --english keeps the bases docflow reads as English and times a third side, docflow
without its language stage (as before it identified languages), to show what that costs.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

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
from workers.model import Paragraph, Segmented
from workers.nlp import resolve_models
from workers.segment import PARAGRAPH_BREAK
from workers.settings import get_settings

DEFAULT_DOCS = 100
T = TypeVar("T")
Triple = tuple[int, int, str]
Pair = tuple[int, int]


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
    entities: Agreement
    sentences: Agreement
    docflow_pipes: tuple[str, ...]
    full_pipes: tuple[str, ...]
    declared_seconds: float | None = None  # --english: docflow without its language stage

    @property
    def ratio(self) -> float:
        """docflow words/s over full-pipeline words/s."""
        return self.full_seconds / self.docflow_seconds


def agreement(predicted: Iterable[set[T]], reference: Iterable[set[T]]) -> Agreement:
    """Micro-averaged counts over documents of predicted vs reference mention sets."""
    tp = fp = fn = 0
    for guess, gold in zip(predicted, reference, strict=True):
        tp += len(guess & gold)
        fp += len(guess - gold)
        fn += len(gold - guess)
    return Agreement(tp, fp, fn)


def full_analysis(nlp: Language, texts: Sequence[str]) -> list[tuple[set[Triple], set[Pair]]]:
    """(start, end, label) of every entity and (start, end) of every sentence, per text."""
    return [
        (
            {(e.start_char, e.end_char, e.label_) for e in doc.ents},
            {_stripped(doc.text, s.start_char, s.end_char) for s in doc.sents if s.text.strip()},
        )
        for doc in nlp.pipe(texts)
    ]


def _stripped(text: str, start: int, end: int) -> Pair:
    piece = text[start:end]
    return start + len(piece) - len(piece.lstrip()), end - len(piece) + len(piece.rstrip())


def mention_triples(segmented: Segmented) -> set[Triple]:
    """docflow's raw mentions of one document, before trimming and folding."""
    return {(m.start, m.end, m.label) for m in segmented.mentions}


def sentence_pairs(segmented: Segmented) -> set[Pair]:
    """docflow's sentences of one document (headings have none)."""
    return {(s.start, s.end) for _, _, p in _bodies(segmented) for s in p.sentences}


def paragraph_sentences(segmented: Segmented, sentences: set[Pair]) -> set[Pair]:
    """Another pipeline's sentences cut to docflow's paragraph bodies, for a like comparison.

    Reading whole documents, the parser may run a sentence across a paragraph break or
    give a heading one; docflow's sentences live only in paragraphs, after any speaker label.
    """
    text = segmented.text
    return {
        _stripped(text, max(start, body), min(end, stop))
        for body, stop, _ in _bodies(segmented)
        for start, end in sentences
        if start < stop and end > body and text[max(start, body) : min(end, stop)].strip()
    }


def _bodies(segmented: Segmented) -> list[tuple[int, int, Paragraph]]:
    return [
        (paragraph.body_start, paragraph.end, paragraph)
        for section in segmented.sections
        for paragraph in section.paragraphs
    ]


def measure(documents: int, round_size: int, english: bool = False) -> NlpResult:
    """Time both sides over the plain-text corpus and score their agreement."""
    settings = get_settings()
    corpus = plain_corpus(documents, english=english)
    cleaned = [doc for _, doc in cleaned_documents(corpus, settings)]
    texts = [PARAGRAPH_BREAK.join(block.text for block in doc.blocks) for doc in cleaned]
    lean = docflow_model(settings)
    full = spacy.load(resolve_models(settings.spacy_models)["en"])
    # Warm both models (lazy allocations, first-call caches) outside the timed rounds.
    nlp_stage(cleaned[:2], lean, settings)
    full_analysis(full, texts[:2])

    segmented: dict[int, Segmented] = {}
    reference: dict[int, tuple[set[Triple], set[Pair]]] = {}

    def run_docflow(chunk: Sequence[int]) -> None:
        for index, (done, _) in zip(
            chunk, nlp_stage([cleaned[i] for i in chunk], lean, settings), strict=True
        ):
            segmented[index] = done

    def run_full(chunk: Sequence[int]) -> None:
        reference.update(zip(chunk, full_analysis(full, [texts[i] for i in chunk]), strict=True))

    def run_declared(chunk: Sequence[int]) -> None:
        nlp_stage([cleaned[i] for i in chunk], lean, settings, identifies=False)

    runners = {"docflow": run_docflow, "full": run_full}
    if english:
        runners["declared"] = run_declared
    seconds = interleaved(range(len(cleaned)), round_size, runners)
    ordered = [segmented[i] for i in range(len(cleaned))]
    if any(doc.text != text for doc, text in zip(ordered, texts, strict=True)):
        raise RuntimeError("docflow's document text differs from the blocks joined")
    gold = [reference[i] for i in range(len(cleaned))]
    return NlpResult(
        documents=len(cleaned),
        words=sum(len(text.split()) for text in texts),
        docflow_seconds=seconds["docflow"],
        full_seconds=seconds["full"],
        declared_seconds=seconds.get("declared"),
        entities=agreement(map(mention_triples, ordered), (ents for ents, _ in gold)),
        sentences=agreement(
            map(sentence_pairs, ordered),
            (paragraph_sentences(doc, ref) for doc, (_, ref) in zip(ordered, gold, strict=True)),
        ),
        docflow_pipes=tuple(lean.pipe_names),
        full_pipes=tuple(full.pipe_names),
    )


def report(result: NlpResult) -> str:
    """The throughput and agreement tables."""
    speed = table(
        f"NLP efficiency: {result.documents} documents, {result.words:,} words",
        ["side", "pipes", "seconds", "words/s"],
        [
            ("docflow language+segment+tag", "+".join(result.docflow_pipes), result.docflow_seconds,
             result.words / result.docflow_seconds),
            ("full nlp.pipe", "+".join(result.full_pipes), result.full_seconds,
             result.words / result.full_seconds),
        ],
    )  # fmt: skip
    agree = table(
        "Agreement with the full pipeline on the same texts",
        ["what", "TP", "FP", "FN", "F1"],
        [
            ("entities: raw NER mentions vs doc.ents, (start, end, label)",
             *_counts(result.entities)),
            ("sentences: rules vs parser doc.sents, (start, end)", *_counts(result.sentences)),
        ],
    )  # fmt: skip
    language = ""
    if result.declared_seconds:
        language = (
            f"language stage: docflow {result.words / result.docflow_seconds:,.0f} words/s, "
            f"{result.words / result.declared_seconds:,.0f} without it, ratio "
            f"{result.declared_seconds / result.docflow_seconds:.3f}  (target >= 0.97)\n"
        )
    return (
        f"{speed}\nratio (docflow words/s / full words/s): {result.ratio:.3f}  (target >= 2.0)\n"
        f"{language}\n{agree}\n(target entity F1 >= 0.995)"
    )


def _counts(scores: Agreement) -> tuple[int, int, int, float]:
    return scores.true_positives, scores.false_positives, scores.false_negatives, scores.f1


def main() -> None:
    """Parse flags, measure, print."""
    parser = arguments(__doc__, DEFAULT_DOCS, 500)
    parser.add_argument("--english", action="store_true", help="English bases, language cost")
    args = parser.parse_args()
    setup_logging(args.verbose)
    print(describe("plain", args.docs, english=args.english))
    print(report(measure(args.docs, args.round, args.english)))


if __name__ == "__main__":
    main()
