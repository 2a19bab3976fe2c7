"""The JSON API of the reader server (described by :mod:`newsvault.serve.openapi`)."""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..archive import Archive
from ..catalog import Article, Version
from ..errors import NewsvaultError, NotFound, QueryError
from ..preserve.history import article_history
from ..publish.render import publish_body
from ..search import MAX_LIMIT, count_matches, search_archive
from ..search.query import MAX_QUERY
from .openapi import openapi_document
from .pages import readers
from .params import article_id, day_param, int_param, source_param, whole_param

__all__ = ["api_articles", "api_article", "api_search", "api_openapi"]


def summary(archive: Archive, a: Article) -> dict[str, Any]:
    return {
        "id": a.id,
        "source": a.source,
        "source_name": archive.source_display_name(a.source),
        "title": a.title,
        "url": a.url,
        "published": a.published,
        "versions": a.versions,
    }


def version_rows(archive: Archive, article: Article, versions: list[Version]) -> list[dict[str, Any]]:
    """Each version as ``newsvault history`` and the pages show it: label ``vN`` (N = rev, from 0)
    and, from v1 on, what it changed against the version before (None: the same text)."""
    changes = {c.new.rev: c for c in article_history(archive, article).changes} if len(versions) > 1 else {}
    rows: list[dict[str, Any]] = []
    for v in versions:
        c = changes.get(v.rev)
        rows.append({
            "rev": v.rev, "label": f"v{v.rev}", "title": v.title, "seen": v.seen, "content_hash": v.content_hash,
            "change": None if c is None else {"inserted": c.inserted, "deleted": c.deleted, "markup_only": c.markup_only},
        })
    return rows


def api_articles(request: Request) -> Response:
    archive = readers(request).archive()
    source, since, until = source_param(request), day_param(request, "since"), day_param(request, "until")
    limit = whole_param(request, "limit", 20, 1, MAX_LIMIT)
    offset = whole_param(request, "offset", 0, 0)
    items = archive.catalog.list_articles(source=source, since=since, until=until, limit=limit, offset=offset)
    if since is None and until is None:
        total = archive.catalog.count_articles(source=source)
    else:
        total = len(archive.catalog.list_articles(source=source, since=since, until=until))
    return JSONResponse({"articles": [summary(archive, a) for a in items], "total": total, "limit": limit, "offset": offset})


def api_article(request: Request) -> Response:
    aid = article_id(request, " (ids are hexadecimal)")
    rev = int_param(request, "rev", None, 0)
    r = readers(request)
    archive = r.archive()
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
        **summary(archive, article),
        "title": record.title,
        "url": record.url,
        "canonical_url": article.canonical_url,
        "rev": chosen.rev,
        "versions": version_rows(archive, article, versions),
        "body_html": publish_body(record, r.renderer().extractor),
    })


def api_search(request: Request) -> Response:
    q = request.query_params.get("q")
    if q is None:
        raise QueryError("missing q: give a query, e.g. /api/search?q=加沙")
    if len(q) > MAX_QUERY:
        raise QueryError(f"query too long ({len(q)} characters; at most {MAX_QUERY})")
    source, since, until = source_param(request), day_param(request, "since"), day_param(request, "until")
    limit = whole_param(request, "limit", 20, 1, MAX_LIMIT)
    offset = whole_param(request, "offset", 0, 0)
    r = readers(request)
    r.catch_up()
    archive = r.archive()
    hits = search_archive(archive, q, sources=[source] if source else None, since=since, until=until, limit=limit, offset=offset)
    results = [
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
    ]
    total = count_matches(archive, q, sources=[source] if source else None, since=since, until=until)
    return JSONResponse({"query": q, "total": total, "results": results, "limit": limit, "offset": offset})


_DOCUMENT = openapi_document()


def api_openapi(request: Request) -> Response:
    return JSONResponse(_DOCUMENT)
