"""Helpers for the preservation tests: corpus histories, a scriptable local HTTP server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = (REPO.parent / "shared" / "corpus").resolve()
CDT_HISTORY = CORPUS / "cdt-history"


def history_files() -> list[Path]:
    """Every file of corpus/cdt-history, oldest first (by the unix time in its name)."""
    return sorted(CDT_HISTORY.glob("*/*.md"), key=lambda p: (int(p.stem), str(p)))


def history_rounds() -> list[list[Path]]:
    """Round r holds the r-th version of every folder, each round in time order."""
    rounds: list[list[Path]] = []
    for folder in sorted(CDT_HISTORY.iterdir()):
        for r, f in enumerate(sorted(folder.glob("*.md"), key=lambda p: int(p.stem))):
            if len(rounds) <= r:
                rounds.append([])
            rounds[r].append(f)
    return [sorted(r, key=lambda p: int(p.stem)) for r in rounds]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to sleep before answering (timeouts)


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 whose answers a test sets per path; records requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply | Callable[[BaseHTTPRequestHandler], Reply]] = {}
        self.requests: list[tuple[float, str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms delayed-ACK stall)

            def do_GET(self) -> None:  # noqa: N802
                server.requests.append((time.monotonic(), self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(self.path)
                reply = route(self) if callable(route) else route
                if reply is None:
                    reply = Reply(404, b"<html><body>not found</body></html>")
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "text/html; charset=utf-8", **reply.headers}
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if reply.status != 304:
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def rss_feed(items: list[tuple[str, str, int, str]]) -> bytes:
    """An RSS 2.0 feed of (title, link, published epoch ms, body HTML) with content:encoded."""
    import email.utils
    from xml.sax.saxutils import escape

    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<channel><title>本地测试源</title><link>http://127.0.0.1/</link><description>test</description>"
    ]
    for title, link, published, body in items:
        date = email.utils.formatdate(published / 1000, usegmt=True)
        parts.append(
            f"<item><title>{escape(title)}</title><link>{escape(link)}</link><guid>{escape(link)}</guid>"
            f"<pubDate>{date}</pubDate><description>{escape(body[:200])}</description>"
            f"<content:encoded>{escape(body)}</content:encoded></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def record_snapshot(archive) -> tuple[dict[str, bytes], list[tuple]]:
    """Every record file (path -> bytes) and every catalog version row, for exact comparisons."""
    files = {archive.rel(p): p.read_bytes() for p in archive.record_files()}
    rows = []
    for path in archive.catalog.paths():
        v = archive.catalog.version_at(path)
        rows.append((v.path, v.article_id, v.rev, v.source, v.url, v.canonical_url, v.title, v.published, v.seen, v.content_hash, v.file_hash, v.size, v.variant))
    return files, sorted(rows)


def record_like_files(root: Path) -> list[Path]:
    """Every *.md under articles/ and revisions/ (including ones record_files() would skip)."""
    out = []
    for top in ("articles", "revisions"):
        base = root / top
        if base.is_dir():
            out.extend(p for p in base.rglob("*.md") if p.is_file())
    return out
