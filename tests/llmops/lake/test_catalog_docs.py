"""docs/schema.md is generated from the catalog; the runbooks only use commands that exist."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main

from llmops.lake.catalog_docs import REGENERATE, main, render_schema_doc, view_columns
from llmops.lake.schema import TABLES
from llmops.lake.warehouse import ANALYST_VIEWS
from tests.builders.paths import REPO

SCHEMA_DOC = REPO / "docs" / "schema.md"
RUNBOOKS = sorted((REPO / "docs" / "runbooks").glob("*.md"))
EXPECTED_RUNBOOKS = {"cost-spike.md", "quality-drop.md", "pii-leak.md", "injection-attack.md"}


def test_schema_doc_is_generated_from_the_current_catalog() -> None:
    current = SCHEMA_DOC.read_text() if SCHEMA_DOC.exists() else ""
    assert current == render_schema_doc(), (
        f"docs/schema.md is stale: regenerate it with `{REGENERATE}` (from the repo root)"
    )


def test_schema_doc_lists_every_table_column_and_view_with_duckdb_columns() -> None:
    text = render_schema_doc()
    for table, cols in TABLES.items():
        assert f"### {table}\n" in text
        for c in cols:
            assert f"| `{c.name}` | {c.type} |" in text
    columns = view_columns()
    for view in ANALYST_VIEWS:
        assert f"### {view}\n" in text
        assert columns[view], view
        for name, typ in columns[view]:
            assert f"| `{name}` | {typ} |" in text
    for view in ("quality_trend", "guardrail_weekly", "model_versions_seen", "feedback_rates"):
        assert view in ANALYST_VIEWS
    assert ("last_delta", "DOUBLE") in columns["quality_trend"]
    assert ("calls_per_1k", "DOUBLE") in columns["guardrail_weekly"]
    assert ("first_seen", "TIMESTAMP WITH TIME ZONE") in columns["model_versions_seen"]


def test_check_mode_fails_on_a_stale_file_and_passes_after_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "schema.md"
    out.write_text("# old\n")
    assert main(["--out", str(out), "--check"]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert main(["--out", str(out)]) == 0
    assert main(["--out", str(out), "--check"]) == 0
    assert out.read_text() == render_schema_doc()


def runbook_commands(path: Path) -> list[tuple[int, list[str]]]:
    """(line, argv) of every `llmops ...` line inside the page's fenced code blocks."""
    commands: list[tuple[int, list[str]]] = []
    fenced = False
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        stripped = line.strip().removeprefix("$ ")
        if fenced and stripped.startswith("llmops "):
            commands.append((n, shlex.split(stripped)))
    return commands


def _resolve(argv: list[str], where: str) -> tuple[Any, list[str]]:
    """Walk the typer app down to the subcommand; (command, its remaining arguments)."""
    from llmops.cli.main import app

    cmd = typer.main.get_command(app)  # typer 0.29 vendors click: groups have list_commands
    args = argv[1:]
    path = ["llmops"]
    while hasattr(cmd, "list_commands"):
        assert args, f"{where}: `{' '.join(path)}` needs a subcommand"
        sub = cmd.get_command(typer.Context(cmd), args[0])
        assert sub is not None, f"{where}: `{' '.join(path)}` has no subcommand {args[0]!r}"
        path.append(args.pop(0))
        cmd = sub
    return cmd, args


def test_runbooks_exist_and_every_step_is_a_command_of_this_project(tmp_path: Path) -> None:
    from llmops.lake.warehouse import connect

    assert {p.name for p in RUNBOOKS} >= EXPECTED_RUNBOOKS
    con = connect(tmp_path / "lake")  # an empty lake: queries bind against the real views
    seen: set[str] = set()
    for path in RUNBOOKS:
        commands = runbook_commands(path)
        if path.name in EXPECTED_RUNBOOKS:
            assert len(commands) >= 5, f"{path.name}: too few command steps"
            assert ["llmops", "status"] in [argv for _, argv in commands], path.name
        for line, argv in commands:
            where = f"docs/runbooks/{path.name}:{line}"
            cmd, args = _resolve(argv, where)
            try:  # parses options and arguments exactly as the CLI would, without running
                cmd.make_context(argv[0], list(args))
            except typer.TyperException as exc:
                pytest.fail(f"{where}: `{' '.join(argv)}`: {exc.format_message()}")
            seen.add(" ".join(argv[:3]))
            if argv[1] == "sql":
                con.execute(args[0]).fetchall()  # unknown views or columns fail here
    for needed in ("llmops status", "llmops prompts rollback", "llmops eval run", "llmops audit"):
        assert any(s.startswith(needed) for s in seen), needed


def test_the_runbook_check_catches_a_wrong_command(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("```bash\nllmops prompts rollbak x\nllmops audit --sinse 2025\n```\n")
    (line, first), (_, second) = runbook_commands(bad)
    with pytest.raises(AssertionError, match="no subcommand 'rollbak'"):
        _resolve(first, f"bad.md:{line}")
    cmd, args = _resolve(second, "bad.md")
    with pytest.raises(typer.TyperException, match="No such option"):
        cmd.make_context("llmops", args)
