"""Command-line interface. Each stage's commands live in their own module, registered on ``main``.

A module is imported when one of its commands runs (``main.lazy``), so a command's start-up
pays for its own code only: the table below names the commands each module defines
(tests/test_cli.py checks it against what the modules register).
"""

from ._app import main

COMMANDS = {
    "archive_cmds": ("init", "open", "import", "show", "ls", "stats", "reindex"),
    "collect_cmds": ("source", "collect", "watch"),
    "data_cmds": ("export", "sql"),
    "demo_cmd": ("demo",),
    "evidence_cmds": ("verify",),
    "media_cmds": ("media",),
    "preserve_cmds": ("history", "recheck", "deleted", "fsck"),
    "publish_cmds": ("build",),
    "reach_cmds": ("digest",),
    "save_cmd": ("save",),
    "search_cmds": ("search", "index"),
    "serve_cmd": ("serve",),
}

main.lazy({name: f"{__name__}.{module}" for module, names in COMMANDS.items() for name in names})

__all__ = ["main", "COMMANDS"]
