"""Getting bytes from the network (or ``file://``) politely and defensively: the one HTTP
client of newsvault, used by collect, recheck and anything else that fetches.

``Fetcher`` is an async HTTP client (httpx) with timeouts, retries with exponential backoff and
jitter, ``Retry-After``, conditional GET, a redirect limit, a streaming body-size cap, bounded
concurrency overall and per host, optional spacing of requests per host, and an address policy
that refuses non-public addresses (checked on the address connected to, every redirect hop
included). ``ValidatorStore`` keeps each feed's ETag and Last-Modified (derived state in
``.newsvault/``) so that an unchanged feed costs one 304.
"""

from ._address import RefusedError, Resolver, address_problem
from .client import USER_AGENT, Fetcher, FetchPolicy, Response, user_agent
from .state import ValidatorStore

__all__ = [
    "Fetcher", "FetchPolicy", "Response", "ValidatorStore", "USER_AGENT", "user_agent",
    "RefusedError", "Resolver", "address_problem",
]
