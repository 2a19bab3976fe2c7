"""Getting bytes from the network (or ``file://``) politely and defensively.

``Fetcher`` is an async HTTP client (httpx) with timeouts, retries with exponential backoff and
jitter, ``Retry-After``, conditional GET, a redirect limit, a streaming body-size cap and
bounded concurrency overall and per host. ``ValidatorStore`` keeps each feed's ETag and
Last-Modified (derived state in ``.newsvault/``) so that an unchanged feed costs one 304.
"""

from .client import USER_AGENT, Fetcher, FetchPolicy, Response
from .state import ValidatorStore

__all__ = ["Fetcher", "FetchPolicy", "Response", "ValidatorStore", "USER_AGENT"]
