"""One CLI: dates mean the same in every command, an unknown source is an error that names the
known ones, ``serve`` stops cleanly on a signal, imports end in a summary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from http_helpers import first_answer
from search_helpers import free_port

DEMO_RECORDS = REPO / "src" / "newsvault" / "demo" / "records"


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("consistency") / "archive"
    run_cli("init", "--no-media", str(root), check=True)
    run_cli("-C", str(root), "import", str(DEMO_RECORDS), check=True)
    return root


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")


def test_since_and_until_are_inclusive_days_in_ls_and_search(demo_archive):
    everything = json.loads(run_cli("-C", str(demo_archive), "ls", "--json", check=True).stdout)
    by_day: dict[str, set[str]] = {}
    for a in everything:
        by_day.setdefault(_day(a["published"]), set()).add(a["id"])
    day, ids = max(by_day.items(), key=lambda kv: (len(kv[1]), kv[0]))  # a day with several articles
    assert len(ids) >= 2

    listed = json.loads(run_cli("-C", str(demo_archive), "ls", "--since", day, "--until", day, "--json", check=True).stdout)
    assert {a["id"] for a in listed} == ids
    for article in (a for a in everything if a["id"] in ids):
        word = article["title"].strip("【】")[:2]
        found = json.loads(run_cli("-C", str(demo_archive), "search", word, "--since", day, "--until", day, "--json", check=True).stdout)
        hits = {r["id"] for r in found["results"]}
        assert article["id"] in hits and hits <= ids, (word, hits)


@pytest.mark.parametrize("command", [["ls"], ["search", "加沙"]], ids=" ".join)
@pytest.mark.parametrize("option", ["--since", "--until"])
def test_a_bad_date_is_the_same_usage_error_everywhere(demo_archive, command, option):
    proc = run_cli("-C", str(demo_archive), *command, option, "2023-02-30")
    assert proc.returncode == 2 and not proc.stdout
    assert proc.stderr.startswith(f"newsvault: error: invalid value for {option}: '2023-02-30' is not a date; use YYYY-MM-DD")
    assert len(proc.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "command",
    [["ls"], ["search", "加沙"], ["media", "ls"], ["media", "backfill"], ["deleted"], ["recheck"]],
    ids=" ".join,
)
def test_an_unknown_source_is_an_error_naming_the_known_ones(demo_archive, command):
    known = sorted(json.loads(run_cli("-C", str(demo_archive), "stats", "--json", check=True).stdout)["sources"])
    proc = run_cli("-C", str(demo_archive), *command, "--source", "nope")
    assert proc.returncode == 1 and not proc.stdout
    assert proc.stderr == f"newsvault: error: no source 'nope' in this archive (known: {', '.join(known)})\n"
    assert run_cli("-C", str(demo_archive), *command[:2], "--source", known[0], "--json").returncode == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_exits_0_after_a_signal(demo_archive, signum):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsvault", "-C", str(demo_archive), "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("serving ")  # printed just before it listens
        page = first_answer(f"http://127.0.0.1:{port}/", proc)
        assert page.status_code == 200
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.strip() == "stopped" and err == ""


def test_opml_import_prints_a_summary(tmp_path):
    root = tmp_path / "a"
    run_cli("init", "--no-media", str(root), check=True)
    outlines = "".join(f'<outline text="Feed {n}" xmlUrl="https://feeds.example.org/{n}.xml"/>' for n in range(25))
    opml = tmp_path / "many.opml"
    opml.write_text(f'<opml version="2.0"><body>{outlines}</body></opml>', encoding="utf-8")
    out = run_cli("-C", str(root), "source", "import-opml", str(opml), check=True).stdout.splitlines()
    assert out[0].startswith("added 25 sources: feed-0, feed-1,") and out[0].endswith(" and 15 more")
    assert out[1] == "many.opml: 25 sources; the archive follows 25 sources ('newsvault source ls' lists them)"
    again = run_cli("-C", str(root), "source", "import-opml", str(opml), check=True).stdout.splitlines()
    assert again[0] == "added 0 sources" and again[1].startswith("skipped 25 existing: feed-0,") and again[1].endswith(" and 15 more")
    assert max(len(line) for line in out + again) < 200
