"""Deletion watch: revisit archived URLs and record what became of each article.

Each check ends in one status (see :mod:`newsvault.preserve.checks`):

* ``live`` - the page answers 200 (or 304 to a conditional request) with the article;
* ``changed`` - the article's text changed: the page's main content is archived as a revision;
* ``gone`` - 404 or 410 (also after a redirect), or a 200 "page not found" that no longer holds
  the article;
* ``redirected`` - sent away to something that is not the article: the site's home page, a
  section or search page, another unrelated page (a soft deletion);
* ``failing`` - 401/403/429/5xx, other unexpected answers, timeouts, connection errors, a login
  wall: nothing can be concluded, the article is checked again next time. Never a deletion.

Politeness: one request at a time per host with at least ``delay`` seconds between them
(hosts are checked in parallel; every redirect hop counts), conditional requests with the ETag /
Last-Modified of the last check, a User-Agent that says what is asking, no retries within a run.
Fetching is :mod:`newsvault.fetch`'s, with those limits as its policy (see
:meth:`RecheckPolicy.fetch_policy`), so the address policy of collect applies here too: an
archived URL on a private network is refused unless the archive or its source allows it.

Deciding "changed": the page's main content (the source's CSS selector, else trafilatura, then
the collector's cleaning) is compared as whitespace-free text with the archived version. For
sources whose bodies come from their pages that comparison is exact from the first check.
Bodies taken from a feed never equal a page extraction, so for those sources the first check
records a fingerprint of the page's text (a baseline) and later checks compare with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

from ..archive import Archive
from ..catalog import Article
from ..config import DEFAULT_SOURCES, Source
from ..errors import FetchError
from ..fetch import Fetcher, FetchPolicy, user_agent
from ..fetch.client import Exchange
from ..record import Record
from ..text import html_to_text
from ..urls import canonical_url
from .checks import append_checks, last_conclusive

__all__ = ["RecheckPolicy", "CheckResult", "recheck", "select_articles", "USER_AGENT"]

USER_AGENT = user_agent("checks that archived articles are still online")

_SEARCH_KEYS = {"q", "s", "query", "keyword", "keywords", "search", "wd", "k"}
_WALL_WORDS = ("login", "signin", "sign-in", "subscribe", "paywall", "account", "register", "captcha")
_NOT_FOUND_WORDS = (
    "404", "not found", "page not found", "no longer available", "has been removed", "has been deleted",
    "页面不存在", "页面未找到", "找不到", "已删除", "已被删除", "内容不存在", "文章不存在", "頁面不存在", "找不到頁面", "已刪除",
)


@dataclass
class RecheckPolicy:
    delay: float = 1.0  # seconds between two requests to the same host
    timeout: float = 20.0  # connect / read, per request
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    workers: int = 8  # hosts checked at the same time
    user_agent: str = USER_AGENT
    flush_every: int = 50  # check results written to disk in groups of this many
    capture: Callable[[Exchange], None] | None = None  # WARC evidence of each exchange

    def fetch_policy(self) -> FetchPolicy:
        """The fetcher's limits for a recheck run: no retries (a failure is checked again next
        run), one request at a time per host, ``delay`` seconds apart."""
        return FetchPolicy(
            timeout=self.timeout,
            deadline=max(self.timeout * 3, self.timeout + 1),
            retries=0,
            max_bytes=self.max_bytes,
            max_redirects=self.max_redirects,
            concurrency=self.workers,
            per_host=1,
            host_delay=self.delay,
            user_agent=self.user_agent,
            capture=self.capture,
        )


@dataclass
class CheckResult:
    id: str
    source: str
    url: str
    checked: int  # epoch ms
    status: str
    http: int | None = None
    reason: str | None = None
    final_url: str | None = None  # where redirects led
    path: str | None = None  # the revision archived (status "changed")
    etag: str | None = None
    last_modified: str | None = None
    fp: str | None = None  # fingerprint of the page's main text

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class _Fetched:
    url: str  # the last URL asked for
    status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    redirects: int = 0
    error: str | None = None


async def _fetch(fetcher: Fetcher, url: str, prev: dict[str, Any] | None, allow_private: bool | tuple[str, ...], proxy: str | None = None) -> _Fetched:
    try:
        r = await fetcher.get(
            url,
            etag=(prev or {}).get("etag"),
            last_modified=(prev or {}).get("last_modified"),
            allow_private=allow_private,
            any_status=True,
            proxy=proxy,
        )
    except FetchError as e:
        return _Fetched(url, error=str(e).removeprefix(f"{url}: "))
    return _Fetched(r.url, r.status, r.content, {k.lower(): v for k, v in r.headers.items()}, r.redirects)


# -- deciding ------------------------------------------------------------------------------------


def _same_page(a: str, b: str) -> bool:
    """The same URL but for scheme, 'www.', trailing slash, escapes and tracking parameters."""

    def key(u: str) -> str:
        c = canonical_url(u)
        c = c.split("://", 1)[-1]
        return c[4:] if c.startswith("www.") else c

    return key(a) == key(b)


def _site(host: str | None) -> str:
    host = (host or "").lower()
    return host[4:] if host.startswith("www.") else host


def _away_reason(original: str, final: str) -> str | None:
    """Why a redirect target is plainly not the article (home, section, search page), or None."""
    o, f = urlsplit(original), urlsplit(final)
    path = f.path.rstrip("/")
    if _site(o.hostname) == _site(f.hostname) or not path:
        if not path:
            return "redirected to the home page"
        if o.path.rstrip("/").startswith(path + "/"):
            return f"redirected to a section page ({f.path})"
    if "search" in f.path.lower() or any(k.lower() in _SEARCH_KEYS for k, _ in parse_qsl(f.query)):
        return f"redirected to a search page ({final})"
    return None


def _norm(text: str) -> str:
    return "".join(text.split())


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _containment(archived: str, page: str) -> float:
    """Share of the archived text's character pairs found on the page (0..1)."""
    a = _bigrams(archived)
    return len(a & _bigrams(page)) / len(a) if a else 0.0


