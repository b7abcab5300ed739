"""Residue cleaners for article text, run in order on plain text and on extracted HTML."""

import re
from collections.abc import Callable
from itertools import takewhile

from workers.model import Block, Removed

Blocks = tuple[Block, ...]
Cut = tuple[Removed, ...]
Filter = Callable[[Blocks], tuple[Blocks, Cut]]

_SPACES = re.compile(r"\s+")
# A month's name or abbreviation as dates are written: 'Jan', 'Sept.', 'November'.
MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_WORDS = re.compile(r"\w+")

# A line that announces teasers for other pages: everything from it to the end is not article.
_RELATED_HEADING = re.compile(
    r"((related|more|other|recommended|popular|latest|top|trending|similar)"
    r"( \w+){0,2} (publications|articles|stories|posts|news|reading|content|coverage|links|videos)"
    r"|related|see also|further reading|read (more|next)|(what to )?read next|up next|next up"
    r"|keep reading|more (from|on|in|about) .{1,60}"
    r"|you (may|might) (also )?(like|enjoy|be interested in)|recommended( for you)?"
    r"|most (popular|read|viewed|shared)( .{1,40})?|trending( now)?|view all( \w+){0,3}"
    r"|around the web)\W*",
    re.IGNORECASE,
)
_TEASER_MAX_WORDS = 15
# Lines that are page residue: the kind each is recorded as, the whole-line pattern, the
# most words such a line has (captions and prompts are short; prose that merely mentions a
# photo or a newsletter runs longer), and words one of which a match must contain, if any:
# a case-blind '.*(...).*' pattern tries every position of every line, a word test does not.
_ANY_LENGTH = 10_000
_RESIDUE_LINES = tuple(
    (
        kind,
        re.compile(pattern, re.IGNORECASE),
        max_words,
        # The cue words as one alternation: one scan of the line, not one per word.
        re.compile("|".join(map(re.escape, cues))) if cues else None,
    )
    for kind, pattern, max_words, cues in (
        ("related", _RELATED_HEADING.pattern, _ANY_LENGTH, ()),
        # A pointer to another page inside the body: "RELATED: Some other headline".
        (
            "related",
            r"(related|read more|read next|read also|see more|see also|also read|more|recommended"
            r"|watch|up next)"
            r"\s?:\s*\S.{0,150}",
            _ANY_LENGTH,
            (),
        ),
        (
            "boilerplate",
            r"advertisement(\W+(story continues below|scroll to continue|continue reading below))?"
            r"|sponsored( content)?|share (this|on|via)\b.{0,40}|tweet|print|email|share"
            r"|(\d+ |no |leave a |add a )?comments?( are closed\.?)?|tell us what you think\W*"
            r"|(last )?updated:?( at| on)? [\w ,.]{0,30}\d[\w ,:.]{0,30}"
            r"|skip to (main )?content|back to top"
            # A press release's end mark and its wire's source line: "###", "SOURCE Acme Inc."
            r"|#{3,}|-30-|-? ?ends? ?-|(?-i:SOURCE) (?-i:[A-Z]).{0,80}"
            r"|(filed|posted) (under|in)\s?:.{0,100}|tags?\s?:.{0,100}|sources?\s?:\s.{0,80}"
            # WordPress shortcodes a theme failed to render: "[button ...]Send[/button]".
            # The first tag is found once and kept (atomic): any closing tag after a later
            # one is after it too, and retrying each '[' took time quadratic in the line.
            r"|(?>.*?\[/?\w+( [^\[\]]*)?\]).*\[/\w+\].*",
            _ANY_LENGTH,
            (),
        ),
        # "© 2024 Meridian Media. All rights reserved." and the wires' reuse notices.
        (
            "copyright",
            r"(copyright|©|\(c\) ?\d{4}).{0,300}|all rights reserved\.?"
            r"|.{0,120}\b(all rights reserved|may not be (re)?published|without (prior )?"
            r"(written )?permission|reproduction (is )?(strictly )?prohibited)\b.{0,200}",
            60,
            ("copyright", "©", "(c)", "rights reserved", "may not be", "permission", "prohibit"),
        ),
        # How the outlet works, not the story: "Our Standards: The Thomson Reuters Trust
        # Principles.", "Find AP's standards for working with philanthropies at AP.org."
        (
            "standards",
            r"our (editorial )?(standards|principles|guidelines)\b.{0,200}"
            r"|.{0,200}\b(trust principles|solely responsible for all content)\b.{0,200}"
            r"|(read|learn|find|see)( out)?( more)?( about)? (our|\w+['’]s) (editorial )?"
            r"(standards|principles|guidelines|ethics|policies|policy)\b.{0,200}"
            r"|this (article|story|report) (has been|was) (reviewed|fact-checked|edited)"
            r" (according to|in accordance with|under|against) .{0,200}",
            50,
            (
                "standard",
                "principles",
                "responsible for all content",
                "guidelines",
                "ethics",
                "polic",
                "reviewed",
                "fact-checked",
            ),
        ),
        # Where a story came from: "This article was originally published by Grist.",
        # "Contributing: Ana Ruiz, USA TODAY", "Li Wei contributed reporting."
        (
            "credit",
            r"(this|the) (article|story|post|piece|report|interview) (was|is|has been|first)"
            r" .{0,60}\b(published|produced|reprinted|republished|appeared|reported)\b.{0,200}"
            r"|(republished|reprinted|reproduced) (with|by) (kind )?permission\b.{0,200}"
            r"|contributing\s?:\s?.{1,150}"
            r"|.{1,100}\bcontributed (reporting|to (this|the) (report|story|article))"
            r"( (from|in) [^.]{1,60})?\.?",
            50,
            ("publish", "produced", "reprinted", "appeared", "reported", "permission", "contribut"),
        ),
        (
            "disclaimer",
            r".{0,100}\b(views|opinions) expressed\b.{0,80}\b(are|do not|don't|does not)\b.{0,200}",
            60,
            ("expressed",),
        ),
        (
            "caption",
            r".*(©|\bphotos? by\b|\bphotograph(er)?:|\bgetty images\b|\(photo\b"
            r"|\b(image|photo) credit\b|\bphotos?:).*",
            40,
            ("©", "photo", "getty images", "image credit"),
        ),
        # Calls to act on a newsletter, or the bare name of one: "Pick Six Newsletter".
        (
            "prompt",
            r"(?=.*\b(newsletters?|inbox|letterbox)\b)"
            r"(?=.*\b(sign(ing|ed)? up|subscrib\w*|get|join|deliver\w*|receive)\b).*"
            r"|[\w'’ ]{0,40}\bnewsletters?\W*",
            60,
            ("newsletter", "inbox", "letterbox"),
        ),
        # Credits for reporting and editing: "(Reporting by Li Wei; Editing by Ana Ruiz)".
        (
            "credit",
            r"\(?(additional |further )?(reporting|writing|editing|edited|compiled|research"
            r"|translated|translation)( and \w+)? by (?-i:[A-Z])[^.!?()]{0,200}\.?\)?\.?",
            40,
            (),
        ),
        (
            "prompt",
            r".*(\bfollow (us|him|her|them|\w+) on (twitter|facebook|instagram|linkedin|youtube)"
            r"|\bhave a (news )?tip\b|\bif you (enjoyed|liked|value|appreciate) (this|our)\b"
            r"|\bfollow (\w+'s )?(full |complete |live |our )?coverage\b).*",
            60,
            ("follow", "tip", "if you"),
        ),
    )
)
# A byline line: a 'by', then names (checked one by one in byline_names), then perhaps a
# separator and a wire's name or a date.
_BYLINE = re.compile(
    r"(?:by|written by|words by|story by|text by|authors?\s?:|written by\s?:)\s+"
    r"(?P<names>[^|•·—–\d@]{3,160}?)( ?[|•·—–] ?.{0,80}| - .{0,80})?",
    re.IGNORECASE,
)

