"""The dataset writer streams: its peak memory does not grow with the rows it writes, a
partition larger than a row group is several row groups holding the same rows in the same
order, and nothing of the spool is left behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from newsvault.export.writer import SPOOL, Manifest, TableWriter

# Article-shaped rows, ~12 KB of text each, through the writer the export uses, in a process of
# their own; prints the process's peak RSS in KB. The buffer and the row groups are bounded at
# 1 MB here, so that 400 rows already span several of each.
CHILD = r"""
import json, sys
from pathlib import Path
from newsvault.export import writer
fmt, n, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
writer.ROW_GROUP_BYTES = writer.BUFFER_BYTES = 1 << 20
w = writer.TableWriter(out, fmt, writer.Manifest(fmt))
body = "新闻正文，" * 400
for i in range(n):
    w.add("articles", {"id": f"{i:012x}", "source": ("cdt", "rfi")[i % 2], "url": f"http://127.0.0.1:9/{i}",
        "title": f"标题{i}", "published": 1_600_000_000_000 + i, "first_seen": None, "last_seen": None,
        "text": f"{body}{i}", "html": f"<p>{body}{i}</p>", "language": "zh", "deleted_at": None, "versions": 1, "year": 2020})
w.finish()
# VmHWM, not ru_maxrss: a child started from a large process (pytest) inherits the parent's
# peak in ru_maxrss, while VmHWM is this program's own
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""


def _peak_kb(fmt: str, n: int, out: Path) -> int:
    proc = subprocess.run([sys.executable, "-c", CHILD, fmt, str(n), str(out)], capture_output=True, text=True, timeout=60, check=True)
    return int(proc.stdout.split()[-1])


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_peak_memory_does_not_grow_with_the_rows(fmt, tmp_path):
    small = _peak_kb(fmt, 400, tmp_path / "small")
    big = _peak_kb(fmt, 2000, tmp_path / "big")
    # 1,600 more rows are 19 MB more to write (and more than that as Python objects, were they
    # held); the writer holds a 1 MB buffer and one row group at a time
    assert (big - small) / 1024 < 8, f"{fmt}: peak {small // 1024} MB at 400 rows, {big // 1024} MB at 2,000"
    print(f"{fmt}: peak {small / 1024:.0f} MB at 400 rows, {big / 1024:.0f} MB at 2,000")
    assert not (tmp_path / "big" / SPOOL).exists()


def test_a_large_partition_is_several_row_groups_of_the_same_rows(tmp_path, monkeypatch):
    from newsvault.export import writer as writer_module

    monkeypatch.setattr(writer_module, "ROW_GROUP_BYTES", 4000)
    rows = [{"article_id": f"a{i}", "source": "cdt", "url": f"http://127.0.0.1:9/{i}", "checked": 1_700_000_000_000 + i,
             "status": "live", "http": 200, "reason": None, "final_url": None, "path": None, "year": 2023} for i in range(300)]
    for fmt in ("parquet", "jsonl"):
        w = TableWriter(tmp_path / fmt, fmt, Manifest(fmt))
        w.write("checks", rows)
        w.finish()
    parquet = pq.ParquetFile(tmp_path / "parquet" / "checks" / "source=cdt" / "year=2023" / "part-0.parquet")
    assert parquet.metadata.num_row_groups > 5
    lines = (tmp_path / "jsonl" / "checks" / "source=cdt" / "year=2023" / "part-0.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == rows
    got = parquet.read().to_pylist()
    assert [r["article_id"] for r in got] == [r["article_id"] for r in rows]
    assert [int(r["checked"].timestamp() * 1000) for r in got] == [r["checked"] for r in rows]


def test_a_spool_left_by_an_interrupted_export_is_cleared(tmp_path):
    stale = tmp_path / SPOOL / "articles" / "source=x" / "year=2020"
    stale.mkdir(parents=True)
    (stale / "part-0.jsonl").write_text('{"id": "torn"', encoding="utf-8")
    w = TableWriter(tmp_path, "jsonl", Manifest("jsonl"))
    w.add("checks", {"article_id": "a", "source": "cdt", "checked": None, "year": 0})
    w.finish()
    assert not (tmp_path / SPOOL).exists()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("part-0.jsonl")) == ["checks/source=cdt/year=0/part-0.jsonl"]
    assert w.rows == {"articles": 0, "versions": 0, "checks": 1, "media": 0}
