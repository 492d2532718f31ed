"""`llmops models`: the configured model aliases and a model-watch round without Prefect."""

from __future__ import annotations

from typing import Annotated

import typer

models_app = typer.Typer(no_args_is_help=True, help="Model aliases and the model watch.")


@models_app.command("list")
def list_models() -> None:
    """Show every alias: model, where it is served, retries, timeout, fallbacks."""
    from rich.console import Console
    from rich.table import Table

    from llmops.core.settings import get_settings

    settings = get_settings()
    table = Table("alias", "kind", "model", "served by", "timeout s", "retries", "fallbacks")
    for name, a in settings.models.items():
        where = (
            f"simulator ({settings.simulator.url})"
            if a.uses_simulator
            else (a.api_base or (a.model.split("/", 1)[0] if "/" in a.model else a.provider))
        )
        table.add_row(
            name,
            a.kind,
            a.model,
            str(where),
            f"{a.timeout_s:g}",
            str(a.max_retries),
            ", ".join(a.fallbacks) or "-",
        )
    Console().print(table)


@models_app.command("watch")
def watch(
    alias: Annotated[
        list[str] | None, typer.Option("--alias", help="alias to probe (repeatable)")
    ] = None,
) -> None:
    """Probe the chat aliases once with the canaries and record them (no Prefect, no events)."""
    from rich.console import Console
    from rich.table import Table

    from llmops.core.errors import LlmopsError
    from llmops.core.settings import get_settings
    from llmops.model_watch.watch import run_watch

    try:
        result = run_watch(get_settings(), alias or None)
    except LlmopsError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    table = Table("alias", "status", "served model", "fingerprint", "canary hash", "note")
    for o in result.observations:
        table.add_row(
            o.alias,
            o.status,
            o.served_model or "-",
            o.system_fingerprint or "-",
            o.canary_hash or "-",
            o.reason or "",
        )
    Console().print(table)
    for u in result.updates:
        typer.echo(f"update declared for {u.alias}: {u.reason}")
    if result.failed:
        raise typer.Exit(1)
