"""``[fetch] proxy``: every fetch through an http or socks5 proxy, and what the address check
still refuses when the connection only ever goes to the proxy."""

from __future__ import annotations

import asyncio

import pytest

from http_helpers import LoopbackServer, Reply
from newsvault.config import Config
from newsvault.errors import ConfigError
from newsvault.fetch import Fetcher, FetchPolicy, RefusedError
from proxy_helpers import Socks5Server


def _get(policy: FetchPolicy, url: str, **kw: object) -> bytes:
    async def main() -> bytes:
        async with Fetcher(policy) as f:
            return (await f.get(url, **kw)).content  # type: ignore[arg-type]

    return asyncio.run(main())


def test_http_proxy_fetches_a_real_host_name_without_resolving_it(srv: LoopbackServer) -> None:
    srv.route("http://mp.weixin.qq.com/s/abc", Reply(200, "公众号".encode(), {"Content-Type": "text/plain; charset=utf-8"}))
    body = _get(FetchPolicy(proxy=srv.base, retries=0), "http://mp.weixin.qq.com/s/abc")
    assert body.decode() == "公众号"
    assert srv.requests[0].path == "http://mp.weixin.qq.com/s/abc"  # absolute form: the proxy's job


def test_socks5_proxy_gets_the_host_name_not_an_address(srv: LoopbackServer) -> None:
    srv.route("/status/1", Reply(200, b"ok"))
    with Socks5Server(("127.0.0.1", srv.port)) as socks:
        assert _get(FetchPolicy(proxy=socks.url, retries=0), "http://m.weibo.cn/status/1") == b"ok"
    assert socks.asked == [("m.weibo.cn", 80)]  # resolved by the proxy: no DNS query leaks
    assert srv.requests[0].headers["host"] == "m.weibo.cn"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]/",
    "http://localhost/", "http://api.localhost/", "http://[::ffff:127.0.0.1]/",
])
def test_through_a_proxy_private_targets_named_in_urls_are_refused(srv: LoopbackServer, url: str) -> None:
    with pytest.raises(RefusedError, match="refused"):
        _get(FetchPolicy(proxy=srv.base, retries=0), url)
    assert srv.requests == []  # never even sent to the proxy


def test_through_a_proxy_a_redirect_to_a_private_address_is_refused(srv: LoopbackServer) -> None:
    srv.route("http://example.org/a", Reply(302, b"", {"Location": "http://169.254.169.254/latest/"}))
    with pytest.raises(RefusedError, match="169.254.169.254 is a link-local address"):
        _get(FetchPolicy(proxy=srv.base, retries=0), "http://example.org/a")
    assert [r.path for r in srv.requests] == ["http://example.org/a"]


def test_allow_private_lets_private_targets_through_the_proxy(srv: LoopbackServer) -> None:
    srv.route("http://10.1.2.3/x", Reply(200, b"inside"))
    assert _get(FetchPolicy(proxy=srv.base, retries=0, allow_private=True), "http://10.1.2.3/x") == b"inside"


def test_a_fetch_may_go_direct_although_the_policy_has_a_proxy(srv: LoopbackServer) -> None:
    srv.route("/direct", Reply(200, b"direct"))
    with LoopbackServer() as proxy:
        policy = FetchPolicy(proxy=proxy.base, retries=0, allow_private=True)
        assert _get(policy, srv.url("/direct"), proxy="direct") == b"direct"
        assert proxy.requests == []


def test_a_dead_proxy_is_a_clear_fetch_error() -> None:
    with LoopbackServer() as dead:
        url = dead.base
    with pytest.raises(Exception, match="example.org"):
        _get(FetchPolicy(proxy=url, retries=0), "http://example.org/")


def test_config_reads_archive_and_source_proxies(tmp_path) -> None:
    path = tmp_path / "newsvault.toml"
    path.write_text(
        '[fetch]\nproxy = "socks5://127.0.0.1:9050"\n'
        '[[sources]]\nslug = "a"\nfeeds = ["https://a.example/feed"]\n'
        '[[sources]]\nslug = "b"\nfeeds = ["https://b.example/feed"]\nproxy = "direct"\n'
        '[[sources]]\nslug = "c"\nfeeds = ["https://c.example/feed"]\nproxy = "http://user:pw@10.0.0.2:8080"\n',
        encoding="utf-8",
    )
    config = Config.load(path)
    assert config.proxy_for("a") == "socks5://127.0.0.1:9050"
    assert config.proxy_for("b") == "direct"
    assert config.proxy_for("c") == "http://user:pw@10.0.0.2:8080"
    assert Config.load(path).dump() == config.dump()
    assert 'proxy = "direct"' in config.dump()


@pytest.mark.parametrize(("value", "problem"), [
    ('"ftp://p:1"', "the scheme must be one of"),
    ('"socks5://127.0.0.1"', "names no port"),
    ('"http://p:8080/path"', "nothing after it"),
    ('"direct"', "'direct' is for a source"),
    ("3", "expected a non-empty string"),
])
def test_a_bad_proxy_is_named_by_its_key(tmp_path, value: str, problem: str) -> None:
    path = tmp_path / "newsvault.toml"
    path.write_text(f"[fetch]\nproxy = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"fetch.proxy: .*{problem}"):
        Config.load(path)
