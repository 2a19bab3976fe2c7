"""The collector as a daemon: each source polled on its own interval until SIGTERM/SIGINT.

A signal stops the daemon between writes, never inside one: batches are written synchronously
(the signal handler only runs once a batch has completed), fetches still in flight are
cancelled, and what they had not archived is fetched again by the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable

from ..archive import Archive
from ..config import Source
from ..fetch import FetchPolicy
from .pipeline import PassReport, run_pass

__all__ = ["watch"]


async def watch(
    archive: Archive,
    sources: list[Source],
    policy: FetchPolicy | None = None,
    *,
    after_pass: Callable[[PassReport], None] | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Poll until stopped; return the number of passes run. ``after_pass`` may commit/push."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    current: asyncio.Task[PassReport] | None = None

    def on_signal() -> None:
        stop.set()
        if current is not None and not current.done():
            current.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    due = {s.slug: 0.0 for s in sources}
    passes = 0
    try:
        while not stop.is_set():
            now = time.monotonic()
            ready = [s for s in sources if due[s.slug] <= now]
            if ready:
                for s in ready:
                    due[s.slug] = now + s.interval
                current = asyncio.create_task(run_pass(archive, ready, policy))
                try:
                    report = await current
                except asyncio.CancelledError:  # stopped before the pass could report
                    break
                finally:
                    current = None
                passes += 1
                if after_pass:
                    after_pass(report)
                if report.interrupted:
                    break
                continue
            wait = max(0.0, min(due.values()) - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return passes
