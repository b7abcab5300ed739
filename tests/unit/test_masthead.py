"""Plain-text mastheads in many house styles: title, authors and date out, the story kept."""

import pytest

from workers.clean import clean
from workers.extract.masthead import date_of, masthead_fields, strip_dateline
from workers.model import Cleaned, Decoded, Source

LEDE = "The council approved a budget of four million dollars on Tuesday after a long debate."
MORE = "Members argued over road repairs, schools and the new library for more than six hours."
TITLE = "Council Approves New Budget After Long Debate"


def _clean(text: str) -> Cleaned:
    return clean(Decoded("sha256:0", Source("story.txt"), "text", text))


def _story(*masthead: str, lede: str = LEDE) -> str:
    return "\n\n".join((*masthead, lede, MORE, ""))


# (masthead lines above the lede, the lede as written, title, authors, published)
MASTHEADS = [
    # Newspapers
    ((TITLE, "By Jane Doe", "March 3, 2024"), LEDE, TITLE, ("Jane Doe",), "2024-03-03"),
    (
        (TITLE, "By Jan de Vries and Ana Ruiz", "Published 4 March 2024"),
        LEDE,
        TITLE,
        ("Jan de Vries", "Ana Ruiz"),
        "2024-03-04",
    ),
    (
        (TITLE, "By Ludwig von Mises, Staff Writer", "Updated: Mar. 5, 2024 at 10:32 a.m. EST"),
        LEDE,
        TITLE,
        ("Ludwig von Mises",),
        "2024-03-05",
    ),
    (
        (TITLE, "By JANE DOE and LI WEI | The Daily Planet | Tuesday, May 14, 2024"),
        LEDE,
        TITLE,
        ("Jane Doe", "Li Wei"),
        "2024-05-14",
    ),
    (
        (TITLE, "By Zoë Müller-Łukasz and Søren Ødegård", "Tue 4 Mar 2024 10.32 GMT"),
        LEDE,
        TITLE,
        ("Zoë Müller-Łukasz", "Søren Ødegård"),
        "2024-03-04",
    ),
    (
        (TITLE, "By Ahmed bin Rashid al-Maktoum", "2024-02-29"),
        LEDE,
        TITLE,
        ("Ahmed bin Rashid al-Maktoum",),
        "2024-02-29",
    ),
    (
        (TITLE, "By J.R. Smith, Mary-Kate O’Neill and Ngozi Okonjo-Iweala", "1st June 2023"),
        LEDE,
        TITLE,
        ("J.R. Smith", "Mary-Kate O’Neill", "Ngozi Okonjo-Iweala"),
        "2023-06-01",
    ),
    ((TITLE, "By Jane Doe • 6 min read"), LEDE, TITLE, ("Jane Doe",), None),
    # Wire agencies: a dateline opens the lede
    (
        (TITLE, "By Jill Lawless and Hamid el-Sayed", "March 4, 2024"),
        f"LONDON, March 4 (Reuters) - {LEDE}",
        TITLE,
        ("Jill Lawless", "Hamid el-Sayed"),
        "2024-03-04",
    ),
    ((TITLE,), f"WASHINGTON (AP) — {LEDE}", TITLE, (), None),
    ((TITLE,), f"SAN JUAN, Puerto Rico (AP) — {LEDE}", TITLE, (), None),
    ((TITLE,), f"GENEVA, March 4 (Xinhua) -- {LEDE}", TITLE, (), None),
    ((TITLE,), f"KYIV, Ukraine, March 4 (Reuters) - {LEDE}", TITLE, (), None),
    ((TITLE, "By Ana Ruiz, Associated Press"), f"PARIS (AFP) - {LEDE}", TITLE, ("Ana Ruiz",), None),
    ((TITLE, "Reuters", "March 4, 2024 10:32 AM"), LEDE, TITLE, (), "2024-03-04"),
    # Press releases: a release note, a newswire dateline that states the year
    (
        ("FOR IMMEDIATE RELEASE", TITLE),
        f"BOSTON, March 4, 2024 /PRNewswire/ -- {LEDE}",
        TITLE,
        (),
        "2024-03-04",
    ),
    ((TITLE, "News release", "12 January 2025"), LEDE, TITLE, (), "2025-01-12"),
    # Think tanks and research: authors stated, dates in long form
    (
        (TITLE, "Authors: Heather Ashby, Mary Glantz and Andrew Scobell", "Thursday, May 16, 2024"),
        LEDE,
        TITLE,
        ("Heather Ashby", "Mary Glantz", "Andrew Scobell"),
        "2024-05-16",
    ),
    (
        (TITLE, "Written by Maria de la Cruz Fernández", "Posted on 7 October 2022"),
        LEDE,
        TITLE,
        ("Maria de la Cruz Fernández",),
        "2022-10-07",
    ),
    # Blogs: date and author on one line
    (
        (TITLE, "Posted on March 4, 2024 by Pat Kowalczyk"),
        LEDE,
        TITLE,
        ("Pat Kowalczyk",),
        "2024-03-04",
    ),
    ((TITLE, "July 9th, 2021"), LEDE, TITLE, (), "2021-07-09"),
    # No masthead at all: nothing taken, not even a heading-like first line
    ((), LEDE, None, (), None),
    (("Key findings",), LEDE, None, (), None),
]


