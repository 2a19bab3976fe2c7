"""``newsvault save URL…``: archive one page on demand, exactly like a collected article.

Each URL is fetched through the one fetching stack (address policy, size and time caps,
retries, charset detection, ``[fetch] proxy``, WARC capture), read with its site's adapter,
and archived with :meth:`Archive.add` under ``articles/<site>/`` (the one revision rule: a
new version only when the text changed); then its images are fetched like collect's. A page
showing the site's deletion notice is never archived as text: for an archived article it is a
``gone`` check in ``checks/<site>.jsonl``, otherwise a message.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..clean import clean_html
from ..config import slugify
from ..errors import NewsvaultError
from ..evidence.warc import WarcRecorder
from ..fetch import Fetcher, FetchPolicy, Response
from ..record import Record
from ..urls import canonical_url
from .adapters import Adapter, pick, tidy_url
from .files import file_body, file_kind, file_title, keep_file
from .page import Page, notice_in, read_json, read_page

if TYPE_CHECKING:
    from ..archive import Archive

__all__ = ["SaveResult", "save_urls", "site_of", "MAX_URLS"]

MAX_URLS = 10  # per request from a stranger (an issue); the command line takes any number
# Pages of one site fetched at a time (images keep the policy's own limit). Saves are mostly a
# few URLs of different sites; a list of one site's pages gains little from more connections,
# and each costs: httpcore's pool polls every idle connection on each request (100 pages over
# six connections took a quarter more fetching CPU than over two). A site sees a reader, not a crawler.
PAGES_PER_HOST = 2
_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_HTML_TYPES = ("text/html", "application/xhtml+xml", "")


@dataclass
class SaveResult:
    url: str  # as given
    status: str  # new | revision | unchanged | gone | unsupported | error
    message: str = ""
    id: str | None = None
    path: str | None = None
    site: str | None = None
    title: str | None = None
    author: str | None = None
    published: int | None = None  # epoch ms, UTC
    canonical: str | None = None
    file: str | None = None  # a non-HTML answer kept as a file: its path (files/<site>/…)
    sha256: str | None = None  # and its checksum

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


def site_of(archive: Archive, url: str, adapter: Adapter) -> str:
    """The folder under articles/: a configured source that owns the host, else the adapter's
    site, else the host itself."""
    host = (urlsplit(url).hostname or "").lower()
    return archive.config.source_for_host(host) or adapter.name or slugify(host.removeprefix("www."))


def _refusal(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return f"only http(s) pages are saved, not {parts.scheme or 'this'}: URLs"
    if not parts.hostname:
        return "not a URL (no host)"
    return None


def _byline(author: str) -> str:
    from html import escape

    return f"<p>{escape(author)}</p>\n" if author else ""


async def _save_one(archive: Archive, fetcher: Fetcher, given: str, seen: int) -> SaveResult:
    url = tidy_url(given)
    why = _refusal(url)
    if why:
        return SaveResult(given, "unsupported", why)
    adapter = pick(url)
    site = site_of(archive, url, adapter)
    config = archive.config
    source = config.source(site)
    private = config.private_allowed(source) if source is not None else config.allow_private
    endpoint = adapter.api(url) if adapter.api else None
    if adapter.api and endpoint is None:
        return SaveResult(given, "unsupported", f"not a {adapter.name} article URL this adapter knows", site=site)
    accept = "application/json, text/plain;q=0.5" if endpoint else _ACCEPT
    resp = await fetcher.get(endpoint or url, accept=accept, allow_private=private, any_status=True, proxy=config.proxy_for(site),
                             user_agent=adapter.user_agent)
    guess = adapter.canonical(url) if adapter.canonical else url
    if endpoint is not None:
        return await _save_json(archive, given, site, guess, resp, adapter, seen)
    html = resp.text() if resp.content_type.split(";")[0].strip().lower() in _HTML_TYPES else None
    notice = notice_in(html, adapter) if html is not None else None
    if notice is None and resp.status in (404, 410) and adapter.gone:
        notice = f"HTTP {resp.status}"
    if notice is not None:
        return _gone(archive, given, site, guess, resp.status, notice, seen)
    if resp.status >= 400:
        return SaveResult(given, "error", f"HTTP {resp.status}", site=site)
    if html is None:
        return _save_file(archive, fetcher, given, site, guess, resp, seen)
    # Read here, not in a worker thread: it is pure Python under the GIL, and threads only
    # add switching to the fetches still running (a third of the time of a 100-page save).
    page = read_page(html, resp.url, adapter)
    return _archive_page(archive, given, site, page, guess, seen)


async def _save_json(archive: Archive, given: str, site: str, guess: str, resp: Response, adapter: Adapter, seen: int) -> SaveResult:
    """A site whose article is a JSON answer (Weibo): its deletion message, or the article."""
    text = resp.content.decode("utf-8", "replace")
    notice = notice_in(text, adapter)
    if notice is None and resp.status in (404, 410):
        notice = f"HTTP {resp.status}"
    if notice is not None:
        return _gone(archive, given, site, guess, resp.status, notice, seen)
    if resp.status >= 400:
        return SaveResult(given, "error", f"HTTP {resp.status}", site=site)
    page = read_json(resp.content, guess, adapter)
    return _archive_page(archive, given, site, page, guess, seen)


def _archive_page(archive: Archive, given: str, site: str, page: Page, guess: str, seen: int) -> SaveResult:
    record = Record(title=page.title or guess, url=page.canonical or guess, published=page.published, body=_byline(page.author) + page.body)
    result = archive.add(record, site, seen=seen)
    return SaveResult(given, result.status, id=result.article_id, path=result.path or _current_path(archive, result.article_id), site=site,
                      title=page.title, author=page.author or None, published=page.published, canonical=record.url)


def _save_file(archive: Archive, fetcher: Fetcher, given: str, site: str, guess: str, resp: Response, seen: int) -> SaveResult:
    """A PDF, an image, plain text or JSON: the file kept as it came, and a record pointing to it."""
    kind = file_kind(resp.content_type, resp.content)
    if kind is None:
        return SaveResult(given, "unsupported", f"not an HTML page nor a kind of file kept ({resp.content_type or 'no Content-Type'}); not archived", site=site)
    kept = keep_file(archive.root, site, resp.content, kind)
    recorder = fetcher.policy.capture
    if isinstance(recorder, WarcRecorder) and (capture := recorder.latest(resp.url)) is not None:
        recorder.written_files.append((capture[1].record_id, kept.path, kept.sha256))  # for the pass's manifest
    body = clean_html(file_body(kept, resp.url, resp.content, resp.charset), resp.url)
    page = Page(title=file_title(resp.url, resp.headers.get("content-disposition")), author="", published=None, body=body, canonical=guess)
    result = _archive_page(archive, given, site, page, guess, seen)
    result.file, result.sha256 = kept.path, kept.sha256
    return result


def _current_path(archive: Archive, aid: str) -> str | None:
    versions = archive.catalog.versions(aid)
    return versions[-1].path if versions else None


def _gone(archive: Archive, given: str, site: str, guess: str, http: int, notice: str, seen: int) -> SaveResult:
    from ..preserve.checks import append_checks

    article = archive.catalog.lookup_url(canonical_url(guess))
    if article is None:
        return SaveResult(given, "gone", f"the page says it is gone ({notice}) and it was never archived: nothing to keep", site=site)
    check = {"id": article.id, "url": article.url, "checked": seen, "status": "gone", "http": http, "reason": f"deletion notice: {notice}"}
    append_checks(archive.root, article.source, [check])
    return SaveResult(given, "gone", f"the page says it is gone ({notice}); the archived text is kept", id=article.id,
                      path=article.path, site=article.source, title=article.title)


async def _guarded(archive: Archive, fetcher: Fetcher, url: str) -> SaveResult:
    seen = int(time.time() * 1000)  # when this page was fetched: when its text was seen
    try:
        return await _save_one(archive, fetcher, url, seen)
    except NewsvaultError as e:
        return SaveResult(url, "error", str(e).removeprefix(f"{tidy_url(url)}: "))
    except Exception as e:  # noqa: BLE001 - a URL no client accepts (odd port, …): that URL only
        return SaveResult(url, "error", f"{type(e).__name__}: {e}")


async def _save_all(archive: Archive, urls: list[str], policy: FetchPolicy) -> list[SaveResult]:
    # One write batch for the run (one disk sync, one catalog commit, one index update), as
    # collect writes a pass: a failure to write keeps none of it (and ends the command with its one-line error).
    with archive.batch():
        async with Fetcher(replace(policy, per_host=min(policy.per_host, PAGES_PER_HOST))) as fetcher:
            # Pages are fetched and read concurrently (the fetcher bounds each host); each is
            # archived the moment it is read, by this thread, so results keep the given order.
            results = list(await asyncio.gather(*(_guarded(archive, fetcher, url) for url in urls)))
    written = [r.path for r in results if r.path and r.status in ("new", "revision")]
    if written:  # images after the text, like collect; they never fail the save
        from ..media.fetching import after_pass

        await after_pass(archive, written, policy)
    return results


def save_urls(archive: Archive, urls: list[str], policy: FetchPolicy | None = None) -> list[SaveResult]:
    """Save each URL (in order); every outcome, refusals and errors included, is a result."""
    if policy is None:
        from ..evidence import recorder_for

        policy = FetchPolicy(capture=recorder_for(archive))
    return asyncio.run(_save_all(archive, urls, policy))
