"""git around a collect pass: which remotes, pushing past other collectors, one version per text
however many collectors saw it, and a cached catalog brought up to a pulled HEAD."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from collect_helpers import Item, rss20
from conftest import run_cli
from newsvault.collect.gitops import GitError, pick_remotes, push_all
from newsvault.config import Config
from newsvault.errors import ConfigError
from test_hourly import FILLER, bare, git, identity, item, records, seed, two_clones


def load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "newsvault.toml"
    path.write_text(text, encoding="utf-8")
    return Config.load(path)


def test_git_remotes_key_is_validated_and_round_trips(tmp_path):
    assert load(tmp_path, "").git_remotes is None
    config = load(tmp_path, '[git]\nremotes = ["origin", "mirror"]\n')
    assert config.git_remotes == ["origin", "mirror"]
    assert load(tmp_path, config.dump()).git_remotes == ["origin", "mirror"]
    for text, message in [
        ('[git]\nremotes = "origin"\n', "git.remotes: expected a list of git remote names, got 'origin'"),
        ("[git]\nremotes = []\n", "git.remotes: expected at least one remote name"),
        ('[git]\nremotes = ["a b"]\n', "git.remotes: 'a b' is not a git remote name"),
        ('[git]\nremotes = ["o", "o"]\n', "git.remotes: a remote is named twice"),
        ('[git]\nremote = ["o"]\n', "git.remote: unknown key (did you mean 'remotes'?)"),
        ('git = 1\n', "git: expected a table ([git])"),
    ]:
        with pytest.raises(ConfigError) as e:
            load(tmp_path, text)
        assert message in str(e.value), text


def test_pick_remotes_all_by_default_or_as_configured(tmp_path):
    repo = tmp_path / "r"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    with pytest.raises(GitError, match="no remote to push to"):
        pick_remotes(repo, None)
    git(repo, "remote", "add", "origin", str(tmp_path / "o.git"))
    git(repo, "remote", "add", "mirror", str(tmp_path / "m.git"))
    assert sorted(pick_remotes(repo, None)) == ["mirror", "origin"]
    assert pick_remotes(repo, ["mirror"]) == ["mirror"]
    with pytest.raises(GitError, match="names backup, which git does not know"):
        pick_remotes(repo, ["origin", "backup"])


def test_a_failing_remote_does_not_stop_the_others(tmp_path):
    repo = tmp_path / "r"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    identity(repo, "t")
    (repo / "f").write_text("x")
    git(repo, "add", "f")
    git(repo, "commit", "-qm", "one")
    git(repo, "remote", "add", "gone", str(tmp_path / "missing.git"))
    git(repo, "remote", "add", "origin", str(bare(tmp_path / "o.git")))
    results = push_all(repo, ["gone", "origin"], replay=lambda ref: None)
    assert [(r.remote, r.ok) for r in results] == [("gone", False), ("origin", True)]
    assert "missing.git" in results[0].detail and "\n" not in results[0].detail
    assert git(tmp_path / "o.git", "log", "--format=%s", "main") == "one"


@pytest.mark.parametrize("first", [0, 1], ids=["earlier-pushes-first", "later-pushes-first"])
def test_same_edit_seen_by_two_collectors_is_one_revision(tmp_path, srv, first):
    srv.static("/feed.xml", rss20([item(1)]))
    remote, _ = seed(tmp_path, {"rfi": srv.url("/feed.xml")})
    clones = []
    for n in range(2):
        c = tmp_path / f"c{n}"
        subprocess.run(["git", "clone", "-q", str(remote), str(c)], check=True)
        identity(c, f"c{n}")
        clones.append(c)
    run_cli("-C", str(clones[0]), "collect", "--commit", "--push", check=True)
    git(clones[1], "pull", "-q", "origin", "main")
    srv.static("/feed.xml", rss20([item(1, "改过的正文。")]))
    for c in clones:  # the same edit, seen a second or more apart (revision names are seconds)
        run_cli("-C", str(c), "collect", "--commit", check=True)
        time.sleep(1.1)
    earliest = records(clones[0])[-1]
    assert earliest.startswith("revisions/") and records(clones[1])[-1] != earliest
    run_cli("-C", str(clones[first]), "collect", "--push", check=True)
    r = run_cli("-C", str(clones[1 - first]), "collect", "--push", check=True)
    assert "origin: pushed after 1 replay" in r.stdout or "origin: up to date" in r.stdout
    git(clones[first], "pull", "-q", "origin", "main")
    assert records(clones[0]) == records(clones[1])
    revisions = [f for f in records(clones[0]) if f.startswith("revisions/")]
    assert revisions == [earliest]  # one revision, named by the earliest sighting


def test_a_cached_catalog_catches_up_with_a_pull(tmp_path, srv):
    """A catalog cached before a pull (a CI cache, a hand-made 'git pull') must learn the pulled
    records before the pass, or an article already archived elsewhere would be archived again."""
    a, b = two_clones(tmp_path, srv)
    srv.static("/feed.xml", rss20([item(7)]))
    run_cli("-C", str(b), "collect", "--commit", "--push", check=True)  # b's catalog is built (and cached)
    srv.static("/feed.xml", rss20([item(1)]))
    run_cli("-C", str(a), "collect", "--commit", "--push", check=True)
    git(b, "pull", "-q", "--ff-only", "origin", "main")
    srv.static("/feed.xml", rss20([Item("第1篇报道", "http://127.0.0.1:9/a/1", "<p>另一种正文。</p>" + FILLER, item(1).published)]))
    r = run_cli("-C", str(b), "collect", "--commit", check=True)
    assert "0 new, 1 revised" in r.stdout
    assert sum(f.startswith("articles/") for f in records(b)) == 2  # articles 1 and 7, once each


def test_a_push_to_a_remote_with_its_own_first_commit_keeps_the_archives_files(tmp_path, srv):
    """A hosting site's "initialize with a README": the remote's branch shares no history with
    the archive. The replay must not drop newsvault.toml or .gitignore, which the remote never
    had, and the next pass must still follow the archive's sources."""
    srv.static("/feed.xml", rss20([item(1)]))
    remote = bare(tmp_path / "remote.git")
    other = tmp_path / "hosted"
    subprocess.run(["git", "clone", "-q", str(remote), str(other)], check=True, capture_output=True)
    identity(other, "host")
    (other / "README.md").write_text("# my archive\n")
    git(other, "checkout", "-q", "-b", "main")
    git(other, "add", "README.md")
    git(other, "commit", "-qm", "Initial commit")
    git(other, "push", "-q", "origin", "main")
    _, work = seed(tmp_path / "local", {"rfi": srv.url("/feed.xml")})  # pushed to its own remote
    git(work, "remote", "set-url", "origin", str(remote))
    tracked_before = set(git(work, "ls-files").splitlines())
    assert {"newsvault.toml", ".gitignore"} <= tracked_before
    r = run_cli("-C", str(work), "collect", "--commit", "--push", check=True)
    assert "origin: pushed after 1 replay" in r.stdout
    pushed = set(git(remote, "ls-tree", "-r", "--name-only", "main").splitlines())
    assert tracked_before - {"README.md"} <= pushed and "README.md" in pushed
    assert set(git(work, "ls-files").splitlines()) == pushed
    assert (work / "newsvault.toml").read_text() == git(remote, "show", "main:newsvault.toml") + "\n"
    assert any(f.startswith("articles/") for f in pushed)
    srv.static("/feed.xml", rss20([item(1), item(2)]))
    r = run_cli("-C", str(work), "collect", "--commit", check=True)
    assert "1 new" in r.stdout
