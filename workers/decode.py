"""Decode stage: raw bytes to normalised Unicode text of a known kind, or a coded failure."""

import codecs
import hashlib
import re
import unicodedata
import zlib
from collections import Counter

import charset_normalizer
import ftfy

from workers.errors import Code, DocflowError
from workers.model import Decoded, Kind, RawDocument, Removed
from workers.settings import Settings

STAGE = "read"

# Formats we recognise by their first bytes and refuse by name.
_MAGIC = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"PK\x03\x04", "ZIP archive (or office document)"),
    (b"\x7fELF", "ELF executable"),
    (b"RIFF", "RIFF media"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-zip archive"),
    (b"OggS", "Ogg media"),
    (b"\x00\x00\x00\x18ftyp", "MP4 media"),
    (b"\x00\x00\x00\x20ftyp", "MP4 media"),
    (b"\xd0\xcf\x11\xe0", "OLE document"),
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_GZIP_MAGIC = b"\x1f\x8b"
_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9_.:-]{2,40})""", re.I)
# Control codes text never needs (tab, newlines and form feed aside), as characters and bytes.
_CONTROL_CHARS = "".join(map(chr, [*range(0x09), 0x0B, *range(0x0E, 0x20), 0x7F]))
_CONTROL_BYTES = _CONTROL_CHARS.encode("ascii")
# One regex pass counts them in a decoded sample; str.count once per code took 3x as long.
_CONTROL = re.compile(f"[{re.escape(_CONTROL_CHARS)}]")
# Control codes and invisible characters (zero-width spaces and joiners, word joiner, stray
# BOMs, soft hyphens) go in one pass; a regex is ten times faster than str.translate here.
_INVISIBLE_CHARS = _CONTROL_CHARS + "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = re.compile(f"[{re.escape(_INVISIBLE_CHARS)}]+")
_HTML_START = re.compile(r"<(?:!doctype\s+html|html|head|body)\b", re.I)
# Servers and converters leave a few stray signs before some pages' doctype; prose has words.
_MAX_JUNK_CHARS = 8
_XML_START = re.compile(r"<\?xml\b|<(?:rss|feed|rdf:RDF)\b", re.I)
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
# Input where more than this share of characters are control codes other than NUL is
# binary, not prose; NULs (a bad export's, or between the words) may be up to half.
_MAX_CONTROL_SHARE = 0.05
_MAX_NUL_SHARE = 0.5
# UTF-16 of Latin-script text without a BOM: NUL in most high bytes, in few low ones
# (U+0000 itself, or a letter such as U+0100).
_UTF16_HIGH_NULS = 0.5
_UTF16_LOW_NULS = 0.01
# UTF-8 read as windows-1252 or Latin-1 always leaves a lead byte's character (Â to ô)
# before a continuation byte's; text without that pair skips ftfy's slower analysis.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_character_width=False,
    normalization="NFC",
    explain=False,
)


def doc_id_of(data: bytes) -> str:
    """Content address of the raw input bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def decode(raw: RawDocument, settings: Settings) -> Decoded:
    """Sniff, decompress, decode and normalise raw bytes; refuse what is not text."""
    data = _gunzip(raw.data, settings.max_input_bytes)
    if not data.strip():
        raise DocflowError(Code.EMPTY, "input is empty or whitespace only", STAGE)
    utf16 = _refuse_binary(data)
    text, removed = _to_text(data, utf16)
    if len(text) > settings.max_text_chars:
        raise DocflowError(
            Code.TOO_LARGE,
            f"{len(text)} characters is over the {settings.max_text_chars} cap",
            STAGE,
        )
    kind = sniff_kind(text, raw.source.key, raw.source.content_type)
    # Markup is repaired after extraction (clean runs fix_text on the article's blocks):
    # ftfy over a whole page costs four times what extracting it does.
    content = normalise(text) if kind == "text" else text
    if not content.strip():
        raise DocflowError(Code.EMPTY, "no visible text after decoding", STAGE)
    return Decoded(doc_id_of(raw.data), raw.source, kind, content, removed)


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    if len(data) > max_bytes:
        raise DocflowError(Code.TOO_LARGE, f"{len(data)} bytes is over the {max_bytes} cap", STAGE)
    if not data.startswith(_GZIP_MAGIC):
        return data
    # Decompress in bounded steps so a compression bomb stops at the cap, not at OOM.
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise DocflowError(Code.MALFORMED, f"broken gzip stream: {exc}", STAGE) from exc
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise DocflowError(Code.TOO_LARGE, f"gzip expands past the {max_bytes} byte cap", STAGE)
    if not inflater.eof:
        raise DocflowError(Code.MALFORMED, "truncated gzip stream", STAGE)
    return out


