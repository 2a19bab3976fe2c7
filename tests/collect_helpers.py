"""Shared pieces of the collector tests: corpus articles, feed builders, archives that may fetch
from this machine.

The local HTTP server lives in http_helpers; ``FeedServer``, ``Reply`` and the ``srv`` fixture
are importable from here too, under the names the collector tests have always used.
"""

from __future__ import annotations

import email.utils
import hashlib
import html
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import http_helpers
from conftest import CORPUS
from http_helpers import Reply as Reply  # re-exported for the collector tests
from newsvault.archive import Archive, write_atomic
from newsvault.config import CONFIG_NAME, Config
from newsvault.record import Record, parse

TESTDATA = Path(__file__).parent / "testdata" / "collect"

FeedServer = http_helpers.LoopbackServer  # the name the collector tests know the one loopback server by


def __getattr__(name: str) -> object:
    """``from collect_helpers import srv`` keeps working, while the fixture stays registered once
    (pytest finds fixtures by listing a plugin's names, and this one is not listed here)."""
    if name == "srv":
        return http_helpers.srv
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------------------------
# Articles from the corpus
# ---------------------------------------------------------------------------------------------

_cache: dict[str, list[Record]] = {}


def corpus_records(kind: str = "cdt", n: int = 10, max_bytes: int = 12_000) -> list[Record]:
    """``n`` real records (smallest-first among those under ``max_bytes``), stable order.

    ``kind``: ``cdt`` (China Digital Times), ``jekyll`` (canonical records after front matter)
    or ``seed`` (the RFI record).
    """
    key = f"{kind}:{max_bytes}"
    if key not in _cache:
        if kind == "cdt":
            files = sorted((CORPUS / "cdt" / "articles").glob("*.md"))
        elif kind == "jekyll":
            files = [p for p in sorted((CORPUS / "jekyll" / "_posts").glob("*.md")) if "\n<!--" in p.read_text(encoding="utf-8", errors="replace")[:2000]]
        else:
            files = sorted((CORPUS / "seed").iterdir())
        records = []
        for p in files:
            data = p.read_bytes()
            if len(data) > max_bytes and kind != "seed":
                continue
            try:
                rec = parse(data, name=p.name)
            except Exception:
                continue
            if rec.url and rec.title and len(rec.body) > 300:
                records.append(rec)
        _cache[key] = records
    records = _cache[key]
    if len(records) < n:
        raise RuntimeError(f"corpus has only {len(records)} {kind} records under {max_bytes} bytes")
    return records[:n]


@dataclass
class Item:
    title: str | None
    link: str | None
    body: str
    published: int | None = None  # epoch ms
    categories: list[str] = field(default_factory=list)
    teaser: str | None = None  # description, when different from the body

    @classmethod
    def of(cls, rec: Record, **kw) -> Item:
        return cls(rec.title, rec.url, rec.body, rec.published, **kw)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _rfc822(ms: int) -> str:
    return email.utils.formatdate(ms / 1000, usegmt=True)


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def rss20(items: list[Item], title: str = "测试订阅", link: str = "https://example.org/", encoding: str = "utf-8", content_encoded: bool = True) -> str:
    out = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/">',
        f"<channel><title>{html.escape(title)}</title><link>{html.escape(link)}</link><description>fixture</description>",
    ]
    for it in items:
        out.append("<item>")
        if it.title is not None:
            out.append(f"<title>{html.escape(it.title)}</title>")
        if it.link is not None:
            out.append(f"<link>{html.escape(it.link)}</link><guid>{html.escape(it.link)}</guid>")
        if it.published is not None:
            out.append(f"<pubDate>{_rfc822(it.published)}</pubDate>")
        for c in it.categories:
            out.append(f"<category>{html.escape(c)}</category>")
        out.append(f"<description>{_cdata(it.teaser if it.teaser is not None else it.body[:120])}</description>")
        if content_encoded and it.body:
            out.append(f"<content:encoded>{_cdata(it.body)}</content:encoded>")
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(out)


def rdf(items: list[Item], title: str = "RDF fixture", link: str = "https://example.org/") -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f'<channel rdf:about="{html.escape(link)}"><title>{html.escape(title)}</title><link>{html.escape(link)}</link><description>d</description>',
        "<items><rdf:Seq>" + "".join(f'<rdf:li rdf:resource="{html.escape(it.link or "")}"/>' for it in items) + "</rdf:Seq></items></channel>",
    ]
    for it in items:
        out.append(f'<item rdf:about="{html.escape(it.link or "")}"><title>{html.escape(it.title or "")}</title><link>{html.escape(it.link or "")}</link>')
        if it.published is not None:
            out.append(f"<dc:date>{_iso(it.published)}</dc:date>")
        out.append(f"<description>{html.escape(it.body)}</description></item>")
    out.append("</rdf:RDF>")
    return "\n".join(out)


