"""The static mirror site, built incrementally (``newsvault build --site DIR``).

Every output file has an *input hash*: what it was made from (catalog rows, deletion state,
templates and static files). A manifest in ``.newsvault/publish/`` remembers the hash of every
file written, so a rebuild renders and writes only the files whose inputs changed, and removes
the files that are no longer part of the site. Rows are loaded from the catalog in bulk (one
query for all articles), record files are read only for pages that are rendered, and article
pages are rendered in parallel worker processes when there are many.

The site is derived data: files are replaced atomically (temp file + rename) but not fsynced one
by one; a crash leaves whole files, and the manifest is saved last, so the next build redoes
whatever was not recorded.
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..archive import Archive
from ..catalog import Article, Version
from ..errors import ArchiveError, RecordError
from ..health import source_health
from ..preserve.checks import deleted_articles
from ..record import Record
from . import render as R
from .atom import FEED_SIZE, article_changes_feed, changes_feed_for, feed_for
from .changes import CHANGES_SIZE, ChangeEvent, change_events, describe
from .evidence_pages import EVIDENCE_DIR, file_state, listings
from .evidence_pages import rows as evidence_rows
from .files import copy_kept_files
from .search_index import Doc, SearchIndex, hash_text, segment, text_of_html

__all__ = ["build_site", "SiteBuild", "SiteReport"]

_TEMP = ".nv-site-"
RELATIVE_FEEDS_NOTE = ("note: without --base-url, the Atom feeds' self and entry links are relative "
                       "(feed readers need the site's address: --base-url https://…/)")
PARALLEL_MIN = 400  # below this many article pages, worker processes cost more than they save


@dataclass
class SiteReport:
    site: str
    written: int = 0
    skipped: int = 0
    removed: int = 0
    articles_rendered: int = 0
    seconds: float = 0.0
    errors: list[dict[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # written, when few (for --json and tests)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step
    notes: list[str] = field(default_factory=list)  # one line each, for the user

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def _h(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


class _Writer:
    """Atomic file replacement without a per-file fsync; remembers folders it created.
    ``atomic=False`` (a site being built from nothing: no reader to protect) writes in place."""

    def __init__(self, root: Path, atomic: bool = True) -> None:
        self.root = root
        self.atomic = atomic
        self.dirs: set[Path] = set()
        self.count = 0
        self.names: list[str] = []

    def __call__(self, rel: str, text: str | bytes) -> None:
        path = self.root / rel
        parent = path.parent
        if parent not in self.dirs:
            parent.mkdir(parents=True, exist_ok=True)
            self.dirs.add(parent)
        data = text.encode("utf-8") if isinstance(text, str) else text
        if not self.atomic:
            with open(path, "wb") as f:
                f.write(data)
        else:
            tmp = parent / f"{_TEMP}{path.name}.{os.getpid()}"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        self.count += 1
        if len(self.names) < 200:
            self.names.append(rel)


# -- jobs -----------------------------------------------------------------------------------------

@dataclass
class PageJob:
    """One page of an article: the latest version (``rev`` None) or an older version."""

    rel: str
    hash: str
    rev: int | None


@dataclass
class ArticleJob:
    """An article with pages to render. ``doc``: its search index entry (number, text hash),
    None when it is not in the index yet."""

    article: Article
    versions: list[Version] | None
    pages: list[PageJob]
    doc: tuple[int, str] | None

    @property
    def indexes_text(self) -> bool:
        return self.doc is not None and any(p.rev is None for p in self.pages)


@dataclass
class Rendered:
    """What rendering a batch of article jobs gave."""

    done: list[tuple[str, str]] = field(default_factory=list)  # (rel, hash) of pages written
    segments: list[dict[int, str]] = field(default_factory=list)  # search index segments
    digests: dict[str, str] = field(default_factory=dict)  # article id -> text hash indexed
    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, other: Rendered) -> None:
        self.done.extend(other.done)
        self.segments.extend(other.segments)
        self.digests.update(other.digests)
        self.errors.extend(other.errors)


# -- article pages, possibly in worker processes --------------------------------------------------

_worker_renderer: R.PageRenderer | None = None


def _render_articles(root: str, jobs: list[ArticleJob], lead: int, shards: int, atomic: bool = True) -> Rendered:
    """Render article pages (and their version pages) and index the text of new or changed ones.
    Runs in a worker process (fork: inherits the renderer) or in the main process."""
    renderer = _worker_renderer
    assert renderer is not None
    write = _Writer(Path(root), atomic)
    out = Rendered()
    texts: list[tuple[int, str]] = []
    for job in jobs:
        records: dict[str, Record] = {}
        for page in job.pages:
            record = _read_for(renderer.archive, job, page, records, out.errors)
            if record is None:
                continue
            a = job.article
            html, body = renderer.article_parts(a.id, page.rev, article=a, versions=job.versions, record=record)
            write(page.rel, html)
            out.done.append((page.rel, page.hash))
            if job.doc is not None and page.rev is None:
                text = f"{a.title}\n{text_of_html(body, lead)}"
                digest = hash_text(text)
                if digest != job.doc[1]:
                    texts.append((job.doc[0], text))
                    out.digests[a.id] = digest
    out.segments.append(segment(texts, shards, write))
    return out


def _read_for(archive: Archive, job: ArticleJob, page: PageJob, cache: dict[str, Record], errors: list[dict[str, str]]) -> Record | None:
    """The record a page shows (read once per job); None, with the error noted, if unreadable."""
    a = job.article
    path = a.latest_path if page.rev is None or job.versions is None else job.versions[page.rev].path
    if path in cache:
        return cache[path]
    try:
        cache[path] = archive.read(path)
    except (OSError, RecordError) as e:
        errors.append({"path": path, "reason": str(e)})
        return None
    return cache[path]


def _worker_start() -> None:
    """Pool worker start-up. A forked worker would inherit the command's SIGTERM handler, which
    raises wherever it lands — inside the pool's own queue code, holding its lock, which hung
    the build. The default action instead: a worker sent SIGTERM dies, the pool sees it and the
    build stops with an error. Ctrl-C reaches the whole process group; the parent handles it."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _parallel(root: Path, jobs: list[ArticleJob], lead: int, shards: int, workers: int, atomic: bool) -> Rendered:
    """Render in worker processes. concurrent.futures, not multiprocessing.Pool: a Pool whose
    worker dies replaces it and waits forever for the lost task; this pool fails instead."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    n = max(1, min(workers, 8))
    size = max(50, math.ceil(len(jobs) / (n * 4)))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    out = Rendered()
    with ProcessPoolExecutor(n, mp_context=mp.get_context("fork"), initializer=_worker_start) as pool:
        try:
            for part in pool.map(_render_articles, *zip(*[(str(root), c, lead, shards, atomic) for c in chunks], strict=True)):
                out.add(part)
        except BrokenProcessPool:
            raise ArchiveError("a process rendering the site's pages died, so the build stopped; "
                               "nothing is lost: the next build redoes the pages this one did not finish") from None
    return out


# -- the build ------------------------------------------------------------------------------------

def _manifest_path(archive: Archive, site: Path) -> Path:
    key = hashlib.sha1(str(site).encode()).hexdigest()[:12]
    return archive.state_dir / "publish" / f"site-{key}.pickle"


def _prepare_folder(archive: Archive, site: Path) -> None:
    """Refuse a folder that holds the archive or other files; mark a new site folder."""
    if site == archive.root or archive.root.is_relative_to(site):
        raise ArchiveError(f"{site}: the site must not contain the archive; choose an empty or separate folder")
    try:
        site.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ArchiveError(f"cannot create site folder {site}: {e.strerror or e}") from None
    marker = site / ".newsvault-site"
    if any(site.iterdir()) and not marker.exists():
        raise ArchiveError(f"{site} is not empty and is not a newsvault site; choose an empty folder")
    if not marker.exists():
        marker.write_text("This folder is a site built by `newsvault build --site`; files here are replaced on rebuild.\n")
        (site / ".nojekyll").write_text("")  # GitHub Pages: serve the files as they are


def _event_key(e: ChangeEvent) -> tuple[str, str, int | None, int]:
    return (e.kind, e.article.id, e.rev, e.when)


class SiteBuild:
    """One build of the site, phase by phase: :meth:`load`, :meth:`plan`, :meth:`render_articles`,
    :meth:`search_index`, :meth:`list_pages`, :meth:`feeds`, :meth:`static_assets`, :meth:`prune`
    (then the manifest is saved). :func:`build_site` runs them in that order."""

    def __init__(self, archive: Archive, site: Path, *, base_url: str | None = None, workers: int | None = None,
                 progress: Callable[[str], None] | None = None, articles: list[Article] | None = None) -> None:
        self.archive = archive
        self.site = site
        self.base_url = base_url
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.say = progress or (lambda _msg: None)
        self.articles = articles
        self.report = SiteReport(site=str(site))
        if not base_url:
            self.report.notes.append(RELATIVE_FEEDS_NOTE)
        self.write = _Writer(site)
        self.renderer = R.PageRenderer(archive, mode="static")
        self.manifest_path = _manifest_path(archive, site)
        self.version = R.site_version()
        self.common = (self.version, archive.config.name)
        self.old_pages: dict[str, str] = {}
        self.previous: dict[str, str] = {}
        self.new_pages: dict[str, str] = {}
        # Articles whose page inputs changed since the build ``old_pages`` describes, and those
        # among them that are new to it; list pages without either keep their hashes (below).
        self.stale: set[str] = set()
        self.new: set[str] = set()
        self.old_counts: dict[str, int] = {}  # source -> articles, at that build
        self._mark = time.perf_counter()

    # -- bookkeeping -------------------------------------------------------------------------------
    def phase(self, name: str) -> None:
        now = time.perf_counter()
        self.report.phases[name] = round(now - self._mark, 3)
        self._mark = now

    def want(self, rel: str, page_hash: str) -> bool:
        """Record the page; True when it must be (re)written."""
        self.new_pages[rel] = page_hash
        if self.old_pages.get(rel) == page_hash:
            self.report.skipped += 1
            return False
        return True

    def put(self, rel: str, page_hash: str, render: Callable[[], str | bytes]) -> None:
        """Write ``rel`` when its inputs changed."""
        if self.want(rel, page_hash):
            self.write(rel, render())

    def keep(self, rel: str) -> bool:
        """Keep ``rel`` as the previous build wrote it (its inputs are known not to have
        changed); False when the manifest does not have it."""
        old = self.old_pages.get(rel)
        if old is None:
            return False
        self.new_pages[rel] = old
        self.report.skipped += 1
        return True

    @staticmethod
    def item_key(it: R.Item) -> str:
        return f"{it.id}\x1f{it.title}\x1f{it.source_name}\x1f{it.published}\x1f{it.versions}\x1f{it.deleted}"

    # -- phases ----------------------------------------------------------------------------------
    def load(self) -> None:
        """The manifest of the previous build, every article, deletion state, display names."""
        try:
            with open(self.manifest_path, "rb") as f:
                manifest = pickle.load(f)
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):
            manifest = {}
        if not (self.site / "index.html").exists():
            manifest = {}  # the site was emptied: build everything
        if manifest.get("version") != self.version or manifest.get("base_url") != self.base_url:
            self.previous = manifest.get("pages", {})
        else:
            self.old_pages = self.previous = manifest.get("pages", {})
            self.old_counts = manifest.get("counts", {})
        self.say("loading catalog")
        if self.articles is None:
            self.articles = self.archive.catalog.list_articles()  # newest first, one query
        self.deleted = deleted_articles(self.archive)
        self.renderer._deleted = self.deleted
        self.evidence = listings(self.archive)  # article id -> the manifest lines listing its files
        self.renderer.verified = set(self.evidence)
        self.names = {s: self.archive.source_display_name(s) for s in {a.source for a in self.articles}}
        tz = self.renderer.tz
        self.items = [R.Item(a.id, a.title, a.source, self.names[a.source], a.published, a.versions, a.id in self.deleted, tz)
                      for a in self.articles]
        search_state = self.archive.state_dir / "publish" / f"search-{self.manifest_path.stem[5:]}.pickle"
        self.index = SearchIndex(self.site, search_state, self.write)

    def _version_hash(self, a: Article, v: Version) -> str:
        return _h(self.common, a.id, v.rev, v.path, v.content_hash, v.seen, v.title, self.names[a.source], a.id in self.evidence)

    def plan(self) -> None:
        """Which article pages to render: those whose inputs changed (all, for a new index)."""
        assert self.articles is not None
        reindex_all = self.index.fresh
        self.index.plan([a.id for a in reversed(self.articles)], len(self.articles))
        self.jobs: list[ArticleJob] = []
        for a in self.articles:
            job = self._plan_article(a, reindex_all)
            if job is not None:
                self.jobs.append(job)
        self.shards = self.index.begin(sum(1 for j in self.jobs if j.indexes_text))
        self.phase("load")

    def _plan_article(self, a: Article, reindex_all: bool) -> ArticleJob | None:
        # Versions are immutable files: a new one changes latest_path, versions and size.
        base = _h(self.common, a.id, a.title, a.latest_path, a.content_hash, a.versions, a.size,
                  self.deleted.get(a.id), self.names[a.source], a.published, a.id in self.evidence)
        rel = R.article_path(a.id)
        main_stale = self.want(rel, base)
        if main_stale:
            self.stale.add(a.id)
            if rel not in self.old_pages:
                self.new.add(a.id)
        pages = [PageJob(rel, base, None)] if main_stale or reindex_all else []
        versions = None
        if a.versions > 1:
            versions, older = self._plan_versions(a, main_stale)
            pages.extend(older)
        if not pages:
            return None
        if versions is None and a.versions > 1:
            versions = self.archive.catalog.versions(a.id)
        return ArticleJob(a, versions, pages, self.index.number(a.id))

    def _plan_versions(self, a: Article, main_stale: bool) -> tuple[list[Version] | None, list[PageJob]]:
        """Pages of older versions show that version only: they change when it does, not when a
        later version arrives. While the article page is unchanged, none of them has."""
        versions = self.archive.catalog.versions(a.id) if main_stale else None
        pages = []
        for v in (versions or [])[:-1]:
            rrel = R.article_path(a.id, v.rev)
            if self.want(rrel, self._version_hash(a, v)):
                pages.append(PageJob(rrel, self.new_pages[rrel], v.rev))
        if not main_stale:
            for rev in range(a.versions - 1):
                rrel = R.article_path(a.id, rev)
                if rrel in self.old_pages:
                    self.want(rrel, self.old_pages[rrel])
                else:  # missing from the manifest: render it after all
                    versions = versions or self.archive.catalog.versions(a.id)
                    self.want(rrel, self._version_hash(a, versions[rev]))
                    pages.append(PageJob(rrel, self.new_pages[rrel], rev))
        return versions, pages

    def render_articles(self) -> None:
        global _worker_renderer
        self.say(f"rendering {len(self.jobs)} articles")
        atomic = bool(self.previous)
        _worker_renderer = self.renderer
        try:
            if len(self.jobs) >= PARALLEL_MIN and self.workers > 1:
                out = _parallel(self.site, self.jobs, self.index.lead, self.shards, self.workers, atomic)
            else:
                out = _render_articles(str(self.site), self.jobs, self.index.lead, self.shards, atomic)
        finally:
            _worker_renderer = None
        self.rendered = out
        self.report.articles_rendered = len(self.jobs)
        self.report.errors.extend(out.errors)
        written = {rel for rel, _hash in out.done}
        for page in (p for j in self.jobs for p in j.pages):
            if page.rel not in written:
                self.new_pages.pop(page.rel, None)  # unreadable record: try again next time
        self.write.count += len(out.done)
        self.write.names.extend(r for r, _ in out.done[:50])
        self.phase("articles")

    def search_index(self) -> None:
        self.say("search index")
        source_order = [s.slug for s in self.archive.config.sources]
        self.slugs = [s for s in source_order if s in self.names] + sorted(s for s in self.names if s not in source_order)
        src_index = {s: i for i, s in enumerate(self.slugs)}
        docs = {it.id: Doc(it.id, src_index[it.source], it.date, it.title) for it in self.items}
        self.index.commit(self.rendered.segments, self.rendered.digests, docs, [self.names[s] for s in self.slugs], self.version)
        self.new_pages["search/meta.js"] = "always"
        self.phase("search index")

    def list_pages(self) -> None:
        self.say("list pages")
        self.by_source: dict[str, list[R.Item]] = {s: [] for s in self.slugs}
        for it in self.items:
            self.by_source[it.source].append(it)
        self._home()
        for slug, its in self.by_source.items():
            self._source_pages(slug, its)
        self._day_pages()
        r = self.renderer
        self._changes_pages()
        health = source_health(self.archive)
        self.put("health.html", _h(self.common, sorted(self.names.items()), [h.as_dict() for h in health.values()]),
                 lambda: r.health(health))
        self.put("search.html", _h(self.common), r.search_page)
        self.put("404.html", _h(self.common), lambda: r.not_found("这个页面不在本镜像中。"))
        self.phase("list pages")

    def _home(self) -> None:
        sources = [{"slug": s, "name": self.names[s], "count": len(self.by_source[s])} for s in self.slugs]
        top = self.items[: R.PAGE_SIZE]
        h = _h(self.common, [self.item_key(i) for i in top], [(s["slug"], s["name"], s["count"]) for s in sources], len(self.items))
        self.put("index.html", h, lambda: self.renderer.home(1, sources=sources, items=top, total=len(self.items)))

    def _source_pages(self, slug: str, its: list[R.Item]) -> None:
        # Numbered pages count from the oldest, so new articles change only the newest page or
        # two (and the source's index page), not every page of a source.
        r, name = self.renderer, self.names[slug]
        pages = max(1, math.ceil(len(its) / R.PAGE_SIZE))
        oldest_first = its[::-1]
        head = its[: R.PAGE_SIZE]
        self.put(R.source_path(slug), _h(self.common, slug, name, pages, len(its), [self.item_key(i) for i in head]),
                 lambda: r.source_static(slug, None, pages, head, len(its)))
        # Pages wholly before the first new article (oldest first) hold what they held, unless
        # one of them was the last page (its "next" link changes).
        first = self._first_change(slug, oldest_first)
        old_last = max(1, math.ceil(self.old_counts.get(slug, 0) / R.PAGE_SIZE))
        for k in range(1, pages + 1):
            rel = R.source_path(slug, k, numbered=True)
            if k * R.PAGE_SIZE <= first and k < old_last and self.keep(rel):
                continue
            chunk = oldest_first[(k - 1) * R.PAGE_SIZE : k * R.PAGE_SIZE][::-1]
            self.put(rel, _h(self.common, slug, name, k, k == pages, [self.item_key(i) for i in chunk]),
                     lambda k=k, chunk=chunk: r.source_static(slug, k, pages, chunk, len(its)))  # type: ignore[misc]

    def _only_added(self, its: list[R.Item], old_count: int | None) -> bool:
        """Whether ``its`` (a source's articles, or all) are the previous build's, unchanged and
        in place, plus new ones: no article vanished, and none the previous build showed
        changed (it may have moved: its old date is not known)."""
        if not self.old_pages or old_count is None:
            return False
        moved = self.stale - self.new
        if moved and any(it.id in moved for it in its):
            return False
        return old_count + sum(1 for it in its if it.id in self.new) == len(its)

    def _first_change(self, slug: str, oldest_first: list[R.Item]) -> int:
        """The position (oldest first) of the source's first new article; 0 when the previous
        build cannot be compared with (every page is then checked)."""
        if not self._only_added(oldest_first, self.old_counts.get(slug)):
            return 0
        return next((i for i, it in enumerate(oldest_first) if it.id in self.new), len(oldest_first))

    def _changes_pages(self) -> None:
        """``changes.html`` and ``changes/<slug>.html``: the newest edits and deletions, and
        their feeds. Each is described once (diffs read only the versions concerned)."""
        assert self.articles is not None
        events = change_events(self.archive, self.articles, self.deleted)
        per_slug = {s: [e for e in events if e.article.source == s][:CHANGES_SIZE] for s in self.slugs}
        wanted = {_event_key(e): e for e in events[:CHANGES_SIZE]}
        for evs in per_slug.values():
            wanted.update((_event_key(e), e) for e in evs)
        described = {_event_key(e): e for e in describe(self.archive, list(wanted.values()))}
        r = self.renderer
        for slug, evs in [(None, events[:CHANGES_SIZE])] + [(s, per_slug[s]) for s in self.slugs]:
            shown = [described[_event_key(e)] for e in evs]
            keys = [(_event_key(e), e.article.title, e.article.versions, self.names[e.article.source]) for e in shown]
            name = self.names.get(slug) if slug else None
            self.put(R.changes_path(slug), _h(self.common, slug, name, keys, None if slug else self.slugs),
                     lambda slug=slug, shown=shown: r.changes(slug, events=shown))  # type: ignore[misc]
            self.put(f"feeds/changes/{slug or 'all'}.xml", _h(self.common, self.base_url, slug, name, keys[:FEED_SIZE]),
                     lambda slug=slug, shown=shown: changes_feed_for(  # type: ignore[misc]
                         self.archive, slug, mode="static", base_url=self.base_url, events=shown))

    def _day_pages(self) -> None:
        r, tz = self.renderer, self.renderer.tz
        by_day: dict[str, list[R.Item]] = {}
        for it in self.items:
            d = R.day_of(it.published, tz)
            if d:
                by_day.setdefault(d, []).append(it)
        days = sorted(by_day, reverse=True)
        # Only new articles since the previous build: the days they fall on change, and the
        # neighbours of a day that is new (their links to it).
        dirty: set[str] | None = None
        if self._only_added(self.items, sum(self.old_counts.values()) if self.old_counts else None):
            dirty = {d for it in self.items if it.id in self.new for d in [R.day_of(it.published, tz)] if d}
            at = {d: i for i, d in enumerate(days)}
            for d in [d for d in dirty if R.day_path(d) not in self.old_pages]:
                dirty.update(days[j] for j in (at[d] - 1, at[d] + 1) if 0 <= j < len(days))
        for i, d in enumerate(days):
            if dirty is not None and d not in dirty and self.keep(R.day_path(d)):
                continue
            neighbours = (days[i + 1] if i + 1 < len(days) else None, days[i - 1] if i > 0 else None)
            self.put(R.day_path(d), _h(self.common, d, neighbours, [self.item_key(x) for x in by_day[d]]),
                     lambda d=d, neighbours=neighbours: r.day(d, items=by_day[d], neighbours=neighbours))  # type: ignore[misc]
        day_counts = [(d, len(by_day[d])) for d in days]
        self.put("days/index.html", _h(self.common, day_counts), lambda: r.days(day_counts))

    def feeds(self) -> None:
        self.say("feeds")
        assert self.articles is not None
        by_id = {a.id: a for a in self.articles}
        for slug, its in [(None, self.items)] + [(s, self.by_source[s]) for s in self.slugs]:
            newest = [by_id[i.id] for i in its[:FEED_SIZE]]
            fh = _h(self.common, self.base_url, slug, [(self.item_key(it), a.content_hash, a.latest_path) for it, a in zip(its[:FEED_SIZE], newest, strict=True)])
            self.put(f"feeds/{slug or 'all'}.xml", fh, lambda slug=slug, newest=newest: feed_for(  # type: ignore[misc]
                self.archive, slug, mode="static", base_url=self.base_url, articles=newest, extractor=self.renderer.extractor))
        for a in self.articles:  # each article's own change feed, linked from its page
            if a.id not in self.stale and self.keep(R.article_changes_path(a.id)):
                continue  # its inputs are among the article page's, which did not change
            self.put(R.article_changes_path(a.id), _h(self.common, self.base_url, a.id, a.title, a.versions, a.latest_path, self.deleted.get(a.id)),
                     lambda a=a: article_changes_feed(self.archive, a, mode="static", base_url=self.base_url, deleted=self.deleted))  # type: ignore[misc]
        self.phase("feeds")

    def evidence_pages(self) -> None:
        """Each "verify this copy" page and the files its commands read (publish/evidence_pages.py)."""
        assert self.articles is not None
        by_id = {a.id: a for a in self.articles}
        root, r = self.archive.root, self.renderer
        copies: dict[str, str] = {}  # site path -> archive path
        for aid, found in self.evidence.items():
            a = by_id.get(aid)
            if a is None:
                continue
            states = {x.path: file_state(root, x.path) for x in found}
            self.put(R.verify_path(aid), _h(self.common, a.title, self.names[a.source], [x.key() for x in found], sorted(states.items())),
                     lambda a=a, found=found: r.verify_page(a, evidence_rows(self.archive, found), EVIDENCE_DIR))  # type: ignore[misc]
            for x in found:
                copies.update((f"{EVIDENCE_DIR}/{rel}", rel) for rel in (x.path, x.manifest, x.token) if rel)
        for site_rel, rel in sorted(copies.items()):
            state = file_state(root, rel)
            if state is not None:
                self.put(site_rel, _h(rel, state), lambda rel=rel: (root / rel).read_bytes())  # type: ignore[misc]
        self.phase("evidence pages")

    def static_assets(self) -> None:
        for p in sorted(R.STATIC_DIR.iterdir()):
            if p.is_file():
                data = p.read_bytes()
                self.put(f"static/{p.name}", _h(hashlib.sha256(data).hexdigest()), lambda data=data: data)  # type: ignore[misc]
        for rel, sha, read in self.renderer.media.files():  # the article images the pages show
            self.put(f"media/{rel}", _h(sha), read)
        copy_kept_files(self.archive.root, self.put)  # the PDFs, images, … `save` kept (publish/files.py)

    def prune(self) -> None:
        """Remove the files of the previous build that are no longer part of the site."""
        for rel in self._stale():
            try:
                (self.site / rel).unlink()
                self.report.removed += 1
            except FileNotFoundError:
                pass

    def _stale(self) -> Iterator[str]:
        return (rel for rel in self.previous if rel not in self.new_pages and not rel.startswith("search/"))

    def save_manifest(self) -> None:
        path = self.manifest_path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            counts = {s: len(its) for s, its in self.by_source.items()}
            pickle.dump({"version": self.version, "base_url": self.base_url, "pages": self.new_pages, "counts": counts},
                        f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        self.phase("finish")

    def run(self) -> SiteReport:
        t0 = time.perf_counter()
        for step in (self.load, self.plan, self.render_articles, self.search_index, self.list_pages,
                     self.feeds, self.evidence_pages, self.static_assets, self.prune, self.save_manifest):
            step()
        self.report.written = self.write.count
        self.report.files = self.write.names[:200]
        self.report.seconds = round(time.perf_counter() - t0, 3)
        return self.report


def build_site(
    archive: Archive,
    site: Path | str,
    *,
    base_url: str | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    articles: list[Article] | None = None,
) -> SiteReport:
    """Build (or bring up to date) the static site in ``site``. ``articles``: every article,
    newest first, if the caller loaded them already."""
    t0 = time.perf_counter()
    site = Path(site).resolve()
    _prepare_folder(archive, site)
    report = SiteBuild(archive, site, base_url=base_url, workers=workers, progress=progress, articles=articles).run()
    report.seconds = round(time.perf_counter() - t0, 3)
    return report
