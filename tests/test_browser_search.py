"""The static site's offline search in real headless Chromium, from file://, at phone and
desktop widths: relevance order (a title about 加沙 above a newer article that only says
加沙拉), highlighted snippets built from text nodes, and the newest-first option kept in the
address."""

from __future__ import annotations

import json
import os
import re
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest

from newsvault.publish import search_index as SI
from newsvault.publish.site import build_site
from newsvault.record import Record
from publish_helpers import CHROMIUM, make_archive

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]

GAZA = "加沙停火谈判在开罗重启"
SALAD = "周末菜单：三道家常菜"
HOSTILE = "读者来信：关于加沙的一封信"
LATE = 1_900_000_000_000  # after every corpus record: these are the newest articles


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("search")
    archive = make_archive(root / "archive", xss=False)
    with archive.batch():
        archive.add(Record(GAZA, "https://www.rfi.fr/cn/gaza-talks", LATE,
                           "<p>埃及官员说，加沙停火谈判周二在开罗重启，以色列和哈马斯的代表都已抵达。</p>"
                           "<p>联合国呼吁各方让人道援助进入加沙。</p>"), "rfi")
        # Newer, and its body holds the bigram 加沙 only inside 加沙拉 (Traditional text).
        archive.add(Record(SALAD, "https://www.rfi.fr/cn/menu", LATE + 3_600_000,
                           "<p>今天的菜單很簡單：豬排加漢堡排加沙拉，再來一碗湯。</p>"), "rfi")
        # Archive text that looks like markup must stay text in the snippet.
        archive.add(Record(HOSTILE, "https://www.rfi.fr/cn/letter", LATE - 3_600_000,
                           "<p>来信说：&lt;img src=x onerror=\"document.title='pwned'\"&gt; 加沙的孩子需要帮助。</p>"), "rfi")
    build_site(archive, root / "site")
    yield root / "site"
    archive.close()


def _wait(page, query: str, words: str = "") -> None:
    page.wait_for_function("([q, w]) => { const s = document.getElementById('status').textContent;"
                           " return s.includes('“' + q + '”') && s.includes(w); }", arg=[query, words], timeout=15_000)


def _titles(page) -> list[str]:
    return page.locator("#results li a.t").all_inner_texts()


@pytest.mark.parametrize("width", [390, 1280])
def test_relevance_snippets_and_newest_first(site, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(d.message), d.dismiss()))
    requests: list[str] = []
    page.route("**/*", lambda r: (requests.append(r.request.url), r.continue_() if r.request.url.startswith("file:") else r.abort()))
    page.goto((site / "search.html").as_uri() + "?q=%E5%8A%A0%E6%B2%99", wait_until="load")  # 加沙
    _wait(page, "加沙", "按相关度")
    titles = _titles(page)
    assert GAZA in titles and SALAD in titles
    assert titles.index(GAZA) < titles.index(SALAD), titles  # relevance, though the salad is newer
    # Snippets: a window of the text around the match, the match in <mark>.
    items = page.locator("#results li")
    gaza = items.nth(titles.index(GAZA))
    assert "加沙停火谈判周二在开罗重启" in gaza.locator(".snippet").inner_text()
    assert gaza.locator(".snippet mark").all_inner_texts()[:2] == ["加沙", "加沙"]
    salad = items.nth(titles.index(SALAD))
    assert salad.locator(".snippet mark").all_inner_texts() == ["加沙"]  # Traditional text, marked in place
    assert "豬排加漢堡排加沙拉" in salad.locator(".snippet").inner_text()
    assert gaza.locator("a.t mark").all_inner_texts() == ["加沙"]
    # Hostile text stays text: no element was made from it, nothing ran.
    letter = items.nth(titles.index(HOSTILE))
    assert "onerror=\"document.title='pwned'\">" in letter.locator(".snippet").inner_text()
    assert page.locator("#results img").count() == 0
    assert page.evaluate("document.querySelectorAll('#results .snippet *:not(mark)').length") == 0
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    # Newest first: the option re-sorts, and is kept in the address with the query.
    page.select_option("#order", "newest")
    _wait(page, "加沙", "新的在前")
    newest = _titles(page)
    assert newest[0] == SALAD and sorted(newest) == sorted(titles)
    params = parse_qs(urlsplit(page.url).query)
    assert params == {"q": ["加沙"], "order": ["newest"]}
    page.reload(wait_until="load")
    _wait(page, "加沙", "新的在前")
    assert _titles(page) == newest and page.eval_on_selector("#order", "e => e.value") == "newest"
    page.select_option("#order", "relevance")
    _wait(page, "加沙", "按相关度")
    assert _titles(page) == titles and "order" not in page.url
    assert problems == [] and page.title() != "pwned"
    assert all(u.startswith("file:") for u in requests)
    context.close()


