"""`llmops simulator status | bump | set` against a running simulator."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.builders.simulator import SimulatorHandle


def test_cli_status_bump_and_set(fresh_simulator: SimulatorHandle, home: object) -> None:
    from llmops.cli.main import app

    runner = CliRunner()
    out = runner.invoke(app, ["simulator", "status"])
    assert out.exit_code == 0, out.output
    assert f"simulator at {fresh_simulator.url}: model version 1 (fp_sim_v1_" in out.output
    out = runner.invoke(app, ["simulator", "bump"])
    assert out.exit_code == 0 and "model version 2 (fp_sim_v2_" in out.output
    out = runner.invoke(app, ["simulator", "bump", "--to", "4"])
    assert out.exit_code == 0 and "model version 4" in out.output
    out = runner.invoke(app, ["simulator", "set", "--latency-ms", "5", "--error-rate", "0.1"])
    assert out.exit_code == 0 and "latency 5.0 ms, error rate 0.1" in out.output
    assert fresh_simulator.config()["model_version"] == 4