def _looks_not_found(html: str, text: str) -> bool:
    from ..extract import page_title

    title = page_title(html).lower()
    head = text[:300].lower()
    return any(w in title or w in head for w in _NOT_FOUND_WORDS)


def _source_config(archive: Archive, slug: str) -> Source | None:
    return archive.config.source(slug) or next((s for s in DEFAULT_SOURCES if s.slug == slug), None)


class _Decider:
    """Turns a fetch into a CheckResult (main thread only: it reads and writes the archive)."""

    def __init__(self, archive: Archive, prev: dict[str, dict[str, Any]]):
        self.archive = archive
        self.prev = prev

    def decide(self, article: Article, fetched: _Fetched, now: int) -> CheckResult:
        prev = self.prev.get(article.id)
        res = CheckResult(article.id, article.source, article.url, now, "failing", http=fetched.status)
        if fetched.url != article.url:
            res.final_url = fetched.url
        moved = fetched.redirects > 0 and not _same_page(article.url, fetched.url)
        if fetched.error:
            res.reason = fetched.error
            return res
        status = fetched.status or 0
        if status == 304:
            res.status, res.reason = "live", "not modified"
            if prev:
                res.etag, res.last_modified, res.fp = prev.get("etag"), prev.get("last_modified"), prev.get("fp")
            res.etag = fetched.headers.get("etag", res.etag)
            res.last_modified = fetched.headers.get("last-modified", res.last_modified)
            return res
        if status in (404, 410):
            res.status = "gone"
            res.reason = f"HTTP {status}" + (" after a redirect" if fetched.redirects else "")
            return res
        if not 200 <= status < 300:
            res.reason = f"HTTP {status}: " + ("blocked or rate-limited" if status in (401, 403, 429, 451) else "server error" if status >= 500 else "unexpected answer")
            return res
        if moved:
            if any(w in urlsplit(fetched.url).path.lower() for w in _WALL_WORDS):
                res.reason = f"redirected to a login or subscription page ({fetched.url})"
                return res
            away = _away_reason(article.url, fetched.url)
            if away:
                res.status, res.reason = "redirected", away
                return res
        res.etag = fetched.headers.get("etag")
        res.last_modified = fetched.headers.get("last-modified")
        ctype = fetched.headers.get("content-type", "text/html").lower()
        if "html" not in ctype and "xml" not in ctype and not ctype.startswith("text/"):
            res.status, res.reason = "live", f"not an HTML page ({ctype.split(';')[0]})"
            return res
        return self._compare(article, fetched, res, prev, moved)

    def _compare(self, article: Article, fetched: _Fetched, res: CheckResult, prev: dict[str, Any] | None, moved: bool) -> CheckResult:
        from ..clean import clean_html
        from ..encoding import decode
        from ..errors import NewsvaultError
        from ..extract import extract_main

        source = _source_config(self.archive, article.source)
        try:
            html = decode(fetched.body, _charset(fetched.headers.get("content-type", "")))[0]
        except NewsvaultError as e:
            res.reason = f"unreadable page: {e}"
            return res
        head = html.lstrip()[:1000].lower()
        full_page = head.startswith(("<!doctype", "<html")) or "<body" in head
        try:
            body = extract_main(html, fetched.url, source.selector if source else None) if full_page else html
            body = clean_html(body, base_url=fetched.url)
        except NewsvaultError as e:
            body = ""
            res.reason = str(e)
        page_text = _norm(html_to_text(body))
        try:
            latest = self.archive.read(article.latest_path)
        except (OSError, NewsvaultError) as e:
            res.reason = f"the archived version {article.latest_path} cannot be read ({e}); run 'newsvault fsck'"
            return res
        archived_text = _norm(html_to_text(latest.body))
        similar = _containment(archived_text, page_text) if page_text else 0.0
        if similar < 0.2 and _looks_not_found(html, html_to_text(body) if body else html_to_text(html)):
            res.status, res.reason = "gone", "the page says the article is not found"
            return res
        if not page_text:
            res.reason = f"no article text found on the page{': ' + res.reason if res.reason else ''}"
            return res  # failing: a broken template is not a deletion
        res.fp = hashlib.sha256(page_text.encode("utf-8")).hexdigest()[:16]
        if moved and similar < 0.5:
            res.status, res.reason = "redirected", f"redirected to another page ({fetched.url})"
            return res
        if moved:
            res.reason = f"moved to {fetched.url}"
        if page_text == archived_text:
            res.status = "live"
            return res
        prev_fp = prev.get("fp") if prev else None
        if prev_fp == res.fp:
            res.status = "live"  # the page has not changed since it was last checked
            return res
        if prev_fp is None and not (source and source.body == "page"):
            res.status = "live"
            res.reason = "baseline: feed-sourced text is not comparable with the page; later checks compare with this one"
            return res
        record = Record(latest.title, latest.url, latest.published if latest.published is not None else article.published, body)
        result = self.archive.add(record, article.source, seen=res.checked)
        if result.status == "unchanged":
            res.status = "live"
        else:
            res.status, res.path = "changed", result.path
        return res


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


