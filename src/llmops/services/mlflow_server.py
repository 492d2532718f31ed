"""Find or start the local MLflow tracking server (UI + API) over the home's SQLite store.

`mlflow server` defaults to 4 web workers plus 7 job processes (~3.5 GB, docs/stack-notes.md): this starts
one worker with job execution off (~0.5 GB), bound to loopback, logs and pid file under
LLMOPS_HOME, like `llmops.services.prefect_server` does for Prefect.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from llmops.core.offline import apply_offline_defaults
from llmops.core.settings import Settings

DEFAULT_PORT = 5000
PID_FILE = "mlflow-server.pid"
LOG_FILE = "mlflow-server.log"


def healthy(url: str, timeout: float = 2.0) -> bool:
    """True when an MLflow server answers its health check at `url`."""
    try:
        return httpx.get(f"{url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def port_in_use(port: int) -> bool:
    """True when something already listens on the loopback port."""
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def server_command(settings: Settings, port: int = DEFAULT_PORT) -> list[str]:
    """The `mlflow server` command line: home's SQLite store, one worker, loopback only."""
    mlflow = Path(sys.executable).with_name("mlflow")
    return [
        str(mlflow),
        "server",
        "--backend-store-uri",
        settings.mlflow_uri,
        "--artifacts-destination",
        str(settings.home / "mlartifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]


def server_env() -> dict[str, str]:
    """Environment of the server: offline defaults and no job-execution processes."""
    env = dict(os.environ)
    apply_offline_defaults(env)
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    return env


def ensure_server(
    settings: Settings, port: int = DEFAULT_PORT, wait_s: float = 120.0
) -> tuple[str, bool]:
    """URL of a reachable MLflow server on `port`, starting one in the background if needed.

    Returns (url, started_here). A server already answering on the port is used as it is.
    """
    url = f"http://127.0.0.1:{port}"
    if healthy(url):
        return url, False
    if port_in_use(port):
        raise RuntimeError(
            f"port {port} is taken by a program that is not an MLflow server; "
            "stop it or choose another port"
        )
    log_dir = settings.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / LOG_FILE
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            server_command(settings, port),
            env=server_env(),
            cwd=settings.home,  # anything MLflow writes relative to cwd stays in the home
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (settings.home / PID_FILE).write_text(str(proc.pid))
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            (settings.home / PID_FILE).unlink(missing_ok=True)
            raise RuntimeError(f"mlflow server exited with code {proc.returncode}; see {log_path}")
        if healthy(url):
            return url, True
        time.sleep(0.5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, 15)
    (settings.home / PID_FILE).unlink(missing_ok=True)
    raise RuntimeError(f"mlflow server not healthy after {wait_s:.0f} s; see {log_path}")


def stop_server(settings: Settings, wait_s: float = 10.0) -> bool:
    """Stop the server this project started (pid file under LLMOPS_HOME); True if one was."""
    pid_file = settings.home / PID_FILE
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    pid_file.unlink()
    try:
        os.killpg(pid, 15)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):  # reap it when this process started it
            os.waitpid(pid, os.WNOHANG)
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, 9)
    return True
