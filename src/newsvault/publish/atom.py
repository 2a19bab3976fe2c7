"""Atom 1.0 feeds, one builder for the static site and the reader server.

:func:`feed_for` makes the feed of one source (or of all, ``slug`` None) with the newest
:data:`FEED_SIZE` articles in full: ``newsvault build --site`` writes it to ``feeds/<slug>.xml``
(passing the articles it has loaded), the reader server serves it at ``/feeds/<slug>.xml``.

* Ids are ``tag:`` URIs (RFC 4151): ``tag:newsvault,2024:<article id>`` for entries,
  ``tag:newsvault,2024:<archive name>/<slug or all>`` for feeds, the name percent-encoded. They
  stay the same wherever the mirror is hosted and from one build to the next.
* ``updated`` is when the newest version was seen (an edited article shows up again in readers);
  ``published`` the article's time.
* ``xml:lang`` comes from the text (:mod:`newsvault.publish.lang`): the feed's from its titles,
  each entry's from its title and body.
* Links (:class:`FeedLinks`) point at the mirror's pages: under ``base_url`` when one is given
  (what feed readers need), else relative to the feed file on the static site (``../…``) and
  root-relative on the server (``/…``). Each entry also links the original (``rel="related"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from ..catalog import Article
from ..errors import NotFound, RecordError
from ..preserve.checks import deleted_articles
from ..preserve.diff import render_diff_html
from ..sanitize import remove_bad_chars
from ..text import without_invisible
from .changes import ChangeEvent, change_events, describe, recent_changes
from .lang import detect_lang
from .render import ExtractCache, article_changes_path, article_path, changes_path, publish_body, safe_link, source_path

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = ["FeedEntry", "FeedLinks", "feed_xml", "feed_for", "changes_feed_for", "article_changes_feed", "feed_id", "entry_id", "FEED_SIZE"]

FEED_SIZE = 50
TAG_AUTHORITY = "tag:newsvault,2024:"


def _x(text: str) -> str:
    """Escaped XML text, without the characters XML 1.0 forbids or that reorder or hide text
    (a feed reader shows a title beside others, not isolated from them)."""
    return escape(without_invisible(remove_bad_chars(text)))


def _a(text: str) -> str:
    return quoteattr(remove_bad_chars(text))


def _h(text: str) -> str:
    """Text or an attribute value inside the HTML of an entry's content."""
    return escape(text, {'"': "&quot;"})


def _time(ms: int | None) -> str:
    ms = 0 if ms is None else ms
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_id(archive_name: str, slug: str | None) -> str:
    """A valid, stable ``tag:`` URI for a feed (names may hold spaces and Chinese: encoded)."""
    return f"{TAG_AUTHORITY}{quote(archive_name, safe='')}/{quote(slug or 'all', safe='')}"


def entry_id(article_id: str, part: str | None = None) -> str:
    """An article's entry id; with ``part`` (``v3``, ``deleted``) the id of one of its changes."""
    return f"{TAG_AUTHORITY}{article_id}" + (f"/{quote(part, safe='')}" if part else "")


@dataclass(frozen=True)
class FeedLinks:
    """Where a feed's links point. ``prefix``: ``base_url`` (absolute), ``"../"`` (a static
    feed file in ``feeds/``) or ``"/"`` (the server); ``live``: the server's URL scheme."""

    prefix: str
    live: bool = False

    @classmethod
    def for_site(cls, base_url: str | None) -> FeedLinks:
        return cls(base_url.rstrip("/") + "/" if base_url else "../")

    @classmethod
    def for_server(cls, base_url: str | None) -> FeedLinks:
        return cls(base_url.rstrip("/") + "/" if base_url else "/", live=True)

    def url(self, rel: str) -> str:
        return self.prefix + quote(rel)

    def article(self, aid: str, rev: int | None = None) -> str:
        if self.live:
            return self.url(f"articles/{aid}") + (f"?rev={rev}" if rev is not None else "")
        return self.url(article_path(aid, rev))

    def version(self, a: Article, rev: int) -> str:
        return self.article(a.id, rev if rev < a.versions - 1 else None)

    def changes(self, slug: str | None) -> str:
        if self.live:
            return self.url("changes" + (f"/{slug}" if slug else ""))
        return self.url(changes_path(slug))

    def home(self, slug: str | None) -> str:
        if self.live:
            return self.url("" if slug is None else f"sources/{slug}")
        return self.url("index.html" if slug is None else source_path(slug))

    def feed(self, slug: str | None) -> str:
        return self.url(f"feeds/{slug or 'all'}.xml")

    def changes_feed(self, slug: str | None) -> str:
        return self.url(f"feeds/changes/{slug or 'all'}.xml")


