"""The reader server: the site's pages, live, plus server-side search and a JSON API (ASGI).

Read-only by construction: every route is GET/HEAD, and nothing here writes record files or
the catalog (only the derived search index catches up with imports made meanwhile).

Layout: handlers are module-level functions of the request — pages and feeds in
:mod:`~newsvault.serve.pages`, the JSON API in :mod:`~newsvault.serve.api`, error answers in
:mod:`~newsvault.serve.errors` — listed in one route table (:data:`ROUTES`); the middleware
(:mod:`~newsvault.serve.middleware`: host check, security headers; :mod:`~newsvault.serve.cache`:
rendered answers kept while the archive is unchanged) is declared in
:func:`create_app`; per-thread archive access and change watching live in
:mod:`~newsvault.serve.readers`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from ..archive import Archive
from ..publish.render import STATIC_DIR
from . import api, pages
from .cache import PageCache
from .errors import EXCEPTION_HANDLERS
from .middleware import SECURITY_HEADERS, HostCheck, SecurityHeaders
from .readers import Readers

__all__ = ["create_app", "ROUTES", "SECURITY_HEADERS", "KEEP_ALIVE_SECONDS"]

WORKER_THREADS = 4
# Idle keep-alive connections stay open this long: longer than clients keep theirs (httpx: 5 s),
# so a client never sends a request on a connection the server is closing at that instant.
KEEP_ALIVE_SECONDS = 30
_GET = ["GET", "HEAD"]

ROUTES: list[BaseRoute] = [
    Route("/", pages.home, methods=_GET),
    Route("/sources/{slug}", pages.source_page, methods=_GET),
    Route("/days/", pages.days_page, methods=_GET),
    Route("/days/{day}", pages.day_page, methods=_GET),
    Route("/articles/{id}", pages.article_page, methods=_GET),
    Route("/articles/{prefix}/{name}", pages.static_article_page, methods=_GET),
    Route("/index.html", pages.home, methods=_GET),
    Route("/search.html", pages.search_page, methods=_GET),
    Route("/search", pages.search_page, methods=_GET),
    Route("/feeds/{name}", pages.feed, methods=_GET),
    Route("/media/{shard}/{name}", pages.media_file, methods=_GET),
    Route("/files/{site}/{name}", pages.kept_file, methods=_GET),
    Route("/feeds/changes/articles/{name}", pages.article_changes_feed, methods=_GET),
    Route("/feeds/changes/{name}", pages.changes_feed, methods=_GET),
    Route("/changes", pages.changes_page, methods=_GET),
    Route("/health", pages.health_page, methods=_GET),
    Route("/health.html", pages.health_page, methods=_GET),
    Route("/changes.html", pages.changes_page, methods=_GET),
    Route("/changes/{slug}", pages.changes_page, methods=_GET),
    Route("/api/articles", api.api_articles, methods=_GET),
    Route("/api/articles/{id}", api.api_article, methods=_GET),
    Route("/api/search", api.api_search, methods=_GET),
    Route("/openapi.json", api.api_openapi, methods=_GET),
    Mount("/static", app=StaticFiles(directory=str(STATIC_DIR), check_dir=False), name="static"),
]


def create_app(root: Path | str, *, catch_up: bool = True, allowed_hosts: Iterable[str] = (),
               watch_interval: float = 1.0) -> ASGIApp:
    """The ASGI app serving the archive at ``root`` (read-only). ``allowed_hosts``: names, beyond
    this server's own address, that requests may be addressed to (``serve --allowed-host``)."""
    root = Path(root).resolve()
    Archive.open(root).close()  # fail now, with a clear message, if it is not an archive
    readers = Readers(root, watch_interval)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # A few worker threads, not anyio's default 40: the work is CPU-bound Python plus short
        # SQLite reads, and many threads fighting over the GIL only add latency.
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        if catch_up:
            await run_in_threadpool(readers.catch_up)
        yield

    app = Starlette(
        routes=ROUTES,
        exception_handlers=dict(EXCEPTION_HANDLERS),
        lifespan=lifespan,
        # The host check first: a refused name never reaches (or fills) the page cache.
        middleware=[Middleware(HostCheck, allowed_hosts=list(allowed_hosts)), Middleware(PageCache, state=readers.state)],
    )
    app.state.readers = readers
    # Outermost, so the headers are on every answer: errors, and the host check's refusals.
    return SecurityHeaders(app)
