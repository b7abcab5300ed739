"""A plain-text story's masthead: title, byline and date lines, and the dateline of its lede."""

import re
from dataclasses import dataclass
from datetime import datetime

from workers.model import Block, Metadata, Removed
from workers.residue import MONTHS, Blocks, byline_names

# How far into a plain-text article a title, byline or date line may stand.
MASTHEAD_LINES = 6
_TITLE_MAX_WORDS = 20
_TITLE_MAX_CHARS = 160
_TITLE_ENDS = tuple(".,;:…")
_OUTLET_MAX_WORDS = 5
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?\.?"
_TIME = r"\d{1,2}[:.]\d{2}(?: ?[ap]\.? ?m\.?)?(?: [a-z]{2,5}(?:[+-]\d{1,2})?)?"
# A date as mastheads write one, with its weekday and time: 'Tue 4 Mar 2024 10.32 GMT'.
_DATE = re.compile(
    rf"(?:{_WEEKDAY} )?"
    rf"(?P<date>{MONTHS} {_DAY},? \d{{4}}|{_DAY} {MONTHS},? \d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
    rf"(?:,? (?:at )?{_TIME})?",
    re.IGNORECASE,
)
_DATE_WORDS = re.compile(
    r"(?:(?:first |last )?(?:published|updated|posted|released|issued|dated)(?: on)?:? |on )?",
    re.IGNORECASE,
)
# 'March 4th' reads as 'March 4'; strptime knows 'Sep' but not 'Sept'.
_ORDINAL_OR_SEPT = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b|\bsept\b", re.IGNORECASE)
_DATE_FORMATS = ("%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d")
# Parts of a masthead line that carry neither a name nor a date: a reading time, a wire's
# name, a release note. Each is a whole part of the line.
_MASTHEAD_NOISE = re.compile(
    r"\d{1,3} min(?:ute)?s? read|(?:updated )?\d{1,3} (?:minute|hour|day)s? ago"
    r"|for immediate release|press release|news release|(?:the )?associated press|reuters|afp"
    r"|agence france-presse|bloomberg(?: news)?|\(?[a-z]{2,12} (?:staff|correspondent|writer)\)?"
    rf"|{_TIME}",
    re.IGNORECASE,
)
# Where a masthead line splits into parts: 'By Ana Ruiz | Reuters | March 4, 2024'; also
# 'Posted on March 4, 2024 by Ana Ruiz'.
_MASTHEAD_PARTS = re.compile(
    r" ?[|•·/] ?| [—–-] |(?<!written)(?<!words)(?<!story)(?<!text) (?=by )", re.IGNORECASE
)
_CAPITAL = "A-ZÀ-ÖØ-ÞĀ-Ž"
# The dateline that opens a wire or release lede: 'LONDON, March 4 (Reuters) - ',
# 'SAN JUAN, Puerto Rico (AP) — ', 'BOSTON, March 4, 2024 /PRNewswire/ -- '. A city in
# capitals, then a date, an agency or both (a bare 'CITY —' is the story's own words).
_DATELINE = re.compile(
    rf"(?P<city>[{_CAPITAL}][{_CAPITAL} .'’-]{{1,40}}(?:, [{_CAPITAL}][\w.'’-]{{1,20}}"
    rf"(?: [{_CAPITAL}][\w.'’-]{{1,20}})?){{0,2}})"
    rf"(?:(?:,| -) (?:(?P<date>(?i:(?:{_WEEKDAY} )?(?:{MONTHS} {_DAY}|{_DAY} {MONTHS}))"
    r"(?:,? \d{4})?)|[^()/\n]{1,30}?(?= ?[(/])))?"
    r" ?(?P<agency>\([\w .&’'-]{2,40}\)|/[\w .&’'-]{2,40}/)?"
    r" ?(?:--|[-—–]) ?(?=\S)",
)


@dataclass(frozen=True, slots=True)
class Masthead:
    """What a plain-text story's masthead says, its body without it, and what was cut."""

    metadata: Metadata
    blocks: Blocks
    removed: tuple[Removed, ...]


