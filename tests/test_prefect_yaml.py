"""prefect.yaml: every entrypoint imports, and `prefect deploy --all` registers it on a server."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.builders.paths import REPO

ROOT = REPO
SPEC = yaml.safe_load((ROOT / "prefect.yaml").read_text())


def load_flow(entrypoint: str):
    path, name = entrypoint.split(":")
    spec = importlib.util.spec_from_file_location("entry", ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


@pytest.mark.parametrize("deployment", SPEC["deployments"], ids=lambda d: d["name"])
def test_entrypoint_imports_and_has_docstring(deployment: dict) -> None:
    flow = load_flow(deployment["entrypoint"])
    assert flow.__doc__, "every flow has a one-line docstring"
    params = set(flow.parameters.properties)
    assert set(deployment.get("parameters", {})) <= params
    assert deployment["enforce_parameter_schema"] is True
    assert deployment["description"] and deployment["tags"]


def test_prefect_deploy_all_registers_every_deployment(prefect_server: None) -> None:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    prefect = str(Path(sys.executable).with_name("prefect"))
    subprocess.run(
        [prefect, "work-pool", "create", "llmops-local", "--type", "process", "--overwrite"],
        env=env,
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    out = subprocess.run(
        [prefect, "--no-prompt", "deploy", "--all"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    # each deployment as the server holds it, read through the API in one client session (a
    # `prefect deployment inspect` process per deployment cost ~2.5 s each)
    names = [f"{load_flow(d['entrypoint']).name}/{d['name']}" for d in SPEC["deployments"]]
    registered = asyncio.run(_read_deployments(names))
    for d, name in zip(SPEC["deployments"], names, strict=True):
        got = registered[name]
        assert got is not None, f"{name} is not registered"
        assert got.enforce_parameter_schema is True, name
        assert got.entrypoint == d["entrypoint"], name
        assert got.work_pool_name == d["work_pool"]["name"], name
        assert set(got.tags) == set(d["tags"]), name


async def _read_deployments(names: list[str]) -> dict:
    """Deployment `flow/name` -> what the server holds (None: not registered)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    found: dict = {}
    async with get_client() as client:
        for name in names:
            try:
                found[name] = await client.read_deployment_by_name(name)
            except ObjectNotFound:
                found[name] = None
    return found
