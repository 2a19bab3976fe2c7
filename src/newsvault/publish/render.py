"""Every HTML page of the mirror, rendered from the archive: one renderer, two URL schemes.

Public API (the reader server serves the same pages live)::

    from newsvault.publish.render import PageRenderer

    r = PageRenderer(archive, mode="live")        # or mode="static" (what `newsvault build --site` uses)
    r.home(page=1) -> str                         # newest articles across all sources
    r.source(slug, page=1) -> str                 # one source, newest first, paginated
    r.day(date_str) -> str                        # "YYYY-MM-DD", a day in the archive's time zone
    r.article(article_id, rev=None) -> str        # latest version, or version `rev` (0 = first)
    r.search_page(query="", results=None) -> str  # results: list of Article (live: from the server's
                                                  # index); None in static mode = client-side search
    r.not_found(message) -> str                   # a 404 page in the site's look

Unknown slugs, days or ids raise :class:`newsvault.errors.NotFound`.

URL scheme:

=================  ====================================  ===========================================
page               live (absolute paths)                 static (files; links are relative)
=================  ====================================  ===========================================
home               ``/``, ``/?page=2``                   ``index.html`` (newest PAGE_SIZE)
source             ``/sources/<slug>``, ``?page=2``      ``sources/<slug>/index.html`` (newest), then
                   (page 1 = newest)                     ``page-K.html`` with K = 1 the *oldest*
day                ``/days/<YYYY-MM-DD>``                ``days/<YYYY-MM-DD>.html``
days index         ``/days/``                            ``days/index.html``
article            ``/articles/<id>``                    ``articles/<id[:2]>/<id>.html``
article version    ``/articles/<id>?rev=N``              ``articles/<id[:2]>/<id>.rN.html``
search             ``/search?q=…``                       ``search.html?q=…`` (index under ``search/``)
feeds              ``/feeds/all.xml``, ``/feeds/<slug>.xml``   same paths, relative
static assets      ``/static/<file>``                    ``static/<file>``
=================  ====================================  ===========================================

:data:`STATIC_DIR` is the folder holding the CSS/JS files to serve under ``/static/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jinja2

from ..archive import Archive, write_atomic
from ..boilerplate import strip_boilerplate
from ..catalog import Article, Version
from ..errors import NotFound, RecordError
from ..githistory import removed_articles
from ..preserve.diff import render_diff_html
from ..preserve.history import Change, History, article_history
from ..record import Record
from ..sanitize import MediaLookup, remove_bad_chars, sanitize_html
from ..text import without_invisible
from . import lang
from .changes import ChangeEvent, change_label, recent_changes
from .files import link_kept_files
from .lang import detect_lang

if TYPE_CHECKING:
    from ..health import SourceHealth

__all__ = ["article_changes_path", "PageRenderer", "STATIC_DIR", "TEMPLATE_DIR", "PAGE_SIZE", "publish_body", "site_version"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATE_DIR = PACKAGE_DIR / "templates"
PAGE_SIZE = 50
# China has kept UTC+8 without daylight saving since 1991: a fixed offset is exact for every
# archived article and much faster than a zoneinfo lookup per date at 100,000 articles.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
DEFAULT_TIMEZONE = "Asia/Shanghai"
# Bump when the page-making code changes in a way the templates' hash does not capture.
RENDER_VERSION = "1"

_SPARK = "▁▂▃▄▅▆▇█"  # articles a day, as a bar each

_env: jinja2.Environment | None = None


def _printable(value: Any) -> Any:
    """Every value a template prints, without characters HTML forbids (an archived title may
    hold a control character). Bodies (Markup) are sanitised already."""
    # isprintable() (C, fast) is True for almost every value; the rest are looked at closely.
    return remove_bad_chars(value) if type(value) is str and not value.isprintable() else value


def environment() -> jinja2.Environment:
    """One compiled-template environment per process (templates are compiled once)."""
    global _env
    if _env is None:
        _env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
            finalize=_printable,
        )
        _env.filters["plain"] = without_invisible  # where a title cannot be isolated: <title>
    return _env


def site_version() -> str:
    """Changes whenever templates, static files or render code change: every page is then stale."""
    h = hashlib.sha256(RENDER_VERSION.encode())
    for folder in (TEMPLATE_DIR, STATIC_DIR):
        for p in sorted(folder.iterdir()):
            if p.is_file():
                h.update(p.name.encode())
                h.update(p.read_bytes())
    for module in ("render.py", "evidence_pages.py", "atom.py", "lang.py", "changes.py", "../sanitize.py", "../boilerplate.py", "../preserve/diff.py", "files.py"):
        h.update((Path(__file__).parent / module).read_bytes())
    return h.hexdigest()[:16]


# -- times ------------------------------------------------------------------------------------

def zone(name: str | None) -> tzinfo:
    """The archive's time zone (``timezone`` in newsvault.toml; default Asia/Shanghai). A zone
    with one offset since 1992 becomes a fixed offset: exact for the archive, and fast."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = name or DEFAULT_TIMEZONE
    if name == DEFAULT_TIMEZONE:
        return SHANGHAI
    try:
        info = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        from ..errors import ArchiveError

        raise ArchiveError(f"timezone {name!r} in newsvault.toml is not a known time zone (e.g. Asia/Shanghai)") from None
    probes = [datetime(y, m, 1, tzinfo=UTC) for y in range(1992, 2040, 4) for m in (1, 7)]
    offsets = {p.astimezone(info).utcoffset() for p in probes}
    if len(offsets) == 1:
        return timezone(offsets.pop() or timedelta(0), name)
    return info


