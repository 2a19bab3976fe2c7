"""Every HTML page of the mirror, rendered from the archive: one renderer, two URL schemes.

Public API (the reader server, issue 5, serves the same pages live)::

    from newsvault.publish.render import PageRenderer

    r = PageRenderer(archive, mode="live")        # or mode="static" (what `newsvault build --site` uses)
    r.home(page=1) -> str                         # newest articles across all sources
    r.source(slug, page=1) -> str                 # one source, newest first, paginated
    r.day(date_str) -> str                        # "YYYY-MM-DD", a day in Asia/Shanghai
    r.article(article_id, rev=None) -> str        # latest version, or version `rev` (0 = first)
    r.search_page(query="", results=None) -> str  # results: list of Article (live: from the server's
                                                  # index); None in static mode = client-side search
    r.not_found(message) -> str                   # a 404 page in the site's look

Unknown slugs, days or ids raise :class:`newsvault.errors.NotFound`.

URL scheme:

=================  ====================================  ===========================================
page               live (absolute paths)                 static (files; links are relative)
=================  ====================================  ===========================================
home               ``/``, ``/?page=2``                   ``index.html`` (newest PAGE_SIZE)
source             ``/sources/<slug>``, ``?page=2``      ``sources/<slug>/index.html``, ``page-2.html``
day                ``/days/<YYYY-MM-DD>``                ``days/<YYYY-MM-DD>.html``
days index         ``/days/``                            ``days/index.html``
article            ``/articles/<id>``                    ``articles/<id[:2]>/<id>.html``
article version    ``/articles/<id>?rev=N``              ``articles/<id[:2]>/<id>.rN.html``
search             ``/search?q=…``                       ``search.html?q=…`` (index under ``search/``)
feeds              ``/feeds/all.xml``, ``/feeds/<slug>.xml``   same paths, relative
static assets      ``/static/<file>``                    ``static/<file>``
=================  ====================================  ===========================================

:data:`STATIC_DIR` is the folder holding the CSS/JS files to serve under ``/static/``.
"""
