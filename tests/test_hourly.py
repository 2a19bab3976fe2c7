"""The hourly job end to end: the generated workflow's own steps, and many collectors pushing
to one archive (plus a mirror) through git with no human in between."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from collect_helpers import Item, allow_private, rss20
from conftest import REPO, run_cli
from newsvault import __version__

HOUR = 3600 * 1000
T0 = 1_700_000_000_000  # 2023-11-14
# Long enough not to be taken for a teaser (whose page would be fetched); links point at a closed
# loopback port all the same, so that nothing ever leaves this machine.
FILLER = "<p>" + "记者从现场发回的报道称，当地局势仍在发展之中，更多细节有待核实。" * 8 + "</p>"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "core.quotePath=false", *args], check=True, capture_output=True, text=True).stdout.strip()


def item(n: int, body: str | None = None) -> Item:
    return Item(f"第{n}篇报道", f"http://127.0.0.1:9/a/{n}", f"<p>{body or f'第{n}篇报道的正文。'}</p>" + FILLER, T0 + n * HOUR)


def bare(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    return path


def identity(root: Path, name: str) -> None:
    git(root, "config", "user.name", name)
    git(root, "config", "user.email", f"{name}@example.org")


@pytest.fixture
def shim(tmp_path) -> dict[str, str]:
    """An environment whose ``newsvault`` on PATH runs this checkout's code (as the workflow's
    install step would have installed it)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "newsvault"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m newsvault "$@"\n')
    exe.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(REPO / "src")}


def seed(tmp_path: Path, feeds: dict[str, str], *extra_init: str) -> tuple[Path, Path]:
    """An archive following ``feeds`` (slug → URL), committed and pushed to a new bare remote."""
    remote = bare(tmp_path / "remote.git")
    work = tmp_path / "seed"
    run_cli("init", "--no-media", str(work), "--git", *extra_init, check=True)
    allow_private(work)
    for slug, url in feeds.items():
        run_cli("-C", str(work), "source", "add", slug, url, "--name", f"{slug}台", check=True)
    identity(work, "seed")
    git(work, "checkout", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "archive")
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "-q", "origin", "main")
    return remote, work


def two_clones(tmp_path: Path, srv) -> tuple[Path, Path]:
    """Clones ``a`` and ``b`` (each with its own git identity) of an archive following an
    empty loopback feed."""
    srv.static("/feed.xml", rss20([]))
    remote, _ = seed(tmp_path, {"rfi": srv.url("/feed.xml")})
    a, b = tmp_path / "a", tmp_path / "b"
    for c in (a, b):
        subprocess.run(["git", "clone", "-q", str(remote), str(c)], check=True)
        identity(c, c.name)
    return a, b


# ---------------------------------------------------------------------------------------------
# The workflow, step by step
# ---------------------------------------------------------------------------------------------


def run_steps(workflow: dict, clone: Path, env: dict[str, str]) -> list[str]:
    """Run the collect job's ``run:`` steps as written, in ``clone``; return the names run."""
    ran = []
    for step in workflow["jobs"]["collect"]["steps"]:
        if "run" not in step:
            continue  # actions (checkout, setup-python, cache): done by the test itself
        if "pip install" in step["run"]:
            continue  # skipped here: newsvault is installed already (this checkout, via PATH)
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=clone, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{step.get('name')}: {done.stdout}\n{done.stderr}"
        ran.append(step.get("name", step["run"]))
    return ran


