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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..archive import Archive
from ..catalog import Article
from ..errors import ArchiveError, RecordError
from ..preserve.checks import deleted_articles
from . import render as R
from .atom import FEED_SIZE, FeedEntry, feed_xml
from .search_index import Doc, SearchIndex, hash_text, segment, text_of_html

__all__ = ["build_site", "SiteReport"]

_TEMP = ".nv-site-"
PARALLEL_MIN = 400  # below this many article pages, worker processes cost more than they save


@dataclass
class SiteReport:
    site: str
    written: int = 0
    skipped: int = 0
    removed: int = 0
    articles_rendered: int = 0
    seconds: float = 0.0
    errors: list[dict] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # written, when few (for --json and tests)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def _h(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


class _Writer:
    """Atomic file replacement without a per-file fsync; remembers folders it created.
    ``atomic=False`` (a site being built from nothing: no reader to protect) writes in place."""

    def __init__(self, root: Path, atomic: bool = True):
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


# -- article pages, possibly in worker processes --------------------------------------------------

_worker_renderer: R.PageRenderer | None = None


def _render_articles(root: str, jobs: list[tuple], lead: int, shards: int, atomic: bool = True) -> tuple[list[tuple[str, str]], dict[int, str], dict[str, str], list[dict]]:
    """Render article pages (and their version pages) and index the text of new or changed ones.
    Returns (rel, hash) of pages written, a search segment, id → text hash indexed, errors.
    Runs in a worker process (fork: inherits the renderer) or in the main process."""
    renderer = _worker_renderer
    assert renderer is not None
    write = _Writer(Path(root), atomic)
    done: list[tuple[str, str]] = []
    texts: list[tuple[int, str]] = []
    digests: dict[str, str] = {}
    errors: list[dict] = []
    archive = renderer.archive
    for article, versions, pages, doc in jobs:
        records: dict[str, object] = {}
        for rel, page_hash, rev in pages:
            path = article.latest_path if rev is None else versions[rev].path
            try:
                record = records.get(path) or archive.read(path)
            except (OSError, RecordError) as e:
                errors.append({"path": path, "reason": str(e)})
                continue
            records[path] = record
            html, body = renderer.article_parts(article.id, rev, article=article, versions=versions, record=record)
            write(rel, html)
            done.append((rel, page_hash))
            if doc is not None and rev is None:
                text = f"{article.title}\n{text_of_html(body, lead)}"
                digest = hash_text(text)
                if digest != doc[1]:
                    texts.append((doc[0], text))
                    digests[article.id] = digest
    return done, segment(texts, shards), digests, errors


def _parallel(root: Path, jobs: list[tuple], lead: int, shards: int, workers: int, atomic: bool) -> tuple[list, list, dict, list]:
    import multiprocessing as mp

    n = max(1, min(workers, 8))
    size = max(50, math.ceil(len(jobs) / (n * 4)))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    done: list = []
    segments: list = []
    digests: dict = {}
    errors: list = []
    ctx = mp.get_context("fork")
    with ctx.Pool(n) as pool:
        for d, seg, dg, e in pool.starmap(_render_articles, [(str(root), c, lead, shards, atomic) for c in chunks]):
            done.extend(d)
            segments.append(seg)
            digests.update(dg)
            errors.extend(e)
    return done, segments, digests, errors


# -- the build ------------------------------------------------------------------------------------

