"""The one local HTTP server of the tests and benchmarks: a threading server on a loopback address
whose routes a test programs, with a log of every request. Tests talk only to servers like this
one, never to the outlets named in the records.

    def test_x(srv):                                            # `loopback` is the same fixture
        srv.static("/feed.xml", rss)                            # 200 with ETag/Last-Modified, then 304
        srv.route("/gone", Reply(410))
        srv.route("/late", Reply(200, b"ok", delay=2.0))        # answers after two seconds
        srv.route("/flaky", [Reply(503), Reply(200, b"ok")])    # in turn, the last one for ever
        srv.route("/ua", lambda request: Reply(200, request.headers["User-Agent"].encode()))
        srv.sequence("/p", [Reply(500)], then=raw)              # replies in turn, then a raw route
        srv.hang("/slow")                                       # never answers until the server stops
        srv.reset("/rst", times=1, then=raw)                    # TCP reset instead of an answer
        srv.redirect("/old", "/new")
        srv.endless("/huge", 50 << 20)                          # streams filler; srv.sent counts it
        srv.serve("/raw", lambda h: h.send(Reply(200, b"x")))   # a raw route writes its own answer
        srv.url("/feed.xml")                                    # http://127.0.0.1:<port>/feed.xml
        srv.requests                                            # [Request(method, path, query, headers, at)]
        srv.hits["/feed.xml"], srv.headers["/feed.xml"][-1]["if-none-match"]
        srv.arrived("/slow").wait(5)                            # a request for /slow has come in

A route is looked up by the full request target first (``/search?q=x``), then by its path. A
reply carries only the headers it names (plus Content-Length): a test can serve a body without
a Content-Type. Outside pytest (the benchmarks): ``with LoopbackServer() as srv: ...``.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import ipaddress
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (cut short when the server stops)


class Headers(dict[str, str]):
    """Request headers under lower-case names, looked up in any case."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__((name.lower(), value) for name, value in items)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


@dataclass
class Request:
    method: str
    path: str  # without the query
    query: str  # after "?", or ""
    headers: Headers
    at: float  # time.monotonic() when it arrived

    @property
    def target(self) -> str:
        """The request target as the client sent it."""
        return f"{self.path}?{self.query}" if self.query else self.path


Route = Callable[["Handler"], None]  # a raw route: writes the whole answer itself
Answer = Callable[[Request], Reply]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave together (no delayed-ACK stall)
    server: _Server
    received: Request  # this request, as the log holds it

    def do_GET(self) -> None:  # noqa: N802
        self.server.owner._dispatch(self)

    do_HEAD = do_GET  # noqa: N815

    def send(self, reply: Reply) -> None:
        """Answer with ``reply``: its status and headers, and its body unless HEAD or 304."""
        if reply.delay:
            self.server.owner.released.wait(reply.delay)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.status != 304 and self.command != "HEAD":
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout under test): nothing to answer

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # benchmarks open hundreds of connections at once
    owner: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # client aborts and resets are what many tests provoke
        super().handle_error(request, client_address)  # a broken route: print its traceback


