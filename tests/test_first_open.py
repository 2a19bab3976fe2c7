"""The first command of any kind in a repository another archiver wrote, and reads after a pull
in one opened in place (compose.open_archive; docs/continuing.md)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import run_cli
from test_githistory import T0, commit, git, overwritten_repo


def test_the_first_fsck_in_a_renamed_clone_builds_the_catalog_and_names_the_source_from_the_records(tmp_path: Path) -> None:
    repo = overwritten_repo(tmp_path / "cdt-renamed")  # the folder's name is not the source
    r = run_cli("-C", str(repo), "fsck")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "built the catalog" in r.stdout and "clean" in r.stdout
    assert "newsvault open" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "/.newsvault/" in (repo / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert 'default_source = "cdt"' in (repo / "newsvault.toml").read_text(encoding="utf-8")
    ls = run_cli("-C", str(repo), "ls", "--json", check=True)
    assert '"source": "cdt"' in ls.stdout and "cdt-renamed" not in ls.stdout
    assert git(repo, "status", "--porcelain", "--", "articles") == ""  # no record file touched
    assert set(git(repo, "status", "--porcelain").split()) == {"??", ".gitignore", "newsvault.toml"}


def test_a_pull_into_a_repository_opened_in_place_brings_its_earlier_texts(tmp_path: Path) -> None:
    upstream = overwritten_repo(tmp_path / "upstream")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(upstream), str(clone)], check=True)
    run_cli("-C", str(clone), "open", check=True)
    before = run_cli("-C", str(clone), "history", "--json", "articles/1000_标题.md")
    # The original archiver goes on overwriting the file upstream; the clone only pulls.
    commit(upstream, {"articles/1000_标题.md": (upstream / "articles/1000_标题.md").read_text(encoding="utf-8").replace("第三版", "第四版")}, T0 + 10800)
    git(clone, "pull", "-q", "--ff-only")
    r = run_cli("-C", str(clone), "history", "--json", "articles/1000_标题.md")
    assert r.returncode == 0, r.stderr
    assert "第四版" not in before.stdout and r.stdout.count('"rev"') == before.stdout.count('"rev"') + 1, (before.stdout, r.stdout)
    fsck = run_cli("-C", str(clone), "fsck")
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def test_a_collect_before_open_names_its_records_like_their_neighbours_and_leaves_the_history_to_open(tmp_path: Path, corpus: Path, srv) -> None:
    from collect_helpers import allow_private
    from newsvault.config import Config
    from test_githistory import cdt_feed, cdt_page, cdt_repo

    repo = cdt_repo(tmp_path, corpus)
    srv.static("/a.html", cdt_page("有编号的文章"), content_type="text/html; charset=utf-8")
    srv.static("/feed/", cdt_feed([("有编号的文章", srv.url("/a.html"), "https://chinadigitaltimes.net/chinese/?p=700123")]))
    # the first command is not `open`: it records the layout, not the history
    first = run_cli("-C", str(repo), "source", "add", "cdt", srv.url("/feed/"), "--selector", "div.post-content")
    assert first.returncode == 0, first.stderr
    assert "recorded its layout" in first.stderr and "newsvault open" in first.stderr
    layout = Config.load(repo / "newsvault.toml").layout
    assert layout is not None and (layout.folders, layout.names, layout.opened) == ("flat", "post-id", False)
    allow_private(repo)
    before = {p.name: p.read_bytes() for p in (repo / "articles").iterdir()}
    run_cli("-C", str(repo), "collect", check=True)
    new = sorted(set(p.name for p in (repo / "articles").iterdir()) - set(before))
    assert new == [f"{0xFFFFF ^ 700123}_有编号的文章.md"]  # like its neighbours, not newsvault's own name
    assert {n: (repo / "articles" / n).read_bytes() for n in before} == before
    assert not (repo / "revisions").exists()  # no history read yet
    run_cli("-C", str(repo), "open", check=True)
    layout = Config.load(repo / "newsvault.toml").layout
    assert layout is not None and layout.opened and "opened" not in (repo / "newsvault.toml").read_text(encoding="utf-8")
