"""One archive, one query, one total: ``search --json`` ``count``, ``/api/search`` ``total``, the
server's HTML search page (which pages through every match, 50 at a time, in either order) and
the static site's search in headless Chromium all report the same exact number of matches."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import httpx
import pytest

from conftest import run_cli
from newsvault.compose import init_archive
from newsvault.publish.site import build_site
from publish_helpers import CHROMIUM, chromium
from search_helpers import live_server, record

QUERY = "加沙"
MATCHES = 123  # more than two server pages of 50
T0 = 1_700_000_000_000
HOUR = 3_600_000


@pytest.fixture(scope="module")
def archive_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("totals") / "archive"
    archive = init_archive(root)
    with archive.batch():
        for n in range(MATCHES):
            # Dates out of step with the numbering, so that "newest" is not insertion order.
            when = T0 + ((n * 37) % MATCHES) * HOUR
            archive.add(record(f"第{n}号快讯：加沙局势", f"<p>第{n}号：联合国说加沙需要更多援助，停火谈判继续。</p>", n, when), "rfi")
        for n in range(MATCHES, MATCHES + 15):
            archive.add(record(f"第{n}号快讯：香港天气", f"<p>第{n}号：香港明天有雨。</p>", n, T0 + n * HOUR), "rfi")
    archive.close()
    return root


def _server_pages(base: str, order: str | None) -> tuple[list[int], list[str]]:
    """Follow the HTML search page's next links from the first page: every page's stated
    total, and the article ids in the order shown."""
    totals, ids = [], []
    url = f"{base}/search?q={QUERY}" + (f"&order={order}" if order else "")
    with httpx.Client() as client:
        for _ in range(10):
            r = client.get(url)
            assert r.status_code == 200, r.text[:300]
            html = r.text
            totals.append(int(re.search(r'data-total="(\d+)"', html)[1]))
            ids += re.findall(r'class="t" href="[^"]*?([0-9a-f]{12})"', html)
            nxt = re.search(r'rel="next" href="([^"]+)"', html)
            if nxt is None:
                break
            url = base + nxt[1].replace("&amp;", "&")
    return totals, ids


def test_cli_api_server_page_and_static_search_agree(archive_root, tmp_path):
    cli = json.loads(run_cli("-C", str(archive_root), "search", QUERY, "--limit", "5", "--json", check=True).stdout)
    assert (cli["count"], cli["returned"]) == (MATCHES, 5)  # the exact total, not what was returned

    with live_server(archive_root) as base:
        api = httpx.get(f"{base}/api/search", params={"q": QUERY, "limit": 5}).json()
        assert api["total"] == MATCHES
        totals, ids = _server_pages(base, None)
        assert totals == [MATCHES] * 3  # 50 + 50 + 23
        assert len(ids) == len(set(ids)) == MATCHES
        newest_totals, newest = _server_pages(base, "newest")
        assert newest_totals == [MATCHES] * 3 and sorted(newest) == sorted(ids)
        published = {h["id"]: h["published"] for h in _api_all(base)}
        assert [published[i] for i in newest] == sorted(published.values(), reverse=True)  # newest first across pages
        last = httpx.get(f"{base}/search", params={"q": QUERY, "offset": 100}).text
        assert "第 101–123 条" in last and 'rel="prev"' in last and 'rel="next"' not in last

    if not os.path.exists(CHROMIUM):
        pytest.skip("the static half needs Debian's chromium (/usr/bin/chromium)")
    from newsvault.archive import Archive

    archive = Archive.open(archive_root)
    build_site(archive, tmp_path / "site")
    archive.close()
    with chromium() as browser:
        page = browser.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        page.goto((tmp_path / "site" / "search.html").as_uri() + f"?q={QUERY}", wait_until="load")
        page.wait_for_function("() => /条结果/.test(document.getElementById('status').textContent)", timeout=15_000)
        status = page.locator("#status").inner_text()
    assert re.search(r"(\d+) 条结果", status)[1] == str(MATCHES), status


def _api_all(base: str) -> list[dict]:
    out: list[dict] = []
    while True:
        data = httpx.get(f"{base}/api/search", params={"q": QUERY, "limit": 100, "offset": len(out)}).json()
        if not data["results"]:
            return out
        out += data["results"]
