"""The CLI under hostile conditions: SIGTERM mid-collect, a read-only or full disk, a damaged
catalog, a closed pipe. Every failure is one line on stderr with the documented exit code, never
a traceback, and nothing archived is lost."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SEED, run_cli
from http_helpers import LoopbackServer

ENV = {**os.environ, "PYTHONPATH": str(REPO / "src")}


def _rss(n: int, prefix: str) -> bytes:
    items = "".join(
        f"<item><title>{prefix} 标题 {i}</title><link>http://127.0.0.1/{prefix}/{i}</link><guid>{prefix}-{i}</guid>"
        f"<pubDate>Tue, 07 Nov 2023 12:{i:02d}:00 GMT</pubDate>"
        f"<description>{prefix} 正文 {i}，足够长的一段文字，让这条记录像一篇真正的文章。</description></item>"
        for i in range(n)
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def _tree(root: Path) -> dict[str, bytes]:
    """Every file an archive keeps (derived data in .newsvault/ aside)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".newsvault" not in p.relative_to(root).parts}


def _one_line_error(proc: subprocess.CompletedProcess, code: int = 1) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr.startswith("newsvault: error: "), proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr


@pytest.mark.parametrize(
    "signum,code,message",
    [(signal.SIGTERM, 143, "terminated (SIGTERM)"), (signal.SIGINT, 130, "interrupted")],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_during_collect_exits_in_one_line_and_keeps_what_was_archived(tmp_path, signum, code, message):
    root = tmp_path / "archive"
    run_cli("init", "--no-media", str(root), check=True)
    with LoopbackServer() as server:
        server.static("/fast.xml", _rss(3, "fast"))
        server.hang("/slow.xml")
        # Loopback feeds need allow_private (fetching private addresses is refused by default).
        (root / "newsvault.toml").write_text(
            '[archive]\nname = "t"\n[fetch]\nallow_private = true\n'
            f'[[sources]]\nslug = "fast"\nfeeds = ["{server.url("/fast.xml")}"]\n'
            f'[[sources]]\nslug = "slow"\nfeeds = ["{server.url("/slow.xml")}"]\n',
            encoding="utf-8",
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsvault", "-C", str(root), "collect", "--timeout", "600"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
        )
        try:
            assert server.arrived("/slow.xml").wait(60), "collect never asked for the slow feed"
            proc.send_signal(signum)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == code, (out, err)
    assert err == f"newsvault: error: {message}\n"
    assert not [p for p in root.rglob("*") if p.name.endswith(".tmp")]  # no temp file left behind
    fsck = run_cli("-C", str(root), "fsck", "--json")
    assert fsck.returncode == 0 and json.loads(fsck.stdout)["problems"] == [], fsck.stdout


def test_a_damaged_catalog_is_rebuilt_from_the_files(tmp_path):
    root = tmp_path / "archive"
    run_cli("init", "--no-media", str(root), check=True)
    run_cli("-C", str(root), "import", str(SEED), check=True)
    (root / ".newsvault" / "catalog.sqlite").write_bytes(b"this is not a database" * 100)
    for name in ("catalog.sqlite-wal", "catalog.sqlite-shm"):
        (root / ".newsvault" / name).unlink(missing_ok=True)
    proc = run_cli("-C", str(root), "ls")  # derived data: rebuilt, not reported as an error
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "5be844d2d106" in proc.stdout
    assert run_cli("-C", str(root), "fsck").returncode == 0


def test_a_closed_pipe_ends_quietly(tmp_path):
    root = tmp_path / "archive"
    run_cli("init", "--no-media", str(root), check=True)
    run_cli("-C", str(root), "import", str(REPO / "src" / "newsvault" / "demo" / "records"), check=True)
    proc = subprocess.Popen([sys.executable, "-m", "newsvault", "-C", str(root), "ls"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `newsvault ls | head -1`
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err


@pytest.fixture
def disk(tmpfs):
    return tmpfs("4m")


# Commands that write somewhere in the archive; on a read-only disk each must fail in one line
# (or succeed without writing) and leave every file as it was.
WRITERS = [
    ["source", "add", "x", "https://e.org/feed"],
    ["source", "rm", "rfi"],
    ["import", str(REPO / "src" / "newsvault" / "demo" / "records")],
    ["build"],
    ["reindex"],
    ["index", "--rebuild"],
    ["fsck", "--repair"],
    ["search", "加沙"],
    ["ls"],
    ["stats"],
]


def test_read_only_disk_every_command_fails_in_one_line(disk):
    root = disk / "a"
    run_cli("init", "--no-media", str(root), check=True)
    run_cli("-C", str(root), "import", str(SEED), check=True)
    run_cli("-C", str(root), "source", "add", "rfi", "https://www.rfi.fr/cn/rss", check=True)
    before = _tree(root)
    if subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True).returncode != 0:
        pytest.skip("cannot remount read-only here")
    try:
        results = {" ".join(args): run_cli("-C", str(root), *args) for args in WRITERS}
        init = run_cli("init", "--no-media", str(disk / "b"))
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=False)
    for name, proc in results.items():
        if proc.returncode != 0:
            _one_line_error(proc)
        assert "Traceback" not in proc.stderr, name
    assert any("read-only" in p.stderr.lower() for p in results.values())
    _one_line_error(init)
    assert _tree(root) == before


def test_full_disk_while_building_the_site_is_one_line(disk, tmp_path):
    root = tmp_path / "archive"
    run_cli("init", "--no-media", str(root), check=True)
    run_cli("-C", str(root), "import", str(REPO / "src" / "newsvault" / "demo" / "records"), check=True)
    filler = disk / "filler"
    with open(filler, "wb") as f, contextlib.suppress(OSError):  # leave ~200 KB: enough to start, not to finish
        f.write(b"\0" * (4 * 2**20 - 200 * 2**10))
    before = _tree(root)
    proc = run_cli("-C", str(root), "build", "--site", str(disk / "site"), "--workers", "1")
    err = _one_line_error(proc)
    assert "No space left on device" in err
    records = {k: v for k, v in _tree(root).items() if k.startswith(("articles/", "revisions/"))}
    assert records == {k: v for k, v in before.items() if k.startswith(("articles/", "revisions/"))}
    shutil.rmtree(disk / "site", ignore_errors=True)
