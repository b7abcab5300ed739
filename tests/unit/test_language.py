"""Every document's language, and the model for it: declared or detected, never English NER
over another language."""

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from spacy.language import Language
from typer.testing import CliRunner

from benchmarks import language as language_benchmark
from tasks.cli import app
from tests.conftest import ROOT, check_enriched
from workers import pipeline as pipeline_module
from workers.language import SAMPLE_CHARS, identify_text, sample
from workers.local import LocalStore
from workers.model import Block, Cleaned, Metadata, RawDocument, Segmented, Source
from workers.outputs import ENRICHED_PREFIX, output_key
from workers.pipeline import current_config, enrich_all
from workers.segment import Layout, segment_all
from workers.settings import Settings, get_settings

FIXTURES = ROOT / "tests" / "fixtures" / "languages"
# Each fixture is an article written for these tests, named <language>_<topic>.<ext>.
# (file, language written, source expected: what the page declares, else detected)
CASES = [
    ("en_harbour.txt", "en", "detected"),
    ("en_wrong_lang.html", "en", "detected"),  # declares lang="de"
    ("fr_sommet.txt", "fr", "detected"),
    ("fr_marche.html", "fr", "declared"),  # lang="fr-FR"
    ("de_bahn.txt", "de", "detected"),
    ("de_schule.html", "de", "declared"),
    ("es_cosecha.txt", "es", "detected"),
    ("es_festival.html", "es", "detected"),  # declares nothing
    ("it_museo.txt", "it", "detected"),
    ("pt_chuva.txt", "pt", "detected"),
    ("nl_fiets.txt", "nl", "detected"),
    ("pl_most.txt", "pl", "detected"),
    ("sv_skog.txt", "sv", "detected"),
    ("el_ferry.txt", "el", "detected"),
    ("ru_metro.txt", "ru", "detected"),
    ("zh_rail.txt", "zh", "detected"),
    ("zh_park.html", "zh", "declared"),  # lang="zh-CN"
    ("ja_library.txt", "ja", "detected"),
]
MODELLED = {"en", "fr"}  # the default DOCFLOW_SPACY_MODELS


@pytest.fixture(scope="module")
def enriched() -> dict[str, dict[str, Any]]:
    """Every fixture through the pipeline in one mixed batch, as `docflow run` sends them."""
    raws = [RawDocument(Source(name), (FIXTURES / name).read_bytes()) for name, _, _ in CASES]
    results = enrich_all(raws, get_settings())
    out = {}
    for (name, _, _), result in zip(CASES, results, strict=True):
        assert isinstance(result, dict), f"{name}: {result}"
        check_enriched(result)
        out[name] = result
    return out


def test_language_fixtures_cover_eight_languages_two_kinds_and_a_non_latin_script() -> None:
    assert {name for name, _, _ in CASES} == {p.name for p in FIXTURES.iterdir()}
    assert len({language for _, language, _ in CASES}) >= 8
    assert {Path(name).suffix for name, _, _ in CASES} == {".txt", ".html"}


@pytest.mark.parametrize(("name", "language", "source"), CASES)
def test_language_of_each_fixture_is_right_and_says_where_it_came_from(
    enriched: dict[str, dict[str, Any]], name: str, language: str, source: str
) -> None:
    document = enriched[name]
    assert len(document["text"]) >= 300
    assert document["schema_version"] == "1.1"
    assert document["metadata"]["language"] == language
    assert document["metadata"]["language_source"] == source


@pytest.mark.parametrize(("name", "language", "source"), CASES)
def test_language_model_tags_only_its_own_language(
    enriched: dict[str, dict[str, Any]], name: str, language: str, source: str
) -> None:
    document = enriched[name]
    model = document["pipeline"]["model"]
    if language in MODELLED:
        assert model == asdict(current_config(get_settings()).models[language])
        assert document["entities"]
    else:
        # No model for the language: no English-model "entities", but sentences all the same.
        assert model is None
        assert document["entities"] == []
        paragraphs = [p for s in document["sections"] for p in s["paragraphs"]]
        assert paragraphs and all(p["sentences"] for p in paragraphs)
        # Every paragraph of the article is one, in Chinese and Japanese too (a line
        # ending in 。 is no heading), and most hold more than one sentence.
        assert len(paragraphs) >= 2
        assert sum(len(p["sentences"]) > 1 for p in paragraphs) >= len(paragraphs) / 2


