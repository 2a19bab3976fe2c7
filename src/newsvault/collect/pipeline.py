"""One collect pass: sources → fetch → parse → [extract] → clean → archive.

Every source runs as its own task; a source that fails (or is slow) only fails (or delays)
itself. Nothing is written while a source is being fetched: its items are prepared in memory,
then archived in a batch together with whatever other sources finished in the same half
second (one disk sync, one catalog commit per batch). A fetch or parse failure therefore
never touches the archive.

What the collector remembers (``fetch.ValidatorStore``) is saved only after the batch that
archived a feed's items has committed, and only for feeds whose every item was archived: a
304 can never hide an item that a failed pass did not keep. Entries archived before from
exactly the same feed entry (same fingerprint) are counted unchanged without being cleaned or
fetched again; anything else goes through the archive, which decides new / revision /
unchanged by content.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..archive import Archive, record_key
from ..clean import clean_html, clean_title, fallback_title, is_teaser, item_time
from ..config import Source
from ..errors import NewsvaultError
from ..fetch import Fetcher, FetchPolicy, ValidatorStore
from ..parse import FeedItem
from ..record import Record
from ..urls import article_id, canonical_url
from .work import clean_bodies, clean_link, page_body, parse, wants_page

T = TypeVar("T")

__all__ = ["SourceReport", "PassReport", "run_pass", "collect", "commit_message"]

_FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
_PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_WRITE_WINDOW = 0.5  # seconds: sources finishing this close together share one write batch
_MAX_ERRORS = 5
_POOL_MIN_SOURCES = 16  # per source, in reports (the rest are counted)


@dataclass
class SourceReport:
    slug: str
    new: int = 0
    revised: int = 0
    unchanged: int = 0
    items: int = 0  # entries in the fetched feeds
    skipped: int = 0  # filtered out by the source's category regex
    duplicates: int = 0  # the same article twice in one feed
    not_modified: int = 0  # feeds that answered 304 (or the same bytes as last time)
    undated: int = 0  # archived under the time first seen
    future: int = 0  # dated in the future, clamped to now
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # files written

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    @property
    def reason(self) -> str | None:
        if not self.errors:
            return None
        more = len(self.errors) - _MAX_ERRORS
        return "; ".join(self.errors[:_MAX_ERRORS]) + (f"; and {more} more" if more > 0 else "")

    def as_dict(self) -> dict:
        return {
            "source": self.slug,
            "ok": not self.failed,
            "new": self.new,
            "revised": self.revised,
            "unchanged": self.unchanged,
            "items": self.items,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "not_modified": self.not_modified,
            "undated": self.undated,
            "future": self.future,
            "reason": self.reason,
            "errors": self.errors,
            "warnings": self.warnings,
            "paths": self.paths,
        }


@dataclass
class PassReport:
    sources: list[SourceReport]
    started: int  # epoch ms
    seconds: float = 0.0
    write_seconds: float = 0.0  # of which: archiving (files, catalog, index listeners)
    commit: str | None = None
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not any(s.failed for s in self.sources) and not self.interrupted

    @property
    def paths(self) -> list[str]:
        return [p for s in self.sources for p in s.paths]

    def totals(self) -> dict[str, int]:
        keys = ("new", "revised", "unchanged", "items", "not_modified")
        out = {k: sum(getattr(s, k) for s in self.sources) for k in keys}
        out["failed"] = sum(1 for s in self.sources if s.failed)
        return out

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "write_seconds": round(self.write_seconds, 3),
            "totals": self.totals(),
            "commit": self.commit,
            "interrupted": self.interrupted,
            "sources": [s.as_dict() for s in self.sources],
        }


def commit_message(report: PassReport) -> str:
    """``rfi +3, bbc +1 (2 revised)``, then one line per source with its full counts."""
    parts = []
    for s in report.sources:
        if not (s.new or s.revised):
            continue
        text = s.slug + (f" +{s.new}" if s.new else "")
        if s.revised:
            text += f" ({s.revised} revised)"
        parts.append(text)
    head = ", ".join(parts) or "no changes"
    lines = [head, ""]
    for s in report.sources:
        status = f"failed: {s.reason}" if s.failed else "ok"
        lines.append(f"{s.slug}: {s.new} new, {s.revised} revised, {s.unchanged} unchanged; {status}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Preparing a source (network and parsing; nothing is written here)
# ---------------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    source: Source
    report: SourceReport
    records: list[Record] = field(default_factory=list)
    validators: dict[str, tuple[str | None, str | None, str]] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)


@dataclass
class _Context:
    archive: Archive
    fetcher: Fetcher
    store: ValidatorStore
    seen: int  # epoch ms: "first seen" time of this pass
    now: int
    executor: Executor | None = None  # worker processes for big passes; None: a thread

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a CPU-bound step off the event loop (in a worker process when there is a pool)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)


@dataclass
class _Built:
    record: Record
    warning: str | None = None
    date_rule: str = "item"


# Feeds repeat the same links pass after pass; canonicalising a long percent-encoded URL is
# not free, so remember the answers.
_canonical = functools.lru_cache(maxsize=1 << 16)(canonical_url)


def _fingerprint(item: FeedItem, link: str) -> str:
    """What the feed said about an item; equal fingerprints mean nothing to re-clean or fetch."""
    raw = f"{item.title}\x00{link}\x00{item.body}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()[:32]


def _record(ctx: _Context, item: FeedItem, title: str, link: str, body: str) -> tuple[Record, str]:
    if not title:
        title = fallback_title(body, link)
    published, rule = item_time(item.published, ctx.seen, ctx.now)
    return Record(title=title, url=link, published=published, body=body), rule


async def _build_from_page(ctx: _Context, source: Source, item: FeedItem, link: str, base: str) -> _Built:
    """An item whose body comes from its page (page sources, or a teaser in the feed)."""
    title = clean_title(item.title)
    try:
        page = await ctx.fetcher.get(link, accept=_PAGE_ACCEPT)
        html = page.text()
        body, page_title_text = await ctx.run(page_body, html, page.url, source.selector, item.body, source.body, base)
        title = title or page_title_text
        warning = None
    except NewsvaultError as e:
        if source.body == "page":
            raise
        # A teaser is better than nothing; the page is tried again next pass.
        warning = f"kept the feed's short text ({e})"
        body = clean_html(item.body, base)
    record, rule = _record(ctx, item, title, link, body)
    return _Built(record, warning=warning, date_rule=rule)


def _dedupe_key(item: FeedItem, link: str) -> str:
    canon = _canonical(link)
    if canon:
        return canon
    return "nolink:" + hashlib.sha256(f"{item.title}\x00{item.body}".encode("utf-8", "surrogatepass")).hexdigest()


async def _prepare_feed(ctx: _Context, prep: _Prepared, feed_url: str) -> None:
    source, rep = prep.source, prep.report
    etag, last_modified, digest = ctx.store.validators(feed_url)
    resp = await ctx.fetcher.get(feed_url, etag=etag, last_modified=last_modified, accept=_FEED_ACCEPT)
    if resp.not_modified:
        rep.not_modified += 1
        return
    body_digest = hashlib.sha256(resp.content).hexdigest()
    if body_digest == digest:  # the very bytes whose items were all archived: as good as a 304
        rep.not_modified += 1
        return
    feed = await ctx.run(parse, resp.content, resp.url, resp.content_type, resp.charset)
    if feed.warning:
        rep.warnings.append(f"{feed_url}: {feed.warning}")
    rep.warnings.extend(f"{feed_url}: {problem}" for problem in feed.problems)  # items left out
    category = re.compile(source.category) if source.category else None
    keys: set[str] = set()
    from_feed: list[tuple[FeedItem, str, str]] = []  # (item, link, fingerprint)
    from_page: list[tuple[FeedItem, str, str]] = []
    catalog = ctx.archive.catalog
    for item in feed.items:
        rep.items += 1
        if category is not None and not any(category.search(c) for c in item.categories):
            rep.skipped += 1
            continue
        link = clean_link(item.link, feed_url)
        key = _dedupe_key(item, link)
        if key in keys:
            rep.duplicates += 1
            continue
        keys.add(key)
        fp = _fingerprint(item, link)
        # Archived before from exactly this feed entry: nothing to clean, fetch or compare.
        if link and ctx.store.fingerprint(key) == fp and catalog.lookup_url(key) is not None:
            rep.unchanged += 1
            continue
        (from_page if wants_page(link, source.body, is_teaser(item.body)) else from_feed).append((item, link, fp))
    failures = 0  # items not archived in full: the feed must be fetched again next pass
    built: list[tuple[FeedItem, str, str, _Built | BaseException]] = []
    if from_feed:
        bodies = await ctx.run(clean_bodies, [(item.body, link or resp.url) for item, link, _fp in from_feed])
        for (item, link, fp), body in zip(from_feed, bodies):
            record, rule = _record(ctx, item, clean_title(item.title), link, body)
            built.append((item, link, fp, _Built(record, date_rule=rule)))
    pages = await asyncio.gather(*(_build_from_page(ctx, source, item, link, link or resp.url) for item, link, _fp in from_page), return_exceptions=True)
    built += [(item, link, fp, res) for (item, link, fp), res in zip(from_page, pages)]
    for item, link, fp, res in built:
        if isinstance(res, BaseException):
            if isinstance(res, asyncio.CancelledError):
                raise res
            failures += 1
            reason = str(res) if isinstance(res, NewsvaultError) else f"{type(res).__name__}: {res}"
            where = item.link or item.title or "?"
            rep.errors.append(reason if reason.startswith(where) else f"{where}: {reason}")
            continue
        if res.warning:
            failures += 1  # archived a fallback: keep the feed's validators out, retry next pass
            rep.warnings.append(f"{item.link}: {res.warning}")
        elif link:
            prep.fingerprints[_canonical(link)] = fp
        rep.undated += res.date_rule == "seen"
        rep.future += res.date_rule == "clamped"
        prep.records.append(res.record)
    if not failures:
        prep.validators[feed_url] = (resp.etag, resp.last_modified, body_digest)


async def _prepare_source(ctx: _Context, source: Source) -> _Prepared:
    prep = _Prepared(source, SourceReport(source.slug))

    async def one(url: str) -> None:
        try:
            await _prepare_feed(ctx, prep, url)
        except NewsvaultError as e:
            prep.report.errors.append(str(e))
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a bug or a library surprise must stay inside this source
            prep.report.errors.append(f"{url}: unexpected {type(e).__name__}: {e}")

    await asyncio.gather(*(one(url) for url in source.feeds))
    return prep


# ---------------------------------------------------------------------------------------------
# Writing (synchronous: a batch always completes or leaves no trace)
# ---------------------------------------------------------------------------------------------


def _archive(ctx: _Context, batch: list[_Prepared]) -> None:
    counts: list[tuple[_Prepared, str, str | None]] = []
    catalog = ctx.archive.catalog
    with ctx.archive.batch():
        for prep in batch:
            for record in prep.records:
                # Most items of a feed are archived already and unchanged: answer that from the
                # catalog (the same test archive.add makes) without rendering the record.
                aid = article_id(_canonical(record.url) or record_key(record, prep.source.slug))
                if catalog.get(aid) is not None and record.text_hash in catalog.content_hashes(aid):
                    counts.append((prep, "unchanged", None))
                    continue
                result = ctx.archive.add(record, prep.source.slug, seen=ctx.seen)
                counts.append((prep, result.status, result.path))
    # Only now is everything on disk: count it, and remember validators and fingerprints.
    for prep, status, path in counts:
        rep = prep.report
        if status == "new":
            rep.new += 1
        elif status == "revision":
            rep.revised += 1
        else:
            rep.unchanged += 1
        if path and status != "unchanged":
            rep.paths.append(path)
    validators: dict = {}
    fingerprints: dict = {}
    for prep in batch:
        validators.update(prep.validators)
        fingerprints.update(prep.fingerprints)
    ctx.store.save(validators, fingerprints)


async def run_pass(
    archive: Archive,
    sources: Iterable[Source],
    policy: FetchPolicy | None = None,
    *,
    on_source: Callable[[SourceReport], None] | None = None,
    workers: int | None = None,
) -> PassReport:
    """Collect every source once. Cancel the task to stop: finished batches stay archived.

    ``workers``: processes for parsing and cleaning (0: a thread of this process). Default:
    one per CPU but one (this process archives meanwhile) when the pass has at least 16
    sources; below that, starting processes costs more than it saves.
    """
    sources = list(sources)
    if workers is None:
        workers = max(1, (os.cpu_count() or 1) - 1) if len(sources) >= _POOL_MIN_SOURCES else 0
    now = int(time.time() * 1000)
    started = time.perf_counter()
    reports = {s.slug: SourceReport(s.slug) for s in sources}
    order = {s.slug: n for n, s in enumerate(sources)}
    report = PassReport([reports[s.slug] for s in sources], started=now)
    store = ValidatorStore.for_archive(archive)
    archive.catalog  # open (and recover) before any task needs it
    executor = _process_pool(workers) if workers > 0 else None
    try:
        async with Fetcher(policy) as fetcher:
            ctx = _Context(archive, fetcher, store, seen=now, now=now, executor=executor)
            pending = {asyncio.create_task(_prepare_source(ctx, s)) for s in sources}
            try:
                while pending:
                    done, pending = await asyncio.wait(pending, timeout=_WRITE_WINDOW)
                    if not done:
                        continue
                    # Config order within a batch, so that which source "owns" an article seen in
                    # two feeds at once does not depend on set iteration order.
                    batch = sorted((t.result() for t in done), key=lambda p: order[p.source.slug])
                    for prep in batch:
                        reports[prep.source.slug] = prep.report
                    t_write = time.perf_counter()
                    try:
                        _archive(ctx, batch)
                    except (NewsvaultError, OSError) as e:
                        # Nothing of this batch was kept (the archive rolled it back).
                        for prep in batch:
                            prep.report.errors.append(f"not archived: {e}")
                            prep.report.paths.clear()
                    report.write_seconds += time.perf_counter() - t_write
                    for prep in batch:
                        if on_source:
                            on_source(prep.report)
            except asyncio.CancelledError:
                report.interrupted = True
                for t in pending:
                    t.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        store.close()
        report.sources = [reports[s.slug] for s in sources]
        report.seconds = time.perf_counter() - started
    return report


def _process_pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: workers are forked from a clean single-threaded server that has imported
    # newsvault once, never from this (threaded) process.
    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload(["newsvault.collect.work"])
    # Python 3.11's forkserver ignores our sys.path: without this, workers import whichever newsvault is installed.
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]))
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp)


def collect(archive: Archive, sources: Iterable[Source] | None = None, policy: FetchPolicy | None = None) -> PassReport:
    """Synchronous wrapper: one pass over ``sources`` (default: every configured source)."""
    return asyncio.run(run_pass(archive, archive.config.sources if sources is None else sources, policy))
