"""The reader server: the site's pages, live, plus server-side search and a JSON API (ASGI).

Read-only by construction: every route is GET/HEAD, and nothing here writes record files or
the catalog (only the derived search index catches up with imports made meanwhile).

Concurrency: Starlette runs the (synchronous) handlers in a thread pool; each thread opens its
own :class:`~newsvault.archive.Archive` (so its own SQLite connections), which lets SQLite work
in parallel while Python renders.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..archive import Archive
from ..compose import open_archive
from ..errors import NewsvaultError, NotFound, QueryError
from ..search import MAX_LIMIT, index_for, parse_day, search_archive
from ..search.query import MAX_QUERY
from .openapi import MAX_INT, openapi_document

__all__ = ["create_app", "SECURITY_HEADERS", "KEEP_ALIVE_SECONDS"]

CSP = (
    "default-src 'self'; img-src * data:; script-src 'self'; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-src 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"interest-cohort=()"),
]
WORKER_THREADS = 4
# Idle keep-alive connections stay open this long: longer than clients keep theirs (httpx: 5 s),
# so a client never sends a request on a connection the server is closing at that instant.
KEEP_ALIVE_SECONDS = 30
_ID = re.compile(r"[0-9a-fA-F]{4,64}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every response, errors included."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _v in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in SECURITY_HEADERS if h[0] not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Readers:
    """One Archive (and page renderer) per worker thread."""

    def __init__(self, root: Path):
        self.root = root
        self.local = threading.local()
        self.catch_up_lock = threading.Lock()

    def archive(self) -> Archive:
        a = getattr(self.local, "archive", None)
        if a is None:
            a = self.local.archive = open_archive(self.root)
        return a

    def renderer(self):
        r = getattr(self.local, "renderer", None)
        if r is None:
            from ..publish.render import PageRenderer

            r = self.local.renderer = PageRenderer(self.archive(), mode="live")
        return r

    def catch_up(self) -> int:
        """Index what imports queued meanwhile (one thread at a time does it)."""
        idx = index_for(self.archive())
        if not idx.pending_count():
            return 0
        with self.catch_up_lock:
            return idx.catch_up(self.archive())


# -- parameters ---------------------------------------------------------------------------------

def _int(request: Request, name: str, default: int | None, lo: int, hi: int = MAX_INT) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(f"{name} must be a whole number, not {raw[:40]!r}") from None
    if value < lo or value > hi:
        raise QueryError(f"{name} must be between {lo} and {hi}" if hi != MAX_INT or value > hi else f"{name} must be {lo} or more")
    return value


def _day(request: Request, name: str) -> int | None:
    """A whole day, ``YYYY-MM-DD`` (UTC), as the OpenAPI document says; anything else is a 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not _DAY.fullmatch(raw):
        raise QueryError(f"{name} {raw[:40]!r} is not a date; use YYYY-MM-DD")
    return parse_day(raw, end=name == "until", what=name)


def _source(request: Request) -> str | None:
    raw = request.query_params.get("source")
    return raw.strip().lower() if raw and raw.strip() else None


# -- JSON shapes ----------------------------------------------------------------------------------

def _summary(archive: Archive, a) -> dict:
    return {
        "id": a.id,
        "source": a.source,
        "source_name": archive.source_display_name(a.source),
        "title": a.title,
        "url": a.url,
        "published": a.published,
        "versions": a.versions,
    }


def _body_html(readers: Readers, record) -> str:
    from ..publish.render import publish_body

    return publish_body(record, readers.renderer().extractor)


# -- the app ---------------------------------------------------------------------------------------

