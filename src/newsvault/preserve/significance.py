"""Minor and major changes: which edits the change feeds and the changes page announce.

Every version is kept whatever it changed; this decides only whether a change is *announced*.
A change is **minor** when the two versions differ only in ways a reader does not read:

``boilerplate``
    the publisher's footers (:mod:`newsvault.boilerplate`: CDT's ``get_post_time('Y')
    |Permalink …``, ``Post tags: …``, ``Feed enhanced by Better Feed from Ozh``);
``markup``
    the HTML, the text being the same (a tag renamed, a link or emphasis added or removed);
``whitespace``
    spaces, line and paragraph breaks in the text;
``punctuation``
    full-width against half-width forms (``，`` / ``,``, ``：`` / ``:``, ``（`` / ``(``,
    full-width letters and digits): the text is the same after Unicode NFKC.

Everything else is ``text`` (major), and a title that changes beyond those ways is ``title``
(major, flagged as such). The rule is applied in that order on the body with the boilerplate
dropped, so each minor change lists exactly the ways that, undone, make the versions equal.
``[changes]`` in newsvault.toml sets which ways count as minor (``minor``, default all four)
and ``minor_chars`` (default 0): a text edit of at most that many characters (inserted plus
deleted, whitespace not counted, after the normalisations above) is minor too, as ``small``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..boilerplate import boilerplate_of, strip_boilerplate
from ..text import html_to_text
from .diff import diff_stats, diff_text

__all__ = ["MINOR_WAYS", "Significance", "Thresholds", "classify", "squash", "width_fold"]

MINOR_WAYS = ("boilerplate", "markup", "whitespace", "punctuation")
_SPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    """``text`` without any whitespace (spacing and paragraph breaks do not count)."""
    return _SPACE.sub("", text)


def width_fold(text: str) -> str:
    """``text`` with full-width and compatibility forms folded to their plain ones (NFKC)."""
    return unicodedata.normalize("NFKC", text)


@dataclass(frozen=True)
class Thresholds:
    """Which ways count as minor, and how many characters of real text edit still do."""

    minor: tuple[str, ...] = MINOR_WAYS
    minor_chars: int = 0


@dataclass(frozen=True)
class Significance:
    """How two versions differ: ``ways`` (in the order of the rule), and whether that is minor."""

    minor: bool
    ways: tuple[str, ...]

    @property
    def title(self) -> bool:
        return "title" in self.ways

    @property
    def label(self) -> str:
        return "minor" if self.minor else "major"


def _text_ways(old: str, new: str, thresholds: Thresholds) -> list[str]:
    """How two texts differ: [] (not at all), one or two of the minor ways, ``small`` or ``text``."""
    if old == new:
        return []
    if squash(old) == squash(new):
        return ["whitespace"]
    if width_fold(old) == width_fold(new):
        return ["punctuation"]
    if squash(width_fold(old)) == squash(width_fold(new)):
        return ["whitespace", "punctuation"]
    if thresholds.minor_chars > 0:
        stats = diff_stats(diff_text(width_fold(old), width_fold(new)))
        if stats["inserted"] + stats["deleted"] <= thresholds.minor_chars:
            return ["small"]
    return ["text"]


def classify(old_title: str, old_html: str, new_title: str, new_html: str, url: str,
             thresholds: Thresholds = Thresholds()) -> Significance:
    """How the version (``new_title``, ``new_html``) differs from (``old_title``, ``old_html``)
    of the article at ``url`` (its host picks the boilerplate rules)."""
    ways: list[str] = []
    if boilerplate_of(old_html, url) != boilerplate_of(new_html, url):
        ways.append("boilerplate")
    old_body, new_body = strip_boilerplate(old_html, url), strip_boilerplate(new_html, url)
    if old_body != new_body:
        body_ways = _text_ways(html_to_text(old_body), html_to_text(new_body), thresholds)
        ways.extend(body_ways or ["markup"])
    if old_title != new_title:
        title_ways = _text_ways(old_title, new_title, Thresholds())
        ways.extend("title" if w == "text" else w for w in title_ways)
    ways = list(dict.fromkeys(ways))  # once each, in the order found
    minor = all(w in thresholds.minor or (w == "small" and thresholds.minor_chars > 0) for w in ways)
    return Significance(minor, tuple(ways))
