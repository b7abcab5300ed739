"""No secret in the repository or the image: credentials only ever come from the environment."""

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from workers.settings import Settings

# A secret-named identifier given a literal value of credential length (8 characters and
# more): NAME = "...", NAME: ..., NAME=..., "name": "...".
ASSIGNMENT = re.compile(
    r"""(?P<name>[A-Za-z_]*(?:PASSWORD|PASSWD|SECRET|ACCESS_KEY|TOKEN|API_KEY|BASIC_AUTH)\w*)"""
    r"""["']?\s*[:=]\s*(?P<quote>["']?)(?P<value>[^\s"'#,)\]}]{8,})""",
    re.IGNORECASE,
)
# Values that are obviously not real: placeholders and the dummies local test servers accept.
DUMMY = re.compile(
    r"^(change-me|placeholder|testing|benchmark|not-a-real|dummy|example|user:password$)", re.I
)
# What a value looks like when it refers to a secret rather than being one.
REFERENCE = re.compile(r"^(\$|<|\{|env\b|os\.|settings\.|self\.|\w+\[|[\w.]+\()")
LEAKS = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "URL with a password": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]{3,}@"),
}


def is_literal_secret(match: re.Match[str], python: bool = False) -> bool:
    """True when a secret-named assignment holds a value, not a reference or a dummy.

    In Python a literal is quoted; an unquoted value there is a name (`secret = tmp_path`).
    """
    if python and not match["quote"]:
        return False
    return not (REFERENCE.match(match["value"]) or DUMMY.match(match["value"]))


def tracked_files() -> list[Path]:
    """Every file git tracks, as the image build and a clone would see them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    return [ROOT / name.decode() for name in listed if name and (ROOT / name.decode()).is_file()]


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    return None if b"\0" in data[:8192] else data.decode("utf-8", errors="replace")


def test_access_no_secret_literal_in_tracked_files() -> None:
    found = []
    # This file's own table of examples is what the scanner must catch.
    for path in (p for p in tracked_files() if p != Path(__file__)):
        text = _text(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for match in ASSIGNMENT.finditer(line):
                if not is_literal_secret(match, python=path.suffix == ".py"):
                    continue
                found.append(f"{path.relative_to(ROOT)}:{number}: {match['name']}")
    assert not found


@pytest.mark.parametrize("leak", list(LEAKS))
def test_access_no_key_material_in_tracked_files(leak: str) -> None:
    pattern = LEAKS[leak]
    found = [
        str(path.relative_to(ROOT))
        for path in tracked_files()
        if (text := _text(path)) is not None and pattern.search(text)
    ]
    assert not found


@pytest.mark.parametrize(
    ("line", "python", "flagged"),
    [
        ('MINIO_ROOT_PASSWORD: "s3cr3t-value"', False, True),
        ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI", False, True),
        ('"api_key": "abcd1234"', False, True),
        ("FLOWER_BASIC_AUTH=admin:hunter22", False, True),
        ('API_TOKEN = "abcd1234efgh"', True, True),
        ("AWS_SECRET_ACCESS_KEY: ${DOCFLOW_S3_SECRET_KEY:?set it}", False, False),
        ("DOCFLOW_S3_SECRET_KEY=change-me-docflow-app-password", False, False),
        ('"AWS_SECRET_ACCESS_KEY": "testing",', False, False),
        ("token = settings.token", True, False),
        ('secret = tmp_path / "secret.txt"', True, False),
    ],
)
def test_access_scanner_tells_secrets_from_references(
    line: str, python: bool, flagged: bool
) -> None:
    matches = [m for m in ASSIGNMENT.finditer(line) if is_literal_secret(m, python)]
    assert bool(matches) is flagged


def test_access_env_example_holds_only_placeholders() -> None:
    values = [
        line.split("=", 1)[1]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    ]
    assert values
    assert all(DUMMY.match(value) for value in values), values


def test_access_env_files_are_neither_tracked_nor_copied_into_the_image() -> None:
    names = {path.name for path in tracked_files()}
    assert ".env" not in names
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored or "*.env" in ignored or ".env*" in ignored


def test_access_settings_have_no_credential_fields_with_defaults() -> None:
    # Credentials reach boto3 and Redis from the standard environment variables only.
    secret_like = [name for name in Settings.model_fields if ASSIGNMENT.match(f"{name}=x")]
    assert secret_like == []
