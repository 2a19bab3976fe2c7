"""The collector: poll the archive's sources and archive every article, every version.

Public API::

    from newsvault.collect import collect, run_pass, watch, demo_sources
    report = collect(archive)                 # one pass over archive.config.sources
    report.ok, report.totals(), report.sources[0].new, commit_message(report)
"""

from .demo import demo_sources
from .pipeline import PassReport, SourceReport, collect, commit_message, run_pass, run_stoppable
from .watch import watch

__all__ = ["collect", "run_pass", "watch", "PassReport", "SourceReport", "commit_message", "demo_sources", "run_stoppable"]
