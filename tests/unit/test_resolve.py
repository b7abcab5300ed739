import re

import pytest

from tests.conftest import SEEDS
from workers.model import (
    Block,
    Cleaned,
    Mention,
    Metadata,
    Paragraph,
    RawDocument,
    Section,
    Segmented,
    Source,
)
from workers.pipeline import enrich_all
from workers.resolve import gazetteer, resolve, trim
from workers.settings import DEFAULT_LABELS, get_settings

SEED = SEEDS / "000_3f1d083b70fe61c9.txt"


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
    tagged = resolve(_segmented(text, spans), DEFAULT_LABELS)
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
def test_resolve_folds_mentions_of_one_entity(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


# One table per error class; each wrong-merge case must stay apart.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        # 1. A surname that folds into a person's full name makes the entry a PERSON.
        (
            "Helena Marsh spoke. Marsh said. Marsh added. Marsh left.",
            [("Helena Marsh", "PERSON"), ("Marsh", "ORG"), ("Marsh", "ORG"), ("Marsh", "ORG")],
            [("Helena Marsh", "PERSON", ("Marsh",), 4)],
        ),
        # 2. Stray labels on the surname, or on the full name itself.
        (
            "Luis Moreno won. Moreno said. Moreno smiled.",
            [("Luis Moreno", "PERSON"), ("Moreno", "ORG"), ("Moreno", "GPE")],
            [("Luis Moreno", "PERSON", ("Moreno",), 3)],
        ),
        (
            "Tiger Woods won. Woods smiled.",
            [("Tiger Woods", "PERSON"), ("Woods", "GPE")],
            [("Tiger Woods", "PERSON", ("Woods",), 2)],
        ),
        (
            "Luis Moreno won. Moreno said. Moreno smiled.",
            [("Luis Moreno", "ORG"), ("Moreno", "PERSON"), ("Moreno", "PERSON")],
            [("Luis Moreno", "PERSON", ("Moreno",), 3)],
        ),
        # Neither called a person, the surname a place: the text says who it is.
        (
            "Luka Denver won. Denver, who served well, smiled.",
            [("Luka Denver", "ORG"), ("Denver", "GPE")],
            [("Luka Denver", "PERSON", ("Denver",), 2)],
        ),
        (
            '"Fine," said Denver. Luka Denver won.',
            [("Denver", "GPE"), ("Luka Denver", "ORG")],
            [("Luka Denver", "PERSON", ("Denver",), 2)],
        ),
        (
            "Luka Denver won. Denver is cold.",
            [("Luka Denver", "ORG"), ("Denver", "GPE")],
            [("Luka Denver", "ORG", (), 1), ("Denver", "GPE", (), 1)],
        ),
        # A team the text speaks of with "who" stays a team.
        (
            "The New Denver Giants won. The Giants, who trailed, rallied.",
            [("New Denver Giants", "ORG"), ("Giants", "ORG")],
            [("New Denver Giants", "ORG", ("Giants",), 2)],
        ),
        # 3. Multi-word surnames, middle names and particles.
        (
            "Ana Santos Silva spoke. Santos Silva left.",
            [("Ana Santos Silva", "PERSON"), ("Santos Silva", "PERSON")],
            [("Ana Santos Silva", "PERSON", ("Santos Silva",), 2)],
        ),
        (
            "Peter James Hale came. Peter Hale sat. Hale spoke.",
            [("Peter James Hale", "PERSON"), ("Peter Hale", "PERSON"), ("Hale", "PERSON")],
            [("Peter James Hale", "PERSON", ("Peter Hale", "Hale"), 3)],
        ),
        (
            "Charles de Gaulle came. de Gaulle spoke.",
            [("Charles de Gaulle", "PERSON"), ("de Gaulle", "PERSON")],
            [("Charles de Gaulle", "PERSON", ("de Gaulle",), 2)],
        ),
        (
            "Bashar al-Assad spoke. Assad left.",
            [("Bashar al-Assad", "PERSON"), ("Assad", "ORG")],
            [("Bashar al-Assad", "PERSON", ("Assad",), 2)],
        ),
        (
            "Ludwig van Beethoven wrote. Van Beethoven and Beethoven.",
            [("Ludwig van Beethoven", "PERSON"), ("Van Beethoven", "PERSON"), ("Beethoven", "ORG")],
            [("Ludwig van Beethoven", "PERSON", ("Van Beethoven", "Beethoven"), 3)],
        ),
        (
            "Valéry Giscard d'Estaing spoke. Estaing left.",
            [("Valéry Giscard d'Estaing", "PERSON"), ("Estaing", "PERSON")],
            [("Valéry Giscard d'Estaing", "PERSON", ("Estaing",), 2)],
        ),
        # 4. Organisation short forms and legal forms.
        (
            "The Atlanta Hawks won. The Hawks lead.",
            [("Atlanta Hawks", "ORG"), ("Hawks", "ORG")],
            [("Atlanta Hawks", "ORG", ("Hawks",), 2)],
        ),
        (
            "The Philadelphia Eagles won. The Eagles lead.",
            [("Philadelphia Eagles", "ORG"), ("Eagles", "GPE")],
            [("Philadelphia Eagles", "ORG", ("Eagles",), 2)],
        ),
        # A line in capitals that ends with the tail does not make it ambiguous; in the
        # headline, the model's span is dropped and the name the body names found in it.
        (
            "Report\n\nHAWKS BEAT KINGS\n\nThe Sacramento Kings lost. The Kings said.",
            [("HAWKS BEAT KINGS", "PERSON"), ("Sacramento Kings", "ORG"), ("Kings", "ORG")],
            [("Sacramento Kings", "ORG", ("Kings",), 2), ("HAWKS BEAT KINGS", "PERSON", (), 1)],
        ),
        (
            "HAWKS BEAT KINGS\n\nThe Sacramento Kings lost. The Kings said.",
            [("HAWKS BEAT KINGS", "PERSON"), ("Sacramento Kings", "ORG"), ("Kings", "ORG")],
            [("Sacramento Kings", "ORG", ("KINGS", "Kings"), 3)],
        ),
        (
            "Nordbank Group grew. Nordbank said.",
            [("Nordbank Group", "ORG"), ("Nordbank", "ORG")],
            [("Nordbank Group", "ORG", ("Nordbank",), 2)],
        ),
        (
            "The European Commission ruled. The Commission said.",
            [("European Commission", "ORG"), ("Commission", "ORG")],
            [("European Commission", "ORG", ("Commission",), 2)],
        ),
        (
            "Air Tasman Plc rose. Air Tasman said.",
            [("Air Tasman Plc", "ORG"), ("Air Tasman", "ORG")],
            [("Air Tasman Plc", "ORG", ("Air Tasman",), 2)],
        ),
        (
            "NationsBank Corp. rose. NationsBank said.",
            [("NationsBank Corp.", "ORG"), ("NationsBank", "ORG")],
            [("NationsBank Corp.", "ORG", ("NationsBank",), 2)],
        ),
        # 5. Acronyms with or without their function words; a dot lost at the end.
        (
            "The Bank of England held. The BOE said.",
            [("Bank of England", "ORG"), ("BOE", "ORG")],
            [("Bank of England", "ORG", ("BOE",), 2)],
        ),
        (
            "The North Atlantic Treaty Organisation met. Nato and NATO agreed.",
            [("North Atlantic Treaty Organisation", "ORG"), ("Nato", "ORG"), ("NATO", "ORG")],
            [("North Atlantic Treaty Organisation", "ORG", ("Nato", "NATO"), 3)],
        ),
        (
            "U.S. troops and U.S forces.",
            [("U.S.", "GPE"), ("U.S", "GPE")],
            [("U.S.", "GPE", ("U.S",), 2)],
        ),
        # 6. Wrong merges that must stay apart.
        (
            "Anna Berg and Lars Berg met. Berg said.",
            [("Anna Berg", "PERSON"), ("Lars Berg", "ORG"), ("Berg", "PERSON")],
            [
                ("Anna Berg", "PERSON", (), 1),
                ("Lars Berg", "ORG", (), 1),
                ("Berg", "PERSON", (), 1),
            ],
        ),
        (
            "ATLANTA 1996-08-30\n\nAtlanta beat Boston. Atlanta won.",
            [("ATLANTA", "ORG"), ("Atlanta", "ORG"), ("Boston", "ORG"), ("Atlanta", "ORG")],
            [
                ("Atlanta", "ORG", (), 2),
                ("ATLANTA", "GPE", (), 1),
                ("Boston", "ORG", (), 1),
            ],
        ),
        (
            "Michael Jordan scored. Jordan signed the treaty.",
            [("Michael Jordan", "PERSON"), ("Jordan", "GPE")],
            [("Michael Jordan", "PERSON", (), 1), ("Jordan", "GPE", (), 1)],
        ),
        (
            "Lars Woods won.\n\nWOODS 1996-08-30\n\nIt rained.",
            [("Lars Woods", "PERSON"), ("WOODS", "GPE")],
            [("Lars Woods", "PERSON", (), 1), ("WOODS", "GPE", (), 1)],
        ),
        (
            "Atlanta is hot. The Atlanta Hawks won. Hawks said.",
            [("Atlanta", "GPE"), ("Atlanta Hawks", "ORG"), ("Hawks", "PERSON")],
            [("Atlanta Hawks", "ORG", ("Hawks",), 2), ("Atlanta", "GPE", (), 1)],
        ),
        (
            "The Labour Party and the Green Party. The Party said.",
            [("Labour Party", "ORG"), ("Green Party", "ORG"), ("Party", "ORG")],
            [
                ("Labour Party", "ORG", (), 1),
                ("Green Party", "ORG", (), 1),
                ("Party", "ORG", (), 1),
            ],
        ),
        # 7. The place that opens a dateline is a place, whatever the model said.
        (
            "SALALAH, Oman 1996-12-06\n\nTalks began.",
            [("SALALAH", "ORG"), ("Oman", "GPE")],
            [("SALALAH", "GPE", (), 1), ("Oman", "GPE", (), 1)],
        ),
        # The country after it is the country; a namesake a score follows, its team.
        (
            "TOFTIR, Faroe Islands 1996-08-31\n\nSlovakia beat the Faroe Islands 2-1.",
            [
                ("TOFTIR", "ORG"),
                ("Faroe Islands", "GPE"),
                ("Slovakia", "GPE"),
                ("Faroe Islands", "GPE"),
            ],
            [
                ("TOFTIR", "GPE", (), 1),
                ("Faroe Islands", "GPE", (), 1),
                ("Slovakia", "GPE", (), 1),
                ("Faroe Islands", "GPE", (), 1),
            ],
        ),
        (
            "SALALAH, Oman 1996-12-06\n\nOman said talks began in Oman 2 days ago.",
            [("SALALAH", "ORG"), ("Oman", "GPE"), ("Oman", "GPE"), ("Oman", "GPE")],
            [("Oman", "GPE", (), 3), ("SALALAH", "GPE", (), 1)],
        ),
        (
            "VIENNA, June 20 (Agency) - Talks began.",
            [("VIENNA", "PERSON")],
            [("VIENNA", "GPE", (), 1)],
        ),
        (
            "DARWIN, Australia\n\nRain fell.",
            [("DARWIN", "PERSON"), ("Australia", "GPE")],
            [("DARWIN", "GPE", (), 1), ("Australia", "GPE", (), 1)],
        ),
        (
            "WASHINGTON (Reuters) - Talks began.",
            [("WASHINGTON", "ORG")],
            [("WASHINGTON", "GPE", (), 1)],
        ),
        (
            "NEW YORK 1996-08-30\n\nNEW YORK 74 59 .556\nBOSTON 69 65 .515",
            [("NEW YORK", "GPE"), ("NEW YORK", "GPE"), ("BOSTON", "GPE")],
            # The table's rows, a score after each, are the teams.
            [("NEW YORK", "GPE", (), 1), ("NEW YORK", "ORG", (), 1), ("BOSTON", "ORG", (), 1)],
        ),
        # A dateline's city a score follows below is the club's name there, not the city.
        (
            "RUGBY - WIGAN WIN\n\nWIGAN, England 1996-08-31\n\nResult:\n\nWigan 42 Bradford "
            "Bulls 36",
            [
                ("WIGAN", "GPE"),
                ("WIGAN", "GPE"),
                ("England", "GPE"),
                ("Wigan", "GPE"),
                ("Bradford Bulls", "ORG"),
            ],
            [
                ("Wigan", "ORG", ("WIGAN",), 2),
                ("WIGAN", "GPE", (), 1),
                ("England", "GPE", (), 1),
                ("Bradford Bulls", "ORG", (), 1),
            ],
        ),
        (
            "WIGAN, England 1996-08-31\n\nRain fell on Wigan 2 days ago.",
            [("WIGAN", "GPE"), ("England", "GPE"), ("Wigan", "GPE")],
            [("Wigan", "GPE", ("WIGAN",), 2), ("England", "GPE", (), 1)],
        ),
        # One the model did not tag at all is found; its namesakes are that place.
        (
            "SEOUL 1996-08-30\n\nRain fell on Seoul.",
            [("Seoul", "NORP")],
            [("Seoul", "GPE", ("SEOUL",), 2)],
        ),
        (
            "KORGAN, Tajikistan 1996-08-30\n\nRebels held Korgan. Korgan fell.",
            [("Tajikistan", "GPE"), ("Korgan", "PERSON"), ("Korgan", "PERSON")],
            [("Korgan", "GPE", ("KORGAN",), 3), ("Tajikistan", "GPE", (), 1)],
        ),
        # The headline's place in capitals is the dateline's; a team's in it is not.
        (
            "GOLF - LEAD IN DENVER\n\nDENVER, Colorado 1996-08-29\n\nRain fell.",
            [("DENVER", "GPE"), ("Colorado", "GPE")],
            [("DENVER", "GPE", (), 2), ("Colorado", "GPE", (), 1)],
        ),
        # The model's span of many words in a headline in capitals is dropped, unless the
        # body names it; an acronym the body names is found there.
        (
            "SOCCER - CANADA BEAT PANAMA\n\nCanada beat Panama. NATO met.",
            [("CANADA BEAT", "ORG"), ("Canada", "GPE"), ("Panama", "GPE"), ("NATO", "ORG")],
            [
                ("Canada", "GPE", ("CANADA",), 2),
                ("Panama", "GPE", ("PANAMA",), 2),
                ("NATO", "ORG", (), 1),
            ],
        ),
        (
            "NATO AND SOUTH AFRICA MEET\n\nSouth Africa met NATO.",
            [("SOUTH AFRICA", "GPE"), ("South Africa", "GPE"), ("NATO", "ORG")],
            [("NATO", "ORG", (), 2), ("South Africa", "GPE", ("SOUTH AFRICA",), 2)],
        ),
        (
            "DENVER WIN AGAIN\n\nDENVER 1996-08-29\n\nRain fell.",
            [("DENVER", "ORG")],
            [("DENVER", "ORG", (), 1), ("DENVER", "GPE", (), 1)],
        ),
        # A results table's row or a headline in capitals opens no dateline.
        (
            "DETROIT 48 86 .358\n\nDETROIT won.",
            [("DETROIT", "ORG"), ("DETROIT", "ORG")],
            [("DETROIT", "ORG", (), 2)],
        ),
        (
            "SOCCER - KLINSMANN LEAVES\n\nHe left.",
            [("SOCCER", "ORG")],
            [("SOCCER", "ORG", (), 1)],
        ),
        (
            "NATO, the alliance, met.\n\nAnd Smith 1996 won.",
            [("NATO", "ORG"), ("Smith", "PERSON")],
            [("NATO", "ORG", (), 1), ("Smith", "PERSON", (), 1)],
        ),
    ],
)
def test_resolve_resolves_each_error_class(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


# Short forms spelt with initials, clipped, or a first name the model took for a company.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        # Initials spelt out word for word, the last word in full.
        (
            "N. Korea and S. Korea met. North Korea and South Korea talked.",
            [
                ("N. Korea", "GPE"),
                ("S. Korea", "GPE"),
                ("North Korea", "GPE"),
                ("South Korea", "GPE"),
            ],
            [("North Korea", "GPE", ("N. Korea",), 2), ("South Korea", "GPE", ("S. Korea",), 2)],
        ),
        (
            "J. Okafor spoke. John Okafor left.",
            [("J. Okafor", "PERSON"), ("John Okafor", "PERSON")],
            [("John Okafor", "PERSON", ("J. Okafor",), 2)],
        ),
        # Siblings the initial fits both of, or a name whose initial differs, stay apart.
        (
            "J. Okafor spoke. John Okafor and Jane Okafor left.",
            [("J. Okafor", "PERSON"), ("John Okafor", "PERSON"), ("Jane Okafor", "PERSON")],
            [
                ("J. Okafor", "PERSON", (), 1),
                ("John Okafor", "PERSON", (), 1),
                ("Jane Okafor", "PERSON", (), 1),
            ],
        ),
        (
            "A. Okafor spoke. John Okafor left.",
            [("A. Okafor", "PERSON"), ("John Okafor", "PERSON")],
            [("A. Okafor", "PERSON", (), 1), ("John Okafor", "PERSON", (), 1)],
        ),
        # A clipped name is the shortest organisation whose first word it clips.
        (
            "Federal Reserve met. Federal Open Market Committee voted. Fed held.",
            [("Federal Reserve", "ORG"), ("Federal Open Market Committee", "ORG"), ("Fed", "ORG")],
            [
                ("Federal Reserve", "ORG", ("Fed",), 2),
                ("Federal Open Market Committee", "ORG", (), 1),
            ],
        ),
        # Two as short, a person, a clip in capitals or of two letters: no fold.
        (
            "Man beat Manchester United and Manchester City.",
            [("Man", "ORG"), ("Manchester United", "ORG"), ("Manchester City", "ORG")],
            [
                ("Man", "ORG", (), 1),
                ("Manchester United", "ORG", (), 1),
                ("Manchester City", "ORG", (), 1),
            ],
        ),
        (
            "Federal Reserve met. Fed said.",
            [("Federal Reserve", "ORG"), ("Fed", "PERSON")],
            [("Federal Reserve", "ORG", (), 1), ("Fed", "PERSON", (), 1)],
        ),
        (
            "Federal Reserve met. FED said.",
            [("Federal Reserve", "ORG"), ("FED", "ORG")],
            [("Federal Reserve", "ORG", (), 1), ("FED", "ORG", (), 1)],
        ),
        (
            "Federal Reserve met. Fe said.",
            [("Federal Reserve", "ORG"), ("Fe", "ORG")],
            [("Federal Reserve", "ORG", (), 1), ("Fe", "ORG", (), 1)],
        ),
        # Names of one country the model called a place; two countries stay two.
        (
            "Russian Federation signed. Russia agreed.",
            [("Russian Federation", "GPE"), ("Russia", "GPE")],
            [("Russian Federation", "GPE", ("Russia",), 2)],
        ),
        (
            "Republic of Ireland voted. Ireland agreed.",
            [("Republic of Ireland", "GPE"), ("Ireland", "GPE")],
            [("Republic of Ireland", "GPE", ("Ireland",), 2)],
        ),
        # Nor the team the model called an organisation.
        (
            "Republic of Ireland won. Ireland agreed.",
            [("Republic of Ireland", "ORG"), ("Ireland", "GPE")],
            [("Republic of Ireland", "ORG", (), 1), ("Ireland", "GPE", (), 1)],
        ),
        (
            "North Korea and South Korea met.",
            [("North Korea", "GPE"), ("South Korea", "GPE")],
            [("North Korea", "GPE", (), 1), ("South Korea", "GPE", (), 1)],
        ),
        # A team's tail the model called a place as often as an organisation is its tail.
        (
            "White Sox won. Chicago White Sox lost. White Sox rallied.",
            [("White Sox", "FAC"), ("Chicago White Sox", "ORG"), ("White Sox", "ORG")],
            [("Chicago White Sox", "ORG", ("White Sox",), 3)],
        ),
        (
            "White Sox won. Chicago White Sox lost. White Sox rallied.",
            [("White Sox", "FAC"), ("Chicago White Sox", "ORG"), ("White Sox", "FAC")],
            [("White Sox", "FAC", (), 2), ("Chicago White Sox", "ORG", (), 1)],
        ),
        # A first name the model called a company, beside only that person's full name.
        (
            "Megawati Sukarnoputri spoke. Megawati left.",
            [("Megawati Sukarnoputri", "PERSON"), ("Megawati", "ORG")],
            [("Megawati Sukarnoputri", "PERSON", ("Megawati",), 2)],
        ),
        # Not when a company's name opens with it, when two people share it, or a place.
        (
            "Ford Prefect spoke. Ford Motor rose. Ford fell.",
            [("Ford Prefect", "PERSON"), ("Ford Motor", "ORG"), ("Ford", "ORG")],
            [("Ford Motor", "ORG", ("Ford",), 2), ("Ford Prefect", "PERSON", (), 1)],
        ),
        (
            "Megawati Sukarnoputri met Megawati Putri. Megawati left.",
            [
                ("Megawati Sukarnoputri", "PERSON"),
                ("Megawati Putri", "PERSON"),
                ("Megawati", "ORG"),
            ],
            [
                ("Megawati Sukarnoputri", "PERSON", (), 1),
                ("Megawati Putri", "PERSON", (), 1),
                ("Megawati", "ORG", (), 1),
            ],
        ),
        (
            "Georgia Okafor spoke. Georgia voted.",
            [("Georgia Okafor", "PERSON"), ("Georgia", "ORG")],
            [("Georgia Okafor", "PERSON", (), 1), ("Georgia", "GPE", (), 1)],
        ),
    ],
)
def test_resolve_folds_initials_countries_clipped_and_first_names(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


# A tie of label votes goes to a person, organisation, place or group over the rest.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        (
            "Harbour Lights won. Harbour Lights lost.",
            [("Harbour Lights", "WORK_OF_ART"), ("Harbour Lights", "ORG")],
            [("Harbour Lights", "ORG", (), 2)],
        ),
        (
            "Dana Quill sang. Dana Quill left.",
            [("Dana Quill", "PRODUCT"), ("Dana Quill", "PERSON")],
            [("Dana Quill", "PERSON", (), 2)],
        ),
        # A majority stands, and a tie of two leading labels goes as before.
        (
            "Harbour Lights won. Harbour Lights lost. Harbour Lights drew.",
            [
                ("Harbour Lights", "WORK_OF_ART"),
                ("Harbour Lights", "ORG"),
                ("Harbour Lights", "WORK_OF_ART"),
            ],
            [("Harbour Lights", "WORK_OF_ART", (), 3)],
        ),
        (
            "Port Vale won. Port Vale lost.",
            [("Port Vale", "GPE"), ("Port Vale", "ORG")],
            [("Port Vale", "ORG", (), 2)],
        ),
    ],
)
def test_resolve_label_ties_go_to_the_leading_labels(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


# A many-word name folds into its plural, a team's or group's name, within one label.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        (
            "The Grey Herons won. A Grey Heron scored. The Grey Herons lead.",
            [("The Grey Herons", "ORG"), ("Grey Heron", "ORG"), ("The Grey Herons", "ORG")],
            [("Grey Herons", "ORG", ("Grey Heron",), 3)],
        ),
        (
            "The Grey Herons won. A Grey Heron scored. The Grey Herons lead.",
            [
                ("The Grey Herons", "WORK_OF_ART"),
                ("Grey Heron", "ORG"),
                ("The Grey Herons", "ORG"),
            ],
            [("Grey Herons", "ORG", ("Grey Heron",), 3)],
        ),
        # Not with no label in common, one word alone, or a person's name.
        (
            "Grey Herons won. Grey Heron sold.",
            [("Grey Herons", "ORG"), ("Grey Heron", "PRODUCT")],
            [("Grey Herons", "ORG", (), 1), ("Grey Heron", "PRODUCT", (), 1)],
        ),
        (
            "The Kestrels won. Kestrel scored.",
            [("The Kestrels", "ORG"), ("Kestrel", "ORG")],
            [("Kestrels", "ORG", (), 1), ("Kestrel", "ORG", (), 1)],
        ),
        (
            "Tom Rivers spoke. Tom River sang.",
            [("Tom Rivers", "PERSON"), ("Tom River", "PERSON")],
            [("Tom Rivers", "PERSON", (), 1), ("Tom River", "PERSON", (), 1)],
        ),
    ],
)
def test_resolve_folds_a_name_into_its_plural(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


# An organisation's acronym in its own language's word order: its initials reordered.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        (
            "The Free Workers Union met. The UWF said.",
            [("The Free Workers Union", "ORG"), ("UWF", "ORG")],
            [("Free Workers Union", "ORG", ("UWF",), 2)],
        ),
        # Not when two organisations fit, the long name is no organisation, or two letters.
        (
            "The Free Workers Union met the Union of Free Workers. The UWF said.",
            [
                ("The Free Workers Union", "ORG"),
                ("the Union of Free Workers", "ORG"),
                ("UWF", "ORG"),
            ],
            [
                ("Free Workers Union", "ORG", (), 1),
                ("Union of Free Workers", "ORG", (), 1),
                ("UWF", "ORG", (), 1),
            ],
        ),
        (
            "Frank William Upton spoke. The UWF said.",
            [("Frank William Upton", "PERSON"), ("UWF", "ORG")],
            [("Frank William Upton", "PERSON", (), 1), ("UWF", "ORG", (), 1)],
        ),
        (
            "The Workers Union met. The UW said.",
            [("The Workers Union", "ORG"), ("UW", "ORG")],
            [("Workers Union", "ORG", (), 1), ("UW", "ORG", (), 1)],
        ),
    ],
)
def test_resolve_folds_an_acronym_of_reordered_initials(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


# A compass point named as a place stands for the one two-word place it opens.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        (
            "North Vandia fired. The North denied it. South Vandia said the South was ready.",
            [
                ("North Vandia", "GPE"),
                ("North", "LOC"),
                ("South Vandia", "GPE"),
                ("South", "GPE"),
            ],
            [("North Vandia", "GPE", ("North",), 2), ("South Vandia", "GPE", ("South",), 2)],
        ),
        # Not when two places open with it, nor a facility, nor a company called so.
        (
            "South Vandia met South Orlia. The South gained.",
            [("South Vandia", "GPE"), ("South Orlia", "GPE"), ("South", "LOC")],
            [
                ("South Vandia", "GPE", (), 1),
                ("South Orlia", "GPE", (), 1),
                ("South", "LOC", (), 1),
            ],
        ),
        (
            "West Gate opened. The West watched.",
            [("West Gate", "FAC"), ("West", "LOC")],
            [("West Gate", "FAC", (), 1), ("West", "LOC", (), 1)],
        ),
        (
            "North Vandia fired. North shares fell.",
            [("North Vandia", "GPE"), ("North", "ORG")],
            [("North Vandia", "GPE", (), 1), ("North", "ORG", (), 1)],
        ),
    ],
)
def test_resolve_folds_a_compass_point_into_the_place_it_opens(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


# A surname two people share goes to the one the text never calls by first name alone.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        (
            "Tomas Ivers met Naina Ivers. Naina smiled. Ivers spoke.",
            [
                ("Tomas Ivers", "PERSON"),
                ("Naina Ivers", "PERSON"),
                ("Naina", "PERSON"),
                ("Ivers", "PERSON"),
            ],
            [("Tomas Ivers", "PERSON", ("Ivers",), 2), ("Naina Ivers", "PERSON", ("Naina",), 2)],
        ),
        # Siblings both named in full stay apart from the bare surname.
        (
            "Anna Berg beat Lars Berg. Berg said.",
            [("Anna Berg", "PERSON"), ("Lars Berg", "PERSON"), ("Berg", "PERSON")],
            [
                ("Anna Berg", "PERSON", (), 1),
                ("Lars Berg", "PERSON", (), 1),
                ("Berg", "PERSON", (), 1),
            ],
        ),
        # Both called by first name, or two of three never: no one person is left.
        (
            "Anna Berg beat Lars Berg. Anna and Lars hugged. Berg said.",
            [
                ("Anna Berg", "PERSON"),
                ("Lars Berg", "PERSON"),
                ("Anna", "PERSON"),
                ("Lars", "PERSON"),
                ("Berg", "PERSON"),
            ],
            [
                ("Anna Berg", "PERSON", ("Anna",), 2),
                ("Lars Berg", "PERSON", ("Lars",), 2),
                ("Berg", "PERSON", (), 1),
            ],
        ),
        (
            "Tomas Ivers, Petra Ivers and Naina Ivers came. Naina sang. Ivers spoke.",
            [
                ("Tomas Ivers", "PERSON"),
                ("Petra Ivers", "PERSON"),
                ("Naina Ivers", "PERSON"),
                ("Naina", "PERSON"),
                ("Ivers", "PERSON"),
            ],
            [
                ("Naina Ivers", "PERSON", ("Naina",), 2),
                ("Tomas Ivers", "PERSON", (), 1),
                ("Petra Ivers", "PERSON", (), 1),
                ("Ivers", "PERSON", (), 1),
            ],
        ),
        # Not when the other full name may not be a person at all.
        (
            "Tomas Ivers met Carla Ivers. Carla spoke. Ivers left.",
            [
                ("Tomas Ivers", "PERSON"),
                ("Carla Ivers", "ORG"),
                ("Carla", "PERSON"),
                ("Ivers", "PERSON"),
            ],
            [
                ("Tomas Ivers", "PERSON", (), 1),
                ("Carla Ivers", "ORG", (), 1),
                ("Carla", "PERSON", (), 1),
                ("Ivers", "PERSON", (), 1),
            ],
        ),
    ],
)
def test_resolve_shared_surname_goes_to_the_one_never_called_by_first_name(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


# A headline in capitals names what the body names; the model misses most of it there.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        (
            "TENNIS - VARGAS BEATS OKONJO\n\nLucia Vargas beat Ada Okonjo. Vargas served.",
            [("Lucia Vargas", "PERSON"), ("Ada Okonjo", "PERSON"), ("Vargas", "PERSON")],
            [
                ("Lucia Vargas", "PERSON", ("VARGAS", "Vargas"), 3),
                ("Ada Okonjo", "PERSON", ("OKONJO",), 2),
            ],
        ),
        (
            "SOCCER - NORWAY HOLD MALTA\n\nNorway drew with Malta.",
            [("Norway", "GPE"), ("Malta", "GPE")],
            [("Norway", "GPE", ("NORWAY",), 2), ("Malta", "GPE", ("MALTA",), 2)],
        ),
        # A name that is also a common word is not sought: "MAY" is a verb here.
        (
            "MARKETS MAY RISE\n\nMay said so.",
            [("May", "PERSON")],
            [("May", "PERSON", (), 1)],
        ),
        # A surname two people share belongs to neither.
        (
            "TENNIS - LIND WINS\n\nMarta Lind and Olav Lind played.",
            [("Marta Lind", "PERSON"), ("Olav Lind", "PERSON")],
            [("Marta Lind", "PERSON", (), 1), ("Olav Lind", "PERSON", (), 1)],
        ),
        # Only the first line, and only when it is all capitals: a table's row is not one.
        (
            "Rain fell.\nNORWAY 2 MALTA 1\n\nNorway drew with Malta.",
            [("Norway", "GPE"), ("Malta", "GPE")],
            [("Norway", "GPE", (), 1), ("Malta", "GPE", (), 1)],
        ),
        (
            "Norway hold Malta\n\nNORWAY drew with Malta.",
            [("NORWAY", "GPE"), ("Malta", "GPE")],
            [("Malta", "GPE", (), 2), ("NORWAY", "GPE", (), 1)],
        ),
    ],
)
def test_resolve_finds_names_in_a_headline_in_capitals(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


# 8. A place the gazetteer knows, under a label no reading of it supports.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        (
            "Troops left Niger and Burkina Faso.",
            [("Niger", "PERSON"), ("Burkina Faso", "PERSON")],
            [("Niger", "GPE", (), 1), ("Burkina Faso", "GPE", (), 1)],
        ),
        ("Exports from Germany rose.", [("Germany", "ORG")], [("Germany", "GPE", (), 1)]),
        ("Farmers in Ontario protested.", [("Ontario", "NORP")], [("Ontario", "GPE", (), 1)]),
        # A region's or a city's name is also a club's.
        ("Somerset won by six wickets.", [("Somerset", "ORG")], [("Somerset", "ORG", (), 1)]),
        ("Chicago won again.", [("Chicago", "ORG")], [("Chicago", "ORG", (), 1)]),
        # A person named Paris is a person once her full name is known.
        (
            "Paris Hilton arrived. Paris smiled.",
            [("Paris Hilton", "PERSON"), ("Paris", "PERSON")],
            [("Paris Hilton", "PERSON", ("Paris",), 2)],
        ),
        # Not a whole name of a place: a label stays as the model gave it.
        ("Niger Smith spoke.", [("Niger Smith", "PERSON")], [("Niger Smith", "PERSON", (), 1)]),
    ],
)
def test_resolve_gazetteer_corrects_implausible_place_labels(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


def test_resolve_gazetteer_loads_once_with_each_kind_of_place() -> None:
    places = gazetteer()
    assert gazetteer() is places
    assert [places.get(n) for n in ("france", "ontario", "chicago", "zebulonia")] == [
        "country",
        "region",
        "city",
        None,
    ]


def test_resolve_orders_by_count_then_first_mention() -> None:
    text = "Berlin, Paris, Paris, Rome, Rome."
    spans = [
        ("Berlin", "GPE"),
        ("Paris", "GPE"),
        ("Paris", "GPE"),
        ("Rome", "GPE"),
        ("Rome", "GPE"),
    ]
    tagged = resolve(_segmented(text, spans), DEFAULT_LABELS)
    assert [(e.id, e.text) for e in tagged.entities] == [
        ("e1", "Paris"),
        ("e2", "Rome"),
        ("e3", "Berlin"),
    ]


def test_resolve_labels_setting_selects_entities() -> None:
    text = "Berlin in 2024."
    tagged = resolve(_segmented(text, [("Berlin", "GPE"), ("2024", "DATE")]), ["DATE"])
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
def test_resolve_trim_strips_articles_possessives_and_quotes(
    surface: str, expected: str | None
) -> None:
    text = f"x {surface} y"
    trimmed = trim(Mention(2, 2 + len(surface), surface, "ORG"), text)
    assert (trimmed.text if trimmed else None) == expected
    if trimmed:
        assert text[trimmed.start : trimmed.end] == trimmed.text
        assert not re.match(r"(?i)the ", trimmed.text)


@pytest.mark.parametrize(
    ("surface", "label", "expected"),
    [
        ("Kent 108-3", "ORG", "Kent"),
        ("C. Tolley 4-68", "PERSON", "C. Tolley"),
        ("de Silva 4-0-25-0", "PERSON", "de Silva"),
        ("St Johnstone 2 1", "ORG", "St Johnstone"),
        ("Calif 1996-08-30", "GPE", "Calif"),
        ("Mexico 2-0", "GPE", "Mexico"),
        # A figure inside the name, one bare number, or a label whose names end in one.
        ("Pohang 3 Ulsan 2-1", "ORG", "Pohang 3 Ulsan"),
        ("Pohang 3 Ulsan 2", "ORG", "Pohang 3 Ulsan 2"),
        ("Channel 4", "ORG", "Channel 4"),
        ("Louis XIV", "PERSON", "Louis XIV"),
        ("Interstate 95", "FAC", "Interstate 95"),
        ("Windows 3.1", "PRODUCT", "Windows 3.1"),
        ("1996-08-30", "DATE", "1996-08-30"),
    ],
)
def test_resolve_trim_drops_scores_run_into_names(surface: str, label: str, expected: str) -> None:
    text = f"x {surface} y"
    trimmed = trim(Mention(2, 2 + len(surface), surface, label), text)
    assert trimmed is not None
    assert (trimmed.text, text[trimmed.start : trimmed.end]) == (expected, expected)


def _interview(paragraphs: list[str], spans: list[tuple[str, str]]) -> Segmented:
    """One section per paragraph; a paragraph 'Name: answer' is that speaker's."""
    text = "\n\n".join(paragraphs)
    sections, offset = [], 0
    for paragraph in paragraphs:
        label, colon, _ = paragraph.partition(": ")
        speaker = label if colon and label[:1].isupper() else None
        body = offset + len(label) + 2 if speaker else offset
        end = offset + len(paragraph)
        para = Paragraph(offset, end, body, (), speaker)
        sections.append(Section(None, offset, end, (para,), (speaker,) if speaker else ()))
        offset = end + 2
    base = _segmented(text, spans)
    return Segmented(base.cleaned, text, tuple(sections), base.mentions)


@pytest.mark.parametrize(
    ("paragraphs", "spans", "expected", "ids"),
    [
        (
            [
                "Andrew Scobell and Heather Ashby spoke with Mary Glantz.",
                "Scobell: Yes.",
                "Ashby and Glantz: No.",
            ],
            [("Andrew Scobell", "PERSON"), ("Heather Ashby", "PERSON"), ("Mary Glantz", "ORG")],
            [
                ("Andrew Scobell", "PERSON", ("Scobell",), 2),
                ("Heather Ashby", "PERSON", ("Ashby",), 2),
                ("Mary Glantz", "PERSON", ("Glantz",), 2),
            ],
            [(), ("Andrew Scobell",), ("Heather Ashby", "Mary Glantz")],
        ),
        # A speaker the text names nowhere else becomes a person of their own.
        (
            ["Staats: Indeed.", "Staats: Again."],
            [],
            [("Staats", "PERSON", (), 2)],
            [("Staats",), ("Staats",)],
        ),
        # A place's line-up is no one answering.
        (
            ["Scotland beat Austria.", "Scotland: Jim Leighton, Andy Goram.", "Scotland: Goram."],
            [
                ("Scotland", "GPE"),
                ("Austria", "GPE"),
                ("Jim Leighton", "PERSON"),
                ("Andy Goram", "PERSON"),
            ],
            [
                ("Scotland", "GPE", (), 3),
                ("Andy Goram", "PERSON", ("Goram",), 2),
                ("Austria", "GPE", (), 1),
                ("Jim Leighton", "PERSON", (), 1),
            ],
            [(), (), ()],
        ),
        # Two people share the surname: the label is nobody's in particular.
        (
            ["Anna Berg and Lars Berg came.", "Berg: Hello."],
            [("Anna Berg", "PERSON"), ("Lars Berg", "PERSON")],
            [
                ("Anna Berg", "PERSON", (), 1),
                ("Lars Berg", "PERSON", (), 1),
                ("Berg", "PERSON", (), 1),
            ],
            [(), ("Berg",)],
        ),
    ],
)
def test_resolve_speakers_are_people_with_their_labels_as_mentions(
    paragraphs: list[str],
    spans: list[tuple[str, str]],
    expected: list[tuple[str, str, tuple[str, ...], int]],
    ids: list[tuple[str, ...]],
) -> None:
    segmented = _interview(paragraphs, spans)
    tagged = resolve(segmented, DEFAULT_LABELS)
    text = segmented.text
    for entity in tagged.entities:
        assert all(text[m.start : m.end] == m.text for m in entity.mentions)
    assert [(e.text, e.label, e.aliases, e.count) for e in tagged.entities] == expected
    names = {e.id: e.text for e in tagged.entities}
    assert [tuple(names[i] for i in section) for section in tagged.speaker_ids] == ids


def test_resolve_seed_speakers_resolve_to_their_people() -> None:
    (document,) = enrich_all([RawDocument(Source(SEED.name), SEED.read_bytes())], get_settings())
    assert isinstance(document, dict), document
    people = {e["text"]: e for e in document["entities"]}
    text = document["text"]
    for name in ("Andrew Scobell", "Heather Ashby", "Mary Glantz", "Jennifer Staats"):
        surname = name.split()[-1]
        entity = people[name]
        assert (entity["label"], entity["aliases"]) == ("PERSON", [surname])
        said = [
            (p["start"], text[p["start"] : text.find(":", p["start"])])
            for section in document["sections"]
            for p in section["paragraphs"]
        ]
        labels = [
            start + found.start()
            for start, label in said
            if label in {s for section in document["sections"] for s in section["speakers"]}
            for found in re.finditer(surname, label)
        ]
        assert labels
        assert set(labels) <= {m["start"] for m in entity["mentions"]}
    ids = {e["id"]: e["text"] for e in document["entities"]}
    for section in document["sections"]:
        written = [n for speaker in section["speakers"] for n in re.split(r", | and | & ", speaker)]
        assert [ids[i].split()[-1] for i in section["speaker_ids"]] == written


# A place's bare name stands for the one team it opens, in a report naming two or more.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        (
            "The Denver Owls beat the Tulsa Hawks. Denver led. Tulsa's coach left.",
            [
                ("Denver Owls", "ORG"),
                ("Tulsa Hawks", "ORG"),
                ("Denver", "GPE"),
                ("Tulsa", "GPE"),
            ],
            [
                ("Denver Owls", "ORG", ("Denver",), 2),
                ("Tulsa Hawks", "ORG", ("Tulsa",), 2),
            ],
        ),
        # A team the model called by a place it found: "Korgan" is a place elsewhere.
        (
            "The Korgan Bears beat the Ohio Kites. Korgan won. Ohio lost in Korgan town.",
            [
                ("Korgan Bears", "ORG"),
                ("Ohio Kites", "ORG"),
                ("Korgan", "ORG"),
                ("Ohio", "GPE"),
                ("Korgan", "GPE"),
            ],
            [
                ("Korgan Bears", "ORG", ("Korgan",), 2),
                ("Ohio Kites", "ORG", ("Ohio",), 2),
                ("Korgan", "GPE", (), 1),
            ],
        ),
        # Not where the text means the place: after "in" or "at", or in a dateline.
        (
            "DAYTON, Ohio 1996-08-29\n\nIn Dayton, the Dayton Owls beat the Ohio Kites.",
            [
                ("DAYTON", "GPE"),
                ("Ohio", "GPE"),
                ("Dayton", "GPE"),
                ("Dayton Owls", "ORG"),
                ("Ohio Kites", "ORG"),
            ],
            [
                ("Dayton", "GPE", ("DAYTON",), 2),
                ("Ohio", "GPE", (), 1),
                ("Dayton Owls", "ORG", (), 1),
                ("Ohio Kites", "ORG", (), 1),
            ],
        ),
        # Nor with one team named, two teams opened by one place, or a country's name.
        (
            "Denver is hot. The Denver Owls won.",
            [("Denver", "GPE"), ("Denver Owls", "ORG")],
            [("Denver", "GPE", (), 1), ("Denver Owls", "ORG", (), 1)],
        ),
        (
            "The Denver Owls and the Denver Hawks met. Denver is hot.",
            [("Denver Owls", "ORG"), ("Denver Hawks", "ORG"), ("Denver", "GPE")],
            [
                ("Denver Owls", "ORG", (), 1),
                ("Denver Hawks", "ORG", (), 1),
                ("Denver", "GPE", (), 1),
            ],
        ),
        (
            "The Kenya Lions beat the Tulsa Hawks. Kenya is dry.",
            [("Kenya Lions", "ORG"), ("Tulsa Hawks", "ORG"), ("Kenya", "GPE")],
            [
                ("Kenya Lions", "ORG", (), 1),
                ("Tulsa Hawks", "ORG", (), 1),
                ("Kenya", "GPE", (), 1),
            ],
        ),
        # Nor a paper or a firm: no plural, or a paper's "Times".
        (
            "The Denver Times and the Tulsa Press said Denver is hot.",
            [("Denver Times", "ORG"), ("Tulsa Press", "ORG"), ("Denver", "GPE")],
            [
                ("Denver Times", "ORG", (), 1),
                ("Tulsa Press", "ORG", (), 1),
                ("Denver", "GPE", (), 1),
            ],
        ),
        # Beside two such teams, a name a place opens whose rest stands alone is one too,
        # plural or not ("White Sox"); one whose rest never stands alone is not.
        (
            "The Denver Owls beat the Tulsa Hawks. The Dayton Red Sox lost. Red Sox fans "
            "left Dayton.",
            [
                ("Denver Owls", "ORG"),
                ("Tulsa Hawks", "ORG"),
                ("Dayton Red Sox", "ORG"),
                ("Red Sox", "ORG"),
                ("Dayton", "GPE"),
            ],
            [
                ("Dayton Red Sox", "ORG", ("Red Sox", "Dayton"), 3),
                ("Denver Owls", "ORG", (), 1),
                ("Tulsa Hawks", "ORG", (), 1),
            ],
        ),
        # So is a name a place opens that a score follows, of two words at most after it.
        (
            "The Denver Owls beat the Tulsa Hawks. They blanked the Dayton Red Sox 7-0 and the "
            "Ohio Stock Exchange Five 3-1. Dayton lost. Ohio slept.",
            [
                ("Denver Owls", "ORG"),
                ("Tulsa Hawks", "ORG"),
                ("Dayton Red Sox", "ORG"),
                ("Ohio Stock Exchange Five", "ORG"),
                ("Dayton", "GPE"),
                ("Ohio", "GPE"),
            ],
            [
                ("Dayton Red Sox", "ORG", ("Dayton",), 2),
                ("Denver Owls", "ORG", (), 1),
                ("Tulsa Hawks", "ORG", (), 1),
                ("Ohio Stock Exchange Five", "ORG", (), 1),
                ("Ohio", "GPE", (), 1),
            ],
        ),
        (
            "The Denver Owls beat the Tulsa Hawks. The Dayton Stock Exchange fell. Dayton slept.",
            [
                ("Denver Owls", "ORG"),
                ("Tulsa Hawks", "ORG"),
                ("Dayton Stock Exchange", "ORG"),
                ("Dayton", "GPE"),
            ],
            [
                ("Denver Owls", "ORG", (), 1),
                ("Tulsa Hawks", "ORG", (), 1),
                ("Dayton Stock Exchange", "ORG", (), 1),
                ("Dayton", "GPE", (), 1),
            ],
        ),
    ],
)
def test_resolve_folds_a_place_into_the_team_it_names(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


# A mention the model ran over two names is the names; what a name may hold stays whole.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        (
            "Scott Draper (Australia) beat Ivan Lendl.",
            [("Scott Draper (Australia", "PERSON"), ("Ivan Lendl", "PERSON")],
            [
                ("Scott Draper", "PERSON", (), 1),
                ("Australia", "GPE", (), 1),
                ("Ivan Lendl", "PERSON", (), 1),
            ],
        ),
        (
            "The World Health Organization (WHO) met.",
            [("World Health Organization (WHO", "ORG")],
            [("World Health Organization", "ORG", ("WHO",), 2)],
        ),
        (
            "Scorers:\nSlovakia - Lubomir Moravcik (13th)",
            [("Slovakia - Lubomir", "PERSON")],
            [("Slovakia", "GPE", (), 1)],
        ),
        (
            "Laurent Cabannes and Laurent Benezech scored.",
            [("Laurent Cabannes and Laurent Benezech", "PERSON")],
            [("Laurent Cabannes", "PERSON", (), 1), ("Laurent Benezech", "PERSON", (), 1)],
        ),
        (
            "(Gordon Durie 75th), Gary McAllister",
            [("Gordon Durie 75th", "PERSON")],
            [("Gordon Durie", "PERSON", (), 1)],
        ),
        (
            "Apply at Intelex Job - The best.",
            [("Intelex Job - The", "ORG")],
            [("Intelex Job", "ORG", (), 1)],
        ),
        # An organisation's name splits at a joining word or a figure only into places.
        (
            "Derbyshire and Surrey drew.",
            [("Derbyshire and Surrey", "ORG")],
            [("Derbyshire", "ORG", (), 1), ("Surrey", "ORG", (), 1)],
        ),
        (
            "Results: Pohang 3 Ulsan 2",
            [("Pohang 3 Ulsan 2", "ORG")],
            [("Pohang", "ORG", (), 1), ("Ulsan", "ORG", (), 1)],
        ),
        # A results line's two sides are two names, whatever their words.
        (
            "Division one\nGreenock Morton 1 Falkirk 0",
            [("Greenock Morton 1 Falkirk 0", "PERSON")],
            # Falkirk, a region a score follows, is its club.
            [("Greenock Morton", "PERSON", (), 1), ("Falkirk", "ORG", (), 1)],
        ),
        (
            "Customs and Border Protection said.",
            [("Customs and Border Protection", "ORG")],
            [("Customs and Border Protection", "ORG", (), 1)],
        ),
        (
            "Channel 4 News said.",
            [("Channel 4 News", "ORG")],
            [("Channel 4 News", "ORG", (), 1)],
        ),
        (
            "The National 9/11 Memorial opened.",
            [("National 9/11 Memorial", "ORG")],
            [("National 9/11 Memorial", "ORG", (), 1)],
        ),
        (
            "The U.S. 4th Circuit Court of Appeals ruled.",
            [("U.S. 4th Circuit Court of Appeals", "ORG")],
            [("U.S. 4th Circuit Court of Appeals", "ORG", (), 1)],
        ),
        # Nor a figure in what the model called a person: "Nintendo 64" is no score.
        (
            "The Nintendo 64 sold.",
            [("Nintendo 64", "PERSON")],
            [("Nintendo 64", "PERSON", (), 1)],
        ),
    ],
)
def test_resolve_splits_names_a_model_ran_together(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


# A region's or city's name the model ended before the plural after it is a team's name.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        (
            "The Denver Owls won. Denver is hot.",
            [("Denver", "GPE"), ("Denver", "GPE")],
            [("Denver Owls", "ORG", (), 1), ("Denver", "GPE", (), 1)],
        ),
        # Not a country's name ("Kenya Airways" is the model's to find), nor where the
        # model tagged the next word itself, nor before a word that is no plural.
        (
            "Kenya Airways flew.",
            [("Kenya", "GPE")],
            [("Kenya", "GPE", (), 1)],
        ),
        (
            "The Ohio Democrats met.",
            [("Ohio", "GPE"), ("Democrats", "NORP")],
            [("Ohio", "GPE", (), 1), ("Democrats", "NORP", (), 1)],
        ),
        (
            "The Denver Times said Denver Police came.",
            [("Denver", "GPE"), ("Denver", "GPE")],
            [("Denver", "GPE", (), 2)],
        ),
        # In a report on two teams so named, a plural the model tagged itself is the
        # team's name too, and the plural alone is the team, in the headline too.
        (
            "OWLS BEAT HAWKS\n\nThe Tulsa Hawks and Ohio Kites lost to the Denver Owls. Owls "
            "fans and the Dayton Rockies left. The Rockies won.",
            [
                ("HAWKS", "ORG"),
                ("Tulsa Hawks", "ORG"),
                ("Ohio Kites", "ORG"),
                ("Denver", "GPE"),
                ("Owls", "PERSON"),
                ("Dayton", "GPE"),
                ("Rockies", "LOC"),
                ("Rockies", "LOC"),
            ],
            [
                ("Denver Owls", "ORG", ("OWLS", "Owls"), 3),
                ("Tulsa Hawks", "ORG", ("HAWKS",), 2),
                ("Dayton Rockies", "ORG", ("Rockies",), 2),
                ("Ohio Kites", "ORG", (), 1),
            ],
        ),
        (
            "The Ohio Democrats met the Denver Greens.",
            [("Ohio", "GPE"), ("Democrats", "NORP"), ("Denver", "GPE"), ("Greens", "NORP")],
            [
                ("Ohio", "GPE", (), 1),
                ("Democrats", "NORP", (), 1),
                ("Denver", "GPE", (), 1),
                ("Greens", "NORP", (), 1),
            ],
        ),
    ],
)
def test_resolve_a_place_before_a_plural_is_the_team(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


# A region's or city's name a score follows is a club in a results line, not the place.
@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Leeds 250-6 declared.", "ORG"),
        ("Tulsa 42 Denver 36", "ORG"),
        ("Results:\nDayton 3/4\n", "ORG"),
        # Not a country's or nation's name (its national team), a distance, nor a date.
        ("Kenya 2 Chad 1", "GPE"),
        ("Scotland 15-10", "GPE"),
        ("Leeds 40 miles away.", "GPE"),
        ("LEEDS 1996-08-30", "GPE"),
        ("Leeds is dry.", "GPE"),
    ],
)
def test_resolve_a_place_a_score_follows_is_a_club(text: str, label: str) -> None:
    name = text.removeprefix("Results:\n").split()[0]
    assert _folded(text, [(name, "GPE")])[0][:2] == (name, label)


