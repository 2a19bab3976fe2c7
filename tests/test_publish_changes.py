"""What changed between versions, on the static site, the reader server and the CLI: the same
v0…vN numbering, the same change counts, word-level marks (every CJK character a token)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import feedparser
import httpx
import pytest

from newsvault.preserve.diff import diff_text, render_diff_html
from search_helpers import live_server

EDITED = "8c1dd8ea78fe"  # a demo article with 4 versions: +152 −0, +14 −0, +8 −2
DEMO_RECORDS = Path(__file__).resolve().parents[1] / "src" / "newsvault" / "demo" / "records"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from conftest import run_cli

    root = tmp_path_factory.mktemp("changes") / "a"
    run_cli("init", "--no-media", str(root), check=True)
    run_cli("-C", str(root), "import", str(DEMO_RECORDS), check=True)
    run_cli("-C", str(root), "build", "--site", str(root.parent / "site"), check=True)
    return root


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_html_diff_marks_single_chinese_characters_and_escapes():
    html = render_diff_html(diff_text("本文已被删除。<b>\n第二段不变。\n", "本文已被禁止分享。<b>\n第二段不变。\n"))
    both = re.search(r'<p class="both">(.*?)</p>', html)
    assert both is not None
    assert both.group(1) == "本文已被<del>删除</del><ins>禁止分享</ins>。&lt;b&gt;"
    assert '<p class="old">本文已被<del>删除</del>。&lt;b&gt;</p>' in html
    assert '<p class="new">本文已被<ins>禁止分享</ins>。&lt;b&gt;</p>' in html
    assert "<b>" not in html


def test_html_diff_elides_unchanged_paragraphs():
    old = "".join(f"第{i}段。\n" for i in range(10))
    html = render_diff_html(diff_text(old, old.replace("第5段", "第五段")))
    assert "⋯ 未改动的 4 段" in html and "⋯ 未改动的 3 段" in html
    assert "<del>5</del><ins>五</ins>" in html


def _cli_versions(demo: Path) -> list[tuple[str, str]]:
    from conftest import run_cli

    out = run_cli("-C", str(demo), "history", EDITED, check=True).stdout
    return re.findall(r"^(v\d+)\s.*?(?:\((\+\d+ −\d+)\))?\s+\S+\.md$", out, re.M)


def test_cli_site_and_api_number_versions_alike(demo):
    cli = _cli_versions(demo)
    assert cli == [("v0", ""), ("v1", "+152 −0"), ("v2", "+14 −0"), ("v3", "+8 −2")]
    page = (demo.parent / "site" / "articles" / EDITED[:2] / f"{EDITED}.html").read_text(encoding="utf-8")
    site = re.findall(r'<span class="v">(v\d+)</span>.*?(?:<span class="delta">([^<]*)</span>)?(?=</li>| <span class="vt">)', page)
    assert site == cli
    with live_server(demo) as url:
        data = httpx.get(f"{url}/api/articles/{EDITED}", timeout=30).json()
    api = [(v["label"], "" if v["change"] is None else f"+{v['change']['inserted']} −{v['change']['deleted']}") for v in data["versions"]]
    assert api == cli
    assert [v["rev"] for v in data["versions"]] == [0, 1, 2, 3]


def test_a_version_page_shows_what_it_changed(demo):
    site = demo.parent / "site" / "articles" / EDITED[:2]
    v2 = (site / f"{EDITED}.r2.html").read_text(encoding="utf-8")
    assert "这是本文存档的版本 v2" in v2 and "v2 与 v1 相比" in v2 and "+14 −0" in v2
    assert "<ins>CDT编者按：本文已被删除。</ins>" in v2
    assert f'href="../../articles/{EDITED[:2]}/{EDITED}.r1.html">看 v1</a>' in v2  # the version before
    latest = (site / f"{EDITED}.html").read_text(encoding="utf-8")
    assert "本文已被<del>删除</del><ins>禁止分享（如图）</ins>" in latest
    v0 = (site / f"{EDITED}.r0.html").read_text(encoding="utf-8")
    assert 'class="changes"' not in v0  # the first version has nothing to compare with


def test_the_server_shows_the_same_diff_and_answers_static_paths(demo):
    with live_server(demo) as url, httpx.Client(base_url=url, timeout=30) as c:
        live = c.get(f"/articles/{EDITED}", params={"rev": 2})
        assert live.status_code == 200 and "<ins>CDT编者按：本文已被删除。</ins>" in live.text
        static = c.get(f"/articles/{EDITED[:2]}/{EDITED}.r2.html")
        assert static.status_code == 200 and static.text == live.text
        assert c.get(f"/articles/{EDITED[:2]}/{EDITED}.html").text == c.get(f"/articles/{EDITED}").text
        assert c.get(f"/articles/zz/{EDITED}.html").status_code == 404
        assert c.get("/articles/8c/8c1dd8ea78fe.r99.html").status_code == 404
        day = re.search(r'href="/days/(\d{4}-\d\d-\d\d)"', c.get(f"/articles/{EDITED}").text)
        assert day is not None
        assert c.get(f"/days/{day.group(1)}.html").status_code == 200
        assert c.get("/index.html").status_code == 200


def test_build_says_file_in_the_singular(demo, cli):
    out = cli("-C", str(demo), "build", "--site", str(demo.parent / "site"), check=True).stdout
    assert ": 1 file written (0 articles rendered)" in out, out


def test_a_deletion_found_by_recheck_reaches_a_running_server_without_restart(tmp_path):
    from http_helpers import LoopbackServer, Reply
    from newsvault.archive import Archive, write_atomic
    from newsvault.config import CONFIG_NAME, Source
    from newsvault.preserve.recheck import RecheckPolicy, recheck
    from newsvault.record import Record

    body = "<p>第一段：记者报道了当天的会议。</p><p>第二段：会议没有结论。</p>"
    with LoopbackServer() as origin:
        archive = Archive.init(tmp_path / "archive")
        archive.config.sources = [Source("loc", "本地站", [origin.base + "/feed"], hosts=["127.0.0.1"])]
        archive.config.allow_private = True  # the origin is on 127.0.0.1
        write_atomic(archive.root / CONFIG_NAME, archive.config.dump())
        archive.close()
        archive = Archive.open(tmp_path / "archive")
        url = origin.base + "/news/1.html"
        with archive.batch():
            aid = archive.add(Record("会议报道", url, 1_600_000_000_000, body), "loc", seen=1_600_000_000_000).article_id
            archive.add(Record("会议报道", url, 1_600_000_000_000, body.replace("没有结论", "达成协议")), "loc", seen=1_600_000_600_000)
        origin.route("/news/1.html", Reply(404, b"<html><body>not found</body></html>"))
        with live_server(archive.root) as base, httpx.Client(base_url=base, timeout=30) as c:
            before = c.get("/changes").text
            assert "v0 → v1" in before and "<del>没有结论</del>" in before and "已删除" not in before
            assert "已删除" not in c.get("/feeds/changes/all.xml").text
            results = recheck(archive, policy=RecheckPolicy(delay=0.01, timeout=2))
            assert [r.status for r in results] == ["gone"]
            deadline = time.monotonic() + 30  # the server looks at checks/ at most once a second
            while "已删除" not in (page := c.get(f"/articles/{aid}").text) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert "已删除" in page
            changes = c.get("/changes/loc").text
            assert changes.index("已删除") < changes.index("v0 → v1")  # newest first
            feed = feedparser.parse(c.get("/feeds/changes/all.xml").content)
            assert feed.bozo == 0
            assert [e.id for e in feed.entries] == [f"tag:newsvault,2024:{aid}/deleted", f"tag:newsvault,2024:{aid}/v1"]
            assert feed.entries[0].title.startswith("[已删除]")
        archive.close()


def test_the_servers_search_page_ranks_by_relevance_with_snippets(tmp_path):
    from newsvault.compose import init_archive
    from newsvault.record import Record

    archive = init_archive(tmp_path / "a")
    gaza = "<p>以色列与哈马斯在加沙地带的冲突持续，联合国呼吁加沙停火，加沙平民急需人道主义援助。</p>"
    lunch = "<p>今天的午餐很丰盛，厨师推荐了一道新菜，大家都说好吃。</p>"
    with archive.batch():
        archive.add(Record("加沙停火谈判", "https://example.org/gaza", 1_699_000_000_000, gaza), "rfi", seen=1_699_000_000_000)
        archive.add(Record("豬排加漢堡排加沙拉", "https://example.org/lunch", 1_700_000_000_000, lunch), "rfi", seen=1_700_000_000_000)
    archive.close()
    with live_server(tmp_path / "a") as url, httpx.Client(base_url=url, timeout=30) as c:
        page = c.get("/search", params={"q": "加沙"}).text
        titles = [_text(t) for t in re.findall(r'<a class="t"[^>]*>(.*?)</a>', page)]
        ranked = [h["title"] for h in c.get("/api/search", params={"q": "加沙"}).json()["results"]]
        assert titles == ranked and len(ranked) == 2  # the engine's relevance order, not the dates'
        assert "<mark>加沙</mark>" in page and 'class="snippet"' in page and "按相关度排序 ·" in page
        newest = c.get("/search", params={"q": "加沙", "order": "newest"}).text
        assert [_text(t) for t in re.findall(r'<a class="t"[^>]*>(.*?)</a>', newest)] == ["豬排加漢堡排加沙拉", "加沙停火谈判"]
        assert c.get("/search", params={"q": "加沙", "order": "random"}).status_code == 400
