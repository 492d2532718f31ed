"""Prefect's terminal logging, as the demo wants it."""

from __future__ import annotations

import logging


def quiet_prefect_console() -> None:
    """Keep Prefect's per-task INFO lines off the terminal (they still go to the server/UI)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    for name in ("", "prefect", "prefect.flow_runs", "prefect.task_runs"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, PrefectConsoleHandler):
                handler.setLevel(logging.WARNING)
