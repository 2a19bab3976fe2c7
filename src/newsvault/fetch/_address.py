"""Which addresses newsvault may connect to, checked on the address actually connected to.

Feeds, the links inside them and redirects are written by other people. Without a check, an
item linking to ``http://169.254.169.254/`` (a cloud metadata service) or ``http://127.0.0.1/admin``
would have the archiver fetch it and publish what it got. Checking the URL's host name is not
enough: a public-looking name can resolve to 127.0.0.1 (or resolve differently between the
check and the connection: DNS rebinding). So the check lives in the network backend under the
HTTP client: it resolves the name once, refuses non-public addresses, and connects to the very
address it checked. Every connection goes through it, redirect hops included.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from ..errors import FetchError
from ._lean import httpcore

__all__ = ["PrivateAccess", "RefusedError", "Resolver", "address_problem", "GuardedBackend", "parse_networks", "system_resolver"]

# host, port -> the addresses it resolves to, in the order to try them
Resolver = Callable[[str, int], Awaitable[list[str]]]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# Which non-public addresses a fetch may reach: none (False), any (True), or only those inside
# the listed networks or addresses ("127.0.0.1", "10.0.0.0/8", "::1"). Checked on every
# connection, so every redirect hop, item link, page and image of a source is held to it.
PrivateAccess = bool | tuple[str, ...]


def parse_networks(values: tuple[str, ...] | list[str]) -> tuple[IPNetwork, ...]:
    """``["127.0.0.1", "10.0.0.0/8"]`` as networks; ValueError naming the first that is not one."""
    out = []
    for v in values:
        try:
            out.append(ipaddress.ip_network(v.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{v!r} is not an IP address or network") from None
    return tuple(out)


class RefusedError(FetchError):
    """A fetch refused by the address policy (never retried: asking again changes nothing)."""


def _kind(ip: IPAddress) -> str | None:
    """What makes ``ip`` non-public, in words, or None for a public address."""
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:  # before is_private, which also covers 240.0.0.0/4
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:  # shared (100.64/10), documentation, benchmarking, …
        return "not a public address"
    return None


def _ip(address: str) -> IPAddress | None:
    """The address an IP literal stands for (IPv4-mapped IPv6 as the IPv4 address it maps to)."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip


def address_problem(address: str) -> str | None:
    """Why ``address`` (an IP literal) must not be fetched by default, or None when it may.

    IPv4-mapped IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 address it maps to.
    """
    ip = _ip(address)
    if ip is None:
        return "not an IP address"
    kind = _kind(ip)
    return f"{address} is {kind}" if kind else None


def refusal(address: str, problem: str, host: str, networks: tuple[IPNetwork, ...] = ()) -> RefusedError:
    via = f" ({host} resolves to it)" if host.strip("[]") != address else ""
    if networks:
        allowed = ", ".join(str(n) for n in networks)
        return RefusedError(f"refused: {problem}{via}, outside allow_private ({allowed})")
    return RefusedError(
        f"refused: {problem}{via}; set allow_private = [\"{address}\"] (the hosts or networks to allow) "
        "under [fetch] in newsvault.toml, or on the source, to fetch from private networks"
    )


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        addr = str(sockaddr[0])
        if addr not in out:
            out.append(addr)
    return out


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks, then connects to the checked IP.

    TLS is unaffected: httpcore takes the server name for SNI and certificate checks from the
    request's origin, not from the address passed here.
    """

    def __init__(
        self,
        inner: httpcore.AsyncNetworkBackend,
        resolver: Resolver | None = None,
        allow_private: PrivateAccess = False,
        check: Callable[[str], str | None] | None = None,
    ):
        self.inner = inner
        self.resolver = resolver or system_resolver
        self.allow_all = allow_private is True
        self.networks = parse_networks(allow_private) if isinstance(allow_private, tuple) else ()
        self.check = check or address_problem

    def _problem(self, address: str) -> str | None:
        problem = self.check(address)
        if problem is None or not self.networks:
            return problem
        ip = _ip(address)
        if ip is not None and any(ip.version == n.version and ip in n for n in self.networks):
            return None
        return problem

    async def _addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        bare = host.strip("[]")
        try:
            ipaddress.ip_address(bare.split("%", 1)[0])
            return [bare]
        except ValueError:
            pass
        try:
            async with asyncio.timeout(timeout):
                found = await self.resolver(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"could not resolve {host} within {timeout:g} s") from None
        except OSError as e:
            raise httpcore.ConnectError(f"cannot resolve {host}: {e.strerror or e}") from None
        if not found:
            raise httpcore.ConnectError(f"cannot resolve {host}: no address")
        return found

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._addresses(host, port, timeout)
        allowed = addresses
        if not self.allow_all:
            problems = [(a, self._problem(a)) for a in addresses]
            allowed = [a for a, p in problems if p is None]
            if not allowed:
                address, problem = problems[0]
                raise refusal(address, problem or "", host, self.networks)
        error: Exception | None = None
        for address in allowed:
            try:
                return await self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address, socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                error = e
        assert error is not None
        raise error

    async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise RefusedError("refused: Unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