# In a report on teams named by place and plural, the place where a game was played ("In
# Chicago, the Braves ...") is the city, apart from its namesakes there, the home team.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        (
            "The Denver Owls beat the Tulsa Hawks. In Korgan, the Bears beat the Kites. "
            "Korgan's errors cost them.",
            [
                ("Denver Owls", "ORG"),
                ("Tulsa Hawks", "ORG"),
                ("Korgan", "GPE"),
                ("Korgan", "GPE"),
            ],
            [
                ("Denver Owls", "ORG", (), 1),
                ("Tulsa Hawks", "ORG", (), 1),
                ("Korgan", "GPE", (), 1),
                ("Korgan", "GPE", (), 1),
            ],
        ),
        # The dateline's city and the text's "In Dayton," are the one city.
        (
            "DAYTON 1996-08-29\n\nThe Denver Owls beat the Tulsa Hawks.\n\nIn Dayton, Dayton "
            "lost. At Dayton, rain fell.",
            [
                ("DAYTON", "GPE"),
                ("Denver Owls", "ORG"),
                ("Tulsa Hawks", "ORG"),
                ("Dayton", "GPE"),
                ("Dayton", "GPE"),
                ("Dayton", "GPE"),
            ],
            [
                ("Dayton", "GPE", ("DAYTON",), 3),
                ("Denver Owls", "ORG", (), 1),
                ("Tulsa Hawks", "ORG", (), 1),
                ("Dayton", "GPE", (), 1),
            ],
        ),
        # A dateline's region after the city names the place too ("ARLINGTON, Texas"), and
        # the place's mentions after "in" go with it.
        (
            "ARLINGTON, Texas 1996-08-31\n\nThe Denver Owls beat the Tulsa Hawks. Texas led. "
            "Rain fell in Texas.",
            [
                ("ARLINGTON", "GPE"),
                ("Texas", "GPE"),
                ("Denver Owls", "ORG"),
                ("Tulsa Hawks", "ORG"),
                ("Texas", "GPE"),
                ("Texas", "GPE"),
            ],
            [
                ("Texas", "GPE", (), 2),
                ("ARLINGTON", "GPE", (), 1),
                ("Denver Owls", "ORG", (), 1),
                ("Tulsa Hawks", "ORG", (), 1),
                ("Texas", "GPE", (), 1),
            ],
        ),
        # Not without two teams named so, nor mid-sentence ("in Korgan town"), nor where
        # no comma closes the opening words, nor for an organisation's name.
        (
            "In Korgan, the Bears won. Korgan's errors cost them.",
            [("Korgan", "GPE"), ("Korgan", "GPE")],
            [("Korgan", "GPE", (), 2)],
        ),
        (
            "The Denver Owls beat the Tulsa Hawks. Fans in Korgan, happy, cheered Korgan.",
            [("Denver Owls", "ORG"), ("Tulsa Hawks", "ORG"), ("Korgan", "GPE"), ("Korgan", "GPE")],
            [
                ("Korgan", "GPE", (), 2),
                ("Denver Owls", "ORG", (), 1),
                ("Tulsa Hawks", "ORG", (), 1),
            ],
        ),
        (
            "The Denver Owls beat the Tulsa Hawks. In Korgan the crowd cheered Korgan.",
            [("Denver Owls", "ORG"), ("Tulsa Hawks", "ORG"), ("Korgan", "GPE"), ("Korgan", "GPE")],
            [
                ("Korgan", "GPE", (), 2),
                ("Denver Owls", "ORG", (), 1),
                ("Tulsa Hawks", "ORG", (), 1),
            ],
        ),
        (
            "The Denver Owls beat the Tulsa Hawks. At Gatehouse, Gatehouse staff cheered.",
            [
                ("Denver Owls", "ORG"),
                ("Tulsa Hawks", "ORG"),
                ("Gatehouse", "ORG"),
                ("Gatehouse", "ORG"),
            ],
            [
                ("Gatehouse", "ORG", (), 2),
                ("Denver Owls", "ORG", (), 1),
                ("Tulsa Hawks", "ORG", (), 1),
            ],
        ),
    ],
)
def test_resolve_the_place_a_game_was_played_stays_apart_from_the_team(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected


# A short form in brackets after an organisation's name, or its name after the short form,
# is the same organisation where the letters agree; an editor's gloss in a quotation names
# the person it follows.
@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        (
            "Bank Rozwoju Exportu SA (BRE) bid. BRE won. KDP (Kurdistan Democratic Party) met.",
            [
                ("Bank Rozwoju Exportu SA", "ORG"),
                ("BRE", "ORG"),
                ("BRE", "ORG"),
                ("KDP", "ORG"),
                ("Kurdistan Democratic Party", "ORG"),
            ],
            [
                ("Bank Rozwoju Exportu SA", "ORG", ("BRE",), 3),
                ("Kurdistan Democratic Party", "ORG", ("KDP",), 2),
            ],
        ),
        # Not letters another name's, a corporate suffix, nor a name that is no acronym.
        (
            "Society of Actuaries (FSA) met. Acme Holdings (LLC) paid. Nordbank (Nordia) fell.",
            [
                ("Society of Actuaries", "ORG"),
                ("FSA", "ORG"),
                ("Acme Holdings", "ORG"),
                ("LLC", "ORG"),
                ("Nordbank", "ORG"),
                ("Nordia", "ORG"),
            ],
            [
                ("Society of Actuaries", "ORG", (), 1),
                ("FSA", "ORG", (), 1),
                ("Acme Holdings", "ORG", (), 1),
                ("LLC", "ORG", (), 1),
                ("Nordbank", "ORG", (), 1),
                ("Nordia", "ORG", (), 1),
            ],
        ),
        (
            'Yasser Arafat came. "Abu Ammar (Arafat) is right," he said. Arafat spoke.',
            [
                ("Yasser Arafat", "PERSON"),
                ("Abu Ammar", "PERSON"),
                ("Arafat", "PERSON"),
                ("Arafat", "PERSON"),
            ],
            [("Yasser Arafat", "PERSON", ("Arafat", "Abu Ammar"), 4)],
        ),
        (
            "He said they fled \u201cthe regime of Saddam (Hussein)\u201d last year.",
            [("Saddam", "PERSON"), ("Hussein", "PERSON")],
            [("Hussein", "PERSON", ("Saddam",), 2)],
        ),
        # A quotation a paragraph above opened, closed in this one.
        (
            '"The main thing is his plan.\n\nIt was agreed with Boris Nikolayevich '
            '(Yeltsin) yesterday." Boris Yeltsin left. Yeltsin smiled.',
            [
                ("Boris Nikolayevich", "PERSON"),
                ("Yeltsin", "PERSON"),
                ("Boris Yeltsin", "PERSON"),
                ("Yeltsin", "PERSON"),
            ],
            [("Boris Yeltsin", "PERSON", ("Yeltsin", "Boris Nikolayevich"), 4)],
        ),
        # Not outside a quotation: a role, or a country the model took for a person.
        (
            "Carl (Harris) is a plumber. Igor Potapovich (Kazakstan) won.",
            [
                ("Carl", "PERSON"),
                ("Harris", "PERSON"),
                ("Igor Potapovich", "PERSON"),
                ("Kazakstan", "PERSON"),
            ],
            [
                ("Carl", "PERSON", (), 1),
                ("Harris", "PERSON", (), 1),
                ("Igor Potapovich", "PERSON", (), 1),
                ("Kazakstan", "PERSON", (), 1),
            ],
        ),
        # Nor a bracket that holds more than the name, two full names, or no person.
        (
            '"Mulder (Joel Stransky, 48 mins) and Ann Lee (Jo Hart) and Ward (Leeds)," he said.',
            [
                ("Mulder", "PERSON"),
                ("Joel Stransky", "PERSON"),
                ("Ann Lee", "PERSON"),
                ("Jo Hart", "PERSON"),
                ("Ward", "PERSON"),
                ("Leeds", "GPE"),
            ],
            [
                ("Mulder", "PERSON", (), 1),
                ("Joel Stransky", "PERSON", (), 1),
                ("Ann Lee", "PERSON", (), 1),
                ("Jo Hart", "PERSON", (), 1),
                ("Ward", "PERSON", (), 1),
                ("Leeds", "GPE", (), 1),
            ],
        ),
    ],
)
def test_resolve_a_name_in_brackets_after_a_name_may_be_its_gloss(
    text: str, spans: list[tuple[str, str]], expected: list[tuple[str, str, tuple[str, ...], int]]
) -> None:
    assert _folded(text, spans) == expected
