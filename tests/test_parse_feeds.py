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
    for item, rec in zip(feed.items, recs, strict=True):
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


# ---------------------------------------------------------------------------------------------
# Each class of difference from feedparser found by an outside check, on both XML paths
# ---------------------------------------------------------------------------------------------

BOTH = pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "feedparser-path"])


def _atom(entries: str, ns: str = "") -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{ns}><title>t</title><id>urn:f</id>{entries}</feed>'.encode()


def _rss(items: str, ns: str = "") -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"{ns}><channel><title>t</title><link>https://e.org/</link>{items}</channel></rss>'.encode()


def _parse(data: bytes, fast: bool, url: str = URL):
    from newsvault.parse.xml_feed import parse_xml_feed

    return parse_xml_feed(data, url, fast=fast)


@BOTH
def test_html_titles_are_plain_text_with_entities_decoded(fast):
    titles = [
        ("html", "Q&amp;amp;A session", "Q&A session"),
        ("html", "&amp;#38; sign", "& sign"),
        ("html", "It&amp;#8217;s &amp;#8220;news&amp;#8221; &amp;#8211; AT&amp;amp;T", "It\u2019s \u201cnews\u201d \u2013 AT&T"),
        ("html", "&lt;b&gt;粗体&lt;/b&gt;标题", "粗体标题"),
        ("text", "A &amp;amp; B &lt;b&gt;", "A &amp; B <b>"),  # plain text is kept as written
    ]
    entries = "".join(f'<entry><title type="{k}">{t}</title><link href="https://e.org/{n}"/><id>urn:{n}</id><summary>s</summary></entry>' for n, (k, t, _) in enumerate(titles))
    assert [i.title for i in _parse(_atom(entries), fast).items] == [want for _, _, want in titles]


@BOTH
def test_rss_titles_with_escaped_markup_or_entities_are_plain_text(fast):
    items = "".join(f"<item><title>{t}</title><link>https://e.org/{n}</link></item>" for n, t in enumerate(["It&amp;#8217;s AT&amp;amp;T", "&lt;b&gt;粗体&lt;/b&gt;标题", "AT&amp;T 5 &lt; 6"]))
    assert [i.title for i in _parse(_rss(items), fast).items] == ["It\u2019s AT&T", "粗体标题", "AT&T 5 < 6"]


@BOTH
@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_one_item_with_a_bad_link_costs_only_that_item(fast, kind):
    if kind == "rss":
        data = _rss("".join(f"<item><title>{n}</title><link>{link}</link></item>" for n, link in enumerate(["https://e.org/0", "http://e[x.org/1", "https://e.org/2"])))
    else:
        data = _atom("".join(f'<entry><title>{n}</title><link href="{link}"/><id>urn:{n}</id></entry>' for n, link in enumerate(["https://e.org/0", "http://e[x.org/1", "https://e.org/2"])))
    feed = _parse(data, fast)
    assert [i.link for i in feed.items] == ["https://e.org/0", "https://e.org/2"]
    assert len(feed.problems) == 1 and feed.problems[0].startswith("item 2 (http://e[x.org/1) left out: ") and "IPv6" in feed.problems[0]


