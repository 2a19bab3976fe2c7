"""Publisher boilerplate: footers a publisher's feed appends to every item, per source.

CDT's feeds end each item with ``© author for 中国数字时代, get_post_time('Y'). |Permalink |No
comment |Add to del.icio.us``, ``Post tags: …`` and ``Feed enhanced by Better Feed from Ozh``
(a WordPress plugin's template, its PHP call left unexpanded). Records keep these bytes as
received — the original archivers' records have them, and a record is evidence — so they are
dropped on the way out instead: from pages, feeds, snippets, the search index, exports, and by
the change classifier (:mod:`newsvault.preserve.significance`), so that a change touching only
them is shown as such. A rule is chosen by the host of the article's URL: it fires only on the
publisher that writes that footer, never on an article that quotes it.

Only ``re`` here: the search index and the exporters import this on their hot paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Boilerplate", "BOILERPLATE", "strip_boilerplate", "boilerplate_of"]


@dataclass(frozen=True)
class Boilerplate:
    """A publisher's footer: where it is written (hosts, subdomains included) and what it looks like."""

    name: str
    hosts: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]

    def applies_to(self, url: str) -> bool:
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            return False
        return any(host == h or host.endswith("." + h) for h in self.hosts)


# Each pattern stays inside one <small>…</small> (the tempered dot), so an article's own text
# is never reached: the footer is matched as the WordPress plugin writes it, quotes and the
# <hr /> spelled either way (records collected through nh3 have <hr> and double quotes).
_IN_SMALL = r"(?:(?!</small>).)*?"
BOILERPLATE: tuple[Boilerplate, ...] = (
    Boilerplate("cdt-footer", ("chinadigitaltimes.net",), (
        # "© author for 中国数字时代, get_post_time('Y'). |Permalink |No comment |Add to del.icio.us<br/>Post tags: …"
        re.compile(rf"(?:<hr\s*/?>\s*)?<p>\s*<small>{_IN_SMALL}get_post_time\(\s*['\"]Y['\"]\s*\){_IN_SMALL}</small>\s*</p>", re.S | re.I),
        # "Feed enhanced by Better Feed from Ozh"
        re.compile(rf"<p>\s*<small>\s*Feed enhanced by{_IN_SMALL}Better Feed{_IN_SMALL}</small>\s*</p>", re.S | re.I),
    )),
)


def _rules(url: str) -> list[Boilerplate]:
    return [b for b in BOILERPLATE if b.applies_to(url)]


def strip_boilerplate(html: str, url: str) -> str:
    """``html`` without the footers its publisher (known by ``url``) appends to every item."""
    for rule in _rules(url):
        for pattern in rule.patterns:
            html = pattern.sub("", html)
    return html


def boilerplate_of(html: str, url: str) -> list[str]:
    """The boilerplate found in ``html``, in order (what :func:`strip_boilerplate` removes)."""
    found: list[str] = []
    for rule in _rules(url):
        for pattern in rule.patterns:
            found.extend(m.group(0) for m in pattern.finditer(html))
    return found
