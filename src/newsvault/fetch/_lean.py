"""httpx and httpcore, imported without the parts newsvault never uses.

Every hourly pass is a fresh process, so import time is part of what a pass costs. Two imports
dominate and buy nothing here: httpcore imports trio whenever it is installed (to support trio
event loops; newsvault runs on asyncio only), httpx imports its command-line tool (click,
rich, pygments), and httpx loads brotli and zstandard for its response decoders, which
newsvault never uses (it reads raw bodies and decodes them itself, bounded: see decoding.py).
All are optional imports the libraries guard with ``except ImportError``; a
``None`` entry in ``sys.modules`` for the span of the import makes them take that path, and
is removed straight after, so nothing else in the process is affected.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def _without(*names: str) -> Iterator[None]:
    blocked = [n for n in names if n not in sys.modules]
    for n in blocked:
        sys.modules[n] = None  # type: ignore[assignment]  # "import n" now raises ImportError
    try:
        yield
    finally:
        for n in blocked:
            if sys.modules.get(n, 0) is None:
                del sys.modules[n]


with _without("trio", "httpx._main", "brotli", "brotlicffi", "zstandard"):
    import httpcore
    import httpx

__all__ = ["httpcore", "httpx"]
