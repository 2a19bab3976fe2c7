"""Command-line interface. Each stage's commands live in their own module, registered on ``main``."""

from . import archive_cmds, collect_cmds, data_cmds, demo_cmd, media_cmds, preserve_cmds, publish_cmds, reach_cmds, search_cmds, serve_cmd  # noqa: F401,E402
from ._app import main

__all__ = ["main"]
