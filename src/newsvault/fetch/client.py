"""The HTTP client: one ``Fetcher`` per collect pass, shared by every source.

Why each limit exists:

* timeouts (per attempt, plus a wall-clock deadline): a server that accepts the connection and
  then trickles or never answers must cost one source its own timeout, nobody else's;
* retries with exponential backoff and jitter on timeouts, resets, 5xx, 408 and 429, honouring
  ``Retry-After`` up to a cap (beyond it the source fails now and is retried next pass);
* at most 5 redirects: a redirect loop is an error, not a hang;
* a body-size cap enforced while streaming: a 50 MB (or endless) body is cut off after
  ``max_bytes`` without being held in memory;
* bounded concurrency overall and per host, so 300 feeds do not open 300 sockets and one
  outlet's server is not hammered by its own page fetches.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from ..encoding import decode
from ..errors import FetchError, RecordError

__all__ = ["Fetcher", "FetchPolicy", "Response", "USER_AGENT"]


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("newsvault")
    except Exception:  # not installed (running from a checkout)
        return "0"


USER_AGENT = f"newsvault/{_version()} (+https://github.com/newsvault/newsvault)"
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


@dataclass
class FetchPolicy:
    """Limits of one fetch. Defaults suit an hourly job; tests use short timeouts."""

    timeout: float = 20.0  # connect / read / write, per attempt
    deadline: float = 60.0  # wall clock for one attempt (a trickling server)
    retries: int = 3  # extra attempts after the first
    backoff: float = 1.0  # first retry waits about this long, then doubles
    max_backoff: float = 30.0
    max_retry_after: float = 120.0  # a longer Retry-After fails now (retried next pass)
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    concurrency: int = 32
    per_host: int = 6
    user_agent: str = USER_AGENT


@dataclass
class Response:
    """A successful fetch: ``status`` is 200 (or another 2xx) or 304 (not modified)."""

    url: str  # after redirects
    status: int
    content: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    attempts: int = 1

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def charset(self) -> str | None:
        """The charset named by the Content-Type header, if any."""
        for part in self.content_type.split(";")[1:]:
            name, _, value = part.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None

    def text(self) -> str:
        """The body as text: header charset, then the document's declaration, then detection."""
        try:
            return decode(self.content, self.charset)[0]
        except RecordError as e:
            raise FetchError(f"{self.url}: {e}") from None


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class _TooBig(Exception):
    pass


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n} bytes"


class Fetcher:
    """``async with Fetcher(policy) as f: r = await f.get(url, etag=…, last_modified=…)``."""

    def __init__(self, policy: FetchPolicy | None = None):
        self.policy = policy or FetchPolicy()
        self._client: httpx.AsyncClient | None = None
        self._all = asyncio.Semaphore(self.policy.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        p = self.policy
        self._client = httpx.AsyncClient(
            follow_redirects=True,
            max_redirects=p.max_redirects,
            timeout=httpx.Timeout(p.timeout),
            limits=httpx.Limits(max_connections=p.concurrency, max_keepalive_connections=p.concurrency),
            headers={"User-Agent": p.user_agent, "Accept-Encoding": "gzip, deflate"},
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = (urlsplit(url).hostname or "").lower()
        sem = self._hosts.get(host)
        if sem is None:
            sem = self._hosts[host] = asyncio.Semaphore(self.policy.per_host)
        return sem

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
    ) -> Response:
        """Fetch ``url``; raise :class:`FetchError` (with the reason) once retries are spent."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            return await asyncio.to_thread(self._get_file, url, etag)
        if scheme not in ("http", "https"):
            raise FetchError(f"{url}: unsupported URL scheme {scheme or '(none)'!r} (use http, https or file)")
        if self._client is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        p = self.policy
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        attempt = 0
        while True:
            attempt += 1
            try:
                # host slot first: tasks queued for one busy host must not hold global slots
                async with self._host_slot(url), self._all:
                    async with asyncio.timeout(p.deadline):
                        return await self._attempt(url, headers, attempt)
            except _Retry as r:
                reason, wait = r.reason, r.wait
            except TimeoutError:
                reason, wait = f"no complete answer within {p.deadline:g} s", None
            except httpx.TimeoutException:
                reason, wait = f"timed out after {p.timeout:g} s", None
            except httpx.TooManyRedirects:
                raise FetchError(f"{url}: more than {p.max_redirects} redirects (a redirect loop?)") from None
            except (httpx.NetworkError, httpx.RemoteProtocolError) as e:
                reason, wait = _network_reason(e), None
            except _TooBig as e:
                raise FetchError(f"{url}: {e}") from None
            except httpx.HTTPError as e:  # invalid URL, unsupported protocol, …
                raise FetchError(f"{url}: {e}") from None
            if attempt > p.retries:
                raise FetchError(f"{url}: {reason} ({attempt} attempt{'s' if attempt > 1 else ''})")
            if wait is not None and wait > p.max_retry_after:
                raise FetchError(f"{url}: {reason}; the server asks to retry after {wait:.0f} s")
            if wait is None:
                wait = min(p.max_backoff, p.backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            await asyncio.sleep(wait)

    async def _attempt(self, url: str, headers: dict[str, str], attempt: int) -> Response:
        assert self._client is not None
        cap = self.policy.max_bytes
        async with self._client.stream("GET", url, headers=headers) as r:
            if r.status_code == 304:
                return Response(str(r.url), 304, b"", dict(r.headers), attempt)
            if r.status_code in _RETRY_STATUS:
                raise _Retry(f"HTTP {r.status_code} {r.reason_phrase}".rstrip(), _retry_after(r.headers.get("retry-after")))
            if r.status_code >= 400 or r.status_code < 200:
                raise FetchError(f"{url}: HTTP {r.status_code} {r.reason_phrase}".rstrip())
            declared = r.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise _TooBig(f"body of {_mb(int(declared))} is larger than the {_mb(cap)} cap")
            chunks: list[bytes] = []
            size = 0
            async for chunk in r.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise _TooBig(f"body is larger than the {_mb(cap)} cap (stopped reading)")
                chunks.append(chunk)
            return Response(str(r.url), r.status_code, b"".join(chunks), dict(r.headers), attempt)

    def _get_file(self, url: str, etag: str | None) -> Response:
        """``file://`` URLs: read the file, with mtime+size standing in for an ETag."""
        path = Path(url2pathname(urlsplit(url).path))
        try:
            st = path.stat()
            tag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
            if etag == tag:
                return Response(url, 304, b"", {"etag": tag})
            if st.st_size > self.policy.max_bytes:
                raise FetchError(f"{url}: file of {_mb(st.st_size)} is larger than the {_mb(self.policy.max_bytes)} cap")
            with open(path, "rb") as f:
                data = f.read(self.policy.max_bytes + 1)
        except OSError as e:
            raise FetchError(f"{url}: {e.strerror or e}") from None
        if len(data) > self.policy.max_bytes:
            raise FetchError(f"{url}: file is larger than the {_mb(self.policy.max_bytes)} cap")
        ctype = {".json": "application/feed+json", ".html": "text/html", ".htm": "text/html"}.get(path.suffix.lower(), "application/xml")
        return Response(url, 200, data, {"etag": tag, "content-type": ctype})


def _network_reason(e: Exception) -> str:
    text = str(e) or type(e).__name__
    low = text.lower()
    if "reset" in low or "disconnected" in low or "closed" in low or isinstance(e, httpx.ReadError):
        return f"connection reset or closed by the server ({text})"
    if isinstance(e, httpx.ConnectError):
        return f"cannot connect ({text})"
    return text
