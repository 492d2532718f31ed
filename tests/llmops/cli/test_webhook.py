"""`llmops webhook serve`, `llmops deploy`, `llmops worker`: what they run, and that it works."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from llmops.cli.main import app
from tests.builders.paths import REPO

ROOT = REPO
runner = CliRunner()


def test_deploy_dry_run_prints_the_commands_from_the_repo_root(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT / "src")  # found by walking up to prefect.yaml
    result = runner.invoke(app, ["deploy", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "prefect work-pool inspect llmops-local" in result.output
    assert "prefect work-pool create llmops-local --type process" in result.output
    assert f"prefect --no-prompt deploy --all    # in {ROOT}" in result.output


def test_worker_dry_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["worker", "--dry-run", "--pool", "p1"])
    assert result.exit_code == 0, result.output
    assert "prefect worker start --pool p1    # in" in result.output


def test_serve_refuses_to_start_without_a_prefect_api(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")  # a profile without an API URL
    out = subprocess.run(
        [sys.executable, "-m", "llmops.cli", "webhook", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert "PREFECT_API_URL is not set" in out.stderr


async def _deployment_names() -> set[str]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return {d.name for d in await client.read_deployments()}


async def _workers(pool: str) -> list:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return await client.read_workers_for_work_pool(pool)


def test_deploy_creates_the_pool_and_registers_every_deployment(
    prefect_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["deploy"])
    assert result.exit_code == 0, result.output
    assert "$ " in result.output and "--no-prompt deploy --all" in result.output
    expected = {
        d["name"] for d in yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    }
    assert expected <= asyncio.run(_deployment_names())


def test_worker_starts_and_polls_its_pool(prefect_server: None, tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    pool = f"llmops-test-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llmops.cli", "worker", "--pool", pool],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,  # its `prefect worker` child is stopped with it, below
        )
    try:
        deadline = time.monotonic() + 120
        while not asyncio.run(_workers_or_none(pool)):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the CLI and the worker it started
        proc.wait(timeout=60)
    assert f"worker start --pool {pool}" in log.read_text()


async def _workers_or_none(pool: str) -> list:
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

    try:
        return await _workers(pool)
    except (ObjectNotFound, PrefectHTTPStatusError):  # 404 until the worker creates the pool
        return []
