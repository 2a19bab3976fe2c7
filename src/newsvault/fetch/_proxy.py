"""Fetching through a proxy (``[fetch] proxy``): http, https and socks5.

Collectors inside China reach blocked outlets only through a proxy, and some volunteers fetch
over Tor (``socks5://127.0.0.1:9050``). With a proxy the address check changes place. The
connection newsvault opens goes to the proxy, which the user named, so it may well be on
loopback or a private network. The target is resolved and reached by the proxy, out of our
sight: checking it on the address connected to (``_address.py``) is no longer possible. What
can still be checked is the URL itself, on every redirect hop: an IP literal that is private,
loopback, link-local (the cloud metadata service at 169.254.169.254) or otherwise non-public,
and the names that always mean this machine (``localhost``, ``*.localhost``), are refused
unless private addresses are allowed. A public-looking name that the proxy resolves to a
private address cannot be caught here (nor DNS rebinding): docs/save.md says so.

socks5 and socks5h both leave name resolution to the proxy (httpcore sends the host name),
so that no DNS query leaks around a Tor proxy.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ._address import PrivateAccess, address_problem, parse_networks, refusal

__all__ = ["PROXY_SCHEMES", "DIRECT", "proxy_problem", "target_refusal", "shown"]

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
DIRECT = "direct"  # a source's ``proxy = "direct"``: no proxy for it, whatever the archive says


def proxy_problem(value: str) -> str | None:
    """Why ``value`` is not a usable proxy URL (or ``direct``), or None."""
    if value == DIRECT:
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as e:
        return f"{value!r} is not a URL ({e})"
    if parts.scheme.lower() not in PROXY_SCHEMES:
        return f"{value!r}: the scheme must be one of {', '.join(PROXY_SCHEMES)} (e.g. 'socks5://127.0.0.1:9050'), or 'direct'"
    if not parts.hostname:
        return f"{value!r} names no proxy host"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return f"{value!r}: a proxy URL is scheme://[user:password@]host:port, nothing after it"
    if port is None:
        return f"{value!r} names no port (e.g. ':1080' for socks5, ':8080' for http)"
    return None


def _local_name(host: str) -> bool:
    host = host.rstrip(".").lower()
    return host == "localhost" or host.endswith(".localhost")


def target_refusal(url: str, allowed: PrivateAccess = False) -> str | None:
    """Why ``url`` must not be fetched through a proxy under ``allowed`` (False, or the listed
    networks): the checks the URL alone permits (an IP literal, or a name that means this machine)."""
    host = (urlsplit(url).hostname or "").strip("[]")
    if not host:
        return None
    networks = parse_networks(allowed) if isinstance(allowed, tuple) else ()
    if _local_name(host):
        return str(refusal(host, f"{host} names this machine", host, networks))
    problem = address_problem(host)
    if problem is None or problem == "not an IP address":
        return None
    ip = ipaddress.ip_address(host.split("%", 1)[0])
    if any(ip.version == n.version and ip in n for n in networks):
        return None
    return str(refusal(host, problem, host, networks))


def shown(proxy: str) -> str:
    """The proxy URL without its password (for messages and logs)."""
    parts = urlsplit(proxy)
    if parts.password is None:
        return proxy
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()
