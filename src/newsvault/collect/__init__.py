"""The collector: poll the archive's sources and archive every article, every version.

Public API::

    from newsvault.collect import collect, run_pass, watch, demo_sources
    report = collect(archive)                 # one pass over archive.config.sources
    report.ok, report.totals(), report.sources[0].new, commit_message(report)

The names are imported on first use: an hourly pass needs the pipeline, not the demo's
local web server (http.server) nor the watch loop.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "collect": "pipeline",
    "run_pass": "pipeline",
    "run_stoppable": "pipeline",
    "commit_message": "pipeline",
    "PassReport": "pipeline",
    "SourceReport": "pipeline",
    "watch": "watch",
    "demo_sources": "demo",
}

__all__ = ["collect", "run_pass", "watch", "PassReport", "SourceReport", "commit_message", "demo_sources", "run_stoppable"]

if TYPE_CHECKING:
    from .demo import demo_sources as demo_sources
    from .pipeline import PassReport as PassReport
    from .pipeline import SourceReport as SourceReport
    from .pipeline import collect as collect
    from .pipeline import commit_message as commit_message
    from .pipeline import run_pass as run_pass
    from .pipeline import run_stoppable as run_stoppable
    from .watch import watch as watch


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'newsvault.collect' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