@pytest.mark.parametrize(("masthead", "lede", "title", "authors", "published"), MASTHEADS)
def test_masthead_fields_out_of_the_body(
    masthead: tuple[str, ...],
    lede: str,
    title: str | None,
    authors: tuple[str, ...],
    published: str | None,
) -> None:
    cleaned = _clean(_story(*masthead, lede=lede))
    metadata = cleaned.metadata
    assert (metadata.title, metadata.authors, metadata.published) == (title, authors, published)
    texts = [b.text for b in cleaned.blocks]
    if title is not None:
        # A story with a masthead starts at its lede, without the dateline.
        assert texts == [LEDE, MORE]
        assert all(line in {r.text for r in cleaned.removed} for line in masthead)


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ("By Ana Ruiz | March 4, 2024", (("Ana Ruiz",), "2024-03-04")),
        ("Updated 2 hours ago", ((), None)),
        ("By the end of May the council had voted.", None),
        ("March 4, 2024: a day to remember", None),
        ("The council met.", None),
    ],
)
def test_masthead_fields_of_a_line(
    line: str, fields: tuple[tuple[str, ...], str | None] | None
) -> None:
    assert masthead_fields(line) == fields


@pytest.mark.parametrize(
    ("lede", "dateline", "published"),
    [
        ("LONDON, March 4 (Reuters) - Rates rose.", "LONDON, March 4 (Reuters) -", None),
        (
            "BOSTON, March 4, 2024 /PRNewswire/ -- Acme grew.",
            "BOSTON, March 4, 2024 /PRNewswire/ --",
            "2024-03-04",
        ),
        (
            "SÃO PAULO, 4 de março (Reuters) - Os preços subiram.",
            "SÃO PAULO, 4 de março (Reuters) -",
            None,
        ),
        ("OAKLAND, Calif. — The Port of Oakland voted.", "", None),
        ("NATO said on Monday that it would meet.", "", None),
        ("US - China talks resumed.", "", None),
    ],
)
def test_masthead_strip_dateline(lede: str, dateline: str, published: str | None) -> None:
    rest, found, stated = strip_dateline(lede)
    assert (found, stated) == (dateline, published)
    assert rest == (lede[len(dateline) :].lstrip() if dateline else lede)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Thursday, May 16, 2024", "2024-05-16"),
        ("Published on: 4 March 2024", "2024-03-04"),
        ("Sept. 30, 2023", "2023-09-30"),
        ("February 30, 2024", None),
        ("Spring 2024", None),
    ],
)
def test_masthead_date_of(text: str, iso: str | None) -> None:
    assert date_of(text) == iso