def test_a_missing_index_file_is_said(site, browser, tmp_path):
    """Results that may be incomplete say so: here a shard file the query needs is gone."""
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    meta = json.loads(re.search(r"NV\.meta=(.*);", (copy / "search/meta.js").read_text()).group(1))
    (copy / "search/t" / f"{SI.shard_of('加沙', meta['shards'])}.js").unlink()
    page = browser.new_page()
    page.goto((copy / "search.html").as_uri() + "?q=%E5%8A%A0%E6%B2%99", wait_until="load")
    _wait(page, "加沙")
    assert "个索引文件未能加载，结果可能不全" in page.locator("#status").inner_text()
    page.close()


def test_packed_segments_of_a_later_build_and_a_damaged_one(browser, tmp_path):
    """Shards and texts are stored packed (raw deflate, base 64) and unpacked in the page: an
    article added by an incremental build (a generation of its own) is found by a Simplified
    query for a Traditional word at the end of its long text, with that word in its snippet;
    a packed file that does not unpack is said, not silently dropped."""
    archive = make_archive(tmp_path / "archive", xss=False)
    site = tmp_path / "site"
    build_site(archive, site)
    filler = "<p>" + "这是一段很长的报道正文，讲述了当天发生的许多事情。" * 200 + "</p>"
    with archive.batch():
        archive.add(Record("长篇报道", "https://www.rfi.fr/cn/long", LATE, f"{filler}<p>最後提到麒麟獸。</p>"), "rfi")
    build_site(archive, site)
    meta = json.loads(re.search(r"NV\.meta=(.*);", (site / "search/meta.js").read_text()).group(1))
    assert meta["gens"], "the second build wrote a generation"
    shard = site / "search/t" / f"g{meta['gens'][-1][0]}-{SI.shard_of('麒麟', meta['gens'][-1][1])}.js"
    assert shard.read_text().startswith("NV.tz(") and "麒麟" not in shard.read_text()  # stored packed
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto((site / "search.html").as_uri() + "?q=" + "麒麟兽", wait_until="load")
    _wait(page, "麒麟兽", "条结果")
    assert _titles(page) == ["长篇报道"]
    assert page.locator("#results .snippet mark").all_inner_texts() == ["麒麟獸"]
    # The article's text file damaged: the title is still shown, the page says a file failed.
    docno = next(int(m) for m in re.findall(r'NV\.xz\((\d+),', "".join(p.read_text() for p in (site / "search/x").rglob("*.js")))
                 if "麒麟" in SI.unpack(re.search(rf'NV\.xz\({m},"([^"]*)"', (site / SI.text_path(int(m))).read_text()).group(1)))
    (site / SI.text_path(docno)).write_text(f'NV.xz({docno},"bm90IGRlZmxhdGU=");\n')
    page.reload(wait_until="load")
    _wait(page, "麒麟兽", "未能加载")
    assert _titles(page) == ["长篇报道"] and page.locator("#results .snippet").count() == 0
    assert problems == []
    page.close()
    archive.close()
