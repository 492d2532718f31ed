"""`llmops simulator`: serve, inspect and steer the built-in provider simulator."""

from __future__ import annotations

from typing import Annotated

import typer

from llmops.cli.errors import fail

simulator_app = typer.Typer(no_args_is_help=True, help="The built-in OpenAI-compatible simulator.")


@simulator_app.command("serve")
def simulator_serve(
    port: Annotated[int, typer.Option(help="loopback port")] = 8765,
    model_version: Annotated[
        int, typer.Option(min=1, help="bump to change fingerprint/quality")
    ] = 1,
    latency_ms: Annotated[float, typer.Option(min=0, help="mean added latency")] = 0.0,
    error_rate: Annotated[
        float, typer.Option(min=0, max=1, help="share of failing requests")
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="seed for latency and faults")] = 0,
) -> None:
    """Serve an OpenAI-compatible simulator on 127.0.0.1 (deterministic, grounded answers)."""
    from llmops.simulators.provider import SimulatorConfig
    from llmops.simulators.provider.server import serve

    config = SimulatorConfig(
        model_version=model_version, latency_ms=latency_ms, error_rate=error_rate, seed=seed
    )
    typer.echo(
        f"simulator v{model_version} ({config.system_fingerprint}) at "
        f"http://127.0.0.1:{port}/v1 — scores from it are simulated"
    )
    serve(config, host="127.0.0.1", port=port)


def _simulator_call(action: str, **kwargs: object) -> None:
    """Run an admin action against the configured simulator and print its state."""
    from llmops.core.errors import LlmopsError
    from llmops.core.settings import get_settings
    from llmops.simulators.provider import admin

    url = get_settings().simulator.url
    try:
        state = getattr(admin, action)(url, **kwargs)
    except LlmopsError as exc:
        fail(str(exc))
        return
    cfg = state["config"]
    typer.echo(
        f"simulator at {url}: model version {cfg['model_version']} "
        f"({state['system_fingerprint']}), latency {cfg['latency_ms']} ms, "
        f"error rate {cfg['error_rate']}"
    )


@simulator_app.command("status")
def simulator_status() -> None:
    """Show the configured simulator's model version, fingerprint, latency and error rate."""
    _simulator_call("simulator_status")


@simulator_app.command("bump")
def simulator_bump(
    to: Annotated[int | None, typer.Option(min=1, help="version to serve (default: next)")] = None,
) -> None:
    """Serve the next model version at runtime: new fingerprint, snapshot name and quality."""
    _simulator_call("bump_simulator", to=to)


@simulator_app.command("set")
def simulator_set(
    latency_ms: Annotated[float | None, typer.Option(min=0, help="mean added latency")] = None,
    error_rate: Annotated[
        float | None, typer.Option(min=0, max=1, help="share of failing requests")
    ] = None,
) -> None:
    """Change the running simulator's latency or injected error rate."""
    changes = {"latency_ms": latency_ms, "error_rate": error_rate}
    _simulator_call("configure_simulator", **{k: v for k, v in changes.items() if v is not None})


@simulator_app.command("start")
def simulator_start() -> None:
    """Start the configured simulator in the background unless one answers already."""
    from llmops.core.errors import LlmopsError
    from llmops.core.settings import get_settings
    from llmops.services.simulator import ensure_simulator

    try:
        url = ensure_simulator(get_settings(simulator={"autostart": True}))
    except LlmopsError as exc:
        fail(str(exc))
        return
    typer.echo(f"simulator answers at {url}/v1")


@simulator_app.command("stop")
def simulator_stop() -> None:
    """Stop the simulator llmops started in the background."""
    from llmops.core.settings import get_settings
    from llmops.services.simulator import stop_simulator

    typer.echo("stopped" if stop_simulator(get_settings()) else "no simulator started by llmops")
