import pytest
import spacy

from workers.errors import Code, DocflowError
from workers.model import Block, Cleaned, Metadata, Source
from workers.nlp import blank_model, load_model, resolve_models
from workers.resolve import resolve
from workers.segment import lay_out, segment, segment_all
from workers.sentences import sentence_spans
from workers.settings import DEFAULT_LABELS, get_settings

_BLANK = spacy.blank("en")


def _sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentence_spans(_BLANK(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three?", ["One.", "Two!", "Three?"]),
        # Closing quotes and brackets written against the mark stay with its sentence;
        # an opening quote after a space starts the next one.
        ('He said "no." "Why?" she asked.', ['He said "no."', '"Why?" she asked.']),
        ("“It is,” he said. “Fine.”", ["“It is,” he said.", "“Fine.”"]),
        ("(See below.) Then go.", ["(See below.)", "Then go."]),
        # The tokenizer keeps abbreviations whole, so their dots end nothing.
        (
            "Mr. Lee met Dr. Sato in the U.S. on Monday.",
            ["Mr. Lee met Dr. Sato in the U.S. on Monday."],
        ),
        # A word going on in lower case continues the sentence.
        ("Add 4 oz. cooked rice. Serve.", ["Add 4 oz. cooked rice.", "Serve."]),
        ("Wait... what? Yes!!", ["Wait... what?", "Yes!!"]),
        # A line break always ends a sentence.
        ("first line\nsecond line", ["first line", "second line"]),
        ("  padded.  ", ["padded."]),
        ("", []),
        ("no final mark", ["no final mark"]),
        ("Version 3.5 shipped. It works.", ["Version 3.5 shipped.", "It works."]),
    ],
)
def test_sentences_split_on_rules(text: str, expected: list[str]) -> None:
    assert _sentences(text) == expected


