"""``newsvault serve``: the local reader server (pages, live search, JSON API), read-only."""

from __future__ import annotations

import contextlib

import click

from ..errors import IndexBusy
from ._app import Progress, main, open_archive

MAX_DEFAULT_WORKERS = 4  # each keeps its own page cache: more than this costs memory for little


def default_workers() -> int:
    """One server process a core this process may run on (its CPU affinity), at most four."""
    import os

    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_WORKERS, cores))


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback: only this machine).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port to listen on.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME", help="Also answer requests addressed to this name (e.g. behind a proxy); repeatable.")
@click.option("--workers", type=click.IntRange(1, 64), help="Server processes answering on the port (default: one a core this process may use, at most 4).")
@click.pass_context
def serve_cmd(ctx: click.Context, host: str, port: int, allowed_hosts: tuple[str, ...], workers: int | None) -> None:
    """Serve the archive to a browser: the site's pages, live search and a JSON API (read-only)."""
    import signal
    import socket
    from types import FrameType

    import uvicorn

    from ..search import index_for
    from ..serve import KEEP_ALIVE_SECONDS, create_app
    from ..serve.protocol import BACKLOG, GuardedH11Protocol, connection_limit, quiet_accept_errors, raise_open_files_limit

    archive = open_archive(ctx)
    root = archive.root
    idx = index_for(archive)
    if idx.pending_count():
        with Progress("indexing") as bar, contextlib.suppress(IndexBusy):  # (another process is: queries catch up later)
            idx.catch_up(archive, progress=bar.update)
    archive.close()
    # Find out now, with a clear message, whether the address can be used.
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(infos[0][4])
    except OSError as e:
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}: other machines can read this archive", err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving {root} at http://{shown}:{port}/ (Ctrl-C to stop)")
    GuardedH11Protocol.limit = connection_limit(raise_open_files_limit())
    quiet_accept_errors()
    class Server(uvicorn.Server):
        """uvicorn's server, except that SIGTERM or Ctrl-C is a clean shutdown (exit 0, as for
        ``watch``): uvicorn re-raises the signal once it has stopped, which would end in 143/130."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True  # a second Ctrl-C: stop without waiting for connections
            self.should_exit = True

    if workers is None:
        workers = default_workers()
    if workers > 1:
        import os

        from uvicorn.supervisors import Multiprocess

        from ..serve.workers import FACTORY, worker_environment

        os.environ.update(worker_environment(str(root), allowed_hosts))
        config = uvicorn.Config(
            FACTORY, factory=True, workers=workers, host=host, port=port, log_level="warning", access_log=False,
            timeout_keep_alive=KEEP_ALIVE_SECONDS, http=GuardedH11Protocol, backlog=BACKLOG,
        )
        Multiprocess(config, sockets=[config.bind_socket()]).run()  # stops the workers on SIGTERM / Ctrl-C
        click.echo("stopped")
        return
    config = uvicorn.Config(
        create_app(root, catch_up=False, allowed_hosts=allowed_hosts), host=host, port=port, log_level="warning", access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS, http=GuardedH11Protocol, backlog=BACKLOG,
    )
    Server(config).run()
    click.echo("stopped")
