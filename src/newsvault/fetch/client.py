"""The HTTP client: the one way newsvault fetches anything (feeds, article pages, rechecks).

One ``Fetcher`` per collect pass (or recheck run) is shared by every source. What differs
between users is a field of :class:`FetchPolicy`, set where the policy is built: recheck uses
no retries, one request at a time per host and a delay between them.

Why each limit exists:

* timeouts (per attempt, plus a wall-clock deadline): a server that accepts the connection and
  then trickles or never answers must cost one source its own timeout, nobody else's;
* retries with exponential backoff and jitter on timeouts, resets, 5xx, 408 and 429, honouring
  ``Retry-After`` up to a cap (beyond it the source fails now and is retried next pass);
* at most 5 redirects: a redirect loop is an error, not a hang;
* a body-size cap enforced while streaming: a 50 MB (or endless) body is cut off after
  ``max_bytes`` without being held in memory, and Content-Encoding is undone in bounded steps
  (``decoding.py``), so a nested gzip bomb stops at the cap too;
* bounded concurrency overall and per host, so 300 feeds do not open 300 sockets and one
  outlet's server is not hammered by its own page fetches; optionally a minimum delay between
  two requests to one host (every redirect hop counts);
* an address policy (see ``_address.py``): no loopback, private, link-local, multicast or
  reserved address unless allowed, checked on the address actually connected to; ``file://``
  only when the caller says the URL comes from a local feed the archive was configured with.

Capture: ``FetchPolicy.capture``, when set, is called once per HTTP exchange (every redirect
hop and every retried attempt included) with an :class:`Exchange` holding the request line and
headers and the response status, headers and body as received. It is how evidence (WARC) is
recorded; it must not raise (a failing recorder should log and carry on).

Proxy: ``FetchPolicy.proxy`` (or ``proxy=`` on one fetch, for a source's own) sends requests
through an http, https or socks5 proxy; the address check then applies to the URLs, not the
connection (see ``_proxy.py``).
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import ssl
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

from ..encoding import decode
from ..errors import FetchError, RecordError
from ._address import GuardedBackend, PrivateAccess, RefusedError, Resolver
from ._lean import httpcore, httpx
from ._proxy import DIRECT, target_refusal
from .decoding import BodyTooLarge, BoundedDecoder, UnsupportedEncoding

__all__ = ["Exchange", "Fetcher", "FetchPolicy", "Response", "RefusedError", "USER_AGENT", "user_agent"]


def _version() -> str:
    # The package's own constant (kept equal to pyproject's version by a test): asking
    # importlib.metadata scans every installed distribution, at every start-up.
    from .. import __version__

    return __version__


def user_agent(purpose: str | None = None) -> str:
    """``newsvault/<version> (+<project URL>[; purpose])``: says who is asking, and why."""
    extra = f"; {purpose}" if purpose else ""
    return f"newsvault/{_version()} (+https://github.com/newsvault/newsvault{extra})"


USER_AGENT = user_agent()
_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
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
    host_delay: float = 0.0  # seconds between the starts of two requests to one host
    user_agent: str = USER_AGENT
    allow_private: PrivateAccess = False  # loopback / private / link-local addresses it may reach (_address.py)
    resolver: Resolver | None = field(default=None, repr=False)  # host name -> addresses (tests)
    address_check: Callable[[str], str | None] | None = field(default=None, repr=False)  # IP -> why refused (tests)
    capture: Callable[[Exchange], None] | None = field(default=None, repr=False)  # sees every exchange (WARC)
    proxy: str | None = None  # http://, https://, socks5:// proxy URL for every fetch (None: direct)


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its answer, for :attr:`FetchPolicy.capture`.

    ``body`` is what the fetcher read: decoded from any Content-Encoding (``response_headers``
    still name it), empty for redirects, retried errors and bodies cut off by the size cap.
    """

    url: str
    started: float  # epoch seconds when the request was sent
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    http_version: str
    response_headers: list[tuple[str, str]]
    body: bytes
    peer: str = ""  # the IP address the answer came from ("" when the connection does not say)


