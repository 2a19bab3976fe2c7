"""Benchmark `newsvault export --format zim`: build time and size of the ZIM at N scaled records
(default 10,000, from bench/scale.py's variants of the corpus), beside the static site's full
build of the same archive (which the export runs first: the ZIM packs the site).

    python bench/zim.py [-n 10000] [--dir /tmp/nv-bench-zim] [--reuse]

Reports: the site's build time and size on disk (every file, search index included), then the
ZIM's packing time (site built: only packing and Kiwix's full-text index) and its size.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from newsvault.compose import open_archive  # noqa: E402
from newsvault.export.zim import export_zim  # noqa: E402
from scale import make_archive  # noqa: E402


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=10_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/nv-bench-zim"))
    ap.add_argument("--reuse", action="store_true", help="reuse an archive of N records left by an earlier run")
    args = ap.parse_args()
    root = args.dir / f"archive-{args.n}"
    if not (args.reuse and root.is_dir()):
        shutil.rmtree(args.dir, ignore_errors=True)
        t = time.perf_counter()
        make_archive(root, args.n).close()
        print(f"archive of {args.n:,} records made in {time.perf_counter() - t:.1f} s")
    archive = open_archive(root)
    try:
        shutil.rmtree(archive.state_dir / "zim", ignore_errors=True)
        out = args.dir / "out"
        shutil.rmtree(out, ignore_errors=True)
        report = export_zim(archive, out)  # a full site build, then the ZIM
        site = _size(archive.state_dir / "zim" / "site")
        t = time.perf_counter()
        again = export_zim(archive, out)  # the site up to date: packing and indexing only
        total = time.perf_counter() - t
    finally:
        archive.close()
    print(f"static site (full build):  {report.site_seconds:7.1f} s  {site / 1048576:8.1f} MB on disk")
    print(f"ZIM, first export (site + pack): {report.seconds:7.1f} s  {report.bytes / 1048576:8.1f} MB  ({report.articles:,} articles, {report.entries:,} entries)")
    print(f"ZIM, again (site unchanged):     {total:7.1f} s  of which site check {again.site_seconds:.1f} s")


if __name__ == "__main__":
    main()
