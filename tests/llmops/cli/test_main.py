"""The llmops command line: fast help, ingest with counts and reasons, sql output formats."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from llmops.cli.main import app
from tests.builders.paths import DATA

runner = CliRunner()


def test_help_is_fast_because_heavy_imports_are_lazy() -> None:
    code = "import sys, llmops.cli.main; print(sorted(m for m in ('prefect', 'litellm', 'duckdb', 'mlflow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "llmops.cli", "--help"], capture_output=True, check=True)
    assert time.perf_counter() - start < 5  # generous: import time, not a benchmark


def test_ingest_reports_counts_and_reasons(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"broken": \n')
    result = runner.invoke(app, ["ingest", str(DATA / "logs"), str(bad)])
    assert result.exit_code == 0, result.output
    assert "3 file(s): 2 accepted, 1 quarantined, 0 unpriced" in result.output
    assert "quarantined ×1: not valid JSON" in result.output


def test_ingest_refuses_an_unreadable_file_by_name_and_exits_1(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("hi")
    result = runner.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 1
    assert str(path) in result.output


def test_ingest_of_a_folder_reports_what_went_in_and_what_was_refused(
    home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    for f in (DATA / "logs").glob("*.json"):
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "mystery.jsonl").write_text('{"what": "is this"}\n')
    result = runner.invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 1
    assert "2 file(s): 2 accepted" in result.output
    assert "mystery.jsonl: cannot tell the log format" in result.output
    assert "1 file(s) refused; the other 2 went in" in result.output


def test_sql_outputs(home: Path) -> None:
    assert runner.invoke(app, ["ingest", str(DATA / "logs")]).exit_code == 0
    out = runner.invoke(
        app, ["sql", "SELECT requested_model FROM llm_calls ORDER BY 1", "-o", "json"]
    )
    assert out.exit_code == 0, out.output
    assert [r["requested_model"] for r in json.loads(out.output)] == ["gpt-3.5-turbo", "gpt-4o"]
    csv = runner.invoke(app, ["sql", "SELECT count(*) AS n FROM llm_calls", "-o", "csv"])
    assert csv.output.splitlines() == ["n", "2"]
    bad = runner.invoke(app, ["sql", "SELECT nope FROM llm_calls"])
    assert bad.exit_code == 2 and "nope" in bad.output


def test_simulate_traffic_then_ingest(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "drop"
    result = runner.invoke(
        app, ["simulate-traffic", "--out", str(out), "--days", "10", "--calls-per-day", "150"]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "_planted.json").read_text())
    assert f"wrote {len(manifest['files'])} files" in result.output
    ingested = runner.invoke(app, ["ingest", str(out)])
    assert ingested.exit_code == 0, ingested.output
    assert f"{len(manifest['files'])} file(s)" in ingested.output
