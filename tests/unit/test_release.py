"""The outputs of seeds/ and the language fixtures, byte for byte as the last release wrote them.

A refactor must not change what docflow writes. Each file's enriched JSON, less its
`processed_at` and `timings_ms` (the only fields that differ run to run), is compared with
the copy in tests/fixtures/release/. A change meant to alter outputs rewrites those copies
in the same commit, with `python -m tests.unit.test_release`, so the diff shows what moved.
"""

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tasks.cli import app
from tests.conftest import ROOT, SEEDS

INPUTS = [SEEDS, ROOT / "tests" / "fixtures" / "languages"]
RELEASE = ROOT / "tests" / "fixtures" / "release"


def _inputs() -> list[Path]:
    return sorted((p for folder in INPUTS for p in folder.iterdir() if p.is_file()), key=str)


def _stable(document: dict[str, Any]) -> str:
    """The document as JSON with the run's clock and stopwatch taken out."""
    pipeline = dict(document["pipeline"])
    del pipeline["processed_at"], pipeline["timings_ms"]
    return json.dumps({**document, "pipeline": pipeline}, ensure_ascii=False, indent=1) + "\n"


def _run(work: Path) -> dict[str, str]:
    inbox = work / "in"
    inbox.mkdir()
    for path in _inputs():
        shutil.copyfile(path, inbox / path.name)
    result = CliRunner().invoke(app, ["run", str(inbox), "--out", str(work / "out")])
    assert result.exit_code == 0, result.output
    return {
        path.name.removesuffix(".json"): _stable(json.loads(path.read_text("utf-8")))
        for path in sorted((work / "out" / "enriched").iterdir())
    }


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _run(tmp_path_factory.mktemp("release"))


def test_every_input_has_a_release_copy(outputs: dict[str, str]) -> None:
    names = [path.name for path in _inputs()]
    assert len(set(names)) == len(names), "two inputs share a name"
    assert sorted(outputs) == sorted(names)
    assert sorted(p.name.removesuffix(".json") for p in RELEASE.iterdir()) == sorted(names)


@pytest.mark.parametrize("name", [path.name for path in _inputs()])
def test_output_is_the_release_output(outputs: dict[str, str], name: str) -> None:
    set_here = sorted(key for key in os.environ if key.startswith("DOCFLOW_"))
    assert outputs[name] == (RELEASE / f"{name}.json").read_text("utf-8"), (
        f"{name}: output differs from its release copy; "
        + (f"this shell sets {', '.join(set_here)}, which change config_hash; " if set_here else "")
        + "a change meant to alter outputs rewrites the copies: python -m tests.unit.test_release"
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        written = _run(Path(work))
    shutil.rmtree(RELEASE, ignore_errors=True)
    RELEASE.mkdir(parents=True)
    for name, text in written.items():
        (RELEASE / f"{name}.json").write_text(text, "utf-8")
    print(f"wrote {len(written)} release copies to {RELEASE}", file=sys.stderr)