def zone_label(tz: tzinfo) -> str:
    """How pages name the zone: 北京时间 for Asia/Shanghai, else the zone's name."""
    name = str(tz)
    return "北京时间" if name == DEFAULT_TIMEZONE else name


def day_of(ms: int | None, tz: tzinfo = SHANGHAI) -> str | None:
    """The publication day in the archive's zone, ``YYYY-MM-DD`` (what day pages group by)."""
    return None if ms is None else local_minute(ms, tz)[:10]


def local_minute(ms: int, tz: tzinfo = SHANGHAI) -> str:
    """``YYYY-MM-DD HH:MM`` in the archive's zone (hot path of list pages: no strftime)."""
    d = datetime.fromtimestamp(ms / 1000, tz=tz)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}"


def fmt(ms: int | None, tz: tzinfo = UTC, pattern: str = "%Y-%m-%d %H:%M") -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=tz).strftime(pattern)


# -- bodies -------------------------------------------------------------------------------------

class ExtractCache:
    """trafilatura's main-content extraction of scraped pages, cached by content hash."""

    def __init__(self, archive: Archive | None):
        self.dir = archive.state_dir / "publish" / "extract" if archive is not None else None

    def extract(self, record: Record) -> str:
        key = hashlib.sha256(record.body.encode("utf-8", "surrogatepass")).hexdigest()
        path = self.dir / key[:2] / f"{key}.html" if self.dir is not None else None
        if path is not None and path.exists():
            return path.read_text(encoding="utf-8")
        html = _extract_main(record.body)
        if path is not None:
            with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
                write_atomic(path, html)
        return html


def _extract_main(page: str) -> str:
    import trafilatura

    if not page.lstrip()[:20].lower().startswith(("<!doctype", "<html")):
        page = f"<html><body>{page}</body></html>"  # scraped fragments: trafilatura wants a document
    try:
        out = trafilatura.extract(page, output_format="html", include_images=True)
    except Exception:  # trafilatura raises assorted errors on odd markup; the raw page still reads
        out = None
    return out or page


def publish_body(record: Record, extractor: ExtractCache | None = None, media: MediaLookup | None = None) -> str:
    """The body as published: main content of scraped pages, the publisher's footers dropped,
    then sanitised. ``media``: image URL → href of its local copy (images without one become
    placeholders; see sanitize_html)."""
    body = record.body
    if record.variant == "jekyll-page":
        body = (extractor or ExtractCache(None)).extract(record)
    body = strip_boilerplate(body, record.url)
    return sanitize_html(body, record.url, media)


