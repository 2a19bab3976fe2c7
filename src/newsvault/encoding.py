"""Turn bytes of unknown charset into text: BOMs, UTF-8, what was declared, then detection.

Chinese news arrives in UTF-8, GB2312/GBK/GB18030 and Big5; feeds from elsewhere add UTF-16/32
(often without a BOM), EUC-KR, Shift_JIS and Windows-1252. The rules, in order:

1. a byte-order mark (UTF-8, UTF-32, UTF-16) decides;
2. UTF-16/32 without a BOM is recognised by where its NUL bytes fall (markup is ASCII);
3. data that is mostly control bytes is binary (one stray NUL does not make a feed binary);
4. strict UTF-8 wins when it decodes;
5. the charset declared from outside (HTTP), then the document's own (XML prolog, meta tag);
   ``gb2312``/``gbk`` mean GB18030 and ``big5`` means Big5-HKSCS, because pages that say the
   narrow name use the wide one's characters; ``iso-8859-1``/``us-ascii`` mean Windows-1252,
   as in every browser, so smart quotes (bytes 0x80–0x9F) survive;
6. detection: GBK and Big5 share byte ranges, so a strict decode succeeding is not proof;
   charset-normalizer chooses among the plausible encodings by how natural the text reads.
"""

from __future__ import annotations

import codecs
import re

from .errors import RecordError

__all__ = ["decode", "declared_charset", "looks_binary", "valid_text", "without_bad_charrefs"]

# Aliases that lie in practice: pages that say gb2312 use GBK/GB18030 characters, pages that
# say latin-1 use Windows-1252's quotes and dashes.
_WIDER = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
}
_CANDIDATES = ["utf_8", "gb18030", "big5hkscs", "euc_kr", "shift_jis", "cp1252"]
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_TEXT_BYTES = bytes(range(9, 14)) + bytes(range(32, 256))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._-]+)""", re.I)
# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _normalise(name: str) -> str | None:
    try:
        found = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    found = _WIDER.get(name.strip().lower(), _WIDER.get(found, found))
    return codecs.lookup(found).name


def declared_charset(data: bytes) -> str | None:
    """The charset an XML declaration or an HTML meta tag names (in the first 4 KiB)."""
    head = data[:4096]
    m = _XML_DECL.match(head) or _META_CHARSET.search(head)
    return _normalise(m.group(1).decode("ascii")) if m else None


def _wide_unicode(sample: bytes) -> str | None:
    """UTF-16/32 without a BOM, told by where the NUL bytes of its ASCII markup fall."""
    if len(sample) < 4 or b"\x00" not in sample[:4]:
        return None
    quads = [sample[i::4].count(0) for i in range(4)]
    n = len(sample) // 4 or 1
    full = [q >= n * 0.9 for q in quads]  # a column that is (nearly) all NUL
    # UTF-32: the top byte is always NUL, the next one too outside rare planes.
    if full[2] and full[3] and not full[0]:
        return "utf-32-le"
    if full[0] and full[1] and not full[3]:
        return "utf-32-be"
    odd = quads[1] + quads[3]
    even = quads[0] + quads[2]
    if odd >= n * 2 * 0.5 and even <= n * 2 * 0.05:
        return "utf-16-le"
    if even >= n * 2 * 0.5 and odd <= n * 2 * 0.05:
        return "utf-16-be"
    return None


def looks_binary(data: bytes) -> bool:
    """Mostly control bytes (a picture, an archive), not text with a stray NUL in it."""
    sample = data[:8192]
    if not sample:
        return False
    if any(sample.startswith(bom) for bom, _ in _BOMS) or _wide_unicode(sample):
        return False
    controls = len(sample.translate(None, _TEXT_BYTES))  # C-speed count of control bytes
    return controls > max(4, len(sample) // 50)  # a few stray bytes are damage, not binary


def _strict(data: bytes, enc: str) -> str | None:
    try:
        return data.decode(enc)
    except (UnicodeDecodeError, LookupError):
        if enc == "cp1252":  # five bytes are unassigned in 1252: those pages really are latin-1
            return data.decode("latin-1")
        return None


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise :class:`RecordError` for binary or undecodable data.

    ``declared`` is a charset from outside (e.g. an HTTP header); it wins when it decodes
    cleanly, then the document's own declaration, then detection.
    """
    for bom, bom_enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(bom_enc, "replace"), bom_enc.removesuffix("-le").removesuffix("-be")
    wide = _wide_unicode(data[:8192])
    if wide:
        return data.decode(wide, "replace").lstrip("\ufeff"), wide
    if looks_binary(data):
        raise RecordError("binary file, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for name in (declared, declared_charset(data)):
        enc = _normalise(name) if name else None
        if enc and enc != "utf-8":
            declared_text = _strict(data, enc)
            if declared_text is not None:
                return declared_text, enc
    return _detect(data)


def _detect(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000], cp_isolation=_CANDIDATES).best()
    if best is None:
        raise RecordError("undecodable text: not UTF-8, UTF-16, GB18030, Big5, EUC-KR, Shift_JIS or Windows-1252")
    enc = _normalise(best.encoding) or best.encoding
    strict = _strict(data, enc)
    if strict is not None:
        return strict, enc
    # The sample decoded but the tail does not: keep the text, mark what was lost.
    return data.decode(enc, "replace"), enc


# Lone surrogates (U+D800–U+DFFF) are not characters: UTF-8 cannot hold them, so a record with
# one cannot be written. JSON's "\ud800" and an XML "&#xD800;" both make them.
_SURROGATE = re.compile("[\ud800-\udfff]")
# A numeric character reference to a surrogate, NUL, or past U+10FFFF: XML forbids them, and
# feedparser raises on the first one, losing the whole feed.
_CHARREF = re.compile(rb"&#([xX][0-9a-fA-F]{1,16}|[0-9]{1,16});")


def valid_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, as other undecodable input is."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def without_bad_charrefs(data: bytes) -> bytes:
    """XML bytes with every character reference to a non-character made ``&#xFFFD;``."""
    return _CHARREF.sub(_charref, data) if b"&#" in data else data


def _charref(m: re.Match[bytes]) -> bytes:
    ref = m.group(1)
    code = int(ref[1:], 16) if ref[:1] in b"xX" else int(ref)
    return b"&#xFFFD;" if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else m.group(0)
