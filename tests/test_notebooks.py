"""Analyst notebooks run headless against a home filled by the real pipelines.

The home holds simulated traffic (ingest, cost rollup, guardrail audit), model-watch probes and
eval runs from the eval-run flow (baseline, promoted prompt change, failing model update): see
`populate_home` in tests/builders/home.py, run once per session (`session_home`, shared with
tests/llmops/status/test_collect.py).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.builders.home import session_home
from tests.builders.paths import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
# per notebook: text its outputs must show and the least number of rendered plots
EXPECTED: dict[str, tuple[list[str], int]] = {
    # the simulator plants a cost spike, an error burst and a slow hour
    "cost_overview.ipynb": (["3 alerts"], 2),
    "analyst_overview.ipynb": (
        [
            "10 days, $",
            "latest verdict docs-qa-answer@v2 on docs-qa: fail (model_update, gpt-4o-mini-sim-v2)",
            "top injection pattern: '",
            "2 model identities seen",
        ],
        3,  # spend, quality per metric, guardrail labels
    ),
}


@pytest.fixture(scope="module")
def filled_home(tmp_path_factory: pytest.TempPathFactory, prefect_server, simulator) -> Path:
    return session_home(tmp_path_factory.getbasetemp(), simulator).home


def test_every_notebook_has_expectations() -> None:
    assert {p.name for p in NOTEBOOKS} == set(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, filled_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMOPS_HOME", str(filled_home))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(str(o.get("text", "")) for o in outputs)
    texts, plots = EXPECTED[path.name]
    for expected in texts:
        assert expected in text, f"{path.name}: {expected!r} not in the outputs"
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= plots  # plots rendered
