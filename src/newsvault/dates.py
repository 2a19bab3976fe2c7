"""Dates a user gives (``--since/--until``, ``since:``/``until:`` in a query, ``?since=``): one
meaning everywhere. A bare day is whole and inclusive at both ends — ``until`` a day is up to the
end of that day — and a full timestamp is exact. Bounds come back as epoch ms, ``until``
exclusive, which is how the catalog and the search engines compare."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .errors import QueryError

__all__ = ["parse_day"]

_DAY_MS = 86_400_000


def parse_day(value: str, end: bool = False, what: str = "date") -> int:
    """A date as epoch ms (UTC unless an offset is given). ``end``: a bare day means its end."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            ms = int(day.timestamp() * 1000)
            return ms + _DAY_MS if end else ms  # (no datetime arithmetic: 9999-12-31 + 1 day overflows)
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise QueryError(f"{what} {value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)
