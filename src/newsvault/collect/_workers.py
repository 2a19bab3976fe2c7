"""Imported only inside the fork server that forks the collector's worker processes (it is the
server's preload; see ``pipeline._process_pool``), never by newsvault itself.

It makes the fork server, and so every worker forked from it from its first instruction on,
ignore SIGINT and SIGTERM. Ctrl-C and a service manager's SIGTERM reach the whole process
group; a worker killed by them mid-task breaks the pool, and Python 3.11's pool then hangs the
parent at exit. Ignoring them, the workers stay alive until the parent, which does handle the
signal, shuts them down in order.
"""

from .work import ignore_interrupts

ignore_interrupts()
