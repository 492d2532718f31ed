"""`llmops status`: spend, quality against baseline, guardrail findings, the last prompt change."""

from __future__ import annotations

import sys
from typing import Annotated

import typer


def status(
    as_json: Annotated[bool, typer.Option("--json", help="print the answers as JSON")] = False,
    mlflow_timeout: Annotated[
        float, typer.Option(min=0.5, help="seconds to wait for the MLflow prompt registry")
    ] = 8.0,
) -> None:
    """Answer the four operator questions in one screen (warehouse + MLflow)."""
    from llmops.core.settings import get_settings
    from llmops.status.collect import collect_status

    result = collect_status(get_settings(), mlflow_timeout=mlflow_timeout)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    from rich.console import Console

    from llmops.status.render import render

    render(Console(), result)
