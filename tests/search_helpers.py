"""Shared by the search and serve tests: the corpus as an indexed archive, and a live server."""

from __future__ import annotations

import socket
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import CORPUS
from newsvault.compose import init_archive
from newsvault.importer import import_paths
from newsvault.record import Record
from newsvault.search import index_for

TESTDATA = Path(__file__).resolve().parent / "testdata" / "search"
SEED_ID = "5be844d2d106"


def relevance_cases() -> list[dict]:
    with open(TESTDATA / "relevance.toml", "rb") as f:
        return tomllib.load(f)["query"]


def record(title: str, body: str, n: int = 0, published: int = 1_700_000_000_000, url: str | None = None) -> Record:
    return Record(title=title, url=url or f"https://example.org/news/{n}", published=published, body=body)


_built: dict[str, Path] = {}


@pytest.fixture(scope="session")
def corpus_archive(tmp_path_factory) -> Path:
    """The whole corpus imported into one archive, search index built (read-only for tests).

    Built once per test session even though several modules import this fixture."""
    if "corpus" not in _built:
        root = tmp_path_factory.mktemp("search-corpus") / "archive"
        archive = init_archive(root)
        import_paths(archive, [CORPUS])
        index_for(archive).catch_up(archive)
        archive.close()
        _built["corpus"] = root
    return _built["corpus"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(root: Path) -> Iterator[str]:
    """The real reader app under uvicorn on a free loopback port, in a thread. Yields the base URL."""
    import uvicorn

    from newsvault.serve import KEEP_ALIVE_SECONDS, create_app

    port = free_port()
    config = uvicorn.Config(create_app(root), host="127.0.0.1", port=port, log_level="error", access_log=False, timeout_keep_alive=KEEP_ALIVE_SECONDS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the reader server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def server_url(corpus_archive) -> Iterator[str]:
    with live_server(corpus_archive) as url:
        yield url
