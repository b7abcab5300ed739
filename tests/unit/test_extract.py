"""HTML and XML extraction: the article body as blocks, metadata as stated, left-out regions."""

from pathlib import Path

import pytest
from lxml import html

from workers.clean import clean
from workers.errors import Code, DocflowError
from workers.extract import html as extract
from workers.extract.feeds import extract_xml
from workers.extract.html import Extraction, _agree, _visible_words, extract_html
from workers.model import Block, Cleaned, Decoded, Metadata, Source

BRIEF = Path(__file__).resolve().parents[2] / "seeds" / "policy_brief.html"
BRIEF_HEADINGS = (
    "Pay for maintenance, not only construction",
    "Map groundwater before drilling",
    "Treat herders as water users too",
    "What should donors do first?",
)


@pytest.fixture(scope="module")
def brief() -> Cleaned:
    markup = BRIEF.read_text(encoding="utf-8")
    return clean(Decoded("sha256:0", Source(BRIEF.name), "html", markup))


def test_extract_brief_metadata(brief: Cleaned) -> None:
    assert brief.metadata == Metadata(
        title="Water Security in the Sahel: Five Steps for Donors",
        authors=("Amina Diallo",),
        published="2024-04-18",
        language="en",
        site="Meridian Policy Institute",
        url="https://www.meridianpolicy.org/briefs/water-security-sahel",
    )


def test_extract_brief_headings_are_heading_blocks(brief: Cleaned) -> None:
    assert tuple(b.text for b in brief.blocks if b.kind == "heading") == BRIEF_HEADINGS


def test_extract_brief_body_from_first_to_last_paragraph(brief: Cleaned) -> None:
    assert brief.blocks[0].text.startswith("Across the Sahel, rainfall has become harder")
    assert brief.blocks[-1].text == (
        "None of these steps is new. What has been missing is the patience to fund them"
        " for long enough to work."
    )
    assert sum(b.kind == "paragraph" for b in brief.blocks) == 7


@pytest.mark.parametrize(
    ("kind", "start"),
    [
        ("navigation", "Meridian Policy Institute Research Regions"),
        ("navigation", "Home › Research"),
        ("caption", "Women draw water from a borehole"),
        ("related", "Related links Lake Chad Basin"),
        ("prompt", "Get our analysis in your inbox"),
        ("boilerplate", "We use cookies"),
        ("boilerplate", "Meridian Policy Institute, 14 Carrow Lane"),
    ],
)
def test_extract_brief_page_chrome_left_out_and_recorded(
    brief: Cleaned, kind: str, start: str
) -> None:
    assert any(r.kind == kind and r.text.startswith(start) for r in brief.removed)
    assert all(not b.text.startswith(start) for b in brief.blocks)


@pytest.mark.parametrize(
    "chrome",
    ["Accept all cookies", "Share this", "Privacy Policy", "Sign up for the Meridian Weekly"],
)
def test_extract_brief_chrome_not_in_body(brief: Cleaned, chrome: str) -> None:
    assert all(chrome not in b.text for b in brief.blocks)


PAGE = """<html lang="{lang}"><head><title>{title}</title></head><body><article>
<p>{body}</p></article></body></html>"""
BODY = " ".join(["The committee heard evidence from farmers and engineers all week."] * 4)


@pytest.mark.parametrize(
    ("lang", "language"),
    [("en-GB", "en"), ("pt_BR", "pt"), ("FR", "fr"), ("", None), ("x-1", None)],
)
def test_extract_language_as_declared(lang: str, language: str | None) -> None:
    extraction = extract_html(PAGE.format(lang=lang, title="Hearing", body=BODY))
    assert extraction.metadata.language == language


def test_extract_unknown_metadata_is_none() -> None:
    metadata = extract_html(PAGE.format(lang="", title="", body=BODY)).metadata
    assert (metadata.authors, metadata.published, metadata.url) == ((), None, None)