@dataclass
class FeedEntry:
    article: Article
    source_name: str
    title: str
    url: str  # the original article
    published: int | None
    updated: int | None
    content_html: str  # already sanitised

    @property
    def lang(self) -> str:
        return detect_lang(f"{self.title}\n{self.content_html}", html=True)


def feed_xml(title: str, fid: str, entries: Sequence[FeedEntry], *, links: FeedLinks, slug: str | None) -> str:
    """The Atom document."""
    updated = max((e.updated or e.published or 0 for e in entries), default=0)
    lang = detect_lang("\n".join(e.title for e in entries) or title)
    out = [
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}">\n',
        f"<title>{_x(title)}</title>\n<id>{_x(fid)}</id>\n<updated>{_time(updated)}</updated>\n",
        f'<link rel="self" type="application/atom+xml" href={_a(links.feed(slug))}/>\n',
        f'<link rel="alternate" type="text/html" href={_a(links.home(slug))}/>\n',
        "<generator>newsvault</generator>\n",
    ]
    out.extend(_entry_xml(e, links) for e in entries)
    out.append("</feed>\n")
    return "".join(out)


def _entry_xml(e: FeedEntry, links: FeedLinks) -> str:
    a = e.article
    times = f"<published>{_time(e.published)}</published>\n<updated>{_time(e.updated or e.published)}</updated>\n"
    return _entry(e.lang, e.title or "(无标题)", entry_id(a.id), links.article(a.id), e.url, times, a.source, e.source_name, e.content_html)


def _entry(lang: str, title: str, eid: str, href: str, url: str, times: str, source: str, source_name: str, content_html: str) -> str:
    """One ``<entry>``, for article feeds and changes feeds alike: ``times`` is its
    ``<published>``/``<updated>`` elements, ``url`` the original article (linked as related)."""
    parts = [
        f'<entry xml:lang="{lang}">\n',
        f"<title>{_x(title)}</title>\n<id>{_x(eid)}</id>\n",
        f'<link rel="alternate" type="text/html" href={_a(href)}/>\n',
    ]
    original = safe_link(url)
    if original:
        parts.append(f'<link rel="related" type="text/html" href={_a(original)}/>\n')
    parts.append(times)
    parts.append(f"<author><name>{_x(source_name)}</name></author>\n")
    parts.append(f"<category term={_a(source)} label={_a(source_name)}/>\n")
    parts.append(f'<content type="html">{_x(content_html)}</content>\n</entry>\n')
    return "".join(parts)


def feed_entries(archive: Archive, articles: Sequence[Article], extractor: ExtractCache | None = None) -> list[FeedEntry]:
    """Entries for ``articles`` (newest first); an unreadable record is left out."""
    extractor = extractor or ExtractCache(archive)
    entries = []
    for a in articles:
        try:
            record = archive.read(a.latest_path)
        except (OSError, RecordError):
            continue
        versions = archive.catalog.versions(a.id) if a.versions > 1 else None
        updated = max((v.seen or 0 for v in versions), default=0) if versions else None
        entries.append(FeedEntry(
            a, archive.source_display_name(a.source), record.title or a.title, record.url,
            a.published, updated or a.published, publish_body(record, extractor),
        ))
    return entries


def feed_title(archive: Archive, slug: str | None) -> str:
    name = archive.config.name
    return name if slug is None else f"{archive.source_display_name(slug)} · {name}"


def feed_for(
    archive: Archive,
    slug: str | None = None,
    *,
    mode: str = "live",
    base_url: str | None = None,
    articles: Sequence[Article] | None = None,
    extractor: ExtractCache | None = None,
) -> str:
    """The Atom feed of one source (or all, ``slug`` None). ``mode``: ``"live"`` (the server's
    URLs) or ``"static"`` (the site's files). ``articles``: the newest of the feed, if the
    caller has them (the site build); else read from the catalog. Raises NotFound for an
    unknown source."""
    if articles is None:
        articles = archive.catalog.list_articles(source=slug, limit=FEED_SIZE)
        if slug is not None and not articles:
            raise NotFound(f"no source {slug!r} in this archive")
    links = FeedLinks.for_server(base_url) if mode == "live" else FeedLinks.for_site(base_url)
    entries = feed_entries(archive, articles[:FEED_SIZE], extractor)
    return feed_xml(feed_title(archive, slug), feed_id(archive.config.name, slug), entries, links=links, slug=slug)


# -- the changes feed ---------------------------------------------------------------------------

