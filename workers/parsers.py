"""The one hardened lxml parser for HTML and one for XML: no entities, no DTDs, no network."""

import re

from lxml import etree, html

from workers.errors import Code, DocflowError

# resolve_entities=False and load_dtd=False keep external entities (file:// or http://)
# unread and entity bombs unexpanded; no_network blocks any fetch libxml2 might try;
# huge_tree=False keeps libxml2's own depth and text-node limits in force.
_INTERNAL_SUBSET = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<!DOCTYPE[^>\[]*\[", re.I | re.S
)
HTML_PARSER = html.HTMLParser(
    collect_ids=False,
    default_doctype=False,
    no_network=True,
    remove_comments=True,
    remove_pis=True,
    huge_tree=False,
    encoding="utf-8",
)
XML_PARSER = etree.XMLParser(
    resolve_entities=False,
    load_dtd=False,
    dtd_validation=False,
    no_network=True,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
    recover=False,
)


def parse_html(markup: str) -> html.HtmlElement:
    """Parse an HTML page; MALFORMED when it declares entities or libxml2 finds no document."""
    # HTML has no use for a DOCTYPE's internal subset; one there only declares entities,
    # which libxml2 leaves unexpanded as literal "&x;" text in the article.
    if _INTERNAL_SUBSET.match(markup):
        raise DocflowError(Code.MALFORMED, "HTML declares its own DTD entities", "clean")
    try:
        return html.document_fromstring(markup.encode("utf-8"), parser=HTML_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise DocflowError(Code.MALFORMED, f"unparseable HTML: {exc}", "clean") from exc


def parse_xml(markup: str) -> etree._Element:
    """Parse an XML document strictly; MALFORMED on any syntax error or entity trick."""
    try:
        return etree.fromstring(markup.encode("utf-8"), parser=XML_PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise DocflowError(Code.MALFORMED, f"unparseable XML: {exc}", "clean") from exc