# Byline elements in page markup: a 'by' to strip, then names until a date, a handle, a
# separator or a verb; names apart at commas and 'and'.
_BY_PREFIX = re.compile(r"^\W*(?:(?:posted|written|words|story|text|reporting)\s+)?by\b\W*", re.I)
_NAMES_END = re.compile(
    r"\d|@|[|•·—–(]| - |\b(?:published|updated|posted|on|says|said)\b"
    rf"|\b{MONTHS} \d",
    re.I,
)
_NAME_SEPARATORS = re.compile(r",|;| and | & | und | et | y | e ")
_NAME_MAX_WORDS = 4
_NAME_WORD = re.compile(r"[^\W\d_]([^\W\d_]|[.'’-])*")
# Lowercase words inside a name, and lowercase prefixes of a surname: 'al-Amin', "d'Arcy".
_NAME_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "da", "di", "del", "la", "le", "bin", "al", "ibn"}
    | {"bint", "du", "des", "dos", "das", "do", "ter", "ten", "zu", "af", "av", "y"}
)
_PARTICLE_PREFIX = re.compile(r"(?:al|el|ad|as|ash|at|az|ibn|bin|d|l)['’-](?=\w)", re.IGNORECASE)
# Words that make a byline's part a wire, paper or desk rather than a person.
_OUTLET_WORDS = frozenset(
    {"press", "news", "agency", "times", "post", "service", "wire", "media", "daily", "journal"}
    | {"tribune", "herald", "gazette", "network", "radio", "bureau", "today", "reuters", "afp"}
    | {"bloomberg", "xinhua", "institute", "foundation", "center", "centre", "the", "of"}
)
_ROLES = frozenset(
    {"staff", "writer", "reporter", "editor", "correspondent", "contributor", "columnist"}
    | {"journalist", "producer", "photographer", "intern", "team", "desk", "editorial"}
)


