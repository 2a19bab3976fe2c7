"""Every page type fits a phone (375 px) and a desktop (1280 px) in headless Chromium: nothing
scrolls sideways (``scrollWidth <= innerWidth``) and the header is at least as wide as the
content below it. The site is built from the demo's real records (an article edited three times,
so history and diff pages), plus one article with the long unbroken lines real posts carry."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import run_cli
from newsvault.archive import Archive
from newsvault.record import Record
from publish_helpers import CHROMIUM, browser  # noqa: F401 - the module's Chromium
from search_helpers import live_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (/usr/bin/chromium)"),
]

DEMO_RECORDS = Path(__file__).resolve().parents[1] / "src" / "newsvault" / "demo" / "records"
EDITED = "8c1dd8ea78fe"  # a demo article with 4 versions
LONG_URL = "https://www.rfi.fr/cn/%E5%9B%BD%E9%99%85/20231107-%E5%B8%83%E6%9E%97%E8%82%AF%E5%91%BC%E5%90%81%E4%B8%83%E5%9B%BD%E9%9B%86%E5%9B%A2%E5%9C%A8%E5%8A%A0%E6%B2%99"
WIDE = (
    f"<p>原文地址：{LONG_URL}</p>"
    "<pre>~$ arp-scan -l\nInterface: en0, datalink type: EN10MB (Ethernet)\n"
    "Starting arp-scan 1.9.5 with 256 hosts (https://github.com/royhills/arp-scan) ...........................................\n</pre>"
    "<table><tr>" + "".join(f"<td>第{n}列数据数据数据数据</td>" for n in range(12)) + "</tr></table>"
    "<p>" + "長" * 10 + "https://example.org/" + "a" * 200 + "</p>"
)
LONG_ID: list[str] = []

# What measures a page: sideways overflow, and the header's width against the content's.
MEASURE = """() => {
  const main = document.querySelector('main'), header = document.querySelector('header.top');
  let widest = 0;
  for (const el of main.querySelectorAll('*')) widest = Math.max(widest, el.getBoundingClientRect().right);
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
          header: header.getBoundingClientRect().width, main: main.getBoundingClientRect().width,
          right: header.getBoundingClientRect().right, widest: widest};
}"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("layout")
    archive_dir = root / "archive"
    run_cli("init", "--no-media", str(archive_dir), check=True)
    run_cli("-C", str(archive_dir), "import", str(DEMO_RECORDS), check=True)
    archive = Archive.open(archive_dir)
    with archive.batch():
        result = archive.add(Record("长行测试：终端输出与很长的链接", "https://www.rfi.fr/cn/long-lines", 1_700_000_000_000, WIDE), "rfi", seen=1_700_000_000_000)
    LONG_ID.append(archive.resolve("https://www.rfi.fr/cn/long-lines")[0].id)
    assert result.path
    archive.close()
    run_cli("-C", str(archive_dir), "build", "--site", str(root / "site"), check=True)
    return archive_dir, root / "site"


def _static_pages(site: Path) -> dict[str, str]:
    day = sorted((site / "days").glob("2*.html"))[-1]
    single = next(p for p in (site / "articles").rglob("*.html") if ".r" not in p.name and p.stem not in (EDITED, *LONG_ID))
    edited = next((site / "articles").rglob(f"{EDITED}.html"))
    long_page = next((site / "articles").rglob(f"{LONG_ID[0]}.html"))
    return {
        "front": (site / "index.html").as_uri(),
        "list": (site / "sources" / "cdt" / "index.html").as_uri(),
        "days": (site / "days" / "index.html").as_uri(),
        "day": day.as_uri(),
        "article": single.as_uri(),
        "long article": long_page.as_uri(),
        "history": edited.as_uri(),
        "diff": edited.with_name(f"{EDITED}.r1.html").as_uri(),
        "changes": (site / "changes.html").as_uri(),
        "source changes": (site / "changes" / "cdt.html").as_uri(),
        "health": (site / "health.html").as_uri(),
        "search": (site / "search.html").as_uri() + "?q=%E9%A6%99%E6%B8%AF",  # 香港
        "not found": (site / "404.html").as_uri(),
    }


@pytest.fixture(scope="module")
def server(built):
    with live_server(built[0]) as base:
        yield base


@pytest.mark.parametrize("width", [375, 1280])
def test_every_page_type_fits_and_the_header_spans_the_content(built, server, browser, width):  # noqa: F811
    pages = _static_pages(built[1])
    pages["server search"] = f"{server}/search?q=%E9%A6%99%E6%B8%AF"
    pages["server article"] = f"{server}/articles/{EDITED}?rev=2"
    problems: list[str] = []
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", server)) else r.abort())
    for name, url in pages.items():
        page.goto(url, wait_until="load")
        if name == "search":
            page.wait_for_function("() => /条结果/.test(document.getElementById('status').textContent)", timeout=15_000)
        m = page.evaluate(MEASURE)
        if m["scroll"] > m["inner"]:
            problems.append(f"{name}: {m['scroll']} px wide in a {m['inner']} px window")
        if m["header"] + 1 < m["main"] or m["right"] + 1 < min(m["widest"], m["inner"]):
            problems.append(f"{name}: header {m['header']:.0f} px, content {m['main']:.0f} px (reaching {m['widest']:.0f} px)")
    context.close()
    assert not problems, f"at {width} px: " + "; ".join(problems)
