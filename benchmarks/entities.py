"""Entity quality: docflow's entities and raw spaCy's against documents with gold mentions.

Usage: python -m benchmarks.entities [DATASET] [--errors N] [--no-spacy] [-v]
       (default DATASET ../shared/data/entities-dev)

DATASET holds docs/<id>.txt and gold.json, `{id: [{start, end, text, type, entity}]}`
with CoNLL types (PER, ORG, LOC, MISC) and `entity` the gold identity of the mention
(null where unknown). Both systems run here, in one process: docflow's whole pipeline
(read, clean, segment, tag) over each file's bytes, and the full spaCy pipeline over the
same text with no folding (one entry per surface string, each mention its own label).

(a) NER: exact span and type, and exact span alone; P/R/F1 micro over mentions, per type.
(b) Clustering over the gold mentions with an entity whose exact span the system found:
    B-cubed P/R/F1 and pairwise P/R of the system entry against the gold entity, per doc.
(d) Gold entities with two or more such mentions: the share of them in one system entry.
Each of (b) and (d) also without gold MISC mentions (demonyms that the gold links to their
country). docflow's offsets are mapped to the source text where cleaning changed it.
"""

import argparse
import difflib
import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy

from benchmarks.common import rounds, setup_logging, table
from workers.model import RawDocument, Source
from workers.nlp import resolve_model_name
from workers.pipeline import enrich_all
from workers.settings import get_settings

DEFAULT_DATASET = Path(__file__).resolve().parents[2] / "shared" / "data" / "entities-dev"
# spaCy's labels as CoNLL types; the numeric and date labels are not named entities there.
TYPE_OF = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}
TYPES = ("PER", "ORG", "LOC", "MISC")


@dataclass(frozen=True, slots=True)
class Found:
    """One system mention in source coordinates: its CoNLL type and the entry it sits in."""

    start: int
    end: int
    type: str
    entry: str


@dataclass(frozen=True, slots=True)
class Gold:
    """One gold mention."""

    start: int
    end: int
    text: str
    type: str
    entity: str | None


@dataclass(frozen=True, slots=True)
class Document:
    """A dataset document: its id, text and gold mentions."""

    doc_id: str
    text: str
    gold: tuple[Gold, ...]


def load(dataset: Path) -> list[Document]:
    """Every document of the dataset with its gold mentions, in id order."""
    gold = json.loads((dataset / "gold.json").read_text(encoding="utf-8"))
    return [
        Document(
            doc_id,
            (dataset / "docs" / f"{doc_id}.txt").read_text(encoding="utf-8"),
            tuple(
                Gold(g["start"], g["end"], g["text"], g["type"], g.get("entity")) for g in mentions
            ),
        )
        for doc_id, mentions in sorted(gold.items())
    ]


def source_offsets(source: str, output: str) -> list[int | None]:
    """For each character of output, its index in source (None where cleaning made it)."""
    if source.startswith(output):
        return list(range(len(output)))
    mapping: list[int | None] = [None] * len(output)
    matcher = difflib.SequenceMatcher(None, source, output, autojunk=False)
    for i, j, size in matcher.get_matching_blocks():
        mapping[j : j + size] = range(i, i + size)
    return mapping


def docflow_found(documents: Sequence[Document]) -> tuple[list[list[Found]], list[float]]:
    """docflow's mentions of each document, and its tag-stage milliseconds per document."""
    settings = get_settings()
    found: list[list[Found]] = []
    tag_ms: list[float] = []
    for batch in rounds(documents, settings.batch_docs):
        raws = [RawDocument(Source(f"{d.doc_id}.txt"), d.text.encode()) for d in batch]
        for document, result in zip(batch, enrich_all(raws, settings), strict=True):
            if not isinstance(result, dict):
                raise RuntimeError(f"docflow failed on {document.doc_id}: {result}")
            tag_ms.append(result["pipeline"]["timings_ms"]["tag"])
            found.append(_mapped(document.text, result))
    return found, tag_ms


