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
fetched again; anything else goes through the archive, which alone decides new / revision /
unchanged (so a text that goes A, B, A is three versions).

Within a feed, each item is its own unit: an error while fetching, extracting, cleaning or
rendering one item is reported with its link and costs that item only. Every record is read
back before it is written; an item with no text is kept as a placeholder naming its link.
At most ``PAGE_FETCHES_PER_PASS`` article pages are fetched per source per pass. The rules,
for users: ``docs/collect.md``.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import os
import re
import signal
import time
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..archive import Archive
from ..clean import clean_html, clean_title, fallback_title, is_teaser, item_time
from ..config import Source
from ..errors import NewsvaultError
from ..fetch import Fetcher, FetchPolicy, Response, ValidatorStore
from ..health import record_pass
from ..parse import Feed, FeedItem
from ..record import Record
from ..urls import canonical_url
from .work import (
    clean_bodies,
    clean_link,
    has_content,
    page_body,
    parse,
    placeholder_body,
    round_trip_problem,
    wants_page,
)

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")

__all__ = ["SourceReport", "PassReport", "run_pass", "collect", "commit_message", "PAGE_FETCHES_PER_PASS"]

_FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
_PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_WRITE_WINDOW = 0.5  # seconds: sources finishing this close together share one write batch
_MAX_ERRORS = 5  # per source, in the one-line reason (the rest are counted)
_POOL_MIN_SOURCES = 16
# Article pages fetched per source per pass (teaser items and page sources); the rest wait for
# the next pass. A feed that suddenly lists 300 teasers must not cost 300 requests to one outlet
# in one go, nor hold the pass for minutes.
PAGE_FETCHES_PER_PASS = 50


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
    deferred: int = 0  # article pages left for the next pass (the per-pass page cap)
    empty: int = 0  # items with no text and no link (nothing to archive)
    errors: list[str] = field(default_factory=list)
    failed_items: list[dict[str, str]] = field(default_factory=list)  # {"link", "reason"} of items not archived
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

    def as_dict(self) -> dict[str, Any]:
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
            "deferred": self.deferred,
            "empty": self.empty,
            "reason": self.reason,
            "errors": self.errors,
            "failed_items": self.failed_items,
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

    def as_dict(self) -> dict[str, Any]:
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
    page_budget: int  # article pages this source may still fetch in this pass
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
    page_cap: int = PAGE_FETCHES_PER_PASS

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a CPU-bound step off the event loop (in a worker process when there is a pool)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def allow_private(self, source: Source) -> bool | tuple[str, ...]:
        """The archive's rule for the source (``Config.private_allowed``), or the fetch policy's."""
        return self.archive.config.private_allowed(source) or self.fetcher.policy.allow_private

    def proxy(self, source: Source) -> str | None:
        """The source's proxy, or the archive's ``[fetch] proxy``; None: the fetch policy's."""
        return self.archive.config.proxy_for(source)


@dataclass
class _Entry:
    """One feed entry on its way to the archive."""

    item: FeedItem
    link: str
    fingerprint: str
    record: Record | None = None
    warning: str | None = None  # archived, but not in full: fetched again next pass
    error: str | None = None  # not archived (the reason, without the link)
    empty: bool = False  # nothing to archive at all (no text, no link): reported, not a failure
    date_rule: str = "item"
    shortlink: str = ""  # the page's, when its body came from the page (a WordPress post id)


# Feeds repeat the same links pass after pass; canonicalising a long percent-encoded URL is
# not free, so remember the answers.
_canonical = functools.lru_cache(maxsize=1 << 16)(canonical_url)


def _fingerprint(item: FeedItem, link: str) -> str:
    """What the feed said about an item; equal fingerprints mean nothing to re-clean or fetch."""
    raw = f"{item.title}\x00{link}\x00{item.body}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()[:32]


def _describe(e: BaseException) -> str:
    return str(e) if isinstance(e, NewsvaultError) else f"{type(e).__name__}: {e}"


def _finish(ctx: _Context, entry: _Entry, title: str, body: str) -> None:
    """Make the entry's record, or say why it cannot be one. What is kept always parses."""
    link = entry.link
    if not has_content(body):
        if not link:
            entry.empty = True
            return
        # An empty body would be an unreadable record; keep the title and the link now, and
        # the text as a revision once a pass gets it.
        body = placeholder_body(link)
        why = f" ({entry.warning})" if entry.warning else ""
        entry.warning = f"no text could be had for this item; archived its title and link{why}"
    if not title:
        title = fallback_title(body, link)
    published, entry.date_rule = item_time(entry.item.published, ctx.seen, ctx.now)
    # A WordPress page's shortlink names its post when the feed's guid does not (layout.post_id).
    guid = entry.item.guid if not entry.shortlink or "?p=" in entry.item.guid else entry.shortlink
    record = Record(title=title, url=link, published=published, body=body, guid=guid)
    problem = round_trip_problem(record)
    if problem:
        entry.error = f"cannot be written as a record ({problem})"
        return
    entry.record = record


