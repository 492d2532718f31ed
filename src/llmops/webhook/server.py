"""Run the receiver with uvicorn: foreground (`llmops webhook serve`) or a thread (tests)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.routing import BaseRoute

from llmops.core.settings import Settings
from llmops.webhook.receiver import Emit


def _server(settings: Settings, emit: Emit, extra_routes: Sequence[BaseRoute], **kw):
    import uvicorn

    from llmops.webhook.app import create_app

    app = create_app(settings, emit=emit, extra_routes=extra_routes)
    return uvicorn.Server(uvicorn.Config(app, lifespan="off", timeout_graceful_shutdown=5, **kw))


def serve(
    settings: Settings,
    emit: Emit,
    host: str = "127.0.0.1",
    port: int = 8787,
    extra_routes: Sequence[BaseRoute] = (),
) -> None:
    """Serve until interrupted (Ctrl-C)."""
    _server(settings, emit, extra_routes, host=host, port=port, log_level="info").run()


def run_in_thread(
    settings: Settings,
    emit: Emit,
    extra_routes: Sequence[BaseRoute] = (),
    port: int = 0,
    host: str = "127.0.0.1",
    startup_timeout: float = 10.0,
) -> tuple[str, Callable[[], None]]:
    """Start on a loopback port in a daemon thread; return (base_url, stop) once /health answers.

    The thread runs in a copy of the caller's context, so Prefect settings set with
    `temporary_settings` (the test harness) apply to the events it emits.
    """
    from llmops.services.server_thread import run_server_in_thread

    return run_server_in_thread(
        lambda p: _server(settings, emit, extra_routes, host=host, port=p, log_level="warning"),
        "webhook receiver",
        port=port,
        host=host,
        startup_timeout=startup_timeout,
    )
