"""Feed dates as feedparser reads them, without importing feedparser for the common forms.

Nearly every feed dates its items in one of two shapes: RFC 822 (``Tue, 07 Nov 2023 12:15:02
GMT``, RSS) and ISO 8601 to the second (``2023-11-07T12:15:02Z``, Atom and Dublin Core). Those
are read here with the arithmetic of feedparser's own handlers for them (``_parse_date_rfc822``,
``_parse_date_w3dtf``); any other shape, and any value those handlers would not accept as it
is (a day the month lacks, an hour past 23), goes to feedparser's ``_parse_date`` itself. The
answer is the same either way (``tests/test_parse_conformance.py`` compares them); the
difference is the tenth of a pass's start-up that importing feedparser costs.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

__all__ = ["parse_date_ms"]

# Dates outside these bounds are typing errors or placeholders ("0001-01-01", "99999"), not news.
EARLIEST_MS = 0  # 1970-01-01
LATEST_MS = 253_402_300_800_000  # 10000-01-01
_EPOCH = datetime(1970, 1, 1)

_MONTHS = {m: n for n, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# feedparser lower-cases a date before reading it: names match in any case.
_RFC822 = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun), )?(\d{1,2}) (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec) (\d{4}) "
    r"(\d{2}):(\d{2})(?::(\d{2}))? (gmt|ut|utc|z|[+-]\d{2}:?\d{2})",
    re.IGNORECASE,
)
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(z|[+-]\d{2}:\d{2})", re.IGNORECASE)


def _offset(zone: str) -> timedelta:
    """A zone as both handlers read it: a name here is UTC; ``±hh[:]mm`` hours and minutes."""
    if zone[0] not in "+-":
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    minutes = zone[4:] if ":" in zone else zone[3:]
    return timedelta(hours=sign * int(zone[1:3]), minutes=sign * int(minutes))


def _fast(value: str) -> int | None:
    """Epoch ms of a date in one of the two common shapes, or None (then feedparser decides)."""
    m = _ISO.fullmatch(value)
    if m is not None:
        fields = [int(g) for g in m.groups()[:6]]
        zone = m.group(7)
    else:
        m = _RFC822.fullmatch(value)
        if m is None:
            return None
        day, month, year, hour, minute, second, zone = m.groups()
        fields = [int(year), _MONTHS[month.lower()], int(day), int(hour), int(minute), int(second or 0)]
    try:
        year, month, day, hour, minute, second = fields
        stamp = datetime(year, month, day, hour, minute, second) - _offset(zone)
    except (ValueError, OverflowError):
        return None
    ms = int((stamp - _EPOCH).total_seconds()) * 1000
    return ms if EARLIEST_MS <= ms < LATEST_MS else None


def parse_date_ms(value: str) -> int | None:
    """``value`` (stripped) as feedparser reads it, in epoch ms; None when absent or absurd."""
    ms = _fast(value)
    if ms is not None:
        return ms
    from feedparser.datetimes import _parse_date  # the other shapes: feedparser's many handlers

    from .rules import epoch_ms

    return epoch_ms(_parse_date(value))