def test_workflow_steps_run_an_hourly_pass(tmp_path, srv, shim):
    srv.static("/rfi.xml", rss20([item(1), item(2)]))
    remote, work = seed(tmp_path, {"rfi": srv.url("/rfi.xml")}, "--github-actions", "--install", "git+https://example.org/me/newsvault@v0.1.0")
    workflow = yaml.safe_load((work / ".github/workflows/collect.yml").read_text())
    cache: Path | None = None

    def hour(n: int) -> Path:
        """A fresh runner: clone (actions/checkout), restore the cache, run the steps, save it."""
        nonlocal cache
        clone = tmp_path / f"run{n}"
        subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
        if cache is not None:
            shutil.copytree(cache, clone / ".newsvault")
        ran = run_steps(workflow, clone, shim)
        assert ran == ["git identity", "collect, update lists, commit, push", "keep the captures on the evidence branch"]
        cache = tmp_path / f"cache{n}"
        shutil.copytree(clone / ".newsvault", cache)
        return clone

    def remote_log() -> list[str]:
        return git(remote, "log", "--format=%s", "main").splitlines()

    hour(1)
    assert remote_log() == ["rfi +2", "archive"]
    files = git(remote, "show", "--name-only", "--format=", "main").splitlines()
    assert "lists/rfi台.md" in files and "README.md" in files and sum(f.startswith("articles/rfi/") for f in files) == 2

    srv.static("/rfi.xml", rss20([item(1), item(2), item(3)]))
    clone = hour(2)
    assert remote_log() == ["rfi +1", "rfi +2", "archive"]  # one commit per pass
    listing = (clone / "lists/rfi台.md").read_text()
    assert listing.index("第3篇报道") < listing.index("第2篇报道") < listing.index("第1篇报道")
    readme = (clone / "README.md").read_text()
    assert "[rfi台](lists/rfi%E5%8F%B0.md)" in readme

    hour(3)  # nothing new: nothing committed
    assert remote_log() == ["rfi +1", "rfi +2", "archive"]

    # the evidence survives the runners: every pass's WARC files are on the 'evidence' branch,
    # and each manifest on main names files found there
    kept = set(git(remote, "ls-tree", "-r", "--name-only", "evidence").splitlines())
    assert len(kept) == 3 and all(k.startswith("warc/") and k.endswith(".warc.gz") for k in kept)
    manifests = [p for p in git(remote, "ls-tree", "-r", "--name-only", "main").splitlines() if p.startswith("manifests/") and p.endswith(".jsonl")]
    assert len(manifests) == 2  # hour 3 wrote nothing, so no manifest
    for m in manifests:
        lines = git(remote, "show", f"main:{m}").splitlines()[1:]
        assert {json.loads(line)["warc"] for line in lines} <= kept


def test_with_digest_hourly_the_workflow_commits_the_days_digest(tmp_path, srv, shim):
    import time
    from datetime import datetime
    from zoneinfo import ZoneInfo

    published = int(time.time() * 1000) - 60_000  # the digest lists the day's articles: published a minute ago
    day = datetime.fromtimestamp(published / 1000, ZoneInfo("Asia/Shanghai")).date().isoformat()
    srv.static("/rfi.xml", rss20([Item(f"第{n}篇报道", f"http://127.0.0.1:9/a/{n}", f"<p>第{n}篇报道的正文。</p>" + FILLER, published) for n in (1, 2)]))
    remote, work = seed(tmp_path, {"rfi": srv.url("/rfi.xml")}, "--github-actions", "--install", "git+https://example.org/me/newsvault@v0.1.0")
    with open(work / "newsvault.toml", "a", encoding="utf-8") as f:
        f.write("\n[digest]\nhourly = true\n")
    git(work, "commit", "-qam", "digest hourly")
    git(work, "push", "-q", "origin", "main")
    workflow = yaml.safe_load((work / ".github/workflows/collect.yml").read_text())
    clone = tmp_path / "run"
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
    run_steps(workflow, clone, shim)
    files = git(remote, "show", "--name-only", "--format=", "main").splitlines()
    assert {f"site/digest/{day}.html", f"site/digest/{day}.epub", "site/digest/index.xml"} <= set(files)
    assert sum(f.startswith("articles/rfi/") for f in files) == 2  # one commit: records and digest
    page = git(remote, "show", f"main:site/digest/{day}.html")
    assert "第1篇报道" in page and "第2篇报道" in page
    assert day in git(remote, "show", "main:site/digest/index.xml")


def test_generated_workflows_follow_githubs_schema(tmp_path):
    checker = shutil.which("check-jsonschema")
    assert checker, "check-jsonschema is a test dependency (pip install -e '.[test]')"
    for n, extra in enumerate([[], ["--pages"]]):
        target = tmp_path / f"a{n}"
        run_cli("init", "--no-media", str(target), "--github-actions", "--install", "git+https://example.org/me/newsvault@v0.1.0", *extra, check=True)
        path = target / ".github/workflows/collect.yml"
        done = subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        flow = yaml.safe_load(path.read_text())
        uses = [s.get("uses", "") for job in flow["jobs"].values() for s in job["steps"]]
        assert any(u.startswith("actions/deploy-pages@") for u in uses) == bool(extra)
        assert "pip install git+https://example.org/me/newsvault@v0.1.0" in path.read_text()


