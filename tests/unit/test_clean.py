"""The clean stage on plain text, HTML and XML: blocks kept, residue removed, metadata found."""

from pathlib import Path

import pytest

from workers.clean import clean
from workers.errors import Code, DocflowError
from workers.model import Cleaned, Decoded, Kind, Source

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SEED = SEEDS / "000_3f1d083b70fe61c9.txt"
SEED_HEADINGS = (
    "Why did Xi visit Putin?",
    "Why did Putin invite Xi?",
    "What are the key takeaways from the Putin-Xi summit?",
    "How did Ukraine factor into the summit?",
    "What other significant takeaways were there?",
    "What’s next in the Putin-Xi bromance?",
)
CAPTION = "Xi (center) and Putin (center right) with the leaders of Brazil"


def _clean(content: str, kind: Kind = "text", key: str = "doc.txt") -> Cleaned:
    return clean(Decoded("sha256:0", Source(key), kind, content))


@pytest.fixture(scope="module")
def seed() -> Cleaned:
    return _clean(SEED.read_text(encoding="utf-8"), key=SEED.name)


def test_clean_seed_headings_in_order(seed: Cleaned) -> None:
    assert tuple(b.text for b in seed.blocks if b.kind == "heading") == SEED_HEADINGS


def test_clean_seed_caption_kept_once_repeat_recorded(seed: Cleaned) -> None:
    captions = [b for b in seed.blocks if b.text.startswith(CAPTION)]
    assert [b.kind for b in captions] == ["paragraph"]
    duplicates = [r for r in seed.removed if r.kind == "duplicate"]
    assert [r.text for r in duplicates] == [captions[0].text]


@pytest.mark.parametrize(
    "residue",
    [
        "Related Publications",
        "In Europe, Xi Looks to Boost Ties — and Sow Divisions",
        "Thursday, May 16, 2024",
        "Type: Question and Answer",
        "Global Policy",
        "View All Publications",
    ],
)
def test_clean_seed_related_block_gone(seed: Cleaned, residue: str) -> None:
    assert all(residue not in b.text for b in seed.blocks)
    assert any(r.kind == "related" and r.text == residue for r in seed.removed)


def test_clean_seed_answers_are_paragraphs_with_speaker_label(seed: Cleaned) -> None:
    kinds = {b.text.split(":")[0]: b.kind for b in seed.blocks if ":" in b.text[:25]}
    assert kinds == {
        "Scobell": "paragraph",
        "Ashby": "paragraph",
        "Glantz": "paragraph",
        "Scobell and Staats": "paragraph",
        "Ashby and Glantz": "paragraph",
    }


def test_clean_seed_intro_is_first_paragraph(seed: Cleaned) -> None:
    first = seed.blocks[0]
    assert first.kind == "paragraph"
    assert first.text.startswith("Thirteen months after Russia’s illegal invasion")
    assert seed.blocks[-1].text.endswith("play junior partner to Xi.")


def test_clean_seed_blocks_have_no_blank_lines(seed: Cleaned) -> None:
    assert all(b.text == b.text.strip() and "\n\n" not in b.text for b in seed.blocks)


NEWS_STORY = """Council Approves New Budget

By Jane Doe and Li Wei

March 3, 2024

The city council approved a budget of $4 million on Tuesday after a long debate.

Advertisement

Members argued over road repairs, schools and the new library for more than six hours.

Sign up for our daily newsletter to get the latest news in your inbox.

Related Articles

Mayor opens library

Roads to close for repairs
"""


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("title", "Council Approves New Budget"),
        ("authors", ("Jane Doe", "Li Wei")),
        ("published", "2024-03-03"),
    ],
)
def test_clean_text_masthead_metadata(field: str, expected: object) -> None:
    assert getattr(_clean(NEWS_STORY).metadata, field) == expected


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("title", "Council Approves New Budget"),
        ("byline", "By Jane Doe and Li Wei"),
        ("dateline", "March 3, 2024"),
        ("boilerplate", "Advertisement"),
        ("prompt", "Sign up for our daily newsletter to get the latest news in your inbox."),
        ("related", "Related Articles"),
        ("related", "Roads to close for repairs"),
    ],
)
def test_clean_text_residue_recorded(kind: str, text: str) -> None:
    cleaned = _clean(NEWS_STORY)
    assert (kind, text) in {(r.kind, r.text) for r in cleaned.removed}
    assert all(text != b.text for b in cleaned.blocks)


def test_clean_text_story_body_kept() -> None:
    assert [b.text[:12] for b in _clean(NEWS_STORY).blocks] == ["The city cou", "Members argu"]


def test_clean_text_hard_wrapped_lines_rejoined() -> None:
    cleaned = _clean("The council met on a\ncold Tuesday and agreed.\nIt then adjourned.")
    assert [b.text for b in cleaned.blocks] == [
        "The council met on a cold Tuesday and agreed.",
        "It then adjourned.",
    ]


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ("Advertisement\n\nShare this", "text"),
        ("<html><body><nav>Home</nav></body></html>", "html"),
        ("<root><empty/></root>", "xml"),
    ],
)
def test_clean_empty_raises(content: str, kind: Kind) -> None:
    with pytest.raises(DocflowError) as caught:
        _clean(content, kind)
    assert caught.value.code is Code.EMPTY
    assert caught.value.stage == "clean"


def test_clean_bad_xml_is_malformed() -> None:
    with pytest.raises(DocflowError) as caught:
        _clean("<rss><channel><item></channel>", "xml")
    assert caught.value.code is Code.MALFORMED


LONG = "The answer runs on for a while, as answers do, with detail and a full stop."


@pytest.mark.parametrize(
    ("content", "kinds"),
    [
        (f"Key Findings\n\n{LONG}", ["heading", "paragraph"]),
        (f"Why did the port expand?\n\n{LONG}", ["heading", "paragraph"]),
        (f"It was over.\n\n{LONG}", ["paragraph", "paragraph"]),
        (f"The statement reads:\n\n{LONG}", ["paragraph", "paragraph"]),
        # A heading heads something longer; a closing short line is not one.
        (f"{LONG}\n\nThe End", ["paragraph", "paragraph"]),
        ("Section One\n\nToo short", ["paragraph", "paragraph"]),
    ],
)
def test_clean_text_heading_detection(content: str, kinds: list[str]) -> None:
    assert [b.kind for b in _clean(content).blocks] == kinds