async def _page_entry(ctx: _Context, source: Source, entry: _Entry, base: str) -> None:
    """An item whose body comes from its page (page sources, or a teaser in the feed)."""
    item, link = entry.item, entry.link
    try:
        title = clean_title(item.title)
        try:
            page = await ctx.fetcher.get(link, accept=_PAGE_ACCEPT, allow_private=ctx.allow_private(source), allow_file=link.startswith("file:"), proxy=ctx.proxy(source))
            html = page.text()
            body, page_title_text, entry.shortlink = await ctx.run(page_body, html, page.url, source.selector, item.body, source.body, base)
            title = title or page_title_text
        except Exception as e:  # noqa: BLE001 - a fetch, or a page no parser survives
            if source.body == "page":
                entry.error = _describe(e).removeprefix(f"{link}: ")
                return
            # A teaser is better than nothing; the page is tried again next pass.
            entry.warning = f"kept the feed's short text ({_describe(e)})"
            body = clean_html(item.body, base)
        _finish(ctx, entry, title, body)
    except Exception as e:  # noqa: BLE001 - one odd item costs that item only
        entry.error = _describe(e)


async def _feed_entries(ctx: _Context, entries: list[_Entry], base: str) -> None:
    """Items whose body is in the feed: cleaned in one hand-off (one worker call per feed)."""
    if not entries:
        return
    cleaned = await ctx.run(clean_bodies, [(e.item.body, e.link or base) for e in entries])
    for entry, (body, error) in zip(entries, cleaned, strict=True):
        if error is not None:
            entry.error = error
            continue
        try:
            _finish(ctx, entry, clean_title(entry.item.title), body)
        except Exception as e:  # noqa: BLE001 - one odd item costs that item only
            entry.error = _describe(e)


def _dedupe_key(item: FeedItem, link: str) -> str:
    canon = _canonical(link)
    if canon:
        return canon
    return "nolink:" + hashlib.sha256(f"{item.title}\x00{item.body}".encode("utf-8", "surrogatepass")).hexdigest()


async def _fetch_feed(ctx: _Context, prep: _Prepared, feed_url: str) -> tuple[Response, str] | None:
    """The feed's response and its body digest, or None when it has not changed."""
    etag, last_modified, digest = ctx.store.validators(feed_url)
    resp = await ctx.fetcher.get(
        feed_url, etag=etag, last_modified=last_modified, accept=_FEED_ACCEPT,
        allow_private=ctx.allow_private(prep.source), allow_file=feed_url.lower().startswith("file:"), proxy=ctx.proxy(prep.source),
    )
    if resp.not_modified:
        prep.report.not_modified += 1
        return None
    body_digest = hashlib.sha256(resp.content).hexdigest()
    if body_digest == digest:  # the very bytes whose items were all archived: as good as a 304
        prep.report.not_modified += 1
        return None
    return resp, body_digest


def _select(ctx: _Context, prep: _Prepared, feed: Feed, feed_url: str) -> tuple[list[_Entry], list[_Entry]]:
    """The entries to archive, split by where their body comes from (the feed, or the page)."""
    source, rep = prep.source, prep.report
    category = re.compile(source.category) if source.category else None
    keys: set[str] = set()
    from_feed: list[_Entry] = []
    from_page: list[_Entry] = []
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
        entry = _Entry(item, link, fp)
        (from_page if wants_page(link, source.body, is_teaser(item.body)) else from_feed).append(entry)
    return from_feed, from_page


def _keep(prep: _Prepared, entries: list[_Entry]) -> int:
    """Queue the entries' records for archiving and report the rest; return how many were not
    archived in full (the feed is then fetched again next pass)."""
    rep = prep.report
    failures = 0
    for entry in entries:
        where = entry.link or entry.item.link or entry.item.title or "(an item without link or title)"
        if entry.empty:
            rep.empty += 1
            rep.warnings.append(f"{where}: an item with no text and no link was not archived")
            continue
        if entry.error is not None or entry.record is None:
            failures += 1
            reason = entry.error or "not archived"
            rep.errors.append(f"{where}: {reason}")
            rep.failed_items.append({"link": where, "reason": reason})
            continue
        if entry.warning:
            failures += 1  # archived a fallback: keep the feed's validators out, retry next pass
            rep.warnings.append(f"{where}: {entry.warning}")
        elif entry.link:
            prep.fingerprints[_canonical(entry.link)] = entry.fingerprint
        rep.undated += entry.date_rule == "seen"
        rep.future += entry.date_rule == "clamped"
        prep.records.append(entry.record)
    return failures


