"""Article body and metadata out of HTML pages (via trafilatura) and XML feeds or documents."""

from collections.abc import Iterator

import trafilatura
from lxml import etree, html
from trafilatura.settings import Document
from trafilatura.xml import xmltotxt

from workers.model import Block, BlockKind, Metadata
from workers.parsers import parse_html, parse_xml

Blocks = tuple[Block, ...]

# Measured on the article-extraction dev set (benchmarks/extraction.py): precision mode and
# no reader comments give the best F1 at the same recall.
_TRAFILATURA_OPTIONS: dict[str, object] = {
    "favor_precision": True,
    "include_comments": False,
    "with_metadata": True,
    # Dates only from what the page states in its markup and URL, not a scan of the prose.
    "date_extraction_params": {"extensive_search": False, "original_date": True},
}
_HEADING_TAGS = frozenset({"head", "title", "heading", "h1", "h2", "h3", "h4", "h5", "h6"})
# Elements that run inside a line of text rather than starting a block of their own.
_INLINE_TAGS = frozenset(
    {"a", "abbr", "b", "cite", "code", "em", "emphasis", "hi", "i", "q", "ref", "small", "span"}
    | {"strong", "sub", "sup", "time", "u", "mark", "link", "font"}
)
# Posts quoted from social networks: part of the story, but their wrappers carry the
# "social"/"embed" classes that trafilatura drops as share widgets.
_EMBEDDED_POSTS = etree.XPath(
    '//blockquote[contains(@class, "twitter-tweet") or contains(@class, "instagram-media")'
    ' or contains(@class, "tiktok-embed")]'
)
_WRAPPER_TAGS = frozenset({"div", "figure", "section", "span", "p", "aside"})
_SCRIPT_TAGS = frozenset({"script", "noscript", "style", "iframe"})
_FEED_BODY_TAGS = frozenset({"description", "summary", "content", "encoded"})
_FEED_ITEM_TAGS = frozenset({"item", "entry"})


def extract_html(markup: str) -> tuple[Metadata, Blocks]:
    """Main text of a page as heading and paragraph blocks, with what the page says about itself."""
    tree = parse_html(markup)
    _unwrap_embedded_posts(tree)
    # trafilatura takes our hardened tree as is, so the page is parsed once, by us.
    document = trafilatura.bare_extraction(tree, **_TRAFILATURA_OPTIONS)  # type: ignore[arg-type]
    language = _page_language(tree)
    if not isinstance(document, Document):
        return Metadata(language=language), ()
    return _page_metadata(document, language), _body_blocks(document.body)


def _unwrap_embedded_posts(tree: html.HtmlElement) -> None:
    """Lift each quoted social post out of the wrappers that hold nothing else but its script."""
    for post in _EMBEDDED_POSTS(tree):
        wrapper = post
        while (parent := wrapper.getparent()) is not None and _wraps_only(parent, wrapper):
            wrapper = parent
        if wrapper is not post:
            post.tail = wrapper.tail
            wrapper.getparent().replace(wrapper, post)


def _wraps_only(parent: html.HtmlElement, child: html.HtmlElement) -> bool:
    if parent.tag not in _WRAPPER_TAGS or (parent.text or "").strip():
        return False
    return all(c is child or c.tag in _SCRIPT_TAGS for c in parent)


def _page_metadata(document: Document, language: str | None) -> Metadata:
    authors = tuple(a.strip() for a in (document.author or "").split(";") if a.strip())
    return Metadata(
        title=document.title or None,
        authors=authors,
        published=document.date or None,
        language=language,
        site=document.sitename or None,
        url=document.url or None,
    )


def _page_language(tree: html.HtmlElement) -> str | None:
    """The language the page declares on <html lang> or a content-language meta tag."""
    declared = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not declared:
        metas = tree.xpath('//meta[@http-equiv="content-language"]/@content')
        declared = str(metas[0]) if metas else None
    return declared.strip().replace("_", "-") if declared and declared.strip() else None


def _body_blocks(body: etree._Element) -> Blocks:
    """One block per line of trafilatura's text, headings from its <head> elements."""
    blocks: list[Block] = []
    for child in body:
        kind: BlockKind = "heading" if child.tag == "head" else "paragraph"
        blocks.extend(_lines_as_blocks(xmltotxt(child, False), kind))
    return tuple(blocks)


def _lines_as_blocks(text: str, kind: BlockKind) -> Iterator[Block]:
    for line in text.splitlines():
        if line.strip():
            yield Block(kind, line.strip())


def extract_xml(markup: str) -> tuple[Metadata, Blocks]:
    """Feed items as headed sections, or any other XML document as its blocks of text."""
    root = parse_xml(markup)
    items = [el for el in root.iter() if _local(el) in _FEED_ITEM_TAGS]
    if not items:
        return Metadata(language=_xml_language(root)), tuple(_markup_blocks(root))
    channel = root.find("{*}channel")
    head = root if channel is None else channel
    metadata = Metadata(
        title=_child_text(head, "title"),
        language=_child_text(head, "language") or _xml_language(root),
        url=_child_text(head, "link") or _atom_link(head),
    )
    return metadata, tuple(block for item in items for block in _feed_item_blocks(item))


def _feed_item_blocks(item: etree._Element) -> Iterator[Block]:
    title = _child_text(item, "title")
    if title:
        yield Block("heading", title)
    for child in item:
        if _local(child) in _FEED_BODY_TAGS and child.text and child.text.strip():
            yield from _fragment_blocks(child.text)


def _fragment_blocks(text: str) -> Iterator[Block]:
    """Blocks of a feed description, which is often HTML escaped into the XML text."""
    if "<" in text:
        yield from _markup_blocks(parse_html(text).body)
    else:
        for paragraph in text.split("\n\n"):
            yield from _lines_as_blocks(" ".join(paragraph.split()), "paragraph")


def _markup_blocks(root: etree._Element) -> Iterator[Block]:
    """Text of block elements in document order; inline elements stay inside their line."""
    parts: list[str] = [root.text or ""]
    kind: BlockKind = "heading" if _local(root) in _HEADING_TAGS else "paragraph"
    for child in root:
        if not isinstance(child.tag, str):
            parts.append(child.tail or "")
        elif _local(child) in _INLINE_TAGS:
            parts.extend((child.xpath("string()"), child.tail or ""))
        elif _local(child) == "br":
            parts.extend(("\n", child.tail or ""))
        else:
            yield from _lines_as_blocks(_join_inline(parts), kind)
            yield from _markup_blocks(child)
            parts = [child.tail or ""]
    yield from _lines_as_blocks(_join_inline(parts), kind)


def _join_inline(parts: list[str]) -> str:
    """Inline text joined with single spaces inside each line."""
    return "\n".join(" ".join(line.split()) for line in "".join(parts).split("\n"))


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname.lower() if isinstance(element.tag, str) else ""


def _child_text(parent: etree._Element, name: str) -> str | None:
    for child in parent:
        if _local(child) == name and child.text and child.text.strip():
            return " ".join(child.text.split())
    return None


def _atom_link(parent: etree._Element) -> str | None:
    for child in parent:
        if _local(child) == "link" and child.get("rel", "alternate") == "alternate":
            return child.get("href") or None
    return None


def _xml_language(root: etree._Element) -> str | None:
    return root.get("{http://www.w3.org/XML/1998/namespace}lang") or None
