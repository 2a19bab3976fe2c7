"""The built site in real headless Chromium, from file://: XSS payloads stay inert, the offline
search finds Chinese text (Simplified and Traditional), and screenshots for the README."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsvault.publish.render import article_path
from newsvault.publish.site import build_site
from newsvault.record import Record
from publish_helpers import CHROMIUM, XSS_HOST, make_archive, mark_deleted, seed_id, xss_payloads

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]
# The README's screenshots are refreshed only on request (NEWSVAULT_SCREENSHOTS=1 python -m
# pytest tests/test_browser_publish.py -k screenshots), so a test run leaves the tree clean.
README_SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
# Hosts that archived bodies load images from (resolved relative image URLs point at the article's host).
IMAGE_HOSTS = {"s.rfi.fr", "images.example.test", XSS_HOST}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    archive = make_archive(root / "archive")
    mark_deleted(archive, seed_id(archive), "https://www.rfi.fr/cn/x", 1_700_007_200_000)
    build_site(archive, root / "site")
    yield archive, root / "site"
    archive.close()


def watch(page, problems: list[str], requests: list) -> None:
    page.on("dialog", lambda d: (problems.append(f"dialog {d.type}: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))

    def console(msg):
        # A blocked or failed image load is expected offline; anything else is a problem.
        if msg.type == "error" and "Failed to load resource" not in msg.text:
            problems.append(f"console: {msg.text}")

    page.on("console", console)

    def route(r):
        requests.append((r.request.url, r.request.resource_type))
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            r.abort()  # tests stay offline; what matters is what was asked for

    page.route("**/*", route)


def test_xss_payload_pages_run_nothing_and_fetch_only_images(site, browser):
    archive, root = site
    xss = archive.catalog.list_articles(source="xss")
    assert len(xss) == len(xss_payloads())
    context = browser.new_context(java_script_enabled=True)
    page = context.new_page()
    problems: list[str] = []
    requests: list = []
    watch(page, problems, requests)
    for a in xss:
        url = (root / article_path(a.id)).as_uri()
        page.goto(url, wait_until="load")
        # give handlers a chance to fire: hover and focus everything, wait a little
        page.mouse.move(200, 200)
        page.keyboard.press("Tab")
        page.wait_for_timeout(30)
        assert page.title().startswith(a.title), (a.title, page.title())
        assert page.url == url, f"{a.title} navigated to {page.url}"
        assert len(page.frames) == 1, f"{a.title}: a frame was created"
        assert page.evaluate("[...document.querySelectorAll('script, iframe, object, embed, base, .body form, meta[http-equiv]:not([http-equiv=\"Content-Security-Policy\"])')].map(e => e.outerHTML.slice(0, 80))") == []
        assert page.evaluate("[...document.querySelectorAll('*')].filter(e => [...e.attributes].some(x => x.name.startsWith('on'))).length") == 0
    context.close()
    assert problems == []
    for url, kind in requests:
        parts = urlsplit(url)
        if parts.scheme == "file":
            continue
        assert kind == "image" and parts.hostname in IMAGE_HOSTS, (url, kind)


def _search(page, query: str) -> list[str]:
    page.fill("#q", query)
    page.press("#q", "Enter")
    page.wait_for_function("q => document.getElementById('status').textContent.includes('“' + q + '”')", arg=query, timeout=10_000)
    return page.locator("#results li a.t").all_inner_texts()


def test_offline_search_finds_chinese_in_simplified_and_traditional(site, browser):
    archive, root = site
    page = browser.new_page()
    problems: list[str] = []
    requests: list = []
    watch(page, problems, requests)
    page.goto((root / "search.html").as_uri(), wait_until="load")
    assert "布林肯呼吁七国集团在加沙问题上以“一个声音”说话" in _search(page, "加沙")
    taiwan = _search(page, "台灣")  # Traditional query, Simplified text
    assert "中国加强对香港控制，台湾看到了威胁" in taiwan
    assert _search(page, "台湾") == taiwan
    assert _search(page, "不存在的词语组合") == []
    # the query is read from the URL too (links to search.html?q=…), and results link to articles
    page.goto((root / "search.html").as_uri() + "?q=%E5%8A%A0%E6%B2%99", wait_until="load")
    page.wait_for_selector("#results li a.t")
    page.click("#results li a.t")
    page.wait_for_load_state("load")
    assert page.url.endswith(article_path(seed_id(archive)))
    # an incremental build adds a search generation; the page finds the new article
    with archive.batch():
        archive.add(Record("高雄港口扩建新闻", "https://www.rfi.fr/cn/kaohsiung-1", 1_800_000_000_000, "<p>港口</p>"), "rfi")
    build_site(archive, root)
    page.goto((root / "search.html").as_uri(), wait_until="load")
    assert _search(page, "高雄港口扩建") == ["高雄港口扩建新闻"]
    assert problems == []
    assert all(urlsplit(u).scheme == "file" for u, kind in requests if kind != "image")
    page.close()


@pytest.fixture(scope="module")
def clean_site(tmp_path_factory):
    """Real articles only (no payload records) for the README's screenshots."""
    root = tmp_path_factory.mktemp("clean")
    archive = make_archive(root / "archive", xss=False, extra=16)
    build_site(archive, root / "site")
    yield archive, root / "site"
    archive.close()


def test_screenshots_for_the_readme(clean_site, browser, tmp_path):
    archive, root = clean_site
    shots_dir = README_SHOTS if os.environ.get("NEWSVAULT_SCREENSHOTS") == "1" else tmp_path
    shots_dir.mkdir(parents=True, exist_ok=True)
    shots = {
        "home": (root / "index.html").as_uri(),
        "article": (root / article_path(seed_id(archive))).as_uri(),
        "search": (root / "search.html").as_uri() + "?q=%E5%8F%B0%E7%81%A3",  # 台灣
    }
    for width, height, label in ((390, 844, "phone"), (1280, 800, "desktop")):
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
        page = context.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        for name, url in shots.items():
            page.goto(url, wait_until="load")
            if name == "search":
                page.wait_for_selector("#results li")
            # the layout fits the width: nothing wider than the viewport
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            path = shots_dir / f"{name}-{label}.png"
            page.screenshot(path=str(path))
            assert path.stat().st_size < 400_000
        context.close()
