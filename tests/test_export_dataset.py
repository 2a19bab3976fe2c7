"""The dataset export: every field read back (pyarrow and DuckDB) equals the catalog, on the
real CDT corpus with its history; only changed partitions are rewritten; ``sql`` answers."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from newsvault.cli import main
from newsvault.compose import open_archive

CORPUS = Path(__file__).resolve().parent / "corpus"


def nv(root: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def cdt(tmp_path_factory):
    root = tmp_path_factory.mktemp("cdt") / "archive"
    assert nv(root.parent, "init", "--no-media", str(root)).exit_code == 0
    for folder in ("cdt", "cdt-history"):
        shutil.copytree(CORPUS / folder, root.parent / folder)
    nv(root, "import", str(root.parent / "cdt"), str(root.parent / "cdt-history"))
    # one recheck result, so that checks and deleted_at are exercised
    archive = open_archive(root)
    first = archive.catalog.list_articles(limit=1)[0]
    archive.close()
    (root / "checks").mkdir()
    (root / "checks" / "cdt.jsonl").write_text(json.dumps({"id": first.id, "source": "cdt", "url": first.url, "checked": 1_750_000_000_000, "status": "gone", "http": 404}) + "\n", encoding="utf-8")
    return root, first.id


def _ms(value) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def test_round_trip_of_every_field_against_the_catalog(cdt, tmp_path):
    root, gone_id = cdt
    out = tmp_path / "out"
    r = nv(root, "export", str(out), "--json")
    assert r.exit_code == 0, r.output
    archive = open_archive(root)
    try:
        articles = {a.id: a for a in archive.catalog.list_articles(limit=None)}
        versions = {(v.article_id, v.rev): v for a in articles.values() for v in archive.catalog.versions(a.id)}
        latest = {a.id: archive.read(a.latest_path).body for a in articles.values()}
    finally:
        archive.close()
    assert len(articles) > 200 and len(versions) > len(articles)
    table = ds.dataset(out / "articles", format="parquet", partitioning="hive").to_table().to_pylist()
    assert {row["id"] for row in table} == set(articles)
    for row in table:
        a = articles[row["id"]]
        assert (row["source"], row["url"], row["title"], _ms(row["published"]), row["versions"]) == (a.source, a.url, a.title, a.published, a.versions)
        assert row["html"] == latest[a.id] and row["text"] and row["language"]
        assert _ms(row["deleted_at"]) == (1_750_000_000_000 if a.id == gone_id else None)
    vrows = duckdb.sql(f"SELECT * FROM read_parquet('{out}/versions/**/*.parquet', hive_partitioning=true)").fetchall()
    columns = [d[0] for d in duckdb.sql(f"SELECT * FROM read_parquet('{out}/versions/**/*.parquet', hive_partitioning=true) LIMIT 0").description]
    assert len(vrows) == len(versions)
    edited = 0
    for values in vrows:
        row = dict(zip(columns, values, strict=True))
        v = versions[(row["article_id"], row["rev"])]
        assert (row["path"], _ms(row["seen"]), row["title"], row["content_hash"], row["size"], row["source"]) == (v.path, v.seen, v.title, v.content_hash, v.size, v.source)
        edited += row["rev"] > 0 and (row["chars_added"] + row["chars_removed"]) > 0
    assert edited > 50  # the history's real content changes are measured
    checks = ds.dataset(out / "checks", format="parquet", partitioning="hive").to_table().to_pylist()
    assert [(c["article_id"], c["status"], c["http"]) for c in checks] == [(gone_id, "gone", 404)]
    # JSON lines: the same rows
    assert nv(root, "export", str(tmp_path / "j"), "--format", "jsonl").exit_code == 0
    jrows = [json.loads(x) for f in (tmp_path / "j" / "articles").rglob("*.jsonl") for x in f.read_text(encoding="utf-8").splitlines()]
    assert {(x["id"], x["published"], x["title"]) for x in jrows} == {(a.id, a.published, a.title) for a in articles.values()}


def test_export_is_incremental(cdt, tmp_path):
    root, _ = cdt
    out = tmp_path / "out"
    nv(root, "export", str(out))
    r = nv(root, "export", str(out))
    assert "up to date" in r.output
    files = {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")}
    # a new check result: only the checks partition changes
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    shutil.copytree(out, copy / "x")
    with open(copy / "checks" / "cdt.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "0" * 12, "source": "cdt", "url": "http://127.0.0.1:9/", "checked": 1_760_000_000_000, "status": "live"}) + "\n")
    r = nv(copy, "export", str(copy / "x"), "--json")
    report = json.loads(r.output)
    assert report["written"] == 1 and report["unchanged"] == len(files) - 1
    after = {p.relative_to(copy / "x"): p.stat().st_mtime_ns for p in (copy / "x").rglob("*.parquet")}
    assert sorted(str(p) for p in after if "checks" in str(p)) == ["checks/source=cdt/year=2025/part-0.parquet"]


def test_sql_command(cdt):
    root, _ = cdt
    r = nv(root, "sql", "SELECT source, count(*) AS n FROM articles GROUP BY source", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)[0]["source"] == "cdt" and json.loads(r.output)[0]["n"] > 200
    r = nv(root, "sql", "SELECT count(*) AS n FROM media")
    assert r.exit_code == 0 and "n" in r.output and "(1 row)" in r.output
    r = CliRunner().invoke(main, ["-C", str(root), "sql", "SELECT nope FROM articles"])
    assert r.exit_code == 1 and r.output.startswith("newsvault: error: SQL: ") and r.output.count("\n") == 1, r.output


def test_a_bad_export_directory_is_one_line(cdt, tmp_path):
    root, _ = cdt
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = CliRunner().invoke(main, ["-C", str(root), "export", str(blocker / "sub")])
    assert r.exit_code == 1 and "cannot create the export directory" in r.output and r.output.count("\n") == 1, r.output


def _year(ms: int) -> int:
    return datetime.fromtimestamp(ms / 1000, UTC).year