class LoopbackServer:
    """A ThreadingHTTPServer on 127.0.0.1 (a free port) whose answers the test sets per path.

    ``host`` may name another 127.x address (a second "outside" server); nothing beyond loopback.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        if ipaddress.ip_address(host) not in LOOPBACK:
            raise ValueError(f"{host} is not a loopback address: test servers listen on this machine only")
        self.host = host
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.sent: Counter[str] = Counter()  # bytes written by endless routes
        self.released = threading.Event()  # set when the server stops: hanging routes return
        self._arrived: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.httpd = _Server((host, 0), Handler)
        self.httpd.owner = self
        self.port: int = self.httpd.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    # -- what came in -----------------------------------------------------------------------------
    @property
    def hits(self) -> Counter[str]:
        """Requests per path (query left out)."""
        with self._lock:
            return Counter(r.path for r in self.requests)

    @property
    def headers(self) -> dict[str, list[Headers]]:
        """The headers of each request, per path, in arrival order."""
        out: dict[str, list[Headers]] = {}
        with self._lock:
            for r in self.requests:
                out.setdefault(r.path, []).append(r.headers)
        return out

    def arrived(self, path: str) -> threading.Event:
        """Set once a request for ``path`` has come in."""
        with self._lock:
            return self._arrived.setdefault(path, threading.Event())

    # -- routes -----------------------------------------------------------------------------------
    def route(self, path: str, reply: Reply | list[Reply] | Answer) -> None:
        """Answer ``path`` with a reply, with replies in turn (the last one for ever), or a function of the request."""
        if isinstance(reply, Reply):
            self.serve(path, lambda h: h.send(reply))
        elif isinstance(reply, list):
            self.sequence(path, reply)
        else:
            self.serve(path, lambda h: h.send(reply(h.received)))

    def serve(self, path: str, fn: Route) -> None:
        """A raw route: ``fn(handler)`` writes the answer (``handler.send(Reply(...))`` or by hand)."""
        self.routes[path] = fn

    def static(self, path: str, body: str | bytes, content_type: str = "application/rss+xml; charset=utf-8", conditional: bool = True) -> None:
        """A resource with ETag and Last-Modified that answers 304 when they match (If-None-Match first)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        modified = email.utils.formatdate(1_700_000_000, usegmt=True)

        def answer(request: Request) -> Reply:
            match = request.headers.get("if-none-match")
            if conditional and (match == etag or (match is None and request.headers.get("if-modified-since") == modified)):
                return Reply(304, b"", {"ETag": etag})
            headers = {"Content-Type": content_type}
            if conditional:
                headers.update({"ETag": etag, "Last-Modified": modified})
            return Reply(200, data, headers)

        self.route(path, answer)

    def sequence(self, path: str, replies: list[Reply], then: Route | None = None) -> None:
        """Answer with ``replies`` in turn, then with ``then`` (or the last reply) for ever."""
        turn = iter(range(len(replies)))

        def route(h: Handler) -> None:
            with self._lock:
                n = next(turn, None)
            if n is not None:
                h.send(replies[n])
            elif then is not None:
                then(h)
            else:
                h.send(replies[-1])

        self.serve(path, route)

    def hang(self, path: str) -> None:
        """Accept requests for ``path`` and never answer them (until the server stops)."""

        def route(h: Handler) -> None:
            self.released.wait()
            h.close_connection = True

        self.serve(path, route)

    def reset(self, path: str, times: int | None = None, then: Route | None = None) -> None:
        """Reset the connection (TCP RST) instead of answering, ``times`` times (None: always)."""
        count = iter(range(1, sys.maxsize))

        def route(h: Handler) -> None:
            with self._lock:
                n = next(count)
            if times is not None and n > times and then is not None:
                then(h)
                return
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
            h.close_connection = True

        self.serve(path, route)

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        self.route(path, Reply(status, b"", {"Location": to}))

    def endless(
        self,
        path: str,
        total: int,
        chunk: int = 64 * 1024,
        declare_length: bool = False,
        *,
        content_type: str = "application/rss+xml",
        head: bytes = b'<?xml version="1.0"?><rss version="2.0"><channel>',
        filler: bytes | None = None,
    ) -> None:
        """Stream ``head`` then ``total`` bytes of ``filler`` chunks (default: XML-ish items);
        counts in ``sent`` what was actually written."""
        if filler is None:
            filler = (b"<item><title>x</title></item>" * (chunk // 29 + 1))[:chunk]

        def route(h: Handler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", content_type)
            if declare_length:
                h.send_header("Content-Length", str(total))
            h.send_header("Connection", "close")
            h.end_headers()
            h.close_connection = True
            written = 0
            with contextlib.suppress(OSError):
                h.wfile.write(head)
                while written < total:
                    h.wfile.write(filler)
                    written += len(filler)
                    with self._lock:
                        self.sent[path] += len(filler)

        self.serve(path, route)

    # -- serving ----------------------------------------------------------------------------------
    def _dispatch(self, h: Handler) -> None:
        path, _, query = h.path.partition("?")
        h.received = Request(h.command, path, query, Headers(h.headers.items()), time.monotonic())
        with self._lock:
            self.requests.append(h.received)
        self.arrived(path).set()
        route = self.routes.get(h.path) or self.routes.get(path)
        if route is None:
            h.send(Reply(404, b"not found"))
        else:
            route(h)


@pytest.fixture
def srv() -> Iterator[LoopbackServer]:
    """A loopback server for one test."""
    with LoopbackServer() as server:
        yield server


loopback = srv  # the same fixture under the name some modules use


def first_answer(url: str, proc: subprocess.Popen) -> httpx.Response:
    """The answer of a server ``proc`` starts, once it listens (a moment after its "serving"
    line); the connection error if it exits or 30 s pass first."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.ConnectError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
