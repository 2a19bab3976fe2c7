"""The fetcher against a real HTTP server on 127.0.0.1 that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from collect_helpers import TESTDATA, FeedServer, Reply
from newsvault.errors import FetchError
from newsvault.fetch import USER_AGENT, Fetcher, FetchPolicy, RefusedError

# The test servers listen on 127.0.0.1, which the default address policy refuses.
FAST = dict(timeout=1.0, deadline=3.0, retries=2, backoff=0.05, max_backoff=0.2, allow_private=True)


def fetch(url: str, policy: FetchPolicy | None = None, **kw):
    async def go():
        async with Fetcher(policy or FetchPolicy(**FAST)) as f:
            return await f.get(url, **kw)

    return asyncio.run(go())


@pytest.fixture
def srv():
    with FeedServer() as s:
        yield s


def test_plain_get_sends_user_agent_and_returns_body(srv):
    srv.static("/feed.xml", "<rss/>")
    r = fetch(srv.url("/feed.xml"))
    assert r.status == 200 and r.content == b"<rss/>" and r.attempts == 1
    assert srv.headers["/feed.xml"][0]["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("newsvault/") and "(+https://github.com/newsvault/newsvault)" in USER_AGENT


def test_500_is_retried_then_reported(srv):
    srv.sequence("/feed.xml", [Reply(500, b"boom")])
    with pytest.raises(FetchError) as e:
        fetch(srv.url("/feed.xml"))
    assert "HTTP 500" in str(e.value) and "3 attempts" in str(e.value)
    assert srv.hits["/feed.xml"] == 3


def test_404_is_not_retried(srv):
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(srv.url("/missing.xml"))
    assert srv.hits["/missing.xml"] == 1


def test_503_then_200_recovers(srv):
    srv.sequence("/feed.xml", [Reply(503, b"busy"), Reply(200, b"<rss>ok</rss>")])
    r = fetch(srv.url("/feed.xml"))
    assert r.content == b"<rss>ok</rss>" and r.attempts == 2


def test_retry_after_is_honoured(srv):
    srv.sequence("/feed.xml", [Reply(503, b"", {"Retry-After": "1"}), Reply(200, b"<rss/>")])
    t = time.perf_counter()
    r = fetch(srv.url("/feed.xml"))
    assert r.status == 200 and time.perf_counter() - t >= 0.95  # not the 0.05 s backoff


def test_retry_after_beyond_the_cap_fails_now(srv):
    srv.sequence("/feed.xml", [Reply(429, b"", {"Retry-After": "7200"}), Reply(200, b"<rss/>")])
    t = time.perf_counter()
    with pytest.raises(FetchError, match="retry after 7200 s"):
        fetch(srv.url("/feed.xml"))
    assert time.perf_counter() - t < 1 and srv.hits["/feed.xml"] == 1


def test_server_that_never_answers_times_out(srv):
    srv.hang("/slow.xml")
    t = time.perf_counter()
    with pytest.raises(FetchError, match="timed out after 0.5 s"):
        fetch(srv.url("/slow.xml"), FetchPolicy(timeout=0.5, deadline=2, retries=1, backoff=0.05, allow_private=True))
    assert time.perf_counter() - t < 3
    assert srv.hits["/slow.xml"] == 2


def test_connection_reset_is_retried_then_reported(srv):
    srv.reset("/reset.xml")
    with pytest.raises(FetchError, match="reset or closed"):
        fetch(srv.url("/reset.xml"))
    assert srv.hits["/reset.xml"] == 3


def test_connection_reset_once_then_recovers(srv):
    srv.reset("/reset.xml", times=1, then=lambda h: h.send(Reply(200, b"<rss/>")))
    assert fetch(srv.url("/reset.xml")).content == b"<rss/>"


def test_conditional_get_gives_304(srv):
    srv.static("/feed.xml", "<rss>v1</rss>")
    first = fetch(srv.url("/feed.xml"))
    assert first.etag and first.last_modified
    second = fetch(srv.url("/feed.xml"), etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.content == b""
    sent = srv.headers["/feed.xml"][1]
    assert sent["if-none-match"] == first.etag and sent["if-modified-since"] == first.last_modified


def test_redirect_loop_is_an_error(srv):
    srv.redirect("/a", "/b")
    srv.redirect("/b", "/a")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(srv.url("/a"))
    assert srv.hits["/a"] + srv.hits["/b"] == 6


def test_five_redirects_are_followed(srv):
    for i in range(5):
        srv.redirect(f"/r{i}", f"/r{i + 1}")
    srv.static("/r5", "<rss/>")
    r = fetch(srv.url("/r0"))
    assert r.content == b"<rss/>" and r.url.endswith("/r5")


def test_50_mb_body_is_cut_off_while_streaming(srv):
    srv.endless("/huge.xml", 50 * 1024 * 1024)
    with pytest.raises(FetchError, match="larger than the 1 MB cap"):
        fetch(srv.url("/huge.xml"), FetchPolicy(**{**FAST, "max_bytes": 1024 * 1024}))
    time.sleep(0.2)
    # The client stopped reading: far less than 50 MB left the server (socket buffers aside).
    assert srv.sent["/huge.xml"] < 20 * 1024 * 1024


def test_declared_oversize_body_is_refused_before_reading(srv):
    srv.endless("/huge.xml", 50 * 1024 * 1024, declare_length=True)
    with pytest.raises(FetchError, match="50 MB is larger than the 1 MB cap"):
        fetch(srv.url("/huge.xml"), FetchPolicy(**{**FAST, "max_bytes": 1024 * 1024}))
    assert srv.hits["/huge.xml"] == 1


def test_gbk_charset_from_declaration(srv):
    data = (TESTDATA / "gbk-feed.xml").read_bytes()
    srv.static("/gbk.xml", data, content_type="text/xml")
    r = fetch(srv.url("/gbk.xml"))
    assert r.charset is None and "中文 GBK 订阅" in r.text()


def test_big5_page_with_header_charset_and_without_any_declaration(srv):
    data = (TESTDATA / "big5-page.html").read_bytes()
    title = (TESTDATA / "big5-page.meta").read_text(encoding="utf-8").splitlines()[0]
    srv.static("/big5.html", data, content_type="text/html; charset=big5")
    assert title in fetch(srv.url("/big5.html")).text()
    bare = data.replace(b'<meta charset="big5">', b"")
    srv.static("/bare.html", bare, content_type="text/html")
    assert title in fetch(srv.url("/bare.html")).text()


def test_concurrency_is_bounded_per_host(srv):
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def slow(h):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        h.send(Reply(200, b"ok"))

    srv.serve("/slow", slow)

    async def go():
        async with Fetcher(FetchPolicy(**FAST, per_host=3, concurrency=10)) as f:
            return await asyncio.gather(*(f.get(srv.url("/slow")) for _ in range(12)))

    results = asyncio.run(go())
    assert len(results) == 12 and state["max"] == 3


def test_file_urls_and_their_304(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text("<rss/>")
    r = fetch(feed.as_uri(), allow_file=True)
    assert r.content == b"<rss/>" and r.etag
    assert fetch(feed.as_uri(), etag=r.etag, allow_file=True).not_modified
    feed.write_text("<rss>changed</rss>")
    assert fetch(feed.as_uri(), etag=r.etag, allow_file=True).content == b"<rss>changed</rss>"
    with pytest.raises(FetchError, match="No such file"):
        fetch((tmp_path / "gone.xml").as_uri(), allow_file=True)


def test_file_urls_need_the_caller_to_allow_them(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text("<rss/>")
    with pytest.raises(RefusedError, match="refused: file:// URLs are read only for a source whose feed is a local file"):
        fetch(feed.as_uri())


def test_unsupported_scheme():
    with pytest.raises(FetchError, match="unsupported URL scheme 'ftp'"):
        fetch("ftp://example.org/feed.xml")
