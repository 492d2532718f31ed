"""Run the simulator with uvicorn: foreground (CLI) or a background thread (tests, demo)."""

from __future__ import annotations

from collections.abc import Callable

from llmops.simulators.provider.config import SimulatorConfig


def _uvicorn_server(config: SimulatorConfig, host: str, port: int, log_level: str):
    """A uvicorn Server over a fresh app (imports deferred)."""
    import uvicorn

    from llmops.simulators.provider.app import create_app

    uv_config = uvicorn.Config(
        create_app(config),
        host=host,
        port=port,
        log_level=log_level,
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    return uvicorn.Server(uv_config)


def serve(
    config: SimulatorConfig, host: str = "127.0.0.1", port: int = 8765, log_level: str = "info"
) -> None:
    """Serve until interrupted (Ctrl-C)."""
    _uvicorn_server(config, host, port, log_level).run()


def run_in_thread(
    config: SimulatorConfig, port: int = 0, host: str = "127.0.0.1", startup_timeout: float = 10.0
) -> tuple[str, Callable[[], None]]:
    """Start on a loopback port in a daemon thread; return (base_url, stop) once /health answers."""
    from llmops.services.server_thread import run_server_in_thread

    return run_server_in_thread(
        lambda p: _uvicorn_server(config, host, p, "warning"),
        "simulator",
        port=port,
        host=host,
        startup_timeout=startup_timeout,
        stop_timeout=5,
    )
