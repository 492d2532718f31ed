"""The import contract (pyproject.toml [tool.importlinter]) holds, and breaks on a backwards arrow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders.paths import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def copy_of_the_code(tmp_path: Path) -> Path:
    """src/, flows/, tasks/ and pyproject.toml copied to `tmp_path` (no caches)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("src", "flows", "tasks"):
        shutil.copytree(REPO / folder, tmp_path / folder, ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` over the code under `root` (its packages first on the path)."""
    env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_contract_holds(tmp_path: Path) -> None:
    proc = lint_imports(copy_of_the_code(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("src/llmops/costs/budgets.py", "import flows", "Layers"),
        ("src/llmops/lake/files.py", "import llmops.gateway", "Layers"),
        ("src/llmops/audit/scan.py", "import prefect", "Prefect only in"),
        ("src/llmops/prompts/template.py", "import llmops.prompts.render", "No import cycles"),
    ],
)
def test_a_backwards_arrow_breaks_it(tmp_path: Path, module: str, line: str, contract: str) -> None:
    root = copy_of_the_code(tmp_path)
    with (root / module).open("a") as f:
        f.write(f"\n{line}  # noqa: E402, F401\n")
    proc = lint_imports(root)
    assert proc.returncode != 0, proc.stdout
    broken = [row for row in proc.stdout.splitlines() if " BROKEN" in f" {row}"]
    assert broken, proc.stdout
    assert contract in proc.stdout.split("Broken contracts")[1], proc.stdout