# -- running -------------------------------------------------------------------------------------


def select_articles(
    archive: Archive,
    *,
    source: str | None = None,
    older_than: float | None = None,
    limit: int | None = None,
    now: int | None = None,
) -> list[Article]:
    """Articles due for a check: never checked first (newest first), then the longest unchecked.
    ``older_than`` (seconds) skips articles whose last conclusive check is more recent."""
    now = now if now is not None else int(time.time() * 1000)
    last = last_conclusive(archive.root)
    due: list[tuple[tuple[int, int], Article]] = []
    for a in archive.catalog.list_articles(source=source):
        if not a.url.startswith(("http://", "https://")):
            continue  # link-less items cannot be rechecked
        checked = last.get(a.id, {}).get("checked")
        if older_than is not None and checked is not None and checked > now - older_than * 1000:
            continue
        due.append(((0, -(a.published or 0)) if checked is None else (1, checked), a))
    due.sort(key=lambda x: x[0])
    articles = [a for _, a in due]
    return articles[:limit] if limit is not None else articles


def recheck(
    archive: Archive,
    *,
    source: str | None = None,
    older_than: float | None = None,
    limit: int | None = None,
    articles: list[Article] | None = None,
    policy: RecheckPolicy | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[CheckResult]:
    """Check articles (``articles``, or those :func:`select_articles` picks), archive new
    revisions, append every result to ``checks/<source>.jsonl``, and return the results."""
    policy = policy or RecheckPolicy()
    if articles is None:
        articles = select_articles(archive, source=source, older_than=older_than, limit=limit)
    if not articles:
        return []
    run = _Run(archive, articles, policy, progress)
    return asyncio.run(run.main())


class _Run:
    """One recheck run: hosts fetched concurrently, results decided and written in this thread."""

    def __init__(self, archive: Archive, articles: list[Article], policy: RecheckPolicy, progress: Callable[[int, int], None] | None):
        self.archive = archive
        self.articles = articles
        self.policy = policy
        self.progress = progress
        self.prev = last_conclusive(archive.root)
        self.decider = _Decider(archive, self.prev)
        self.results: list[CheckResult] = []
        self.pending: dict[str, list[dict[str, Any]]] = {}

    def _allow_private(self, slug: str) -> bool | tuple[str, ...]:
        source = self.archive.config.source(slug)
        return self.archive.config.private_allowed(source) if source is not None else self.archive.config.allow_private

    async def main(self) -> list[CheckResult]:
        by_host: dict[str, list[Article]] = {}
        for a in self.articles:
            by_host.setdefault(_site(urlsplit(a.url).hostname), []).append(a)
        done: asyncio.Queue[tuple[Article, _Fetched]] = asyncio.Queue()
        slots = asyncio.Semaphore(max(1, self.policy.workers))

        async def check_host(fetcher: Fetcher, items: list[Article]) -> None:
            async with slots:
                for a in items:
                    await done.put((a, await _fetch(fetcher, a.url, self.prev.get(a.id), self._allow_private(a.source), self.archive.config.proxy_for(a.source))))

        async with Fetcher(self.policy.fetch_policy()) as fetcher:
            tasks = [asyncio.create_task(check_host(fetcher, items)) for items in by_host.values()]
            try:
                for n in range(1, len(self.articles) + 1):
                    article, fetched = await done.get()
                    self._record(article, fetched)
                    if self.progress:
                        self.progress(n, len(self.articles))
                await asyncio.gather(*tasks)
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                self._flush()
        # Images of the new revisions (failures are kept in the media catalog, retried later).
        from ..media.fetching import after_pass

        await after_pass(self.archive, [r.path for r in self.results if r.path], self.policy.fetch_policy())
        return self.results

    def _record(self, article: Article, fetched: _Fetched) -> None:
        now = int(time.time() * 1000)
        try:
            res = self.decider.decide(article, fetched, now)
        except (OSError, ValueError, LookupError, TypeError, etree.LxmlError) as e:
            # One odd page (or a parser's bug) must not end a run of thousands.
            res = CheckResult(article.id, article.source, article.url, now, "failing", http=fetched.status,
                              reason=f"could not examine the page: {type(e).__name__}: {e}")
        self.results.append(res)
        self.pending.setdefault(res.source, []).append(res.as_dict())
        if sum(len(v) for v in self.pending.values()) >= self.policy.flush_every:
            self._flush()

    def _flush(self) -> None:
        for slug, lines in self.pending.items():
            if lines:
                append_checks(self.archive.root, slug, lines)
        self.pending.clear()
