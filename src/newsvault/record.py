"""The article record: one plain-text file per article, the contract with every existing archive.

Canonical form (what newsvault writes, what duty-machine archives hold)::

    <!--1699359302000-->            published, Unix epoch milliseconds
    [title](url)                    a Markdown link (escaped only where it must be)
    ------                          setext underline: the link renders as a heading
                                    (empty line)
    <div>…body HTML…</div>
                                    (the file ends with one newline)

``parse`` reads every variant found in the wild, tolerantly:

* ``canonical`` - the form above;
* ``cdt`` - the old China Digital Times form: no comment line, a ``日期：`` line with an
  RFC 2822 date after the underline;
* ``jekyll`` - YAML front matter, then a canonical (or cdt) record;
* ``jekyll-page`` - YAML front matter over a scraped page with no record header: title, date
  and URL come from the front matter (``title``, ``date``, ``from``).

``render`` writes the canonical form (after the front matter, when the record has one).
The round-trip law, tested over the corpus and with property tests:
``render(parse(b)) == b`` for every canonical file, and ``parse(render(r)) == r`` for every record.
See docs/record-format.md for the escaping rules.
"""

from __future__ import annotations

import hashlib
import html.entities
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from .errors import RecordError

__all__ = [
    "Record",
    "parse",
    "front_matter_date",
    "render",
    "escape_title",
    "unescape_title",
    "escape_url",
    "unescape_url",
]

VARIANTS = ("canonical", "cdt", "jekyll", "jekyll-page")


