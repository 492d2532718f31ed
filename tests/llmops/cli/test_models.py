"""`llmops models list | watch` against the session simulator."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.builders.simulator import SimulatorHandle


def test_models_list_and_watch(fresh_simulator: SimulatorHandle, home: Path) -> None:
    from llmops.cli.main import app

    runner = CliRunner()
    out = runner.invoke(app, ["models", "list"], env={"COLUMNS": "250"})
    assert out.exit_code == 0, out.output
    assert "candidate" in out.output and "embedder" in out.output
    assert f"simulator ({fresh_simulator.url})" in out.output

    out = runner.invoke(app, ["models", "watch", "--alias", "candidate"], env={"COLUMNS": "250"})
    assert out.exit_code == 0, out.output
    assert "baseline" in out.output and "gpt-4o-mini-sim-v1" in out.output
    fresh_simulator.bump()
    out = runner.invoke(app, ["models", "watch", "--alias", "candidate"], env={"COLUMNS": "250"})
    assert out.exit_code == 0, out.output
    assert "update declared for candidate: served identity changed" in out.output
    out = runner.invoke(app, ["models", "watch", "--alias", "nope"])
    assert out.exit_code == 2 and "unknown alias 'nope'" in out.output
