"""`llmops prompts` commands on a temp home and a temp prompt folder (real MLflow sqlite)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmops.cli.main import app
from llmops.prompts import PromptRegistry
from tests.builders.prompts import BASE_PROMPT, WritePrompt

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich tables as wide as needed: no cell is cut."""
    monkeypatch.setenv("COLUMNS", "250")


def invoke(*args: str) -> str:
    result = runner.invoke(app, ["prompts", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_sync_list_show_promote_rollback(
    registry: PromptRegistry, prompts_dir: Path, write_prompt: WritePrompt
) -> None:
    write_prompt()
    out = invoke("sync")
    assert "registered (champion)" in out and "1 new version(s)" in out
    assert "unchanged" in invoke("sync")

    write_prompt(params={**BASE_PROMPT["params"], "temperature": 0.7})
    assert "changed" in invoke("list")  # the file no longer matches a registered version
    assert "registered (candidate)" in invoke("sync")
    listed = invoke("list")
    assert "qa" in listed and "v1" in listed and "v2" in listed and "= candidate" in listed

    shown = invoke("show", "qa@candidate")
    assert "v2" in shown and '"temperature": 0.7' in shown and "candidate" in shown
    assert "Question: {{ question }}" in shown
    rendered = invoke("show", "qa", "--var", "question=Why?", "--var", 'contexts=["Doc one."]')
    assert "Question: Why?" in rendered and "│ [1]" in rendered and "│ Doc one." in rendered

    assert "champion v1" in invoke("promote", "qa") and "-> v2" in invoke("history", "qa")
    assert "rolled back v2" in invoke("rollback", "qa")
    assert registry.resolve("qa").version == 1


def test_errors_exit_2_with_the_reason(
    registry: PromptRegistry, prompts_dir: Path, write_prompt: WritePrompt
) -> None:
    write_prompt()
    invoke("sync")
    result = runner.invoke(app, ["prompts", "rollback", "qa"])
    assert result.exit_code == 2 and "no previous champion" in result.output
    result = runner.invoke(app, ["prompts", "show", "qa", "--var", "question=x"])
    assert result.exit_code == 2 and "missing variable(s) contexts" in result.output
    write_prompt(model="Bad Alias")
    result = runner.invoke(app, ["prompts", "sync"])
    assert result.exit_code == 2 and "qa.yaml:3: field model" in result.output


def test_show_file_not_yet_synced(
    registry: PromptRegistry, prompts_dir: Path, write_prompt: WritePrompt
) -> None:
    write_prompt()
    assert "not synced" in invoke("list")
    out = invoke("show", "qa", "--file")
    assert "qa.yaml" in out and "commit -" in out
