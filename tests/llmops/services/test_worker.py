"""The detached process worker: started once per home, online on the server, reused, stopped."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

POOL = "llmops-test-worker"  # not llmops-local: the e2e module's worker must get its runs


def _online(api_url: str, name: str) -> bool:
    resp = httpx.post(f"{api_url}/work_pools/{POOL}/workers/filter", json={}, timeout=5)
    return any(w["name"] == name and w["status"] == "ONLINE" for w in resp.json())


def test_worker_env_makes_the_settings_paths_absolute_for_flow_runs(
    home: Path, datasets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmops.core.settings import get_settings
    from llmops.services.worker import worker_env

    monkeypatch.setenv("LLMOPS_SIMULATOR__PORT", "49999")
    monkeypatch.setenv("LLMOPS_PROMPTS_DIR", "relative/prompts")
    env = worker_env(get_settings(), "http://127.0.0.1:1/api")
    assert env["PREFECT_API_URL"] == "http://127.0.0.1:1/api"
    assert env["LLMOPS_HOME"] == str(home.resolve())
    assert env["LLMOPS_DATASETS_DIR"] == str(datasets_dir.resolve())
    assert Path(env["LLMOPS_PROMPTS_DIR"]).is_absolute()
    assert env["LLMOPS_SIMULATOR__PORT"] == "49999"  # the rest of the environment is inherited
    assert env["DO_NOT_TRACK"] == "true"  # offline defaults


def test_ensure_worker_without_an_api_url_refuses(settings, monkeypatch) -> None:
    from llmops.services.worker import WorkerError, ensure_worker

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(WorkerError, match="PREFECT_API_URL is not set"):
        ensure_worker(settings)
    assert not (settings.home / "prefect-worker.pid").exists()


def test_worker_starts_once_is_reused_and_stops(prefect_server: None, settings) -> None:
    from prefect.settings import PREFECT_API_URL

    from llmops.services.worker import ensure_worker, stop_worker

    api = PREFECT_API_URL.value()
    assert stop_worker(settings) is False  # none started in this home
    worker = ensure_worker(settings, api, pool=POOL)
    try:
        assert worker.started and _online(api, worker.name)
        assert (settings.home / "prefect-worker.pid").read_text() == str(worker.pid)
        again = ensure_worker(settings, api, pool=POOL)
        assert (again.pid, again.name, again.started) == (worker.pid, worker.name, False)
        assert "started" in worker.log_path.read_text()
    finally:
        assert stop_worker(settings) is True
    with pytest.raises(ProcessLookupError):
        os.kill(worker.pid, 0)
    assert not (settings.home / "prefect-worker.pid").exists()
    assert stop_worker(settings) is False
