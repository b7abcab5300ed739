import codecs
import gzip
import os

import pytest

from workers.decode import decode, normalise, sniff_kind
from workers.errors import Code, DocflowError
from workers.model import RawDocument, Removed, Source
from workers.settings import Settings

SETTINGS = Settings(max_input_bytes=200_000, max_text_chars=150_000)
PROSE = "Café owners in Zürich say “business is back”.\n\nThe second paragraph."


def _decode(data: bytes, key: str = "doc.txt") -> str:
    return decode(RawDocument(Source(key), data), SETTINGS).content


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PROSE.encode("utf-8"), PROSE),
        (codecs.BOM_UTF8 + PROSE.encode("utf-8"), PROSE),
        (codecs.BOM_UTF16_LE + PROSE.encode("utf-16-le"), PROSE),
        (codecs.BOM_UTF16_BE + PROSE.encode("utf-16-be"), PROSE),
        (gzip.compress(PROSE.encode("utf-8")), PROSE),
        (
            "Déjà vu: a café crème, s’il vous plaît, naïve façade.".encode("cp1252"),
            "Déjà vu: a café crème, s’il vous plaît, naïve façade.",
        ),
        ("The cafÃ© was closed.".encode(), "The café was closed."),
        ("zero\u200bwidth\u200d joiners\ufeff gone".encode(), "zerowidth joiners gone"),
        (
            b"Stray NUL\x00 bytes in a long enough line of text\x00 are dropped.",
            "Stray NUL bytes in a long enough line of text are dropped.",
        ),
        (b"  spaced   out  \r\n\r\n\r\n\r\nline ", "spaced out\n\nline"),
    ],
)
def test_decode_decodes_and_normalises(data: bytes, expected: str) -> None:
    assert _decode(data) == expected


ENGLISH = "The port said on Tuesday that the plan would double capacity.\n\nIt starts in May."


@pytest.mark.parametrize(
    ("data", "expected", "removed"),
    [
        (ENGLISH.encode(), ENGLISH, ()),
        (ENGLISH.encode().replace(b" ", b" \x00"), ENGLISH, ("U+0000 ×13",)),
        (ENGLISH.encode().replace(b" ", b"\x00\x00 \x00"), ENGLISH, ("U+0000 ×39",)),
        (ENGLISH.encode().replace(b".", b".\x07\x1b"), ENGLISH, ("U+0007 ×2, U+001B ×2",)),
        (ENGLISH.encode() + b"\x00" * 4096, ENGLISH, ("U+0000 ×4096",)),  # padded to a size
        (ENGLISH.encode("utf-16-le"), ENGLISH, ()),  # NUL-interleaved: UTF-16 without a BOM
        (ENGLISH.encode("utf-16-be"), ENGLISH, ()),
        (PROSE.encode("utf-16-le"), PROSE, ()),
        ((ENGLISH + "\0").encode("utf-16-le"), ENGLISH, ("U+0000 ×1",)),
    ],
)
def test_decode_drops_control_characters_and_counts_them(
    data: bytes, expected: str, removed: tuple[str, ...]
) -> None:
    decoded = decode(RawDocument(Source("doc.txt"), data), SETTINGS)
    assert decoded.content == expected
    assert decoded.removed == tuple(Removed("control", text) for text in removed)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", Code.EMPTY),
        (b" \n\t \r\n ", Code.EMPTY),
        ("\u200b\u200b".encode(), Code.EMPTY),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", Code.UNSUPPORTED_TYPE),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", Code.UNSUPPORTED_TYPE),
        (b"PK\x03\x04\x14\x00\x06\x00", Code.UNSUPPORTED_TYPE),
        (bytes(range(256)) * 40, Code.UNSUPPORTED_TYPE),
        (b"\x00" * 4096 + ENGLISH.encode(), Code.UNSUPPORTED_TYPE),  # not mostly printable
        (ENGLISH.encode().replace(b" ", b" \x01\x02"), Code.UNSUPPORTED_TYPE),
        (os.urandom(4096).replace(b"\x00", b"\x01"), Code.UNSUPPORTED_TYPE),
        (b"x" * 200_001, Code.TOO_LARGE),
        (gzip.compress(b"a" * 5_000_000), Code.TOO_LARGE),
        (gzip.compress(b"text")[:-6], Code.MALFORMED),
        (gzip.compress(gzip.compress(b"text")), Code.UNSUPPORTED_TYPE),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", Code.UNDECODABLE),
        (b"word " * 40_000, Code.TOO_LARGE),
    ],
)
def test_decode_refuses_with_a_stable_code(data: bytes, code: Code) -> None:
    with pytest.raises(DocflowError) as caught:
        _decode(data)
    assert caught.value.code == code
    assert caught.value.stage == "read"


@pytest.mark.parametrize(
    ("head", "key", "content_type", "kind"),
    [
        ("Plain words.", "a.txt", None, "text"),
        ("<!DOCTYPE html><html><body>x", "a", None, "html"),
        ("<html lang='en'><head>", "a.txt", None, "html"),
        ("<div><p>fragment</p></div>", "page.htm", None, "html"),
        ("<?xml version='1.0'?><rss version='2.0'>", "feed", None, "xml"),
        ("<feed xmlns='http://www.w3.org/2005/Atom'>", "a", None, "xml"),
        ("<article><title>x</title></article>", "a.xml", "application/xml", "xml"),
        ("<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'>", "a", None, "html"),
        ("?\n<!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.0//EN'>\n<html>", "a.html", None, "html"),
        ("\u00ef\u00bb\u00bf<html>\n<head><title>x</title>", "a", None, "html"),
        ("\ufeff \n <!doctype html><body>", "a.txt", None, "html"),
        ("-- <body>", "a", "text/plain", "html"),
        ("Use <html> and <body> tags.", "a.txt", None, "text"),
        ("A page: <!DOCTYPE html>", "a.html", None, "text"),
        ("?????????? <html>", "a", None, "text"),
        ("1. <head>", "a", None, "text"),
    ],
)
def test_decode_sniffs_the_kind(head: str, key: str, content_type: str | None, kind: str) -> None:
    assert sniff_kind(head, key, content_type) == kind


def test_decode_doc_id_is_the_hash_of_the_raw_bytes() -> None:
    data = gzip.compress(PROSE.encode())
    decoded = decode(RawDocument(Source("a.gz"), data), SETTINGS)
    assert decoded.doc_id == "sha256:" + __import__("hashlib").sha256(data).hexdigest()


def test_decode_normalise_keeps_curly_quotes() -> None:
    assert normalise("What’s “next”?") == "What’s “next”?"
