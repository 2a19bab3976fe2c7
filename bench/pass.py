"""One small collect pass end to end: ``newsvault collect`` as a subprocess, the way cron runs it.

A 127.0.0.1 feed of 20 real corpus articles (full text). Pass 1 is cold (a new archive); then
one article is edited, a late article (dated before the others) and a new one appear, and
pass 2 runs. Both are timed from process start to exit, beside a baseline measured in the same
run: a minimal loop doing what the original archivers do (see
``../shared/reference/original-system.md``): fetch the feed with httpx, keep items newer than
the newest record, overwrite an item whose link matches one of the 30 newest files, write each
as a canonical record file named by a descending id. That baseline does less (no revisions, no
catalog, no search index, no cleaning, drops the late item); it is the floor, not a rival.
A second baseline is the leanest Python pass doing the same file work: the standard library
only (urllib, ElementTree), one GET of the feed, each item written as a record file, one list
page; no rules at all.

    python bench/pass.py [--rounds 5] [--out bench/results/pass.md]

Every process runs with bytecode caching allowed (as an installed package is compiled by pip),
after one untimed pass that fills the cache. Each newsvault pass runs with ``--json``, so the
bench can split it: start-up (interpreter, imports, opening the archive; the whole process less
the pass's own clock), fetching and parsing, and archiving (files, catalog, index queue).

Goals: each pass <= 1.0x the original-style loop, and <= 3x the lean pass, in the same run.
"""

from __future__ import annotations

import argparse
import json
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

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": str(ROOT / "src")}

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

# The leanest pass doing the same file work: fetch, parse, one file per item, one list page.
LEAN = r'''
import os, sys, urllib.request, xml.etree.ElementTree as ET
url, folder = sys.argv[1], sys.argv[2]
os.makedirs(folder, exist_ok=True)
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
with urllib.request.urlopen(url, timeout=20) as r:
    feed = ET.fromstring(r.read())
lines = []
for n, item in enumerate(feed.iter("item")):
    title, link = item.findtext("title") or "", item.findtext("link") or ""
    body = item.findtext(CONTENT) or item.findtext("description") or ""
    with open(os.path.join(folder, f"{n:04d}.md"), "w", encoding="utf-8") as f:
        f.write(f"[{title}]({link})\n------\n\n{body}\n")
    lines.append(f"* [{title}]({n:04d}.md)")
with open(os.path.join(folder, "index.md"), "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
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
    collect = [sys.executable, "-m", "newsvault", "-C", str(root), "collect", "--json"]
    baseline = [sys.executable, "-c", BASELINE, srv.url("/feed.xml"), str(work / "original" / "articles" / "rfi")]
    lean = [sys.executable, "-c", LEAN, srv.url("/feed.xml"), str(work / "lean")]
    out: dict[str, float] = {}
    out["cold"], proc = timed(collect)
    _phases(out, "cold", proc.stdout, new=20, revised=0)
    out["base cold"], _ = timed(baseline)
    out["lean cold"], _ = timed(lean)
    edited = Item(first[3].title, first[3].link, (first[3].body or "") + "<p>更正：本文已更新。</p>", first[3].published)
    late.published = min(i.published or 0 for i in first) - 86_400_000
    srv.static("/feed.xml", rss20([new, *first[:3], edited, *first[4:], late]))
    out["warm"], proc = timed(collect)
    _phases(out, "warm", proc.stdout, new=2, revised=1)
    out["base warm"], _ = timed(baseline)
    out["lean warm"], _ = timed(lean)
    return out


def _phases(out: dict[str, float], name: str, stdout: str, *, new: int, revised: int) -> None:
    """Check the pass's report and split its time: start-up, fetch and parse, archiving."""
    report = json.loads(stdout)
    assert (report["totals"]["new"], report["totals"]["revised"]) == (new, revised), report["totals"]
    out[f"{name} start-up"] = out[name] - report["seconds"]
    out[f"{name} fetch+parse"] = report["seconds"] - report["write_seconds"]
    out[f"{name} archiving"] = report["write_seconds"]


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
        for n in range(-1, args.rounds):  # round 0: untimed, fills the bytecode caches
            work = Path(tempfile.mkdtemp(prefix="nv-bench-pass-"))
            try:
                got = one_round(srv, work, [Item(i.title, i.link, i.body, i.published) for i in pool])
            finally:
                shutil.rmtree(work, ignore_errors=True)
            if n < 0:
                continue
            runs.append(got)
            print(f"round {n + 1}: " + ", ".join(f"{k} {v:.3f} s" for k, v in got.items() if k.split()[-1] in ("cold", "warm")))
    # Ratios per round (each against the baseline run beside it), then their median: other
    # work on the machine moves whole rounds, not one process of a round more than another.
    for r in runs:
        for p in ("cold", "warm"):
            r[f"{p} / original"] = r[p] / r[f"base {p}"]
            r[f"{p} / lean"] = r[p] / r[f"lean {p}"]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    best = {k: min(r[k] for r in runs) for k in runs[0]}
    imports = _import_time()
    cmd = f"python bench/pass.py --rounds {args.rounds}"
    rows = "\n".join(
        f"| {label} | {med[p]:.3f} / {best[p]:.3f} s | {med[f'base {p}']:.3f} / {best[f'base {p}']:.3f} s | "
        f"{med[f'lean {p}']:.3f} / {best[f'lean {p}']:.3f} s | **{med[f'{p} / original']:.2f}x** | **{med[f'{p} / lean']:.2f}x** |"
        for p, label in (("cold", "1, cold: 20 new"), ("warm", "2: 1 revised, 2 new (one late)"))
    )
    phases = "\n".join(
        f"| {p} | {med[f'{p} start-up']:.3f} s | {med[f'{p} fetch+parse']:.3f} s | {med[f'{p} archiving']:.3f} s | {med[p]:.3f} s |" for p in ("cold", "warm")
    )
    text = f"""# One small pass, end to end

`{cmd}` — {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs,
load average {load[0]:.1f} when the run started (other work was sharing the machine).
Median and best of {args.rounds} rounds (after one untimed round that fills the bytecode
caches); each figure is a whole process, start to exit. Ratios are taken per round, against
the baselines run beside it, then the median.

A 127.0.0.1 feed of 20 real corpus articles. Pass 1: a new archive. Pass 2: one article edited,
one late article (dated a day before the others), one new article. Baselines, timed the same
way in the same run: the original archivers' rules as a minimal loop (httpx + ElementTree, one
file per item, the late item dropped, the edit overwriting the old text), and the leanest pass
doing the same file work (urllib + ElementTree, each item a file, one list page, no rules).

| pass | `newsvault collect` median / best | original-style loop | lean pass | vs original (goal <= 1.0x) | vs lean (goal <= 3x) |
|---|---|---|---|---|---|
{rows}

Where a pass's time goes (median; from the pass's own `--json` clock): start-up is the whole
process less the pass (interpreter, imports, opening the archive, the pass manifest after it).

| pass | start-up | fetch + parse | archiving (files, fsync, catalog, index queue) | whole |
|---|---|---|---|---|
{phases}

Importing the CLI and the collect path (`python -c 'import newsvault.cli._app, …pipeline'`):
{imports}.
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
