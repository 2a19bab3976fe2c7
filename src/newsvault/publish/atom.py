"""Atom 1.0 feeds of the mirror: one per source and one for all, newest entries in full.

Entry ids are ``tag:`` URIs built from article ids, so they stay the same wherever the mirror is
hosted. Links point at the mirror's article pages: absolute when a ``base_url`` is given (what
feed readers need), else relative to the feed file (resolved by readers against its address).
Each entry also links the original article (``rel="related"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from ..catalog import Article
from .render import article_path, safe_link

__all__ = ["FeedEntry", "feed_xml", "feed_for", "FEED_SIZE"]

FEED_SIZE = 50
_XML_BAD = dict.fromkeys(list(range(0, 9)) + [11, 12] + list(range(14, 32)) + [0xFFFE, 0xFFFF])


def _x(text: str) -> str:
    """Escaped XML text, without the characters XML 1.0 forbids."""
    return escape(text.translate(_XML_BAD))


def _a(text: str) -> str:
    return quoteattr(text.translate(_XML_BAD))


def _time(ms: int | None) -> str:
    ms = 0 if ms is None else ms
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FeedEntry:
    article: Article
    source_name: str
    title: str
    url: str  # the original article
    published: int | None
    updated: int | None
    content_html: str  # already sanitised


def feed_xml(
    title: str,
    feed_id: str,
    entries: Sequence[FeedEntry],
    *,
    self_href: str,
    home_href: str,
    base_url: str | None = None,
    article_href=None,
) -> str:
    """The Atom document. ``self_href``/``home_href`` are relative to the site root."""

    def site(rel: str) -> str:
        if base_url:
            return base_url.rstrip("/") + "/" + quote(rel) if base_url != "/" else "/" + quote(rel)
        return "../" + quote(rel)  # feeds live in feeds/

    updated = max((e.updated or e.published or 0 for e in entries), default=0)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh">\n',
        f"<title>{_x(title)}</title>\n<id>{_x(feed_id)}</id>\n<updated>{_time(updated)}</updated>\n",
        f'<link rel="self" type="application/atom+xml" href={_a(site(self_href))}/>\n',
        f'<link rel="alternate" type="text/html" href={_a(site(home_href))}/>\n',
        "<generator>newsvault</generator>\n",
    ]
    for e in entries:
        a = e.article
        href = article_href(a.id) if article_href else site(article_path(a.id))
        out.append("<entry>\n")
        out.append(f"<title>{_x(e.title or '(无标题)')}</title>\n<id>tag:newsvault,2024:{a.id}</id>\n")
        out.append(f'<link rel="alternate" type="text/html" href={_a(href)}/>\n')
        original = safe_link(e.url)
        if original:
            out.append(f'<link rel="related" type="text/html" href={_a(original)}/>\n')
        out.append(f"<published>{_time(e.published)}</published>\n<updated>{_time(e.updated or e.published)}</updated>\n")
        out.append(f"<author><name>{_x(e.source_name)}</name></author>\n")
        out.append(f'<category term={_a(a.source)} label={_a(e.source_name)}/>\n')
        out.append(f'<content type="html">{_x(e.content_html)}</content>\n</entry>\n')
    out.append("</feed>\n")
    return "".join(out)


def feed_for(archive, slug: str | None = None, *, mode: str = "live", base_url: str | None = None) -> str:
    """The Atom feed of one source (or all, ``slug`` None) straight from the catalog: what the
    reader server serves at ``/feeds/<slug>.xml``. Raises NotFound for an unknown source."""
    from ..errors import NotFound, RecordError
    from .render import ExtractCache, publish_body

    catalog = archive.catalog
    if slug is not None and catalog.count_articles(source=slug) == 0:
        raise NotFound(f"no source {slug!r} in this archive")
    extractor = ExtractCache(archive)
    entries = []
    for a in catalog.list_articles(source=slug, limit=FEED_SIZE):
        try:
            record = archive.read(a.latest_path)
        except (OSError, RecordError):
            continue
        versions = catalog.versions(a.id) if a.versions > 1 else None
        updated = max((v.seen or 0 for v in versions), default=0) if versions else None
        entries.append(FeedEntry(a, archive.source_display_name(a.source), record.title or a.title, record.url,
                                 a.published, updated or a.published, publish_body(record, extractor)))
    name = archive.config.name
    title = name if slug is None else f"{archive.source_display_name(slug)} · {name}"
    feed_id = f"tag:newsvault,2024:{name}/{slug or 'all'}"
    if mode == "live" and not base_url:
        return feed_xml(title, feed_id, entries, self_href=f"feeds/{slug or 'all'}.xml",
                        home_href="" if slug is None else f"sources/{slug}", base_url="/",
                        article_href=lambda aid: f"/articles/{aid}")
    home = f"sources/{slug}/index.html" if slug else "index.html"
    return feed_xml(title, feed_id, entries, self_href=f"feeds/{slug or 'all'}.xml", home_href=home, base_url=base_url)
