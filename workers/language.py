"""Language stage: which language a cleaned document is written in, from its own text.

py3langid (a langid.py model of 140 languages, shipped in the package) reads a bounded
sample of the body, so a long document costs no more than a short one. A page's declared
language stands while the text agrees with it, since the declaration also tells close
languages apart (hr, bs and sr; no and da) where a sample may not; a declaration the text
contradicts is replaced by what the text says, and a text too short or too mixed to tell
gets no language at all.
"""

from dataclasses import dataclass, replace
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from workers.model import Cleaned, LanguageSource

# Identification reads this many characters of the body, so its cost stays flat for a long
# document: py3langid walks the sample byte by byte in Python, about 1 ms for 400
# characters, and docflow's whole pipeline takes some 50 ms an article.
SAMPLE_CHARS = 400
# Fewer letters than this tell no language apart reliably: the answer is none.
MIN_LETTERS = 20
# How sure the model must be of a language the page did not declare (or declared otherwise);
# below it the text is taken as too mixed to tell.
MIN_PROBABILITY = 0.5
# A declared language the model gives at least this probability is one the text agrees with.
AGREES = 0.05
# The model's few codes with no ISO 639-1 code of their own but a macrolanguage that has
# one. Its other such codes are left out of the ranking, since docflow could not write
# them (Nigerian Pidgin, which took a tenth of the probability of English pages), but
# zxx, no language at all, is kept so that a page of names and numbers has no language.
_MACRO = {"yue": "zh", "wuu": "zh", "arz": "ar", "ary": "ar", "uzs": "uz"}
_NO_LANGUAGE = "zxx"


@dataclass(frozen=True, slots=True)
class Identified:
    """A document's language (ISO 639-1) and where it came from; both None when unknown."""

    language: str | None
    source: LanguageSource | None


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    """The model, loaded once per process (about 0.5 s), ranking only what docflow writes."""
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(
        [code for code in identifier.labels if len(code) == 2 or code in _MACRO] + [_NO_LANGUAGE]
    )
    return identifier


def load_identifier() -> None:
    """Load the model ahead of any document, so no document's time limit pays for it."""
    _identifier()


def declared_code(declared: str | None) -> str | None:
    """The declared language if it is an ISO 639-1 code (extraction already cut 'en-GB').

    >>> [declared_code(d) for d in ("en", "FR", "eng", "", None)]
    ['en', 'fr', None, None, None]
    """
    code = (declared or "").lower()
    return code if len(code) == 2 and code.isalpha() else None


def sample(cleaned: Cleaned) -> str:
    """The longest blocks of the body, up to SAMPLE_CHARS characters: the prose, where a
    page's first blocks may be menus, names and dates."""
    parts, size = [], 0
    for block in sorted(cleaned.blocks, key=lambda b: len(b.text), reverse=True):
        parts.append(block.text[: SAMPLE_CHARS - size])
        size += len(parts[-1])
        if size >= SAMPLE_CHARS:
            break
    return "\n".join(parts)


def identify_text(text: str, declared: str | None) -> Identified:
    """The declared language if the text agrees, else the detected one, else none."""
    stated = declared_code(declared)
    if sum(char.isalpha() for char in text) < MIN_LETTERS:
        return Identified(stated, "declared" if stated else None)
    ranked = _identifier().rank(text)
    probability = dict(ranked)
    if stated and probability.get(stated, 0.0) >= AGREES:
        return Identified(stated, "declared")
    best, certainty = ranked[0]
    code = best if len(best) == 2 else _MACRO.get(best)
    if code and certainty >= MIN_PROBABILITY:
        return Identified(code, "detected")
    return Identified(None, None)


def identify(cleaned: Cleaned) -> Cleaned:
    """The cleaned document with its metadata's language and language_source set."""
    meta = cleaned.metadata
    found = identify_text(sample(cleaned), meta.language)
    metadata = replace(meta, language=found.language, language_source=found.source)
    return replace(cleaned, metadata=metadata)
