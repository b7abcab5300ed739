"""Tag stage: fold raw NER mentions into one entry per real-world entity."""

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from spacy.lang.en.stop_words import STOP_WORDS

from workers.model import Entity, Mention, Segmented, Tagged
from workers.segment import PARAGRAPH_BREAK

_LEADING = re.compile(r"^(?:the|The|THE)\s+")
_TRAILING = re.compile(r"(?:['’]s|['’])$")
_EDGE_PUNCT = "\"“”'‘’()[]{}<>,;:!?-–— \n\t"
_ACRONYM = re.compile(r"^[A-Z](?:\.?[A-Z&]){1,8}\.?$")
_HYPHEN = re.compile(r"[-–]")
_WORD = re.compile(r"\w+")
# Small words that an acronym skips: "ICC" for "International Criminal Court of Justice".
_FUNCTION_WORDS = frozenset({"of", "the", "for", "and", "on", "in", "de", "du", "la", "&", "to"})
# Labels of names worth finding again where NER missed them; dates and the like are not.
_PROPER_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "NORP", "FAC", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"}
)
# Labels a surname can be mis-tagged as and still be folded into a PERSON's full name.
_SURNAME_MISLABELS = frozenset({"PERSON", "ORG", "PRODUCT", "WORK_OF_ART", "FAC", "NORP"})


@dataclass(slots=True)
class _Group:
    """Mentions of one surface form (case-folded), and what folded into it."""

    key: str
    mentions: list[Mention] = field(default_factory=list)
    parent: "_Group | None" = None

    @property
    def tokens(self) -> list[str]:
        return self.key.split()

    def labels(self) -> Counter[str]:
        return Counter(m.label for m in self.mentions)

    def vote(self) -> str:
        return self.labels().most_common(1)[0][0]

    def root(self) -> "_Group":
        group = self
        while group.parent is not None:
            group = group.parent
        return group


def tag(segmented: Segmented, labels: Iterable[str]) -> Tagged:
    """Normalise, filter, split and fold mentions, then build entities most-mentioned first."""
    allowed = frozenset(labels)
    text = segmented.text
    speakers = _speaker_labels(segmented)
    mentions = [
        trimmed
        for mention in segmented.mentions
        if mention.label in allowed
        and (trimmed := trim(mention, text)) is not None
        and _within_a_body(trimmed, speakers)
    ]
    mentions = _split_compounds(mentions, text)
    groups: dict[str, _Group] = {}
    for mention in mentions:
        key = mention.text.casefold()
        groups.setdefault(key, _Group(key)).mentions.append(mention)
    _fold_acronyms(groups)
    _fold_person_parts(groups)
    families = _families(groups.values())
    _find_missed(families, text, speakers)
    return Tagged(segmented=segmented, entities=_entities(families))


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
    return Mention(start, end, text[start:end], mention.label)


def _within_a_body(mention: Mention, speakers: Sequence[tuple[int, int]]) -> bool:
    """False for a name in a speaker label ("Scobell:"), or one that runs across paragraphs."""
    if PARAGRAPH_BREAK in mention.text:
        return False
    return not any(start < mention.end and mention.start < end for start, end in speakers)


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


def _initials(tokens: Sequence[str]) -> str:
    return "".join(t[0] for t in tokens if t not in _FUNCTION_WORDS and t[:1].isalpha())


def _fold_acronyms(groups: dict[str, _Group]) -> None:
    """Fold 'ICC' into 'International Criminal Court' when exactly one name fits."""
    long_names = [g for g in groups.values() if len(g.tokens) > 1]
    for group in groups.values():
        surface = group.mentions[0].text
        if not _ACRONYM.match(surface):
            continue
        letters = surface.replace(".", "").replace("&", "").casefold()
        fits = [g for g in long_names if _initials(g.tokens) == letters]
        if len(fits) == 1:
            group.parent = fits[0]