def test_init_refuses_a_workflow_without_an_install_source(tmp_path):
    r = run_cli("init", "--no-media", str(tmp_path / "a"), "--github-actions")
    assert r.returncode == 2 and f"--install 'git+https://github.com/OWNER/newsvault@v{__version__}'" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "a").exists()
    r = run_cli("init", "--no-media", str(tmp_path / "b"), "--github-actions", "--install", "x\ny")
    assert r.returncode == 1 and "one pip requirement or URL" in r.stderr


# ---------------------------------------------------------------------------------------------
# Three collectors, one archive, a mirror that is down for a pass
# ---------------------------------------------------------------------------------------------


def collect(clone: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli("-C", str(clone), "collect", "--commit", *args)


def records(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for top in ("articles", "revisions") for p in (root / top).rglob("*.md"))


def test_three_collectors_push_concurrently_to_one_archive_and_a_mirror(tmp_path, srv):
    srv.static("/feed.xml", rss20([]))
    remote, _ = seed(tmp_path, {"rfi": srv.url("/feed.xml")})
    mirror = bare(tmp_path / "mirror.git")
    clones = []
    for n in range(3):
        c = tmp_path / f"c{n}"
        subprocess.run(["git", "clone", "-q", str(remote), str(c)], check=True)
        identity(c, f"collector{n}")
        git(c, "remote", "add", "mirror", str(mirror))
        clones.append(c)

    # Each collector sees the feed at a different moment: overlapping articles, and article 9
    # with two different texts (the second collector to push keeps it as a revision).
    seen_by = [
        [item(1), item(2), item(9, "第一种说法。")],
        [item(2), item(3)],
        [item(3), item(4), item(9, "第二种说法，改过了。")],
    ]
    for c, items in zip(clones, seen_by, strict=True):
        srv.static("/feed.xml", rss20(items))
        assert collect(c).returncode == 0

    # The mirror is down for this pass; all three push at once.
    shutil.move(mirror, tmp_path / "mirror-away.git")
    srv.static("/feed.xml", rss20([item(5)]))  # a new article every collector sees identically
    results: dict[int, subprocess.CompletedProcess] = {}

    def run(n: int) -> None:
        results[n] = collect(clones[n], "--push")

    threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, r in results.items():
        assert r.returncode == 3, (n, r.stdout, r.stderr)  # archived and pushed, but the mirror failed
        assert "origin: pushed" in r.stdout or "origin: up to date" in r.stdout, r.stdout
        assert "push to mirror failed" in r.stderr and "CONFLICT" not in r.stdout + r.stderr

    # The mirror is back: the next pass pushes everywhere, with nobody resolving anything.
    shutil.move(tmp_path / "mirror-away.git", mirror)
    for c in clones:
        r = collect(c, "--push")
        assert r.returncode == 0, r.stdout + r.stderr
    assert git(remote, "rev-parse", "main") == git(mirror, "rev-parse", "main")

    expected = None
    for c in clones:
        git(c, "pull", "-q", "--ff-only", "origin", "main")
        assert git(c, "status", "--porcelain") == ""
        shutil.rmtree(c / ".newsvault")  # look at the files alone
        run_cli("-C", str(c), "reindex", check=True)
        fsck = run_cli("-C", str(c), "fsck")
        assert fsck.returncode == 0, fsck.stdout + fsck.stderr
        files = records(c)
        expected = expected or files
        assert files == expected
    assert expected is not None
    articles = [f for f in expected if f.startswith("articles/")]
    revisions = [f for f in expected if f.startswith("revisions/")]
    assert len(articles) == 6  # articles 1, 2, 3, 4, 5, 9: each once
    assert len(revisions) == 1  # the other text of article 9
    texts = {(clones[0] / f).read_text() for f in expected if "第一种说法" in (clones[0] / f).read_text() or "第二种说法" in (clones[0] / f).read_text()}
    assert len(texts) == 2
    listing = (clones[0] / "lists/rfi台.md").read_text()
    assert all(f"第{n}篇报道" in listing for n in (1, 2, 3, 4, 5, 9))
    assert listing.count("第9篇报道") == 1
