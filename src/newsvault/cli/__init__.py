"""Command-line interface. Each stage's commands live in their own module, registered on ``main``."""

from . import (  # noqa: F401,E402
    archive_cmds,
    collect_cmds,
    data_cmds,
    demo_cmd,
    evidence_cmds,
    media_cmds,
    preserve_cmds,
    publish_cmds,
    reach_cmds,
    save_cmd,
    search_cmds,
    serve_cmd,
)
from ._app import main

__all__ = ["main"]