def _manifest_path(archive: Archive, site: Path) -> Path:
    key = hashlib.sha1(str(site).encode()).hexdigest()[:12]
    return archive.state_dir / "publish" / f"site-{key}.pickle"


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
    global _worker_renderer
    t0 = time.perf_counter()
    site = Path(site).resolve()
    if site == archive.root or archive.root.is_relative_to(site):
        raise ArchiveError(f"{site}: the site must not contain the archive; choose an empty or separate folder")
    try:
        site.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ArchiveError(f"cannot create site folder {site}: {e.strerror or e}") from None
    if any(site.iterdir()) and not (site / ".newsvault-site").exists():
        raise ArchiveError(f"{site} is not empty and is not a newsvault site; choose an empty folder")
    report = SiteReport(site=str(site))
    mark = [time.perf_counter()]

    def phase(name: str) -> None:
        now = time.perf_counter()
        report.phases[name] = round(now - mark[0], 3)
        mark[0] = now
    marker = site / ".newsvault-site"
    if not marker.exists():
        marker.write_text("This folder is a site built by `newsvault build --site`; files here are replaced on rebuild.\n")
        (site / ".nojekyll").write_text("")  # GitHub Pages: serve the files as they are
    say = progress or (lambda _msg: None)

    manifest_path = _manifest_path(archive, site)
    version = R.site_version()
    try:
        with open(manifest_path, "rb") as f:
            manifest = pickle.load(f)
    except (OSError, ValueError, EOFError, pickle.UnpicklingError):
        manifest = {}
    if not (site / "index.html").exists():
        manifest = {}  # the site was emptied: build everything
    if manifest.get("version") != version or manifest.get("base_url") != base_url:
        old_pages: dict[str, str] = {}
        previous = manifest.get("pages", {})
    else:
        old_pages = manifest.get("pages", {})
        previous = old_pages
    new_pages: dict[str, str] = {}
    write = _Writer(site)

    def want(rel: str, page_hash: str) -> bool:
        """Record the page; True when it must be (re)written."""
        new_pages[rel] = page_hash
        if old_pages.get(rel) == page_hash:
            report.skipped += 1
            return False
        return True

    renderer = R.PageRenderer(archive, mode="static")
    catalog = archive.catalog
    say("loading catalog")
    if articles is None:
        articles = catalog.list_articles()  # newest first, one query
    deleted = deleted_articles(archive)
    renderer._deleted = deleted
    names = {s: archive.source_display_name(s) for s in {a.source for a in articles}}
    items = [R.Item(a.id, a.title, a.source, names[a.source], a.published, a.versions, a.id in deleted) for a in articles]
    keys = {it.id: f"{it.id}\x1f{it.title}\x1f{it.source_name}\x1f{it.published}\x1f{it.versions}\x1f{it.deleted}" for it in items}
    site_name = archive.config.name
    common = (version, site_name)

    def item_key(it: R.Item) -> str:
        return keys[it.id]

    # -- article pages --------------------------------------------------------------------------
    search_state = archive.state_dir / "publish" / f"search-{manifest_path.stem[5:]}.pickle"
    index = SearchIndex(site, search_state, write)
    reindex_all = index.fresh
    index.plan([a.id for a in reversed(articles)], len(articles))
    jobs = []
    for a in articles:
        # Versions are immutable files: a new one changes latest_path, versions and size.
        base = _h(common, a.id, a.title, a.latest_path, a.content_hash, a.versions, a.size, deleted.get(a.id), names[a.source], a.published)
        pages = []
        rel = R.article_path(a.id)
        main_stale = want(rel, base)
        if main_stale or reindex_all:
            pages.append((rel, base, None))
        versions = None
        if a.versions > 1:
            # Pages of older versions show that version only: they change when it does, not when
            # a later version arrives. While the article page is unchanged, none of them has.
            if main_stale:
                versions = catalog.versions(a.id)
            for v in (versions or [])[:-1]:
                rrel = R.article_path(a.id, v.rev)
                if want(rrel, _h(common, a.id, v.rev, v.path, v.content_hash, v.seen, v.title, names[a.source])):
                    pages.append((rrel, new_pages[rrel], v.rev))
            if not main_stale:
                for rev in range(a.versions - 1):
                    rrel = R.article_path(a.id, rev)
                    if rrel in old_pages:
                        want(rrel, old_pages[rrel])
                    else:  # missing from the manifest: render it after all
                        versions = versions or catalog.versions(a.id)
                        v = versions[rev]
                        want(rrel, _h(common, a.id, v.rev, v.path, v.content_hash, v.seen, v.title, names[a.source]))
                        pages.append((rrel, new_pages[rrel], rev))
        if pages:
            if versions is None and a.versions > 1:
                versions = catalog.versions(a.id)
            jobs.append((a, versions, pages, index.number(a.id)))
    shards = index.begin(sum(1 for j in jobs if j[3] is not None and any(p[2] is None for p in j[2])))
    phase("load")
    say(f"rendering {len(jobs)} articles")
    _worker_renderer = renderer
    try:
        n_workers = workers if workers is not None else (os.cpu_count() or 1)
        if len(jobs) >= PARALLEL_MIN and n_workers > 1:
            done, segments, digests, errors = _parallel(site, jobs, index.lead, shards, n_workers, bool(previous))
        else:
            done, seg, digests, errors = _render_articles(str(site), jobs, index.lead, shards, bool(previous))
            segments = [seg]
    finally:
        _worker_renderer = None
    report.articles_rendered = len(jobs)
    report.errors.extend(errors)
    written_articles = {rel for rel, _h2 in done}
    for rel, page_hash, _rev in (p for j in jobs for p in j[2]):
        if rel not in written_articles:
            new_pages.pop(rel, None)  # unreadable record: try again next time
    write.count += len(done)
    write.names.extend(r for r, _ in done[:50])

    # -- search index ------------------------------------------------------------------------------
    phase("articles")
    say("search index")
    source_order = [s.slug for s in archive.config.sources]
    slugs = [s for s in source_order if s in names] + sorted(s for s in names if s not in source_order)
    src_index = {s: i for i, s in enumerate(slugs)}
    docs = {it.id: Doc(it.id, src_index[it.source], it.date, it.title) for it in items}
    stamp = _h(version, time.time())[:10]
    index.commit(segments, digests, docs, [names[s] for s in slugs], stamp)
    new_pages["search/meta.js"] = "always"

    # -- list pages -------------------------------------------------------------------------------
    phase("search index")
    say("list pages")
    sources = [{"slug": s, "name": names[s], "count": 0} for s in slugs]
    by_source: dict[str, list[R.Item]] = {s: [] for s in slugs}
    for it in items:
        by_source[it.source].append(it)
    for s in sources:
        s["count"] = len(by_source[s["slug"]])
    top = items[: R.PAGE_SIZE]
    h = _h(common, [item_key(i) for i in top], [(s["slug"], s["name"], s["count"]) for s in sources], len(items))
    if want("index.html", h):
        write("index.html", renderer.home(1, sources=sources, items=top, total=len(items)))
    for slug, its in by_source.items():
        # Numbered pages count from the oldest, so new articles change only the newest page or
        # two (and the source's index page), not every page of a source.
        pages = max(1, math.ceil(len(its) / R.PAGE_SIZE))
        oldest_first = its[::-1]
        head = its[: R.PAGE_SIZE]
        if want(R.source_path(slug), _h(common, slug, names[slug], pages, len(its), [item_key(i) for i in head])):
            write(R.source_path(slug), renderer.source_static(slug, None, pages, head, len(its)))
        for k in range(1, pages + 1):
            chunk = oldest_first[(k - 1) * R.PAGE_SIZE : k * R.PAGE_SIZE][::-1]
            rel = R.source_path(slug, k, numbered=True)
            if want(rel, _h(common, slug, names[slug], k, k == pages, [item_key(i) for i in chunk])):
                write(rel, renderer.source_static(slug, k, pages, chunk, len(its)))
    by_day: dict[str, list[R.Item]] = {}
    for it in items:
        d = R.day_of(it.published)
        if d:
            by_day.setdefault(d, []).append(it)
    days = sorted(by_day, reverse=True)
    for i, d in enumerate(days):
        neighbours = (days[i + 1] if i + 1 < len(days) else None, days[i - 1] if i > 0 else None)
        rel = R.day_path(d)
        if want(rel, _h(common, d, neighbours, [item_key(x) for x in by_day[d]])):
            write(rel, renderer.day(d, items=by_day[d], neighbours=neighbours))
    day_counts = [(d, len(by_day[d])) for d in days]
    if want("days/index.html", _h(common, day_counts)):
        write("days/index.html", renderer.days(day_counts))
    if want("search.html", _h(common)):
        write("search.html", renderer.search_page())
    if want("404.html", _h(common)):
        write("404.html", renderer.not_found("这个页面不在本镜像中。"))

    # -- feeds ----------------------------------------------------------------------------------
    phase("list pages")
    say("feeds")
    feeds = [(None, site_name, items)] + [(s, f"{names[s]} · {site_name}", by_source[s]) for s in slugs]
    by_id = {a.id: a for a in articles}
    for slug, title, its in feeds:
        newest = its[:FEED_SIZE]
        rel = f"feeds/{slug or 'all'}.xml"
        fh = _h(common, base_url, title, [(item_key(i), by_id[i.id].content_hash, by_id[i.id].latest_path) for i in newest])
        if want(rel, fh):
            write(rel, _feed(archive, renderer, title, slug, [by_id[i.id] for i in newest], names, base_url))

    phase("feeds")
    # -- static assets --------------------------------------------------------------------------
    for p in sorted(R.STATIC_DIR.iterdir()):
        if p.is_file():
            rel = f"static/{p.name}"
            data = p.read_bytes()
            if want(rel, _h(hashlib.sha256(data).hexdigest())):
                write(rel, data)

    # -- remove what is no longer part of the site ------------------------------------------------
    for rel in previous:
        if rel not in new_pages and not rel.startswith("search/"):
            try:
                (site / rel).unlink()
                report.removed += 1
            except FileNotFoundError:
                pass
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = manifest_path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        pickle.dump({"version": version, "base_url": base_url, "pages": new_pages}, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(manifest_path)
    phase("finish")
    report.written = write.count
    report.files = write.names[:200]
    report.seconds = round(time.perf_counter() - t0, 3)
    return report


def _feed(archive: Archive, renderer: R.PageRenderer, title: str, slug: str | None, arts: list[Article], names: dict, base_url: str | None) -> str:
    entries = []
    for a in arts:
        try:
            record = archive.read(a.latest_path)
        except (OSError, RecordError):
            continue
        versions = archive.catalog.versions(a.id) if a.versions > 1 else None
        updated = max((v.seen or 0 for v in versions), default=0) if versions else None
        entries.append(
            FeedEntry(
                article=a, source_name=names[a.source], title=record.title or a.title, url=record.url,
                published=a.published, updated=updated or a.published, content_html=R.publish_body(record, renderer.extractor),
            )
        )
    feed_id = f"tag:newsvault,2024:{archive.config.name}/{slug or 'all'}"
    home = R.source_path(slug) if slug else "index.html"
    return feed_xml(title, feed_id, entries, self_href=f"feeds/{slug or 'all'}.xml", home_href=home, base_url=base_url)
