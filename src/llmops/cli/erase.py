"""`llmops erase --user ID | --call ID`: remove a user's or a call's rows from the lake (right to
erasure), recompute the derived tables and record the erasure (never the raw id)."""

from __future__ import annotations

from typing import Annotated

import typer

from llmops.cli.errors import fail

SHOWN_FILES = 10


def _describe(kind: str, user: str | None, call: str | None) -> str:
    return f"user {user!r}" if kind == "user" else f"call {call!r}"


def erase(
    user: Annotated[
        str | None, typer.Option(help="end-user id as the application logs it, or its user_hash")
    ] = None,
    call: Annotated[str | None, typer.Option(help="call_id of one call")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
    dry_run: Annotated[bool, typer.Option(help="show what would go; change nothing")] = False,
    by: Annotated[
        str | None, typer.Option(help="who asks, for the erasures table (default: OS user)")
    ] = None,
) -> None:
    """Remove a user's calls, findings and feedback (or one call's) from the lake for good.

    Prints the rows removed per table; a rerun removes nothing and records nothing.
    """
    if (user is None) == (call is None):
        fail("give exactly one of --user ID or --call ID")
    from rich.console import Console
    from rich.table import Table

    from llmops.core.settings import get_settings
    from llmops.privacy.erase import ErasureError
    from llmops.privacy.erase import erase as run_erase

    kind = "user" if user is not None else "call"
    given = user if user is not None else call
    assert given is not None
    settings = get_settings()
    console = Console()
    try:
        if not dry_run and not yes:
            preview = run_erase(settings, kind, given, by=by, dry_run=True)
            if preview.status == "planned":
                typer.confirm(
                    f"Erase {preview.rows} row(s) of {_describe(kind, user, call)} from "
                    f"{settings.lake_dir}? This cannot be undone",
                    abort=True,
                )
        result = run_erase(settings, kind, given, by=by, dry_run=dry_run)
    except ErasureError as exc:
        fail(str(exc))
    if result.status == "already_erased":
        last = result.previous[-1]
        console.print(
            f"nothing to erase: {kind} already erased on {last.erased_at:%Y-%m-%d %H:%M} UTC "
            f"by {last.erased_by} (erasure {last.erasure_id}, {last.rows_removed} rows)"
            + (f"; recomputed {', '.join(result.recomputed)}" if result.recomputed else ""),
            markup=False,
            highlight=False,
        )
        return
    table = Table("table", "rows to remove" if dry_run else "rows removed")
    for name, rows in result.tables.items():
        table.add_row(name, str(rows))
    console.print(table)
    verb = "would remove" if dry_run else "removed"
    console.print(
        f"{verb} {result.rows} row(s) of {kind} sha256:{result.target_sha256[:12]}"
        + (f" (matched as {result.id_form} id)" if kind == "user" else "")
        + (f"; erasure {result.erasure_id} recorded" if result.erasure_id else "")
        + (f"; recomputed {', '.join(result.recomputed)}" if result.recomputed else ""),
        markup=False,
        highlight=False,
    )
    if kind == "user" and result.id_form == "hashed":
        console.print(
            "quarantined raw records were matched by the hashed id only: give the raw id to also "
            "find quarantined records that name the user"
        )
    if result.source_files:
        console.print(
            f"{len(result.source_files)} source file(s) outside the lake still hold these "
            "records (ingesting them again would bring the rows back):"
        )
        for path in result.source_files[:SHOWN_FILES]:
            console.print(f"  {path}", markup=False, highlight=False)
        if len(result.source_files) > SHOWN_FILES:
            console.print(f"  ... and {len(result.source_files) - SHOWN_FILES} more")
