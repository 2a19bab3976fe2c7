"""The fetcher against addresses it must not reach: loopback, private networks, link-local
(cloud metadata), names that resolve to them, and redirects that lead there.

Every server here listens on 127.0.0.1 (or 127.0.0.2); names are resolved by a resolver the
test injects, so nothing is ever looked up in real DNS or fetched from anywhere else.
"""

from __future__ import annotations

import asyncio

import pytest

from collect_helpers import FeedServer
from newsvault.fetch import Fetcher, FetchPolicy, RefusedError, address_problem

QUICK = dict(timeout=1.0, deadline=3.0, retries=2, backoff=0.05, max_backoff=0.1)


def fetch(url: str, policy: FetchPolicy, **kw):
    async def go():
        async with Fetcher(policy) as f:
            return await f.get(url, **kw)

    return asyncio.run(go())


def resolving_to(*addresses: str, calls: list[str] | None = None):
    async def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    "address, kind",
    [
        ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
        ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"), ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"), ("::", "unspecified"),
        ("240.0.0.1", "reserved"), ("100.64.0.1", "not a public"),
        ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "link-local"),
    ],
)
def test_non_public_addresses_are_named(address, kind):
    problem = address_problem(address)
    assert problem is not None and problem.startswith(address) and kind in problem


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"])
def test_public_addresses_pass(address):
    assert address_problem(address) is None


def test_loopback_is_refused_by_default_and_the_server_sees_nothing(srv):
    srv.static("/admin/", "secret")
    with pytest.raises(RefusedError) as e:
        fetch(srv.url("/admin/"), FetchPolicy(**QUICK))
    assert "refused: 127.0.0.1 is a loopback address; set allow_private = [\"127.0.0.1\"]" in str(e.value)
    assert srv.url("/admin/") in str(e.value)
    assert srv.hits["/admin/"] == 0


def test_refusal_is_not_retried(srv):
    calls: list[str] = []
    with pytest.raises(RefusedError):
        fetch("http://feeds.example:80/rss", FetchPolicy(**QUICK, resolver=resolving_to("10.0.0.1", calls=calls)))
    assert calls == ["feeds.example"]  # one attempt: asking again cannot change the answer


@pytest.mark.parametrize("resolved", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::ffff:127.0.0.1", "fe80::1", "::1"])
def test_a_public_looking_name_resolving_to_an_internal_address_is_refused(srv, resolved):
    srv.static("/feed.xml", "<rss/>")
    port = srv.httpd.server_address[1]
    with pytest.raises(RefusedError) as e:
        fetch(f"http://news.example:{port}/feed.xml", FetchPolicy(**QUICK, resolver=resolving_to(resolved)))
    assert f"refused: {resolved} is a" in str(e.value) and "news.example resolves to it" in str(e.value)
    assert srv.hits["/feed.xml"] == 0


def test_the_connection_goes_to_the_address_that_was_checked(srv):
    """news.example has no real DNS entry: the request can only arrive if the transport
    connected to the address the injected resolver returned (and checked), not to a second
    lookup of the name."""
    srv.static("/feed.xml", "<rss>ok</rss>")
    port = srv.httpd.server_address[1]
    calls: list[str] = []
    policy = FetchPolicy(**QUICK, allow_private=True, resolver=resolving_to("127.0.0.1", calls=calls))
    r = fetch(f"http://news.example:{port}/feed.xml", policy)
    assert r.content == b"<rss>ok</rss>" and calls == ["news.example"]
    assert srv.headers["/feed.xml"][0]["host"] == f"news.example:{port}"  # the name, for virtual hosts


def test_one_mixed_answer_connects_only_to_the_public_address(srv):
    """A name answering both an internal and an allowed address is connected to the allowed
    one only. 127.0.0.1 is treated as public here so that the test never leaves this machine."""
    srv.static("/feed.xml", "<rss>ok</rss>")
    port = srv.httpd.server_address[1]

    def check(address: str) -> str | None:
        return None if address == "127.0.0.1" else address_problem(address)

    policy = FetchPolicy(**QUICK, resolver=resolving_to("10.0.0.1", "127.0.0.1"), address_check=check)
    assert fetch(f"http://news.example:{port}/feed.xml", policy).content == b"<rss>ok</rss>"


def test_a_redirect_from_an_allowed_server_to_an_internal_address_is_refused():
    """The "outside" server listens on 127.0.0.2, which this test's address check treats as
    public; it redirects to the "internal" one on 127.0.0.1, which must never be asked."""
    with FeedServer() as inside, FeedServer("127.0.0.2") as outside:
        inside.static("/admin/", "secret")
        outside.redirect("/story", inside.url("/admin/"))
        outside.static("/ok", "<rss/>")

        def check(address: str) -> str | None:
            return None if address == "127.0.0.2" else address_problem(address)

        policy = FetchPolicy(**QUICK, address_check=check)
        assert fetch(outside.url("/ok"), policy).content == b"<rss/>"
        with pytest.raises(RefusedError, match="refused: 127.0.0.1 is a loopback address"):
            fetch(outside.url("/story"), policy)
        assert outside.hits["/story"] == 1 and inside.hits["/admin/"] == 0


def test_a_redirect_to_a_file_url_is_refused(srv, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    srv.redirect("/feed.xml", secret.as_uri())
    with pytest.raises(RefusedError, match="refused: a redirect to a file: URL"):
        fetch(srv.url("/feed.xml"), FetchPolicy(**QUICK, allow_private=True), allow_file=True)


def test_allow_private_per_request_overrides_the_policy(srv):
    srv.static("/feed.xml", "<rss/>")
    assert fetch(srv.url("/feed.xml"), FetchPolicy(**QUICK), allow_private=True).content == b"<rss/>"
    with pytest.raises(RefusedError):
        fetch(srv.url("/feed.xml"), FetchPolicy(**QUICK, allow_private=True), allow_private=False)
