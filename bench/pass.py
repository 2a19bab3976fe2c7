"""One small collect pass end to end: ``newsvault collect`` as a subprocess, the way cron runs it.

A 127.0.0.1 feed of 20 real corpus articles (full text). Pass 1 is cold (a new archive); then
one article is edited, a late article (dated before the others) and a new one appear, and
pass 2 runs. Both are timed from process start to exit, beside a baseline measured in the same
run: a minimal loop doing what the original archivers do (see
``../shared/reference/original-system.md``): fetch the feed with httpx, keep items newer than
the newest record, overwrite an item whose link matches one of the 30 newest files, write each
as a canonical record file named by a descending id. That baseline does less (no revisions, no
catalog, no search index, no cleaning, drops the late item); it is the floor, not a rival.

    python bench/pass.py [--rounds 5] [--out bench/results/pass.md]

Goal: < 0.5 s a pass end to end.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from collect_helpers import FeedServer, Item, allow_private, corpus_records, rss20  # noqa: E402
from newsvault.archive import Archive, write_atomic  # noqa: E402
from newsvault.clean import is_teaser  # noqa: E402
from newsvault.config import CONFIG_NAME, Source  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

# What the original archivers do, as small as it gets (their rules, in Python).
BASELINE = r'''
import os, re, sys, xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
import httpx

url, folder = sys.argv[1], sys.argv[2]
os.makedirs(folder, exist_ok=True)
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
feed = ET.fromstring(httpx.get(url, timeout=20).content)
names = sorted(os.listdir(folder))  # newest first: ids count down
newest = 0
recent = {}
for name in names[:30]:
    head = open(os.path.join(folder, name), encoding="utf-8").read(4096).split("\n")
    newest = max(newest, int(head[0][4:-3]))
    recent[head[1][head[1].rfind("](") + 2 : -1]] = name
next_id = int(names[0].split(".")[0]) - 1 if names else 0xFFFFF
for item in feed.iter("item"):
    title = CONTROL.sub("", item.findtext("title") or "").strip()
    link = (item.findtext("link") or "").strip()
    body = item.findtext(CONTENT) or item.findtext("description") or ""
    body = "".join(line.strip() for line in CONTROL.sub("", body.replace("\n", "\x00\n")).split("\n"))
    ms = int(parsedate_to_datetime(item.findtext("pubDate")).timestamp() * 1000)
    if link in recent:
        name = recent[link]  # an edit overwrites the old text
    elif ms > newest:
        name = f"{next_id}.md"
        next_id -= 1
    else:
        continue  # late or re-dated: lost
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        f.write(f"<!--{ms}-->\n[{title}]({link})\n------\n\n{body}\n")
'''


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=120)
    took = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}… exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return took, proc


def one_round(srv: FeedServer, work: Path, pool: list[Item]) -> dict[str, float]:
    first, late, new = pool[:20], pool[20], pool[21]
    srv.static("/feed.xml", rss20(first))
    root = work / "archive"
    Archive.init(root).close()
    allow_private(root)
    a = Archive.open(root)
    a.config.sources = [Source("rfi", "法广", [srv.url("/feed.xml")])]
    write_atomic(root / CONFIG_NAME, a.config.dump())
    a.close()
    collect = [sys.executable, "-m", "newsvault", "-C", str(root), "collect"]
    baseline = [sys.executable, "-c", BASELINE, srv.url("/feed.xml"), str(work / "original" / "articles" / "rfi")]
    out: dict[str, float] = {}
    out["cold"], proc = timed(collect)
    assert "20 new" in proc.stdout, proc.stdout
    out["base cold"], _ = timed(baseline)
    edited = Item(first[3].title, first[3].link, (first[3].body or "") + "<p>更正：本文已更新。</p>", first[3].published)
    late.published = min(i.published or 0 for i in first) - 86_400_000
    srv.static("/feed.xml", rss20([new, *first[:3], edited, *first[4:], late]))
    out["warm"], proc = timed(collect)
    assert "2 new, 1 revised" in proc.stdout, proc.stdout
    out["base warm"], _ = timed(baseline)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "pass.md")
    args = ap.parse_args()
    load = os.getloadavg()
    print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    records = [r for r in corpus_records("cdt", 60, max_bytes=8000) if not is_teaser(r.body)][:22]
    pool = [Item.of(r) for r in records]
    runs: list[dict[str, float]] = []
    with FeedServer() as srv:
        for n in range(args.rounds):
            work = Path(tempfile.mkdtemp(prefix="nv-bench-pass-"))
            try:
                runs.append(one_round(srv, work, [Item(i.title, i.link, i.body, i.published) for i in pool]))
            finally:
                shutil.rmtree(work, ignore_errors=True)
            print(f"round {n + 1}: " + ", ".join(f"{k} {v:.3f} s" for k, v in runs[-1].items()))
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    best = {k: min(r[k] for r in runs) for k in runs[0]}
    imports = _import_time()
    cmd = f"python bench/pass.py --rounds {args.rounds}"
    text = f"""# One small pass, end to end

`{cmd}` — {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs,
load average {load[0]:.1f} when the run started (other work was sharing the machine).
Median and best of {args.rounds} rounds; each figure is a whole process, start to exit. On a
shared machine the best round is the one least disturbed by other work.

A 127.0.0.1 feed of 20 real corpus articles. Pass 1: a new archive. Pass 2: one article edited,
one late article (dated a day before the others), one new article. The baseline is a minimal
loop with the original archivers' rules (httpx + ElementTree, one file per item, the late item
dropped, the edit overwriting the old text), timed the same way in the same run.

| pass | `newsvault collect` median / best | original-style loop median / best | goal |
|---|---|---|---|
| 1, cold: 20 new | {med['cold']:.3f} / {best['cold']:.3f} s | {med['base cold']:.3f} / {best['base cold']:.3f} s | < 0.5 s |
| 2: 1 revised, 2 new (one late) | {med['warm']:.3f} / {best['warm']:.3f} s | {med['base warm']:.3f} / {best['base warm']:.3f} s | < 0.5 s |

Importing the CLI and the collect path (`python -c 'import newsvault.cli._app, …pipeline'`):
{imports}. What a pass still spends beyond the baseline is mostly start-up: the CLI's imports,
the catalog and search index opened (and, cold, created), one disk sync per batch.
"""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {args.out}")


def _import_time() -> str:
    """What importing the collect path costs (the start-up of every pass)."""
    code = "import newsvault.cli._app, newsvault.cli.collect_cmds, newsvault.collect.pipeline"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=ENV, check=True)
    took = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=ENV, check=True)
    bare = time.perf_counter() - t
    return f"{took:.3f} s for the CLI and collect modules, {bare:.3f} s for a bare interpreter"


if __name__ == "__main__":
    main()
