"""Command-line interface. Each stage's commands live in their own module, registered on ``main``."""

from ._app import main
from . import archive_cmds, collect_cmds, publish_cmds, search_cmds, serve_cmd, preserve_cmds, demo_cmd  # noqa: F401,E402

__all__ = ["main"]
