"""Every read sees the tree as it is: after a plain ``git pull``, a checkout, a hand edit or a
hand deletion, the commands that read the archive answer from the files, with no reindex."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from collect_helpers import rss20
from conftest import REPO, remount_read_only, run_cli
from http_helpers import first_answer
from search_helpers import free_port
from test_hourly import git, identity, item, records, seed, two_clones


def ls(clone: Path) -> dict[str, dict]:
    return {a["title"]: a for a in json.loads(run_cli("-C", str(clone), "ls", "--json", check=True).stdout)}


def search_titles(clone: Path, *words: str) -> list[str]:
    out = json.loads(run_cli("-C", str(clone), "search", *words, "--json", check=True).stdout)
    return sorted(h["title"] for h in out["results"])


def test_a_plain_pull_is_seen_by_every_read_and_fsck_is_clean(tmp_path, srv):
    a, b = two_clones(tmp_path, srv)
    assert ls(b) == {}  # b's catalog exists (and notes its commit) before the pull
    srv.static("/feed.xml", rss20([item(1), item(2)]))
    run_cli("-C", str(a), "collect", "--commit", "--push", check=True)
    srv.static("/feed.xml", rss20([item(1, "改过的正文，加沙停火。"), item(2)]))
    run_cli("-C", str(a), "collect", "--commit", "--push", check=True)
    git(b, "pull", "-q", "origin", "main")
    assert records(b) == records(a)
    listed = ls(b)
    assert sorted(listed) == ["第1篇报道", "第2篇报道"]
    assert search_titles(b, "加沙") == ["第1篇报道"]
    first = listed["第1篇报道"]["id"]
    shown = json.loads(run_cli("-C", str(b), "show", first, "--json", check=True).stdout)
    assert "加沙停火" in json.dumps(shown, ensure_ascii=False)
    hist = json.loads(run_cli("-C", str(b), "history", first, "--json", check=True).stdout)
    assert len(hist["versions"]) == 2
    r = run_cli("-C", str(b), "fsck")
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_checkout_of_an_older_commit_and_back(tmp_path, srv):
    a, b = two_clones(tmp_path, srv)
    srv.static("/feed.xml", rss20([item(1)]))
    run_cli("-C", str(b), "collect", "--commit", check=True)
    older = git(b, "rev-parse", "HEAD")
    srv.static("/feed.xml", rss20([item(1), item(2)]))
    run_cli("-C", str(b), "collect", "--commit", check=True)
    assert sorted(ls(b)) == ["第1篇报道", "第2篇报道"]
    git(b, "checkout", "-q", older)
    assert sorted(ls(b)) == ["第1篇报道"]
    assert search_titles(b, "第2篇报道的正文") == []
    assert run_cli("-C", str(b), "fsck").returncode == 0
    git(b, "checkout", "-q", "main")
    assert sorted(ls(b)) == ["第1篇报道", "第2篇报道"]
    assert search_titles(b, "第2篇报道的正文") == ["第2篇报道"]
    assert run_cli("-C", str(b), "fsck").returncode == 0


def test_hand_deleted_and_hand_edited_records_are_noticed_without_a_reindex(tmp_path, srv):
    _, b = two_clones(tmp_path, srv)
    srv.static("/feed.xml", rss20([item(1), item(2)]))
    run_cli("-C", str(b), "collect", "--commit", check=True)
    one, two = sorted((b / p for p in records(b)), key=lambda f: "第2篇报道的正文" in f.read_text(encoding="utf-8"))
    two.unlink()
    one.write_text(one.read_text(encoding="utf-8").replace("第1篇报道的正文", "手改的正文"), encoding="utf-8")
    assert sorted(ls(b)) == ["第1篇报道"]  # the deleted one is gone from the list
    assert search_titles(b, "手改") == ["第1篇报道"]
    r = run_cli("-C", str(b), "fsck", "--json")
    assert r.returncode == 1
    found = {(p["kind"], p["path"]) for p in json.loads(r.stdout)["problems"]}
    assert found == {("hash-mismatch", one.relative_to(b).as_posix()), ("missing-file", two.relative_to(b).as_posix())}
    # restoring them from git is seen too
    git(b, "checkout", "--", ".")
    assert sorted(ls(b)) == ["第1篇报道", "第2篇报道"]
    assert search_titles(b, "手改") == []
    assert run_cli("-C", str(b), "fsck").returncode == 0


def test_fsck_repair_accepts_a_hand_edit_the_reads_took_in(tmp_path, srv):
    _, b = two_clones(tmp_path, srv)
    srv.static("/feed.xml", rss20([item(1)]))
    run_cli("-C", str(b), "collect", "--commit", check=True)
    (one,) = (b / p for p in records(b))
    one.write_text(one.read_text(encoding="utf-8").replace("第1篇报道的正文", "手改的正文"), encoding="utf-8")
    ls(b)
    assert run_cli("-C", str(b), "fsck").returncode == 1
    r = run_cli("-C", str(b), "fsck", "--repair")
    assert r.returncode == 0, r.stdout + r.stderr
    assert list((b / "repairs").glob("*.jsonl"))  # the accepted change is on record
    ls(b)
    assert run_cli("-C", str(b), "fsck").returncode == 0


def test_a_read_only_archive_is_read_with_one_warning(tmp_path, srv, tmpfs):
    srv.static("/feed.xml", rss20([]))
    remote, _ = seed(tmp_path, {"rfi": srv.url("/feed.xml")})
    a, b = tmp_path / "a", tmpfs("16m") / "b"
    for c in (a, b):
        subprocess.run(["git", "clone", "-q", str(remote), str(c)], check=True)
        identity(c, c.name)
    ls(b)
    srv.static("/feed.xml", rss20([item(1)]))
    run_cli("-C", str(a), "collect", "--commit", "--push", check=True)
    git(b, "pull", "-q", "origin", "main")
    remount_read_only(b.parent)
    r = run_cli("-C", str(b), "ls")
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("newsvault: warning:") == 1 and "read-only" in r.stderr
    assert r.stdout.strip() == ""  # answered from what the catalog holds: the pull is not in it


def test_serve_picks_up_a_pull_without_a_restart(tmp_path, srv):
    a, b = two_clones(tmp_path, srv)
    srv.static("/feed.xml", rss20([item(1)]))
    run_cli("-C", str(a), "collect", "--commit", "--push", check=True)
    git(b, "pull", "-q", "origin", "main")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsvault", "-C", str(b), "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("serving ")
        api = f"http://127.0.0.1:{port}/api/articles"
        assert [x["title"] for x in first_answer(api, proc).json()["articles"]] == ["第1篇报道"]
        srv.static("/feed.xml", rss20([item(1), item(2, "加沙停火。")]))
        run_cli("-C", str(a), "collect", "--commit", "--push", check=True)
        git(b, "pull", "-q", "origin", "main")
        # the watch looks at git at most once a second: the first answer after that second has it
        deadline = time.monotonic() + 10
        while len(titles := [x["title"] for x in httpx.get(api, timeout=5).json()["articles"]]) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sorted(titles) == ["第1篇报道", "第2篇报道"]
        found = httpx.get(f"http://127.0.0.1:{port}/api/search", params={"q": "加沙"}, timeout=5).json()
        assert "第2篇报道" in json.dumps(found, ensure_ascii=False)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_records_written_without_a_commit_are_not_read_again(tmp_path):
    """An import (or a collect without --commit) leaves records git does not know yet; the
    catalog already holds them, so a read only hashes them once, and a later edit is seen."""
    from newsvault.catchup import catch_up
    from newsvault.compose import open_archive

    root = tmp_path / "a"
    run_cli("init", str(root), "--git", "--no-media", check=True)
    src = tmp_path / "in"
    src.mkdir()
    (src / "one.md").write_text("<!--1593000000000-->\n[一号](https://example.org/news/1)\n------\n\n<p>正文。</p>\n", encoding="utf-8")
    run_cli("-C", str(root), "import", str(src), check=True)
    with open_archive(root, catch_up=False) as archive:
        assert catch_up(archive).uncommitted == []
        (rel,) = archive.catalog.paths()
        path = root / rel
        path.write_text(path.read_text(encoding="utf-8").replace("一号", "二号"), encoding="utf-8")
        assert catch_up(archive).uncommitted == [rel]
        assert archive.catalog.list_articles()[0].title == "二号"
        assert catch_up(archive).uncommitted == []
