"""Register the deployments and run a detached process worker (pid file under LLMOPS_HOME)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from llmops.core.errors import LlmopsError
from llmops.core.paths import CheckoutNotFound, checkout
from llmops.core.settings import Settings

DEFAULT_POOL = "llmops-local"


class WorkerError(LlmopsError):
    """The deployments could not be registered or the worker did not come up."""


@dataclass(frozen=True)
class WorkerInfo:
    """A running worker this project started: process, name, pool, API and log file."""

    pid: int
    name: str
    pool: str
    api_url: str
    log_path: Path
    started: bool  # False: an already running worker was reused


def project_root() -> Path:
    """The checkout holding prefect.yaml (the deployments' working directory)."""
    try:
        return checkout("the worker")
    except CheckoutNotFound as exc:
        raise WorkerError(str(exc)) from None


def _prefect() -> str:
    beside = Path(sys.executable).with_name("prefect")
    return str(beside) if beside.exists() else "prefect"


def _api_url(api_url: str | None) -> str:
    url = api_url or os.environ.get("PREFECT_API_URL")
    if not url:
        raise WorkerError(
            "PREFECT_API_URL is not set: a worker would start its own temporary server; "
            "start one (`llmops demo` or `prefect server start`) and export PREFECT_API_URL"
        )
    return url.rstrip("/")


def worker_env(settings: Settings, api_url: str, poll_s: float = 2.0) -> dict[str, str]:
    """Environment of the worker and so of every flow run it starts (they inherit it).

    The current environment (LLMOPS_* settings, simulator port, secrets) plus the settings'
    paths made absolute, so flow runs read and write the same home, datasets and prompts.
    """
    from llmops.core.offline import apply_offline_defaults

    env = dict(os.environ)
    apply_offline_defaults(env)
    env["PREFECT_API_URL"] = api_url
    env["LLMOPS_HOME"] = str(settings.home)
    env["LLMOPS_DATASETS_DIR"] = str(settings.datasets_dir)
    env["LLMOPS_PROMPTS_DIR"] = str(settings.prompts_dir)
    env.setdefault("PREFECT_WORKER_QUERY_SECONDS", f"{poll_s:g}")
    return env


def register_deployments(
    api_url: str | None = None, pool: str = DEFAULT_POOL, timeout_s: float = 600.0
) -> None:
    """`prefect --no-prompt deploy --all` for prefect.yaml, creating the process pool if missing."""
    root = project_root()
    env = {**os.environ, "PREFECT_API_URL": _api_url(api_url), "PWD": str(root)}
    prefect = _prefect()

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        try:
            out = subprocess.run(
                [prefect, *args],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise WorkerError(f"`prefect {' '.join(args)}` took over {timeout_s:.0f} s") from exc
        if check and out.returncode != 0:
            tail = "\n".join((out.stdout + out.stderr).strip().splitlines()[-15:])
            raise WorkerError(f"`prefect {' '.join(args)}` failed ({out.returncode}):\n{tail}")
        return out

    if run("work-pool", "inspect", pool, check=False).returncode != 0:
        run("work-pool", "create", pool, "--type", "process")
    run("--no-prompt", "deploy", "--all")


def _files(settings: Settings) -> tuple[Path, Path, Path]:
    return (
        settings.home / "prefect-worker.pid",
        settings.home / "prefect-worker.json",
        settings.home / "logs" / "prefect-worker.log",
    )


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)  # reap it when this process started it
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _online_workers(api_url: str, pool: str) -> list[dict[str, Any]]:
    """Workers of `pool` the server sees as online (empty when it cannot be asked)."""
    try:
        resp = httpx.post(f"{api_url}/work_pools/{pool}/workers/filter", json={}, timeout=5)
    except httpx.HTTPError:
        return []
    if resp.status_code != 200:
        return []
    return [w for w in resp.json() if w.get("status") == "ONLINE"]


def _running(settings: Settings) -> WorkerInfo | None:
    """The worker recorded in the home, if its process still runs."""
    pid_file, meta_file, log_path = _files(settings)
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text())
    if not _alive(pid) or not meta_file.exists():
        pid_file.unlink(missing_ok=True)
        meta_file.unlink(missing_ok=True)
        return None
    meta = json.loads(meta_file.read_text())
    return WorkerInfo(pid, meta["name"], meta["pool"], meta["api_url"], log_path, started=False)


def ensure_worker(
    settings: Settings,
    api_url: str | None = None,
    pool: str = DEFAULT_POOL,
    wait_s: float = 90.0,
    poll_s: float = 2.0,
) -> WorkerInfo:
    """A process worker polling `pool` on `api_url` (default PREFECT_API_URL), started detached
    (`prefect worker start`) unless the one recorded in LLMOPS_HOME already serves that API and
    pool; returns once the server lists it online. Its flow runs inherit `worker_env`."""
    api = _api_url(api_url)
    current = _running(settings)
    if current is not None and (current.api_url, current.pool) == (api, pool):
        return current
    if current is not None:
        stop_worker(settings)
    pid_file, meta_file, log_path = _files(settings)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    name = f"llmops-{uuid.uuid4().hex[:8]}"
    cmd = [_prefect(), "worker", "start", "--pool", pool, "--type", "process", "--name", name]
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=project_root(),
            env=worker_env(settings, api, poll_s),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file.write_text(str(proc.pid))
    meta_file.write_text(json.dumps({"name": name, "pool": pool, "api_url": api}))
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pid_file.unlink(missing_ok=True)
            meta_file.unlink(missing_ok=True)
            raise WorkerError(f"prefect worker exited with code {proc.returncode}; see {log_path}")
        if any(w.get("name") == name for w in _online_workers(api, pool)):
            return WorkerInfo(proc.pid, name, pool, api, log_path, started=True)
        time.sleep(0.5)
    stop_worker(settings)
    raise WorkerError(f"worker {name} not online on {api} after {wait_s:.0f} s; see {log_path}")


def stop_worker(settings: Settings, wait_s: float = 20.0) -> bool:
    """Stop the worker this project started (pid file under LLMOPS_HOME); False if none runs."""
    pid_file, meta_file, _ = _files(settings)
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    stopped = False
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait_s
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)
        stopped = True
    pid_file.unlink(missing_ok=True)
    meta_file.unlink(missing_ok=True)
    return stopped
