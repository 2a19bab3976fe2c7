"""Turn bytes of unknown charset into text: UTF-8 first, then what was declared, then detection.

Chinese news arrives in UTF-8, GB2312/GBK/GB18030 and Big5. GBK and Big5 share byte ranges, so
a strict decode succeeding is not proof: when nothing is declared, charset-normalizer chooses
among the plausible Chinese encodings by how natural the decoded text is.
"""

from __future__ import annotations

import codecs
import re

from .errors import RecordError

__all__ = ["decode", "declared_charset", "looks_binary"]

# Aliases that lie in practice: pages that say gb2312 use GBK/GB18030 characters.
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs", "x-big5": "big5hkscs"}
_CANDIDATES = ["utf_8", "gb18030", "big5hkscs", "utf_16", "cp1252"]
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_TEXT_BYTES = bytes(range(9, 14)) + bytes(range(32, 256))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._-]+)""", re.I)


def _normalise(name: str) -> str | None:
    name = name.strip().lower()
    name = _WIDER.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(data: bytes) -> str | None:
    """The charset an XML declaration or an HTML meta tag names (in the first 4 KiB)."""
    head = data[:4096]
    m = _XML_DECL.match(head) or _META_CHARSET.search(head)
    return _normalise(m.group(1).decode("ascii")) if m else None


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample.translate(None, _TEXT_BYTES))  # C-speed count of control bytes
    return controls > len(sample) // 50


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise :class:`RecordError` for binary or undecodable data.

    ``declared`` is a charset from outside (e.g. an HTTP header); it wins when it decodes
    cleanly, then the document's own declaration, then detection.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace"), "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace").lstrip("\ufeff"), "utf-16"
    if looks_binary(data):
        raise RecordError("binary file, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for name in (declared, declared_charset(data)):
        enc = _normalise(name) if name else None
        if enc and enc != "utf-8":
            try:
                return data.decode(enc), enc
            except (UnicodeDecodeError, LookupError):
                pass
    return _detect(data)


def _detect(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000], cp_isolation=_CANDIDATES).best()
    if best is None:
        raise RecordError("undecodable text: not UTF-8, GB18030, Big5 or UTF-16")
    enc = _normalise(best.encoding) or best.encoding
    try:
        return data.decode(enc), enc
    except UnicodeDecodeError:
        # The sample decoded but the tail does not: keep the text, mark what was lost.
        return data.decode(enc, "replace"), enc
