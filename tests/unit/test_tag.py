import re

import pytest

from workers.model import Block, Cleaned, Mention, Metadata, Segmented, Source
from workers.settings import DEFAULT_LABELS
from workers.tag import tag, trim


def _segmented(text: str, spans: list[tuple[str, str]]) -> Segmented:
    """Mentions placed in text order, each after the one before it."""
    mentions, cursor = [], 0
    for surface, label in spans:
        start = text.index(surface, cursor)
        cursor = start + len(surface)
        mentions.append(Mention(start, cursor, surface, label))
    cleaned = Cleaned("sha256:" + "0" * 64, Source("k"), Metadata(), (Block("paragraph", text),))
    return Segmented(cleaned, text, (), tuple(mentions))


def _folded(text: str, spans: list[tuple[str, str]]) -> list[tuple[str, str, tuple[str, ...], int]]:
    tagged = tag(_segmented(text, spans), DEFAULT_LABELS)
    for entity in tagged.entities:
        assert all(text[m.start : m.end] == m.text for m in entity.mentions)
    return [(e.text, e.label, e.aliases, e.count) for e in tagged.entities]


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        (
            "Vladimir Putin spoke. Putin left. Putin's aide stayed.",
            [("Vladimir Putin", "PERSON"), ("Putin", "PERSON"), ("Putin's", "PERSON")],
            [("Vladimir Putin", "PERSON", ("Putin",), 3)],
        ),
        (
            "Xi Jinping arrived. Xi spoke.",
            [("Xi Jinping", "PERSON"), ("Xi", "PERSON")],
            [("Xi Jinping", "PERSON", ("Xi",), 2)],
        ),
        (
            "the International Criminal Court ruled. The ICC said.",
            [("the International Criminal Court", "ORG"), ("ICC", "ORG")],
            [("International Criminal Court", "ORG", ("ICC",), 2)],
        ),
        (
            "Andrew Scobell wrote. Scobell said. Scobell added.",
            [("Andrew Scobell", "PERSON"), ("Scobell", "ORG"), ("Scobell", "PERSON")],
            [("Andrew Scobell", "PERSON", ("Scobell",), 3)],
        ),
        (
            "The United States and the U.S. Congress. U.S. troops.",
            [("The United States", "GPE"), ("U.S.", "GPE")],
            [("United States", "GPE", ("U.S.",), 3)],
        ),
        (
            "Smith said no. John Smith met Jane Smith.",
            [("Smith", "PERSON"), ("John Smith", "PERSON"), ("Jane Smith", "PERSON")],
            [
                ("Smith", "PERSON", (), 1),
                ("John Smith", "PERSON", (), 1),
                ("Jane Smith", "PERSON", (), 1),
            ],
        ),
        (
            "Chinese officials and the Chinese Communist Party. Chinese firms.",
            [("Chinese", "NORP"), ("Chinese Communist Party", "ORG"), ("Chinese", "NORP")],
            [("Chinese", "NORP", (), 2), ("Chinese Communist Party", "ORG", (), 1)],
        ),
        (
            "Xi Jinping and Vladimir Putin. The Xi-Putin summit.",
            [("Xi Jinping", "PERSON"), ("Vladimir Putin", "PERSON"), ("Xi-Putin", "PERSON")],
            [("Xi Jinping", "PERSON", ("Xi",), 2), ("Vladimir Putin", "PERSON", ("Putin",), 2)],
        ),
        (
            "Paris in May. Paris again. Paris Hilton.",
            [("Paris", "GPE"), ("Paris", "GPE"), ("Paris", "PERSON")],
            [("Paris", "GPE", (), 3)],
        ),
        (
            "Port director Danielle Okafor spoke. Okafor said no. Okafor Industries agreed.",
            [("Danielle Okafor", "PERSON")],
            [("Danielle Okafor", "PERSON", ("Okafor",), 2)],
        ),
        (
            "Oakland voted. West Oakland objected. In Oakland, Smith and Oakland-based firms.",
            [("Oakland", "GPE")],
            [("Oakland", "GPE", (), 2)],
        ),
        (
            "Pat Lee and Kim Lee met. Lee spoke.",
            [("Pat Lee", "PERSON"), ("Kim Lee", "PERSON")],
            [("Pat Lee", "PERSON", (), 1), ("Kim Lee", "PERSON", (), 1)],
        ),
        (
            "It cost $5 for 3 people, 40 percent more.",
            [("$5", "MONEY"), ("3", "CARDINAL"), ("40 percent", "PERCENT")],
            [],
        ),
    ],
)
def test_tag_folds_mentions_of_one_entity(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


def test_tag_orders_by_count_then_first_mention() -> None:
    text = "Berlin, Paris, Paris, Rome, Rome."
    spans = [
        ("Berlin", "GPE"),
        ("Paris", "GPE"),
        ("Paris", "GPE"),
        ("Rome", "GPE"),
        ("Rome", "GPE"),
    ]
    tagged = tag(_segmented(text, spans), DEFAULT_LABELS)
    assert [(e.id, e.text) for e in tagged.entities] == [
        ("e1", "Paris"),
        ("e2", "Rome"),
        ("e3", "Berlin"),
    ]


def test_tag_labels_setting_selects_entities() -> None:
    text = "Berlin in 2024."
    tagged = tag(_segmented(text, [("Berlin", "GPE"), ("2024", "DATE")]), ["DATE"])
    assert [e.text for e in tagged.entities] == ["2024"]


@pytest.mark.parametrize(
    ("surface", "expected"),
    [
        ("the European Union’s", "European Union"),
        ("The Pentagon", "Pentagon"),
        ("“Reuters”", "Reuters"),
        ("U.S.", "U.S."),
        ("NATO's", "NATO"),
        ("'s", None),
    ],
)
def test_tag_trim_strips_articles_possessives_and_quotes(
    surface: str, expected: str | None
) -> None:
    text = f"x {surface} y"
    trimmed = trim(Mention(2, 2 + len(surface), surface, "ORG"), text)
    assert (trimmed.text if trimmed else None) == expected
    if trimmed:
        assert text[trimmed.start : trimmed.end] == trimmed.text
        assert not re.match(r"(?i)the ", trimmed.text)