def safe_link(url: str) -> str | None:
    """The original URL as a link target, only when it is http(s)."""
    u = url.strip()
    return u if u.lower().startswith(("http://", "https://")) and not any(c in u for c in "\"<>\x00\n\r\t") else None


# -- URLs -----------------------------------------------------------------------------------------

class Links:
    """Where things are, as seen from one page: relative file paths (static) or absolute paths (live)."""

    def __init__(self, mode: str, here: str = ""):
        self.live = mode == "live"
        self.up = "" if self.live else "../" * here.count("/")
        self.here = here

    def _static(self, path: str) -> str:
        return self.up + quote(path)

    def home(self, page: int = 1) -> str:
        if self.live:
            return "/" if page <= 1 else f"/?page={page}"
        return self._static("index.html")

    def source(self, slug: str, page: int = 1) -> str:
        if self.live:
            return f"/sources/{quote(slug)}" + (f"?page={page}" if page > 1 else "")
        return self._static(source_path(slug, page))

    def day(self, day: str) -> str:
        return f"/days/{day}" if self.live else self._static(day_path(day))

    def days(self) -> str:
        return "/days/" if self.live else self._static("days/index.html")

    def article(self, aid: str, rev: int | None = None) -> str:
        if self.live:
            return f"/articles/{aid}" + (f"?rev={rev}" if rev is not None else "")
        return self._static(article_path(aid, rev))

    def search(self) -> str:
        return "/search" if self.live else self._static("search.html")

    def health(self) -> str:
        return "/health" if self.live else self._static("health.html")

    def changes(self, slug: str | None = None) -> str:
        if self.live:
            return "/changes" + (f"/{quote(slug)}" if slug else "")
        return self._static(changes_path(slug))

    def changes_feed(self, slug: str | None = None) -> str:
        return self.feed(f"changes/{slug or 'all'}")

    def version(self, a: Article, rev: int) -> str:
        """Version ``rev`` of ``a``: the article page itself when it is the latest."""
        return self.article(a.id, rev if rev < a.versions - 1 else None)

    def feed(self, slug: str | None = None) -> str:
        name = f"feeds/{slug or 'all'}.xml"
        return "/" + quote(name) if self.live else self._static(name)

    def verify(self, aid: str) -> str:
        return self._static(verify_path(aid))

    def file(self, rel: str) -> str:
        """A file published as it is (the copies a verify page links)."""
        return self._static(rel)

    def article_changes_feed(self, aid: str) -> str:
        """One article's own change feed (``article_changes_path``)."""
        name = article_changes_path(aid)
        return "/" + quote(name) if self.live else self._static(name)

    def static(self, name: str) -> str:
        return f"/static/{name}" if self.live else self._static(f"static/{name}")

    def search_data(self, name: str) -> str:
        return self._static(f"search/{name}")


def source_path(slug: str, page: int = 1, numbered: bool = False) -> str:
    """Static files of a source: ``index.html`` (the newest), and with ``numbered`` the archive
    page ``page-K.html``, counted from the oldest so that pages stay put as articles arrive."""
    return f"sources/{slug}/page-{page}.html" if numbered else f"sources/{slug}/index.html"


def changes_path(slug: str | None = None) -> str:
    return "changes.html" if slug is None else f"changes/{slug}.html"


def day_path(day: str) -> str:
    return f"days/{day}.html"


def article_changes_path(aid: str) -> str:
    """Where an article's own change feed is, on the site and on the server."""
    return f"feeds/changes/articles/{aid}.xml"


def article_path(aid: str, rev: int | None = None) -> str:
    return f"articles/{aid[:2]}/{aid}" + (f".r{rev}" if rev is not None else "") + ".html"


