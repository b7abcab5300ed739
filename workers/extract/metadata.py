"""What an HTML page says about itself: title, authors, date, site, URL and language."""

from contextlib import suppress

from htmldate import find_date
from lxml import etree, html
from trafilatura import metadata as tmeta

from workers.model import Metadata
from workers.residue import byline_names_in

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Plain strings: lxml's default "smart" ones each build a proxy of their parent element.
_VISIBLE_TEXT = etree.XPath(".//text()[not(parent::script or parent::style)]", smart_strings=False)
# Elements a page marks as its author or byline, in document order, by class, id, rel or
# itemprop ('uthor' and 'yline' catch both cases). Plain XPath: EXSLT's re:test, as
# trafilatura's author XPaths use it, calls back into Python once per element.
_AUTHOR_MARKED = etree.XPath(
    "//@class[contains(., 'uthor') or contains(., 'yline')]/.."
    " | //@id[contains(., 'uthor') or contains(., 'yline')]/.."
    " | //@rel[. = 'author']/.. | //@itemprop[contains(., 'author')]/.."
)
# Marks that name the author element itself, tried before byline containers.
_AUTHOR_NAMED = ("author-name", "authorname", "author__name")
_PAGE_ROOTS = frozenset({"body", "html"})
_NOT_BYLINES = frozenset({"input", "meta", "link", "img", "article"}) | _PAGE_ROOTS
_NOT_BYLINE_REGIONS = frozenset({"aside", "footer", "nav", "form"})
_MARKED_AUTHOR_MAX_CHARS = 200
_MARKED_AUTHOR_TRIES = 100


def page_metadata(tree: html.HtmlElement) -> Metadata:
    """Title, authors, date, site and URL as the page states them, found once per page.

    The steps of trafilatura's extract_metadata for the fields we write, in its order, and
    not its categories, tags and licence, which took 40% of its time on the dev set. Authors
    the meta tags and JSON-LD do not state come from marked_authors, not trafilatura's
    author XPaths (5.5 ms a page, and they took commenters, roles and dates for names).
    """
    found = tmeta.examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None  # a one-word "author" is a handle or a site, not a name
    with suppress(Exception):  # trafilatura's JSON-LD reader raises on odd markup
        found = tmeta.extract_meta_json(tree, found)
    found.title = found.title or tmeta.extract_title(tree)
    found.url = found.url or tmeta.extract_url(tree)
    # Dates only from what the page states in its markup and URL, not a scan of the prose.
    found.date = find_date(tree, url=found.url, extensive_search=False, original_date=True)
    found.sitename = found.sitename or tmeta.extract_sitename(tree)
    if found.sitename:
        found.sitename = found.sitename.lstrip("@")
        if found.sitename and "." not in found.sitename and not found.sitename[0].isupper():
            found.sitename = found.sitename.title()
    elif found.url and (match := tmeta.META_URL.match(found.url)):
        found.sitename = match[1]
    found.clean_and_trim()
    stated = tuple(a.strip() for a in (found.author or "").split(";") if a.strip())
    authors = stated or marked_authors(tree)
    return Metadata(
        title=found.title or None,
        authors=authors,
        published=found.date or None,
        language=_page_language(tree),
        site=found.sitename or None,
        url=found.url or None,
    )


def marked_authors(tree: html.HtmlElement) -> tuple[str, ...]:
    """Names in the first element the markup marks as its author or byline that holds any."""
    marked = [e for e in _AUTHOR_MARKED(tree) if e.tag not in _NOT_BYLINES]
    # A byline is near the top: past the first candidates a page is only making work.
    for element in sorted(marked, key=lambda e: not _names_author(e))[:_MARKED_AUTHOR_TRIES]:
        if any(_in_comments_or_aside(e) for e in (element, *element.iterancestors())):
            continue
        text = visible_text(element)
        if names := byline_names_in(text[:_MARKED_AUTHOR_MAX_CHARS]):
            return names
    return ()


def _names_author(element: html.HtmlElement) -> bool:
    """rel=author, itemprop=author or an 'author' class: the element is the name itself."""
    classes = element.get("class", "").lower()
    return (
        element.get("rel") == "author"
        or "author" in element.get("itemprop", "")
        or "author" in classes.split()
        or any(mark in classes for mark in _AUTHOR_NAMED)
    )


def _in_comments_or_aside(element: html.HtmlElement) -> bool:
    """Readers' comments, sidebars and footers name other people than the author."""
    if element.tag in _PAGE_ROOTS:  # WordPress marks a whole page 'comments-open'
        return False
    signs = f"{element.get('class', '')} {element.get('id', '')}".lower()
    return element.tag in _NOT_BYLINE_REGIONS or "comment" in signs


def visible_text(element: html.HtmlElement) -> str:
    """The text a reader sees in an element, whitespace collapsed."""
    return " ".join(" ".join(_VISIBLE_TEXT(element)).split())


def _page_language(tree: html.HtmlElement) -> str | None:
    """The language the page declares on <html lang> or a content-language meta tag."""
    declared = tree.get("lang") or tree.get(XML_LANG)
    if not declared:
        metas = tree.xpath('//meta[@http-equiv="content-language"]/@content')
        declared = str(metas[0]) if metas else None
    return language_code(declared)


def language_code(declared: str | None) -> str | None:
    """ISO 639 code of a declared language tag: 'en-GB' -> 'en', 'pt_BR' -> 'pt'."""
    code = (declared or "").strip().replace("_", "-").split("-")[0].lower()
    return code if code.isalpha() and 2 <= len(code) <= 3 else None
