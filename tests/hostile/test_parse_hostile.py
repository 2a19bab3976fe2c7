"""Feeds written to hurt: entity bombs, external entities, absurd nesting and sizes, broken bytes.

Whatever arrives, parsing ends with a :class:`Feed` or a one-line :class:`FeedError`, reads no
file and no URL named by the document, and the two XML paths never disagree.
"""

from __future__ import annotations

import random

import pytest

from newsvault.errors import FeedError
from newsvault.parse import Feed, parse_feed
from newsvault.parse.fast_xml import parse_fast
from newsvault.parse.xml_feed import decode_xml, parse_xml_feed
from newsvault.text import html_to_text

URL = "https://feeds.example.org/feed"


def rss(items: str, head: str = "") -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?>{head}<rss version="2.0"><channel><title>t</title><link>https://e.org/</link>{items}</channel></rss>'.encode()


def parse_or_refuse(data: bytes) -> Feed | None:
    try:
        return parse_feed(data, URL)
    except FeedError as e:
        assert "\n" not in str(e) and str(e).startswith(URL)
        return None


def test_an_entity_bomb_is_cut_short():
    ents = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    feed = parse_or_refuse(rss("<item><title>&a9;</title><link>https://e.org/a</link></item>", f"<!DOCTYPE rss [{ents}]>"))
    assert feed is None or all(len(i.title) < 1000 for i in feed.items)


def test_external_entities_are_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    head = f'<!DOCTYPE rss [<!ENTITY file SYSTEM "file://{secret}"><!ENTITY net SYSTEM "http://127.0.0.1:9/x">]>'
    feed = parse_or_refuse(rss("<item><title>A&file;B&net;C</title><link>https://e.org/a</link><description>&file;</description></item>", head))
    assert feed is not None
    assert all("TOP-SECRET" not in i.title + i.body for i in feed.items)


def test_deep_nesting_and_huge_fields_do_not_crash():
    deep = "<div>" * 5000 + "深" + "</div>" * 5000
    huge_title = "长" * 2_000_000
    feed = parse_or_refuse(rss(f"<item><title>{huge_title}</title><link>https://e.org/a</link><description><![CDATA[{deep}]]></description></item>"))
    assert feed is not None and len(feed.items[0].title) == 2_000_000
    assert "深" in html_to_text(feed.items[0].body)


def test_ten_thousand_items():
    items = "".join(f"<item><title>{n}</title><link>https://e.org/{n}</link></item>" for n in range(10_000))
    feed = parse_or_refuse(rss(items))
    assert feed is not None and len(feed.items) == 10_000


@pytest.mark.parametrize("date", ["Tue, 07 Nov 99999 12:00:00 GMT", "99999-01-01T00:00:00Z", "0000-00-00T00:00:00Z", "1" * 400, "Tue, 07 Nov 2023 99:99:99 +9999"])
def test_absurd_dates_are_no_date(date):
    feed = parse_or_refuse(rss(f"<item><title>a</title><link>https://e.org/a</link><pubDate>{date}</pubDate></item>"))
    assert feed is not None
    assert feed.items[0].published is None or 0 <= feed.items[0].published < 253_402_300_800_000  # before the year 10000


@pytest.mark.parametrize("link", ["http://e[x.org/1", "http://[::1", "https://e.org:99999999/x", "http://%zz/"])
def test_links_that_break_url_parsers_cost_one_item(link):
    feed = parse_or_refuse(rss(f"<item><title>bad</title><link>{link}</link></item><item><title>ok</title><link>https://e.org/ok</link></item>"))
    assert feed is not None and feed.items[-1].link == "https://e.org/ok"
    assert len(feed.items) + len(feed.problems) == 2


def _mutations(data: bytes, n: int, seed: int) -> list[bytes]:
    rnd = random.Random(seed)
    out = [data[: rnd.randrange(len(data))] for _ in range(n)]  # truncated
    for _ in range(n):  # a few bytes overwritten
        b = bytearray(data)
        for _ in range(rnd.randrange(1, 4)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        out.append(bytes(b))
    return out


SEED_FEED = rss(
    "".join(
        f"<item><title>标题 {n} &amp; AT&amp;amp;T</title><link>https://e.org/{n}</link><pubDate>Tue, 07 Nov 2023 12:15:02 GMT</pubDate>"
        f"<description><![CDATA[<p>正文 {n} <b>粗体</b></p>]]></description></item>"
        for n in range(5)
    )
)
ATOM_SEED = (
    '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:f</id>'
    + "".join(
        f'<entry><title type="html">标题 {n} &amp;amp;</title><link href="/a/{n}"/><id>urn:{n}</id><updated>2023-11-07T12:15:02Z</updated>'
        f'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>正文 &lt;{n}&gt;</p></div></content></entry>'
        for n in range(5)
    )
    + "</feed>"
).encode()


@pytest.mark.parametrize("seed_feed", [SEED_FEED, ATOM_SEED], ids=["rss", "atom"])
def test_damaged_feeds_parse_or_fail_cleanly_and_both_paths_agree(seed_feed):
    for data in _mutations(seed_feed, 60, seed=len(seed_feed)):
        try:
            text = decode_xml(data, URL, None)
        except FeedError:
            continue
        fast = parse_fast(text.encode("utf-8"), URL)
        try:
            full = parse_xml_feed(data, URL, fast=False)
        except FeedError:
            assert fast is None or not fast.items
            continue
        if fast is not None:
            view = lambda f: [(i.title, i.link, i.published, html_to_text(i.body), i.body_from) for i in f.items]  # noqa: E731
            assert view(fast) == view(full), data