async def _prepare_feed(ctx: _Context, prep: _Prepared, feed_url: str) -> None:
    fetched = await _fetch_feed(ctx, prep, feed_url)
    if fetched is None:
        return
    resp, body_digest = fetched
    feed = await ctx.run(parse, resp.content, resp.url, resp.content_type, resp.charset)
    if feed.warning:
        prep.report.warnings.append(f"{feed_url}: {feed.warning}")
    prep.report.warnings.extend(f"{feed_url}: {problem}" for problem in feed.problems)  # items left out
    from_feed, from_page = _select(ctx, prep, feed, feed_url)
    # At most page_budget article pages a pass: the rest are neither archived nor remembered,
    # so the next pass (which refetches this feed) takes them up.
    now_pages, later = from_page[: prep.page_budget], from_page[prep.page_budget :]
    prep.page_budget -= len(now_pages)
    if later:
        prep.report.deferred += len(later)
        prep.report.warnings.append(f"{feed_url}: {len(later)} article pages left for the next pass (at most {ctx.page_cap} a pass)")
    await _feed_entries(ctx, from_feed, resp.url)
    await asyncio.gather(*(_page_entry(ctx, prep.source, e, e.link or resp.url) for e in now_pages))
    failures = _keep(prep, from_feed + now_pages)
    if not failures and not later:
        prep.validators[feed_url] = (resp.etag, resp.last_modified, body_digest)


async def _prepare_source(ctx: _Context, source: Source) -> _Prepared:
    prep = _Prepared(source, SourceReport(source.slug), page_budget=ctx.page_cap)

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
    try:
        with ctx.archive.batch():
            for prep in batch:
                for record in prep.records:
                    # The archive alone decides new / revision / unchanged (one rule everywhere).
                    result = ctx.archive.add(record, prep.source.slug, seen=ctx.seen)
                    counts.append((prep, result.status, result.path))
    except (NewsvaultError, OSError):
        raise  # the archive itself cannot be written: nothing of the batch is kept, say so
    except Exception:  # noqa: BLE001 - one record the archive could not take (a bug, a library surprise)
        # The batch was rolled back whole; write it again one record at a time, so that the
        # record that fails costs only itself and is reported like any other failed item.
        counts = _archive_one_by_one(ctx, batch)
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
    validators: dict[str, tuple[str | None, str | None, str | None]] = {}
    fingerprints: dict[str, str] = {}
    for prep in batch:
        validators.update(prep.validators)
        fingerprints.update(prep.fingerprints)
    ctx.store.save(validators, fingerprints)


def _archive_one_by_one(ctx: _Context, batch: list[_Prepared]) -> list[tuple[_Prepared, str, str | None]]:
    counts: list[tuple[_Prepared, str, str | None]] = []
    for prep in batch:
        kept = []
        for record in prep.records:
            try:
                with ctx.archive.batch():
                    result = ctx.archive.add(record, prep.source.slug, seen=ctx.seen)
            except (NewsvaultError, OSError):
                raise
            except Exception as e:  # noqa: BLE001 - this record only
                reason = f"not archived: unexpected {type(e).__name__}: {e}"
                prep.report.errors.append(f"{record.url}: {reason}")
                prep.report.failed_items.append({"link": record.url, "reason": reason})
                prep.validators.clear()  # fetch the feed again next pass: the item may be fixed
                prep.fingerprints.pop(_canonical(record.url), None)
                continue
            kept.append(record)
            counts.append((prep, result.status, result.path))
        prep.records = kept
    return counts


