"""A fast path for well-formed RSS 2.0 / 0.9x, RSS 1.0 (RDF) and Atom 1.0, with lxml.

feedparser is thorough but costs 1–4 ms per item in pure Python (``bench/feeds.py``); an
hourly pass over hundreds of feeds would spend most of its time there. Feeds that use only what this module reads exactly are
read here instead, with the same rules and results as the feedparser adapter
(``tests/test_parse_conformance.py`` checks both paths agree on every file of a conformance
corpus). It **declines** (returns None, and the feed goes to feedparser) on anything else:
malformed XML, a DOCTYPE (entities), other roots or versions, an item element feedparser gives
a meaning to that is not read here (``dcterms:*``, ``dc:title``, ``media:title``, ``<body>``,
``itunes:summary``, …), a repeated title/link/date/body element, element children where text
is expected, an ``xhtml`` title, Atom content in another type, by reference or in base64.
Elements feedparser ignores too (``wfw:commentRss``, ``slash:comments``, …) do not matter.
Dates are read as feedparser reads them (``feed_dates.py``); feedparser is imported only when a
feed or a date needs it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import urljoin

from lxml import etree

from ._feedparser_tables import HANDLED, NAMESPACES
from .feed_dates import parse_date_ms
from .model import Feed, FeedItem, item_problem
from .rules import as_html, feedparser_fixups, impossible_offset, looks_like_html, plain_title

__all__ = ["parse_fast"]

ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC = "{http://purl.org/dc/elements/1.1/}"
MEDIA = "{http://search.yahoo.com/mrss/}"
MEDIA_DESC = MEDIA + "description"
_XHTML_DIV = "{http://www.w3.org/1999/xhtml}div"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, recover=False, remove_comments=True, remove_pis=True)

# Item elements read here, and how many of each an item may have (None: any number).
_RSS_READ: dict[str, int | None] = {
    "title": 1, "link": 1, "description": 1, "pubDate": 1, "guid": 1, "category": None, "author": 1,
    "comments": None, "enclosure": None, "source": 1,
    CONTENT: 1, DC + "creator": 1, DC + "date": 1, DC + "subject": None,
    MEDIA + "group": None, MEDIA + "content": None, MEDIA + "thumbnail": None, MEDIA_DESC: None,
}  # fmt: skip
_ATOM_READ: dict[str, int | None] = {
    "title": 1, "link": None, "id": 1, "published": 1, "updated": 1, "content": 1, "summary": 1,
    "author": 1, "contributor": None, "category": None, "rights": 1,
    MEDIA + "group": None, MEDIA + "content": None, MEDIA + "thumbnail": None, MEDIA_DESC: None,
}  # fmt: skip
# Elements that hold other elements (their descendants are checked too).
_CONTAINERS = {MEDIA + "group", MEDIA + "content", "author", "contributor"}
_MEDIA_INNER = {MEDIA + "content", MEDIA + "thumbnail", MEDIA_DESC}
_ATOM_TEXT_TYPES = ("text", "html")
_ATOM_BODY_TYPES = ("text", "html", "xhtml")
_MIME = {"text": "text/plain", "html": "text/html", "xhtml": "application/xhtml+xml"}
_RSS_VERSIONS = {"2.0": "rss20", "0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
_ENTITY_IN_LINK = re.compile("&([A-Za-z0-9_]+);")
_KNOWN_NS = NAMESPACES


class _Decline(Exception):
    """The feed uses something only feedparser reads exactly."""


def _feedparser_name(el: etree._Element) -> str:
    """The handler name feedparser dispatches ``el`` to (``dc_title``, ``title``, …)."""
    qname = etree.QName(el)
    uri = (qname.namespace or "").lower()
    prefix = _KNOWN_NS.get(uri, el.prefix or "")
    local = qname.localname.lower()
    return f"{prefix}_{local}" if prefix else local


def _inert(el: etree._Element) -> bool:
    """feedparser gives this element no meaning (it is stored under its own name, unread)."""
    name = _feedparser_name(el)
    return name not in HANDLED


def _local(el: etree._Element, ns: str) -> str:
    tag = str(el.tag)
    return tag[len(ns) :] if ns and tag.startswith(ns) else tag


def _allowed_inside(container: str, inner: etree._Element, ns: str) -> bool:
    if not isinstance(inner.tag, str):
        return False
    if container in ("author", "contributor"):
        return _local(inner, ns) in ("name", "email", "uri") and len(inner) == 0
    return inner.tag in _MEDIA_INNER or (_inert(inner) and len(inner) == 0)


def _check(item: etree._Element, ns: str, read: dict[str, int | None], inner_ok: tuple[str, ...] = ()) -> None:
    """Decline unless every element of ``item`` is read here exactly or ignored by feedparser."""
    counts: dict[str, int] = {}
    for child in item:
        if not isinstance(child.tag, str):
            raise _Decline  # an unresolved entity
        name = _local(child, ns)
        if name not in read:
            if _inert(child) and len(child) == 0:
                continue
            raise _Decline
        counts[name] = counts.get(name, 0) + 1
        limit = read[name]
        if limit is not None and counts[name] > limit:
            raise _Decline  # feedparser keeps the first of some, the last of others
        if name in _CONTAINERS:
            if not all(_allowed_inside(name, inner, ns) for inner in child.iterdescendants()):
                raise _Decline
        elif len(child) and name not in inner_ok:
            raise _Decline  # markup as elements where text is expected


def _ms(value: str | None) -> int | None:
    if not value or not value.strip() or impossible_offset(value):
        return None
    return parse_date_ms(value.strip())


def _text(el: etree._Element | None) -> str:
    return feedparser_fixups("".join(el.itertext()).strip()) if el is not None else ""


def _first_time(item: etree._Element, *tags: str) -> int | None:
    for tag in tags:
        ms = _ms(item.findtext(tag))
        if ms is not None:
            return ms
    return None


def _longest(values: list[str]) -> str:
    values = [v for v in values if v.strip()]
    return max(values, key=len) if values else ""


def _join(base: str, link: str) -> str:
    if "&" in link:  # feedparser's repair of "&amp;" left in links
        link = _ENTITY_IN_LINK.sub(r"&\g<1>", link.replace("&amp;", "&"))
    return urljoin(base, link)


def _rss_link(item: etree._Element, ns: str, url: str) -> str:
    el = item.find(ns + "link")
    link = _text(el)
    if el is not None and link:
        return _join(el.base or url, link)  # honours xml:base
    guid = item.find(ns + "guid")
    ident = _rss_guid(item, ns)
    permalink = ns == RSS1 or (guid is not None and guid.get("isPermaLink", "true").strip().lower() == "true")
    # An item without a link is known by its id when the id is a web address.
    return _join(url, ident) if permalink and ident.startswith(("http://", "https://")) else ""


def _rss_guid(item: etree._Element, ns: str) -> str:
    if ns == RSS1:  # RSS 1.0 names its items by rdf:about
        return (item.get(RDF + "about") or "").strip()
    return _text(item.find(ns + "guid"))


def _rss_item(item: etree._Element, ns: str, url: str) -> FeedItem:
    encoded = _text(item.find(CONTENT))
    if encoded:
        body, body_from = encoded, "content"
    else:
        body = _longest([_text(item.find(ns + "description"))] + [_text(m) for m in item.iter(MEDIA_DESC)])
        body_from = "summary" if body else ""
    title = _text(item.find(ns + "title"))
    categories = [c for c in (_text(e) for e in item.findall(ns + "category")) if c]
    categories += [c for c in (_text(e) for e in item.findall(DC + "subject")) if c]
    return FeedItem(
        title=plain_title(title, looks_like_html(title)),
        link=_rss_link(item, ns, url),
        body=body,
        body_from=body_from,
        published=_first_time(item, ns + "pubDate", DC + "date"),
        guid=_rss_guid(item, ns),
        categories=categories,
        author=_text(item.find(ns + "author")) or _text(item.find(DC + "creator")),
    )


def _atom_type(el: etree._Element, allowed: tuple[str, ...]) -> str:
    if el.get("src") is not None or el.get("mode") is not None:
        raise _Decline  # content by reference, or base64 / escaped modes
    kind = str(el.get("type", "text")).strip().lower()
    if kind not in allowed:
        raise _Decline
    if kind != "xhtml" and len(el):
        raise _Decline
    return kind


def _xhtml(el: etree._Element) -> str:
    """An Atom ``xhtml`` construct as HTML; escaped text (``&lt;img&gt;``) stays text."""
    div = el.find(_XHTML_DIV)
    holder = div if div is not None and len(el) == 1 and not (el.text or "").strip() else el
    parts = [html.escape(holder.text or "", quote=False)]
    parts += [etree.tostring(c, encoding="unicode", method="html", with_tail=True) for c in holder]
    return feedparser_fixups("".join(parts).replace(' xmlns="http://www.w3.org/1999/xhtml"', "").strip())


def _atom_body(el: etree._Element | None) -> str:
    if el is None:
        return ""
    kind = _atom_type(el, _ATOM_BODY_TYPES)
    value = _xhtml(el) if kind == "xhtml" else _text(el)
    return as_html(value, _MIME[kind]) if value else ""


def _atom_link(entry: etree._Element, url: str) -> str:
    for el in entry.findall(ATOM + "link"):
        href = (el.get("href") or "").strip()
        if el.get("rel", "alternate").strip().lower() == "alternate" and href:
            return _join(el.base or url, href)  # honours xml:base
    ident = _text(entry.find(ATOM + "id"))
    # An entry without a link is known by its id when the id is a web address.
    return _join(url, ident) if ident.startswith(("http://", "https://")) else ""


def _atom_author(el: etree._Element | None) -> str:
    """The author as feedparser writes it: ``name (email)``."""
    if el is None:
        return ""
    name, email = _text(el.find(ATOM + "name")), _text(el.find(ATOM + "email"))
    if email and not name:
        raise _Decline
    return f"{name} ({email})" if email else name


def _atom_entry(entry: etree._Element, url: str) -> FeedItem:
    content = _atom_body(entry.find(ATOM + "content"))
    if content.strip():
        body, body_from = content, "content"
    else:
        body = _longest([_atom_body(entry.find(ATOM + "summary"))] + [_text(m) for m in entry.iter(MEDIA_DESC)])
        body_from = "summary" if body else ""
    title_el = entry.find(ATOM + "title")
    kind = _atom_type(title_el, _ATOM_TEXT_TYPES) if title_el is not None else "text"
    return FeedItem(
        title=plain_title(_text(title_el), kind == "html"),
        link=_atom_link(entry, url),
        body=body,
        body_from=body_from,
        published=_first_time(entry, ATOM + "published", ATOM + "updated"),
        guid=_text(entry.find(ATOM + "id")),
        categories=[c.get("term") or c.get("label") or "" for c in entry.findall(ATOM + "category") if c.get("term") or c.get("label")],
        author=_atom_author(entry.find(ATOM + "author")),
    )


def _items(elements: list[etree._Element], build: Callable[[etree._Element], FeedItem], where: Callable[[etree._Element], str]) -> tuple[list[FeedItem], list[str]]:
    items, problems = [], []
    for n, el in enumerate(elements, 1):
        try:
            items.append(build(el))
        except ValueError as e:  # e.g. a link that is not a URL: only this item is lost
            problems.append(item_problem(n, where(el), e))
    return items, problems


def _rss_where(ns: str) -> Callable[[etree._Element], str]:
    return lambda el: _text(el.find(ns + "link")) or _text(el.find(ns + "title"))


def _atom_where(el: etree._Element) -> str:
    link = el.find(ATOM + "link")
    href = str(link.get("href") or "") if link is not None else ""
    return href or _text(el.find(ATOM + "title"))


def _rss(root: etree._Element, url: str) -> Feed | None:
    channel = root.find("channel")
    fmt = _RSS_VERSIONS.get((root.get("version") or "2.0").strip())
    if channel is None or fmt is None:
        return None
    elements = channel.findall("item")
    for el in elements:
        _check(el, "", _RSS_READ)
    items, problems = _items(elements, lambda el: _rss_item(el, "", url), _rss_where(""))
    return Feed(fmt, _text(channel.find("title")), _text(channel.find("link")), items, problems=problems)


def _rdf(root: etree._Element, url: str) -> Feed | None:
    channel = root.find(RSS1 + "channel")
    elements = root.findall(RSS1 + "item")
    if channel is None and not elements:
        return None
    for el in elements:
        _check(el, RSS1, _RSS_READ)
    items, problems = _items(elements, lambda el: _rss_item(el, RSS1, url), _rss_where(RSS1))
    title = _text(channel.find(RSS1 + "title")) if channel is not None else ""
    link = _text(channel.find(RSS1 + "link")) if channel is not None else ""
    return Feed("rss10", title, link, items, problems=problems)


def _atom(root: etree._Element, url: str) -> Feed:
    elements = root.findall(ATOM + "entry")
    for el in elements:
        _check(el, ATOM, _ATOM_READ, inner_ok=("content", "summary"))
    items, problems = _items(elements, lambda el: _atom_entry(el, url), _atom_where)
    link = next((el.get("href", "") for el in root.findall(ATOM + "link") if el.get("rel", "alternate") == "alternate"), "")
    title_el = root.find(ATOM + "title")
    title = _text(title_el) if title_el is not None and len(title_el) == 0 else ""
    return Feed("atom10", title, link, items, problems=problems)


def parse_fast(data: bytes, url: str) -> Feed | None:
    """Parse UTF-8 ``data`` if it is a well-formed feed that uses only what is read here; else None."""
    try:
        root = etree.fromstring(data, _PARSER, base_url=url)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if not isinstance(root.tag, str) or root.getroottree().docinfo.doctype:
        return None  # a DOCTYPE may define entities: feedparser's job
    try:
        if root.tag == "rss":
            return _rss(root, url)
        if root.tag == RDF + "RDF":
            return _rdf(root, url)
        if root.tag == ATOM + "feed":
            return _atom(root, url)
    except _Decline:
        return None
    return None
