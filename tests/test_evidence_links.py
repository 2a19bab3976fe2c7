"""The link from each version to the captures that produced it is stored when the version is
written, so ``show --evidence`` is exact even for passes minutes apart or overlapping; versions
from before links were stored fall back to matching by time, and say so."""

from __future__ import annotations

import json
from pathlib import Path

from collect_helpers import Item, Reply, corpus_records, page, rss20
from evidence_helpers import nv
from newsvault.evidence import read_index
from newsvault.evidence.links import LINKS_NAME
from newsvault.evidence.verify import read_capture


def _page(text: str) -> bytes:
    return page("测试文章", f"<p>{text}</p>" * 6).encode("utf-8")


FIRST = _page("第一稿：这一段文字足够长，用来测试正文提取是否完整可靠，也用来区分两个版本。")
SECOND = _page("第二稿：这一段文字经过修改，同样足够长，用来测试正文提取是否完整可靠。")


def _collect_one_page(root: Path, srv) -> str:
    """A page-bodied source whose feed lists one page (FIRST), collected once; the page's URL."""
    rec = corpus_records("cdt", 1)[0]
    a = srv.url("/a/1.html")
    srv.static("/a/1.html", FIRST, "text/html; charset=utf-8", conditional=False)
    srv.static("/feed.xml", rss20([Item(rec.title, a, "", rec.published)]))
    nv(root, "source", "add", "t", srv.url("/feed.xml"), "--body", "page")
    assert nv(root, "collect").exit_code == 0
    return a


def _evidence(root: Path, url: str) -> list[dict]:
    article_id = next(x["id"] for x in json.loads(nv(root, "ls", "--json").output) if x["url"] == url)
    r = nv(root, "show", article_id, "--evidence", "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def _payloads(root: Path, version: dict, url: str) -> list[bytes]:
    captures, _ = read_index(root)
    by_id = {c.record_id: c for c in captures}
    return [read_capture(root, by_id[c["record_id"]])[1] for c in version["captures"] if c["url"] == url]


def test_two_captures_of_one_page_map_to_their_own_versions(root, srv):
    rec = corpus_records("cdt", 1)[0]
    a = srv.url("/a/1.html")
    feed = srv.url("/feed.xml")
    srv.static("/a/1.html", FIRST, "text/html; charset=utf-8", conditional=False)
    srv.static("/feed.xml", rss20([Item(rec.title, a, "摘要一", rec.published)]))
    assert nv(root, "source", "add", "t", feed, "--body", "page").exit_code == 0
    assert nv(root, "collect").exit_code == 0
    # minutes apart or seconds apart: the second pass's page answer is the second version's
    srv.static("/a/1.html", SECOND, "text/html; charset=utf-8", conditional=False)
    srv.static("/feed.xml", rss20([Item(rec.title, a, "摘要二", rec.published)]))
    r = nv(root, "collect")
    assert r.exit_code == 0 and "1 revised" in r.output, r.output
    feeds = [c for c in read_index(root)[0] if c.url == feed]
    assert len(feeds) == 2
    v0, v1 = _evidence(root, a)
    assert v0["link"] == v1["link"] == "stored"
    assert _payloads(root, v0, a) == [FIRST] and _payloads(root, v1, a) == [SECOND]
    # and each names the feed answer that listed it in its pass
    assert [c["record_id"] for c in v0["captures"] if c["url"] == feed] == [feeds[0].record_id]
    assert [c["record_id"] for c in v1["captures"] if c["url"] == feed] == [feeds[1].record_id]
    text = nv(root, "show", a, "--evidence").output
    assert text.count("(linked when written)") == 2


def test_versions_without_a_stored_link_are_matched_by_time_and_say_so(root, srv):
    a = _collect_one_page(root, srv)
    (root / "warc" / LINKS_NAME).unlink()  # an archive whose versions predate stored links
    (v0,) = _evidence(root, a)
    assert v0["link"] == "time" and _payloads(root, v0, a) == [FIRST]
    assert "(matched by time: no link stored for this version)" in nv(root, "show", a, "--evidence").output


def test_a_feed_bodied_article_links_the_feed_that_listed_it(root, srv):
    one, two = corpus_records("cdt", 2)
    srv.static("/one.xml", rss20([Item.of(one)]))
    srv.static("/two.xml", rss20([Item.of(two)]))
    assert nv(root, "source", "add", "t", srv.url("/one.xml"), srv.url("/two.xml"), "--body", "feed").exit_code == 0
    assert nv(root, "collect").exit_code == 0
    for rec, feed in ((one, "/one.xml"), (two, "/two.xml")):
        (v0,) = _evidence(root, rec.url)
        assert v0["link"] == "stored"
        assert [c["url"] for c in v0["captures"]] == [srv.url(feed)]


def test_a_revision_found_by_recheck_links_the_page_recheck_fetched(root, srv):
    a = _collect_one_page(root, srv)
    srv.static("/a/1.html", SECOND, "text/html; charset=utf-8", conditional=False)
    r = nv(root, "recheck", "--delay", "0")
    assert r.exit_code == 0, r.output
    v0, v1 = _evidence(root, a)
    assert v1["link"] == "stored" and _payloads(root, v1, a) == [SECOND]
    assert [c["url"] for c in v1["captures"]] == [a]  # recheck fetched no feed
    assert _payloads(root, v0, a) == [FIRST]


def test_fsck_reports_a_link_to_a_capture_the_index_does_not_have(root, srv):
    rec = corpus_records("cdt", 1)[0]
    srv.static("/feed.xml", rss20([Item.of(rec)]))
    nv(root, "source", "add", "t", srv.url("/feed.xml"), "--body", "feed")
    assert nv(root, "collect").exit_code == 0
    assert nv(root, "fsck").exit_code == 0
    index = root / "warc" / "index.jsonl"
    index.write_text("", encoding="utf-8")  # the index lost (say, restored from an old backup)
    r = nv(root, "fsck", "--json")
    found = [p for p in json.loads(r.output)["problems"] if p["kind"] == "warc"]
    assert any("links.jsonl" in json.dumps(p) and "is not in warc/index.jsonl" in json.dumps(p) for p in found), found


def test_a_page_reached_through_a_redirect_links_the_answer_at_the_end(root, srv):
    rec = corpus_records("cdt", 1)[0]
    moved, b = srv.url("/moved"), srv.url("/a/2.html")
    srv.sequence("/moved", [Reply(301, b"", {"Location": "/a/2.html"})])
    srv.static("/a/2.html", SECOND, "text/html; charset=utf-8", conditional=False)
    srv.static("/feed.xml", rss20([Item(rec.title, moved, "", rec.published)]))
    nv(root, "source", "add", "t", srv.url("/feed.xml"), "--body", "page")
    assert nv(root, "collect").exit_code == 0
    (v0,) = _evidence(root, moved)
    assert v0["link"] == "stored"
    assert [(c["url"], c["status"]) for c in v0["captures"]] == [(srv.url("/feed.xml"), 200), (b, 200)]
    assert _payloads(root, v0, b) == [SECOND]
