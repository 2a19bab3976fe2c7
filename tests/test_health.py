"""Source health from real collect passes against a feed on 127.0.0.1: last success, last failure
with its reason, failures in a row, articles a day; the same in the CLI, its --json, the static
site and the reader server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from collect_helpers import allow_private
from http_helpers import LoopbackServer, Reply
from preserve_helpers import rss_feed
from search_helpers import live_server

DAY = 86_400_000


def _feed(now: int) -> bytes:
    body = "<p>记者报道：本地测试源今天发表了这篇文章，内容足够长，可以存档。</p>" * 3
    return rss_feed([(f"第{i}篇报道", f"http://127.0.0.1/a/{i}.html", now - i * DAY // 2, body) for i in range(6)])


def _collect(cli, root: Path) -> None:
    cli("-C", str(root), "collect")  # exit 3 when a source fails: the health says why


def test_health_follows_passes_in_cli_json_site_and_server(tmp_path, cli):
    now = int(time.time() * 1000)
    root = tmp_path / "a"
    with LoopbackServer() as origin:
        cli("init", "--no-media", str(root), check=True)
        allow_private(root)
        cli("-C", str(root), "source", "add", "loc", origin.base + "/feed.xml", "--name", "本地源", check=True)
        out = cli("-C", str(root), "source", "ls", check=True).stdout
        assert "last success" not in out  # no pass yet: nothing to report
        origin.route("/feed.xml", Reply(200, _feed(now), {"Content-Type": "application/rss+xml"}))
        _collect(cli, root)
        origin.route("/feed.xml", Reply(503, b"down for maintenance"))
        _collect(cli, root)
        _collect(cli, root)
        data = json.loads(cli("-C", str(root), "source", "ls", "--json", check=True).stdout)
        h = data[0]["health"]
        assert h["status"] == "failing" and h["failures_in_a_row"] == 2
        assert h["last_success"] is not None and h["last_failure"] >= h["last_success"]
        assert "503" in h["last_failure_reason"]
        assert sum(h["articles_per_day"]) == 6 and h["articles_a_day"] == round(6 / 7, 2)
        assert json.loads(cli("-C", str(root), "stats", "--json", check=True).stdout)["health"]["loc"] == h
        text = cli("-C", str(root), "stats", check=True).stdout
        assert "last success UTC" in text and "failing" in text and "503" in text
        text = cli("-C", str(root), "source", "ls", check=True).stdout
        row = next(line for line in text.splitlines() if line.startswith("loc ") and "failing" in line)
        assert " 2 " in row and "0.9" in row

        origin.route("/feed.xml", Reply(200, _feed(now), {"Content-Type": "application/rss+xml"}))
        _collect(cli, root)
        h = json.loads(cli("-C", str(root), "source", "ls", "--json", check=True).stdout)[0]["health"]
        assert h["status"] == "ok" and h["failures_in_a_row"] == 0 and "503" in h["last_failure_reason"]

    cli("-C", str(root), "build", "--site", str(tmp_path / "site"), check=True)
    page = (tmp_path / "site" / "health.html").read_text(encoding="utf-8")
    assert "来源状况" in page and "本地源" in page and "503" in page and 'class="tag">正常' in page
    with live_server(root) as base:
        live = httpx.get(base + "/health", timeout=30)
        assert live.status_code == 200 and "本地源" in live.text and "503" in live.text
        assert httpx.get(base + "/health.html", timeout=30).text == live.text


def test_an_archive_never_collected_has_an_empty_health(tmp_path, cli):
    root = tmp_path / "a"
    cli("init", "--no-media", str(root), check=True)
    cli("-C", str(root), "source", "add", "x", "http://127.0.0.1:9/feed.xml", check=True)
    h = json.loads(cli("-C", str(root), "source", "ls", "--json", check=True).stdout)[0]["health"]
    assert h == {"source": "x", "status": "unknown", "last_success": None, "last_failure": None, "last_failure_reason": None,
                 "failures_in_a_row": 0, "articles_per_day": [0] * 7, "articles_a_day": 0.0}
    assert not (root / ".newsvault" / "health.sqlite").exists()  # reading does not create it


def test_a_source_only_imported_is_labelled_so(tmp_path, cli):
    root = tmp_path / "a"
    cli("init", "--no-media", str(root), check=True)
    cli("-C", str(root), "source", "add", "x", "http://127.0.0.1:9/feed.xml", check=True)
    record = tmp_path / "in" / "old.txt"
    record.parent.mkdir()
    record.write_text("---\ntitle: 旧文章\nurl: https://example.org/old\nsource: imported-only\n---\n\n正文。\n", encoding="utf-8")
    cli("-C", str(root), "import", str(record), check=True)
    health = json.loads(cli("-C", str(root), "stats", "--json", check=True).stdout)["health"]
    assert health["x"]["status"] == "unknown" and health["imported-only"]["status"] == "imported"
    cli("-C", str(root), "build", "--site", str(tmp_path / "site"), check=True)
    page = (tmp_path / "site" / "health.html").read_text(encoding="utf-8")
    assert page.count(">仅导入</span>") == 1 and page.count(">未知</span>") == 1
