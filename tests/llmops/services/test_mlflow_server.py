"""The local MLflow server: one worker, no job processes, the home's SQLite store, start/stop."""

from __future__ import annotations

import socket

import httpx
import psutil
import pytest

from llmops.services.mlflow_server import (
    PID_FILE,
    ensure_server,
    healthy,
    server_command,
    server_env,
    stop_server,
)
from tests.builders.browser import free_port


def test_command_is_one_worker_on_loopback_over_the_home_store(settings) -> None:
    cmd = server_command(settings, 5123)
    assert cmd[1] == "server"
    opts = dict(zip(cmd[2::2], cmd[3::2], strict=True))
    assert opts == {
        "--backend-store-uri": settings.mlflow_uri,
        "--artifacts-destination": str(settings.home / "mlartifacts"),
        "--host": "127.0.0.1",
        "--port": "5123",
        "--workers": "1",
    }
    env = server_env()
    assert env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert env["MLFLOW_DISABLE_TELEMETRY"] == "true"


def test_server_starts_once_serves_the_home_store_and_stops(settings) -> None:
    from mlflow import MlflowClient

    port = free_port()
    url, started = ensure_server(settings, port=port)
    try:
        assert (url, started) == (f"http://127.0.0.1:{port}", True)
        assert ensure_server(settings, port=port) == (url, False)  # found, not started twice
        pid = int((settings.home / PID_FILE).read_text())
        # one web worker (uvicorn under the mlflow CLI) and no job-execution processes
        assert len(psutil.Process(pid).children(recursive=True)) == 1

        # what the UI's API creates lands in the home's SQLite store, and the reverse
        exp_id = MlflowClient(tracking_uri=url).create_experiment("via-server")
        local = MlflowClient(tracking_uri=settings.mlflow_uri)
        assert local.get_experiment_by_name("via-server").experiment_id == exp_id
        local.create_experiment("via-sqlite")
        found = httpx.get(
            f"{url}/api/2.0/mlflow/experiments/get-by-name",
            params={"experiment_name": "via-sqlite"},
            timeout=30,
        )
        assert found.status_code == 200, found.text
        assert (settings.home / "logs" / "mlflow-server.log").exists()
    finally:
        assert stop_server(settings)
    assert not healthy(url)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not stop_server(settings)  # nothing left to stop


def test_a_port_held_by_another_program_is_refused_before_starting(settings) -> None:
    with socket.socket() as taken:  # something else listens there, but is no MLflow server
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"port {port} is taken by a program"):
            ensure_server(settings, port=port)
    assert not (settings.home / PID_FILE).exists()