def squash(text: str) -> str:
    """Fold case and whitespace so repeats compare equal: ' A  b ' -> 'a b'."""
    return _SPACES.sub(" ", text).strip().casefold()


def drop_related_tail(blocks: Blocks) -> tuple[Blocks, Cut]:
    """[body, 'Related Articles', teaser, 'View All'] -> [body], the rest removed as related."""
    size = sum(len(b.text) for b in blocks)
    seen = 0
    for index, block in enumerate(blocks):
        # Cut only where more article precedes the marker than follows it and what follows
        # reads like teasers, so a section headed "More on the study" keeps its prose.
        if (
            index
            and _RELATED_HEADING.fullmatch(block.text)
            and seen >= size - seen
            and _mostly_short(blocks[index + 1 :])
        ):
            return blocks[:index], tuple(Removed("related", b.text) for b in blocks[index:])
        seen += len(block.text)
    return blocks, ()


def _mostly_short(blocks: Blocks) -> bool:
    """At least half the blocks are title-length: teaser lists are headlines, dates, labels."""
    short = sum(len(_WORDS.findall(b.text)) <= _TEASER_MAX_WORDS for b in blocks)
    return 2 * short >= len(blocks)


def drop_trailing_headings(blocks: Blocks) -> tuple[Blocks, Cut]:
    """[text, 'Other story', 'Next story'] -> [text]: a heading over nothing is a teaser."""
    end = len(blocks)
    while end > 1 and blocks[end - 1].kind == "heading":
        end -= 1
    return blocks[:end], tuple(Removed("related", b.text) for b in blocks[end:])


def drop_lead_heading(blocks: Blocks) -> tuple[Blocks, Cut]:
    """['Headline', text] -> [text]: a page's opening heading is its title or standfirst."""
    if len(blocks) > 1 and blocks[0].kind == "heading" and blocks[1].kind == "paragraph":
        return blocks[1:], (Removed("title", blocks[0].text),)
    return blocks, ()


def _drop_where(blocks: Blocks, verdict: Callable[[Block], str | None]) -> tuple[Blocks, Cut]:
    """Split blocks by a per-block verdict: None keeps a block, a kind removes it."""
    kept: list[Block] = []
    cut: list[Removed] = []
    for block in blocks:
        kind = verdict(block)
        if kind is None:
            kept.append(block)
        else:
            cut.append(Removed(kind, block.text))
    return tuple(kept), tuple(cut)


