"""Fetching the images of archived articles: after a collect or recheck pass, and by backfill.

Images go through :class:`newsvault.fetch.Fetcher` (address policy, per-host concurrency,
retries with backoff) with a per-image size cap, within a byte budget per pass, per source and
for the whole archive. Each URL's outcome is written to the media catalog; a failed URL is
tried again on a later pass, waiting twice as long after each failure (1 hour, 2, 4, … up to a
week). Nothing here can fail the text archiving: it runs after the records are written, and
every problem becomes a count and a warning.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import FetchError
from ..fetch import Fetcher, FetchPolicy, RefusedError
from .refs import image_urls
from .store import MediaRow, MediaStore, media_dir
from .verify import Rejected, inspect

__all__ = ["MediaReport", "fetch_images", "images_of", "after_pass", "after_collect", "backfill", "open_store", "RETRY_BASE_MS", "RETRY_MAX_MS"]

RETRY_BASE_MS = 3600 * 1000
RETRY_MAX_MS = 7 * 86400 * 1000
_ACCEPT = "image/avif, image/webp, image/png, image/jpeg, image/gif;q=0.9, */*;q=0.1"
_MAX_WARNINGS = 5
_CONCURRENCY = 8  # images in flight (the fetcher also bounds each host)
_DECODER: ThreadPoolExecutor | None = None


def _decoder() -> ThreadPoolExecutor:
    """The one thread images are decoded on. A legal 7000 x 7000 image is ~200 MB decoded; on
    asyncio's default threads each decode kept its memory in that thread's malloc arena, and
    eight images took collect to 1.2 GB. One thread reuses one image's worth."""
    global _DECODER
    if _DECODER is None:
        _DECODER = ThreadPoolExecutor(1, thread_name_prefix="newsvault-image")
    return _DECODER
MB = 1024 * 1024


@dataclass
class MediaReport:
    seen: int = 0  # image references found in the articles looked at
    fetched: int = 0  # URLs fetched and kept this run
    new_files: int = 0  # of which: bytes not stored before
    bytes: int = 0  # bytes of new files
    already: int = 0  # URLs kept on an earlier run
    waiting: int = 0  # failed before, next attempt not due yet
    deferred: int = 0  # left for a later run (budget or --limit)
    skipped: int = 0  # on a host ``[media] hosts`` leaves out: not fetched, not noted
    failed: dict[str, int] = field(default_factory=dict)  # failure kind -> URLs
    warnings: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # new files, relative to the archive (when inside it)
    by_source: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # source -> {"warnings", "paths"}

    def _of(self, source: str) -> dict[str, list[str]]:
        return self.by_source.setdefault(source, {"warnings": [], "paths": []})

    def fail(self, status: str, url: str, reason: str, source: str) -> None:
        self.failed[status] = self.failed.get(status, 0) + 1
        text = f"image not kept: {reason if url in reason else f'{url}: {reason}'}"
        if len(self.warnings) < _MAX_WARNINGS:
            self.warnings.append(text)
        if len(self._of(source)["warnings"]) < _MAX_WARNINGS:
            self._of(source)["warnings"].append(text)

    def kept(self, rel: str, source: str) -> None:
        self.paths.append(rel)
        self._of(source)["paths"].append(rel)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def summary(self) -> str:
        failed = sum(self.failed.values())
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.failed.items()))
        return (
            f"images: {self.fetched} fetched ({self.new_files} new files, {self.bytes / MB:.1f} MB), "
            f"{self.already} already kept, {failed} failed{f' ({kinds})' if kinds else ''}, "
            f"{self.waiting} waiting to retry, {self.deferred} deferred"
            + (f", {self.skipped} on hosts not in [media] hosts" if self.skipped else "")
        )


def images_of(archive: Any, paths: Iterable[str]) -> list[tuple[str, str]]:
    """``(image URL, source)`` for every image the records at ``paths`` show (each URL once)."""
    out: dict[str, str] = {}
    for rel in paths:
        parts = Path(rel).parts
        if len(parts) < 3 or not rel.endswith((".md", ".txt")):
            continue
        try:
            record = archive.read(rel)
        except Exception:  # noqa: BLE001 - an unreadable record is fsck's business, not ours
            continue
        for url in image_urls(record.body, record.url):
            out.setdefault(url, parts[1])
    return list(out.items())


def open_store(archive: Any) -> MediaStore:
    return MediaStore(archive.root, media_dir(archive.root, archive.config.media.dir))


def _kind(e: Exception) -> str:
    text = str(e)
    if isinstance(e, RefusedError):
        return "refused"
    if "cap" in text and "larger than" in text:
        return "too-large"
    if "HTTP " in text:
        return "http-error"
    if "timed out" in text or "no complete answer" in text:
        return "timeout"
    return "network"


