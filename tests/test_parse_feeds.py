"""Feed formats → items, with fixture feeds built from corpus articles and ugly real-world files."""

from __future__ import annotations

import json

import pytest

from collect_helpers import TESTDATA, Item, atom, corpus_records, json_feed, rdf, rss20
from newsvault.errors import FeedError
from newsvault.parse import parse_feed
from newsvault.text import html_to_text

URL = "https://example.org/feed"


@pytest.fixture(scope="module")
def recs():
    return corpus_records("cdt", 4)


@pytest.mark.parametrize("build,fmt", [(rss20, "rss20"), (rdf, "rss10"), (atom, "atom10"), (json_feed, "json11")])
def test_every_format_gives_title_link_date_body(recs, build, fmt):
    feed = parse_feed(build([Item.of(r) for r in recs]).encode("utf-8"), URL)
    assert feed.format == fmt
    assert [i.title for i in feed.items] == [r.title for r in recs]
    assert [i.link for i in feed.items] == [r.url for r in recs]
    assert [i.published for i in feed.items] == [r.published // 1000 * 1000 for r in recs]
    for item, rec in zip(feed.items, recs):
        assert html_to_text(item.body) == html_to_text(rec.body)


def test_content_encoded_wins_over_description(recs):
    r = recs[0]
    feed = parse_feed(rss20([Item.of(r, teaser="只是摘要")]).encode(), URL)
    assert feed.items[0].body_from == "content" and html_to_text(feed.items[0].body) == html_to_text(r.body)


def test_description_only_and_media_description():
    doc = """<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>t</title>
    <item><title>A</title><link>https://e.org/a</link><description>短摘要</description>
      <media:group><media:description>媒体描述，比摘要更长更完整的正文内容。</media:description></media:group></item>
    <item><title>B</title><link>https://e.org/b</link><description>&lt;p&gt;只有描述&lt;/p&gt;</description></item>
    </channel></rss>"""
    a, b = parse_feed(doc.encode(), URL).items
    assert "媒体描述" in a.body and a.body_from == "summary"
    assert b.body == "<p>只有描述</p>"


def test_items_without_link_date_or_title():
    feed = parse_feed(rss20([Item(None, None, "<p>无题无链接</p>"), Item("", "https://e.org/x", "<p>x</p>")]).encode(), URL)
    first, second = feed.items
    assert first.title == "" and first.link == "" and first.published is None and "无题无链接" in first.body
    assert second.title == "" and second.link == "https://e.org/x"


def test_unparseable_date_is_none():
    doc = '<rss version="2.0"><channel><title>t</title><item><title>A</title><link>https://e.org/a</link><pubDate>昨天下午</pubDate></item></channel></rss>'
    assert parse_feed(doc.encode(), URL).items[0].published is None


def test_relative_links_resolve_against_the_feed_url():
    doc = '<rss version="2.0"><channel><title>t</title><item><title>A</title><link>/2024/a.html</link></item></channel></rss>'
    assert parse_feed(doc.encode(), "https://news.example.org/feed/rss").items[0].link == "https://news.example.org/2024/a.html"
    assert parse_feed(doc.encode(), "file:///srv/feeds/rss.xml").items[0].link == "file:///2024/a.html"


def test_gbk_feed_comes_out_as_correct_text():
    data = (TESTDATA / "gbk-feed.xml").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    feed = parse_feed(data, URL)
    expected = corpus_records("cdt", 40)[20:23]
    assert feed.title == "中文 GBK 订阅"
    assert [i.title for i in feed.items] == [r.title for r in expected]
    assert html_to_text(feed.items[0].body) == html_to_text(expected[0].body)


def test_malformed_but_recoverable_xml():
    feed = parse_feed((TESTDATA / "malformed.xml").read_bytes(), URL)
    assert len(feed.items) == 3 and feed.warning and "malformed" in feed.warning
    assert all(i.link.startswith("https://chinadigitaltimes.net/") for i in feed.items)
    assert "未闭合的段落" in feed.items[1].body


@pytest.mark.parametrize("name", ["not-a-feed.xml", "portal.html"])
def test_documents_that_yield_nothing_are_a_clear_error(name):
    with pytest.raises(FeedError, match=r"https://example.org/feed: not an RSS, Atom or JSON feed"):
        parse_feed((TESTDATA / name).read_bytes(), URL)


def test_empty_response_and_binary_are_errors():
    with pytest.raises(FeedError, match="empty response"):
        parse_feed(b"  \n", URL)
    with pytest.raises(FeedError, match="binary"):
        parse_feed(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), URL)