def drop_repeats(blocks: Blocks) -> tuple[Blocks, Cut]:
    """[caption, caption, text] -> [caption, text], the second copy removed as duplicate."""
    # Only a copy straight after its original: lists and tables repeat lines on purpose.
    previous = ""

    def verdict(block: Block) -> str | None:
        nonlocal previous
        key = squash(block.text)
        repeat, previous = key == previous, key
        return "duplicate" if repeat else None

    return _drop_where(blocks, verdict)


def residue_kind(text: str) -> str | None:
    """Which kind of page residue a line is: 'Advertisement' -> 'boilerplate'; prose -> None."""
    words = len(_WORDS.findall(text))
    folded = text.casefold()
    for kind, pattern, max_words, cues in _RESIDUE_LINES:
        if words > max_words or (cues and not cues.search(folded)):
            continue
        if pattern.fullmatch(text):
            return kind
    if byline_names(text):
        return "byline"
    return None


def drop_residue(blocks: Blocks) -> tuple[Blocks, Cut]:
    """['Advertisement', text, 'Sign up for our newsletter'] -> [text], each with its kind."""
    return _drop_where(blocks, lambda block: residue_kind(block.text))


def byline_names(text: str) -> tuple[str, ...]:
    """Names a byline line states: 'By Jane Doe and Li Wei | AP' -> ('Jane Doe', 'Li Wei').

    Every part must be a name or a wire, paper or role ('By Ana Ruiz, Associated Press'),
    and the first a name, so 'By the end of May' is prose, not a byline.
    """
    match = _BYLINE.fullmatch(text.strip())
    if match is None:
        return ()
    parts = [part.strip() for part in _NAME_SEPARATORS.split(match.group("names"))]
    names = [_person_name(part) for part in parts]
    if names[0] is None or not all(n or _affiliation(p) for n, p in zip(names, parts, strict=True)):
        return ()
    return tuple(dict.fromkeys(name for name in names if name))


def _affiliation(part: str) -> bool:
    """A wire, paper, desk or role after a byline's names: 'Associated Press', 'staff writer'."""
    words = part.split()
    return 0 < len(words) <= _NAME_MAX_WORDS and all(
        w[:1].isupper() or w.casefold() in _ROLES or w.casefold() in _OUTLET_WORDS for w in words
    )


def byline_names_in(text: str) -> tuple[str, ...]:
    """Names at the head of a byline element: 'By JANE DOE and Li Wei, AP | May 3' -> both."""
    head = _NAMES_END.split(_BY_PREFIX.sub("", text), maxsplit=1)[0]
    names = (_person_name(part) for part in _NAME_SEPARATORS.split(head))
    return tuple(dict.fromkeys(name for name in names if name))


def _person_name(part: str) -> str | None:
    """'JILL LAWLESS Associated Press' -> 'Jill Lawless'; None for 'staff' or a lone word."""
    words = part.split()
    capitals = list(takewhile(lambda word: word.isupper() and len(word) > 1, words))
    if len(capitals) >= 2:
        # An agency byline puts the names in capitals and the agency after them.
        words = [word.title() for word in capitals]
    given = [word for word in words if word.casefold() not in _NAME_PARTICLES]
    if not 2 <= len(given) <= _NAME_MAX_WORDS or words[0] is not given[0]:
        return None
    for word in given:
        core = _PARTICLE_PREFIX.sub("", word, count=1)
        folded = word.casefold()
        if not core[:1].isupper() or not _NAME_WORD.fullmatch(word):
            return None
        if folded in _ROLES or folded in _OUTLET_WORDS:
            return None
    return " ".join(words)


# Order matters: a related tail goes first, so its teasers are not judged one by one.
FILTERS: tuple[Filter, ...] = (
    drop_related_tail,
    drop_repeats,
    drop_residue,
    drop_trailing_headings,
)


def run_filters(blocks: Blocks, filters: tuple[Filter, ...] = FILTERS) -> tuple[Blocks, Cut]:
    """Apply each filter in order, collecting everything they cut."""
    cut: list[Removed] = []
    for step in filters:
        blocks, removed = step(blocks)
        cut.extend(removed)
    return blocks, tuple(cut)
