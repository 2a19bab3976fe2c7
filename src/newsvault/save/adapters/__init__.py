"""Site adapters for ``newsvault save``: one small declarative rule per site.

A rule says which URLs are the site's (hosts, a path pattern), where the title, author,
publication time and body are on its pages (CSS selectors, tried in order; a ``meta`` element
gives its ``content``), the User-Agent its pages want, which notices mean the page was deleted or blocked, and how its URL
forms map to one canonical URL. :func:`pick` finds the rule for a URL; the default rule (any
other page) takes trafilatura's main text and the page's ``og:``/JSON-LD metadata.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["Adapter", "ADAPTERS", "DEFAULT", "pick", "tidy_url"]


@dataclass(frozen=True)
class Adapter:
    name: str  # the site: records go under articles/<name>/
    hosts: tuple[str, ...] = ()  # exact host names (lower case)
    path: str = ""  # a regex the URL's path must match (search)
    title: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    time: tuple[str, ...] = ()  # elements whose text, ``datetime`` or ``content`` is a time
    time_script: str | None = None  # a regex over inline scripts whose group "unix" is epoch seconds
    body: tuple[str, ...] = ()  # the article element (empty: trafilatura)
    drop: tuple[str, ...] = ()  # page chrome inside the body element
    gone: tuple[str, ...] = ()  # phrases of the site's deletion / blocking notices
    canonical: Callable[[str], str] | None = field(default=None, compare=False)  # URL form -> the one URL
    canonical_from_page: tuple[str, ...] = ()  # where the page names its own URL (``og:url``)
    tz: str = "Asia/Shanghai"  # times written without an offset are local to the site
    # The User-Agent this site's pages are fetched with (None: newsvault's own): some sites
    # answer only their own clients, or give a different page to others.
    user_agent: str | None = None
    # Sites whose article comes as JSON (Weibo): the endpoint for a URL, and the fields of its
    # ``data`` object (dotted paths); ``json_pictures`` is a list of {"large": {"url": …}}.
    api: Callable[[str], str | None] | None = field(default=None, compare=False)
    json_title: str = ""
    json_author: str = ""
    json_body: str = ""
    json_time: str = ""
    json_pictures: str = ""

    def matches(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
        return host in self.hosts and (not self.path or re.search(self.path, parts.path or "/") is not None)


def tidy_url(url: str) -> str:
    """A URL as people paste it: ``&amp;`` copied from HTML unescaped, the fragment dropped,
    no scheme taken as https."""
    url = url.strip().replace("&amp;", "&")
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:(?!\d)", url):  # a scheme, not host:port
        url = "https://" + url
    return url.split("#", 1)[0]


from .cdt import CDT  # noqa: E402 - the rules use Adapter
from .default import DEFAULT  # noqa: E402
from .matters import MATTERS  # noqa: E402
from .telegraph import TELEGRAPH  # noqa: E402
from .wechat import WECHAT  # noqa: E402
from .weibo import WEIBO  # noqa: E402
from .zhihu import ZHIHU  # noqa: E402

ADAPTERS: tuple[Adapter, ...] = (WECHAT, WEIBO, ZHIHU, MATTERS, TELEGRAPH, CDT)


def pick(url: str) -> Adapter:
    """The adapter for ``url`` (the default one for any other site)."""
    return next((a for a in ADAPTERS if a.matches(url)), DEFAULT)