def test_valid_feed_without_items_is_not_an_error():
    feed = parse_feed((TESTDATA / "empty-channel.xml").read_bytes(), URL)
    assert feed.items == [] and feed.format == "rss20"


def test_json_feed_details():
    doc = {
        "version": "https://jsonfeed.org/version/1",
        "title": "j",
        "items": [
            {"id": "1", "url": "/a", "title": "文本", "content_text": "第一段\n\n第二段 <不是标签>", "date_modified": "2024-03-01T08:00:00+08:00"},
            {"id": "2", "external_url": "https://e.org/b", "summary": "摘要", "tags": ["新闻"]},
            "garbage",
        ],
    }
    a, b = parse_feed(json.dumps(doc).encode(), "https://e.org/feed.json").items
    assert a.link == "https://e.org/a" and a.body == "<p>第一段</p><p>第二段 &lt;不是标签&gt;</p>"
    assert a.published == 1709251200000
    assert b.link == "https://e.org/b" and b.body_from == "summary" and b.categories == ["新闻"]


@pytest.mark.parametrize("data,reason", [(b'{"items": [}', "invalid JSON"), (b'{"hello": "world"}', "not a JSON Feed")])
def test_bad_json_feeds(data, reason):
    with pytest.raises(FeedError, match=reason):
        parse_feed(data, URL, content_type="application/json")


def test_categories_from_rss_and_atom(recs):
    for build in (rss20, atom):
        feed = parse_feed(build([Item.of(recs[0], categories=["🔥 热点", "德国之声"])]).encode(), URL)
        assert feed.items[0].categories == ["🔥 热点", "德国之声"]


def _both_paths(data: bytes, url: str = URL):
    from newsvault.encoding import decode
    from newsvault.parse.fast_xml import parse_fast
    from newsvault.parse.xml_feed import parse_xml_feed

    text = decode(data)[0].replace('encoding="gbk"', 'encoding="utf-8"')
    assert parse_fast(text.encode("utf-8"), url) is not None  # the fast path does read it
    return parse_xml_feed(data, url), parse_xml_feed(data, url, fast=False)


def _view(feed):
    return [(i.title, i.link, i.published, html_to_text(i.body), i.body_from, i.categories) for i in feed.items]


XHTML_ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
<entry><title type="html">&lt;b&gt;粗体&lt;/b&gt;标题</title><link href="/rel/a"/><id>urn:1</id><updated>2024-02-01T00:00:00+08:00</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>第一段 <a href="https://e.org">链接</a></p><p>第二段</p></div></content></entry>
<entry><title>纯文本</title><link rel="alternate" href="https://e.org/b"/><summary type="text">a &lt; b 的摘要</summary></entry>
</feed>"""

RSS_VARIANTS = """<?xml version="1.0"?><rss version="0.92" xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
<item><title>A</title><link>https://e.org/a</link><description>短摘要</description>
  <media:group><media:description>媒体描述，比摘要更长更完整的正文内容。</media:description></media:group><dc:date>2020-07-02T18:28:24Z</dc:date><dc:subject>主题</dc:subject></item>
<item><title>B</title><guid>https://e.org/b</guid><description>&lt;p&gt;只有描述&lt;/p&gt;</description><pubDate>不是日期</pubDate></item>
<item><description>无题无链接</description></item>
</channel></rss>"""


XML_BASE_ATOM = """<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example.org/zh/"><title>t</title>
<entry><title>a</title><link href="2024/a.html"/><content type="html">&lt;p&gt;正文&lt;/p&gt;</content></entry></feed>"""


@pytest.mark.parametrize("kind", ["rss20", "rdf", "atom", "gbk", "xhtml-atom", "rss-variants", "no-link-title-date", "xml-base"])
def test_fast_path_agrees_with_feedparser(recs, kind):
    data = {
        "rss20": lambda: rss20([Item.of(r, categories=["🔥 热点"]) for r in recs]).encode(),
        "rdf": lambda: rdf([Item.of(r) for r in recs]).encode(),
        "atom": lambda: atom([Item.of(r, categories=["a", "b"]) for r in recs]).encode(),
        "gbk": lambda: (TESTDATA / "gbk-feed.xml").read_bytes(),
        "xhtml-atom": lambda: XHTML_ATOM.encode(),
        "rss-variants": lambda: RSS_VARIANTS.encode(),
        "no-link-title-date": lambda: rss20([Item(None, None, "<p>x</p>"), Item("", "/rel", "<p>y</p>", None)]).encode(),
        "xml-base": lambda: XML_BASE_ATOM.encode(),
    }[kind]()
    fast, slow = _both_paths(data, "https://e.org/feed/")
    assert fast.format == slow.format
    assert _view(fast) == _view(slow)