def test_extract_quoted_tweet_kept_from_social_wrapper() -> None:
    tweet = "Water is life and the pumps are broken again"
    markup = PAGE.format(lang="en", title="Hearing", body=BODY).replace(
        "</p></article>",
        f'</p><div class="social-media-embed"><blockquote class="twitter-tweet"><p>{tweet}</p>'
        "</blockquote><script>load()</script></div><p>" + BODY + "</p></article>",
    )
    assert tweet in [b.text for b in extract_html(markup).blocks]


BYLINE_PAGE = """<html><body class="single comments-open"><article>
<div class="post-meta"><span class="byline">By Ana Ruiz | May 3, 2024</span>
<a rel="author" href="/ana">{named}</a></div>
<p>{body}</p>
<ol class="comment-list"><li><span class="comment-author">Bob Stone</span> says: great</li></ol>
<aside><div class="author-bio">Cara Lind writes about water.</div></aside>
</article></body></html>"""


@pytest.mark.parametrize(
    ("named", "authors"),
    [
        ("Li Wei", ("Li Wei",)),  # the element rel=author names, before the byline container
        ("li", ("Ana Ruiz",)),  # no name in it: the byline, never a commenter or an aside
    ],
)
def test_extract_authors_from_marked_byline(named: str, authors: tuple[str, ...]) -> None:
    markup = BYLINE_PAGE.format(named=named, body=BODY)
    assert extract_html(markup).metadata.authors == authors


def test_extract_stated_author_before_markup() -> None:
    markup = BYLINE_PAGE.format(named="Li Wei", body=BODY).replace(
        "<body", '<head><meta name="author" content="Dana Scully"></head><body'
    )
    assert extract_html(markup).metadata.authors == ("Dana Scully",)


def test_extract_no_author_from_comments_or_asides() -> None:
    markup = BYLINE_PAGE.format(named="li", body=BODY).replace("By Ana Ruiz | ", "")
    assert extract_html(markup).metadata.authors == ()


RSS = """<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Meridian Briefs</title><link>https://www.meridianpolicy.org/</link>
<language>en</language>
<item><title>Water in the Sahel</title><link>https://example.org/a</link>
<description>&lt;p&gt;Donors built wells that &lt;em&gt;stopped&lt;/em&gt; working.&lt;/p&gt;
&lt;p&gt;Maintenance is the answer.&lt;/p&gt;</description></item>
<item><title>Lake Chad</title><guid>42</guid><description>The lake has shrunk.</description>
<content:encoded>The lake has shrunk by ninety percent.</content:encoded></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr"><title>Notes</title>
<link rel="alternate" href="https://example.org/notes"/>
<entry><title>First note</title><summary>Short summary of the note.</summary></entry>
<entry><title>Second note</title><summary>Teaser.</summary><content type="xhtml">
<div xmlns="http://www.w3.org/1999/xhtml"><p>Full <b>second</b> note.</p></div></content></entry>
</feed>"""
GENERIC = """<?xml version="1.0"?><article><title>Field report</title>
<section><heading>Wells</heading><para>Most wells <emphasis>failed</emphasis> within
two years.</para><para>Repairs are cheap.</para></section></article>"""


@pytest.mark.parametrize(
    ("markup", "blocks", "metadata"),
    [
        (
            RSS,
            [
                ("heading", "Water in the Sahel"),
                ("paragraph", "Donors built wells that stopped working."),
                ("paragraph", "Maintenance is the answer."),
                ("heading", "Lake Chad"),
                ("paragraph", "The lake has shrunk by ninety percent."),
            ],
            Metadata(title="Meridian Briefs", language="en", url="https://www.meridianpolicy.org/"),
        ),
        (
            ATOM,
            [
                ("heading", "First note"),
                ("paragraph", "Short summary of the note."),
                ("heading", "Second note"),
                ("paragraph", "Full second note."),
            ],
            Metadata(title="Notes", language="fr", url="https://example.org/notes"),
        ),
        (
            GENERIC,
            [
                ("heading", "Field report"),
                ("heading", "Wells"),
                ("paragraph", "Most wells failed within two years."),
                ("paragraph", "Repairs are cheap."),
            ],
            Metadata(),
        ),
    ],
)
def test_extract_xml_blocks_and_metadata(
    markup: str, blocks: list[tuple[str, str]], metadata: Metadata
) -> None:
    extraction = extract_xml(markup)
    assert [(b.kind, b.text) for b in extraction.blocks] == blocks
    assert extraction.metadata == metadata


