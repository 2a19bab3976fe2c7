"""Every version kept and every change shown: replaying corpus/cdt-history oldest first."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict

import pytest

from newsvault.archive import Archive
from newsvault.importer import import_paths
from newsvault.preserve.diff import diff_text, render_diff, tokenize
from newsvault.preserve.history import article_history
from newsvault.record import Record, parse
from newsvault.urls import canonical_url
from preserve_helpers import REPO, history_files, history_rounds


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "newsvault", *args], capture_output=True, text=True, env=env, timeout=120)


def _expected_by_url() -> dict[str, list[tuple[int, str, bytes]]]:
    """Canonical URL -> the corpus versions in time order, consecutive same-text ones collapsed."""
    by_url: dict[str, list[tuple[int, str, bytes]]] = defaultdict(list)
    for f in history_files():
        data = f.read_bytes()
        rec = parse(data)
        versions = by_url[canonical_url(rec.url)]
        if not versions or versions[-1][1] != rec.text_hash:
            versions.append((int(f.stem), rec.text_hash, data))
    return by_url


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """The history replayed with the real CLI, one `newsvault import` per round."""
    root = tmp_path_factory.mktemp("replay") / "archive"
    assert _cli("init", "--no-media", str(root)).returncode == 0
    totals: dict[str, int] = defaultdict(int)
    for files in history_rounds():
        proc = _cli("-C", str(root), "import", "--json", *map(str, files))
        assert proc.returncode == 0, proc.stderr
        for k, v in json.loads(proc.stdout).items():
            if isinstance(v, int):
                totals[k] += v
    archive = Archive.open(root)
    yield archive, totals
    archive.close()


def test_replay_keeps_every_version(replayed):
    archive, totals = replayed
    files = history_files()
    assert len(files) == 184
    # Every file accounted for: 89 articles (two folders are one article, re-posted under a new
    # id with identical bytes), 94 changes, and that one byte-identical re-sighting.
    assert totals["seen"] == 184
    assert (totals["imported"], totals["revisions"], totals["unchanged"], totals["rejected"]) == (89, 94, 1, 0)
    paths = list(archive.catalog.paths())
    # Every dated sighting is a file named by its time (the three reverted edits A, B, A and the
    # re-sighting too), plus each article's record under articles/: its first text.
    assert len([p for p in paths if p.startswith("revisions/")]) == 184
    assert len([p for p in paths if p.startswith("articles/")]) == 89
    stored = {archive.catalog.version_at(p).file_hash for p in paths}
    import hashlib

    for f in files:  # the bytes of every one of the 184 files are in the archive
        assert hashlib.sha256(f.read_bytes()).hexdigest() in stored, f


def test_history_lists_versions_in_order_and_94_diffs(replayed):
    archive, _ = replayed
    expected = _expected_by_url()
    articles = archive.catalog.list_articles()
    assert len(articles) == len(expected) == 89
    diffs = 0
    for article in articles:
        h = article_history(archive, article)
        want = expected[article.canonical_url]
        assert [v.content_hash for v in h.versions] == [w[1] for w in want]
        assert [v.rev for v in h.versions] == list(range(len(want)))
        # Revisions carry the time they were seen (the file name), in increasing order.
        assert [v.seen // 1000 for v in h.versions] == [w[0] for w in want]
        assert article.path.startswith("articles/cdt/")
        for c in h.changes:
            assert c.new.rev == c.old.rev + 1
            assert any(s.op != "equal" for s in c.segments)
            assert c.inserted + c.deleted > 0
        diffs += len(h.changes)
    assert diffs == 94


def test_in_process_replay_file_by_file_matches_cli(replayed, tmp_path):
    cli_archive, _ = replayed
    archive = Archive.init(tmp_path / "a")
    for f in history_files():
        import_paths(archive, [f])
    assert sorted(archive.catalog.paths()) == sorted(cli_archive.catalog.paths())
    # Replaying again is a no-op: nothing new, nothing lost.
    again = import_paths(archive, history_files())
    assert (again.imported, again.revisions, again.unchanged) == (0, 0, 184)
    archive.close()


def test_history_cli_plain_and_json(replayed):
    archive, _ = replayed
    article = next(a for a in archive.catalog.list_articles() if a.versions == 3)
    proc = _cli("-C", str(archive.root), "history", article.id)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.splitlines()[0] == article.title
    for v in archive.catalog.versions(article.id):
        assert v.path in out
    assert out.count("── v") == 2 and "v0 → v1" in out and "v1 → v2" in out
    assert "[-" in out or "{+" in out
    assert "\x1b[" not in out  # no colour codes when not a terminal
    proc = _cli("-C", str(archive.root), "history", "--json", article.url)
    data = json.loads(proc.stdout)
    assert data["id"] == article.id and len(data["versions"]) == 3 and len(data["changes"]) == 2
    # The JSON diff is lossless: equal+delete rebuilds the old text, equal+insert the new one.
    from newsvault.text import html_to_text

    c = data["changes"][0]
    if not c["markup_only"]:
        old = "".join(s["text"] for s in c["diff"] if s["op"] != "insert")
        new = "".join(s["text"] for s in c["diff"] if s["op"] != "delete")
        norm = lambda t: [p.strip() for p in t.split("\n") if p.strip()]  # noqa: E731
        assert norm(old) == norm(html_to_text(archive.read(data["versions"][0]["path"]).body))
        assert norm(new) == norm(html_to_text(archive.read(data["versions"][1]["path"]).body))


def test_history_errors_are_one_line(replayed):
    archive, _ = replayed
    proc = _cli("-C", str(archive.root), "history", "ffffffffffff")
    assert proc.returncode == 1 and proc.stderr.startswith("newsvault: error: no article") and "Traceback" not in proc.stderr


def test_word_level_chinese_diff():
    assert tokenize("今天天气很好, COVID-19 test") == ["今", "天", "天", "气", "很", "好", ",", " ", "COVID-19", " ", "test"]
    segs = diff_text("今天天气很好。\n第二段不变。", "今天天气不好。\n第二段不变。")
    assert render_diff(segs, context=0) == "今天天气[-很-]{+不+}好。\n⋯ 1 unchanged paragraph"
    segs = diff_text("the quick brown fox", "the slow brown fox")
    assert render_diff(segs) == "the [-quick-]{+slow+} brown fox"
    segs = diff_text("第一段。\n第二段。", "第一段。\n新增的一段。\n第二段。")
    assert render_diff(segs, context=0) == "⋯ 1 unchanged paragraph\n{+新增的一段。+}\n⋯ 1 unchanged paragraph"


def test_revert_is_kept_and_rerun_is_noop(archive):
    url = "https://example.org/a"
    a, b = Record("t", url, 1_600_000_000_000, "<p>甲</p>"), Record("t", url, 1_600_000_000_000, "<p>乙</p>")
    seq = [(a, 1_600_000_100_000), (b, 1_600_000_200_000), (a, 1_600_000_300_000)]
    assert [archive.add(r, "x", seen=s).status for r, s in seq] == ["new", "revision", "revision"]
    assert [archive.add(r, "x", seen=s).status for r, s in seq] == ["unchanged"] * 3
    assert archive.add(a, "x").status == "unchanged"  # same as the current version
    h = article_history(archive, archive.catalog.list_articles()[0])
    assert len(h.versions) == 3 and len(h.changes) == 2
    assert render_diff(h.changes[1].segments) == "{+甲+}[-乙-]" or render_diff(h.changes[1].segments) == "[-乙-]{+甲+}"


def test_history_colours_on_a_terminal(replayed):
    import os
    import pty  # noqa: F401  (POSIX only, like the rest of the suite)

    archive, _ = replayed
    article = next(a for a in archive.catalog.list_articles() if a.versions == 3)
    master, slave = os.openpty()
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin", "TERM": "xterm", "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "newsvault", "-C", str(archive.root), "history", article.id],
                            stdout=slave, stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(60) == 0
    text = out.decode("utf-8", "replace")
    assert "\x1b[" in text and "[-" not in text and "{+" not in text  # colour instead of marks
