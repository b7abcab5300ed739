"""Residue cleaners: each rule on the lines it must drop and the prose it must keep."""

import pytest

from workers.model import Block, Removed
from workers.residue import (
    Blocks,
    byline_names,
    byline_names_in,
    drop_lead_heading,
    drop_related_tail,
    drop_repeats,
    drop_trailing_headings,
    residue_kind,
    run_filters,
    squash,
)

BODY = "The council voted on Tuesday to expand the harbour after a two-year fight over air quality."


def p(text: str) -> Block:
    return Block("paragraph", text)


def h(text: str) -> Block:
    return Block("heading", text)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Advertisement", "boilerplate"),
        ("ADVERTISEMENT - scroll to continue", "boilerplate"),
        ("Share this article", "boilerplate"),
        ("12 comments", "boilerplate"),
        ("Comments are closed.", "boilerplate"),
        ("© 2024 Meridian Media. All rights reserved.", "copyright"),
        ("Updated at 1:23 p.m.", "boilerplate"),
        ("Filed under: Politics |", "boilerplate"),
        ("SOURCE: News agencies", "boilerplate"),
        ('[button link="/review"]Send us your review[/button]', "boilerplate"),
        ("RELATED: Mayor opens new library", "related"),
        ("Read more: Why ports matter", "related"),
        ("You may also like...", "related"),
        ("More from Politics", "related"),
        ("Most read in world news", "related"),
        ("View All Publications", "related"),
        ("Sign up for our newsletter", "prompt"),
        ("Get the latest updates right in your inbox.", "prompt"),
        ("Follow Newsbeat on Instagram, Facebook and Twitter.", "prompt"),
        ("Have a tip? Reach Jane at jane@example.com.", "prompt"),
        ("If you enjoyed this article, join our members.", "prompt"),
        ("Protesters at the port on Monday. Photo by Ana Ruiz/Getty Images", "caption"),
        ("By Jane Doe", "byline"),
        ("By Jane Doe and Li Wei | Reuters", "byline"),
        ("Written by Ana María Ruiz", "byline"),
        ("Additional reporting by Joseph Hudak", "credit"),
        ("Reporting by Li Wei; Editing by Ana Ruiz", "credit"),
        # Trailers in wire, newspaper, think-tank, press-release and blog house styles
        ("(Reporting by Jill Lawless in London; Editing by Hamid el-Sayed)", "credit"),
        ("(Additional reporting by Zoë Müller in Berlin; Writing by Jan de Vries)", "credit"),
        ("Contributing: Ana Ruiz, USA TODAY", "credit"),
        ("Li Wei in Beijing contributed reporting.", "credit"),
        ("This article was originally published by Grist.", "credit"),
        ("This story was produced in partnership with the Pulitzer Center.", "credit"),
        ("Republished with permission of the author.", "credit"),
        ("Our Standards: The Thomson Reuters Trust Principles.", "standards"),
        ("Read about our editorial standards and corrections policy.", "standards"),
        ("Find AP’s standards for working with philanthropies at AP.org.", "standards"),
        (
            "The Associated Press receives support from the Walton Family Foundation. The AP is"
            " solely responsible for all content.",
            "standards",
        ),
        (
            "This article has been reviewed according to our editorial process and policies.",
            "standards",
        ),
        ("Copyright 2024 The Associated Press. All rights reserved.", "copyright"),
        ("This material may not be published, broadcast, rewritten or redistributed.", "copyright"),
        ("(c) 2023 Meridian Policy Institute", "copyright"),
        (
            "The views expressed in this publication are those of the author and do not"
            " necessarily reflect the position of the Institute.",
            "disclaimer",
        ),
        ("###", "boilerplate"),
        ("SOURCE Acme Robotics Inc.", "boilerplate"),
        ("Read next: The harbour that ate a city", "related"),
        ("Up next", "related"),
        ("By Jan de Vries and Ana Ruiz", "byline"),
        ("By JANE DOE, Associated Press", "byline"),
    ],
)
def test_residue_residue_kind_of_page_residue(line: str, kind: str) -> None:
    assert residue_kind(line) == kind


@pytest.mark.parametrize(
    "line",
    [
        BODY,
        "By Tuesday, the council had voted to expand the harbour.",
        "Related companies said they would appeal.",
        "More than 400 people signed up for the hearing.",
        "Share prices fell 3% after the vote.",
        "Reporting by the Times revealed the deal.",
        "By the end of May, Ana Ruiz had left.",
        "Editorial standards at the paper slipped after the sale, former staff told us in"
        " interviews over several weeks.",
        "The copyright dispute went to court in May after both studios claimed the film.",
        "Reporters contributed reporting tools to the open-source project.",
        "Why did Xi visit Putin?",
        "Scobell: This week Xi traveled to Moscow.",
        "The newsletter industry grew by a third last year, according to a trade group survey"
        " of more than two hundred publishers in Europe, the United States, Canada, Australia,"
        " India, Brazil, Japan and South Africa, which also found that the average reader"
        " subscribes to four newsletters and opens fewer than half of the messages they get"
        " each week, a rate that has not changed since the survey began in 2015.",
    ],
)
def test_residue_residue_kind_keeps_prose(line: str) -> None:
    assert residue_kind(line) is None