@dataclass(frozen=True)
class Record:
    """One version of one article.

    ``published`` is epoch milliseconds (UTC) or None when the source gave no usable date.
    ``front_matter`` is the raw YAML block (with its ``---`` lines) of Jekyll records, kept so
    that rendering gives the file back byte for byte; ``meta`` is its parsed content.
    ``stamp`` is the text of a time comment that is not a number (older archivers wrote
    ``<!--NaN-->`` for dates they could not read); it is written back as it was, while
    ``published`` falls back to the front matter's date. ``guid`` is what the feed called the
    item (its guid or id), never written into the file: it can name a new record's file (a
    WordPress post id, see :func:`newsvault.layout.post_id`).
    """

    title: str
    url: str
    published: int | None
    body: str
    variant: str = "canonical"
    front_matter: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    stamp: str | None = None
    guid: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if "\n" in self.url or "\r" in self.url or "\x00" in self.url:
            raise ValueError("a record URL cannot contain a line break or NUL (normalise it first)")
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown record variant {self.variant!r}")

    @property
    def text_hash(self) -> str:
        """Hash of what a reader sees (title and body): equal hashes mean an unchanged article."""
        h = hashlib.sha256(self.title.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
        h.update(self.body.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    @property
    def published_dt(self) -> datetime | None:
        if self.published is None:
            return None
        return datetime.fromtimestamp(self.published / 1000, tz=UTC)


# ---------------------------------------------------------------------------------------------
# Escaping. Titles and URLs are written literally whenever that is safe, which keeps every file
# the original archivers wrote a fixed point of parse→render. Only what would break the line
# structure or GitHub's rendering of the link is escaped, with CommonMark's own mechanisms
# (backslash escapes, character references, <pointy> link destinations).
# ---------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_REFERENCE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_ASCII_PUNCT = r"!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"
_TITLE_TOKEN = re.compile(r"\\([" + _ASCII_PUNCT + r"])|" + _REFERENCE.pattern)
# Emphasis, strikethrough and code spans need at least two markers to take effect.
_PAIRED_MARKERS = "*_~`"


def _balanced(text: str, opening: str, closing: str) -> bool:
    depth = 0
    for ch in text:
        if ch == opening:
            depth += 1
        elif ch == closing:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


_TITLE_SPECIAL = re.compile(r"[\\\[\]<&*_~`\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_title(title: str) -> str:
    """Write ``title`` as Markdown link text that GitHub shows as exactly ``title``."""
    if not _TITLE_SPECIAL.search(title):
        return title  # the common case: nothing that Markdown could misread
    literal_brackets = _balanced(title, "[", "]") and "](" not in title
    escaped_markers = {m for m in _PAIRED_MARKERS if title.count(m) >= 2}
    out: list[str] = []
    for i, ch in enumerate(title):
        if ch == "\\":
            out.append("\\\\")
        elif ch in "[]":
            out.append(ch if literal_brackets else "\\" + ch)
        elif ch == "<" or ch in escaped_markers:
            out.append("\\" + ch)
        elif ch == "&" and _REFERENCE.match(title, i):
            out.append("&amp;")
        elif _CONTROL.match(ch):
            out.append(f"&#{ord(ch)};")
        else:
            out.append(ch)
    return "".join(out)


def _decode_token(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        return m.group(1)
    ref = m.group(2)
    if ref[0] == "#":
        code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return m.group(0)
        return chr(code)
    return html.entities.html5.get(ref + ";", m.group(0))


def unescape_title(text: str) -> str:
    """Inverse of :func:`escape_title`; also decodes what GitHub would decode in older files."""
    if "\\" not in text and "&" not in text:
        return text
    return _TITLE_TOKEN.sub(_decode_token, text)


_URL_SPECIAL = re.compile(r"[\s<>\\\x00-\x1f\x7f-\x9f\u2028\u2029]")  # \s: all Unicode spaces


def _url_is_plain(url: str) -> bool:
    if url.startswith("<") or _URL_SPECIAL.search(url):
        return False
    return _balanced(url, "(", ")")


def escape_url(url: str) -> str:
    """Write ``url`` as a Markdown link destination: literal when safe, else ``<…>``."""
    if _url_is_plain(url):
        return url
    return "<" + url.replace("\\", "\\\\").replace("<", "\\<").replace(">", "\\>") + ">"


_POINTY_ESCAPE = re.compile(r"\\([\\<>])")


def unescape_url(text: str) -> str:
    if len(text) >= 2 and text[0] == "<" and text[-1] == ">":
        return _POINTY_ESCAPE.sub(r"\1", text[1:-1])
    return text


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def render_header(title: str, url: str, published: int | None, stamp: str | None = None) -> str:
    if stamp is not None:
        comment = f"<!--{stamp}-->\n"
    elif published is not None:
        comment = f"<!--{published}-->\n"
    else:
        comment = ""
    return f"{comment}[{escape_title(title)}]({escape_url(url)})\n------\n\n"


def render(record: Record) -> str:
    """The canonical text of ``record`` (after its front matter, if it has one)."""
    prefix = record.front_matter or ""
    if record.variant == "jekyll-page":
        # A scraped page has no record header to write back: the file is front matter + page.
        return prefix + record.body
    return prefix + render_header(record.title, record.url, record.published, record.stamp) + record.body + "\n"


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------

_COMMENT = re.compile(r"<!--\s*(-?\d+|NaN|null|undefined|Invalid Date)\s*-->")
_UNDERLINE = re.compile(r"(-{3,}|={3,})[ \t]*")
_DATE_LINE = re.compile(r"日期[：:]\s*(.*)")
_TITLE_LINES = 4  # line breaks read inside a title written unescaped


def parse(data: str | bytes, *, name: str = "") -> Record:
    """Parse any record variant. Raises :class:`RecordError` with a reason a person can act on."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise RecordError(f"not UTF-8 text (byte {e.start}); decode it first") from None
    else:
        text = data
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise RecordError("empty file")
    if "\x00" in text[:4096]:
        raise RecordError("binary file (NUL bytes), not a text record")

    front_matter = None
    meta: dict[str, Any] = {}
    rest = text
    if text.startswith(("---\n", "---\r\n")):
        front_matter, meta, rest = _split_front_matter(text)

    record = _parse_record(rest, front_matter, meta)
    if record is not None:
        return record
    if front_matter is not None:
        return _jekyll_page(rest, front_matter, meta)
    first = text.lstrip().split("\n", 1)[0][:60]
    raise RecordError(f"no record header: expected '[title](url)' then '------', found {first!r}")


def _parse_record(text: str, front_matter: str | None, meta: dict[str, Any]) -> Record | None:
    """Parse a record header + body; None when ``text`` has no record header at all."""
    first_line_end = text.find("\n")
    if first_line_end > 0 and text[first_line_end - 1] == "\r":
        # A file written with CRLF line ends (not canonical): read it as LF. A canonical file's
        # body may itself contain CRLF, which is content and stays as it is.
        text = text.replace("\r\n", "\n")
    lines_iter = text.split("\n", 4 + _TITLE_LINES)
    i = 0
    published: int | None = None
    stamp: str | None = None
    m = _COMMENT.fullmatch(lines_iter[0]) if lines_iter else None
    if m:
        value = m.group(1)
        if value.lstrip("-").isdigit():
            published = int(value)
        if m.group(0) != f"<!--{published}-->":
            stamp = m.group(0)[4:-3]  # "NaN", or a number written with spaces: keep as is
        i = 1
    if i >= len(lines_iter) or not lines_iter[i].startswith("["):
        if m:
            raise RecordError("time comment without a '[title](url)' line after it")
        return None
    lines_iter = _join_title_lines(lines_iter, i)
    link_line = lines_iter[i].rstrip(" \t")
    if len(lines_iter) <= i + 1 or not _UNDERLINE.fullmatch(lines_iter[i + 1]):
        if m:
            raise RecordError("record header without its '------' underline")
        return None
    raw_title, raw_url = _split_link(link_line)
    title = unescape_title(raw_title)
    url = unescape_url(raw_url)

    # Re-split the remainder precisely: header lines are i, i+1; then optional date + blank.
    header_len = sum(len(x) + 1 for x in lines_iter[: i + 2])
    rest = text[header_len:]
    variant = "jekyll" if front_matter is not None else "canonical"
    date_match = _DATE_LINE.match(rest.split("\n", 1)[0])
    if date_match:
        variant = "jekyll" if front_matter is not None else "cdt"
        if published is None:
            published = _rfc2822_ms(date_match.group(1))
        rest = rest.split("\n", 1)[1] if "\n" in rest else ""
    if rest.startswith("\n"):
        rest = rest[1:]
    body = rest[:-1] if rest.endswith("\n") else rest
    if not body.strip():
        raise RecordError("record header without a body")
    if published is None and meta.get("date") is not None:
        published = _meta_date_ms(meta["date"])
    if date_match and variant == "jekyll":
        # A Jekyll post over an old-CDT record cannot be re-rendered byte for byte; keep it
        # distinct so that nothing claims it round-trips.
        variant = "cdt"
    return Record(
        title=title,
        url=url,
        published=published,
        body=body,
        variant=variant,
        front_matter=front_matter if variant == "jekyll" else None,
        meta=meta,
        stamp=stamp,
    )


def _join_title_lines(lines: list[str], i: int) -> list[str]:
    """``lines`` with a title written across lines ``i``… joined into one line.

    The original archivers trimmed titles only at their ends: a title with a line break inside
    spans several lines. They are joined when an underline follows a closed link."""
    if len(lines) <= i + 1 or _UNDERLINE.fullmatch(lines[i + 1]):
        return lines
    for j in range(i + 2, min(i + 2 + _TITLE_LINES, len(lines))):
        if _UNDERLINE.fullmatch(lines[j]):
            joined = "\n".join(lines[i:j]).rstrip(" \t")
            if joined.endswith(")") and "](" in joined:
                return [*lines[:i], joined, *lines[j:]]
            break
    return lines


def _split_link(line: str) -> tuple[str, str]:
    """Split ``[title](url)`` honouring backslash escapes and balanced brackets."""
    if not line.endswith(")"):
        raise RecordError(f"malformed title line (no closing parenthesis): {line[:80]!r}")
    depth = 0
    i = 1
    n = len(line)
    while i < n:
        ch = line[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            if depth == 0:
                if line.startswith("](", i):
                    return line[1:i], line[i + 2 : -1]
                break
            depth -= 1
        i += 1
    # Older archivers wrote titles with unbalanced brackets literally: take the last "](".
    j = line.rfind("](")
    if j < 1:
        raise RecordError(f"malformed title line: {line[:80]!r}")
    return line[1:j], line[j + 2 : -1]


def _rfc2822_ms(value: str) -> int | None:
    try:
        dt = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def front_matter_date(record: Record) -> int | None:
    """The ``date`` of a Jekyll post's front matter (epoch ms): when the mirror posted it."""
    value = record.meta.get("date")
    return _meta_date_ms(value) if value is not None else None


def _meta_date_ms(value: Any) -> int | None:
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            try:
                dt = datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S")
            except ValueError:
                try:
                    dt = datetime.strptime(text[:10], "%Y-%m-%d")
                except ValueError:
                    return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


# Front matter: simple ``key: value`` YAML as Jekyll mirrors write it. A full YAML parser would
# turn odd titles (colons, quotes) into errors; the shape used in the wild is this small.
_FM_LINE = re.compile(r"([A-Za-z_][\w-]*)\s*:\s*(.*)")


def _split_front_matter(text: str) -> tuple[str, dict[str, Any], str]:
    newline = "\r\n" if text.startswith("---\r\n") else "\n"
    end = text.find(f"{newline}---{newline}", 3)
    if end < 0:
        if text.endswith(f"{newline}---"):
            end = len(text) - len(newline) - 3
        else:
            raise RecordError("front matter is not closed by a '---' line")
    close = end + len(newline) + 3 + len(newline)
    raw = text[:close]
    meta: dict[str, Any] = {}
    for line in text[3 + len(newline) : end].split(newline):
        m = _FM_LINE.fullmatch(line.strip())
        if m:
            meta[m.group(1).lower()] = _fm_value(m.group(2).strip())
    return raw, meta, text[close:]


def _fm_value(value: str) -> Any:
    if value.startswith("[") and value.endswith("]"):
        return [_fm_scalar(v.strip()) for v in value[1:-1].split(",") if v.strip()]
    return _fm_scalar(value)


def _fm_scalar(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        if value[0] == '"':
            return re.sub(r'\\(["\\/])', r"\1", inner)
        return inner.replace("''", "'")
    return value


def _jekyll_page(body: str, front_matter: str, meta: dict[str, Any]) -> Record:
    title = str(meta.get("title") or "").strip()
    url = str(meta.get("from") or meta.get("url") or meta.get("link") or "").strip()
    if not title and not url:
        raise RecordError("front matter has neither a title nor a 'from' URL, and no record header follows")
    if not body.strip():
        raise RecordError("front matter without a body")
    date = meta.get("date")
    return Record(
        title=_CONTROL.sub("", title),
        url=url.replace("\n", "").replace("\r", ""),
        published=_meta_date_ms(date) if date is not None else None,
        body=body,
        variant="jekyll-page",
        front_matter=front_matter,
        meta=meta,
    )