@pytest.mark.parametrize(
    ("name", "text", "label", "model_label", "aliases"),
    [
        # The French model's PER is written PERSON, its own label beside it, and a surname
        # alone folds into the full name as it does in English.
        ("fr_sommet.txt", "Jean-Pierre Lefèvre", "PERSON", "PER", ["Lefèvre"]),
        ("fr_marche.html", "Sophie Martin", "PERSON", "PER", ["Martin"]),
        ("fr_sommet.txt", "Banque de France", "ORG", "ORG", []),
        ("fr_sommet.txt", "Lyon", "LOC", "LOC", []),
        # The English model's labels are docflow's own.
        ("en_harbour.txt", "Daniel Okafor", "PERSON", "PERSON", ["Okafor"]),
        ("en_wrong_lang.html", "Helen Marsh", "PERSON", "PERSON", ["Marsh"]),
    ],
)
def test_language_labels_map_to_one_set_with_the_models_own_beside_them(
    enriched: dict[str, dict[str, Any]],
    name: str,
    text: str,
    label: str,
    model_label: str,
    aliases: list[str],
) -> None:
    entities = [e for e in enriched[name]["entities"] if e["text"].endswith(text)]
    assert entities, [e["text"] for e in enriched[name]["entities"]]
    assert (entities[0]["label"], entities[0]["model_label"]) == (label, model_label)
    assert entities[0]["aliases"] == aliases


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        # Too short to tell: the declaration stands, else nothing is guessed.
        ("Ja.", "de", ("de", "declared")),
        ("Ja.", None, (None, None)),
        ("12 345 678 -- 9", None, (None, None)),
        # A declaration the text agrees with stands, even for a close neighbour.
        (
            "Der Zug nach Kiel fährt heute später ab, sagte die Bahn am Morgen.",
            "de",
            ("de", "declared"),
        ),
        (
            "Vlada je u srijedu predstavila novi zakon o zaštiti okoliša i voda.",
            "hr",
            ("hr", "declared"),
        ),
        # One the text contradicts is replaced by what the text says.
        (
            "The train to Kiel leaves later today, the railway said this morning.",
            "de",
            ("en", "detected"),
        ),
        (
            "Le train pour Lyon partira plus tard aujourd'hui, a annoncé la compagnie.",
            "en",
            ("fr", "detected"),
        ),
        # Only ISO 639-1 codes are written.
        (
            "The train to Kiel leaves later today, the railway said this morning.",
            "eng",
            ("en", "detected"),
        ),
    ],
)
def test_language_identify_text_cases(
    text: str, declared: str | None, expected: tuple[str | None, str | None]
) -> None:
    found = identify_text(text, declared)
    assert (found.language, found.source) == expected


def test_language_sample_is_bounded_whatever_the_length() -> None:
    blocks = tuple(Block("paragraph", "word " * 500) for _ in range(20))
    cleaned = Cleaned("sha256:" + "0" * 64, Source("k"), Metadata(), blocks)
    assert len(sample(cleaned)) <= SAMPLE_CHARS + len(blocks)


def test_language_batches_go_through_one_model_per_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[str | None, set[str | None]]] = []
    real = segment_all

    def recording(layouts: Sequence[Layout], nlp: Language) -> list[Segmented]:
        seen.append((nlp.meta.get("lang"), {x.cleaned.metadata.language for x in layouts}))
        return real(layouts, nlp)

    monkeypatch.setattr(pipeline_module, "segment_all", recording)
    names = ["en_harbour.txt", "fr_sommet.txt", "de_bahn.txt", "en_wrong_lang.html", "ru_metro.txt"]
    raws = [RawDocument(Source(name), (FIXTURES / name).read_bytes()) for name in names]
    results = enrich_all(raws, get_settings())
    assert [r["source"]["key"] for r in results if isinstance(r, dict)] == names
    assert sorted(seen, key=str) == sorted(
        [("en", {"en"}), ("fr", {"fr"}), ("de", {"de"}), ("ru", {"ru"})], key=str
    )


def test_language_config_hash_covers_every_model_of_the_map() -> None:
    english = Settings(spacy_models={"en": ""})
    both = Settings(spacy_models={"en": "", "fr": "fr_core_news_sm"})
    assert current_config(english).config_hash != current_config(both).config_hash
    assert list(current_config(both).models) == ["en", "fr"]
    with pytest.raises(RuntimeError, match="not installed"):
        current_config(Settings(spacy_models={"de": "de_core_news_zz"}))


def test_language_run_counts_documents_no_model_read_by_language(tmp_path: Path) -> None:
    names = ["de_bahn.txt", "de_schule.html", "ru_metro.txt", "fr_sommet.txt"]
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name in names:
        (inbox / name).write_bytes((FIXTURES / name).read_bytes())
    result = CliRunner().invoke(app, ["run", str(inbox), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    rows = [" ".join(line.replace("│", " ").split()) for line in result.output.splitlines()]
    assert "no model for de 2" in rows and "no model for ru 1" in rows
    assert not any("no model for fr" in row for row in rows)
    # What `docflow status` can read from each output's metadata, without downloading it.
    store = LocalStore(tmp_path / "out")
    described = {
        name: store.head(output_key(ENRICHED_PREFIX, name)).metadata  # type: ignore[union-attr]
        for name in names
    }
    assert described["de_bahn.txt"]["language"] == "de"
    assert described["de_bahn.txt"]["spacy-model"] == ""
    assert described["fr_sommet.txt"]["spacy-model"] == "fr_core_news_sm"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ('{"en": "", "fr": "fr_core_news_sm"}', (("en", ""), ("fr", "fr_core_news_sm"))),
        ('{"fr": "fr_core_news_sm"}', (("fr", "fr_core_news_sm"),)),
        ("{}", ()),
    ],
)
def test_language_models_setting_is_a_json_map_in_its_own_order(
    monkeypatch: pytest.MonkeyPatch, env: str, expected: tuple[tuple[str, str], ...]
) -> None:
    monkeypatch.setenv("DOCFLOW_SPACY_MODELS", env)
    assert Settings().spacy_models == expected


def test_language_benchmark_scores_every_fixture_right() -> None:
    found = language_benchmark.identified(language_benchmark.fixture_pages(FIXTURES))
    rows = language_benchmark.rows("fixtures", found, language_benchmark.MIN_CHARS)
    languages = {row[1] for row in rows} - {"all"}
    assert languages == {language for _, language, _ in CASES}
    assert rows[-1][1:] == ("all", len(CASES), len(CASES), len(CASES), "1.0000", "")
