"""How the reader server answers errors: JSON under ``/api/`` (and ``/openapi.json``), an HTML
page in the site's look elsewhere; always one message in the user's terms, never a traceback."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ..errors import NewsvaultError, NotFound, QueryError

__all__ = ["error_response", "EXCEPTION_HANDLERS"]

_HTTP_MESSAGES = {404: "no such page", 405: "this server is read-only: only GET and HEAD are allowed"}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def error_response(request: Request, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)
    try:
        page = request.app.state.readers.renderer().not_found(message)
    except Exception:  # the error page itself must not fail
        page = f"<!doctype html><meta charset=utf-8><title>{status}</title><p>{html.escape(message)}</p>"
    return HTMLResponse(page, status_code=status)


async def on_not_found(request: Request, exc: Exception) -> Response:
    return await run_in_threadpool(error_response, request, 404, str(exc))


async def on_bad_query(request: Request, exc: Exception) -> Response:
    return await run_in_threadpool(error_response, request, 400, str(exc))


async def on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = _HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
    response = await run_in_threadpool(error_response, request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def on_newsvault_error(request: Request, exc: Exception) -> Response:
    return await run_in_threadpool(error_response, request, 500, str(exc))


async def on_error(request: Request, exc: Exception) -> Response:
    # A failure of ours (a damaged index, an unreadable file): say so, without a traceback.
    return JSONResponse({"error": {"status": 500, "message": f"internal error: {type(exc).__name__}: {exc}"[:500]}}, status_code=500)


EXCEPTION_HANDLERS: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
    NotFound: on_not_found,
    QueryError: on_bad_query,
    NewsvaultError: on_newsvault_error,
    HTTPException: on_http,
    Exception: on_error,
}