def atom(items: list[Item], title: str = "Atom fixture", link: str = "https://example.org/") -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f'<title>{html.escape(title)}</title><id>{html.escape(link)}</id><link href="{html.escape(link)}"/><updated>2024-01-01T00:00:00Z</updated>',
    ]
    for it in items:
        out.append("<entry>")
        out.append(f"<title>{html.escape(it.title or '')}</title>")
        if it.link:
            out.append(f'<link rel="alternate" href="{html.escape(it.link)}"/><id>{html.escape(it.link)}</id>')
        if it.published is not None:
            out.append(f"<published>{_iso(it.published)}</published><updated>{_iso(it.published)}</updated>")
        for c in it.categories:
            out.append(f'<category term="{html.escape(c)}"/>')
        out.append(f'<summary type="html">{html.escape(it.teaser if it.teaser is not None else it.body[:120])}</summary>')
        out.append(f'<content type="html">{html.escape(it.body)}</content>')
        out.append("</entry>")
    out.append("</feed>")
    return "\n".join(out)


def json_feed(items: list[Item], title: str = "JSON fixture") -> str:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": "https://example.org/",
        "items": [
            {
                k: v
                for k, v in {
                    "id": it.link or hashlib.sha1(it.body.encode()).hexdigest(),
                    "url": it.link,
                    "title": it.title,
                    "content_html": it.body,
                    "date_published": _iso(it.published) if it.published is not None else None,
                    "tags": it.categories or None,
                }.items()
                if v is not None
            }
            for it in items
        ],
    }
    return json.dumps(doc, ensure_ascii=False)


def page(title: str, body: str, charset: str = "utf-8", wrapper: str = '<div class="post-content">{}</div>') -> str:
    """An article page with the boilerplate real sites have around the article."""
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{html.escape(title)}</title>'
        '<script>var tracking = 1;</script><style>body{color:red}</style></head><body>'
        '<nav><a href="/">首页</a> <a href="/about">关于我们</a> <a href="/rss">订阅</a></nav>'
        f'<header><h1>{html.escape(title)}</h1></header><article>' + wrapper.format(body) + "</article>"
        '<aside class="related"><h3>相关文章</h3><ul><li><a href="/x">另一篇文章</a></li></ul></aside>'
        "<footer>版权所有 © 2020 示例网站</footer></body></html>"
    )


# ---------------------------------------------------------------------------------------------
# Looking at an archive
# ---------------------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, str]:
    """Every tracked file of an archive (not derived state) with a hash of its bytes."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not rel.startswith((".newsvault/", ".git/")):
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*.md")}


# ---------------------------------------------------------------------------------------------
# Archives that may fetch from this machine
# ---------------------------------------------------------------------------------------------


async def no_dns(host: str, port: int) -> list[str]:
    """A resolver for fetch policies in tests: real records carry real outlet URLs, and a test
    must never look them up, let alone fetch them. Only 127.0.0.1 literals are reachable."""
    raise OSError(f"tests resolve no names ({host})")


def allow_private(root: Path) -> None:
    """Set ``[fetch] allow_private = true`` in the archive at ``root``: the test servers listen on
    127.0.0.1, which the default address policy refuses. For tests that collect or recheck from
    loopback (in-process or through the CLI)."""
    path = Path(root) / CONFIG_NAME
    config = Config.load(path)
    config.allow_private = True
    write_atomic(path, config.dump())


def local_archive(path: Path) -> Archive:
    """A new archive at ``path`` that may fetch from 127.0.0.1 (see :func:`allow_private`)."""
    Archive.init(path).close()
    allow_private(path)
    return Archive.open(path)


@pytest.fixture
def loopback_archive(tmp_path):
    """Like the ``archive`` fixture, but allowed to fetch from the test servers on 127.0.0.1."""
    a = local_archive(tmp_path / "archive")
    yield a
    a.close()


def watch_first_pass(root: Path, wait: float = 20) -> tuple[str, str, str, int]:
    """``newsvault watch`` run until it reports its first pass, then stopped with SIGTERM, as an
    operator would. Returns (the lines up to that report, the rest of stdout, stderr, exit code)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsvault", "-C", str(root), "watch", "--timeout", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        lines = []
        deadline = time.time() + wait
        while time.time() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "pass over" in line or (not line and proc.poll() is not None):
                break
        assert "pass over" in lines[-1], (lines, proc.poll(), proc.poll() is not None and proc.stderr.read())
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return "".join(lines), out, err, proc.returncode
