"""Hostile input: each file ends as a coded failure record or a clean enriched document.

Every case runs through workers.batch.process_key (the body of `docflow run` and of the Celery
task) on a LocalStore, in a forked child of this process, so a crash shows up as a failed
case rather than a dead test run, and the child's peak memory is its own to measure. The
memory bound is a generous sanity check, not a benchmark.
"""

import gzip
import json
import os
import random
import re
import signal
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import check_enriched
from workers.batch import process_key
from workers.local import LocalStore
from workers.nlp import load_model
from workers.pipeline import current_config
from workers.render import validate
from workers.settings import Settings

CANARY = "docflow-canary-5e0c1d"
# Far above what a document needs (about 200 MB here), far below what would hurt a worker.
MAX_GROWTH_KB = 1_000_000
MAX_SECONDS = 120

PROSE = (
    "The harbour authority said on Tuesday that the expansion would double capacity. "
    "Officials from the port and the city council met in Rotterdam to sign the plan.\n\n"
) * 5


def _nested(opening: str, closing: str, depth: int = 200_000, inner: str = "") -> bytes:
    return (opening * depth + inner + closing * depth).encode()


def _laughs(root: str) -> str:
    """The billion laughs: nine levels of ten references each, 10^9 "lol"s if expanded."""
    levels = "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">' for i in range(1, 10)
    )
    return f'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">{levels}]>\n{root}'