def _mapped(source: str, result: dict[str, Any]) -> list[Found]:
    mapping = source_offsets(source, result["text"])
    out = []
    for entity in result["entities"]:
        kind = TYPE_OF.get(entity["label"])
        for mention in entity["mentions"]:
            first, last = mapping[mention["start"]], mapping[mention["end"] - 1]
            if kind and first is not None and last is not None:
                out.append(Found(first, last + 1, kind, entity["id"]))
    return out


def spacy_found(documents: Sequence[Document]) -> list[list[Found]]:
    """The full spaCy pipeline's mentions, one entry per surface string, own labels."""
    nlp = spacy.load(resolve_model_name(dict(get_settings().spacy_models).get("en", "")))
    return [
        [
            Found(ent.start_char, ent.end_char, TYPE_OF[ent.label_], ent.text)
            for ent in doc.ents
            if ent.label_ in TYPE_OF
        ]
        for doc in nlp.pipe((d.text for d in documents), batch_size=20)
    ]


def _prf(hits: int, predicted: int, gold: int) -> tuple[float, float, float]:
    precision = hits / predicted if predicted else 0.0
    recall = hits / gold if gold else 0.0
    both = precision + recall
    return precision, recall, 2 * precision * recall / both if both else 0.0


def ner(documents: Sequence[Document], found: Sequence[Sequence[Found]]) -> dict[str, Any]:
    """Typed and untyped exact-span P/R/F1 over all mentions, and typed per type."""
    counts: Counter[str] = Counter()
    for document, mentions in zip(documents, found, strict=True):
        predicted = {(m.start, m.end): m.type for m in mentions}
        counts["pred"] += len(predicted)
        counts["gold"] += len(document.gold)
        counts.update(f"pred {kind}" for kind in predicted.values())
        for gold in document.gold:
            counts[f"gold {gold.type}"] += 1
            kind = predicted.get((gold.start, gold.end))
            counts["span"] += kind is not None
            if kind == gold.type:
                counts["typed"] += 1
                counts[f"typed {kind}"] += 1
    return {
        "typed": _prf(counts["typed"], counts["pred"], counts["gold"]),
        "untyped": _prf(counts["span"], counts["pred"], counts["gold"]),
        "per_type": {
            kind: _prf(counts[f"typed {kind}"], counts[f"pred {kind}"], counts[f"gold {kind}"])
            for kind in TYPES
        },
    }


def clustering(
    documents: Sequence[Document], found: Sequence[Sequence[Found]], *, misc: bool
) -> dict[str, Any]:
    """B-cubed and pairwise P/R, and the fully merged share, over found linked mentions."""
    b3_precision = b3_recall = 0.0
    mentions = pairs_true = pairs_pred = pairs_gold = merged = multi = 0
    for document, system in zip(documents, found, strict=True):
        entry = {(m.start, m.end): m.entry for m in system}
        items = [
            (gold.entity, entry[(gold.start, gold.end)])
            for gold in document.gold
            if gold.entity and (misc or gold.type != "MISC") and (gold.start, gold.end) in entry
        ]
        gold_size = Counter(g for g, _ in items)
        pred_size = Counter(p for _, p in items)
        both = Counter(items)
        for g, p in items:
            b3_precision += both[(g, p)] / pred_size[p]
            b3_recall += both[(g, p)] / gold_size[g]
        mentions += len(items)
        pairs_true += sum(_pairs(n) for n in both.values())
        pairs_pred += sum(_pairs(n) for n in pred_size.values())
        pairs_gold += sum(_pairs(n) for n in gold_size.values())
        entries: dict[str, set[str]] = defaultdict(set)
        for g, p in items:
            entries[g].add(p)
        multi += sum(1 for g, n in gold_size.items() if n >= 2)
        merged += sum(1 for g, n in gold_size.items() if n >= 2 and len(entries[g]) == 1)
    precision = b3_precision / mentions if mentions else 0.0
    recall = b3_recall / mentions if mentions else 0.0
    both_pr = precision + recall
    return {
        "mentions": mentions,
        "b3": (precision, recall, 2 * precision * recall / both_pr if both_pr else 0.0),
        "pairwise": (
            pairs_true / pairs_pred if pairs_pred else 0.0,
            pairs_true / pairs_gold if pairs_gold else 0.0,
        ),
        "merged": (merged, multi),
    }


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def errors(
    documents: Sequence[Document], found: Sequence[Sequence[Found]], limit: int
) -> list[str]:
    """Split gold entities, entries that merge gold entities, and wrong types (no MISC)."""
    lines: list[str] = []
    for document, system in zip(documents, found, strict=True):
        by_span = {(m.start, m.end): m for m in system}
        entries: dict[str, set[str]] = defaultdict(set)
        golds: dict[str, set[str]] = defaultdict(set)
        names: dict[str, set[str]] = defaultdict(set)
        for gold in document.gold:
            hit = by_span.get((gold.start, gold.end))
            if hit is None or gold.type == "MISC":
                continue
            if hit.type != gold.type:
                lines.append(f"{document.doc_id} type {gold.text!r} {gold.type}->{hit.type}")
            if gold.entity:
                entries[gold.entity].add(hit.entry)
                golds[hit.entry].add(gold.entity)
                names[gold.entity].add(gold.text)
        lines.extend(
            f"{document.doc_id} split {sorted(names[g])} over {len(e)} entries"
            for g, e in entries.items()
            if len(e) > 1
        )
        lines.extend(
            f"{document.doc_id} merged {sorted(n for g in gs for n in names[g])}"
            for gs in golds.values()
            if len(gs) > 1
        )
    return lines[:limit]


