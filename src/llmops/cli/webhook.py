"""`llmops webhook serve`: the signed Git host receiver that emits `llmops.prompt.merged`."""

from __future__ import annotations

from typing import Annotated

import typer

webhook_app = typer.Typer(
    no_args_is_help=True, help="Receive Git host webhooks and emit Prefect events."
)


@webhook_app.command("serve")
def webhook_serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8787,
) -> None:
    """Serve POST /webhooks/github and /webhooks/gitlab; merged prompt changes become events."""
    import os

    from llmops.core.settings import get_settings
    from llmops.orchestration.api import api_url as prefect_api_url
    from llmops.orchestration.events import PrefectEmitter
    from llmops.webhook.app import store_path
    from llmops.webhook.server import serve

    settings = get_settings()
    config = settings.webhook
    api_url = os.environ.get("PREFECT_API_URL") or prefect_api_url()
    if not api_url:
        typer.secho(
            "error: PREFECT_API_URL is not set: events would go to a throwaway server",
            fg="red",
            err=True,
        )
        raise typer.Exit(2)
    for name, secret, env in (
        ("GitHub", config.github_secret, "LLMOPS_WEBHOOK__GITHUB_SECRET"),
        ("GitLab", config.gitlab_token, "LLMOPS_WEBHOOK__GITLAB_TOKEN"),
    ):
        state = "configured" if secret is not None else f"not configured ({env}): answers 503"
        typer.echo(f"{name}: {state}")
    typer.echo(
        f"watching {config.prompts_prefix}<name>.yaml|yml; events to {api_url}; "
        f"deliveries remembered in {store_path(settings)}"
    )
    typer.echo(f"listening on http://{host}:{port}/webhooks/github and /webhooks/gitlab")
    serve(settings, PrefectEmitter(timeout_s=config.emit_timeout_s), host=host, port=port)