@dataclass
class Response:
    """A successful fetch: ``status`` is 200 (or another 2xx) or 304 (not modified)."""

    url: str  # after redirects
    status: int
    content: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    attempts: int = 1
    redirects: int = 0

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


class _BadBody(Exception):
    """A body that cannot be read within its bounds (too large, undecodable): not retried."""


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


def _tls_not_loaded() -> ssl.SSLContext:
    """A client context that verifies certificates and trusts none: a stand-in until the real
    one is loaded, which fails any TLS connection made without it rather than trusting it."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # (CERT_REQUIRED and hostname checks by default)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n} bytes"


class Fetcher:
    """``async with Fetcher(policy) as f: r = await f.get(url, etag=…, last_modified=…)``."""

    def __init__(self, policy: FetchPolicy | None = None):
        self.policy = policy or FetchPolicy()
        self._clients: dict[tuple[PrivateAccess, str | None], httpx.AsyncClient] = {}
        self._tls_pending: dict[int, httpcore.AsyncConnectionPool] = {}  # id(client): pools not yet given certificates
        self._tls: ssl.SSLContext | None = None
        self._open = False
        self._all = asyncio.Semaphore(self.policy.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    async def __aenter__(self) -> Fetcher:
        self._open = True
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._open = False
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def _client(self, allow_private: PrivateAccess, proxy: str | None = None) -> httpx.AsyncClient:
        """One client per address policy and proxy (a connection pool checked once per connection)."""
        client = self._clients.get((allow_private, proxy))
        if client is None:
            p = self.policy
            transport = httpx.AsyncHTTPTransport(
                # Loading the certificate bundle costs more than a small pass's fetching: a
                # direct client starts with a context that trusts nothing and takes the real
                # one before its first https hop (_load_tls).
                verify=_tls_not_loaded() if proxy is None else True,
                limits=httpx.Limits(max_connections=p.concurrency, max_keepalive_connections=p.concurrency),
                proxy=proxy,
            )
            pool = transport._pool
            # Every connection (redirect hops included) resolves, checks and connects here;
            # through a proxy, the only connection is to the proxy the user named, and the
            # targets are checked by URL in _attempt instead.
            private: PrivateAccess = True if proxy is not None else allow_private
            pool._network_backend = GuardedBackend(pool._network_backend, p.resolver, private, p.address_check)
            client = self._clients[(allow_private, proxy)] = httpx.AsyncClient(
                transport=transport,
                follow_redirects=False,  # followed hop by hop in _attempt
                timeout=httpx.Timeout(p.timeout),
                headers={"User-Agent": p.user_agent, "Accept-Encoding": "gzip, deflate"},
                trust_env=False,
            )
            if proxy is None:
                self._tls_pending[id(client)] = pool
        return client

    def _load_tls(self, client: httpx.AsyncClient) -> None:
        """Give ``client``'s pool the certificate-checking context (once), before an https hop."""
        pool = self._tls_pending.pop(id(client), None)
        if pool is not None:
            if self._tls is None:
                self._tls = httpx.create_ssl_context()  # httpx's default: certifi's bundle, or SSL_CERT_FILE
            pool._ssl_context = self._tls

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        sem = self._hosts.get(host)
        if sem is None:
            sem = self._hosts[host] = asyncio.Semaphore(self.policy.per_host)
        return sem

    async def _pace(self, host: str) -> None:
        """Space the starts of requests to one host ``host_delay`` seconds apart."""
        delay = self.policy.host_delay
        if delay <= 0:
            return
        now = time.monotonic()
        start = max(now, self._next_start.get(host, 0.0))
        self._next_start[host] = start + delay
        if start > now:
            await asyncio.sleep(start - now)

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
        allow_private: PrivateAccess | None = None,
        allow_file: bool = False,
        any_status: bool = False,
        proxy: str | None = None,
        user_agent: str | None = None,
    ) -> Response:
        """Fetch ``url``; raise :class:`FetchError` (with the reason) once retries are spent.

        ``allow_private``: this fetch may reach non-public addresses (None: the policy's
        setting). ``allow_file``: a ``file://`` URL may be read (only for a source configured
        with a local feed). ``any_status``: return 4xx/5xx answers instead of raising (recheck
        wants to see a 404). ``proxy``: this fetch's proxy URL, ``"direct"`` for none (None:
        the policy's). ``user_agent``: this fetch's User-Agent (None: the policy's), for a
        site that answers only its own clients (``newsvault save``'s adapters).
        """
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            if not allow_file:
                raise RefusedError(f"{url}: refused: file:// URLs are read only for a source whose feed is a local file")
            return await asyncio.to_thread(self._get_file, url, etag)
        if scheme not in ("http", "https"):
            raise FetchError(f"{url}: unsupported URL scheme {scheme or '(none)'!r} (use http, https or file)")
        if not self._open:
            raise RuntimeError("Fetcher used outside 'async with'")
        private = self.policy.allow_private if allow_private is None else allow_private
        via = _effective_proxy(self.policy.proxy, proxy)
        client = self._client(private, via)
        headers = _request_headers(etag, last_modified, accept)
        if user_agent:
            headers["User-Agent"] = user_agent
        guard: PrivateAccess | None = private if via is not None and private is not True else None
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(client, url, headers, attempt, any_status, guard)
            except Exception as e:  # noqa: BLE001 - sorted into retry / fail by _failure
                reason, wait = self._failure(url, e)
            await asyncio.sleep(self._wait_before_retry(url, reason, wait, attempt))

    def _failure(self, url: str, e: Exception) -> tuple[str, float | None]:
        """Why an attempt failed and how long the server asks us to wait; raises when the
        failure is final (retrying cannot help)."""
        p = self.policy
        if isinstance(e, _Retry):
            return e.reason, e.wait
        if isinstance(e, TimeoutError):
            return f"no complete answer within {p.deadline:g} s", None
        if isinstance(e, httpx.TimeoutException):
            return f"timed out after {p.timeout:g} s", None
        if isinstance(e, httpx.TooManyRedirects):
            raise FetchError(f"{url}: more than {p.max_redirects} redirects (a redirect loop?)") from None
        if isinstance(e, (httpx.NetworkError, httpx.RemoteProtocolError)):
            return _network_reason(e), None
        if isinstance(e, RefusedError):
            raise RefusedError(f"{url}: {e}") from None
        if isinstance(e, FetchError):
            raise e
        if isinstance(e, (_BadBody, httpx.HTTPError)):  # too big; invalid URL, unsupported protocol, …
            raise FetchError(f"{url}: {e}") from None
        raise e

    def _wait_before_retry(self, url: str, reason: str, wait: float | None, attempt: int) -> float:
        p = self.policy
        if attempt > p.retries:
            raise FetchError(f"{url}: {reason} ({attempt} attempt{'s' if attempt > 1 else ''})")
        if wait is not None and wait > p.max_retry_after:
            raise FetchError(f"{url}: {reason}; the server asks to retry after {wait:.0f} s")
        if wait is None:
            wait = min(p.max_backoff, p.backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
        return wait

    async def _attempt(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str], attempt: int, any_status: bool, guard_urls: PrivateAccess | None = None,
    ) -> Response:
        """One attempt, following redirects hop by hop: every hop takes its host's slot and
        pacing, and may only lead to another http(s) URL (never to ``file://``). ``guard_urls``:
        through a proxy, every hop's URL is checked (the connection cannot be)."""
        p = self.policy
        current = url
        for hop in range(p.max_redirects + 1):
            if guard_urls is not None and (why := target_refusal(current, guard_urls)) is not None:
                raise RefusedError(why)
            parts = urlsplit(current)
            if parts.scheme.lower() == "https":
                self._load_tls(client)
            host = (parts.hostname or "").lower()
            # host slot first: tasks queued for one busy host must not hold global slots
            async with self._host_slot(host), self._all:
                await self._pace(host)
                started = time.time()
                async with asyncio.timeout(p.deadline), client.stream("GET", current, headers=headers) as r:
                    location = r.headers.get("location")
                    if r.status_code in _REDIRECT_STATUS and location:
                        self._capture(r, started, b"")
                        current = _redirect_target(url, current, location)
                        continue
                    return await self._response(r, url, attempt, hop, any_status, started)
        raise httpx.TooManyRedirects(f"more than {p.max_redirects} redirects")

    def _capture(self, r: httpx.Response, started: float, body: bytes) -> None:
        capture = self.policy.capture
        if capture is None:
            return
        capture(Exchange(
            url=str(r.request.url),
            started=started,
            request_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in r.request.headers.raw],
            status=r.status_code,
            reason=r.reason_phrase,
            http_version=r.http_version,
            response_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in r.headers.raw],
            body=body,
            peer=_peer(r),
        ))

    async def _response(self, r: httpx.Response, url: str, attempt: int, redirects: int, any_status: bool, started: float) -> Response:
        if r.status_code == 304:
            self._capture(r, started, b"")
            return Response(str(r.url), 304, b"", dict(r.headers), attempt, redirects)
        if r.status_code in _RETRY_STATUS and not (any_status and attempt > self.policy.retries):
            self._capture(r, started, b"")
            raise _Retry(f"HTTP {r.status_code} {r.reason_phrase}".rstrip(), _retry_after(r.headers.get("retry-after")))
        if (r.status_code >= 400 or r.status_code < 200) and not any_status:
            self._capture(r, started, b"")
            raise FetchError(f"{url}: HTTP {r.status_code} {r.reason_phrase}".rstrip())
        content = await self._read_capped(r)
        self._capture(r, started, content)
        return Response(str(r.url), r.status_code, content, dict(r.headers), attempt, redirects)

    async def _read_capped(self, r: httpx.Response) -> bytes:
        cap = self.policy.max_bytes
        declared = r.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise _BadBody(f"body of {_mb(int(declared))} is larger than the {_mb(cap)} cap")
        # Raw bytes, decoded here in bounded steps: httpx's own decoding inflates a whole chunk at
        # once, so a nested gzip bomb would be gigabytes before any cap could count it.
        try:
            decoder = BoundedDecoder(r.headers.get("content-encoding", ""), cap)
            async for chunk in r.aiter_raw():
                decoder.feed(chunk)
            return decoder.finish()
        except BodyTooLarge:
            raise _BadBody(f"body is larger than the {_mb(cap)} cap (stopped reading)") from None
        except UnsupportedEncoding as e:
            raise _BadBody(str(e)) from None
        except zlib.error as e:
            raise _BadBody(f"body does not decode as its Content-Encoding says ({e})") from None

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


