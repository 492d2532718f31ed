"""`llmops erase`: dry run changes nothing, the real run prints the rows per table, a rerun says
it was already erased, and a bad target names itself."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from llmops.cli.main import app
from llmops.lake.warehouse import connect
from tests.builders.erase import KEY, ErasureHome

runner = CliRunner()


def _calls(settings, user_hash: str) -> int:
    con = connect(settings.lake_dir)
    try:
        return con.execute(
            "SELECT count(*) FROM llm_calls WHERE user_hash = ?", [user_hash]
        ).fetchone()[0]
    finally:
        con.close()


def test_erase_cli_dry_run_then_erase_then_rerun(
    lake_settings, erase_home: ErasureHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMOPS_HOME", str(lake_settings.home))
    monkeypatch.setenv("LLMOPS_USER_HASH_KEY", KEY)
    n = _calls(lake_settings, erase_home.user_hash)
    assert n > 0

    dry = runner.invoke(app, ["erase", "--user", erase_home.user_id, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove" in dry.output and "llm_calls" in dry.output
    assert _calls(lake_settings, erase_home.user_hash) == n

    asked = runner.invoke(app, ["erase", "--user", erase_home.user_id], input="n\n")
    assert asked.exit_code != 0 and _calls(lake_settings, erase_home.user_hash) == n

    done = runner.invoke(app, ["erase", "--user", erase_home.user_id, "--yes", "--by", "dpo"])
    assert done.exit_code == 0, done.output
    assert "removed" in done.output and "recorded" in done.output
    assert erase_home.user_id not in done.output  # the raw id is never echoed back
    assert _calls(lake_settings, erase_home.user_hash) == 0

    again = runner.invoke(app, ["erase", "--user", erase_home.user_id, "--yes"])
    assert again.exit_code == 0 and "already erased" in again.output and "by dpo" in again.output

    both = runner.invoke(app, ["erase", "--user", "a", "--call", "b"])
    assert both.exit_code != 0 and "exactly one" in both.output
    missing = runner.invoke(app, ["erase", "--call", "no-such-call", "--yes"])
    assert missing.exit_code != 0 and "no-such-call" in missing.output
