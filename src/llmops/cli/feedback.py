"""`llmops feedback`: ingest feedback files, simulate demo feedback, run the flywheel.

Heavy libraries (DuckDB, Prefect) are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmops.cli.errors import fail

feedback_app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@feedback_app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="JSONL/CSV feedback files or folders")],
) -> None:
    """Read feedback events into the lake (bad records quarantined; idempotent by feedback id)."""
    from rich.console import Console
    from rich.table import Table

    from llmops.core.errors import LlmopsError
    from llmops.core.settings import get_settings
    from llmops.feedback.ingest import ingest_paths

    try:
        batches = ingest_paths(get_settings(), paths)
    except LlmopsError as exc:
        fail(str(exc))
        return
    console = Console()
    table = Table("file", "records", "accepted", "new", "duplicates", "quarantined", "unknown call")
    for b in batches:
        table.add_row(
            Path(b.source).name,
            *(str(x) for x in (b.records, b.accepted, b.new, b.duplicates, b.quarantined)),
            str(b.unknown_calls),
        )
    console.print(table)
    console.print(
        f"{len(batches)} file(s): {sum(b.new for b in batches)} new, "
        f"{sum(b.duplicates for b in batches)} already known, "
        f"{sum(b.quarantined for b in batches)} quarantined, "
        f"{sum(b.unknown_calls for b in batches)} for calls not in llm_calls (kept)"
    )
    for b in batches:
        for reason in b.reasons:
            console.print(f"  quarantined: {reason}", markup=False, highlight=False)


@feedback_app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="folder for feedback.jsonl / feedback.csv")],
) -> None:
    """Simulated feedback for the calls in the lake (run simulate-traffic and ingest first)."""
    from llmops.core.settings import get_settings
    from llmops.simulators.feedback import write_demo_feedback

    try:
        folder = write_demo_feedback(get_settings(), out)
    except ValueError as exc:
        fail(str(exc))
        return
    typer.echo(f"wrote feedback to {folder} (follow-up calls ingested); see {folder}/_planted.json")


@feedback_app.command()
def flywheel(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="feedback files to ingest first")
    ] = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="approve every candidate (tests and demo only)")
    ] = False,
) -> None:
    """Run the feedback-flywheel flow (pauses for review in the Prefect UI unless auto-approved)."""
    from llmops.core.offline import apply_offline_defaults

    apply_offline_defaults()
    from flows.feedback_flywheel import feedback_flywheel

    result = feedback_flywheel(paths=[str(p) for p in paths or []], auto_approve=auto_approve)
    typer.echo(result.model_dump_json(indent=2))