def create_app(root: Path | str, *, catch_up: bool = True) -> Starlette:
    """The ASGI app serving the archive at ``root`` (read-only)."""
    root = Path(root).resolve()
    Archive.open(root).close()  # fail now, with a clear message, if it is not an archive
    readers = Readers(root)

    def page_number(request: Request) -> int:
        try:
            return _int(request, "page", 1, 1) or 1
        except QueryError as e:
            raise NotFound(str(e)) from None

    # HTML pages --------------------------------------------------------------------------------
    def home(request: Request) -> Response:
        return HTMLResponse(readers.renderer().home(page_number(request)))

    def source_page(request: Request) -> Response:
        return HTMLResponse(readers.renderer().source(request.path_params["slug"], page_number(request)))

    def days_page(request: Request) -> Response:
        return HTMLResponse(readers.renderer().days())

    def day_page(request: Request) -> Response:
        return HTMLResponse(readers.renderer().day(request.path_params["day"]))

    def article_page(request: Request) -> Response:
        aid = request.path_params["id"]
        rev = _int(request, "rev", None, 0)
        if not _ID.fullmatch(aid):
            raise NotFound(f"no article {aid[:40]!r} in this archive")
        article, _ = readers.archive().resolve(aid)
        return HTMLResponse(readers.renderer().article(article.id, rev))

    def search_page(request: Request) -> Response:
        q = request.query_params.get("q", "")
        if not q.strip():
            return HTMLResponse(readers.renderer().search_page("", results=[]))
        readers.catch_up()
        archive = readers.archive()
        hits = search_archive(archive, q, sources=[s] if (s := _source(request)) else None, limit=50)
        articles = {a.id: a for a in archive.catalog.list_articles(ids=[h.id for h in hits])}
        results = [articles[h.id] for h in hits if h.id in articles]
        return HTMLResponse(readers.renderer().search_page(q, results=results))

    def feed(request: Request) -> Response:
        from ..publish.atom import FEED_SIZE, FeedEntry, feed_xml
        from ..publish.render import publish_body

        name = request.path_params["name"]
        if not name.endswith(".xml"):
            raise NotFound(f"no feed {name[:40]!r} (feeds end in .xml)")
        slug = None if name == "all.xml" else name[: -len(".xml")]
        archive, renderer = readers.archive(), readers.renderer()
        articles = archive.catalog.list_articles(source=slug, limit=FEED_SIZE)
        if slug is not None and not articles:
            raise NotFound(f"no source {slug!r} in this archive")
        entries = []
        for a in articles:
            try:
                record = archive.read(a.latest_path)
            except (OSError, NewsvaultError):
                continue
            entries.append(FeedEntry(
                article=a, source_name=archive.source_display_name(a.source), title=record.title or a.title,
                url=record.url, published=a.published, updated=a.published,
                content_html=publish_body(record, renderer.extractor),
            ))
        base = str(request.base_url)
        title = archive.config.name if slug is None else f"{archive.config.name} · {archive.source_display_name(slug)}"
        xml = feed_xml(
            title, f"tag:newsvault,2024:{archive.config.name}/{slug or 'all'}", entries,
            self_href=f"feeds/{name}", home_href="" if slug is None else f"sources/{slug}", base_url=base,
            article_href=lambda aid: f"{base}articles/{aid}",
        )
        return Response(xml, media_type="application/atom+xml; charset=utf-8")

    # JSON API ----------------------------------------------------------------------------------
    def api_articles(request: Request) -> Response:
        archive = readers.archive()
        source, since, until = _source(request), _day(request, "since"), _day(request, "until")
        limit = _int(request, "limit", 20, 1, MAX_LIMIT)
        offset = _int(request, "offset", 0, 0)
        items = archive.catalog.list_articles(source=source, since=since, until=until, limit=limit, offset=offset)
        if since is None and until is None:
            total = archive.catalog.count_articles(source=source)
        else:
            total = len(archive.catalog.list_articles(source=source, since=since, until=until))
        return JSONResponse({
            "articles": [_summary(archive, a) for a in items],
            "total": total,
            "limit": limit,
            "offset": offset,
        })

    def api_article(request: Request) -> Response:
        aid = request.path_params["id"]
        if not _ID.fullmatch(aid):
            raise NotFound(f"no article {aid[:40]!r} in this archive (ids are hexadecimal)")
        rev = _int(request, "rev", None, 0)
        archive = readers.archive()
        article, _ = archive.resolve(aid)
        versions = archive.catalog.versions(article.id)
        if rev is not None and rev >= len(versions):
            raise NotFound(f"article {article.id} has versions 0–{len(versions) - 1}, not {rev}")
        chosen = versions[rev] if rev is not None else versions[-1]
        try:
            record = archive.read(chosen.path)
        except (OSError, NewsvaultError) as e:
            raise NotFound(f"article {article.id}: its record {chosen.path} cannot be read ({e})") from None
        return JSONResponse({
            **_summary(archive, article),
            "title": record.title,
            "url": record.url,
            "canonical_url": article.canonical_url,
            "rev": chosen.rev,
            "versions": [{"rev": v.rev, "title": v.title, "seen": v.seen, "content_hash": v.content_hash} for v in versions],
            "body_html": _body_html(readers, record),
        })

    def api_search(request: Request) -> Response:
        q = request.query_params.get("q")
        if q is None:
            raise QueryError("missing q: give a query, e.g. /api/search?q=加沙")
        if len(q) > MAX_QUERY:
            raise QueryError(f"query too long ({len(q)} characters; at most {MAX_QUERY})")
        source, since, until = _source(request), _day(request, "since"), _day(request, "until")
        limit = _int(request, "limit", 20, 1, MAX_LIMIT)
        offset = _int(request, "offset", 0, 0)
        readers.catch_up()
        archive = readers.archive()
        hits = search_archive(archive, q, sources=[source] if source else None, since=since, until=until, limit=limit, offset=offset)
        return JSONResponse({
            "query": q,
            "results": [
                {
                    "id": h.id,
                    "source": h.source,
                    "source_name": archive.source_display_name(h.source),
                    "title": h.title,
                    "title_html": h.title_html,
                    "published": h.published,
                    "score": round(h.score, 4) if math.isfinite(h.score) else 0.0,
                    "snippet": h.snippet,
                    "snippet_html": h.snippet_html,
                }
                for h in hits
            ],
            "limit": limit,
            "offset": offset,
        })

    document = openapi_document()

    def api_openapi(request: Request) -> Response:
        return JSONResponse(document)

    # errors --------------------------------------------------------------------------------------
    def _error(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
            return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)
        try:
            page = readers.renderer().not_found(message)
        except Exception:  # the error page itself must not fail
            import html

            page = f"<!doctype html><meta charset=utf-8><title>{status}</title><p>{html.escape(message)}</p>"
        return HTMLResponse(page, status_code=status)

    async def on_not_found(request: Request, exc: Exception) -> Response:
        return await run_in_threadpool(_error, request, 404, str(exc))

    async def on_bad_query(request: Request, exc: Exception) -> Response:
        return await run_in_threadpool(_error, request, 400, str(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = {404: "no such page", 405: "this server is read-only: only GET and HEAD are allowed"}.get(exc.status_code, str(exc.detail))
        response = await run_in_threadpool(_error, request, exc.status_code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def on_error(request: Request, exc: Exception) -> Response:
        # A failure of ours (a damaged index, an unreadable file): say so, without a traceback.
        return JSONResponse({"error": {"status": 500, "message": f"internal error: {type(exc).__name__}: {exc}"[:500]}}, status_code=500)

    async def on_newsvault_error(request: Request, exc: Exception) -> Response:
        return await run_in_threadpool(_error, request, 500, str(exc))

    @asynccontextmanager
    async def lifespan(app: Starlette):
        # A few worker threads, not anyio's default 40: the work is CPU-bound Python plus short
        # SQLite reads, and many threads fighting over the GIL only add latency.
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        if catch_up:
            await run_in_threadpool(readers.catch_up)
        yield

    from ..publish.render import STATIC_DIR

    get = ["GET", "HEAD"]
    routes = [
        Route("/", home, methods=get),
        Route("/sources/{slug}", source_page, methods=get),
        Route("/days/", days_page, methods=get),
        Route("/days/{day}", day_page, methods=get),
        Route("/articles/{id}", article_page, methods=get),
        Route("/search", search_page, methods=get),
        Route("/feeds/{name}", feed, methods=get),
        Route("/api/articles", api_articles, methods=get),
        Route("/api/articles/{id}", api_article, methods=get),
        Route("/api/search", api_search, methods=get),
        Route("/openapi.json", api_openapi, methods=get),
        Mount("/static", app=StaticFiles(directory=str(STATIC_DIR), check_dir=False), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            NotFound: on_not_found,
            QueryError: on_bad_query,
            NewsvaultError: on_newsvault_error,
            HTTPException: on_http,
            Exception: on_error,
        },
        lifespan=lifespan,
    )
    app.state.readers = readers
    return SecurityHeaders(app)  # type: ignore[return-value]


