"""`llmops datasets`: import, list, show, diff (one changed answer = one line), validate."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from llmops.cli.main import app
from tests.builders.datasets import CLEAN, write_jsonl

runner = CliRunner()


def _import(path: Path, *extra: str):
    return runner.invoke(
        app, ["datasets", "import", str(path), "--name", "qa", "--no-mlflow", *extra]
    )


def test_import_list_show_diff_validate(datasets_dir: Path, tmp_path: Path) -> None:
    first = _import(write_jsonl(tmp_path / "v1.jsonl", CLEAN))
    assert first.exit_code == 0, first.output
    v1 = first.output.split("wrote qa@")[1].split(" ")[0]
    assert (datasets_dir / "qa" / "items.jsonl").exists()

    edited = [dict(r) for r in CLEAN]
    edited[0]["reference_answer"] = "CREATE TABLE t (id INT) USING DELTA, or saveAsTable."
    dry = _import(write_jsonl(tmp_path / "v2.jsonl", edited), "--dry-run")
    assert dry.exit_code == 0 and "not written (dry run)" in dry.output
    second = _import(tmp_path / "v2.jsonl", "--comment", "better answer")
    assert second.exit_code == 0, second.output
    v2 = second.output.split("wrote qa@")[1].split(" ")[0]
    assert v2 != v1
    again = _import(tmp_path / "v2.jsonl")
    assert "already current; nothing written" in again.output

    listed = runner.invoke(app, ["datasets", "list"])
    assert "qa" in listed.output and v2 in listed.output
    shown = runner.invoke(app, ["datasets", "show", f"qa@{v1[:6]}"])
    assert shown.exit_code == 0 and v1 in shown.output and "How do I create" in shown.output

    d = runner.invoke(app, ["datasets", "diff", f"qa@{v1}", f"qa@{v2}"])
    assert d.exit_code == 0, d.output
    assert "0 added, 0 removed, 1 changed" in d.output
    assert "reference_answer, source" in d.output and "v1.jsonl" in d.output
    u = runner.invoke(app, ["datasets", "diff", f"qa@{v1}", "--jsonl"])
    changed = [
        ln for ln in u.output.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")
    ]
    assert len(changed) == 2

    ok = runner.invoke(app, ["datasets", "validate", "qa"])
    assert ok.exit_code == 0, ok.output
    assert "5 items, 5 pass, 0 fail" in ok.output
    missing = runner.invoke(app, ["datasets", "show", "qa@ffffff"])
    assert missing.exit_code == 2 and "not found" in missing.output
