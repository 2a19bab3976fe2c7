"""Every generated page parses with no error in a strict HTML5 parser (html5lib, strict=True):
the static site of the demo archive and of the whole corpus, and the reader server's pages."""

from __future__ import annotations

from pathlib import Path

import html5lib
import httpx
import pytest

from newsvault.archive import Archive
from newsvault.publish.site import build_site
from newsvault.record import Record
from publish_helpers import make_archive
from search_helpers import SEED_ID, live_server


def html5_errors(html: str) -> list[str]:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        parser.parse(html)
    except html5lib.html5parser.ParseError as e:
        (line, col), code, _data = parser.errors[-1] if parser.errors else ((0, 0), str(e), {})
        return [f"line {line} col {col}: {code}"]
    return []


def invalid_pages(site: Path) -> dict[str, list[str]]:
    bad = {}
    for page in sorted(site.rglob("*.html")):
        errors = html5_errors(page.read_text(encoding="utf-8"))
        if errors:
            bad[str(page.relative_to(site))] = errors
    return bad


def page_kinds(site: Path) -> set[str]:
    names = {str(p.relative_to(site)) for p in site.rglob("*.html")}
    kinds = set()
    for n in names:
        kinds.add(n.split("/")[0] if "/" in n else n)
        if ".r" in n and n.startswith("articles/"):
            kinds.add("version")
    return kinds


def test_the_strict_parser_catches_what_the_pages_must_avoid():
    assert html5_errors("<!doctype html><title>t</title><p>a\x01b</p>")
    assert html5_errors("<!doctype html><title>t</title><p>a\x8db</p>")
    assert not html5_errors("<!doctype html><title>t</title><p>正文</p>")


def test_every_page_of_the_demo_site_is_valid_html5(tmp_path, cli):
    cli("demo", str(tmp_path / "demo"), check=True)
    site = tmp_path / "demo" / "site"
    assert {"index.html", "sources", "days", "articles", "version", "search.html", "404.html"} <= page_kinds(site)
    assert invalid_pages(site) == {}


def test_pages_of_hostile_and_control_character_bodies_are_valid_html5(tmp_path):
    archive = make_archive(tmp_path / "a", xss=True)
    body = '<p>正文\x01\x8d\ufdd0 &#x1f; &#x8d;</p><a href="/x&#x1f;">链接</a><a name="n" rel="x">锚</a><img src="/p.png\x1f">'
    with archive.batch():
        archive.add(Record("控制字符\x8d标题", "https://news.example.test/ctl", 1_700_000_000_000, body), "ctl", seen=1_700_000_000_000)
    report = build_site(archive, tmp_path / "site")
    assert report.errors == []
    assert invalid_pages(tmp_path / "site") == {}


@pytest.mark.slow
def test_every_page_of_a_site_of_the_whole_corpus_is_valid_html5(corpus_archive, tmp_path):
    archive = Archive.open(corpus_archive)
    try:
        report = build_site(archive, tmp_path / "site", workers=2)
    finally:
        archive.close()
    assert report.errors == [] and report.articles_rendered > 300
    site = tmp_path / "site"
    assert {"index.html", "sources", "days", "articles", "version", "search.html"} <= page_kinds(site)
    assert invalid_pages(site) == {}


def test_the_reader_servers_pages_are_valid_html5(corpus_archive):
    with live_server(corpus_archive) as url, httpx.Client(base_url=url, timeout=30) as client:
        day = client.get("/api/articles", params={"source": "rfi"}).json()["articles"][0]
        paths = [
            "/", "/?page=2", "/sources/cdt", "/sources/cdt?page=2", "/days/", "/days/2023-11-08",
            f"/articles/{SEED_ID}", "/search", "/search?q=加沙", "/search?q=台灣+香港", "/nonesuch",
        ]
        versioned = client.get("/api/articles", params={"source": "cdt", "limit": 200}).json()["articles"]
        several = next(a["id"] for a in versioned if a["versions"] > 1)
        paths += [f"/articles/{several}?rev=0", f"/articles/{several}?rev=1"]
        assert day["id"] == SEED_ID
        for path in paths:
            r = client.get(path)
            assert r.status_code in (200, 404), path
            assert html5_errors(r.text) == [], path


SPOOF = "正常标题\u202egpj.exe"


def _titled(html: str, text: str) -> list:
    """Every element of the page whose own text is ``text``."""
    import lxml.html

    return [el for el in lxml.html.fromstring(html).iter() if isinstance(el.tag, str) and (el.text or "").strip() == text]


def test_bidi_control_characters_in_a_title_cannot_reorder_the_page_lists_or_feeds(tmp_path):
    """A title holding U+202E (and U+2066, a zero-width space) is isolated wherever a page
    shows it (<bdi>), and reaches the Markdown lists and the feeds without those characters."""
    from newsvault.publish.lists import list_line

    archive = Archive.init(tmp_path / "archive", name="测试")
    archive.add(Record(SPOOF, "https://news.example.test/a/1", 1_700_000_000_000, "<p>正文。</p>"), "bbc", seen=1_700_000_000_000)
    archive.add(Record("另一\u2066篇\u200b", "https://news.example.test/a/2", 1_700_000_100_000, "<p>正文二。</p>"), "bbc", seen=1_700_000_100_000)
    report = build_site(archive, tmp_path / "site")
    assert report.errors == []
    site = tmp_path / "site"
    article = next(a for a in archive.catalog.list_articles() if a.title == SPOOF)
    pages = ["index.html", "sources/bbc/index.html", "sources/bbc/page-1.html", "days/2023-11-15.html", f"articles/{article.id[:2]}/{article.id}.html"]
    for rel in pages:
        found = _titled((site / rel).read_text(encoding="utf-8"), SPOOF)
        assert found and all(el.tag == "bdi" for el in found), rel
    assert "\u202e" not in (site / pages[-1]).read_text(encoding="utf-8").split("</title>")[0]
    for rel in ("feeds/all.xml", "feeds/bbc.xml"):
        feed = (site / rel).read_text(encoding="utf-8")
        assert "正常标题gpj.exe" in feed and "另一篇" in feed
        assert not any(c in feed for c in "\u202e\u2066\u200b"), rel
    line = list_line(article)
    assert "正常标题gpj.exe" in line and "\u202e" not in line
    archive.close()