def _cleaned(*blocks: tuple[str, str]) -> Cleaned:
    return Cleaned(
        "sha256:" + "0" * 64,
        Source("k"),
        Metadata(),
        tuple(Block(kind, text) for kind, text in blocks),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return load_model(resolve_models(get_settings().spacy_models)["en"])


def test_segment_sentences_stay_in_their_paragraph_after_the_speaker(
    nlp: spacy.language.Language,
) -> None:
    document = _cleaned(
        ("heading", "Talks in Geneva"),
        ("paragraph", "Andrew Scobell spoke first. He wrote a book"),
        ("paragraph", "Scobell: Xi Jinping met Vladimir Putin. They talked."),
        ("paragraph", "Scobell: Putin left Moscow on Monday."),
    )
    segmented = segment(document, nlp, 10_000)
    text = segmented.text
    paragraphs = [p for section in segmented.sections for p in section.paragraphs]
    assert [p.speaker for p in paragraphs] == [None, "Scobell", "Scobell"]
    assert [[text[s.start : s.end] for s in p.sentences] for p in paragraphs] == [
        ["Andrew Scobell spoke first.", "He wrote a book"],
        ["Xi Jinping met Vladimir Putin.", "They talked."],
        ["Putin left Moscow on Monday."],
    ]
    for paragraph in paragraphs:
        assert all(
            paragraph.body_start <= s.start < s.end <= paragraph.end for s in paragraph.sentences
        )
    assert {"Vladimir Putin", "Moscow"} <= {m.text for m in segmented.mentions}
    # The model reads the labels too; tagging counts each label once, as its speaker's
    # mention at the label's own offsets, whatever the model made of it.
    entities = {e.text: e for e in resolve(segmented, DEFAULT_LABELS).entities}
    labels = [p.start for p in paragraphs if p.speaker]
    assert [(m.start, m.text) for m in entities["Andrew Scobell"].mentions] == [
        (text.index("Andrew Scobell"), "Andrew Scobell"),
        *((start, "Scobell") for start in labels),
    ]


def test_segment_all_matches_one_document_at_a_time(nlp: spacy.language.Language) -> None:
    documents = [
        _cleaned(("paragraph", f"Angela Merkel visited Paris in {year}. Emmanuel Macron met her."))
        for year in range(2000, 2006)
    ] + [_cleaned(("heading", "Notes"), ("paragraph", "Nothing named here, really."))]
    batched = segment_all([lay_out(d, 10_000) for d in documents], nlp)
    assert batched == [segment(d, nlp, 10_000) for d in documents]


def test_segment_reads_a_long_document_in_pieces_of_whole_paragraphs(
    nlp: spacy.language.Language,
) -> None:
    paragraphs = [f"Angela Merkel met Emmanuel Macron in Paris on day {n}." for n in range(6)]
    document = _cleaned(*(("paragraph", p) for p in paragraphs))
    limit = len(paragraphs[0]) * 2 + 2  # two paragraphs and the break between them
    layout = lay_out(document, limit)
    assert len(layout.pieces) == 3
    assert all(end - start <= limit for start, end in layout.pieces)
    pieced = segment_all([layout], nlp)[0]
    whole = segment(document, nlp, 10_000)
    assert pieced.sections == whole.sections
    assert [m.text for m in pieced.mentions] == [m.text for m in whole.mentions]
    assert all(pieced.text[m.start : m.end] == m.text for m in pieced.mentions)
    assert sum(m.text == "Paris" for m in pieced.mentions) == 6


def test_segment_refuses_a_block_over_the_cap() -> None:
    with pytest.raises(DocflowError) as raised:
        lay_out(_cleaned(("paragraph", "x" * 101)), 100)
    assert raised.value.code == Code.TOO_LARGE
    assert raised.value.stage == "segment"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # Chinese and Japanese write no space after a full stop; the blank tokenizers
        # (spaCy's Chinese one by character, the generic one with the stops split off,
        # since the Japanese one needs SudachiPy) still give the rules a token to end on.
        (
            "zh",
            "新线路今天通车。乘客很多！你去吗？",
            ["新线路今天通车。", "乘客很多！", "你去吗？"],
        ),
        (
            "ja",
            "図書館が再開しました。「とても明るい。」と話しました。",
            ["図書館が再開しました。", "「とても明るい。」", "と話しました。"],
        ),
        (None, "今日は晴れです。明日は雨。", ["今日は晴れです。", "明日は雨。"]),
        (
            "ru",
            "Станция открыта. Пассажиров много! Когда следующая?",
            ["Станция открыта.", "Пассажиров много!", "Когда следующая?"],
        ),
        (
            "de",
            "Der Zug kommt um 8 Uhr an. Er ist pünktlich.",
            ["Der Zug kommt um 8 Uhr an.", "Er ist pünktlich."],
        ),
    ],
)
def test_segment_sentences_without_a_model_for_the_language(
    language: str | None, text: str, expected: list[str]
) -> None:
    nlp = blank_model(language)
    segmented = segment_all([lay_out(_cleaned(("paragraph", text)), 10_000)], nlp)[0]
    (paragraph,) = segmented.sections[0].paragraphs
    assert [text[s.start : s.end] for s in paragraph.sentences] == expected
    assert segmented.mentions == () and segmented.labels == ()


def test_segment_carries_the_models_own_labels_beside_docflows(
    nlp: spacy.language.Language,
) -> None:
    french = load_model(resolve_models(get_settings().spacy_models)["fr"])
    document = _cleaned(("paragraph", "Emmanuel Macron a rencontré Angela Merkel à Berlin."))
    segmented = segment(document, french, 10_000)
    assert ("PERSON", "PER") in segmented.labels
    assert {m.label for m in segmented.mentions} <= {"PERSON", "LOC", "ORG", "MISC"}
    assert "PERSON" in {m.label for m in segmented.mentions}
    english = segment(_cleaned(("paragraph", "Angela Merkel met Emmanuel Macron.")), nlp, 10_000)
    assert all(ours == theirs for ours, theirs in english.labels)