def _refuse_binary(data: bytes) -> str | None:
    """Refuse bytes that are not text; the codec of UTF-16 without a BOM, else None."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            raise DocflowError(Code.UNSUPPORTED_TYPE, f"{name} is not a text format", STAGE)
    if data.startswith(_GZIP_MAGIC):
        raise DocflowError(Code.UNSUPPORTED_TYPE, "nested gzip is not supported", STAGE)
    if data.startswith(tuple(bom for bom, _ in _BOMS)):
        return None
    # NULs at the very end pad a file to a size (a fixed record, a preallocated export).
    sample = data.rstrip(b"\0")[:100_000]
    nuls = sample.count(0)
    utf16 = _utf16_order(sample) if nuls else None
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if utf16 is None and not _printable(len(sample), nuls, controls - nuls):
        raise DocflowError(Code.UNSUPPORTED_TYPE, "binary content (control bytes)", STAGE)
    return utf16


def _utf16_order(sample: bytes) -> str | None:
    """The UTF-16 byte order of text whose every other byte is NUL, as Latin-script UTF-16's is."""
    even, odd = sample[0::2], sample[1::2]
    for nuls, other, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        high, low = nuls.count(0), other.count(0)
        if high > _UTF16_HIGH_NULS * len(nuls) and low <= _UTF16_LOW_NULS * len(other):
            return codec
    return None


def _to_text(data: bytes, utf16: str | None) -> tuple[str, tuple[Removed, ...]]:
    """The decoded text without control and invisible characters, and a count of the controls."""
    text = _decode_bytes(data, utf16)
    # Most pages have none of them, control characters included; looking for each is 5x
    # faster than the regex's scan, and such a page needs no count of its controls.
    if not any(char in text for char in _INVISIBLE_CHARS):
        return text, ()
    controls = Counter(_CONTROL.findall(text))
    padding = len(text) - len(text.rstrip("\0"))
    nuls = controls["\0"] - padding
    if not _printable(len(text) - padding, nuls, controls.total() - padding - nuls):
        raise DocflowError(Code.UNSUPPORTED_TYPE, "binary content (control characters)", STAGE)
    found = ", ".join(f"U+{ord(char):04X} ×{count}" for char, count in sorted(controls.items()))
    removed = (Removed("control", found),) if controls else ()
    return _INVISIBLE.sub("", text), removed


def _printable(length: int, nuls: int, others: int) -> bool:
    """Mostly printable: a few other control codes at most, and more text than NULs."""
    return others <= _MAX_CONTROL_SHARE * length and nuls <= _MAX_NUL_SHARE * length


def _decode_bytes(data: bytes, utf16: str | None) -> str:
    if utf16 is not None:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise DocflowError(Code.UNDECODABLE, f"bad {utf16}: {exc}", STAGE) from exc
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise DocflowError(Code.UNDECODABLE, f"bad {encoding}: {exc}", STAGE) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_encoding(data)
    if declared:
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass
    encoding = _guess_encoding(data[:200_000])
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DocflowError(Code.UNDECODABLE, f"bytes do not decode as {encoding}", STAGE) from exc


def _guess_encoding(sample: bytes) -> str:
    """charset-normalizer's pick, but windows-1252 when it fits about as well.

    Short Western texts fit several code pages equally; windows-1252 is what
    browsers assume for undeclared legacy pages, so it wins close calls.
    """
    matches = list(charset_normalizer.from_bytes(sample))
    if not matches:
        raise DocflowError(Code.UNDECODABLE, "no text encoding fits these bytes", STAGE)
    best = min(matches, key=lambda m: m.chaos)
    western = [m for m in matches if m.encoding == "cp1252" and m.chaos <= best.chaos + 0.2]
    return str((western or [best])[0].encoding)


def _declared_encoding(data: bytes) -> str | None:
    match = _DECLARED.search(data[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def sniff_kind(text: str, key: str, content_type: str | None) -> Kind:
    """Tell markup from prose by its opening, then by content type and file name."""
    head = text[:2048].lstrip()
    hint = f"{content_type or ''} {key.lower()}"
    if (start := _HTML_START.search(head)) and _is_junk(head[: start.start()]):
        return "html"
    if head.startswith("<"):
        if _HTML_START.search(head) or "html" in hint:
            return "html"
        if _XML_START.search(head) or "xml" in hint or key.lower().endswith((".rss", ".atom")):
            return "xml"
        return "html"
    return "text"


def _is_junk(lead: str) -> bool:
    """A few stray signs before a page's first tag: a '?', a BOM read as Latin-1 ('ï»¿')."""
    stray = lead.strip()
    return len(stray) <= _MAX_JUNK_CHARS and not any(c.isascii() and c.isalnum() for c in stray)


def fix_text(text: str) -> str:
    """Repair mojibake and normalise to NFC, keeping curly quotes and full-width forms.

    >>> fix_text("The caf\u00c3\u00a9’s menu")
    'The café’s menu'
    """
    if _MOJIBAKE_HINT.search(text):
        return ftfy.fix_text(text, _FTFY)
    return unicodedata.normalize("NFC", text)


def normalise(text: str) -> str:
    """Fix mojibake, NFC, one space between words, at most one blank line.

    >>> normalise("caf\u00c3\u00a9  au   lait\\r\\n\\r\\n\\r\\n\\nok ")
    'café au lait\\n\\nok'
    """
    fixed = fix_text(text)
    lines = (_SPACES.sub(" ", line).strip() for line in fixed.splitlines())
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
