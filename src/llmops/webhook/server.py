"""Run the receiver with uvicorn: foreground (`llmops webhook serve`) or a thread (tests)."""

from __future__ import annotations

import contextvars
import socket
import threading
import time
from collections.abc import Callable, Sequence

from starlette.routing import BaseRoute

from llmops.settings import Settings
from llmops.webhook.receiver import Emit


def _server(settings: Settings, emit: Emit | None, extra_routes: Sequence[BaseRoute], **kw):
    import uvicorn

    from llmops.webhook.app import create_app

    app = create_app(settings, emit=emit, extra_routes=extra_routes)
    return uvicorn.Server(uvicorn.Config(app, lifespan="off", timeout_graceful_shutdown=5, **kw))


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8787,
    emit: Emit | None = None,
    extra_routes: Sequence[BaseRoute] = (),
) -> None:
    """Serve until interrupted (Ctrl-C)."""
    _server(settings, emit, extra_routes, host=host, port=port, log_level="info").run()


def run_in_thread(
    settings: Settings,
    emit: Emit | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    port: int = 0,
    host: str = "127.0.0.1",
    startup_timeout: float = 10.0,
) -> tuple[str, Callable[[], None]]:
    """Start on a loopback port in a daemon thread; return (base_url, stop) once /health answers.

    The thread runs in a copy of the caller's context, so Prefect settings set with
    `temporary_settings` (the test harness) apply to the events it emits.
    """
    import httpx

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    actual_port = sock.getsockname()[1]
    server = _server(settings, emit, extra_routes, host=host, port=actual_port, log_level="warning")
    context = contextvars.copy_context()
    thread = threading.Thread(
        target=context.run,
        args=(server.run,),
        kwargs={"sockets": [sock]},
        name="llmops-webhook",
        daemon=True,
    )
    thread.start()
    base_url = f"http://{host}:{actual_port}"

    def stop() -> None:
        """Ask uvicorn to exit and wait for the thread."""
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            sock.close()
            raise RuntimeError(f"webhook thread exited before {base_url}/health answered")
        try:
            if httpx.get(f"{base_url}/health", timeout=0.5).status_code == 200:
                return base_url, stop
        except httpx.HTTPError:
            time.sleep(0.02)
    stop()
    raise RuntimeError(
        f"webhook receiver at {base_url} did not answer /health in {startup_timeout}s"
    )