def _gzip_bomb() -> bytes:
    """200 MB of zeros in about 200 KB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return b"".join(packer.compress(b"\0" * 1_000_000) for _ in range(200)) + packer.flush()


def _rss() -> str:
    item = "<item><title>Harbour</title><description>{}</description></item>"
    return "<rss><channel>" + item + "</channel></rss>"


Build = Callable[[str], bytes]

# name -> (how to build it from a file:// URI of a local secret, expected code or "enriched")
CASES: dict[str, tuple[Build, str]] = {
    "xxe-file.xml": (
        lambda uri: (
            f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "{uri}">]>\n'
            + _rss().format(PROSE + "&x;")
        ).encode(),
        "enriched",
    ),
    "xxe-passwd.xml": (
        lambda _: (
            '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            + _rss().format("&x;" + PROSE)
        ).encode(),
        "enriched",
    ),
    "xxe-parameter.xml": (
        lambda uri: (
            f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY % p SYSTEM "{uri}"> %p;]>\n'
            + _rss().format(PROSE)
        ).encode(),
        "enriched",
    ),
    "xxe-external-dtd.xml": (
        lambda uri: (
            f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "{uri}">\n' + _rss().format(PROSE)
        ).encode(),
        "enriched",
    ),
    "xinclude.xml": (
        lambda uri: (
            '<?xml version="1.0"?>\n<rss xmlns:xi="http://www.w3.org/2001/XInclude"><channel>'
            f'<item><description>{PROSE}<xi:include href="{uri}" parse="text"/></description>'
            "</item></channel></rss>"
        ).encode(),
        "enriched",
    ),
    "xxe-file.html": (
        lambda uri: (
            f'<!DOCTYPE html [<!ENTITY x SYSTEM "{uri}">]>\n'
            f"<html><body><article><p>&x;</p><p>{PROSE}</p></article></body></html>"
        ).encode(),
        "enriched",
    ),
    "subset-declared.html": (
        lambda uri: (
            f'<!DOCTYPE html [<!ENTITY y "{CANARY}"> <!ENTITY % p SYSTEM "{uri}"> %p;'
            f"<!ENTITY z '{CANARY} ]> &y;'> <!-- ]> -->]>\n"
            f"<html><body><article><p>&y; {PROSE} &z;&amp;</p></article></body></html>"
        ).encode(),
        "enriched",
    ),
    # The page that hung docflow: a comment, then many; 20 took 0.13 s, 80 took 53 s.
    "subset-after-139-comments.html": (
        lambda uri: (
            "<!-- a -->"
            + "<!-- comment -->\n" * 139
            + f'<!DOCTYPE html [<!ENTITY x SYSTEM "{uri}">]>'
            f"<html><body><article><p>{PROSE}&x;</p></article></body></html>"
        ).encode(),
        "enriched",
    ),
    "comments-100k.html": (
        lambda _: (
            "<!-- a -->"
            + "<!-- comment -->\n" * 100_000
            + f"<html><body><article><p>{PROSE}</p></article></body></html>"
        ).encode(),
        "enriched",
    ),
    "subset-unclosed.html": (
        lambda _: (
            '<!DOCTYPE html [<!ENTITY y "x">\n'
            + f"<html><body><article><p>{PROSE}</p></article></body></html>"
        ).encode(),
        "MALFORMED",
    ),
    "laughs.xml": (lambda _: _laughs(_rss().format("&lol9;")).encode(), "MALFORMED"),
    "quadratic.xml": (
        lambda _: (
            f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "{"A" * 50_000}">]>\n'
            + _rss().format("&a;" * 50_000)
        ).encode(),
        "MALFORMED",
    ),
    "gzip-bomb.txt.gz": (lambda _: _gzip_bomb(), "TOO_LARGE"),
    "gzip-truncated.txt.gz": (lambda _: gzip.compress(PROSE.encode())[:-20], "MALFORMED"),
    "gzip-article.txt.gz": (lambda _: gzip.compress(PROSE.encode()), "enriched"),
    "huge-50mb.txt": (lambda _: PROSE.encode() * (50_000_000 // len(PROSE) + 1), "TOO_LARGE"),
    "chars-3m.txt": (lambda _: PROSE.encode() * (3_000_000 // len(PROSE) + 1), "TOO_LARGE"),
    "deep.xml": (lambda _: b'<?xml version="1.0"?>' + _nested("<a>", "</a>"), "MALFORMED"),
    "deep.html": (
        lambda _: b"<html><body>" + _nested("<b>", "</b>", inner=PROSE) + b"</body></html>",
        "EMPTY",
    ),
    "deep-unclosed.html": (
        lambda _: b"<html><body>" + b"<div>" * 200_000 + PROSE.encode(),
        "EMPTY",
    ),
    "nul-sprinkled.txt": (lambda _: PROSE.encode().replace(b". ", b".\0 "), "enriched"),
    "nul-interleaved.txt": (lambda _: PROSE.encode("utf-16-le"), "enriched"),
    "nul-between-words.txt": (lambda _: PROSE.encode().replace(b" ", b" \0"), "enriched"),
    "controls-sprinkled.txt": (lambda _: PROSE.encode().replace(b". ", b".\x1b\x07 "), "enriched"),
    "nul-padded.txt": (lambda _: PROSE.encode() + b"\0" * 60_000, "enriched"),
    "nul-mostly.txt": (lambda _: b"\0" * 10_000 + PROSE.encode(), "UNSUPPORTED_TYPE"),
    "undecodable-utf8.txt": (
        lambda _: b"\xef\xbb\xbf" + PROSE.encode() + b"\xff\xfe",
        "UNDECODABLE",
    ),
    "undecodable-utf16.txt": (lambda _: b"\xff\xfe" + b"\x00\xd8" * 100, "UNDECODABLE"),
    "random-bytes.txt": (lambda _: random.Random(6).randbytes(50_000), "UNSUPPORTED_TYPE"),
    "png-named.txt": (lambda _: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16, "UNSUPPORTED_TYPE"),
    "elf-named.txt": (lambda _: b"\x7fELF\x02\x01\x01" + bytes(4000), "UNSUPPORTED_TYPE"),
    "paper.pdf": (
        lambda _: b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n",
        "UNSUPPORTED_TYPE",
    ),
    "pdf-named.txt": (
        lambda _: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 4,
        "UNSUPPORTED_TYPE",
    ),
    "empty.txt": (lambda _: b"", "EMPTY"),
    "whitespace.txt": (lambda _: b" \n\t\r\n   \n", "EMPTY"),
    "zero-width-only.txt": (lambda _: "\u200b\u200c\u200d\ufeff\u2060".encode() * 100, "EMPTY"),
    "zero-width.txt": (
        lambda _: PROSE.replace(" ", " \u200b").replace("o", "o\u200d").encode(),
        "enriched",
    ),
    "script-only.html": (
        lambda _: (
            b"<html><head><script>var a = 1;</script></head>"
            b"<body><script>alert(1)</script></body></html>"
        ),
        "EMPTY",
    ),
    # One paragraph over spaCy's nlp.max_length (1,000,000) but under max_text_chars: the
    # cap should say so (TOO_LARGE), as it does past max_text_chars, not crash (INTERNAL).
    "one-word-1.5m.txt": (lambda _: b"a" * 1_500_000, "TOO_LARGE"),
}


# Enriched cases whose stray control characters are removed and counted in `removed`.
CONTROLS_COUNTED = {
    "nul-sprinkled.txt",
    "nul-between-words.txt",
    "controls-sprinkled.txt",
    "nul-padded.txt",
}


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    """Default settings, with the model loaded once here so every forked case shares it."""
    current = Settings()
    load_model(current_config(current).packages["en"])
    yield current


def _run_in_child(folder: Path, key: str, settings: Settings) -> dict[str, Any]:
    """process_key in a forked child; its outcome, output JSON and peak memory growth."""
    report = folder / "report.json"
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        try:
            Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current RSS
            before = _status_kb("VmRSS")
            outcome = process_key(
                LocalStore(folder / "in"), LocalStore(folder / "out"), key, settings
            )
            kind = "enriched" if outcome.status == "enriched" else "failed"
            output = (folder / "out" / kind / f"{key}.json").read_text()
            growth = _status_kb("VmHWM") - before
            report.write_text(json.dumps({"kind": kind, "output": output, "growth_kb": growth}))
        finally:
            os._exit(0)
    deadline = time.monotonic() + MAX_SECONDS
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert status == 0, f"{key}: the child died with status {status}"
            result: dict[str, Any] = json.loads(report.read_text())
            return result
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"{key}: not done in {MAX_SECONDS} s")


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_ends_coded_or_clean_without_leaking(
    name: str, settings: Settings, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(f"{CANARY}\nroot:x:0:0:root:/root:/bin/sh\n")
    build, expected = CASES[name]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / name).write_bytes(build(secret.as_uri()))
    result = _run_in_child(tmp_path, name, settings)
    document = json.loads(result["output"])
    assert CANARY not in result["output"]
    assert "root:x:0:0" not in result["output"]
    if expected == "enriched":
        assert result["kind"] == "enriched", document.get("error")
        check_enriched(document)
        assert not set(document["text"]) & set("\0\u200b\u200c\u200d\ufeff\u2060")
        assert not re.search(r"&\w+;", document["text"])  # no entity left as "&x;"
        counted = any(r["kind"] == "control" for r in document["removed"])
        assert counted == (name in CONTROLS_COUNTED)
    else:
        validate(document, "failure.v1.json")
        assert (result["kind"], document["error"]["code"]) == ("failed", expected), document
    assert result["growth_kb"] < MAX_GROWTH_KB
