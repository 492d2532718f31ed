"""Find or start the simulator the settings point at (a detached `llmops simulator serve`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx

from llmops.core.errors import LlmopsError

if TYPE_CHECKING:
    from llmops.core.settings import Settings

_START_LOCK = threading.Lock()
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def simulator_health(base_url: str, timeout: float = 1.0) -> dict[str, Any] | None:
    """The /health answer when an llmops simulator answers at base_url, else None.

    Raises when something else answers there (a port taken by another service).
    """
    try:
        resp = httpx.get(f"{base_url}/health", timeout=timeout)
    except httpx.HTTPError:
        return None
    try:
        body = resp.json()
    except ValueError:
        body = None
    if resp.status_code != 200 or not isinstance(body, dict) or "model_version" not in body:
        raise LlmopsError(
            f"{base_url} answers but is not the llmops simulator (GET /health gave "
            f"{resp.status_code}); set LLMOPS_SIMULATOR__PORT to a free port"
        )
    return body


def _pid_file(settings: Settings):
    return settings.home / "simulator.pid"


def ensure_simulator(settings: Settings) -> str:
    """Base URL (without /v1) of a healthy simulator, starting one in the background if needed."""
    sim = settings.simulator
    url = sim.url
    with _START_LOCK:
        if simulator_health(url) is not None:
            return url
        if not sim.autostart:
            raise LlmopsError(
                f"no simulator answers at {url}: start one with `llmops simulator serve --port "
                f"{sim.port}` or set LLMOPS_SIMULATOR__AUTOSTART=true"
            )
        if sim.host not in LOOPBACK_HOSTS:
            raise LlmopsError(
                f"no simulator answers at {url}, and one is only started on loopback "
                f"(simulator.host is {sim.host})"
            )
        return _start(settings)


def _start(settings: Settings) -> str:
    """Run `llmops simulator serve` detached, with a pid file and a log under LLMOPS_HOME."""
    from llmops.core.offline import apply_offline_defaults

    sim = settings.simulator
    log_dir = settings.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "simulator.log"
    cmd = [
        sys.executable,
        "-m",
        "llmops.cli",
        "simulator",
        "serve",
        "--port",
        str(sim.port),
        "--model-version",
        str(sim.model_version),
        "--latency-ms",
        str(sim.latency_ms),
        "--error-rate",
        str(sim.error_rate),
    ]
    env = dict(os.environ)
    apply_offline_defaults(env)
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    _pid_file(settings).write_text(str(proc.pid))
    deadline = time.monotonic() + sim.startup_timeout_s
    while time.monotonic() < deadline:
        if simulator_health(sim.url) is not None:  # ours, or another process' that won a race
            return sim.url
        if proc.poll() is not None:
            _pid_file(settings).unlink(missing_ok=True)
            raise LlmopsError(
                f"simulator exited with code {proc.returncode} before answering at {sim.url}; "
                f"see {log_path}"
            )
        time.sleep(0.2)
    raise LlmopsError(f"simulator not healthy at {sim.url} after {sim.startup_timeout_s:.0f} s")


def stop_simulator(settings: Settings) -> bool:
    """Stop the simulator this project started (pid file under LLMOPS_HOME); False if none."""
    pid_file = _pid_file(settings)
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until it is gone, so its port is free again
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it when this process started it
            os.kill(pid, 0)
            time.sleep(0.1)
    pid_file.unlink()
    return True
