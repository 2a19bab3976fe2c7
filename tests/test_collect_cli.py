"""The collector's commands: sources, OPML, collect (exit codes, JSON, git commits), watch, init."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from collect_helpers import Item, Reply, allow_private, corpus_records, rss20, snapshot, watch_first_pass
from newsvault.cli import main
from newsvault.collect import demo_sources


def nv(root: Path, *args: str):
    result = CliRunner().invoke(main, ["-C", str(root), *args], catch_exceptions=False)
    return result


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "archive"
    assert nv(r.parent, "init", "--no-media", str(r)).exit_code == 0
    allow_private(r)  # the test feeds are served from 127.0.0.1
    # these tests count the files a pass writes and commits: WARC evidence is tested on its own
    (r / "newsvault.toml").write_text((r / "newsvault.toml").read_text(encoding="utf-8").replace("warc = true", "warc = false"), encoding="utf-8")
    return r


@pytest.fixture
def repo(root):
    git(root, "init", "-q")
    git(root, "config", "user.name", "tester")
    git(root, "config", "user.email", "tester@example.org")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


@pytest.fixture(scope="module")
def recs():
    return corpus_records("cdt", 8)


def test_source_add_ls_rm(root):
    r = nv(root, "source", "add", "rfi", "https://www.rfi.fr/cn/rss", "--name", "法广")
    assert r.exit_code == 0 and "added source rfi (法广)" in r.output
    r = nv(root, "source", "add", "cdt", "https://chinadigitaltimes.net/chinese/feed/", "--selector", "div.post-content", "--category", "[\u2600-\u27bf]", "--interval", "1800")
    assert r.exit_code == 0 and "body from page" in r.output
    data = json.loads(nv(root, "source", "ls", "--json").output)
    assert data[1].pop("health")["status"] == "unknown"  # no pass collected yet
    assert data[1] == {"slug": "cdt", "name": "cdt", "feeds": ["https://chinadigitaltimes.net/chinese/feed/"], "body": "page", "selector": "div.post-content", "category": "[\u2600-\u27bf]", "interval": 1800, "hosts": [], "allow_private": True}  # the fixture archive allows 127.0.0.1
    assert "法广" in nv(root, "source", "ls").output
    assert "selector" in (root / "newsvault.toml").read_text(encoding="utf-8")
    r = nv(root, "source", "rm", "rfi")
    assert r.exit_code == 0 and [s["slug"] for s in json.loads(nv(root, "source", "ls", "--json").output)] == ["cdt"]


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["source", "add", "x", "ftp://e.org/feed"], 2, "not an http(s):// or file:// URL"),
        (["source", "add", "x", "https://e.org/feed", "--selector", "div["], 2, "invalid CSS selector"),
        (["source", "add", "x", "https://e.org/feed", "--category", "(["], 2, "invalid category regex"),
        (["source", "add", "Bad Slug", "https://e.org/feed"], 2, "not a valid slug"),
        (["source", "add", "x", "https://e.org/feed", "--interval", "5"], 2, "5 is not in the range 60<=x<=604800"),
        (["source", "rm", "nope"], 1, "no source 'nope'"),
        (["collect"], 2, "follows no sources yet"),
    ],
)
def test_usage_errors(root, args, code, message):
    r = nv(root, *args)
    assert r.exit_code == code and message in r.output, r.output


def test_duplicate_slug_is_refused(root):
    nv(root, "source", "add", "x", "https://e.org/a")
    r = nv(root, "source", "add", "x", "https://e.org/b")
    assert r.exit_code == 1 and "exists already" in r.output


def test_opml_round_trip(root, tmp_path):
    nv(root, "source", "add", "rfi", "https://www.rfi.fr/cn/rss", "--name", "法广")
    nv(root, "source", "add", "cdt", "https://chinadigitaltimes.net/chinese/feed/", "https://chinadigitaltimes.net/chinese/feed2/", "--selector", "div.post-content", "--category", "[\u2600-\u27bf]")
    out = tmp_path / "sources.opml"
    assert nv(root, "source", "export-opml", "-o", str(out)).exit_code == 0
    other = tmp_path / "other"
    nv(tmp_path, "init", "--no-media", str(other))
    allow_private(other)  # as the fixture's archive, so that the two listings compare equal
    r = nv(other, "source", "import-opml", str(out))
    assert r.exit_code == 0 and "added 2 sources: rfi, cdt" in r.output
    assert json.loads(nv(other, "source", "ls", "--json").output) == json.loads(nv(root, "source", "ls", "--json").output)
    r = nv(other, "source", "import-opml", str(out))
    assert "added 0 sources" in r.output and "skipped 2 existing: rfi, cdt" in r.output


def test_opml_from_another_reader_and_bad_opml(root, tmp_path):
    f = tmp_path / "reader.opml"
    f.write_text('<opml version="1.0"><body><outline text="News"><outline text="BBC 中文" xmlUrl="https://feeds.bbci.co.uk/zhongwen/simp/rss.xml"/></outline></body></opml>', encoding="utf-8")
    assert nv(root, "source", "import-opml", str(f)).exit_code == 0
    assert json.loads(nv(root, "source", "ls", "--json").output)[0]["slug"] == "bbc-中文"
    f.write_text("<html>not opml</html>")
    r = nv(root, "source", "import-opml", str(f))
    assert r.exit_code == 1 and "not an OPML document" in r.output


def test_collect_exit_codes_and_json(root, srv, recs):
    srv.static("/good.xml", rss20([Item.of(r) for r in recs[:3]]))
    srv.sequence("/bad.xml", [Reply(500, b"")])
    nv(root, "source", "add", "good", srv.url("/good.xml"))
    nv(root, "source", "add", "bad", srv.url("/bad.xml"))
    r = nv(root, "collect", "--json", "--timeout", "1", "--retries", "0")
    assert r.exit_code == 3
    data = json.loads(r.output)
    assert data["ok"] is False and data["totals"]["new"] == 3 and data["totals"]["failed"] == 1
    bad = data["sources"][1]
    assert bad["source"] == "bad" and not bad["ok"] and "HTTP 500" in bad["reason"]
    r = nv(root, "collect", "--source", "good")
    assert r.exit_code == 0 and "good  0 new, 0 revised, 0 unchanged (1 feed not modified)" in r.output
    r = nv(root, "collect", "--source", "nope")
    assert r.exit_code == 1 and "no source 'nope'" in r.output
    r = nv(root, "collect", "--timeout", "0")
    assert r.exit_code == 2


def test_collect_commit_once_then_no_commit(repo, srv, recs):
    srv.static("/a.xml", rss20([Item.of(r) for r in recs[:3]]))
    srv.static("/b.xml", rss20([Item.of(recs[3])]))
    nv(repo, "source", "add", "rfi", srv.url("/a.xml"))
    nv(repo, "source", "add", "bbc", srv.url("/b.xml"))
    git(repo, "commit", "-qam", "sources")
    r = nv(repo, "collect", "--commit")
    assert r.exit_code == 0, r.output
    assert git(repo, "log", "-1", "--format=%s") == "rfi +3, bbc +1"
    files = [f for f in git(repo, "show", "--name-only", "--format=", "HEAD").splitlines() if f.startswith("articles/")]
    assert len(files) == 4  # and the lists and README they change, in the same commit
    assert git(repo, "status", "--porcelain") == ""  # nothing half-written or left out
    head = git(repo, "rev-parse", "HEAD")
    # second pass over unchanged feeds: nothing archived, no file changed, no commit
    before = snapshot(repo)
    r = nv(repo, "collect", "--commit")
    assert r.exit_code == 0 and "nothing new to commit" in r.output
    assert git(repo, "rev-parse", "HEAD") == head and snapshot(repo) == before
    # an edit and a new article: one commit summing up both
    r0 = recs[0]
    srv.static("/a.xml", rss20([Item(r0.title, r0.url, r0.body + "<p>补充</p>", r0.published)] + [Item.of(r) for r in recs[1:3]]))
    srv.static("/b.xml", rss20([Item.of(recs[3]), Item.of(recs[4])]))
    r = nv(repo, "collect", "--commit")
    assert git(repo, "log", "-1", "--format=%s") == "rfi (1 revised), bbc +1"
    assert git(repo, "rev-list", "--count", "HEAD") == "4"


def test_commit_outside_git_fails_before_fetching(root, srv, recs):
    srv.static("/a.xml", rss20([Item.of(recs[0])]))
    nv(root, "source", "add", "a", srv.url("/a.xml"))
    r = nv(root, "collect", "--commit")
    assert r.exit_code == 1 and "not a git repository" in r.output
    assert srv.hits["/a.xml"] == 0


def test_push_to_a_remote(repo, srv, recs, tmp_path):
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "-u", "origin", "HEAD")
    srv.static("/a.xml", rss20([Item.of(recs[0])]))
    nv(repo, "source", "add", "a", srv.url("/a.xml"))
    r = nv(repo, "collect", "--commit", "--push")
    assert r.exit_code == 0 and "pushed" in r.output
    assert subprocess.run(["git", "-C", str(remote), "log", "-1", "--format=%s"], capture_output=True, text=True).stdout.strip() == "a +1"


def test_init_github_actions_writes_the_workflow(tmp_path):
    r = nv(tmp_path, "init", "--no-media", str(tmp_path / "a"), "--github-actions", "--install", "git+https://example.org/me/newsvault@v0.1.0", "--default-sources")
    assert r.exit_code == 0 and "wrote .github/workflows/collect.yml" in r.output
    text = (tmp_path / "a" / ".github" / "workflows" / "collect.yml").read_text()
    assert "cron:" in text and "newsvault collect --commit --push" in text and "pip install git+https://example.org/me/newsvault@v0.1.0" in text


def test_demo_sources_collect_offline(tmp_path):
    arch = tmp_path / "demo"
    nv(tmp_path, "init", "--no-media", str(arch))
    from newsvault.archive import Archive
    from newsvault.collect import collect

    a = Archive.open(arch)
    report = collect(a, demo_sources(tmp_path / "feeds"))
    assert report.ok and [(s.slug, s.new, s.skipped) for s in report.sources] == [("rfi", 4, 0), ("yeeyan", 4, 0), ("cdt", 2, 1)]
    # editing a copied feed shows a revision
    feed = tmp_path / "feeds" / "rfi.xml"
    feed.write_text(feed.read_text(encoding="utf-8").replace("布林肯呼吁七国集团", "布林肯再次呼吁七国集团", 1), encoding="utf-8")
    again = collect(a, demo_sources(tmp_path / "feeds"))
    assert again.sources[0].revised == 1 and again.sources[1].not_modified == 1
    a.close()


def test_watch_stops_cleanly_on_sigterm(root, srv, recs):
    srv.static("/a.xml", rss20([Item.of(r) for r in recs[:3]]))
    nv(root, "source", "add", "a", srv.url("/a.xml"), "--interval", "60")
    first, out, err, code = watch_first_pass(root)
    assert "3 new" in first.splitlines()[-1], first
    assert code == 0, err
    assert "stopped after 1 pass" in out
    from newsvault.archive import Archive

    with Archive.open(root) as a:
        assert a.catalog.count_articles() == 3
    assert not list(root.rglob(".nv-*"))


def test_every_generated_workflow_uses_actions_on_a_supported_runtime():
    """checkout@v4, setup-python@v5, cache@v4, upload-pages-artifact@v3 and deploy-pages@v4 run on
    the deprecated node20; every workflow newsvault writes names a release past them."""
    import re

    from newsvault.collect.save_workflow import render_save_workflow
    from newsvault.collect.workflow import render_workflow

    oldest = {"actions/checkout": 5, "actions/setup-python": 6, "actions/cache": 5, "actions/upload-pages-artifact": 4, "actions/deploy-pages": 5}
    texts = [render_workflow("newsvault", pages=True), render_save_workflow("newsvault")]
    used = [(name, int(major)) for text in texts for name, major in re.findall(r"uses:\s*([\w-]+/[\w-]+)@v(\d+)", text)]
    assert {name for name, _ in used} >= {"actions/checkout", "actions/setup-python"}
    assert [(name, major) for name, major in used if major < oldest.get(name, 0)] == []
