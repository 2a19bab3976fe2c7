"""``newsvault search`` / ``newsvault index`` as users run them (real subprocesses)."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli
from search_helpers import SEED_ID


def test_search_prints_matches(corpus_archive):
    p = run_cli("-C", str(corpus_archive), "search", "七国集团 加沙", "--limit", "3", check=True)
    first = p.stdout.splitlines()[0]
    assert first.startswith(SEED_ID) and "rfi" in first and "布林肯" in first
    assert "七国集团" in p.stdout.splitlines()[1]
    assert "<mark>" not in p.stdout  # not a terminal: plain text


def test_search_json_with_filters(corpus_archive):
    p = run_cli("-C", str(corpus_archive), "search", "臺灣", "--source", "matters", "--since", "2019-01-01", "--limit", "5", "--json", check=True)
    data = json.loads(p.stdout)
    assert data["returned"] == len(data["results"]) == 5 < data["count"]
    everything = json.loads(run_cli("-C", str(corpus_archive), "search", "臺灣", "--source", "matters", "--since", "2019-01-01", "--limit", "200", "--json", check=True).stdout)
    assert everything["count"] == data["count"] == everything["returned"]  # (fewer than 200 in the corpus)
    for r in data["results"]:
        assert r["source"] == "matters" and r["published"] >= 1546300800000
        assert "<mark>" in r["snippet_html"] or "<mark>" in r["title_html"]


def test_no_matches_is_not_an_error(corpus_archive):
    p = run_cli("-C", str(corpus_archive), "search", "zzqqxxyy")
    assert p.returncode == 0 and p.stdout == "" and "no matches" in p.stderr


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["search", ""], 1, "empty query"),
        (["search", '"'], 1, "nothing to search for"),
        (["search", "x" * 10_000], 1, "query too long"),
        (["search", "加沙 since:2023-02-30"], 1, "not a date"),
        (["search", "加沙", "--until", "tomorrow"], 2, "not a date"),
        (["search", "加沙", "--limit", "0"], 2, "--limit"),
    ],
)
def test_bad_input_is_one_clear_line(corpus_archive, args, code, message):
    p = run_cli("-C", str(corpus_archive), *args)
    assert p.returncode == code
    assert message in p.stderr
    assert "Traceback" not in p.stderr and p.stdout == ""


def test_index_command_rebuilds(tmp_path):
    root = tmp_path / "a"
    run_cli("init", str(root), check=True)
    from search_helpers import CORPUS

    run_cli("-C", str(root), "import", str(CORPUS / "seed"), check=True)
    p = run_cli("-C", str(root), "index", "--rebuild", "--json", check=True)
    info = json.loads(p.stdout)
    assert info["indexed"] == 1 and info["articles"] == 1 and info["bytes"] > 0
    p = run_cli("-C", str(root), "search", "布林肯", check=True)
    assert p.stdout.startswith(SEED_ID)


def test_cli_limit_matches_the_library():
    from newsvault.cli import search_cmds
    from newsvault.search import MAX_LIMIT

    assert search_cmds.MAX_LIMIT == MAX_LIMIT


def test_index_rebuild_gives_the_same_answers(corpus_archive, tmp_path):
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(corpus_archive, root)
    queries = ["七国集团 加沙", "香港", "臺灣 選舉", "\"一个声音\"", "中国 -香港", "title:香港"]

    def answers() -> list[list[tuple[str, float]]]:
        out = []
        for q in queries:
            data = json.loads(run_cli("-C", str(root), "search", q, "--limit", "20", "--json", check=True).stdout)
            out.append([(r["id"], r["score"]) for r in data["results"]])
        return out

    before = answers()
    p = run_cli("-C", str(root), "index", "--rebuild", check=True)
    assert "indexed" in p.stdout
    assert answers() == before
