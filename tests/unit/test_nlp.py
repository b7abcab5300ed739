"""The model in a long-lived process: loaded once, and loaded afresh when spaCy's tables bloat."""

import gc
import random
import string
import weakref

import pytest
from spacy.language import Language

from workers import nlp as nlp_module
from workers.nlp import analyse, load_model, resolve_model_name, table_cells
from workers.settings import get_settings

TEXT = "Angela Merkel met Emmanuel Macron in Paris. Zorblatt Quixvane said nothing."


def _name() -> str:
    return resolve_model_name(get_settings().spacy_model)


def _new_words(count: int, seed: int) -> str:
    rng = random.Random(seed)
    letters = string.ascii_lowercase
    return " ".join("".join(rng.choices(letters, k=rng.randint(6, 10))) for _ in range(count))


def _letters(number: int) -> str:
    """A word of its own for each number: zq + the number in base 26, as letters."""
    digits = []
    while True:
        number, digit = divmod(number, 26)
        digits.append(string.ascii_lowercase[digit])
        if not number:
            return "zq" + "".join(digits)


def test_nlp_model_is_loaded_once_and_its_vocabulary_stays_put() -> None:
    nlp = load_model(_name())
    strings = len(nlp.vocab.strings)
    (analysis,) = analyse(nlp, [TEXT + " " + _new_words(200, seed=1)])
    assert any(TEXT[s:e] == "Paris" for s, e, _ in analysis.entities)
    assert len(nlp.vocab.strings) == strings
    assert load_model(_name()) is nlp


def test_nlp_string_table_grows_with_new_words_even_inside_memory_zones() -> None:
    # The premise of the reload: spaCy 3.8's zones free each new word but leave a tombstone
    # in the string table, which doubles to get past them. If spaCy stops doing this, this
    # test fails and the reload can go.
    nlp: Language = load_model(_name())
    before = table_cells(nlp)
    assert before is not None
    words = 0
    while (table_cells(nlp) or 0) < 2 * before and words < 2_000_000:
        with nlp.memory_zone():
            nlp.tokenizer(" ".join(_letters(n) for n in range(words, words + 20_000)))
        words += 20_000
    after = table_cells(nlp)
    assert after is not None and after >= 2 * before
    assert words >= 20_000  # each word is gone from the vocabulary, but not from the table
    # Which is when the next batch gets a model loaded afresh, with tables as shipped.
    nlp_module._renew_if_outgrown(nlp)
    fresh = load_model(_name())
    assert fresh is not nlp
    assert table_cells(fresh) == before


def test_nlp_model_that_outgrew_its_tables_still_finishes_its_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nlp = load_model(_name())
    monkeypatch.setattr(nlp_module, "MAX_TABLE_GROWTH", 1)  # any size counts as outgrown
    results = list(analyse(nlp, [TEXT, TEXT]))
    assert results[0] == results[1] and results[0].entities
    fresh = load_model(_name())
    assert fresh is not nlp
    # Once its last batch lets go of it, nothing else holds the old model.
    old = weakref.ref(nlp)
    del nlp
    gc.collect()
    assert old() is None
    # Both give the same analysis: a reload changes memory, not output.
    monkeypatch.setattr(nlp_module, "MAX_TABLE_GROWTH", 2)
    assert list(analyse(fresh, [TEXT])) == results[:1]
