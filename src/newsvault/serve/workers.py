"""``serve --workers N``: N server processes answering on one listening socket.

One process answers from its page cache on one core; rendering a page that is not kept holds
that process's interpreter, and the answers queued behind it wait. With N processes (uvicorn's
supervisor: it binds the socket once, starts the workers, restarts one that dies and stops them
all on Ctrl-C or SIGTERM) the kernel hands each new connection to whichever is free, and a
machine's cores all answer. Each worker keeps its own page cache and SQLite connections.

The workers are fresh interpreters (uvicorn spawns them), so the app is made in each by
:func:`app_from_environment` from what the parent put in the environment.
"""

from __future__ import annotations

import json
import os

from starlette.types import ASGIApp

from .app import create_app
from .protocol import GuardedH11Protocol, connection_limit, quiet_accept_errors, raise_open_files_limit

__all__ = ["app_from_environment", "worker_environment", "FACTORY"]

FACTORY = "newsvault.serve.workers:app_from_environment"
_ROOT = "NEWSVAULT_SERVE_ROOT"
_HOSTS = "NEWSVAULT_SERVE_ALLOWED_HOSTS"


def worker_environment(root: str, allowed_hosts: tuple[str, ...]) -> dict[str, str]:
    """What :func:`app_from_environment` reads, for the parent to set before starting workers."""
    return {_ROOT: root, _HOSTS: json.dumps(list(allowed_hosts))}


def app_from_environment() -> ASGIApp:
    """The reader app in a worker process (with that process's connection limit set)."""
    GuardedH11Protocol.limit = connection_limit(raise_open_files_limit())
    quiet_accept_errors()
    return create_app(os.environ[_ROOT], catch_up=False, allowed_hosts=json.loads(os.environ.get(_HOSTS, "[]")))