def test_one_bad_json_item_costs_only_that_item():
    doc = {"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "url": "https://e.org/1"}, {"id": "2", "url": "http://e[x.org/2"}, 7, {"id": "3", "url": "https://e.org/3"}]}
    feed = parse_feed(json.dumps(doc).encode(), "https://e.org/feed.json")
    assert [i.link for i in feed.items] == ["https://e.org/1", "https://e.org/3"]
    assert [p.split(" left out")[0] for p in feed.problems] == ["item 2 (http://e[x.org/2)", "item 3"]


@BOTH
def test_escaped_text_in_an_xhtml_block_stays_text(fast):
    entries = (
        '<entry><title>a</title><link href="https://e.org/a"/><id>urn:a</id><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
        "History of the &lt;blink&gt; tag &lt;img src=x onerror=alert(1)&gt; and <b>bold</b></div></content></entry>"
    )
    item = _parse(_atom(entries), fast).items[0]
    assert html_to_text(item.body) == "History of the <blink> tag <img src=x onerror=alert(1)> and bold"
    assert "<img" not in item.body and "<blink" not in item.body and "<b>bold</b>" in item.body


@BOTH
def test_atom_entries_without_a_link_use_a_web_address_id(fast):
    entries = "".join(f"<entry><title>{n}</title><id>{ident}</id><summary>s</summary></entry>" for n, ident in enumerate(["https://e.org/by-id", "tag:e.org,2024:1", "urn:uuid:1"]))
    assert [i.link for i in _parse(_atom(entries), fast).items] == ["https://e.org/by-id", "", ""]


@BOTH
def test_atom_text_content_is_escaped_into_paragraphs(fast):
    entries = '<entry><title>t</title><link href="https://e.org/t"/><id>urn:t</id><content type="text">a &lt;b&gt; c\n\n第二段</content></entry>'
    item = _parse(_atom(entries), fast).items[0]
    assert item.body == "<p>a &lt;b&gt; c</p><p>第二段</p>" and item.body_from == "content"


DCTERMS = ' xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dc="http://purl.org/dc/elements/1.1/"'


@pytest.mark.parametrize(
    "element,want",
    [
        ("<dcterms:created>2019-01-02T03:04:05Z</dcterms:created>", "2019-01-02T03:04:05"),
        ("<dcterms:issued>2019-02-02T03:04:05Z</dcterms:issued>", "2019-02-02T03:04:05"),
        ("<dcterms:modified>2019-03-02T03:04:05Z</dcterms:modified>", "2019-03-02T03:04:05"),
    ],
)
def test_dcterms_dates_are_read(element, want):
    from datetime import UTC, datetime

    feed = parse_feed(_rss(f"<item><title>a</title><link>https://e.org/a</link>{element}</item>", DCTERMS), URL)
    assert datetime.fromtimestamp(feed.items[0].published / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S") == want


@pytest.mark.parametrize(
    "element,ns",
    [
        ('<body xmlns="http://www.w3.org/1999/xhtml"><p>正文在 body 里</p></body>', ""),
        ("<xhtml:body><xhtml:p>正文在 body 里</xhtml:p></xhtml:body>", ' xmlns:xhtml="http://www.w3.org/1999/xhtml"'),
        ("<fullitem>&lt;p&gt;正文在 body 里&lt;/p&gt;</fullitem>", ""),
        ("<dc:description>正文在 body 里</dc:description>", DCTERMS),
        ("<itunes:summary>正文在 body 里</itunes:summary>", ' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'),
    ],
    ids=["body", "xhtml-body", "fullitem", "dc-description", "itunes-summary"],
)
def test_bodies_in_other_elements_are_read(element, ns):
    feed = parse_feed(_rss(f"<item><title>a</title><link>https://e.org/a</link>{element}</item>", ns), URL)
    assert html_to_text(feed.items[0].body) == "正文在 body 里"


@pytest.mark.parametrize(
    "element,ns",
    [("<dc:title>标题在 dc:title 里</dc:title>", DCTERMS), ("<media:title>标题在 dc:title 里</media:title>", ' xmlns:media="http://search.yahoo.com/mrss/"')],
)
def test_titles_in_dc_and_media_title_are_read(element, ns):
    feed = parse_feed(_rss(f"<item>{element}<link>https://e.org/a</link><description>x</description></item>", ns), URL)
    assert feed.items[0].title == "标题在 dc:title 里"


def test_base64_atom_content_is_decoded():
    entry = '<entry><title>a</title><link href="https://e.org/a"/><id>urn:a</id><content type="text/html" mode="base64">PHA+5q2j5paHPC9wPg==</content></entry>'
    assert parse_feed(_atom(entry), URL).items[0].body == "<p>正文</p>"


def test_of_two_updated_the_last_counts_as_feedparser_reads_it():
    entry = '<entry><title>a</title><link href="https://e.org/a"/><id>urn:a</id><updated>2020-01-02T00:00:00Z</updated><updated>2021-01-02T00:00:00Z</updated></entry>'
    assert parse_feed(_atom(entry), URL).items[0].published == 1609545600000


@pytest.mark.parametrize(
    "data",
    [
        _rss("<item><title>a</title><link>https://e.org/a</link><dcterms:modified>2019-03-02T03:04:05Z</dcterms:modified></item>", DCTERMS),
        _rss("<item><dc:title>a</dc:title><link>https://e.org/a</link></item>", DCTERMS),
        _rss("<item><title>a</title><title>b</title><link>https://e.org/a</link></item>"),
        _rss("<item><title><b>a</b></title><link>https://e.org/a</link></item>"),
        _atom('<entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">a</div></title><id>urn:a</id></entry>'),
        _atom('<entry><title>a</title><id>urn:a</id><content type="text/html" mode="base64">PHA+PC9wPg==</content></entry>'),
        _atom('<entry><title>a</title><id>urn:a</id><content src="https://e.org/full"/></entry>'),
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y">]><rss version="2.0"><channel><item><title>&x;</title></item></channel></rss>',
    ],
    ids=["dcterms", "dc-title", "two-titles", "markup-in-title", "xhtml-title", "base64", "content-src", "doctype-entity"],
)
def test_the_fast_path_declines_what_it_does_not_read_exactly(data):
    from newsvault.parse.fast_xml import parse_fast

    assert parse_fast(data, URL) is None


def test_the_fast_path_reads_elements_feedparser_ignores_too():
    from newsvault.parse.fast_xml import parse_fast

    ns = ' xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/" xmlns:x="https://example.org/x"'
    data = _rss("<item><title>a</title><link>https://e.org/a</link><wfw:commentRss>https://e.org/a/feed</wfw:commentRss><slash:comments>3</slash:comments><x:rating>5</x:rating></item>", ns)
    feed = parse_fast(data, URL)
    assert feed is not None and feed.items[0].title == "a"


@BOTH
def test_windows_1252_quotes_in_a_feed_labelled_latin_1_survive(fast):
    data = '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>t</title><item><title>Don\u2019t \u201cquote\u201d me \u2013 caf\u00e9</title><link>https://e.org/a</link></item></channel></rss>'.encode("cp1252")
    assert _parse(data, fast).items[0].title == "Don\u2019t \u201cquote\u201d me \u2013 caf\u00e9"


@BOTH
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_a_bom_are_read(fast, codec):
    data = _rss("<item><title>中文标题</title><link>https://e.org/a</link></item>").decode().replace('encoding="utf-8"', 'encoding="utf-16"').encode(codec)
    assert _parse(data, fast).items[0].title == "中文标题"


@BOTH
def test_a_stray_nul_byte_does_not_make_a_feed_binary(fast):
    data = _rss("<item><title>一个\x00声音</title><link>https://e.org/a</link></item>")
    assert _parse(data, fast).items[0].title == "一个声音"


def test_a_collect_pass_archives_the_good_items_of_a_feed_with_a_bad_one(srv, archive):
    from newsvault.collect import collect
    from newsvault.config import Source
    from newsvault.fetch import FetchPolicy

    body = "<p>" + "没有标题也没有链接的条目，标题从正文开头来。" * 12 + "</p>"
    entries = (
        f'<entry><title type="html">It&amp;#8217;s AT&amp;amp;T</title><link href="https://e.org/ok"/><id>urn:1</id><content type="html">{html_escape(body)}</content></entry>'
        f'<entry><title>bad</title><link href="http://e[x.org/1"/><id>urn:2</id><content type="html">{html_escape(body)}</content></entry>'
        f'<entry><id>https://e.org/by-id</id><content type="html">{html_escape(body)}</content></entry>'
    )
    srv.static("/f.atom", _atom(entries).decode())
    archive.config.allow_private = True  # the feed is served from 127.0.0.1
    report = collect(archive, [Source("s", "s", [srv.url("/f.atom")])], FetchPolicy(timeout=1.0, deadline=3.0, retries=0)).sources[0]
    assert report.new == 2 and not report.failed
    assert any("item 2 (http://e[x.org/1) left out" in w for w in report.warnings)
    titles = {a.canonical_url: archive.read(a.path).title for a in archive.catalog.list_articles()}
    assert titles["https://e.org/ok"] == "It\u2019s AT&T"
    assert titles["https://e.org/by-id"].startswith("没有标题也没有链接的条目")


def html_escape(text: str) -> str:
    import html

    return html.escape(text, quote=False)
