"""An article's versions, ordered by evidence: a pure function of its record files.

Every record file is an *observation* of a text: its content hash, and when the material says
it was seen (``evidence``: a revision's ``<seen>.md`` name, a Jekyll post's date, the moment a
collector fetched it), or nothing (a plain record of unknown sighting). The version history is
derived from the set of observations alone, never from the order in which files arrived, so
the same material imported in any order or split gives the same history:

* observations with a known time are put in time order; a run of consecutive observations of
  the same text is one version, first seen at the run's earliest time (A, A, B is two versions;
  A, B, A is three: an edit later reverted);
* an observation of unknown time whose text is also seen at a known time is that sighting (the
  undated file adds no version and takes the known time);
* a text seen only at unknown times is a version of unknown time, placed by its publication
  date (the only date the material gives), and merged with a neighbour of the same text.

A time known only to the second (a revision's name) counts as that second's end, so it follows
a sighting of the same second known to the millisecond (see :func:`when_seen`). Ties (two files
claiming one second) are broken by content hash, so they too are ordered the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from . import Version

__all__ = ["Ordered", "order_versions", "current_at", "when_seen"]


@dataclass(frozen=True)
class Ordered:
    """The outcome for one article: its versions (rev 0…n-1) and the files that repeat one."""

    versions: list[Version]
    repeats: list[Version]  # rev -1: a file whose text is a version listed above


def _is_record_file(v: Version) -> bool:
    return v.path.startswith("articles/")


def when_seen(evidence: int) -> int:
    """``evidence`` (epoch ms) as a time to order sightings by. A time in whole seconds is taken
    as the end of its second: a revision's name says only the second, so its 12:00:00 may be
    12:00:00.900, after an article a collector saw at 12:00:00.300 (which the catalog keeps to
    the millisecond). Two whole-second times still tie, and are broken by content hash."""
    return evidence + 999 if evidence % 1000 == 0 else evidence


def order_versions(observations: Iterable[Version]) -> Ordered:
    """The versions of one article from all its files (see the module docstring).

    A version's ``seen`` is when its text was first seen as far as the files say (None: unknown);
    its ``path`` is the file holding that first sighting (the record under ``articles/`` when
    the text was never dated)."""
    obs = list(observations)
    known = [v for v in obs if v.evidence is not None]
    dated_texts = {v.content_hash for v in known}
    undated: dict[str, list[Version]] = {}
    for v in obs:
        if v.evidence is None and v.content_hash not in dated_texts:
            undated.setdefault(v.content_hash, []).append(v)

    # (when, undated?, text, path): a total order that depends on the files only.
    events: list[tuple[int, int, str, str, Version]] = [
        (when_seen(v.evidence or 0), 0, v.content_hash, v.path, v) for v in known
    ]
    for text, group in undated.items():
        when = min((v.published for v in group if v.published is not None), default=0)
        events.extend((when, 1, text, v.path, v) for v in group)
    events.sort(key=lambda e: e[:4])

    runs: list[list[Version]] = []
    for *_key, v in events:
        if runs and runs[-1][0].content_hash == v.content_hash:
            runs[-1].append(v)
        else:
            runs.append([v])

    versions: list[Version] = []
    repeats: list[Version] = []
    for rev, run in enumerate(runs):
        dated = [v for v in run if v.evidence is not None]
        if dated:
            # Of sightings in one second, a file whose name says the time (a revision) is
            # the one a rebuild from the files also finds.
            first = min(dated, key=lambda v: (v.evidence or 0, _is_record_file(v), v.path))
            seen: int | None = first.evidence
        else:
            first = min(run, key=lambda v: (not _is_record_file(v), v.path))
            seen = None
        versions.append(replace(first, rev=rev, seen=seen))
        repeats.extend(replace(v, rev=-1, seen=seen) for v in run if v is not first)
    # Undated files of a dated text: the text's earliest sighting dates them.
    first_seen = {v.content_hash: v.seen for v in reversed(versions)}
    for v in obs:
        if v.evidence is None and v.content_hash in dated_texts:
            repeats.append(replace(v, rev=-1, seen=first_seen.get(v.content_hash)))
    return Ordered(versions, repeats)


def current_at(versions: list[Version], when: int) -> Version | None:
    """The dated version a reader would have seen at ``when`` (epoch ms), or None when no
    version is known to have been seen by then (versions in rev order)."""
    current = None
    for v in versions:
        if v.seen is not None and v.seen <= when:
            current = v
    return current