def _change_entry_xml(e: ChangeEvent, source_name: str, links: FeedLinks) -> str:
    """One edit or deletion: its summary in the title, the diff (or the deletion) as content,
    links to the version before and the version after."""
    a = e.article
    if e.kind == "deleted":
        title = f"[已删除] {a.title}"
        eid = entry_id(a.id, "deleted")
        href = links.article(a.id)
        content = f'<p>发现原文已被删除。<a href="{_h(href)}">看存档的 v{a.versions - 1}</a></p>'
    else:
        assert e.rev is not None
        title = f"[v{e.rev - 1} → v{e.rev} {e.summary}] {a.title}"
        eid = entry_id(a.id, f"v{e.rev}")
        href = links.version(a, e.rev)
        before = links.version(a, e.rev - 1)
        diff = ""
        if e.change is not None:
            diff = (render_diff_html(e.change.title_segments, context=0) if e.change.title_segments else "") + render_diff_html(e.change.segments)
        content = (f'<p>{_h(e.summary)} · <a href="{_h(before)}">v{e.rev - 1}</a> → '
                   f'<a href="{_h(href)}">v{e.rev}</a></p>{diff}')
    times = f"<updated>{_time(e.when)}</updated>\n"
    return _entry(detect_lang(a.title or title), title, eid, href, a.url, times, a.source, source_name, content)


def changes_feed_for(
    archive: Archive,
    slug: str | None = None,
    *,
    mode: str = "live",
    base_url: str | None = None,
    events: Sequence[ChangeEvent] | None = None,
) -> str:
    """The Atom feed of every edit and deletion (of source ``slug``, or all), newest first.
    ``events``: described changes, if the caller has them (the site build)."""
    if slug is not None and archive.catalog.count_articles(source=slug) == 0:
        raise NotFound(f"no source {slug!r} in this archive")
    if events is None:
        events = recent_changes(archive, source=slug, limit=FEED_SIZE)
    links = FeedLinks.for_server(base_url) if mode == "live" else FeedLinks.for_site(base_url)
    name = archive.config.name
    title = f"改动与删除 · {name if slug is None else archive.source_display_name(slug) + ' · ' + name}"
    entries = [e for e in events if not e.minor][:FEED_SIZE]  # minor changes are kept, not announced
    # No change yet: the feed is as fresh as the newest article it watches (a time from the
    # material, not the moment of the build; not 1970 either).
    newest = archive.catalog.list_articles(source=slug, limit=1) if not entries else []
    updated = max((e.when for e in entries), default=(newest[0].published or 0) if newest else 0)
    return _changes_xml(archive, links, entries, title=title, lang_of=title, ident=feed_id(name, "changes/" + (slug or "all")),
                        updated=updated, self_href=links.changes_feed(slug), page_href=links.changes(slug))


def _changes_xml(archive: Archive, links: FeedLinks, entries: list[ChangeEvent], *, title: str, lang_of: str, ident: str,
                 updated: int, self_href: str, page_href: str) -> str:
    """A change feed's document: the head every change feed has, then its entries."""
    out = [
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{detect_lang(lang_of)}">\n',
        f"<title>{_x(title)}</title>\n<id>{_x(ident)}</id>\n<updated>{_time(updated)}</updated>\n",
        f'<link rel="self" type="application/atom+xml" href={_a(self_href)}/>\n',
        f'<link rel="alternate" type="text/html" href={_a(page_href)}/>\n',
        "<generator>newsvault</generator>\n",
    ]
    out.extend(_change_entry_xml(e, archive.source_display_name(e.article.source), links) for e in entries)
    out.append("</feed>\n")
    return "".join(out)


def article_changes_feed(
    archive: Archive,
    article: Article,
    *,
    mode: str = "live",
    base_url: str | None = None,
    deleted: dict[str, int] | None = None,
) -> str:
    """The Atom feed of one article's edits and its deletion, newest first (minor edits left
    out, as in every change feed): how a reader follows one article. ``deleted``: the
    archive's deletions, if the caller has them (the site build)."""
    if deleted is None:
        deleted = deleted_articles(archive)
    events = [] if article.versions < 2 and article.id not in deleted else describe(archive, change_events(archive, [article], deleted))
    # A static feed sits three folders down (feeds/changes/articles/); the server's are absolute.
    links = FeedLinks.for_server(base_url) if mode == "live" else FeedLinks(base_url.rstrip("/") + "/" if base_url else "../../../")
    name = archive.config.name
    entries = [e for e in events if not e.minor][:FEED_SIZE]
    updated = max((e.when for e in entries), default=article.published or 0)
    return _changes_xml(archive, links, entries, title="改动与删除 · " + (article.title or article.id), lang_of=article.title or name,
                        ident=entry_id(article.id, "changes"), updated=updated,
                        self_href=links.url(article_changes_path(article.id)), page_href=links.article(article.id))
