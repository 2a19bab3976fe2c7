"""``serve --workers N``: N worker processes answer on one port, and all stop with the server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from publish_helpers import make_archive, seed_id
from search_helpers import free_port

REPO = Path(__file__).resolve().parents[1]


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found |= {int(p) for p in f.read().split()}
    return found


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_two_workers_serve_the_archive_and_stop_together(tmp_path):
    archive = make_archive(tmp_path / "a", xss=False)
    aid = seed_id(archive)
    archive.close()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "newsvault", "-C", str(tmp_path / "a"), "serve", "--port", str(port), "--workers", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                home = httpx.get(base + "/", timeout=30)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.05)
        assert home.status_code == 200 and "测试镜像" in home.text
        # The supervisor and its two workers (uvicorn may add a helper process for spawning).
        workers = {p for p in children(proc.pid) if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text()}
        assert len(workers) == 2, workers
        # Each fresh connection goes to a worker: every one answers the same pages and search.
        for _ in range(3):
            with httpx.Client(base_url=base, timeout=30) as c:
                assert c.get(f"/articles/{aid}").status_code == 200
                hits = c.get("/api/search", params={"q": "布林肯"}).json()["results"]
                assert aid in [h["id"] for h in hits]
                assert c.get("/api/search").status_code == 400  # errors too, as one process answers them
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert not [p for p in workers if running(p)]
