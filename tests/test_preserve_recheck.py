"""Deletion watch against a real HTTP server on 127.0.0.1: every outcome classified, no false
deletion from a failure, conditional requests, per-host spacing."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from http_helpers import LoopbackServer, Reply
from newsvault.archive import Archive, write_atomic
from newsvault.clean import clean_html
from newsvault.config import CONFIG_NAME, Source
from newsvault.preserve.checks import deleted_articles, iter_checks
from newsvault.preserve.history import article_history
from newsvault.preserve.recheck import USER_AGENT, RecheckPolicy, recheck
from newsvault.record import Record, parse
from preserve_helpers import CORPUS, REPO

DELAY = 0.05
POLICY = RecheckPolicy(delay=DELAY, timeout=0.5)
CASES = ["live", "gone404", "gone410", "home", "search", "section", "changed", "timeout", "e503", "e403", "e429",
         "moved", "etag", "soft404", "wall"]


def page(title: str, body: str) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<nav><a href='/'>首页</a> <a href='/news/'>新闻</a></nav><h1>{title}</h1>"
        f"<article>{body}</article><footer>© 本地测试站 版权所有</footer></body></html>"
    ).encode()


def corpus_bodies(n: int) -> list[tuple[str, str]]:
    out = []
    for f in sorted((CORPUS / "cdt" / "articles").glob("*.md")):
        rec = parse(f.read_bytes())
        body = clean_html(rec.body)
        if 800 < len(body) < 20000:
            out.append((rec.title, body))
        if len(out) == n:
            return out
    raise AssertionError("not enough corpus bodies")


@pytest.fixture
def site(tmp_path):
    """An archive of articles whose URLs live on a local server; the server serves them all."""
    with LoopbackServer() as server:
        archive = Archive.init(tmp_path / "archive")
        archive.config.sources = [
            Source("sel", "选择器站", [server.base + "/feed"], body="page", selector="article", hosts=["127.0.0.1"]),
            Source("fs", "全文源站", [server.base + "/feed2"], hosts=["127.0.0.1"]),
        ]
        archive.config.allow_private = True  # the server is on 127.0.0.1
        write_atomic(archive.root / CONFIG_NAME, archive.config.dump())
        archive.close()
        archive = Archive.open(tmp_path / "archive")
        articles = {}
        bodies = corpus_bodies(len(CASES) + 1)
        with archive.batch():
            for i, case in enumerate(CASES):
                title, body = bodies[i]
                url = f"{server.base}/news/2020/{case}.html"
                r = archive.add(Record(title, url, 1_600_000_000_000 + i * 60_000, body), "sel", seen=1_600_000_000_000)
                articles[case] = (r.article_id, url, title, body)
                server.route(f"/news/2020/{case}.html", Reply(200, page(title, body)))
            title, body = bodies[-1]
            url = f"{server.base}/feed-article/1.html"
            # A feed-sourced body: the page shows more than the feed gave.
            r = archive.add(Record(title, url, 1_600_000_000_000, body[: len(body) // 2]), "fs", seen=1_600_000_000_000)
            articles["feed"] = (r.article_id, url, title, body)
            server.route("/feed-article/1.html", Reply(200, page(title, body)))
        server.route("/", Reply(200, page("首页", "<p>欢迎来到本地测试站。今日要闻。</p>" * 5)))
        server.route("/news", Reply(200, page("新闻", "<p>新闻列表。</p>" * 5)))
        yield archive, server, articles
        archive.close()


def _by_id(results):
    return {r.id: r for r in results}


def test_each_outcome_classified_and_no_false_deletion(site):
    archive, server, arts = site
    # Round 1: everything online and unchanged.
    first = _by_id(recheck(archive, policy=POLICY))
    assert len(first) == len(CASES) + 1
    assert {r.status for r in first.values()} == {"live"}, {k: (v.status, v.reason) for k, v in first.items()}
    assert deleted_articles(archive) == {}

    # The source changes: each case does its thing.
    r = server.route
    title, body = arts["changed"][2], arts["changed"][3]
    new_body = body.replace("</p>", "（本段已被编辑修改）</p>", 1)
    assert new_body != body
    r("/news/2020/changed.html", Reply(200, page(title, new_body)))
    r("/news/2020/gone404.html", Reply(404, b"<html><body><h1>Not Found</h1></body></html>"))
    r("/news/2020/gone410.html", Reply(410, b"gone"))
    r("/news/2020/home.html", Reply(302, b"", {"Location": "/"}))
    r("/news/2020/search.html", Reply(301, b"", {"Location": "/search?q=%E6%96%87%E7%AB%A0"}))
    r("/search?q=%E6%96%87%E7%AB%A0", Reply(200, page("搜索", "<p>没有找到相关结果，请换一个关键词再试。</p>")))
    r("/news/2020/section.html", Reply(301, b"", {"Location": "/news/"}))
    r("/news/", Reply(200, page("新闻", "<p>新闻列表，每天更新的新闻。</p>" * 3)))
    r("/news/2020/timeout.html", Reply(200, page("x", "<p>late</p>"), delay=2.0))
    r("/news/2020/e503.html", Reply(503, b"busy", {"Retry-After": "120"}))
    r("/news/2020/e403.html", Reply(403, b"forbidden"))
    r("/news/2020/e429.html", Reply(429, b"slow down"))
    mt, mb = arts["moved"][2], arts["moved"][3]
    r("/news/2020/moved.html", Reply(301, b"", {"Location": "/articles/new-slug-for-moved"}))
    r("/articles/new-slug-for-moved", Reply(200, page(mt, mb)))
    et, eb = arts["etag"][2], arts["etag"][3]

    def etag_route(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Reply(304, b"", {"ETag": '"v1"'})
        return Reply(200, page(et, eb), {"ETag": '"v1"', "Last-Modified": "Wed, 01 Jan 2020 00:00:00 GMT"})

    r("/news/2020/etag.html", etag_route)
    r("/news/2020/soft404.html", Reply(200, page("页面不存在", "<p>抱歉，您访问的页面不存在或已被删除。</p>")))
    r("/news/2020/wall.html", Reply(302, b"", {"Location": "/account/login?next=/news/2020/wall.html"}))
    r("/account/login?next=/news/2020/wall.html", Reply(200, page("登录", "<p>请登录后继续阅读。</p>")))

    second = _by_id(recheck(archive, policy=POLICY))
    status = {case: second[arts[case][0]].status for case in CASES}
    assert status == {
        "live": "live", "gone404": "gone", "gone410": "gone", "home": "redirected", "search": "redirected",
        "section": "redirected", "changed": "changed", "timeout": "failing", "e503": "failing", "e403": "failing",
        "e429": "failing", "moved": "live", "etag": "live", "soft404": "gone", "wall": "failing",
    }, {c: (second[arts[c][0]].status, second[arts[c][0]].reason) for c in CASES}
    assert "timed out" in second[arts["timeout"][0]].reason
    assert second[arts["moved"][0]].final_url.endswith("/articles/new-slug-for-moved")

    # Deletions are exactly the gone and redirected-away ones; failures are not deletions.
    gone_cases = {"gone404", "gone410", "home", "search", "section", "soft404"}
    assert set(deleted_articles(archive)) == {arts[c][0] for c in gone_cases}

    # The changed article has a new revision holding the new text, and history shows the edit.
    aid = arts["changed"][0]
    versions = archive.catalog.versions(aid)
    assert len(versions) == 2 and versions[1].path == second[aid].path
    assert "（本段已被编辑修改）" in archive.read(versions[1].path).body
    h = article_history(archive, aid)
    assert len(h.changes) == 1 and any(s.op == "insert" and "本段已被编辑修改" in s.text for s in h.changes[0].segments)

    # Every result is on disk, one JSON line each, in checks/sel.jsonl.
    lines = (archive.root / "checks" / "sel.jsonl").read_text().splitlines()
    assert len(lines) == 2 * len(CASES) and all(json.loads(x)["id"] for x in lines)

    # Round 3: the failing ones recover, a deleted one comes back, a gone one now fails.
    r("/news/2020/e503.html", Reply(200, page(arts["e503"][2], arts["e503"][3])))
    r("/news/2020/timeout.html", Reply(200, page(arts["timeout"][2], arts["timeout"][3])))
    r("/news/2020/gone404.html", Reply(200, page(arts["gone404"][2], arts["gone404"][3])))
    r("/news/2020/gone410.html", Reply(503, b"down"))
    third = _by_id(recheck(archive, policy=POLICY))
    assert third[arts["e503"][0]].status == "live" and third[arts["timeout"][0]].status == "live"
    assert third[arts["gone404"][0]].status == "live" and third[arts["gone410"][0]].status == "failing"
    assert third[arts["changed"][0]].status == "live"  # the revision is now the archived text
    assert set(deleted_articles(archive)) == {arts[c][0] for c in gone_cases - {"gone404"}}


def test_politeness_user_agent_conditional_and_spacing(site):
    archive, server, arts = site
    recheck(archive, policy=POLICY)
    start = len(server.requests)
    delay = 0.2  # long enough that scheduling jitter on a busy machine cannot hide a violation
    t0 = time.monotonic()
    recheck(archive, policy=RecheckPolicy(delay=delay, timeout=0.5))
    took = time.monotonic() - t0
    reqs = server.requests[start:]
    assert all(r.headers.get("user-agent") == USER_AGENT for r in reqs)
    times = sorted(r.at for r in reqs)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) >= len(CASES) and min(gaps) >= delay * 0.75, min(gaps)
    assert took >= delay * len(gaps)


def test_conditional_request_uses_stored_validators(site):
    archive, server, arts = site
    et, eb = arts["etag"][2], arts["etag"][3]
    seen_headers = []

    def etag_route(request):
        seen_headers.append(request.headers)
        if request.headers.get("If-None-Match") == '"v1"':
            return Reply(304, b"", {"ETag": '"v1"'})
        return Reply(200, page(et, eb), {"ETag": '"v1"', "Last-Modified": "Wed, 01 Jan 2020 00:00:00 GMT"})

    server.route("/news/2020/etag.html", etag_route)
    aid = arts["etag"][0]
    a = [archive.catalog.get(aid)]
    assert recheck(archive, articles=a, policy=POLICY)[0].etag == '"v1"'
    res = recheck(archive, articles=a, policy=POLICY)[0]
    assert seen_headers[1].get("If-None-Match") == '"v1"'
    assert seen_headers[1].get("If-Modified-Since") == "Wed, 01 Jan 2020 00:00:00 GMT"
    assert (res.status, res.http, res.reason) == ("live", 304, "not modified")
    # A 304 keeps the validators for the next time.
    recheck(archive, articles=a, policy=POLICY)
    assert seen_headers[2].get("If-None-Match") == '"v1"'


def test_feed_sourced_article_baseline_then_change(site):
    archive, server, arts = site
    aid, url, title, body = arts["feed"]
    a = [archive.catalog.get(aid)]
    first = recheck(archive, articles=a, policy=POLICY)[0]
    assert first.status == "live" and first.reason.startswith("baseline") and first.fp
    assert recheck(archive, articles=a, policy=POLICY)[0].status == "live"
    server.route("/feed-article/1.html", Reply(200, page(title, body.replace("</p>", "【更正】</p>", 1))))
    res = recheck(archive, articles=a, policy=POLICY)[0]
    assert res.status == "changed" and len(archive.catalog.versions(aid)) == 2
    assert recheck(archive, articles=a, policy=POLICY)[0].status == "live"


def test_torn_check_line_is_skipped_and_not_glued(site):
    archive, server, arts = site
    recheck(archive, articles=[archive.catalog.get(arts["gone404"][0])], policy=POLICY)
    path = archive.root / "checks" / "sel.jsonl"
    with open(path, "ab") as f:
        f.write(b'{"id": "torn", "status": "go')  # a crash mid-line
    server.route("/news/2020/gone404.html", Reply(404, b""))
    recheck(archive, articles=[archive.catalog.get(arts["gone404"][0])], policy=POLICY)
    ids = [c["id"] for c in iter_checks(archive.root)]
    assert ids == [arts["gone404"][0]] * 2
    assert set(deleted_articles(archive)) == {arts["gone404"][0]}


def test_cli_recheck_and_deleted(site):
    archive, server, arts = site
    server.route("/news/2020/gone410.html", Reply(410, b"gone"))
    server.route("/news/2020/home.html", Reply(302, b"", {"Location": "/"}))
    server.route("/news/2020/e503.html", Reply(503, b"busy"))
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "newsvault", "-C", str(archive.root), *a], capture_output=True, text=True, env=env, timeout=60)  # noqa: E731
    proc = run("recheck", "--json", "--delay", "0.01", "--timeout", "0.5", "--source", "sel")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["checked"] == len(CASES) and data["gone"] == 1 and data["redirected"] == 1 and data["failing"] == 1
    proc = run("deleted", "--json")
    listed = {d["id"]: d for d in json.loads(proc.stdout)}
    assert set(listed) == {arts["gone410"][0], arts["home"][0]}
    assert listed[arts["home"][0]]["status"] == "redirected" and listed[arts["gone410"][0]]["http"] == 410
    proc = run("deleted")
    assert "已删除" in proc.stdout and arts["home"][0] in proc.stdout
    # --older-than 1d: what was checked just now is skipped; due are the never-checked article of
    # the other source and the failing one (a failure does not count as a check).
    proc = run("recheck", "--json", "--older-than", "1d", "--delay", "0")
    due = {r["id"] for r in json.loads(proc.stdout)["results"]}
    assert due == {arts["feed"][0], arts["e503"][0]}
    proc = run("recheck", "--json", "--older-than", "1d")
    assert [r["id"] for r in json.loads(proc.stdout)["results"]] == [arts["e503"][0]]
    proc = run("recheck", "--older-than", "soon")
    assert proc.returncode == 2 and "is not an age" in proc.stderr
    proc = run("recheck", "--source", "nosuch")
    assert proc.returncode == 1 and "no source 'nosuch' in this archive (known: " in proc.stderr


def test_odd_cases_fail_safe(site):
    archive, server, arts = site
    # The archived file of an article is gone (damage fsck reports): a failing check, not a crash.
    aid = arts["live"][0]
    (archive.root / archive.catalog.get(aid).latest_path).unlink()
    # A page that is not HTML at all: live (it answers), never "changed" into a PDF.
    server.route("/news/2020/etag.html", Reply(200, b"%PDF-1.4 ...", {"Content-Type": "application/pdf"}))
    # A redirect loop: failing.
    server.route("/news/2020/e503.html", Reply(302, b"", {"Location": "/news/2020/e503.html?x=1"}))
    server.route("/news/2020/e503.html?x=1", Reply(302, b"", {"Location": "/news/2020/e503.html"}))
    picked = [archive.catalog.get(arts[c][0]) for c in ("live", "etag", "e503")]
    res = {r.id: r for r in recheck(archive, articles=picked, policy=POLICY)}
    assert res[aid].status == "failing" and "fsck" in res[aid].reason
    assert res[arts["etag"][0]].status == "live" and "not an HTML page" in res[arts["etag"][0]].reason
    assert res[arts["e503"][0]].status == "failing" and "redirects" in res[arts["e503"][0]].reason
    assert deleted_articles(archive) == {}


def test_page_text_a_then_b_then_a_again_keeps_three_versions(site):
    archive, server, arts = site
    aid, url, title, body = arts["changed"]
    edited = body.replace("</p>", "（后来又被改回去了）</p>", 1)
    statuses = []
    for text in (edited, body):
        server.route("/news/2020/changed.html", Reply(200, page(title, text)))
        statuses.append(recheck(archive, articles=[archive.catalog.get(aid)], policy=POLICY)[0].status)
    assert statuses == ["changed", "changed"]
    versions = archive.catalog.versions(aid)
    assert len(versions) == 3
    assert ["后来又被改回去了" in archive.read(v.path).body for v in versions] == [False, True, False]


def test_a_private_address_is_not_rechecked_unless_allowed(site):
    archive, server, arts = site
    archive.config.allow_private = False
    picked = [archive.catalog.get(arts["live"][0])]
    before = len(server.requests)
    res = recheck(archive, articles=picked, policy=POLICY)[0]
    assert res.status == "failing" and "refused: 127.0.0.1 is a loopback address" in res.reason
    assert len(server.requests) == before and deleted_articles(archive) == {}
    # Allowed for its source alone: checked.
    archive.config.source("sel").allow_private = True
    assert recheck(archive, articles=picked, policy=POLICY)[0].status == "live"
    assert len(server.requests) == before + 1
