"""Analyst notebooks run headless against a warehouse filled with simulated traffic."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def filled_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from llmops.costs import run_rollup
    from llmops.ingest import ingest_paths
    from llmops.settings import get_settings
    from llmops.traffic import generate_traffic

    home = tmp_path_factory.mktemp("home")
    drop = home / "drop"
    generate_traffic(drop, days=10, calls_per_day=200, seed=3, end_date=date(2025, 3, 10))
    settings = get_settings(home=home, user_hash_key="nb")
    ingest_paths([drop], settings)
    run_rollup(settings)
    return home


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, filled_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMOPS_HOME", str(filled_home))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(str(o.get("text", "")) for o in outputs)
    assert "3 alerts" in text  # the simulator plants a cost spike, an error burst, a slow hour
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2  # the plots rendered
