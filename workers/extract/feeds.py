"""RSS and Atom feed items as headed sections, an XHTML page as a page, other XML as blocks."""

from collections.abc import Iterator

from lxml import etree

from workers.extract.html import (
    Extraction,
    extract_html,
    lines_as_blocks,
    local_name,
    markup_blocks,
)
from workers.extract.metadata import XML_LANG, language_code
from workers.model import Block, Metadata
from workers.parsers import parse_html, parse_xml

# Where a feed item keeps its text, fullest first: RSS content:encoded and Atom content
# usually carry the whole post, description and summary a teaser of it.
_FEED_BODIES = ("encoded", "content", "description", "summary")
_FEED_ITEM_TAGS = frozenset({"item", "entry"})


def extract_xml(markup: str) -> Extraction:
    """Feed items as headed sections, an XHTML page as a page, any other XML as its blocks."""
    root = parse_xml(markup)
    if local_name(root) == "html":
        return extract_html(markup)  # an XHTML page: its body is an article like any page's
    items = [el for el in root.iter() if local_name(el) in _FEED_ITEM_TAGS]
    if not items:
        return Extraction(Metadata(language=_xml_language(root)), tuple(markup_blocks(root)))
    channel = root.find("{*}channel")
    head = root if channel is None else channel
    metadata = Metadata(
        title=_child_text(head, "title"),
        language=language_code(_child_text(head, "language")) or _xml_language(root),
        url=_child_text(head, "link") or _atom_link(head),
    )
    return Extraction(metadata, tuple(b for item in items for b in _feed_item_blocks(item)))


def _feed_item_blocks(item: etree._Element) -> Iterator[Block]:
    """An item's title as a heading, then its fullest body: the full content over a summary."""
    title = _child_text(item, "title")
    if title:
        yield Block("heading", title)
    bodies = {local_name(c): c for c in item if len(c) or (c.text and c.text.strip())}
    body = next((bodies[name] for name in _FEED_BODIES if name in bodies), None)
    if body is not None and len(body):
        yield from markup_blocks(body)  # Atom's inline XHTML content
    elif body is not None and body.text:
        yield from _fragment_blocks(body.text)


def _fragment_blocks(text: str) -> Iterator[Block]:
    """Blocks of a feed description, which is often HTML escaped into the XML text."""
    if "<" in text:
        yield from markup_blocks(parse_html(text).body)
    else:
        for paragraph in text.split("\n\n"):
            yield from lines_as_blocks(" ".join(paragraph.split()), "paragraph")


def _child_text(parent: etree._Element, name: str) -> str | None:
    for child in parent:
        if local_name(child) == name and child.text and child.text.strip():
            return " ".join(child.text.split())
    return None


def _atom_link(parent: etree._Element) -> str | None:
    for child in parent:
        if local_name(child) == "link" and child.get("rel", "alternate") == "alternate":
            return child.get("href") or None
    return None


def _xml_language(root: etree._Element) -> str | None:
    return language_code(root.get(XML_LANG))
