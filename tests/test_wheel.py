"""The built wheel works installed outside the checkout: CLI, ingest, rollup, audit, models.

Only the demo's sample data (datasets/, prompts/, prefect.yaml) needs the checkout; asking for it
outside one is a clear CheckoutNotFound.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.builders.paths import DATA, REPO


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, unpacked as an install (pure Python) in a temp dir."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("llmops-*.whl")
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    return site


def run(site: Path, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Python with the unpacked wheel first on sys.path, run outside the checkout."""
    environ = {**os.environ, "PYTHONPATH": str(site), **env}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=300
    )


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    code = (
        "import json, llmops, flows, tasks; from llmops.core.paths import find_checkout, "
        "package_path; from llmops.guardrails.injection import MODELS_DIR; "
        "print(json.dumps([llmops.__file__, flows.__file__, str(find_checkout()), "
        "str(MODELS_DIR), sorted(p.name for p in MODELS_DIR.iterdir())]))"
    )
    proc = run(installed, tmp_path, "-c", code)
    assert proc.returncode == 0, proc.stderr
    pkg, flows_file, checkout, models, files = json.loads(proc.stdout)
    assert pkg.startswith(str(installed)) and flows_file.startswith(str(installed))
    assert checkout == "None"
    assert models.startswith(str(installed))
    assert any(f.endswith(".joblib") for f in files) and any(f.endswith(".yaml") for f in files)


def test_cli_ingests_rolls_up_and_audits_without_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = {"LLMOPS_HOME": str(home), "LLMOPS_USER_HASH_KEY": "wheel-test"}
    log = DATA / "logs" / "litellm-standard-logging-payload.json"
    for args in (["ingest", str(log)], ["rollup"], ["audit"]):
        proc = run(installed, tmp_path, "-m", "llmops.cli", *args, **env)
        assert proc.returncode == 0, f"llmops {' '.join(args)}: {proc.stdout}\n{proc.stderr}"
    proc = run(
        installed,
        tmp_path,
        "-m",
        "llmops.cli",
        "sql",
        "SELECT count(*) AS n FROM llm_calls",
        "-o",
        "json",
        **env,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["n"] >= 1


def test_the_demo_sample_data_asks_for_the_checkout_by_name(
    installed: Path, tmp_path: Path
) -> None:
    code = (
        "from llmops.core.settings import get_settings; from llmops.datasets.seed import "
        "seed_paths; seed_paths(get_settings())"
    )
    proc = run(installed, tmp_path, "-c", code, LLMOPS_HOME=str(tmp_path / "home"))
    assert proc.returncode != 0
    assert "CheckoutNotFound" in proc.stderr and "clone of the repository" in proc.stderr
