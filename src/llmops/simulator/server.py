"""Run the simulator with uvicorn: foreground (CLI) or a background thread (tests, demo)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from llmops.simulator.config import SimulatorConfig


def _uvicorn_server(config: SimulatorConfig, host: str, port: int, log_level: str):
    """A uvicorn Server over a fresh app (imports deferred)."""
    import uvicorn

    from llmops.simulator.app import create_app

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
    import httpx

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    actual_port = sock.getsockname()[1]
    server = _uvicorn_server(config, host, actual_port, "warning")
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="llmops-simulator", daemon=True
    )
    thread.start()
    base_url = f"http://{host}:{actual_port}"

    def stop() -> None:
        """Ask uvicorn to exit and wait for the thread."""
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()

    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            sock.close()
            raise RuntimeError(f"simulator thread exited before {base_url}/health answered")
        try:
            if httpx.get(f"{base_url}/health", timeout=0.5).status_code == 200:
                return base_url, stop
        except httpx.HTTPError:
            time.sleep(0.02)
    stop()
    raise RuntimeError(f"simulator at {base_url} did not answer /health within {startup_timeout}s")