def _effective_proxy(default: str | None, given: str | None) -> str | None:
    """The proxy of one fetch: its own (``"direct"``: none), else the policy's."""
    chosen = default if given is None else given
    return None if chosen in (None, "", DIRECT) else chosen


def _peer(r: httpx.Response) -> str:
    """The address of the server that answered (the connection's, not a guess from DNS)."""
    stream = r.extensions.get("network_stream")
    address = stream.get_extra_info("server_addr") if stream is not None else None
    return str(address[0]) if isinstance(address, tuple) and address else ""


def _redirect_target(url: str, current: str, location: str) -> str:
    target = urljoin(current, location.strip())
    scheme = urlsplit(target).scheme.lower()
    if scheme not in ("http", "https"):
        raise RefusedError(f"refused: a redirect to a {scheme or 'schemeless'}: URL ({target[:200]}); only http(s) redirects are followed")
    return target


def _request_headers(etag: str | None, last_modified: str | None, accept: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    if accept:
        headers["Accept"] = accept
    return headers


def _network_reason(e: Exception) -> str:
    text = str(e) or type(e).__name__
    low = text.lower()
    if "reset" in low or "disconnected" in low or "closed" in low or isinstance(e, httpx.ReadError):
        return f"connection reset or closed by the server ({text})"
    if isinstance(e, httpx.ConnectError):
        return f"cannot connect ({text})"
    return text