class _Run:
    def __init__(self, archive: Any, store: MediaStore, now: int, report: MediaReport) -> None:
        self.archive = archive
        self.settings = archive.config.media
        self.store = store
        self.now = now
        self.report = report
        self.pass_bytes = 0

    def due(self, row: MediaRow) -> bool:
        if row.status == "ok":
            self.report.already += 1
            return False
        if row.status != "pending" and row.next_retry is not None and row.next_retry > self.now:
            self.report.waiting += 1
            return False
        return True

    def over_budget(self, source: str) -> str | None:
        s = self.settings
        if s.pass_mb and self.pass_bytes >= s.pass_mb * MB:
            return "pass"
        if s.source_mb and self.store.bytes_stored(source) >= s.source_mb * MB:
            return "source"
        if s.archive_mb and self.store.bytes_stored() >= s.archive_mb * MB:
            return "archive"
        return None

    async def one(self, fetcher: Fetcher, row: MediaRow) -> None:
        url = row.url
        try:
            resp = await fetcher.get(url, accept=_ACCEPT, allow_private=self._private(row.source), proxy=self.archive.config.proxy_for(row.source))
            info = await asyncio.get_running_loop().run_in_executor(_decoder(), inspect, resp.content, resp.content_type)
        except Rejected as e:
            return self._failed(row, e.status, str(e))
        except (FetchError, OSError) as e:
            return self._failed(row, _kind(e), str(e))
        sha, path, created = self.store.put(resp.content, info.ext)
        size = len(resp.content)
        self.store.stored(url, sha, info.mime, info.ext, size, info.width, info.height)
        self.report.fetched += 1
        self.pass_bytes += size
        if created:
            self.report.new_files += 1
            self.report.bytes += size
            self._add_path(path, row.source)

    def _add_path(self, path: Path, source: str) -> None:
        try:
            rel = path.relative_to(self.archive.root.resolve()).as_posix()
        except ValueError:  # media kept outside the archive: not part of its commits
            return
        self.report.kept(rel, source)

    def _private(self, source: str) -> bool | tuple[str, ...]:
        config: Config = self.archive.config
        src = config.source(source)
        return config.private_allowed(src) if src is not None else config.allow_private

    def _failed(self, row: MediaRow, status: str, reason: str) -> None:
        wait = min(RETRY_MAX_MS, RETRY_BASE_MS * 2**row.attempts)
        self.store.failed(row.url, status, reason, self.now + wait)
        self.report.fail(status, row.url, reason, row.source)


async def fetch_images(
    archive: Any,
    images: Iterable[tuple[str, str]],
    policy: FetchPolicy | None = None,
    *,
    now: int | None = None,
    limit: int | None = None,
) -> MediaReport:
    """Fetch the ``(URL, source)`` images that are due (never tried, or failed and due again),
    store them and record every outcome. ``limit``: at most this many fetches (the rest are
    deferred). Never raises for a bad image or host: the report says what happened."""
    now = int(time.time() * 1000) if now is None else now
    report = MediaReport()
    settings = archive.config.media
    base = policy or FetchPolicy()
    # Images are optional extras: fewer retries and a smaller cap than feeds, same politeness.
    fpolicy = dataclasses.replace(base, max_bytes=settings.max_image_mb * MB, retries=min(base.retries, 1))
    with open_store(archive) as store:
        run = _Run(archive, store, now, report)
        todo: list[MediaRow] = []
        for url, source in images:
            report.seen += 1
            if not settings.wants(url):  # not noted: widening the list later lets backfill fetch it
                report.skipped += 1
                continue
            row = store.note(url, source, now)
            if run.due(row):
                todo.append(row)
        store.commit()
        if limit is not None and len(todo) > limit:
            report.deferred += len(todo) - limit
            todo = todo[:limit]
        async with Fetcher(fpolicy) as fetcher:
            await _fetch_all(run, fetcher, todo)
        store.commit()
    return report


async def _fetch_all(run: _Run, fetcher: Fetcher, todo: list[MediaRow]) -> None:
    """Fetch ``todo`` concurrently (the fetcher bounds it per host), checking the budgets
    before each start; what does not fit waits for a later run."""

    # The budgets are checked when a fetch starts, so a run overshoots by at most this many images.
    slots = asyncio.Semaphore(_CONCURRENCY)

    async def guarded(row: MediaRow) -> None:
        async with slots:
            if run.over_budget(row.source) is not None:
                run.report.deferred += 1
                return
            try:
                await run.one(fetcher, row)
            except Exception as e:  # noqa: BLE001 - an image must never stop the others
                run._failed(row, "error", f"{type(e).__name__}: {e}")
            run.store.commit()

    await asyncio.gather(*(guarded(row) for row in todo))


async def after_pass(archive: Any, paths: Iterable[str], policy: FetchPolicy | None = None) -> MediaReport | None:
    """The images of the records a collect or recheck pass just wrote (None when ``[media]
    fetch`` is off). Errors of any kind come back as warnings in the report."""
    if not archive.config.media.fetch:
        return None
    records = [p for p in paths if p.startswith(("articles/", "revisions/"))]
    if not records:
        return MediaReport()
    try:
        return await fetch_images(archive, images_of(archive, records), policy)
    except Exception as e:  # noqa: BLE001 - the text is archived; the images wait for backfill
        report = MediaReport()
        report.warnings.append(f"images not fetched this pass: {type(e).__name__}: {e}")
        return report


async def after_collect(archive: Any, sources: list[Any], policy: FetchPolicy | None = None) -> None:
    """The collect pass's hook: fetch the images of what the pass archived (``sources``: its
    SourceReports), then add each source's image warnings and new media files (committed
    with the records) to its report."""
    media = await after_pass(archive, [p for rep in sources for p in rep.paths], policy)
    if media is None:
        return
    for rep in sources:
        mine = media.by_source.get(rep.slug)
        if mine:
            rep.warnings.extend(mine["warnings"])
            rep.paths.extend(mine["paths"])
    if media.warnings and not media.by_source and sources:  # the whole step failed
        sources[0].warnings.extend(media.warnings)


def backfill(archive: Any, *, source: str | None = None, limit: int | None = None, policy: FetchPolicy | None = None, now: int | None = None) -> MediaReport:
    """Fetch the images of every archived record (of ``source``) that are due."""
    paths = []
    for path in archive.record_files():
        rel = path.relative_to(archive.root).as_posix()
        parts = rel.split("/")
        if source is None or (len(parts) > 2 and parts[1] == source):
            paths.append(rel)
    return asyncio.run(fetch_images(archive, images_of(archive, paths), policy, now=now, limit=limit))
