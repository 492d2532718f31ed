"""`llmops collector serve|rotate`: the live telemetry collector."""

from __future__ import annotations

from typing import Annotated

import typer

collector_app = typer.Typer(
    no_args_is_help=True,
    help="Receive OTLP, Langfuse, LiteLLM and feedback over HTTP into a durable spool.",
)


@collector_app.command("serve")
def collector_serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on (4318: OTLP/HTTP's)")] = 4318,
    events: Annotated[
        bool,
        typer.Option(help="emit llmops.collector.rotated to Prefect (triggers the cost rollup)"),
    ] = True,
) -> None:
    """Serve the collector; spooled payloads rotate into batch files in the drop folder."""
    import os

    from llmops.collector.rotate import batch_folder, collector_home
    from llmops.collector.server import serve
    from llmops.core.settings import get_settings
    from llmops.orchestration.api import api_url as prefect_api_url

    settings = get_settings()
    cfg = settings.collector
    notify = None
    if events:
        api_url = os.environ.get("PREFECT_API_URL") or prefect_api_url()
        if api_url:
            from llmops.orchestration.events import RotationAnnouncer

            notify = RotationAnnouncer()
            typer.echo(
                f"rotations announced to {api_url} (at most one event per {cfg.event_window_s:g} s)"
            )
        else:
            typer.echo("PREFECT_API_URL is not set: no rotation events (the hourly rollup ingests)")
    bearer = "configured" if cfg.token else "not configured (LLMOPS_COLLECTOR__TOKEN)"
    pair = "configured" if cfg.langfuse_public_key and cfg.langfuse_secret_key else "not configured"
    typer.echo(f"bearer token: {bearer}; Langfuse key pair: {pair}")
    typer.echo(
        f"spool {collector_home(settings) / 'spool'}; batches to "
        f"{batch_folder(settings, 'otlp-protobuf').parent} every {cfg.rotate_seconds:g} s "
        f"or {cfg.rotate_bytes:,} bytes"
    )
    base = f"http://{host}:{port}"
    typer.echo(
        f"listening on {base}: /v1/traces (OTLP), /api/public/ingestion and "
        "/api/public/otel/v1/traces (Langfuse), /v1/litellm (LiteLLM generic_api), /feedback"
    )
    serve(settings, notify, host=host, port=port)


@collector_app.command("rotate")
def collector_rotate() -> None:
    """Rotate everything spooled into batch files now (safe beside a serving collector)."""
    from llmops.collector.service import Collector
    from llmops.core.settings import get_settings

    collector = Collector(get_settings())
    done = collector.recover() + collector.rotate(force=True)
    for r in done:
        typer.echo(f"{r.kind}: {r.records:,} record(s) from {r.payloads:,} payload(s) -> {r.path}")
    if not done:
        typer.echo("nothing spooled")
