"""The daily digest: one calendar day of the archive — what was archived, what changed, what
was deleted — as a page fit for the site and for e-mail, an Atom feed of digests, and (with
:mod:`.epub`) an e-book of the day's articles.

A day is a calendar day in ``[digest] timezone`` (default: the archive's, Asia/Shanghai). Every
time comes from the archive, never from the clock: an article is *new* that day when it was
published then (the time in its record; the files do not record when version 0 was first
seen, so publication is the one time every archive has — the same day the home and day pages
file it under); a change is the day's when its version was seen then (the revision file's
name); a deletion when the re-check noticed it. Changes are the major ones
(:mod:`newsvault.preserve.significance`); minor ones are only counted.

The HTML is one self-contained file: inline styles (mail clients drop ``<style>`` and external
sheets), no script, no image from another host — links go to the original and, with
``base_url``, to the archive's own pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from html import escape
from typing import Any

from ..archive import Archive
from ..catalog import Article
from ..text import html_to_text
from .changes import ChangeEvent, change_events, describe
from .render import fmt, safe_link, zone

__all__ = ["Digest", "DigestItem", "build_digest", "digest_html", "digest_fragment", "digest_text", "digests_feed", "digest_zone", "parse_digest_day"]

_EXCERPT = 120  # characters of each new article's text


@dataclass(frozen=True)
class DigestItem:
    article: Article
    when: int  # epoch ms: published (new), seen (changed), noticed (deleted)
    excerpt: str = ""
    event: ChangeEvent | None = None


@dataclass
class Digest:
    day: date
    zone: str
    source: str | None
    archive_name: str
    new: list[DigestItem] = field(default_factory=list)
    changed: list[DigestItem] = field(default_factory=list)
    deleted: list[DigestItem] = field(default_factory=list)
    minor: list[DigestItem] = field(default_factory=list)  # kept as versions, not announced

    @property
    def empty(self) -> bool:
        return not (self.new or self.changed or self.deleted)

    @property
    def subject(self) -> str:
        return f"{self.archive_name} · {self.day.isoformat()} 摘要：新 {len(self.new)} · 改 {len(self.changed)} · 删 {len(self.deleted)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(), "timezone": self.zone, "source": self.source,
            "new": [i.article.id for i in self.new], "changed": [i.article.id for i in self.changed],
            "deleted": [i.article.id for i in self.deleted], "minor": [i.article.id for i in self.minor],
        }


def digest_zone(archive: Archive) -> tuple[str, tzinfo]:
    name = archive.config.digest.timezone or archive.config.timezone
    return name, zone(name)


def parse_digest_day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        from ..errors import InputError

        raise InputError(f"--date {value!r} is not a day; use YYYY-MM-DD") from None


def _bounds(day: date, tz: tzinfo) -> tuple[int, int]:
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    end = start + timedelta(days=1)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def _excerpt(archive: Archive, a: Article) -> str:
    from ..boilerplate import strip_boilerplate

    try:
        record = archive.read(a.latest_path)
    except (OSError, ValueError):
        return ""
    text = " ".join(html_to_text(strip_boilerplate(record.body, record.url)).split())
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "…"


def build_digest(archive: Archive, day: date, *, source: str | None = None) -> Digest:
    """The digest of ``day`` (of ``source``, or every source)."""
    zone_name, tz = digest_zone(archive)
    start, end = _bounds(day, tz)
    d = Digest(day, zone_name, source, archive.config.name)
    for a in archive.catalog.list_articles(source=source, since=start, until=end, limit=None):
        d.new.append(DigestItem(a, a.published or start, _excerpt(archive, a)))
    day_events = [e for e in change_events(archive, source=source) if start <= e.when < end]
    for e in describe(archive, [e for e in day_events if e.kind == "edit"]):
        (d.minor if e.minor else d.changed).append(DigestItem(e.article, e.when, event=e))
    d.deleted = [DigestItem(e.article, e.when, event=e) for e in day_events if e.kind == "deleted"]
    for items in (d.new, d.changed, d.deleted, d.minor):
        items.sort(key=lambda i: (i.when, i.article.id))
    return d


# -- HTML for the site and for mail ------------------------------------------------------------

_S = {  # inline styles: mail clients keep no stylesheet
    "body": "margin:0;padding:0;background:#f6f6f4;",
    "wrap": "max-width:40rem;margin:0 auto;padding:1rem;background:#ffffff;color:#1a1a1a;"
            "font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;font-size:16px;line-height:1.75;",
    "h1": "font-size:1.35rem;margin:0 0 .3rem;",
    "h2": "font-size:1.1rem;margin:1.4rem 0 .4rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;",
    "meta": "color:#666;font-size:.85rem;",
    "li": "margin:0 0 .8rem;",
    "a": "color:#0b5cad;text-decoration:none;",
    "del": "background:#fde2e2;color:#8a1c1c;text-decoration:line-through;",
    "ins": "background:#dff5e1;color:#1b5e20;text-decoration:none;",
    "p": "margin:.2rem 0;",
}


def _link(href: str | None, text: str) -> str:
    return f'<a style="{_S["a"]}" href="{escape(href)}">{escape(text)}</a>' if href else escape(text)


def _article_href(base_url: str | None, a: Article) -> str | None:
    if not base_url:
        return None
    from .render import article_path

    return base_url.rstrip("/") + "/" + article_path(a.id)


def _item_html(d: Digest, item: DigestItem, tz: tzinfo, base_url: str | None, names: dict[str, str]) -> str:
    a = item.article
    title = a.title or "(无标题)"
    meta = f'{escape(names.get(a.source, a.source))} · {fmt(item.when, tz, "%H:%M")}'
    links = [_link(safe_link(a.url), "原文")]
    if base_url:
        links.insert(0, _link(_article_href(base_url, a), "存档"))
    out = [f'<li style="{_S["li"]}"><strong>{_link(_article_href(base_url, a) or safe_link(a.url), title)}</strong><br>'
           f'<span style="{_S["meta"]}">{meta} · {" · ".join(links)}</span>']
    e = item.event
    if e is not None and e.kind == "edit":
        flag = " · 标题改动" if e.title_changed else ""
        out.append(f'<p style="{_S["p"]}"><span style="{_S["meta"]}">v{(e.rev or 1) - 1} → v{e.rev} · {escape(e.summary)}{flag}</span><br>'
                   + (f'<del style="{_S["del"]}">{escape(e.removed)}</del> ' if e.removed else "")
                   + (f'<ins style="{_S["ins"]}">{escape(e.added)}</ins>' if e.added else "") + "</p>")
    elif e is not None:
        out.append(f'<p style="{_S["p"]}">发现原文已被删除（存档保留了全部 {a.versions} 个版本）。</p>')
    elif item.excerpt:
        out.append(f'<p style="{_S["p"]}">{escape(item.excerpt)}</p>')
    out.append("</li>")
    return "".join(out)


def _section(title: str, items: Sequence[str]) -> str:
    if not items:
        return ""
    return f'<h2 style="{_S["h2"]}">{escape(title)}（{len(items)}）</h2><ol style="padding-left:1.4rem;margin:0;">{"".join(items)}</ol>'


def digest_html(archive: Archive, d: Digest, *, base_url: str | None = None, notes: Sequence[str] = ()) -> str:
    """The digest as one self-contained HTML page (inline styles, no scripts, no remote images)."""
    return (f'<!DOCTYPE html>\n<html lang="zh-Hans"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(d.subject)}</title></head>'
            f'<body style="{_S["body"]}"><div style="{_S["wrap"]}">' + digest_fragment(archive, d, base_url=base_url, notes=notes)
            + "</div></body></html>\n")


def digest_fragment(archive: Archive, d: Digest, *, base_url: str | None = None, notes: Sequence[str] = ()) -> str:
    """The digest's content (headings, lists), for the page, the mail and the book's first chapter."""
    tz = zone(d.zone)
    names = {a.source: archive.source_display_name(a.source) for items in (d.new, d.changed, d.deleted) for a in (i.article for i in items)}
    scope = f" · {archive.source_display_name(d.source)}" if d.source else ""
    head = (f'<h1 style="{_S["h1"]}">{escape(d.archive_name)}{escape(scope)} · {d.day.isoformat()}</h1>'
            f'<p style="{_S["meta"]}">这一天（{escape(d.zone)}）存档的新文章 {len(d.new)} 篇，改动 {len(d.changed)} 处，'
            f'发现删除 {len(d.deleted)} 篇' + (f'；另有 {len(d.minor)} 处次要改动（仅页脚样板、标记、空白或全半角标点）未列出' if d.minor else "") + "。</p>")
    body = [head]
    if d.empty:
        body.append(f'<p style="{_S["p"]}">这一天没有新文章、改动或删除。</p>')
    body.append(_section("新文章", [_item_html(d, i, tz, base_url, names) for i in d.new]))
    body.append(_section("改动", [_item_html(d, i, tz, base_url, names) for i in d.changed]))
    body.append(_section("删除", [_item_html(d, i, tz, base_url, names) for i in d.deleted]))
    if notes:
        body.append(f'<p style="{_S["meta"]}">' + "<br>".join(escape(n) for n in notes) + "</p>")
    body.append(f'<p style="{_S["meta"]}">newsvault 每日摘要。转发本邮件或文件即可分享。</p>')
    return "".join(body)


def digest_text(d: Digest) -> str:
    """The digest as plain text (the text part of the mail)."""
    lines = [d.subject, ""]
    if d.empty:
        lines.append("这一天没有新文章、改动或删除。")
    for title, items in (("新文章", d.new), ("改动", d.changed), ("删除", d.deleted)):
        if items:
            lines.append(f"{title}（{len(items)}）")
            for i in items:
                extra = f"  {i.event.summary}" if i.event is not None and i.event.kind == "edit" else ""
                lines.append(f"- {i.article.title or '(无标题)'}{extra}\n  {i.article.url}")
            lines.append("")
    if d.minor:
        lines.append(f"另有 {len(d.minor)} 处次要改动未列出。")
    return "\n".join(lines).rstrip() + "\n"


def digests_feed(archive: Archive, digests: Sequence[Digest], *, base_url: str | None = None) -> str:
    """An Atom feed of digests (newest first), each entry linking ``<day>.html`` beside the feed."""
    from xml.sax.saxutils import escape as x
    from xml.sax.saxutils import quoteattr

    from .atom import feed_id

    name = archive.config.name
    root = (base_url.rstrip("/") + "/") if base_url else ""

    def when(d: Digest) -> str:
        end = _bounds(d.day, zone(d.zone))[1] - 1000
        return fmt(end, zone("UTC"), "%Y-%m-%dT%H:%M:%SZ")

    out = [f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-Hans">\n'
           f"<title>{x(name)} · 每日摘要</title>\n<id>{x(feed_id(name, 'digests'))}</id>\n"
           f"<updated>{when(digests[0]) if digests else '2000-01-01T00:00:00Z'}</updated>\n"
           f'<link rel="self" type="application/atom+xml" href={quoteattr(root + "index.xml")}/>\n<generator>newsvault</generator>\n']
    for d in digests:
        out.append(f"<entry>\n<title>{x(d.subject)}</title>\n<id>{x(feed_id(name, 'digest/' + d.day.isoformat()))}</id>\n"
                   f"<updated>{when(d)}</updated>\n<link rel=\"alternate\" type=\"text/html\" href={quoteattr(root + d.day.isoformat() + '.html')}/>\n"
                   f"<summary>{x(digest_text(d))}</summary>\n</entry>\n")
    out.append("</feed>\n")
    return "".join(out)