def report(documents: Sequence[Document], systems: dict[str, list[list[Found]]]) -> str:
    """The benchmark's tables: NER, then clustering with and without MISC."""
    scores = {name: ner(documents, found) for name, found in systems.items()}
    ner_rows = []
    for name, s in scores.items():
        ner_rows.append([name, "typed", *s["typed"]])
        ner_rows.append([name, "untyped", *s["untyped"]])
        ner_rows.extend([name, kind, *s["per_type"][kind]] for kind in TYPES)
    cluster_rows = []
    for name, found in systems.items():
        for misc in (True, False):
            c = clustering(documents, found, misc=misc)
            merged, multi = c["merged"]
            cluster_rows.append(
                [
                    name,
                    "all" if misc else "no MISC",
                    c["mentions"],
                    *c["b3"],
                    *c["pairwise"],
                    f"{merged}/{multi}",
                    merged / multi if multi else 0.0,
                ]
            )
    return "\n\n".join(
        [
            table(
                f"(a) NER, exact spans, {len(documents)} documents",
                ["system", "type", "P", "R", "F1"],
                ner_rows,
            ),
            table(
                "(b) clustering over found linked mentions, (d) gold entities >=2 in one entry",
                [
                    "system",
                    "gold",
                    "mentions",
                    "B3 P",
                    "B3 R",
                    "B3 F1",
                    "pair P",
                    "pair R",
                    "merged",
                    "share",
                ],
                cluster_rows,
                # Four places: the targets sit at 0.99, where three round a miss to a hit.
                digits=4,
            ),
        ]
    )


def main(argv: Iterable[str] | None = None) -> None:
    """Score both systems on the dataset and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, nargs="?", default=DEFAULT_DATASET)
    parser.add_argument("--errors", type=int, default=0, help="list N of docflow's errors")
    parser.add_argument("--no-spacy", action="store_true", help="score docflow alone")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    args = parser.parse_args(None if argv is None else list(argv))
    setup_logging(args.verbose)
    documents = load(args.dataset)
    found, tag_ms = docflow_found(documents)
    systems = {"docflow": found}
    if not args.no_spacy:
        systems["raw spaCy"] = spacy_found(documents)
    print(report(documents, systems))
    print(
        f"\ndocflow tag stage per document: median {statistics.median(tag_ms):.2f} ms, "
        f"mean {statistics.fmean(tag_ms):.2f} ms, first {tag_ms[0]:.1f} ms"
    )
    for line in errors(documents, found, args.errors):
        print(line)


if __name__ == "__main__":
    main()
