"""docflow run end to end on seeds/ and on a folder of good and bad files."""

import gzip
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tasks.cli import app
from tests.conftest import SEEDS, check_enriched
from workers.decode import doc_id_of
from workers.render import validate
from workers.settings import get_settings

runner = CliRunner()
SEED = "000_3f1d083b70fe61c9.txt"
NEWS = "news_harbor_expansion.txt"
HTML = "policy_brief.html"


@pytest.fixture(scope="module")
def seed_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seed-run")
    result = runner.invoke(app, ["run", str(SEEDS), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _enriched(out: Path, key: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / "enriched" / f"{key}.json").read_text("utf-8"))
    return document


def _entity(document: dict[str, Any], text: str) -> dict[str, Any]:
    matches = [e for e in document["entities"] if e["text"] == text]
    assert matches, f"no entity {text!r} in {[e['text'] for e in document['entities']]}"
    return matches[0]


def test_run_writes_one_valid_document_per_seed(seed_out: Path) -> None:
    seeds = sorted(p.name for p in SEEDS.iterdir() if p.is_file())
    written = sorted(p.name.removesuffix(".json") for p in (seed_out / "enriched").iterdir())
    assert written == seeds
    for key in seeds:
        check_enriched(_enriched(seed_out, key))


def test_run_seed_caption_kept_once_and_related_block_gone(seed_out: Path) -> None:
    doc = _enriched(seed_out, SEED)
    caption = "Xi (center) and Putin (center right) with the leaders of Brazil, India and South"
    assert doc["text"].count(caption) == 1
    assert any(r["kind"] == "duplicate" and r["text"].startswith(caption) for r in doc["removed"])
    for residue in [
        "Related Publications",
        "In Europe, Xi Looks to Boost Ties",
        "Type: Question and Answer",
        "Global Policy",
        "Thursday, May 16, 2024",
        "Cross-Strait",
    ]:
        assert residue not in doc["text"]
    assert any(r["kind"] == "related" for r in doc["removed"])
    assert doc["text"].rstrip().endswith(".")


def test_run_seed_qa_sections_and_speakers(seed_out: Path) -> None:
    doc = _enriched(seed_out, SEED)
    sections = [(s["heading"], s["speakers"]) for s in doc["sections"]]
    assert sections == [
        (None, []),
        ("Why did Xi visit Putin?", ["Scobell"]),
        ("Why did Putin invite Xi?", ["Ashby"]),
        ("What are the key takeaways from the Putin-Xi summit?", ["Scobell"]),
        ("How did Ukraine factor into the summit?", ["Glantz"]),
        ("What other significant takeaways were there?", ["Scobell and Staats"]),
        ("What’s next in the Putin-Xi bromance?", ["Ashby and Glantz"]),
    ]
    answer = doc["sections"][1]["paragraphs"][0]
    first_sentence = answer["sentences"][0]
    assert doc["text"][answer["start"] :].startswith("Scobell: ")
    assert doc["text"][first_sentence["start"] :].startswith("This week")


def test_run_seed_entities_fold_people_and_acronyms(seed_out: Path) -> None:
    doc = _enriched(seed_out, SEED)
    leaders = [(e["text"], e["label"]) for e in doc["entities"][:2]]
    assert sorted(leaders) == [("Vladimir Putin", "PERSON"), ("Xi Jinping", "PERSON")]
    for name, alias in [("Vladimir Putin", "Putin"), ("Xi Jinping", "Xi")]:
        entity = _entity(doc, name)
        assert alias in entity["aliases"]
        assert entity["count"] >= 25
    for name in ["Andrew Scobell", "Heather Ashby", "Mary Glantz", "Jennifer Staats"]:
        assert _entity(doc, name)["label"] == "PERSON"
    icc = _entity(doc, "International Criminal Court")
    assert icc["label"] == "ORG"
    assert "ICC" in icc["aliases"]
    assert all(
        e["label"] not in {"CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"}
        for e in doc["entities"]
    )


def test_run_news_story_byline_dateline_and_entities(seed_out: Path) -> None:
    doc = _enriched(seed_out, NEWS)
    assert doc["metadata"]["authors"] == ["Maria Delgado", "Tom Reilly"]
    assert doc["metadata"]["published"] == "2024-03-04"
    assert (
        doc["metadata"]["title"]
        == "Oakland Port Board Approves Harbor Expansion After Two-Year Fight"
    )
    for residue in [
        "By Maria Delgado",
        "Advertisement",
        "Share this article",
        "Related Coverage",
        "Bay Bridge Toll Increase",
    ]:
        assert residue not in doc["text"]
    assert doc["text"].startswith("OAKLAND, Calif. — The Port of Oakland")
    assert "Okafor" in _entity(doc, "Danielle Okafor")["aliases"]
    assert _entity(doc, "Danielle Okafor")["label"] == "PERSON"
    assert "EPA" in _entity(doc, "Environmental Protection Agency")["aliases"]
    assert "Lin" in _entity(doc, "Margaret Lin")["aliases"]


def test_run_html_page_keeps_article_drops_chrome(seed_out: Path) -> None:
    doc = _enriched(seed_out, HTML)
    headings = [s["heading"] for s in doc["sections"] if s["heading"]]
    assert len(headings) >= 2
    kinds = {r["kind"] for r in doc["removed"]}
    assert doc["metadata"]["title"]
    assert doc["metadata"]["url"]
    assert doc["metadata"]["language"] == "en"
    assert kinds
    for residue in ["cookie", "Subscribe", "Related links", "All rights reserved"]:
        assert residue.casefold() not in doc["text"].casefold()
    assert doc["entities"]


def test_run_is_deterministic_apart_from_time(seed_out: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(SEEDS / SEED), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    first, second = _enriched(seed_out, SEED), _enriched(tmp_path, SEED)
    for doc in (first, second):
        doc["pipeline"].pop("processed_at")
        doc["pipeline"].pop("timings_ms")
    assert first == second


def test_run_document_round_trips_through_json(seed_out: Path) -> None:
    raw = (seed_out / "enriched" / f"{SEED}.json").read_bytes()
    doc = json.loads(raw)
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc
    written = raw.decode("utf-8")
    assert written.startswith('{\n  "schema_version": "1.1",\n  "doc_id": ')  # one key a line
    assert not doc["text"].isascii() and "\\u" not in written  # UTF-8 as is, not escaped
    assert list(doc) == [
        "schema_version",
        "doc_id",
        "source",
        "pipeline",
        "metadata",
        "text",
        "removed",
        "sections",
        "entities",
    ]


def test_run_skips_current_outputs_and_force_redoes_them(tmp_path: Path) -> None:
    args = ["run", str(SEEDS / NEWS), "--out", str(tmp_path)]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 0
    assert "skipped" in again.output
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0


BAD_FILES: dict[str, tuple[bytes, str | None]] = {
    "good.txt": (b"Angela Merkel visited Paris on Monday. Merkel met Emmanuel Macron.", None),
    "good.txt.gz": (gzip.compress(b"Tokyo is large. It rained in Tokyo on Sunday."), None),
    "empty.txt": (b"", "EMPTY"),
    "blank.txt": (b"  \n\n \t ", "EMPTY"),
    "binary.txt": (bytes(range(256)) * 64, "UNSUPPORTED_TYPE"),
    "report.pdf": (b"%PDF-1.4\n1 0 obj << >> endobj", "UNSUPPORTED_TYPE"),
    "broken.txt": (b"\xff\xfe\x00\xd8", "UNDECODABLE"),
    "huge.txt": (b"word " * 5_000_000, "TOO_LARGE"),
    "nested/dir/also good.html": (
        b"<html><head><title>T</title></head><body><article><p>"
        + b"Nairobi hosted the summit on climate finance this week. " * 8
        + b"</p></article></body></html>",
        None,
    ),
}


def test_run_mixed_folder_one_output_per_input_and_exit_1(tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    for key, (data, _) in BAD_FILES.items():
        (inbox / key).parent.mkdir(parents=True, exist_ok=True)
        (inbox / key).write_bytes(data)
    result = runner.invoke(app, ["run", str(inbox), "--out", str(out)])
    assert result.exit_code == 1, result.output
    for key, (_, code) in BAD_FILES.items():
        enriched, failed = out / "enriched" / f"{key}.json", out / "failed" / f"{key}.json"
        assert enriched.exists() != failed.exists(), key
        if code is None:
            check_enriched(json.loads(enriched.read_text("utf-8")))
        else:
            record = json.loads(failed.read_text("utf-8"))
            validate(record, "failure.v1.json")
            assert record["error"]["code"] == code, key
            assert record["source"]["key"] == key


@pytest.mark.parametrize(
    ("args", "code"),
    [([], 2), (["run"], 2), (["run", "/no/such/path"], 2), (["nonsense"], 2)],
)
def test_run_usage_errors_exit_2(args: list[str], code: int) -> None:
    assert runner.invoke(app, args).exit_code == code


def _docflow(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The console script's main in a fresh interpreter, with env added to the environment."""
    code = "import sys; from tasks.cli import main; sys.argv[0] = 'docflow'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_run_importing_the_cli_loads_neither_celery_nor_the_model() -> None:
    code = (
        "import sys, tasks.cli; "
        "print(sorted(m for m in ('celery', 'kombu', 'redis', 'spacy', 'tasks.app') "
        "if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"


@pytest.mark.parametrize(
    "env",
    [
        {"DOCFLOW_VISIBILITY_TIMEOUT": "10"},  # fails the worker's check; run needs no broker
        {"DOCFLOW_BROKER_URL": "redis://127.0.0.1:9/0"},  # nothing listens there
        {"DOCFLOW_BROKER_URL": "not a url at all", "DOCFLOW_TASK_TIME_LIMIT": "1"},
    ],
)
def test_run_works_whatever_the_broker_settings(env: dict[str, str], tmp_path: Path) -> None:
    done = _docflow(["run", str(SEEDS / NEWS), "--out", str(tmp_path), "--jobs", "1"], env)
    assert done.returncode == 0, done.stderr
    check_enriched(_enriched(tmp_path, NEWS))


def _without_run_facts(out: Path) -> dict[str, dict[str, Any]]:
    """Every enriched document of out, less when and how fast it was made."""
    documents = {}
    for path in sorted((out / "enriched").iterdir()):
        document = json.loads(path.read_text("utf-8"))
        del document["pipeline"]["processed_at"], document["pipeline"]["timings_ms"]
        documents[path.name] = document
    return documents


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_run_outputs_are_the_same_whatever_jobs(jobs: str, seed_out: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(SEEDS), "--out", str(tmp_path), "--jobs", jobs])
    assert result.exit_code == 0, result.output
    assert _without_run_facts(tmp_path) == _without_run_facts(seed_out)


@pytest.fixture
def two_second_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """DOCFLOW_TASK_SOFT_TIME_LIMIT=2 for the run's settings."""
    monkeypatch.setenv("DOCFLOW_TASK_SOFT_TIME_LIMIT", "2")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _slow_article() -> bytes:
    """A million characters of distinct paragraphs: far over two seconds of the model's time."""
    paragraph = (
        "Paragraph {}: the harbour authority in Rotterdam said on Tuesday that Anna de Vries "
        "and the city council of Amsterdam would sign the plan with Maersk and the EU."
    )
    return "\n\n".join(paragraph.format(i) for i in range(6_500)).encode()


@pytest.mark.usefixtures("two_second_limit")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_run_document_past_the_time_limit_ends_as_timeout_and_the_run_goes_on(
    jobs: str, tmp_path: Path
) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    good = b"Angela Merkel visited Paris on Monday. Merkel met Emmanuel Macron there."
    (inbox / "a_good.txt").write_bytes(good)
    (inbox / "b_slow.txt").write_bytes(_slow_article())
    (inbox / "c_good.txt").write_bytes(good.replace(b"Paris", b"Lyon"))
    started = time.monotonic()
    result = runner.invoke(app, ["run", str(inbox), "--out", str(out), "--jobs", jobs])
    assert result.exit_code == 1, result.output
    assert time.monotonic() - started < 60
    assert sorted(p.name for p in (out / "enriched").iterdir()) == [
        "a_good.txt.json",
        "c_good.txt.json",
    ]
    assert [p.name for p in (out / "failed").iterdir()] == ["b_slow.txt.json"]
    record = json.loads((out / "failed" / "b_slow.txt.json").read_text("utf-8"))
    validate(record, "failure.v1.json")
    assert record["error"]["code"] == "TIMEOUT"
    assert record["error"]["message"] == "over the 2 s time limit"
    assert record["doc_id"] == doc_id_of(_slow_article())
    assert "TIMEOUT" in result.output
