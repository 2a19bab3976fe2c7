"""Proxies of the tests' own, on 127.0.0.1, so that real host names (mp.weixin.qq.com, …) are
fetched without leaving this machine.

An HTTP proxy needs nothing new: a client sends it the absolute URL (``GET http://host/path``),
so a :class:`LoopbackServer` whose routes are absolute URLs *is* one::

    proxy.route("http://mp.weixin.qq.com/s/abc", Reply(200, page))   # proxy: http://127.0.0.1:<port>

:class:`Socks5Server` speaks SOCKS5 (no authentication, CONNECT only) and relays every
connection to one loopback server, whatever host the client asked for; ``asked`` lists the
(host, port) pairs requested, as the client sent them (a host name, not an address: the name is
resolved by the proxy).
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import threading
from typing import Any


class _Socks5Handler(socketserver.BaseRequestHandler):
    server: _Socks5TCPServer

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.request.recv(n - len(data))
            if not chunk:
                raise ConnectionError("client went away")
            data += chunk
        return data

    def handle(self) -> None:
        try:
            _version, methods = self._read(2)
            self._read(methods)
            self.request.sendall(b"\x05\x00")  # no authentication
            _ver, cmd, _rsv, atyp = self._read(4)
            if atyp == 3:
                host = self._read(self._read(1)[0]).decode("idna")
            elif atyp == 1:
                host = socket.inet_ntoa(self._read(4))
            else:
                host = socket.inet_ntop(socket.AF_INET6, self._read(16))
            (port,) = struct.unpack("!H", self._read(2))
            self.server.asked.append((host, port))
            if cmd != 1:
                self.request.sendall(b"\x05\x07\x00\x01" + b"\x00" * 6)
                return
            upstream = socket.create_connection(self.server.target)
            self.request.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", port))
            self._relay(upstream)
        except (OSError, ConnectionError):
            return

    def _relay(self, upstream: socket.socket) -> None:
        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while chunk := src.recv(65536):
                    dst.sendall(chunk)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)

        back = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        back.start()
        pump(self.request, upstream)
        back.join(5)
        upstream.close()


class _Socks5TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    asked: list[tuple[str, int]]
    target: tuple[str, int]


class Socks5Server:
    """``with Socks5Server(("127.0.0.1", srv.port)) as socks: socks.url`` (``socks5://127.0.0.1:<port>``)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.server = _Socks5TCPServer(("127.0.0.1", 0), _Socks5Handler)
        self.server.asked = []
        self.server.target = target
        self.url = f"socks5://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def asked(self) -> list[tuple[str, int]]:
        return self.server.asked

    def __enter__(self) -> Socks5Server:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
