"""The one hardened lxml parser for HTML and one for XML: no entities, no DTDs, no network."""

import re
from html.entities import name2codepoint

from lxml import etree, html

from workers.errors import Code, DocflowError

# resolve_entities=False and load_dtd=False keep external entities (file:// or http://)
# unread and entity bombs unexpanded; no_network blocks any fetch libxml2 might try;
# huge_tree=False keeps libxml2's own depth and text-node limits in force.
# What can hide a "]" inside a DOCTYPE's internal subset: a quoted string or a comment.
_SPACE = re.compile(r"\s*")
_SUBSET_STOP = re.compile(r"""[\]"']|<!--""")
_ENTITY_DECLARED = re.compile(r"""<!ENTITY\s+([^\s%"'>]+)""")
_REFERENCE = re.compile(r"&([^\W\d][\w.:-]*);")
HTML_PARSER = html.HTMLParser(
    collect_ids=False,
    default_doctype=False,
    no_network=True,
    remove_comments=True,
    remove_pis=True,
    huge_tree=False,
    encoding="utf-8",
)
# lxml.html picks each element's class in a Python callback, once per element proxy made
# (trafilatura and Readability make millions); every element is an HtmlElement here, the
# class chosen in C: the form and label subclasses it would pick are not used.
HTML_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=html.HtmlElement,
        comment=html.HtmlComment,
        pi=html.HtmlProcessingInstruction,
        entity=html.HtmlEntity,
    )
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
    """Parse an HTML page, its DOCTYPE's own declarations unused; MALFORMED for no document."""
    markup = without_internal_subset(markup)
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


def without_internal_subset(markup: str) -> str:
    """A page with its DOCTYPE's internal subset dropped, and references to what it declared.

    HTML has no use for the subset; libxml2 would read its "]>" as text and leave each
    reference to a declared entity as literal "&x;" in the article. An entity HTML itself
    defines is left for the parser to decode.

    >>> without_internal_subset('<!DOCTYPE html [<!ENTITY x "y">]><p>&x; &amp;</p>')
    '<!DOCTYPE html ><p> &amp;</p>'
    """
    opening = _subset_start(markup)
    if opening < 0:
        return markup
    closing = _subset_end(markup, opening + 1)
    if closing < 0:  # the subset never closes: the rest of the page is inside it
        return markup[:opening] + ">"
    declared = {
        name
        for name in _ENTITY_DECLARED.findall(markup, opening, closing)
        if name not in name2codepoint
    }
    doctype_end = markup.find(">", closing)
    rest = markup[doctype_end if doctype_end >= 0 else closing :]
    if declared:
        rest = _REFERENCE.sub(lambda m: "" if m.group(1) in declared else m.group(0), rest)
    return markup[:opening] + rest


def _subset_start(markup: str) -> int:
    """Where the "[" of a leading DOCTYPE's internal subset stands, or -1.

    One pass over what may come before a DOCTYPE (an XML declaration, comments), each
    skipped with a find: time linear in the page however many comments it opens with.
    """
    at = _after_space(markup, 0)
    if markup.startswith("<?xml", at):
        at = markup.find(">", at)
        if at < 0:
            return -1
        at += 1
    while True:
        at = _after_space(markup, at)
        if not markup.startswith("<!--", at):
            break
        at = markup.find("-->", at + 4)
        if at < 0:
            return -1
        at += 3
    if markup[at : at + 9].upper() != "<!DOCTYPE":
        return -1
    end = markup.find(">", at)
    return markup.find("[", at, end if end >= 0 else len(markup))


def _subset_end(markup: str, at: int) -> int:
    """Just past the "]" closing an internal subset whose body starts at at, or -1."""
    while match := _SUBSET_STOP.search(markup, at):
        stop = match.group()
        if stop == "]":
            return match.end()
        closer = "-->" if stop == "<!--" else stop
        end = markup.find(closer, match.end())
        if end < 0:
            return -1
        at = end + len(closer)
    return -1


def _after_space(markup: str, at: int) -> int:
    match = _SPACE.match(markup, at)
    return match.end() if match else at
