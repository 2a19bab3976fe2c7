"""Load test of the reader server on loopback: N concurrent clients for T seconds.

    python bench/load.py                       # 50 clients, 30 s, against the corpus
    python bench/load.py --archive /path/to/archive --clients 50 --seconds 30

Starts the real ``newsvault serve`` (a subprocess, uvicorn) on a free 127.0.0.1 port, then runs
httpx.AsyncClient clients that loop over a fixed mix of requests (search API and page, article
API and page, lists, home). Reports requests, errors (anything not 2xx, or a transport
error), throughput and latency percentiles, overall and per route. Baseline in the same run:
the same mix sent by one client, one request at a time (the latency without contention).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx

from inputs import default_corpus

REPO = Path(__file__).resolve().parents[1]
CORPUS = default_corpus()
QUERIES = ["加沙", "七国集团 加沙", "台湾", "臺灣 選舉", "香港 国安法", "新冠 疫苗", "审查", "Taiwan", "Hong Kong", "言论自由", "\"一个声音\"", "维吾尔"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[max(0, min(len(v) - 1, round(p / 100 * (len(v) - 1))))] if v else float("nan")


def cli(*args: str, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-m", "newsvault", *args], env=env, check=True, capture_output=True, text=True, **kw)


def prepare(archive: Path | None) -> Path:
    if archive is not None:
        return archive
    root = Path("/tmp/nv-bench-load/archive")
    if not (root / "newsvault.toml").exists():
        root.parent.mkdir(parents=True, exist_ok=True)
        cli("init", str(root))
        cli("-C", str(root), "import", str(CORPUS))
    cli("-C", str(root), "index")
    return root


def request_mix(ids: list[str], rng: random.Random) -> tuple[str, str]:
    """(route name, path) of one request."""
    r = rng.random()
    q = rng.choice(QUERIES)
    if r < 0.35:
        return "api/search", f"/api/search?q={quote(q)}&limit=10"
    if r < 0.50:
        return "search page", f"/search?q={quote(q)}"
    if r < 0.65:
        return "api/articles/{id}", f"/api/articles/{rng.choice(ids)}"
    if r < 0.80:
        return "article page", f"/articles/{rng.choice(ids)}"
    if r < 0.90:
        return "api/articles", f"/api/articles?limit=20&offset={rng.randrange(0, 500)}"
    return "home", "/"


async def client_loop(client: httpx.AsyncClient, ids: list[str], until: float, seed: int, results: list) -> None:
    rng = random.Random(seed)
    while time.perf_counter() < until:
        name, path = request_mix(ids, rng)
        t = time.perf_counter()
        try:
            r = await client.get(path)
            ok = 200 <= r.status_code < 300
            status = f"{r.status_code} {path} {r.text[:200]!r}" if not ok else r.status_code
        except httpx.HTTPError as e:
            ok, status = False, f"{type(e).__name__} {path} {e}"
        results.append((name, (time.perf_counter() - t) * 1000, ok, status))


async def run(base: str, ids: list[str], clients: int, seconds: float) -> tuple[list, float]:
    results: list = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        t0 = time.perf_counter()
        until = t0 + seconds
        await asyncio.gather(*(client_loop(client, ids, until, seed, results) for seed in range(clients)))
        return results, time.perf_counter() - t0


def report(title: str, results: list, elapsed: float) -> None:
    lat = [r[1] for r in results]
    errors = [r for r in results if not r[2]]
    print(f"{title}: {len(results):,} requests in {elapsed:.1f} s = {len(results) / elapsed:.0f} req/s; "
          f"errors {len(errors)}; p50 {statistics.median(lat):.1f} ms  p95 {pct(lat, 95):.1f} ms  p99 {pct(lat, 99):.1f} ms")
    by: dict[str, list[float]] = {}
    for name, ms, _ok, _s in results:
        by.setdefault(name, []).append(ms)
    for name, v in sorted(by.items()):
        print(f"    {name:<18} n={len(v):>6,}  p50 {statistics.median(v):7.1f} ms  p95 {pct(v, 95):7.1f} ms")
    if errors:
        print("    error statuses:", sorted({str(e[3]) for e in errors}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", type=Path)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()

    root = prepare(args.archive)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    server = subprocess.Popen(
        [sys.executable, "-m", "newsvault", "-C", str(root), "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ids = [a["id"] for a in httpx.get(f"{base}/api/articles?limit=200", timeout=5).json()["articles"]]
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"server did not start: {server.stdout.read() if server.stdout else ''}") from None
                time.sleep(0.2)
        # Warm-up (templates compiled, trafilatura extraction of scraped pages cached).
        asyncio.run(run(base, ids, 4, 3))
        print(f"archive {root}, server {base}")
        base_res, base_t = asyncio.run(run(base, ids, 1, min(10, args.seconds)))
        report("baseline, 1 client ", base_res, base_t)
        cpu0 = time.process_time()
        res, t = asyncio.run(run(base, ids, args.clients, args.seconds))
        report(f"load, {args.clients} clients", res, t)
        # The clients run on the same 2 cores as the server: say how much of them they took.
        print(f"    (the load generator itself used {time.process_time() - cpu0:.1f} s of CPU in {t:.1f} s)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