@pytest.mark.parametrize(
    ("blocks", "kept", "cut"),
    [
        (
            (p(BODY), h("Related Articles"), p("Other story"), p("View All")),
            (p(BODY),),
            ("Related Articles", "Other story", "View All"),
        ),
        # An early marker is not a tail: more follows it than precedes it.
        (
            (p("Intro."), h("Related"), p(BODY), p(BODY)),
            (p("Intro."), h("Related"), p(BODY), p(BODY)),
            (),
        ),
        ((h("Related"), p(BODY)), (h("Related"), p(BODY)), ()),
        # A late section whose title looks like a marker, but prose follows it.
        (
            (p(BODY), p(BODY), p(BODY), h("More on the study"), p(BODY)),
            (p(BODY), p(BODY), p(BODY), h("More on the study"), p(BODY)),
            (),
        ),
    ],
)
def test_residue_drop_related_tail(blocks: Blocks, kept: Blocks, cut: tuple[str, ...]) -> None:
    assert drop_related_tail(blocks) == (kept, tuple(Removed("related", t) for t in cut))


@pytest.mark.parametrize(
    ("blocks", "kept", "cut"),
    [
        (
            (p("A caption."), p("A  caption."), p(BODY)),
            (p("A caption."), p(BODY)),
            ("A  caption.",),
        ),
        # Lists repeat lines on purpose when the copies are not adjacent.
        ((p("Meal 1"), p(BODY), p("Meal 1")), (p("Meal 1"), p(BODY), p("Meal 1")), ()),
    ],
)
def test_residue_drop_repeats(blocks: Blocks, kept: Blocks, cut: tuple[str, ...]) -> None:
    assert drop_repeats(blocks) == (kept, tuple(Removed("duplicate", t) for t in cut))


@pytest.mark.parametrize(
    ("blocks", "kept", "cut"),
    [
        (
            (p(BODY), h("Next story"), h("Another story")),
            (p(BODY),),
            ("Next story", "Another story"),
        ),
        ((h("Only heading"),), (h("Only heading"),), ()),
        ((h("Section"), p(BODY)), (h("Section"), p(BODY)), ()),
    ],
)
def test_residue_drop_trailing_headings(blocks: Blocks, kept: Blocks, cut: tuple[str, ...]) -> None:
    assert drop_trailing_headings(blocks) == (kept, tuple(Removed("related", t) for t in cut))


@pytest.mark.parametrize(
    ("blocks", "kept", "cut"),
    [
        ((h("Headline"), p(BODY)), (p(BODY),), ("Headline",)),
        ((h("Kicker"), h("Section"), p(BODY)), (h("Kicker"), h("Section"), p(BODY)), ()),
        ((p(BODY), h("Section")), (p(BODY), h("Section")), ()),
    ],
)
def test_residue_drop_lead_heading(blocks: Blocks, kept: Blocks, cut: tuple[str, ...]) -> None:
    assert drop_lead_heading(blocks) == (kept, tuple(Removed("title", t) for t in cut))


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("By Jane Doe", ("Jane Doe",)),
        ("By Jane Doe and Li Wei", ("Jane Doe", "Li Wei")),
        ("By Jane Doe, Li Wei & Ana Ruiz | AP", ("Jane Doe", "Li Wei", "Ana Ruiz")),
        ("By Tuesday, the vote was done.", ()),
        (BODY, ()),
    ],
)
def test_residue_byline_names(line: str, names: tuple[str, ...]) -> None:
    assert byline_names(line) == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Jane Doe", ("Jane Doe",)),
        ("Posted by Jane Doe", ("Jane Doe",)),
        ("| BY: Jane Doe", ("Jane Doe",)),
        ("By Carrie Arnold November 15, 2019", ("Carrie Arnold",)),
        ("by Bryan DeArdo @BryanDeArdo Nov 18, 2019 at 9:24 pm ET", ("Bryan DeArdo",)),
        ("Elliot Brownstein Published 2:16 AM EST", ("Elliot Brownstein",)),
        ("Tom Krisher, AP Auto Writer", ("Tom Krisher",)),
        ("By Sandee LaMotte, CNN 1 day ago", ("Sandee LaMotte",)),
        ("By DANICA KIRKA and JILL LAWLESS Associated Press", ("Danica Kirka", "Jill Lawless")),
        ("By FEDERICA LUSIARDI - 2019-04-10", ("Federica Lusiardi",)),
        ("Ludwig van Beethoven & Jane Doe & Jane Doe", ("Ludwig van Beethoven", "Jane Doe")),
        ("Мария Иванова", ("Мария Иванова",)),
        ("By JERUSALEM POST STAFF NOVEMBER 20, 2019", ()),
        ("Detroit News wire services Published 11:11 PM", ()),
        ("jdadmin", ()),
        ("Editorial", ()),
        ("20 Nov 2019 08:00 GMT", ()),
        ("By Ryan Reed Ryan Reed Reporter Ryan Reed's Most Recent Stories", ()),
        ("", ()),
    ],
)
def test_residue_byline_names_in_markup(text: str, names: tuple[str, ...]) -> None:
    assert byline_names_in(text) == names


@pytest.mark.parametrize(("text", "key"), [(" A  b ", "a b"), ("ÉTÉ\n2024", "été 2024")])
def test_residue_squash(text: str, key: str) -> None:
    assert squash(text) == key


def test_residue_run_filters_collects_every_cut_in_order() -> None:
    blocks = (p(BODY), p("Advertisement"), p(BODY + " Again."), h("Related Stories"), p("Teaser"))
    kept, cut = run_filters(blocks)
    assert kept == (p(BODY), p(BODY + " Again."))
    assert [r.kind for r in cut] == ["related", "related", "boilerplate"]
