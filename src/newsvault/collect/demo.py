"""Sample feeds shipped with newsvault, for a demo that runs offline (``file://`` URLs).

Built from real archived articles (see ``newsvault/demo/feeds``): an RSS 2.0 feed with full
``content:encoded`` bodies (法广), an Atom feed (译言), and a CDT-style feed of teasers whose
article pages are local files, collected with CDT's real settings (page body, selector
``div.post-content``, emoji category filter: one of its three items is filtered out).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..config import DEFAULT_SOURCES, Source

__all__ = ["demo_sources", "DEMO_FEEDS"]

DEMO_FEEDS = Path(__file__).resolve().parent.parent / "demo" / "feeds"


def demo_sources(dest_dir: Path | str) -> list[Source]:
    """Copy the sample feeds into ``dest_dir`` and return Sources that read them there.

    The copies (not the installed package files) are what the sources point at, so a demo can
    edit a feed and collect again to show a revision being archived. Existing copies are kept.
    """
    dest = Path(dest_dir).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(DEMO_FEEDS.rglob("*")):
        target = dest / path.relative_to(DEMO_FEEDS)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif not target.exists():  # never undo an edit made to a copy
            shutil.copyfile(path, target)
    cdt = next(s for s in DEFAULT_SOURCES if s.slug == "cdt")
    return [
        Source("rfi", "法广", [(dest / "rfi.xml").as_uri()]),
        Source("yeeyan", "译言", [(dest / "yeeyan.atom").as_uri()]),
        Source("cdt", "中国数字时代", [(dest / "cdt.xml").as_uri()], body="page", selector=cdt.selector, category=cdt.category),
    ]