def read_masthead(blocks: Blocks) -> Masthead:
    """Title, byline and date lines at the top of a plain-text story, moved into metadata."""
    cut: list[Removed] = []
    above, rest = _take_masthead(blocks)
    title: Block | None = None
    if len(rest) > 1 and title_like(rest[0].text) and _opens_masthead(rest[1].text):
        title, (below, rest) = rest[0], _take_masthead(rest[1:])
        cut.append(Removed("title", title.text))
        above = (*above, *below)
    authors = next((names for names, _, _ in above if names), ())
    published = next((date for _, date, _ in above if date), None)
    cut.extend(Removed(_line_kind(names, date), line) for names, date, line in above)
    body = list(rest)
    if body:
        lede, dateline, stated = strip_dateline(body[0].text)
        if dateline:
            body[0] = Block(body[0].kind, lede)
            cut.append(Removed("dateline", dateline))
            published = published or stated
    metadata = Metadata(title=title.text if title else None, authors=authors, published=published)
    return Masthead(metadata, tuple(body), tuple(cut))


MastheadLine = tuple[tuple[str, ...], str | None, str]


def _take_masthead(blocks: Blocks) -> tuple[tuple[MastheadLine, ...], Blocks]:
    """The masthead lines that open blocks, each (authors, date, line), and the blocks after."""
    taken: list[MastheadLine] = []
    for block in blocks[:MASTHEAD_LINES]:
        fields = masthead_fields(block.text)
        if fields is None:
            break
        taken.append((*fields, block.text))
    return tuple(taken), blocks[len(taken) :]


def _opens_masthead(line: str) -> bool:
    """A byline, a date line or a dateline: what follows a plain-text story's title."""
    return masthead_fields(line) is not None or bool(strip_dateline(line)[1])


def _line_kind(names: tuple[str, ...], date: str | None) -> str:
    return "byline" if names else "dateline" if date else "masthead"


def title_like(line: str) -> bool:
    """A headline: one line of a few words that does not end like a sentence."""
    short = len(line) <= _TITLE_MAX_CHARS and len(line.split()) <= _TITLE_MAX_WORDS
    return short and not line.endswith(_TITLE_ENDS) and line[:1].isupper()


def masthead_fields(line: str) -> tuple[tuple[str, ...], str | None] | None:
    """(authors, ISO date) a masthead line states, or None for a line of the story itself.

    'By Ana Ruiz | March 4, 2024' -> (('Ana Ruiz',), '2024-03-04'); 'It rained.' -> None.
    """
    names: tuple[str, ...] = ()
    date: str | None = None
    if len(line) > _TITLE_MAX_CHARS:
        return None
    for part in (p.strip(" ,") for p in _MASTHEAD_PARTS.split(line.strip())):
        if not part:
            continue
        if found := byline_names(part):
            names = names or found
        elif stated := date_of(part):
            date = date or stated
        elif not (_MASTHEAD_NOISE.fullmatch(part) or (names and _outlet(part))):
            return None
    return names, date


def _outlet(part: str) -> bool:
    """A paper or site named after a byline: 'The Daily Planet'."""
    words = part.split()
    return len(words) <= _OUTLET_MAX_WORDS and all(w[:1].isupper() for w in words)


def date_of(text: str) -> str | None:
    """ISO date of text that is nothing but a date: 'Thursday, May 16, 2024' -> '2024-05-16'."""
    words = _DATE_WORDS.match(text)
    match = _DATE.fullmatch(text, words.end() if words else 0)
    return _iso(match.group("date")) if match else None


def _iso(stated: str) -> str | None:
    """'March 4th, 2024' -> '2024-03-04'; None when no calendar has that day."""
    plain = _ORDINAL_OR_SEPT.sub(lambda m: "sep" if m[0].casefold() == "sept" else "", stated)
    plain = plain.replace(",", "").replace(".", "")
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(plain, pattern).date().isoformat()
        except ValueError:
            continue
    return None


def strip_dateline(lede: str) -> tuple[str, str, str | None]:
    """(lede, dateline, ISO date) of a lede opening with a wire dateline; else (lede, '', None).

    'LONDON, March 4 (Reuters) - Rates rose.' -> ('Rates rose.', 'LONDON, March 4 (Reuters) -',
    None): the date a dateline gives has no year unless it states one.
    """
    match = _DATELINE.match(lede)
    if match is None or not (match.group("date") or match.group("agency")):
        return lede, "", None
    stated = match.group("date")
    has_year = stated is not None and re.search(r"\d{4}$", stated) is not None
    return lede[match.end() :], match.group().strip(), _iso(stated) if has_year else None
