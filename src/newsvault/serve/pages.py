"""HTML pages and Atom feeds of the reader server (the static site's pages, rendered live).

Each handler is a plain function of the request; the archive comes from ``request.app.state.readers``
(:class:`~newsvault.serve.readers.Readers`)."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..errors import NotFound, QueryError
from ..publish.atom import article_changes_feed as article_feed
from ..publish.atom import changes_feed_for, feed_for
from ..search import count_matches, search_archive
from .params import article_id, int_param, page_param, source_param, whole_param
from .readers import Readers

__all__ = ["home", "source_page", "days_page", "day_page", "article_page", "static_article_page", "search_page", "feed", "media_file", "kept_file",
           "changes_page", "changes_feed", "article_changes_feed", "health_page"]

# The static site's article files, ``articles/<id[:2]>/<id>.html`` and ``<id>.rN.html``: the
# server answers them too, so a link copied from the static mirror works here.
_STATIC_ARTICLE = re.compile(r"(?P<id>[0-9a-f]{12})(?:\.r(?P<rev>\d{1,6}))?\.html")


SEARCH_PAGE = 50  # results on one page of /search (next/previous pages hold the rest)


def readers(request: Request) -> Readers:
    r: Readers = request.app.state.readers
    return r


def home(request: Request) -> Response:
    return HTMLResponse(readers(request).renderer().home(page_param(request)))


def source_page(request: Request) -> Response:
    return HTMLResponse(readers(request).renderer().source(request.path_params["slug"], page_param(request)))


def days_page(request: Request) -> Response:
    return HTMLResponse(readers(request).renderer().days())


def day_page(request: Request) -> Response:
    day = request.path_params["day"]
    return HTMLResponse(readers(request).renderer().day(day.removesuffix(".html")))  # static: days/<day>.html


def article_page(request: Request) -> Response:
    aid = article_id(request)
    rev = int_param(request, "rev", None, 0)
    r = readers(request)
    article, _ = r.archive().resolve(aid)
    return HTMLResponse(r.renderer().article(article.id, rev))


def static_article_page(request: Request) -> Response:
    """``/articles/<id[:2]>/<id>.html`` (and ``.rN.html``): the static site's path of a page."""
    m = _STATIC_ARTICLE.fullmatch(request.path_params["name"])
    if m is None or not m["id"].startswith(request.path_params["prefix"]):
        raise NotFound("no such article page (article pages are /articles/<id>)")
    r = readers(request)
    article, _ = r.archive().resolve(m["id"])
    return HTMLResponse(r.renderer().article(article.id, int(m["rev"]) if m["rev"] else None))


def search_page(request: Request) -> Response:
    q = request.query_params.get("q", "")
    r = readers(request)
    if not q.strip():
        return HTMLResponse(r.renderer().search_page("", results=[]))
    r.catch_up()
    archive = r.archive()
    source = source_param(request)
    order = request.query_params.get("order", "relevance")
    if order not in ("relevance", "newest"):
        raise QueryError(f"order must be relevance or newest, not {order[:20]!r}")
    offset = whole_param(request, "offset", 0, 0)
    sources = [source] if source else None
    hits = search_archive(archive, q, sources=sources, limit=SEARCH_PAGE, offset=offset, newest=order == "newest")
    total = count_matches(archive, q, sources=sources)  # the same exact total as /api/search
    articles = {a.id: a for a in archive.catalog.list_articles(ids=[h.id for h in hits])}
    results = [articles[h.id] for h in hits if h.id in articles]
    snippets = {h.id: (h.title_html, h.snippet_html) for h in hits}
    paging = {"total": total, "offset": offset, "size": SEARCH_PAGE, "source": source}
    return HTMLResponse(r.renderer().search_page(q, results=results, snippets=snippets, order=order, paging=paging))


def feed(request: Request) -> Response:
    """``/feeds/<slug>.xml``: links absolute under this server's address (the Host header,
    checked by the host middleware)."""
    name = request.path_params["name"]
    if not name.endswith(".xml"):
        raise NotFound(f"no feed {name[:40]!r} (feeds end in .xml)")
    slug = None if name == "all.xml" else name[: -len(".xml")]
    r = readers(request)
    renderer = r.renderer()
    xml = feed_for(r.archive(), slug, mode="live", base_url=str(request.base_url), extractor=renderer.extractor)
    return Response(xml, media_type="application/atom+xml; charset=utf-8")


def media_file(request: Request) -> Response:
    """``/media/<xx>/<sha256>.<ext>``: a kept article image (content-addressed, so cacheable for
    ever). Only names of that form are served, with the type the fetcher verified."""
    from starlette.responses import FileResponse

    from ..media.publish import media_file as find

    archive = readers(request).archive()
    found = find(archive.root, archive.config.media.dir, f"{request.path_params['shard']}/{request.path_params['name']}")
    if found is None:
        raise NotFound("no such image in this archive")
    return FileResponse(found[0], media_type=found[1], headers={"cache-control": "public, max-age=31536000, immutable"})


def kept_file(request: Request) -> Response:
    """``/files/<site>/<sha256>.<ext>``: a file ``save`` kept (a PDF, an image, text), as the
    static site carries it. Named by its checksum, so cacheable for ever; served with the type
    ``save`` verified and the server's usual headers (nosniff, a CSP without inline script)."""
    from starlette.responses import FileResponse

    from ..save.files import kept_file as find

    found = find(readers(request).archive().root, f"files/{request.path_params['site']}/{request.path_params['name']}")
    if found is None:
        raise NotFound("no such kept file in this archive")
    return FileResponse(found[0], media_type=found[1], headers={"cache-control": "public, max-age=31536000, immutable"})


def changes_page(request: Request) -> Response:
    """``/changes`` and ``/changes/<slug>`` (the static site's ``changes.html`` and
    ``changes/<slug>.html`` too): every edit and deletion, newest first. Deletions come from the
    renderer's deletion state, which the server refreshes when ``checks/*.jsonl`` change."""
    slug = request.path_params.get("slug")
    if slug is not None:
        slug = slug.removesuffix(".html")
    return HTMLResponse(readers(request).renderer().changes(slug))


def changes_feed(request: Request) -> Response:
    """``/feeds/changes/<slug or all>.xml``."""
    name = request.path_params["name"]
    if not name.endswith(".xml"):
        raise NotFound(f"no feed {name[:40]!r} (feeds end in .xml)")
    slug = None if name == "all.xml" else name[: -len(".xml")]
    r = readers(request)
    r.renderer()  # brings the deletion state up to date
    xml = changes_feed_for(r.archive(), slug, mode="live", base_url=str(request.base_url))
    return Response(xml, media_type="application/atom+xml; charset=utf-8")


def health_page(request: Request) -> Response:
    """``/health`` (and the static ``/health.html``): every source's collection health."""
    return HTMLResponse(readers(request).renderer().health())


def article_changes_feed(request: Request) -> Response:
    """``/feeds/changes/articles/<id>.xml``: one article's edits and deletion."""
    name = request.path_params["name"]
    r = readers(request)
    article = r.archive().catalog.get(name.removesuffix(".xml")) if name.endswith(".xml") else None
    if article is None:
        raise NotFound(f"no article {name.removesuffix('.xml')[:40]!r} in this archive")
    r.renderer()  # brings the deletion state up to date
    xml = article_feed(r.archive(), article, mode="live", base_url=str(request.base_url))
    return Response(xml, media_type="application/atom+xml; charset=utf-8")