@pytest.mark.parametrize(
    "markup",
    ["<rss><channel><item></channel></rss>", "<x>unclosed", "not xml at all"],
)
def test_extract_xml_bad_markup_is_malformed(markup: str) -> None:
    with pytest.raises(DocflowError) as caught:
        extract_xml(markup)
    assert caught.value.code is Code.MALFORMED


def test_extract_xml_external_entity_not_read() -> None:
    markup = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>before &e; after</x>'
    assert [b.text for b in extract_xml(markup).blocks] == ["before after"]


def test_extract_empty_page_gives_no_blocks() -> None:
    assert extract_html("<html><body><nav>Home</nav></body></html>").blocks == ()


def test_extract_result_is_frozen() -> None:
    extraction = Extraction(Metadata(), ())
    with pytest.raises(AttributeError):
        extraction.blocks = ()  # type: ignore[misc]


def test_extract_xml_xhtml_page_read_as_a_page() -> None:
    markup = (
        '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
        '<nav><a href="/">Home</a> <a href="/news">News</a></nav>'
        f"<article><p>{BODY}</p><p>{BODY}</p></article>"
        "<footer>Contact us</footer></body></html>"
    )
    texts = [b.text for b in extract_xml(markup).blocks]
    assert texts and all(t == BODY for t in texts)


@pytest.mark.parametrize(
    ("first", "second", "agree"),
    [
        ("the mayor said the bridge opens in may", "the mayor said the bridge opens in may", True),
        ("a b c d e f g h i j", "a b c d e f g h i j k", True),
        ("a b c d e f g h i j", "a b c d e f g h i", True),
        ("a b c d e f g h i j", "a b c d e", False),
        ("a b c d e", "a b c d e f g h i j", False),
        ("story words here", "menu links footer", False),
        ("", "", False),
        ("words", "", False),
    ],
)
def test_extract_bodies_agree_when_each_has_the_others_words(
    first: str, second: str, agree: bool
) -> None:
    assert _agree(first.split(), second.split()) is agree


_STORY = "".join(
    f"<p>Paragraph {n} of the council story tells how the bridge vote went and why.</p>"
    for n in range(12)
)


def _page(chrome: str) -> str:
    return f"<html><body><nav>{chrome}</nav><article>{_STORY}</article></body></html>"


@pytest.mark.parametrize(
    ("chrome", "consulted"),
    [
        ("<a href='/'>Home</a> <a href='/news'>News</a>", False),  # the story is the page
        (" ".join(f"<a href='/{n}'>Other headline number {n}</a>" for n in range(60)), True),
    ],
)
def test_extract_readability_consulted_only_when_the_page_holds_more(
    monkeypatch: pytest.MonkeyPatch, chrome: str, consulted: bool
) -> None:
    calls: list[int] = []
    readability = extract.readability_blocks

    def counted(tree: object) -> object:
        calls.append(1)
        return readability(tree)  # type: ignore[arg-type]

    monkeypatch.setattr(extract, "readability_blocks", counted)
    found = extract_html(_page(chrome))
    assert bool(calls) is consulted
    assert "Paragraph 11 of the council story" in " ".join(b.text for b in found.blocks)


def test_extract_visible_words_leave_out_scripts_and_styles() -> None:
    tree = html.document_fromstring(
        "<html><head><style>p { color: red }</style><script>var a = 1;</script></head>"
        "<body><p>Three <b>visible</b> words</p><script>more hidden code</script></body></html>"
    )
    assert _visible_words(tree) == 3


def _body(words: int, word: str = "story") -> tuple[Block, ...]:
    return (Block("paragraph", " ".join(f"{word}{n}" for n in range(words))),)


