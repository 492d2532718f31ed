"""Run a uvicorn server in a daemon thread on a loopback port (tests, demo): shared by the
provider simulator and the webhook receiver."""

from __future__ import annotations

import contextvars
import socket
import threading
import time
from collections.abc import Callable
from typing import Any


def run_server_in_thread(
    make_server: Callable[[int], Any],
    name: str,
    port: int = 0,
    host: str = "127.0.0.1",
    startup_timeout: float = 10.0,
    stop_timeout: float = 10.0,
) -> tuple[str, Callable[[], None]]:
    """Start `make_server(port)` (a uvicorn.Server) in a daemon thread; return (base_url, stop)
    once GET /health answers 200.

    The thread runs in a copy of the caller's context, so settings set with Prefect's
    `temporary_settings` (the test harness) apply to what the server does.
    """
    import httpx

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    actual_port = sock.getsockname()[1]
    server = make_server(actual_port)
    thread = threading.Thread(
        target=contextvars.copy_context().run,
        args=(server.run,),
        kwargs={"sockets": [sock]},
        name=f"llmops-{name}",
        daemon=True,
    )
    thread.start()
    base_url = f"http://{host}:{actual_port}"

    def stop() -> None:
        """Ask uvicorn to exit and wait for the thread."""
        server.should_exit = True
        thread.join(timeout=stop_timeout)
        sock.close()

    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            sock.close()
            raise RuntimeError(f"{name} thread exited before {base_url}/health answered")
        try:
            if httpx.get(f"{base_url}/health", timeout=0.5).status_code == 200:
                return base_url, stop
        except httpx.HTTPError:
            time.sleep(0.02)
    stop()
    raise RuntimeError(f"{name} at {base_url} did not answer /health within {startup_timeout}s")
