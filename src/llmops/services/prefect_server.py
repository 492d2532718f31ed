"""Find or start the local Prefect server the demo and deployments use."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from llmops.core.settings import Settings


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    """True when a Prefect API answers its health check."""
    try:
        return httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def server_env(settings: Settings) -> dict[str, str]:
    """Environment of a server kept under LLMOPS_HOME (its SQLite DB and logs live there)."""
    env = dict(os.environ)
    env.setdefault("PREFECT_HOME", str(settings.home / "prefect"))
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env.pop("PREFECT_API_URL", None)
    # the UI otherwise calls the API on port 4200 whatever port the server runs on
    env["PREFECT_UI_API_URL"] = f"http://127.0.0.1:{settings.prefect_port}/api"
    return env


def ensure_server(settings: Settings, wait_s: float = 120.0) -> tuple[str, bool]:
    """API URL of a reachable server, starting one in the background if needed.

    Returns (api_url, started_here).
    """
    configured = os.environ.get("PREFECT_API_URL")
    if configured and healthy(configured):
        return configured, False
    api = f"http://127.0.0.1:{settings.prefect_port}/api"
    if healthy(api):
        return api, False
    log_dir = settings.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    prefect = Path(sys.executable).with_name("prefect")
    cmd = [str(prefect), "server", "start", "--host", "127.0.0.1", "--port"]
    with (log_dir / "prefect-server.log").open("ab") as log:
        proc = subprocess.Popen(
            [*cmd, str(settings.prefect_port)],
            env=server_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (settings.home / "prefect-server.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"prefect server exited with code {proc.returncode}; see {log_dir / 'prefect-server.log'}"
            )
        if healthy(api):
            return api, True
        time.sleep(1)
    raise RuntimeError(f"prefect server not healthy after {wait_s:.0f} s; see {log_dir}")


def stop_server(settings: Settings) -> bool:
    """Stop the server this project started (pid file under LLMOPS_HOME)."""
    pid_file = settings.home / "prefect-server.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, 15)
    pid_file.unlink()
    return True
