"""ASGI middleware of the reader server, declared in one list by :func:`newsvault.serve.app.create_app`:

* :class:`HostCheck` answers 400 to a request whose ``Host`` is not this server. A page on any
  web site can make a browser send requests to ``127.0.0.1`` under a name the attacker controls
  (DNS rebinding) and read the answers; refusing foreign names stops that, and keeps an attacker's
  host out of redirects built from the request.
* :class:`SecurityHeaders` adds CSP, nosniff, referrer, frame and opener headers to every
  response, errors included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HostCheck", "SecurityHeaders", "SECURITY_HEADERS", "CSP", "LOOPBACK_NAMES"]

CSP = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-src 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"interest-cohort=()"),
]
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class SecurityHeaders:
    """The security headers on every response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _v in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in SECURITY_HEADERS if h[0] not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def split_host(host: str) -> tuple[str, str] | None:
    """``name:port`` → (name, port) (``[::1]`` keeps its brackets; port may be ""); None when
    malformed."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return None
        name, rest = host[: end + 1], host[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:]
    else:
        name, _, port = host.partition(":")
    if not name or (port and not port.isdigit()) or any(c in name for c in " /\\@?#"):
        return None
    return name, port


def _server_names(server: Any) -> tuple[set[str], str | None]:
    """The names that reach this server as the client connected to it, and its port."""
    if not server:
        return set(LOOPBACK_NAMES), None
    ip, port = server[0], server[1]
    names = set(LOOPBACK_NAMES)
    if ip:
        names.add(f"[{ip}]" if ":" in str(ip) else str(ip))
    return names, None if port is None else str(port)


class HostCheck:
    """Serve only requests addressed to this server: ``127.0.0.1:PORT``, ``localhost:PORT``,
    ``[::1]:PORT`` or the address the client connected to (PORT: the port it listens on), or a
    name in ``allowed_hosts`` (with any port: a reverse proxy in front decides it)."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = {h.strip().lower() for h in allowed_hosts if h.strip()}

    def allows(self, host: str | None, server: Any) -> bool:
        if not host:
            return False
        parts = split_host(host)
        if parts is None:
            return False
        name, port = parts
        if name in self.allowed:
            return True
        names, own_port = _server_names(server)
        if name not in names:
            return False
        return own_port is None or port == own_port or (not port and own_port == "80")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # no websocket routes: Starlette closes those
            await self.app(scope, receive, send)
            return
        raw = dict(scope.get("headers") or []).get(b"host")
        host = raw.decode("latin-1") if raw is not None else None
        if self.allows(host, scope.get("server")):
            await self.app(scope, receive, send)
            return
        await _refuse(send, host)


async def _refuse(send: Send, host: str | None) -> None:
    shown = "missing" if host is None else repr(host[:100])
    message = (f"Host header {shown} does not name this server; "
               "to serve it under another name, start it with --allowed-host NAME")
    body = json.dumps({"error": {"status": 400, "message": message}}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})