def verify_path(aid: str) -> str:
    """An article's "verify this copy" page (static sites only: publish/evidence_pages.py)."""
    return f"verify/{aid[:2]}/{aid}.html"


# -- view models ---------------------------------------------------------------------------------

@dataclass
class Item:
    """One row of a list page."""

    id: str
    title: str
    source: str
    source_name: str
    published: int | None
    versions: int
    deleted: bool
    tz: tzinfo = SHANGHAI

    @property
    def date(self) -> str:
        return "-" if self.published is None else local_minute(self.published, self.tz)

    @property
    def iso(self) -> str:
        return fmt(self.published, UTC, "%Y-%m-%dT%H:%M:%SZ")


class PageRenderer:
    """Renders every page of the site from ``archive`` (see the module docstring)."""

    def __init__(self, archive: Archive, mode: str = "static"):
        if mode not in ("static", "live"):
            raise ValueError("mode must be 'static' or 'live'")
        self.archive = archive
        self.mode = mode
        self.env = environment()
        self.extractor = ExtractCache(archive)
        self._deleted: dict[str, int] | None = None
        self._removed: dict[str, dict[str, Any]] | None = None
        self.verified: set[str] = set()  # ids with a "verify this copy" page (set by the site build)
        # The last article's history: its main page and version pages are rendered one after
        # another, and each needs the diffs of all its versions.
        self._history: tuple[tuple[str, str, int], History] | None = None
        self.site_name = archive.config.name
        self.tz = zone(getattr(archive.config, "timezone", None))
        self.tz_label = zone_label(self.tz)
        lang.prepare()  # once, in this process: the site build's workers inherit it
        self.lang = detect_lang(self.site_name)
        from ..media.publish import MediaLinks

        self.media = MediaLinks(archive)  # images shown from local copies, never from the publisher

    # -- shared data ---------------------------------------------------------------------------
    @property
    def deleted(self) -> dict[str, int]:
        if self._deleted is None:
            from ..preserve.checks import deleted_articles

            self._deleted = deleted_articles(self.archive)
        return self._deleted

    def refresh(self) -> None:
        """Forget cached deletion state (the live server calls this when checks change)."""
        self._deleted = None
        self._removed = None

    def item(self, a: Article) -> Item:
        return Item(a.id, a.title, a.source, self.archive.source_display_name(a.source), a.published, a.versions, a.id in self.deleted, self.tz)

    def sources(self) -> list[dict[str, Any]]:
        """Every source with articles, in config order, then the rest by slug."""
        stats = self.archive.catalog.stats()["sources"]
        order = [s.slug for s in self.archive.config.sources]
        slugs = [s for s in order if s in stats] + sorted(s for s in stats if s not in order)
        return [{"slug": s, "name": self.archive.source_display_name(s), "count": stats[s]["records"]} for s in slugs]

    def _page(self, template: str, here: str, **ctx: Any) -> str:
        links = Links(self.mode, here)
        if "lang" not in ctx:
            items = ctx.get("items")
            ctx["lang"] = detect_lang("\n".join(i.title for i in items[:50])) if items else self.lang
        return self.env.get_template(template).render(
            u=links, site_name=self.site_name, live=self.mode == "live", tz_label=self.tz_label, **ctx
        )

    # -- pages -----------------------------------------------------------------------------------
    def home(self, page: int = 1, *, sources: list[dict[str, Any]] | None = None, items: Sequence[Item] | None = None, total: int | None = None) -> str:
        catalog = self.archive.catalog
        total = catalog.count_articles() if total is None else total
        pages = max(1, math.ceil(total / PAGE_SIZE))
        if page < 1 or (page > pages and page != 1):
            raise NotFound(f"no page {page} (the home pages are 1–{pages})")
        if self.mode == "static":
            pages = 1  # the static home shows the newest; older ones are under sources and days
        if items is None:
            items = [self.item(a) for a in catalog.list_articles(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)]
        links = Links(self.mode, "index.html")
        return self._page(
            "home.html", "index.html", items=items, sources=sources if sources is not None else self.sources(),
            page=page, pages=pages, total=total,
            newer=links.home(page - 1) if page > 1 else None, older=links.home(page + 1) if page < pages else None,
        )

    def source(self, slug: str, page: int = 1, *, items: Sequence[Item] | None = None, total: int | None = None) -> str:
        catalog = self.archive.catalog
        total = catalog.count_articles(source=slug) if total is None else total
        if total == 0:
            raise NotFound(f"no source {slug!r} in this archive")
        pages = max(1, math.ceil(total / PAGE_SIZE))
        if not 1 <= page <= pages:
            raise NotFound(f"no page {page} of {slug} (pages 1–{pages})")
        if items is None:
            items = [self.item(a) for a in catalog.list_articles(source=slug, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)]
        links = Links(self.mode, source_path(slug, page))
        return self._page(
            "source.html", source_path(slug, page), items=items, slug=slug,
            source_name=self.archive.source_display_name(slug), page=page, pages=pages, total=total,
            newer=links.source(slug, page - 1) if page > 1 else None,
            older=links.source(slug, page + 1) if page < pages else None,
        )

    def source_static(self, slug: str, k: int | None, pages: int, items: Sequence[Item], total: int) -> str:
        """A static source page: the newest (``k`` None, ``index.html``) or archive page ``k``
        (1 = oldest). Used by the site build."""
        here = source_path(slug, k or 1, numbered=k is not None)
        up = "" if k is None else "./"
        if k is None:
            newer, older = None, (f"page-{pages - 1}.html" if pages > 1 else None)
            label = None
        else:
            newer = "index.html" if k >= pages - 1 else f"page-{k + 1}.html"
            older = f"page-{k - 1}.html" if k > 1 else None
            label = f"存档第 {k} / {pages} 页"
        return self._page(
            "source.html", here, items=items, slug=slug, source_name=self.archive.source_display_name(slug),
            page=k or 1, pages=pages, total=total, newer=newer and up + newer, older=older and up + older, label=label,
        )

    def day(self, date_str: str, *, items: Sequence[Item] | None = None, neighbours: tuple[str | None, str | None] = (None, None)) -> str:
        try:
            start = datetime.strptime(date_str, "%Y-%m-%d").replace(tzinfo=self.tz)
        except ValueError:
            raise NotFound(f"{date_str!r} is not a day (use YYYY-MM-DD)") from None
        if items is None:
            since = int(start.timestamp() * 1000)
            until = int((start + timedelta(days=1)).timestamp() * 1000)
            items = [self.item(a) for a in self.archive.catalog.list_articles(since=since, until=until)]
        if not items:
            raise NotFound(f"no articles published on {date_str}")
        return self._page("day.html", day_path(date_str), items=items, day=date_str, prev_day=neighbours[0], next_day=neighbours[1])

    def days(self, days: Sequence[tuple[str, int]] | None = None) -> str:
        """Index of day pages: ``days`` is [(YYYY-MM-DD, count)], newest first."""
        if days is None:
            counts: dict[str, int] = {}
            for a in self.archive.catalog.list_articles():
                d = day_of(a.published, self.tz)
                if d:
                    counts[d] = counts.get(d, 0) + 1
            days = sorted(counts.items(), reverse=True)
        months: dict[str, list[tuple[str, int]]] = {}
        for d, n in days:
            months.setdefault(d[:7], []).append((d, n))
        return self._page("days.html", "days/index.html", months=months)

    def article(self, article_id: str, rev: int | None = None, **prepared: Any) -> str:
        return self.article_parts(article_id, rev, **prepared)[0]

    def article_parts(self, article_id: str, rev: int | None = None, **prepared: Any) -> tuple[str, str]:
        """(page HTML, published body HTML); ``prepared`` may pass article, versions, record."""
        article = prepared.get("article") or self.archive.catalog.get(article_id)
        if article is None:
            raise NotFound(f"no article {article_id!r} in this archive")
        versions = prepared.get("versions")
        if versions is None:
            versions = self.archive.catalog.versions(article.id) if article.versions > 1 else None
        if rev is not None and not 0 <= rev < article.versions:
            raise NotFound(f"article {article.id} has versions 0–{article.versions - 1}, not {rev}")
        path = article.latest_path if rev is None else versions[rev].path if versions else article.path
        record = prepared.get("record")
        if record is None:
            try:
                record = self.archive.read(path)
            except (OSError, RecordError) as e:
                raise NotFound(f"article {article.id}: record {path} cannot be read ({e})") from None
        here = article_path(article.id, rev)
        media_prefix = "/media/" if self.mode == "live" else "../" * here.count("/") + "media/"
        body = publish_body(record, self.extractor, self.media.lookup(media_prefix))
        body = link_kept_files(body, self.archive.root, "/" if self.mode == "live" else "../" * here.count("/"))
        shown_rev = (article.versions - 1) if rev is None else rev
        deleted_ms = self.deleted.get(article.id)
        # An older version's page shows only itself (and links the article page, which lists
        # every version), so it never changes when later versions arrive.
        shown = versions[shown_rev] if versions else None
        shown_seen = fmt((shown.seen if shown.seen is not None else shown.published) if shown else article.published, self.tz)
        return self._page(
            "article.html", article_path(article.id, rev),
            a=article, record=record, body=body, source_name=self.archive.source_display_name(article.source),
            published_utc=fmt(record.published if record.published is not None else article.published, UTC),
            published_local=fmt(record.published if record.published is not None else article.published, self.tz),
            day=day_of(article.published, self.tz), original=safe_link(record.url),
            lang=detect_lang(f"{record.title}\n{body}", html=True),
            versions=self._version_rows(article, versions) if versions and len(versions) > 1 else None,
            change=self._change_view(article, versions, shown_rev) if versions and shown_rev > 0 else None,
            shown_rev=shown_rev, shown_seen=shown_seen, is_latest=rev is None or rev == article.versions - 1,
            deleted=fmt(deleted_ms, self.tz, "%Y-%m-%d") if deleted_ms is not None else None,
            removed=self._removed_note(article.id),
            verified=self.mode == "static" and article.id in self.verified,
        ), body

    def _removed_note(self, aid: str) -> dict[str, str] | None:
        """When and by which commit the repository deleted the article's file (docs/continuing.md)."""
        if self._removed is None:
            self._removed = removed_articles(self.archive.root)
        note = self._removed.get(aid)
        if note is None:
            return None
        return {"commit": str(note.get("commit", ""))[:12], "day": fmt(int(note.get("removed", 0)), self.tz, "%Y-%m-%d")}

    def verify_page(self, article: Article, rows: list[dict[str, Any]], evidence_dir: str) -> str:
        """The "verify this copy" page of ``article`` (rows: :func:`.evidence_pages.rows`)."""
        return self._page("verify.html", verify_path(article.id), a=article, rows=rows, ev=evidence_dir,
                          source_name=self.archive.source_display_name(article.source))

    # -- versions and what changed ---------------------------------------------------------------
    def history(self, article: Article) -> History:
        """Every version of ``article`` and the diff of each consecutive pair (cached for the
        article last asked for)."""
        key = (article.id, article.latest_path, article.versions)
        if self._history is None or self._history[0] != key:
            self._history = (key, article_history(self.archive, article))
        return self._history[1]

    def _changes_by_rev(self, article: Article) -> dict[int, Change]:
        return {c.new.rev: c for c in self.history(article).changes}

    def _version_rows(self, article: Article, versions: list[Version]) -> list[dict[str, Any]]:
        """The versions list: v0…vN (as ``newsvault history`` numbers them) with what each changed."""
        changes = self._changes_by_rev(article)
        return [
            {"rev": v.rev, "seen": fmt(v.seen if v.seen is not None else v.published, self.tz), "title": v.title,
             "delta": change_label(changes.get(v.rev)) if v.rev > 0 else None}
            for v in versions
        ]

    def _change_view(self, article: Article, versions: list[Version], rev: int) -> dict[str, Any]:
        """What version ``rev`` changed against the one before it."""
        c = self._changes_by_rev(article).get(rev)
        view: dict[str, Any] = {"from": rev - 1, "to": rev, "label": change_label(c), "same": c is None,
                                "markup_only": bool(c and c.markup_only), "title": None, "diff": ""}
        if c is not None:
            if c.title_segments is not None:
                view["title"] = {"old": c.old.title, "new": c.new.title, "html": remove_bad_chars(render_diff_html(c.title_segments, context=0, keep=200))}
            view["diff"] = remove_bad_chars(render_diff_html(c.segments))
        return view

    def changes(self, slug: str | None = None, *, events: Sequence[ChangeEvent] | None = None) -> str:
        """Every edit and deletion (of source ``slug``, or all), newest first (the newest
        :data:`~newsvault.publish.changes.CHANGES_SIZE`, described)."""
        if slug is not None and self.archive.catalog.count_articles(source=slug) == 0:
            raise NotFound(f"no source {slug!r} in this archive")
        if events is None:
            events = recent_changes(self.archive, source=slug, deleted=self.deleted)
        return self._page(
            "changes.html", changes_path(slug), events=[self._event_view(e) for e in events], slug=slug,
            source_name=self.archive.source_display_name(slug) if slug else None, sources=self.sources() if slug is None else None,
        )

    def _event_view(self, e: ChangeEvent) -> dict[str, Any]:
        a = e.article
        return {"e": e, "a": a, "date": local_minute(e.when, self.tz), "iso": fmt(e.when, UTC, "%Y-%m-%dT%H:%M:%SZ"),
                "source_name": self.archive.source_display_name(a.source)}

    def health(self, health: dict[str, SourceHealth] | None = None) -> str:
        """Every source's health (:mod:`newsvault.health`; ``health``: computed already), times
        in the archive's zone."""
        from ..health import DAYS, any_pass_recorded, source_health

        health = source_health(self.archive) if health is None else health
        with_articles = self.archive.catalog.stats()["sources"]
        rows = []
        for slug, h in health.items():
            top = max(h.per_day) or 1
            rows.append({
                "slug": slug, "name": self.archive.source_display_name(slug), "status": h.status, "linked": slug in with_articles,
                "last_success": fmt(h.last_success, self.tz), "last_failure": fmt(h.last_failure, self.tz),
                "reason": h.last_failure_reason, "failures": h.failures_in_a_row, "a_day": f"{h.articles_a_day:.1f}",
                "per_day": h.per_day, "spark": "".join(_SPARK[round(n * (len(_SPARK) - 1) / top)] for n in h.per_day),
            })
        return self._page("health.html", "health.html", rows=rows, days=DAYS, recorded=any_pass_recorded(health))

    def search_page(self, query: str = "", results: Iterable[Article] | None = None, *, sources: list[str] | None = None,
                    snippets: dict[str, tuple[str, str]] | None = None, order: str = "relevance",
                    paging: dict[str, Any] | None = None) -> str:
        """Static mode (results None): the page that searches the prebuilt index in the browser.
        Live mode: the server passes its results in order, and ``snippets``: article id ->
        (title HTML, snippet HTML), escaped text with the matches in ``<mark>``; ``paging``:
        ``total`` matches, this page's ``offset`` and ``size``, the ``source`` filter."""
        client_side = results is None and self.mode == "static"
        items = [self.item(a) for a in results] if results is not None else []
        marks = {k: (remove_bad_chars(t), remove_bad_chars(sn)) for k, (t, sn) in (snippets or {}).items()}
        return self._page("search.html", "search.html", query=query, items=items, client_side=client_side,
                          answered=results is not None, snippets=marks, order=order,
                          paging=paging or {"total": len(items), "offset": 0, "size": max(1, len(items)), "source": None})

    def not_found(self, message: str) -> str:
        return self._page("notfound.html", "404.html", message=message)