async def run_pass(
    archive: Archive,
    sources: Iterable[Source],
    policy: FetchPolicy | None = None,
    *,
    on_source: Callable[[SourceReport], None] | None = None,
    workers: int | None = None,
    page_cap: int = PAGE_FETCHES_PER_PASS,
) -> PassReport:
    """Collect every source once. Cancel the task to stop: finished batches stay archived.

    ``workers``: processes for parsing and cleaning (0: a thread of this process). Default:
    one per CPU but one (this process archives meanwhile) when the pass has at least 16
    sources; below that, starting processes costs more than it saves. ``page_cap``: article
    pages fetched per source in this pass (the rest are left for the next passes).

    Stopped by an exception (a signal handler's, say) the pass ends cleanly: the batch being
    written is rolled back (no temp file stays), and the worker processes are terminated.
    """
    sources = list(sources)
    if workers is None:
        workers = max(1, (os.cpu_count() or 1) - 1) if len(sources) >= _POOL_MIN_SOURCES else 0
    now = int(time.time() * 1000)
    started = time.perf_counter()
    reports = {s.slug: SourceReport(s.slug) for s in sources}
    report = PassReport([reports[s.slug] for s in sources], started=now)
    store = ValidatorStore.for_archive(archive)
    executor = _process_pool(workers) if workers > 0 else None
    try:
        async with Fetcher(policy) as fetcher:
            ctx = _Context(archive, fetcher, store, seen=now, now=now, executor=executor, page_cap=page_cap)
            await _run_sources(ctx, sources, report, reports, on_source)
            if not report.interrupted and archive.config.media.fetch:  # images after the text; they never fail it
                from ..media.fetching import after_collect  # (imported only when images are kept)

                await after_collect(archive, [reports[s.slug] for s in sources], policy)
    finally:
        if executor is not None:
            _stop_pool(executor)
        store.close()
        report.sources = [reports[s.slug] for s in sources]
        report.seconds = time.perf_counter() - started
    record_pass(archive, report)  # source health; never fails the pass
    return report


async def _run_sources(
    ctx: _Context,
    sources: list[Source],
    report: PassReport,
    reports: dict[str, SourceReport],
    on_source: Callable[[SourceReport], None] | None,
) -> None:
    """Prepare every source concurrently; archive them in batches as they finish."""
    order = {s.slug: n for n, s in enumerate(sources)}
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
        await _cancel(pending)
    except BaseException:
        await _cancel(pending)
        raise


async def _cancel(tasks: set[asyncio.Task[_Prepared]]) -> None:
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _process_pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: workers are forked from a clean single-threaded server that has imported
    # newsvault once, never from this (threaded) process. (Imported here: a small pass never
    # starts workers, and multiprocessing is a noticeable part of its start-up.)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload(["newsvault.collect._workers"])  # imports work; workers ignore signals
    _start_forkserver()
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp)


def _start_forkserver() -> None:
    """Start the fork server so that it imports the same newsvault as this process. Before
    Python 3.12 it ignores this process's sys.path, so a newsvault found through a changed
    sys.path (a checkout beside an installed copy) would not be the one the workers run."""
    from multiprocessing import forkserver

    here = str(Path(__file__).resolve().parents[2])
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = here + (os.pathsep + old if old else "")
    try:
        forkserver.ensure_running()
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old


def _stop_pool(executor: ProcessPoolExecutor) -> None:
    """Stop the workers: queued work is dropped, work in hand finishes (a feed's cleaning, a
    page's extraction: moments), then every worker has exited. Workers ignore SIGINT and
    SIGTERM (see ``_workers.py``) precisely so that they are alive to be shut down in order."""
    executor.shutdown(wait=True, cancel_futures=True)


def collect(
    archive: Archive,
    sources: Iterable[Source] | None = None,
    policy: FetchPolicy | None = None,
    *,
    page_cap: int = PAGE_FETCHES_PER_PASS,
) -> PassReport:
    """Synchronous wrapper: one pass over ``sources`` (default: every configured source)."""
    return run_stoppable(run_pass(archive, archive.config.sources if sources is None else sources, policy, page_cap=page_cap))


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def run_stoppable(main: Coroutine[Any, Any, T], *, reraise: tuple[int, ...] = _STOP_SIGNALS) -> T:
    """``asyncio.run(main)``, where SIGTERM and SIGINT cancel ``main`` at its next await.

    A handler that raises (the CLI turns SIGTERM into an exit) would otherwise fire wherever
    the loop happens to be, inside a callback or an import, and leave tasks half-torn-down.
    Cancelled, the pass ends cleanly (its batch rolled back or finished). Then each signal in
    ``reraise`` is raised again, outside the loop, so that the process's own handler runs at
    a safe point; the others are left to the caller (a Ctrl-C'd collect still commits first).
    """
    received: list[int] = []

    async def runner() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        installed = []

        def stop(signum: int) -> None:
            received.append(signum)
            if task is not None:
                task.cancel()

        for signum in _STOP_SIGNALS:
            previous = signal.getsignal(signum)
            try:
                loop.add_signal_handler(signum, stop, signum)
                installed.append((signum, previous))
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
                pass
        try:
            return await main
        finally:
            for signum, previous in installed:
                loop.remove_signal_handler(signum)  # which resets to SIG_DFL: put back the caller's
                signal.signal(signum, previous)

    try:
        return asyncio.run(runner())
    except asyncio.CancelledError:
        if not received:
            raise
        raise KeyboardInterrupt from None  # cancelled before the pass could end on its own
    finally:
        for signum in dict.fromkeys(received):
            if signum in reraise:
                signal.raise_signal(signum)