# Each candidate's length in words ("story" words unless noted); what choose_body keeps.
@pytest.mark.parametrize(
    ("precise", "readability", "default", "full", "baseline", "visible", "kept"),
    [
        (300, 290, 300, 300, 300, 350, "precise"),  # the page holds no more
        (300, 290, 300, 300, 2000, 2500, "precise"),  # full cascade finds no more
        (300, 290, 300, 1500, 1600, 2000, "full"),  # both fast ones collapsed alike
        (300, 290, 300, 1500, -1600, 2000, "precise"),  # ... but the baseline disagrees
        (300, 290, 300, 1500, 1000, 1100, "precise"),  # page under four times precision's
        (100, 900, 800, 800, 900, 1000, "default"),  # precision collapsed
        (100, 900, 200, 200, 900, 1000, "readability"),  # ... and default mode with it
        (300, 500, 300, 300, 500, 1000, "readability"),  # Readability longer, baseline backs it
        (300, 500, 300, 300, -500, 1000, "precise"),  # ... baseline does not
        (300, 100, 600, 600, 600, 1000, "default"),  # Readability sees less, default more
        (300, 100, 600, 600, 300, 1000, "precise"),  # ... baseline too short to back it
    ],
)
def test_extract_choose_body_by_agreement(
    monkeypatch: pytest.MonkeyPatch,
    precise: int,
    readability: int,
    default: int,
    full: int,
    baseline: int,
    visible: int,
    kept: str,
) -> None:
    # A negative baseline length: that many words, none of them the story's.
    baseline_text = " ".join(
        f"menu{n}" if baseline < 0 else f"story{n}" for n in range(abs(baseline))
    )
    bodies = {
        "precise": _body(precise),
        "readability": _body(readability),
        "default": _body(default),
        "full": _body(full),
    }

    def trafilatura_blocks(_tree: object, _url: object, mode: str, fast: bool = True) -> object:
        return bodies["precise" if mode == "precision" else "default" if fast else "full"]

    monkeypatch.setattr(extract, "trafilatura_blocks", trafilatura_blocks)
    monkeypatch.setattr(extract, "readability_blocks", lambda _tree: bodies["readability"])
    monkeypatch.setattr(extract, "_visible_words", lambda _tree: visible)
    monkeypatch.setattr(extract.trafilatura, "baseline", lambda _tree: (None, baseline_text, 0))
    chosen = extract.choose_body(html.document_fromstring("<p>page</p>"), None)
    assert chosen is bodies[kept]


_ARTICLE = Block(
    "paragraph",
    "The council voted on Tuesday to rebuild the old bridge over the river, "
    "after two years of talks about its cost and who should pay for the work.",
)
_MENU = tuple(Block("paragraph", f"| Home | News {n} | Sport | Weather |") for n in range(4))
_RESULTS = tuple(
    Block("paragraph", f"| {n} | Driver {n} | Team {n} | {90 - n} |") for n in range(9)
)


@pytest.mark.parametrize(
    ("precise", "readability", "kept"),
    [
        ((*_MENU, _ARTICLE), (_ARTICLE,), "readability"),  # a page laid out in a table
        (_RESULTS, _RESULTS[:4], "precise"),  # a table of data is the content
        ((_ARTICLE,), (_ARTICLE,), "precise"),  # no table: nothing to choose between
    ],
)
def test_extract_choose_body_reads_a_layout_table_by_readability(
    monkeypatch: pytest.MonkeyPatch,
    precise: tuple[Block, ...],
    readability: tuple[Block, ...],
    kept: str,
) -> None:
    bodies = {"precise": precise, "readability": readability}
    monkeypatch.setattr(extract, "trafilatura_blocks", lambda *_, **__: bodies["precise"])
    monkeypatch.setattr(extract, "readability_blocks", lambda _tree: bodies["readability"])
    monkeypatch.setattr(extract, "_visible_words", lambda _tree: extract._words(precise))
    chosen = extract.choose_body(html.document_fromstring("<p>page</p>"), None)
    assert chosen is bodies[kept]
