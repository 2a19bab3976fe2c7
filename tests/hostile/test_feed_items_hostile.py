"""Items that are valid enough to parse and wrong enough to break a record: lone surrogates and
zone offsets no clock uses. One such item must cost that item at most, never the feed or the pass.
"""

from __future__ import annotations

import json

import pytest

from collect_helpers import Item, json_feed, no_dns, rss20
from newsvault.archive import Archive
from newsvault.collect import collect
from newsvault.collect.pipeline import SourceReport, _archive, _Context, _Prepared
from newsvault.config import Source
from newsvault.fetch import Fetcher, FetchPolicy
from newsvault.fetch.state import ValidatorStore
from newsvault.parse import parse_feed
from newsvault.record import Record
from newsvault.urls import canonical_url

QUICK = FetchPolicy(timeout=2.0, deadline=5.0, retries=0, backoff=0.05, resolver=no_dns)
PUBLISHED = 1_699_359_302_000  # 2023-11-07 12:15:02 UTC


def rss(title: str, pub_date: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>https://example.org/</link>'
        f"<item><title>{title}</title><link>https://example.org/1</link><description>&lt;p&gt;正文&lt;/p&gt;</description>"
        f"<pubDate>{pub_date}</pubDate></item></channel></rss>"
    ).encode()


def atom(published: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:t</id>'
        "<updated>2023-11-07T12:15:02Z</updated><entry><title>标题</title><id>https://example.org/1</id>"
        f'<link href="https://example.org/1"/><published>{published}</published><content type="html">&lt;p&gt;正文&lt;/p&gt;</content></entry></feed>'
    ).encode()


def json_doc(published: str, title: str = "标题") -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [
        {"id": "1", "url": "https://example.org/1", "title": title, "content_html": "<p>正文</p>", "date_published": published}]}).encode()


# ---------------------------------------------------------------------------------------------
# Zone offsets
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, date", [
    ("rss", "Tue, 07 Nov 2023 12:15:02 +9999"),
    ("rss", "Tue, 07 Nov 2023 12:15:02 +2500"),
    ("rss", "Tue, 07 Nov 2023 12:15:02 +0875"),
    ("atom", "2023-11-07T12:15:02+25:00"),
    ("atom", "2023-11-07T12:15:02+9999"),
    ("json", "2023-11-07T12:15:02+25:00"),
    ("json", "2023-11-07T12:15:02+23:00"),  # Python would take it; no clock uses it
])
def test_an_impossible_zone_offset_leaves_the_item_undated(kind, date):
    data = {"rss": rss("标题", date), "atom": atom(date), "json": json_doc(date)}[kind]
    (item,) = parse_feed(data, "https://example.org/feed").items
    assert item.published is None


@pytest.mark.parametrize("kind, date, expected", [
    ("rss", "Tue, 07 Nov 2023 20:15:02 +0800", PUBLISHED),
    ("rss", "Wed, 08 Nov 2023 02:15:02 +1400", PUBLISHED),  # Kiribati
    ("atom", "2023-11-07T00:15:02-12:00", PUBLISHED),
    ("atom", "2023-11-07T17:45:02+05:30", PUBLISHED),
    ("json", "2023-11-08T02:15:02+14:00", PUBLISHED),
])
def test_real_offsets_at_the_edges_are_applied(kind, date, expected):
    data = {"rss": rss("标题", date), "atom": atom(date), "json": json_doc(date)}[kind]
    (item,) = parse_feed(data, "https://example.org/feed").items
    assert item.published == expected


# ---------------------------------------------------------------------------------------------
# Lone surrogates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["&#xD800;", "&#xdfff;", "&#55296;", "&#0;", "&#x110000;"])
def test_a_character_reference_to_a_non_character_costs_one_character_not_the_feed(ref):
    atom_doc = atom("2023-11-07T12:15:02Z").replace("<title>标题".encode(), f"<title>{ref}标题".encode())
    for data in (rss(f"正常{ref}标题", "Tue, 07 Nov 2023 20:15:02 +0800"), atom_doc):  # fast path, feedparser
        (item,) = parse_feed(data, "https://example.org/feed").items
        assert "\ufffd" in item.title
        item.title.encode("utf-8")  # writable


def test_a_json_feed_title_and_body_with_lone_surrogates_are_made_valid():
    doc = b'{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","url":"https://example.org/1","title":"x\\ud800y","content_html":"<p>a\\udc00b</p>","tags":["\\ud83d"],"authors":[{"name":"\\udfff"}]}]}'
    (item,) = parse_feed(doc, "https://example.org/feed.json", content_type="application/feed+json").items
    assert item.title == "x\ufffdy" and item.body == "<p>a\ufffdb</p>"
    for text in (item.title, item.body, item.link, item.author, *item.categories):
        text.encode("utf-8")


def test_a_pass_with_a_surrogate_item_archives_it_made_valid_and_the_healthy_source_too(srv, tmp_path):
    bad = json_feed([Item("x\ud800y", srv.url("/bad/1"), "<p>" + "正文" * 50 + "</p>", PUBLISHED)]).encode("utf-8", "backslashreplace")  # the escape \\ud800 in the JSON text
    srv.static("/bad.json", bad, content_type="application/feed+json")
    srv.static("/good.xml", rss20([Item("健康的文章", srv.url("/good/1"), "<p>" + "正文" * 50 + "</p>", PUBLISHED)]))
    archive = Archive.init(tmp_path / "a")
    sources = [Source("bad", "bad", [srv.url("/bad.json")], allow_private=True), Source("good", "good", [srv.url("/good.xml")], allow_private=True)]
    report = collect(archive, sources, QUICK)
    bad_rep, good_rep = report.sources
    assert good_rep.new == 1 and not good_rep.errors, good_rep.as_dict()
    assert bad_rep.new == 1 and not bad_rep.errors, bad_rep.as_dict()
    entry = archive.catalog.lookup_url(canonical_url(srv.url("/bad/1")))
    assert archive.read(entry.path).title == "x\ufffdy"
    archive.close()


def test_a_record_the_archive_cannot_take_costs_that_record_only(tmp_path):
    """A record that reaches the writer unwritable (here: a lone surrogate, from a path that did
    not go through a feed parser) fails alone; the rest of the batch, other sources included, is
    archived, and the failure is reported like any failed item."""
    archive = Archive.init(tmp_path / "a")
    ok = Record(title="好文章", url="https://example.org/ok", body="<p>正文</p>", published=PUBLISHED)
    broken = Record(title="坏\ud800文章", url="https://example.org/broken", body="<p>正文</p>", published=PUBLISHED)
    other = Record(title="另一个来源", url="https://example.org/other", body="<p>正文</p>", published=PUBLISHED)
    preps = [_Prepared(Source("a", "a", ["https://example.org/a.xml"]), SourceReport("a"), 0, [ok, broken]),
             _Prepared(Source("b", "b", ["https://example.org/b.xml"]), SourceReport("b"), 0, [other])]
    ctx = _Context(archive, Fetcher(QUICK), ValidatorStore.for_archive(archive), seen=PUBLISHED, now=PUBLISHED)
    _archive(ctx, preps)
    a, b = preps[0].report, preps[1].report
    assert (a.new, b.new) == (1, 1)
    assert a.failed_items == [{"link": "https://example.org/broken", "reason": a.failed_items[0]["reason"]}]
    assert "UnicodeEncodeError" in a.failed_items[0]["reason"]
    assert {x.title for x in archive.catalog.list_articles()} == {"好文章", "另一个来源"}
    archive.close()
