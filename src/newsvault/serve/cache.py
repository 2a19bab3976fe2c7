"""Rendered answers kept for as long as the archive they were rendered from stays the same.

A crowd of readers asks for the same front page, the same popular articles and the same few
searches; rendering each of them again (SQLite reads, templates, snippets) is what limited the
server. :class:`PageCache` (ASGI middleware) keeps each successful GET answer, byte for byte,
under its path, query, host and scheme, tagged with the archive's state
(:meth:`~newsvault.serve.readers.Readers.state`: the catalog's, search index's and media
catalog's SQLite ``data_version``, the files checks and config live in). Any change to the
archive — an import or collect in another process, a media backfill, a recheck, an edited
config — moves the state and empties the
cache, so a kept answer is never older than what the handlers would render now.

Each kept answer also carries an ``ETag`` (a hash of its bytes: ``If-None-Match`` gets a 304)
and, where the client accepts it, its gzip form, compressed once when it is kept.

Not kept: answers that are not 200, those that depend on the clock (``/health``), and files
(``/static``, ``/media``: Starlette's and the media route's own headers serve those).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PageCache", "MAX_BYTES", "UNCACHED_PREFIXES"]

MAX_BYTES = 64 * 1024 * 1024  # kept bodies, both encodings counted; least recently used go first
MAX_ENTRY = 2 * 1024 * 1024  # a bigger answer is passed on, not kept
UNCACHED_PREFIXES = ("/static/", "/media/", "/health")
_COMPRESSIBLE = (b"text/", b"application/json", b"application/atom+xml", b"application/xml")
_MIN_GZIP = 512  # below a packet, compressing saves nothing
_DROPPED = {b"content-length", b"content-encoding", b"etag", b"vary"}

Key = tuple[str, bytes, bytes, str, str]


@dataclass
class Entry:
    headers: list[tuple[bytes, bytes]]  # the handler's, without length, encoding, etag, vary
    body: bytes
    gzipped: bytes | None
    etag: str  # of the identity body, quoted; the gzip form's is etag with "-gz" inside the quotes

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"") + 256

    def etag_for(self, gz: bool) -> str:
        return f'{self.etag[:-1]}-gz"' if gz else self.etag


def _header(scope: Scope, name: bytes) -> bytes:
    for k, v in scope.get("headers") or ():
        if k == name:
            return bytes(v)
    return b""


def accepts_gzip(accept_encoding: bytes) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (``gzip;q=0`` refuses it)."""
    for part in accept_encoding.lower().split(b","):
        coding, _, params = part.strip().partition(b";")
        if coding.strip() in (b"gzip", b"*"):
            name, _, value = params.strip().partition(b"=")
            if name.strip() != b"q":
                return True
            try:
                return float(value) > 0
            except ValueError:
                return False
    return False


def _matches(if_none_match: bytes, etag: str) -> bool:
    tags = {t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")}
    return b"*" in tags or etag.encode() in tags


def make_entry(headers: list[tuple[bytes, bytes]], body: bytes) -> Entry:
    kept = [(k, v) for k, v in headers if k.lower() not in _DROPPED]
    ctype = next((v for k, v in kept if k.lower() == b"content-type"), b"")
    gzipped = None
    if len(body) >= _MIN_GZIP and ctype.startswith(_COMPRESSIBLE):
        gzipped = gzip.compress(body, compresslevel=6, mtime=0)
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    return Entry(kept, body, gzipped, etag)


class PageCache:
    """See the module docstring. ``state``: a cheap call whose value changes whenever the
    archive does (called once a request, on the event loop)."""

    def __init__(self, app: ASGIApp, state: Callable[[], Hashable], max_bytes: int = MAX_BYTES) -> None:
        self.app = app
        self.state = state
        self.max_bytes = max_bytes
        self.entries: OrderedDict[Key, Entry] = OrderedDict()
        self.bytes = 0
        self.generation: Hashable = None
        # Answers being rendered: later requests for the same key wait for the first one
        # instead of rendering it again (a crowd arriving just after the archive changed).
        self.rendering: dict[Key, asyncio.Event] = {}

    def _key(self, scope: Scope) -> Key | None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD") or path.startswith(UNCACHED_PREFIXES):
            return None
        return (path, scope.get("query_string", b""), _header(scope, b"host"), scope.get("scheme", "http"), scope.get("root_path", ""))

    def _lookup(self, key: Key) -> Entry | None:
        generation = self.state()
        if generation != self.generation:
            self.entries.clear()
            self.bytes = 0
            self.generation = generation
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def _keep(self, key: Key, entry: Entry) -> None:
        if key in self.entries:
            self.bytes -= self.entries.pop(key).size
        self.entries[key] = entry
        self.bytes += entry.size
        while self.bytes > self.max_bytes and self.entries:
            self.bytes -= self.entries.popitem(last=False)[1].size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        entry = self._lookup(key)
        while entry is None and (pending := self.rendering.get(key)) is not None:
            await pending.wait()
            entry = self._lookup(key)
            if entry is None:  # the first one was not kept (an error, too big): render this one
                break
        if entry is not None:
            await self._answer(scope, send, entry)
            return
        generation = self.generation
        event = self.rendering.setdefault(key, asyncio.Event())
        try:
            entry = await self._render(scope, receive, send)
        finally:
            if self.rendering.get(key) is event:
                del self.rendering[key]
            event.set()
        # Kept only if the archive did not change while it was rendered (the state was read
        # before the handler ran, so the answer is at least as new as that state).
        if entry is not None and self.generation == generation:
            self._keep(key, entry)

    async def _render(self, scope: Scope, receive: Receive, send: Send) -> Entry | None:
        """Run the app, holding its answer back until it is whole; answer it as a kept one."""
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        passing = False  # not kept: what comes is passed straight on

        async def capture(message: Message) -> None:
            nonlocal start, size, passing
            if passing:
                await send(message)
            elif message["type"] == "http.response.start":
                start = message
                passing = message["status"] != 200 or scope["method"] != "GET"
                if passing:
                    await send(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                if size > MAX_ENTRY and message.get("more_body", False):
                    passing = True
                    assert start is not None
                    await send(start)
                    await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
            else:
                await send(message)

        await self.app(scope, receive, capture)
        if passing or start is None:
            return None
        entry = make_entry(list(start.get("headers", [])), b"".join(chunks))
        await self._answer(scope, send, entry)
        return entry if size <= MAX_ENTRY else None

    async def _answer(self, scope: Scope, send: Send, entry: Entry) -> None:
        gz = entry.gzipped is not None and accepts_gzip(_header(scope, b"accept-encoding"))
        etag = entry.etag_for(gz)
        headers = [*entry.headers, (b"etag", etag.encode())]
        if entry.gzipped is not None:
            headers.append((b"vary", b"accept-encoding"))
        if _matches(_header(scope, b"if-none-match"), etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = entry.gzipped if gz and entry.gzipped is not None else entry.body
        if gz:
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
