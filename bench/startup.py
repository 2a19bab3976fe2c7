"""Start-up time of the CLI: ``newsvault --help`` and ``newsvault --version`` beside ``python3 -c pass``.

Each command runs ``--runs`` times (after one warm-up run) in a fresh interpreter, alternating
with the baseline so that both see the same machine load; prints min / median / mean in ms.

    python3 bench/startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

COMMANDS = {
    "python3 -c pass (baseline)": [sys.executable, "-c", "pass"],
    "python3 -c 'import click'": [sys.executable, "-c", "import click"],
    "newsvault --help": [sys.executable, "-m", "newsvault", "--help"],
    "newsvault --version": [sys.executable, "-m", "newsvault", "--version"],
    "newsvault search --help": [sys.executable, "-m", "newsvault", "search", "--help"],
}


def _once(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for cmd in COMMANDS.values():
        _once(cmd, env)  # warm the file cache
    for _ in range(args.runs):
        for name, cmd in COMMANDS.items():  # interleaved: load changes hit every command alike
            times[name].append(_once(cmd, env))
    print(f"{'command':<32} {'min':>8} {'median':>8} {'mean':>8}   ({args.runs} runs, ms)")
    for name, values in times.items():
        ms = [v * 1000 for v in values]
        print(f"{name:<32} {min(ms):8.1f} {statistics.median(ms):8.1f} {statistics.mean(ms):8.1f}")


if __name__ == "__main__":
    main()