def _fold_person_parts(groups: dict[str, _Group]) -> None:
    """Fold 'Putin' into 'Vladimir Putin' and 'Xi' into 'Xi Jinping' when unambiguous."""
    people = [g for g in groups.values() if len(g.tokens) > 1 and g.vote() == "PERSON"]
    for group in groups.values():
        if group.parent is not None or len(group.tokens) != 1:
            continue
        word = group.key
        person_like = "PERSON" in group.labels()
        fits = [
            p
            for p in people
            if (p.tokens[-1] == word and set(group.labels()) <= _SURNAME_MISLABELS)
            or (word in p.tokens and person_like)
        ]
        roots = {id(p.root()): p.root() for p in fits}
        if len(roots) == 1:
            group.parent = next(iter(roots.values()))


def _families(groups: Iterable[_Group]) -> list[list[Mention]]:
    """The mentions of each folded entity, in text order."""
    by_root: dict[int, list[Mention]] = {}
    for group in groups:
        by_root.setdefault(id(group.root()), []).extend(group.mentions)
    return [sorted(mentions, key=lambda m: m.start) for mentions in by_root.values()]


def _speaker_labels(segmented: Segmented) -> list[tuple[int, int]]:
    return [
        (p.start, p.body_start)
        for section in segmented.sections
        for p in section.paragraphs
        if p.body_start > p.start
    ]


def _find_missed(
    families: list[list[Mention]], text: str, excluded: Iterable[tuple[int, int]]
) -> None:
    """Add the mentions NER missed of names it found elsewhere in the same text.

    Once "Danielle Okafor" is a PERSON, a later "Okafor said" is her too. Only
    capitalised names of proper-noun labels are sought, a surname only when one
    person has it, and never inside a longer capitalised name ("West Oakland").
    """
    owners: dict[str, set[int]] = {}
    labels = []
    for index, mentions in enumerate(families):
        label = Counter(m.label for m in mentions).most_common(1)[0][0]
        labels.append(label)
        if label not in _PROPER_LABELS:
            continue
        names = {m.text for m in mentions if m.text[:1].isupper()}
        longest = max(mentions, key=lambda m: len(m.text.split())).text.split()
        if label == "PERSON" and len(longest) > 1 and longest[-1][:1].isupper():
            names.add(longest[-1])
        for name in names:
            owners.setdefault(name, set()).add(index)
    sought = sorted((n for n, o in owners.items() if len(o) == 1), key=len, reverse=True)
    if not sought:
        return
    covered = bytearray(len(text))
    for start, end in [*excluded, *((m.start, m.end) for ms in families for m in ms)]:
        covered[start:end] = b"\x01" * (end - start)
    for start, end, name in _whole_names(text, sought):
        if any(covered[start:end]) or _inside_longer_name(text, start, end):
            continue
        index = next(iter(owners[name]))
        families[index].append(Mention(start, end, name, labels[index]))
        covered[start:end] = b"\x01" * (end - start)
    for mentions in families:
        mentions.sort(key=lambda m: m.start)


def _whole_names(text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    """Where names stand as whole words: leftmost first, the longest where two start
    together, none inside another found before it.

    What one regex alternation of the names would find, without a new compiled pattern
    per document: re caches the last 512, which a long-lived worker carried as memory.

    >>> _whole_names("Lee Ann met Ann-Marie and Ann.", ["Lee Ann", "Ann"])
    [(0, 7, 'Lee Ann'), (26, 29, 'Ann')]
    """
    # Each name is looked for only where a word equal to its first word stands: one pass
    # over the text, not one per name (which grew with names x text on a long list).
    wanted = set(names)
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


def _entities(families: Iterable[list[Mention]]) -> tuple[Entity, ...]:
    built = []
    for mentions in families:
        surfaces = Counter(m.text for m in mentions)
        canonical = max(surfaces, key=lambda s: (len(s.split()), len(s), surfaces[s]))
        votes = Counter(m.label for m in mentions)
        top = max(votes.values())
        canonical_labels = Counter(m.label for m in mentions if m.text == canonical)
        label = max(
            (lab for lab, n in votes.items() if n == top),
            key=lambda lab: (canonical_labels[lab], lab),
        )
        aliases = tuple(s for s, _ in surfaces.most_common() if s != canonical)
        built.append((canonical, label, aliases, tuple(mentions)))
    built.sort(key=lambda e: (-len(e[3]), e[3][0].start))
    return tuple(
        Entity(id=f"e{i}", text=canonical, label=label, aliases=aliases, mentions=mentions)
        for i, (canonical, label, aliases, mentions) in enumerate(built, start=1)
    )
