"""The reader server's HTTP/1.1 connections: uvicorn's h11 protocol with the limits it lacks.

uvicorn closes an idle keep-alive connection, but it waits forever for a request that has
begun and not ended: a thousand sockets that each send half a request line hold a thousand
file descriptors, and once the process runs out, every ``accept`` fails (each failure logged
with a traceback) and no reader gets in. Here:

* a request's head (request line and headers) must arrive within :data:`HEAD_SECONDS` of the
  connection opening, or of its first byte on a kept-alive connection; otherwise the
  connection is closed, silently;
* at most :func:`connection_limit` connections are open at once; a new one beyond that closes
  the oldest connection that has not sent a whole request yet (it has cost the server nothing
  to drop), so the sockets run out before the file descriptors do, and a real client gets in.

It also sends what a response writes in one turn of the event loop as one packet
(:class:`CoalescingTransport`): uvicorn writes a response's head and its body separately, and
on loopback under load each ``send`` cost as much as answering from the page cache.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import Any, cast

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["GuardedH11Protocol", "CoalescingTransport", "BACKLOG", "HEAD_SECONDS", "connection_limit", "raise_open_files_limit", "quiet_accept_errors"]

HEAD_SECONDS = 10.0
MAX_CONNECTIONS = 4096
# asyncio accepts up to ``backlog`` connections at a time before any of them reaches
# connection_made (where the limit is applied): the reserve covers them.
BACKLOG = 128
RESERVED_FILES = 128 + BACKLOG  # and the archive's files, SQLite, the search index, the log


def raise_open_files_limit() -> int:
    """Raise this process's soft limit on open files to the hard limit; return the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return soft


def connection_limit(open_files: int) -> int:
    """How many connections may be open with ``open_files`` descriptors to spend."""
    return max(16, min(MAX_CONNECTIONS, open_files - RESERVED_FILES))


class _OnceAMinute(logging.Filter):
    """asyncio logs "socket.accept() out of system resource", traceback and all, at every
    retry (each second) while the process has no file descriptor left: once a minute says it."""

    PREFIX = "socket.accept() out of system resource"

    def __init__(self) -> None:
        super().__init__()
        self._last = -60.0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.PREFIX):
            return True
        now = time.monotonic()
        if now - self._last < 60:
            return False
        self._last = now
        return True


def quiet_accept_errors() -> None:
    """Keep a crowd that exhausts the open files from flooding the log (see _OnceAMinute)."""
    logger = logging.getLogger("asyncio")
    if not any(isinstance(f, _OnceAMinute) for f in logger.filters):
        logger.addFilter(_OnceAMinute())


FLUSH_BYTES = 64 * 1024  # more than this waiting is sent at once (a long streamed answer)


class CoalescingTransport:
    """A connection's transport whose writes wait for the end of the event loop's turn and then
    go out together; everything else is the real transport's."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)
        self._size += len(data)
        if self._size > FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        self._size = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._size = 0
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GuardedH11Protocol(H11Protocol):
    """See the module docstring. ``limit``: set by the server before it starts listening."""

    limit = MAX_CONNECTIONS
    # Connections waiting for a request head, oldest first (a dict keeps insertion order).
    _waiting: dict[GuardedH11Protocol, None] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = cast(asyncio.Transport, CoalescingTransport(transport, self.loop))
        while len(self.connections) > self.limit and self._waiting:
            oldest = next(iter(self._waiting))
            oldest._drop()
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_done()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self._head_timer is None:
                self._await_head()
        else:
            self._head_done()

    def _await_head(self) -> None:
        self._waiting[self] = None
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(HEAD_SECONDS, self._drop)

    def _head_done(self) -> None:
        self._waiting.pop(self, None)
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _drop(self) -> None:
        self._head_done()
        if not self.transport.is_closing():
            self.transport.abort()
