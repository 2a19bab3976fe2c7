"""Load test of the reader server on loopback: N concurrent clients for T seconds.

    python bench/load.py                       # 50 clients, 30 s, against the corpus
    python bench/load.py --archive /path/to/archive --clients 50 --seconds 30

Starts the real ``newsvault serve`` (a subprocess, uvicorn) on a free 127.0.0.1 port, then runs
N clients (each one keep-alive connection, see :class:`Connection`) that loop over a fixed mix of requests (search API and page, article
API and page, lists, home). Reports requests, errors (anything not 2xx, or a transport
error), throughput and latency percentiles, overall and per route. Baseline in the same run:
the same mix sent by one client, one request at a time (the latency without contention), and,
with ``--baseline-src``, the same load on a server run from other code (an older checkout):

    python bench/load.py --baseline-src /path/to/older/checkout/src
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


class Connection:
    """One keep-alive HTTP/1.1 connection, as lean as a client can be: the load generator shares
    the machine's cores with the server, and httpx's pool costs ~4 ms of CPU a request at 50
    connections (more than the server's answer), so with it the bench measured itself."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept-Encoding: gzip\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while (size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)):
                parts.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            body = b"".join(p[:-2] for p in parts)
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def client_loop(base: str, ids: list[str], until: float, seed: int, results: list) -> None:
    rng = random.Random(seed)
    host, _, port = base.removeprefix("http://").partition(":")
    conn = Connection(host, int(port))
    while time.perf_counter() < until:
        name, path = request_mix(ids, rng)
        t = time.perf_counter()
        try:
            code, body = await conn.get(path)
            ok = 200 <= code < 300
            status = f"{code} {path} {body[:200]!r}" if not ok else code
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as e:
            conn.close()
            ok, status = False, f"{type(e).__name__} {path} {e}"
        results.append((name, (time.perf_counter() - t) * 1000, ok, status))
    conn.close()


async def run(base: str, ids: list[str], clients: int, seconds: float) -> tuple[list, float]:
    results: list = []
    t0 = time.perf_counter()
    until = t0 + seconds
    await asyncio.gather(*(client_loop(base, ids, until, seed, results) for seed in range(clients)))
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


def measure(root: Path, src: Path, label: str, clients: int, seconds: float, serve_args: list[str]) -> tuple[float, float, int]:
    """Start ``newsvault serve`` from the code in ``src``, warm it up, load it; (req/s, p95 ms, errors)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(src)}
    server = subprocess.Popen(
        [sys.executable, "-m", "newsvault", "-C", str(root), "serve", "--port", str(port), *serve_args],
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
        print(f"== {label}: code {src}, archive {root}, server {base} {' '.join(serve_args)}")
        base_res, base_t = asyncio.run(run(base, ids, 1, min(10, seconds)))
        report("baseline, 1 client ", base_res, base_t)
        cpu0 = time.process_time()
        res, t = asyncio.run(run(base, ids, clients, seconds))
        report(f"load, {clients} clients", res, t)
        # The clients run on the same 2 cores as the server: say how much of them they took.
        print(f"    (the load generator itself used {time.process_time() - cpu0:.1f} s of CPU in {t:.1f} s)")
        return len(res) / t, pct([r[1] for r in res], 95), sum(1 for r in res if not r[2])
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", type=Path)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--baseline-src", type=Path, metavar="DIR",
                    help="first load a server run from this src/ directory (e.g. an older checkout's), the same way: the baseline of the same run")
    ap.add_argument("--serve-arg", action="append", default=[], metavar="ARG", help="pass ARG to this tree's `serve` (repeatable), e.g. --serve-arg=--workers=2")
    args = ap.parse_args()

    root = prepare(args.archive)
    old = None
    if args.baseline_src is not None:
        old = measure(root, args.baseline_src.resolve(), "baseline code", args.clients, args.seconds, [])
    new = measure(root, REPO / "src", "this tree", args.clients, args.seconds, args.serve_arg)
    if old is not None:
        print(f"this tree: {new[0]:.0f} req/s, p95 {new[1]:.1f} ms, {new[2]} errors; "
              f"baseline code: {old[0]:.0f} req/s, p95 {old[1]:.1f} ms, {old[2]} errors; {new[0] / old[0]:.1f}x the req/s")


if __name__ == "__main__":
    main()
