"""The local reader server (ASGI, Starlette + uvicorn): live pages, server-side search, JSON API.

    from newsvault.serve import create_app
    app = create_app("path/to/archive")     # then: uvicorn.run(app, host="127.0.0.1", port=8080)
"""

from .app import KEEP_ALIVE_SECONDS, ROUTES, create_app
from .middleware import SECURITY_HEADERS

__all__ = ["create_app", "ROUTES", "SECURITY_HEADERS", "KEEP_ALIVE_SECONDS"]
