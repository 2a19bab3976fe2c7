"""One local HTTP server for tests: a threading server on 127.0.0.1 with routes, replies and a
request log. Tests talk only to servers like this one, never to the outlets in the records.

    def test_x(loopback):
        loopback.static("/feed.xml", rss_bytes)                # 200 with ETag/Last-Modified, then 304
        loopback.route("/gone", Reply(410))
        loopback.route("/flaky", [Reply(503), Reply(200, b"ok")])  # in turn, the last one for ever
        loopback.hang("/slow")                                   # never answers until the test ends
        url = loopback.url("/feed.xml")
        loopback.requests                                        # [Request(method, path, headers, at)]
        loopback.arrived("/slow").wait(5)                        # a request for /slow has come in
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    at: float  # time.monotonic() when it arrived


Handler = Callable[[Request], Reply]


class LoopbackServer:
    """A ThreadingHTTPServer on 127.0.0.1 (a free port) whose answers the test sets per path."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._routes: dict[str, Handler] = {}
        self._arrived: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._released = threading.Event()
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave together (no delayed-ACK stall)

            def do_GET(self) -> None:  # noqa: N802
                owner._answer(self)

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()  # hanging routes return
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    # -- routes ---------------------------------------------------------------------------------
    def route(self, path: str, reply: Reply | list[Reply] | Handler) -> None:
        """Answer ``path`` with a reply, with replies in turn (the last one for ever), or a function."""
        if isinstance(reply, Reply):
            self._routes[path] = lambda request: reply
        elif isinstance(reply, list):
            replies = list(reply)
            turn = iter(range(len(replies)))
            self._routes[path] = lambda request: replies[next(turn, len(replies) - 1)]
        else:
            self._routes[path] = reply

    def static(self, path: str, body: bytes | str, content_type: str = "application/rss+xml; charset=utf-8") -> None:
        """A resource with ETag and Last-Modified that answers conditional requests with 304."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        modified = email.utils.formatdate(1_700_000_000, usegmt=True)

        def answer(request: Request) -> Reply:
            if request.headers.get("if-none-match") == etag or request.headers.get("if-modified-since") == modified:
                return Reply(304, b"", {"ETag": etag})
            return Reply(200, data, {"Content-Type": content_type, "ETag": etag, "Last-Modified": modified})

        self._routes[path] = answer

    def hang(self, path: str) -> None:
        """Accept requests for ``path`` and never answer them (until the server stops)."""

        def answer(request: Request) -> Reply:
            self._released.wait()
            return Reply(503)

        self._routes[path] = answer

    def arrived(self, path: str) -> threading.Event:
        """Set once a request for ``path`` has come in."""
        with self._lock:
            return self._arrived.setdefault(path, threading.Event())

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    # -- serving --------------------------------------------------------------------------------
    def _answer(self, h: BaseHTTPRequestHandler) -> None:
        request = Request(h.command, h.path, {k.lower(): v for k, v in h.headers.items()}, time.monotonic())
        with self._lock:
            self.requests.append(request)
        self.arrived(h.path).set()
        handler = self._routes.get(h.path.split("?", 1)[0])
        reply = handler(request) if handler else Reply(404, b"<html><body>not found</body></html>")
        if reply.delay:
            self._released.wait(reply.delay)
        try:
            h.send_response(reply.status)
            for name, value in {"Content-Type": "text/html; charset=utf-8", **reply.headers}.items():
                h.send_header(name, value)
            h.send_header("Content-Length", str(len(reply.body)))
            h.end_headers()
            if reply.status != 304 and h.command != "HEAD":
                h.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server
