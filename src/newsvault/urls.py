"""Canonical URLs and article ids: how newsvault knows two links are the same article.

Two URLs name the same article when they differ only in: case of scheme and host, a default
port, a trailing slash, tracking parameters (``utm_*`` and friends), parameter order, the
fragment, or how the path is percent-encoded (``%e6%9b%b9``, ``%E6%9B%B9`` and ``曹`` are equal).
The scheme itself is kept: ``http`` and ``https`` may be different servers.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

__all__ = ["canonical_url", "article_id", "is_tracking_param"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PREFIXES = ("utm_", "at_", "mc_", "pk_", "hsa_", "_hs")
_TRACKING_NAMES = frozenset(
    ["fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid", "ttclid", "_ga", "_gl", "spm", "xtor", "ocid", "cmpid", "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "rss_source", "share_source", "wt_mc", "wt.mc_id"]
)
# Characters left as they are in a path or query; everything else is percent-encoded (UTF-8).
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _UNRESERVED | frozenset("!$'()*+,;:@/?")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# Only the escapes that normalisation changes: lower-case hex digits, or an escaped unreserved
# character (- . 0-9 A-Z _ a-z ~). Matching just these keeps well-formed URLs on a C-speed path.
_ESCAPE_TO_FIX = re.compile(r"%([a-f][0-9a-fA-F]|[0-9A-F][a-f]|2[DEde]|3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa]|5[Ff]|7[Ee])")
# A run of escapes of bytes 0x80-0xFF (UTF-8 of non-ASCII text) only ever changes case: one
# call upper-cases the run (a Chinese path is dozens of lower-case escapes, one call each before).
_HIGH_RUN = re.compile(r"(?:%[89a-fA-F][0-9a-fA-F])+")


def is_tracking_param(name: str, value: str = "") -> bool:
    low = name.lower()
    if low in _TRACKING_NAMES or low.startswith(_TRACKING_PREFIXES):
        return True
    # Medium and WordPress feeds add ?source=rss-… to every link.
    return low == "source" and value.lower().startswith("rss")


def _unsafe_pattern(safe: frozenset[str]) -> re.Pattern[str]:
    # A '%' that does not start an escape is unsafe too (it becomes %25).
    return re.compile("%(?![0-9A-Fa-f]{2})|[^" + re.escape("".join(sorted(safe))) + "%]+")


_UNSAFE = {id(_PATH_SAFE): _unsafe_pattern(_PATH_SAFE), id(_QUERY_SAFE): _unsafe_pattern(_QUERY_SAFE)}


def _encode(m: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in m.group(0).encode("utf-8", "surrogatepass"))


def _fix_escape(m: re.Match[str]) -> str:
    byte = int(m.group(1), 16)
    c = chr(byte)
    return c if byte < 128 and c in _UNRESERVED else f"%{byte:02X}"


def _normalise_escapes(text: str, safe: frozenset[str]) -> str:
    """Decode escapes of unreserved characters, upper-case the rest, encode raw non-ASCII."""
    text = _UNSAFE[id(safe)].sub(_encode, text)
    if "%" not in text:
        return text
    if not text.isupper():  # (no lower-case letter at all: no lower-case hex digit either)
        text = _HIGH_RUN.sub(_upper, text)
    return _ESCAPE_TO_FIX.sub(_fix_escape, text)


def _upper(m: re.Match[str]) -> str:
    return m.group(0).upper()


def canonical_url(url: str) -> str:
    """The form of ``url`` used to recognise an article, whatever link a feed gave."""
    url = url.strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _normalise_escapes(url, _PATH_SAFE)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if host and not host.isascii() else host.lower()
    except UnicodeError:
        host = host.lower()
    netloc = host
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = _normalise_escapes(parts.path, _PATH_SAFE)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    elif not path and netloc:
        path = "/"
    query = ""
    if parts.query:
        pairs = [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not is_tracking_param(k, v)
        ]
        pairs.sort()
        query = "&".join(
            f"{_normalise_escapes(k, _QUERY_SAFE)}={_normalise_escapes(v, _QUERY_SAFE)}"
            if v
            else _normalise_escapes(k, _QUERY_SAFE)
            for k, v in pairs
        )
    return urlunsplit((scheme, netloc, path, query, ""))


def article_id(key: str) -> str:
    """A short, stable id: 12 hex digits of SHA-256 over the canonical URL (or other key)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]
