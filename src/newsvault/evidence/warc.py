"""Writing WARC evidence: every HTTP exchange as a request + response record pair.

Layout: ``warc/YYYY/MM/DD/newsvault-YYYYMMDD-HHMMSS-<8 random hex>.warc.gz`` (UTC time of the file's first exchange), one gzip
member per record so that any record can be read at its offset. ``warc/index.jsonl`` has one
line per response record: when, which URL, the status, the file and
offset, the WARC-Record-ID and the payload digest. That index is what ``show --evidence``,
``fsck`` and ``export --wacz`` read. New archives git-ignore ``warc/``: evidence is what one
collector received, and a shared index file or counter-named files would collide between
collectors pushing to one repository.

Crash safety: a recorder never appends to a file that existed before it started (each pass
opens the next ``<n>``), each exchange is encoded in memory first and appended with one write,
then flushed and fsynced before its index line is written. A kill -9 therefore leaves at most
a truncated last record, in a file nobody will append to again, which ``fsck`` reports; the
index never names bytes that were not written.

Response records carry ``WARC-IP-Address``: the address the connection actually reached (what
the fetcher's address policy checked), when the connection reports it.

Bodies are stored as the fetcher read them (decoded from gzip/deflate and de-chunked), so the
stored HTTP headers say so: ``Content-Encoding`` and ``Transfer-Encoding`` become
``X-Archive-Orig-*`` (the pywb convention) and ``Content-Length`` is the stored body's length.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from .captures import INDEX_NAME, WARC_DIR, Capture, canonical, read_index
from .links import VersionLinks

if TYPE_CHECKING:
    from ..archive import Archive
    from ..fetch.client import Exchange

__all__ = ["Capture", "WarcRecorder", "read_index", "recorder_for", "canonical", "INDEX_NAME", "WARC_DIR", "MAX_FILE_BYTES"]

MAX_FILE_BYTES = 100 * 1024 * 1024  # rotate after this many bytes (IA's customary 1 GB is large for git)
REMEMBERED = 50_000  # URLs whose latest answer a recorder keeps for linking (far above one pass's fetches)
_REWRITTEN = ("content-encoding", "transfer-encoding", "content-length")

log = logging.getLogger(__name__)


def recorder_for(archive: Archive) -> WarcRecorder | None:
    """The recorder the archive's ``[capture] warc`` setting asks for (None when off).

    It is also registered as a listener of ``archive``: each version written while it records
    is linked to the captures that produced it (:class:`.links.VersionLinks`)."""
    if not archive.config.warc:
        return None
    recorder = WarcRecorder(archive.root)
    archive.listeners.append(VersionLinks(recorder))
    return recorder


def _http_headers(exchange: Exchange) -> list[tuple[str, str]]:
    headers = []
    for name, value in exchange.response_headers:
        low = name.lower()
        if low in _REWRITTEN:
            if low != "content-length":
                headers.append((f"X-Archive-Orig-{name}", value))
            continue
        headers.append((name, value))
    headers.append(("Content-Length", str(len(exchange.body))))
    return headers


def _protocol(version: str) -> str:
    return version if version.startswith("HTTP/") else "HTTP/1.1"


class WarcRecorder:
    """``FetchPolicy(capture=WarcRecorder(root))``: writes each exchange it is given.

    A recorder writes to files it created itself; ``close()`` (or the end of the process) ends
    the current file. Failures to write are logged once per file, never raised into a fetch.
    """

    def __init__(self, root: Path, *, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._file: Path | None = None
        self._day = ""
        self._size = 0
        self.written = 0  # exchanges recorded
        self.captures: list[Capture] = []  # this recorder's, in order: what the pass's manifest lists
        self.manifested = 0  # how many of them a manifest lists already
        self.written_files: list[tuple[str, str, str]] = []  # (record id, file written from it, its sha256)
        self.errors: list[str] = []
        # For linking versions to captures: canonical URL -> (order, the latest 2xx capture
        # reached from it, through redirects); and redirect targets -> the URLs that led there.
        self._answered: OrderedDict[str, tuple[int, Capture]] = OrderedDict()
        self._via: OrderedDict[str, set[str]] = OrderedDict()

    # -- files --------------------------------------------------------------------------------

    def _open(self, day: datetime) -> None:
        self._close_file()
        folder = self.root / WARC_DIR / day.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        stamp = day.strftime("%Y%m%d")
        while True:
            # The first exchange's second and a random part: the hourly job's runners start on
            # fresh machines, often in the same second, and their files meet on one branch.
            path = folder / f"newsvault-{day:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.warc.gz"
            try:  # O_EXCL: never append to a file another (or a crashed) pass wrote
                self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
                break
            except FileExistsError:
                continue
        self._file, self._day, self._size = path, stamp, 0
        self._append(self._warcinfo(path.name))

    def _warcinfo(self, filename: str) -> bytes:
        from warcio.warcwriter import WARCWriter

        from ..fetch import USER_AGENT

        buf = io.BytesIO()
        writer = WARCWriter(buf, gzip=True)
        writer.write_record(writer.create_warcinfo_record(filename, {"software": USER_AGENT, "format": "WARC File Format 1.0"}))
        return buf.getvalue()

    def _append(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        os.fsync(self._fd)
        self._size += len(data)

    def close(self) -> None:
        with self._lock:
            self._close_file()

    def _close_file(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def latest(self, url: str) -> tuple[int, Capture] | None:
        """The latest 2xx answer this recorder captured for a fetch of ``url`` (redirects
        followed), with its order among this recorder's captures; None if there was none."""
        with self._lock:
            return self._answered.get(canonical(url))

    def _remember(self, exchange: Exchange, capture: Capture) -> None:
        url = canonical(exchange.url)
        if 300 <= exchange.status < 400:
            location = next((v for k, v in exchange.response_headers if k.lower() == "location"), "")
            if location:
                target = canonical(urljoin(exchange.url, location.strip()))
                _put(self._via, target, self._via.get(target, set()) | self._via.get(url, set()) | {url})
        elif 200 <= exchange.status < 300:
            for u in {url} | self._via.pop(url, set()):
                _put(self._answered, u, (self.written, capture))

    def __enter__(self) -> WarcRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- records ------------------------------------------------------------------------------

    def __call__(self, exchange: Exchange) -> None:
        try:
            with self._lock:
                self._record(exchange)
        except Exception as e:  # noqa: BLE001 - evidence must never break a fetch
            message = f"WARC capture of {exchange.url} failed: {e}"
            if not self.errors:
                log.warning(message)
            self.errors.append(message)

    def _record(self, exchange: Exchange) -> None:
        when = datetime.fromtimestamp(exchange.started, UTC)
        if self._fd is None or when.strftime("%Y%m%d") != self._day or self._size >= self.max_bytes:
            self._open(when)
        data, request_len, response = self._encode(exchange, when)
        assert self._file is not None
        start = self._size
        self._append(data)
        capture = Capture(
            time=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            url=exchange.url,
            status=exchange.status,
            file=self._file.relative_to(self.root).as_posix(),
            offset=start + request_len,
            length=len(data) - request_len,
            record_id=response.rec_headers.get_header("WARC-Record-ID"),
            digest=response.rec_headers.get_header("WARC-Payload-Digest") or "",
            content_type=next((v for k, v in exchange.response_headers if k.lower() == "content-type"), ""),
            request_offset=start,
            ip=exchange.peer or "",
        )
        with open(self.root / WARC_DIR / INDEX_NAME, "a", encoding="utf-8") as f:
            f.write(capture.to_json() + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.written += 1
        self.captures.append(capture)
        self._remember(exchange, capture)

    def _encode(self, exchange: Exchange, when: datetime) -> tuple[bytes, int, Any]:
        """The request and response records, gzipped one member each, and the request's length."""
        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter

        date = {"WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
        protocol = _protocol(exchange.http_version)
        buf = io.BytesIO()
        writer = WARCWriter(buf, gzip=True)
        status = StatusAndHeaders(f"{exchange.status} {exchange.reason}".rstrip(), _http_headers(exchange), protocol=protocol)
        response_headers = dict(date)
        if exchange.peer:
            response_headers["WARC-IP-Address"] = exchange.peer
        response = writer.create_warc_record(exchange.url, "response", payload=io.BytesIO(exchange.body), length=len(exchange.body), http_headers=status, warc_headers_dict=response_headers)
        target = exchange.url.split("://", 1)[-1]
        path = "/" + target.split("/", 1)[1] if "/" in target else "/"
        req_status = StatusAndHeaders(f"GET {path}", list(exchange.request_headers), protocol=protocol, is_http_request=True)
        request = writer.create_warc_record(exchange.url, "request", payload=io.BytesIO(b""), length=0, http_headers=req_status, warc_headers_dict=dict(date))
        request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
        writer.write_record(request)
        request_len = buf.tell()
        writer.write_record(response)
        return buf.getvalue(), request_len, response


def _put(cache: OrderedDict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` as the newest entry, forgetting the oldest beyond ``REMEMBERED``."""
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > REMEMBERED:
        cache.popitem(last=False)
