"""The model in a long-lived process: loaded once, afresh when its tables bloat or it broke."""

import gc
import random
import string
import weakref
from collections.abc import Sequence

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from workers import nlp as nlp_module
from workers import pipeline as pipeline_module
from workers.model import RawDocument, Segmented, Source, Span
from workers.nlp import (
    analyse,
    blank_model,
    load_model,
    model_for,
    resolve_models,
    table_cells,
)
from workers.pipeline import enrich_all
from workers.segment import Layout, segment_all
from workers.sentences import sentence_spans
from workers.settings import get_settings

TEXT = "Angela Merkel met Emmanuel Macron in Paris. Zorblatt Quixvane said nothing."
# Enough English around the new words for the pipeline to tell the language (and pick the
# English model): random letters alone are no language.
NEWS = (
    "The two leaders spoke for an hour about trade, energy prices and the war, and agreed "
    "to meet again before the summer. Their ministers will draft a joint plan in the coming weeks."
)


def _name() -> str:
    return resolve_models(get_settings().spacy_models)["en"]


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


def test_nlp_spacy_leaves_a_memory_zone_that_raised_open() -> None:
    # The premise of retiring an interrupted model: spaCy 3.8.7 skips a zone's clean-up
    # when the block raises (3.8.8 added the try/finally), so the vocabulary goes on
    # allocating from the zone's pool. The next zone drops that pool while the words of
    # this one still point into it. If spaCy stops doing this, this test fails.
    nlp = spacy.blank("en")
    with nlp.memory_zone():
        nlp(TEXT)
    assert not nlp.vocab.in_memory_zone  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError), nlp.memory_zone():
        nlp(TEXT + " " + _new_words(5, seed=3))
        raise RuntimeError("a time limit, say")
    assert nlp.vocab.in_memory_zone  # type: ignore[attr-defined]


def test_nlp_model_interrupted_inside_its_zone_is_not_handed_out_again() -> None:
    nlp = load_model(_name())
    found = analyse(nlp, [TEXT, TEXT + " " + _new_words(20, seed=5)])
    next(found)
    found.close()  # type: ignore[attr-defined]  # the caller gives up halfway, inside the zone, as a time limit makes it
    fresh = load_model(_name())
    assert fresh is not nlp
    (analysis,) = analyse(fresh, [TEXT + " " + _new_words(20, seed=6)])
    assert any(TEXT[s:e] == "Paris" for s, e, _ in analysis.entities)
    assert load_model(_name()) is fresh


def test_nlp_batch_interrupted_in_the_model_goes_on_per_document_with_a_fresh_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failed: list[int] = []
    real = sentence_spans

    def fails_once(doc: Doc) -> tuple[Span, ...]:
        if not failed:
            failed.append(len(doc))
            raise RuntimeError("interrupted inside the memory zone")
        return real(doc)

    monkeypatch.setattr(nlp_module, "sentence_spans", fails_once)
    models: list[Language] = []

    def recording(layouts: Sequence[Layout], nlp: Language) -> list[Segmented]:
        models.append(nlp)
        return segment_all(layouts, nlp)

    monkeypatch.setattr(pipeline_module, "segment_all", recording)
    raws = [
        RawDocument(Source(f"{n}.txt"), f"{TEXT} {NEWS} {_new_words(30, seed=n)}".encode())
        for n in (7, 8)
    ]
    results = enrich_all(raws, get_settings())
    assert failed
    # The batch failed inside the zone; each document then went on alone, on a model
    # loaded afresh, and came out whole.
    assert [type(result) for result in results] == [dict, dict]
    assert len(models) == 3 and models[1] is not models[0] and models[2] is models[1]
    assert all(result["entities"] for result in results if isinstance(result, dict))


def test_nlp_each_language_has_its_model_loaded_once_and_retired_alone() -> None:
    models = resolve_models(get_settings().spacy_models)
    english, french = load_model(models["en"]), load_model(models["fr"])
    assert english is not french
    assert model_for("en", models) is english and model_for("fr", models) is french
    # A language with no package gets a blank tokenizer, kept like a model.
    assert model_for("de", models) is model_for("de", models)
    assert not model_for("de", models).pipe_names
    found = analyse(french, ["Emmanuel Macron est à Paris.", _new_words(5, seed=9)])
    next(found)
    found.close()  # type: ignore[attr-defined]  # interrupted inside the French model's zone
    assert load_model(models["fr"]) is not french
    assert load_model(models["en"]) is english


def test_nlp_blank_tokenizer_is_kept_until_its_table_outgrows_a_models() -> None:
    blank = blank_model("de")
    small = table_cells(blank)
    assert small is not None and small < nlp_module.MIN_TABLE_CELLS
    list(analyse(blank, [_new_words(5_000, seed=11)]))
    grown = table_cells(blank)
    assert grown is not None and grown >= 2 * small  # doubled, yet far from a model's size
    assert blank_model("de") is blank
