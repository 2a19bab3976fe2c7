"""Publisher boilerplate: CDT's footers are kept in record files and left out of everything a
reader sees (pages, feeds, snippets, the search index, exports)."""

from __future__ import annotations

import json

import pytest

from conftest import CORPUS
from newsvault.archive import Archive
from newsvault.boilerplate import boilerplate_of, strip_boilerplate
from newsvault.record import parse
from newsvault.text import html_to_text

FOOTER_WORDS = ("get_post_time", "Permalink", "del.icio.us", "Post tags", "Better Feed", "Ozh")


def _unpacked(js: str) -> str:
    """A search file's text with each packed string replaced by what it holds."""
    import binascii
    import re
    import zlib

    from newsvault.publish.search_index import unpack

    def one(m: re.Match[str]) -> str:
        try:
            return unpack(m.group(1))
        except (ValueError, binascii.Error, zlib.error):
            return m.group(0)

    return re.sub(r'"([A-Za-z0-9+/]{16,}={0,2})"', one, js)


def _cdt_records(n: int):
    paths = sorted((CORPUS / "cdt" / "articles").glob("*.md"))[:n]
    return [parse(p.read_bytes()) for p in paths]


def test_every_cdt_footer_is_found_and_only_it_is_dropped(corpus):
    records = [parse(p.read_bytes()) for p in sorted((corpus / "cdt" / "articles").glob("*.md"))]
    with_footer = [r for r in records if "get_post_time" in r.body]
    assert len(with_footer) >= 200
    for r in with_footer:
        text = html_to_text(strip_boilerplate(r.body, r.url))
        assert not any(w in text for w in FOOTER_WORDS), r.url
        found = boilerplate_of(r.body, r.url)
        assert len(found) == 2 and found[0].startswith(("<hr", "<p>")) and "Better Feed" in found[1]
        # Nothing but the footers goes: the text before them is intact.
        assert html_to_text(r.body).startswith(text)


def test_rules_apply_only_to_their_publisher():
    r = _cdt_records(1)[0]
    assert strip_boilerplate(r.body, r.url) != r.body
    # The same bytes under another outlet's URL (an article quoting the footer) are left alone.
    assert strip_boilerplate(r.body, "https://www.rfi.fr/cn/some-article") == r.body
    assert strip_boilerplate(r.body, "not a url [") == r.body


def test_footer_as_nh3_writes_it_is_dropped_too():
    # A record collected through the cleaner has <hr> and double quotes.
    body = ('<p>正文。</p><hr><p><small>© 某人 for <a href="https://chinadigitaltimes.net/chinese">中国数字时代</a>, '
            'get_post_time("Y"). |<a href="https://chinadigitaltimes.net/x/">Permalink</a></small></p>'
            '<p><small>Feed enhanced by <a href="http://planetozh.com/">Better Feed</a> from <a href="http://planetozh.com/blog/">Ozh</a></small></p>')
    assert strip_boilerplate(body, "https://chinadigitaltimes.net/chinese/2020/07/x/") == "<p>正文。</p>"


@pytest.fixture(scope="module")
def cdt_archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("boiler") / "archive"
    archive = Archive.init(root, name="样板测试")
    with archive.batch():
        for rec in _cdt_records(5):
            archive.add(rec, "cdt", seen=1_700_000_000_000)
    yield archive
    archive.close()


def test_record_files_keep_the_bytes_pages_and_feeds_do_not_show_them(cdt_archive, tmp_path):
    from newsvault.publish.site import build_site

    files = list(cdt_archive.record_files())
    assert len(files) == 5
    assert all(b"get_post_time('Y')" in f.read_bytes() for f in files)
    build_site(cdt_archive, tmp_path / "site", workers=1)
    pages = list((tmp_path / "site" / "articles").rglob("*.html"))
    assert len(pages) == 5
    for p in [*pages, tmp_path / "site" / "feeds" / "all.xml", tmp_path / "site" / "feeds" / "cdt.xml"]:
        html = p.read_text(encoding="utf-8")
        assert not any(w in html for w in FOOTER_WORDS), p
    # The static search's texts (its snippets) come from the published body.
    # (texts and shards are stored packed: raw deflate in base 64, which the page unpacks)
    texts = "".join(_unpacked(p.read_text(encoding="utf-8")) for p in (tmp_path / "site" / "search").rglob("*.js"))
    assert len(texts) > 1000
    assert not any(w in texts for w in FOOTER_WORDS)


def test_search_index_and_snippets_leave_them_out(cdt_archive):
    from newsvault.search import search_archive

    assert search_archive(cdt_archive, "Permalink") == []
    assert search_archive(cdt_archive, "Better Feed") == []
    title = cdt_archive.catalog.list_articles()[0].title
    word = next(w for w in title.replace("｜", " ").replace("|", " ").split() if len(w) >= 2)
    hits = search_archive(cdt_archive, word)
    assert hits and not any(w in h.snippet for h in hits for w in FOOTER_WORDS)


def test_exports_leave_them_out(cdt_archive, tmp_path):
    from newsvault.export import export_dataset

    export_dataset(cdt_archive, tmp_path / "export", fmt="jsonl")
    rows = [json.loads(line) for f in (tmp_path / "export").glob("articles/**/*.jsonl") for line in f.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 5
    for row in rows:
        assert row["text"] and not any(w in row["text"] for w in FOOTER_WORDS)
        assert "get_post_time" in row["html"]  # the html column is the body as archived
