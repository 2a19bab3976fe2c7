"""The reader server under forged Host headers (DNS rebinding): a real `newsvault serve` on a
free loopback port, spoken to with raw sockets and httpx."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from publish_helpers import make_archive
from search_helpers import free_port

REPO = Path(__file__).resolve().parents[2]
ALLOWED = "mirror.example.org"



def wait_listening(proc: subprocess.Popen, port: int, output: Callable[[], str]) -> None:
    """Until ``newsvault serve`` accepts connections on ``port``; an error with its output if it
    exits or takes over 60 s."""
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"newsvault serve did not start: {output()}") from None
            time.sleep(0.05)

@pytest.fixture(scope="module")
def port(tmp_path_factory) -> Iterator[int]:
    root = tmp_path_factory.mktemp("hostile") / "archive"
    make_archive(root, xss=False).close()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsvault", "-C", str(root), "serve", "--port", str(port), "--allowed-host", ALLOWED],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        wait_listening(proc, port, lambda: proc.stderr.read().decode() if proc.stderr else "")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def raw_get(port: int, path: str, host: str | None, version: str = "1.1") -> tuple[int, dict[str, str], bytes]:
    """One request as bytes on a socket, with exactly the Host header given (or none)."""
    lines = [f"GET {path} HTTP/{version}"] + ([f"Host: {host}"] if host is not None else []) + ["Connection: close", "", ""]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall("\r\n".join(lines).encode("latin-1"))
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
    return int(status_line.split()[1]), headers, body


FORGED = [
    "attacker.example:{port}", "attacker.example", "127.0.0.1.attacker.example:{port}", "localhost:1",
    "127.0.0.1:{port}@attacker.example", "localhost:{port}.attacker.example", "[::1]:1", "[::1", "",
    "mirror.example.org.attacker.example",
]


@pytest.mark.parametrize("host", FORGED)
def test_a_forged_host_gets_a_one_line_json_400(port, host):
    status, headers, body = raw_get(port, "/api/articles", host.format(port=port))
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    assert headers["x-frame-options"] == "DENY" and "content-security-policy" in headers
    message = json.loads(body)["error"]["message"]
    assert "\n" not in message and "does not name this server" in message and "--allowed-host" in message


def test_a_request_without_host_is_refused(port):
    status, _headers, body = raw_get(port, "/", None, version="1.0")
    assert status == 400 and "missing" in json.loads(body)["error"]["message"]


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}", ALLOWED, f"{ALLOWED}:443"])
def test_the_servers_own_names_and_allowed_names_are_served(port, host):
    status, _headers, body = raw_get(port, "/api/articles?limit=1", host.format(port=port))
    assert status == 200 and json.loads(body)["articles"]


def test_redirects_never_carry_a_forged_host(port):
    status, headers, _ = raw_get(port, "/days", f"attacker.example:{port}")
    assert status == 400 and "location" not in headers
    status, headers, _ = raw_get(port, "/days", f"localhost:{port}")
    assert status in (301, 307, 308)
    location = headers["location"]
    assert location.startswith("/days/") or location.startswith(f"http://localhost:{port}/days/")


def test_pages_and_feeds_through_httpx_with_a_rebound_name(port):
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        for path in ("/", "/feeds/all.xml", "/openapi.json", "/static/style.css", "/nonesuch"):
            r = client.get(path, headers={"Host": f"rebind.attacker.example:{port}"})
            assert r.status_code == 400, path
            assert "attacker" not in r.headers.get("location", "")
        feed = client.get("/feeds/all.xml", headers={"Host": ALLOWED})
        assert feed.status_code == 200 and f"http://{ALLOWED}/articles/" in feed.text


def test_the_host_rules_alone():
    from newsvault.serve.middleware import HostCheck, split_host

    check = HostCheck(app=None, allowed_hosts=["Mirror.Example.org"])  # type: ignore[arg-type]
    bound = ("127.0.0.1", 8080)
    for host in ("127.0.0.1:8080", "localhost:8080", "[::1]:8080", "mirror.example.org", "MIRROR.example.org:8443"):
        assert check.allows(host, bound), host
    for host in ("127.0.0.1:8081", "localhost", "evil.test:8080", "127.0.0.1:8080:80", "[::1]x:8080", "", None):
        assert not check.allows(host, bound), host
    assert check.allows("192.168.1.5:8080", ("192.168.1.5", 8080))  # bound to a LAN address: its own address
    assert check.allows("localhost", ("127.0.0.1", 80))  # the default port may be left out
    assert split_host("[::1]:99") == ("[::1]", "99") and split_host("a b:1") is None


def test_1100_half_open_connections_leave_the_server_answering_others(tmp_path):
    """Slowloris: 1,100 sockets that each send half a request line and wait, against a server
    allowed 1,024 open files. Another client must still be answered promptly, and the log stay
    small (uvicorn alone waits on such sockets forever, runs out of descriptors and logs a
    traceback for every failed accept)."""
    import resource

    root = tmp_path / "archive"
    make_archive(root, xss=False).close()
    port = free_port()
    log = tmp_path / "stderr.log"

    def few_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    with open(log, "wb") as err:
        # One process: the limit is per process; with more workers the 1,100 sockets would be
        # spread under several limits instead of exhausting one.
        proc = subprocess.Popen([sys.executable, "-m", "newsvault", "-C", str(root), "serve", "--port", str(port), "--workers", "1"],
                                env=env, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=few_files)
    sockets: list[socket.socket] = []
    try:
        wait_listening(proc, port, log.read_text)
        for _ in range(1100):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET /api/artic")
            sockets.append(s)
        t0 = time.monotonic()
        r = httpx.get(f"http://127.0.0.1:{port}/api/articles", timeout=10)
        answered = time.monotonic() - t0
        assert r.status_code == 200 and r.json()["articles"]
        assert answered < 5, answered
        sockets[0].settimeout(5)
        assert sockets[0].recv(100) == b""  # the oldest half-open connection was closed for the new ones
    finally:
        for s in sockets:
            s.close()
        proc.terminate()
        proc.wait(timeout=10)
    assert log.stat().st_size < 10_000, log.read_text()[:2000]
