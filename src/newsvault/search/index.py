"""Search index (issue 5 fills this in): kept current by Archive listeners."""

from __future__ import annotations


def update_index(archive, versions, rebuild: bool = False) -> None:
    """Bring the search index up to date with ``versions`` just added to ``archive``."""
    return None
