"""Alert rules fire on exactly the planted anomalies of a hand-built log, and budgets cross once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from llmops.costs.rollup import run_rollup
from llmops.ingest import ingest_file
from tests.builders.logs import START, build_log


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "calls.jsonl"
    build_log(path)
    return path


def test_alerts_are_exactly_the_planted_anomalies(settings, log: Path) -> None:
    ingest_file(log, settings)
    result = run_rollup(settings)
    found = sorted((a["rule"], a["window_start"], a["window_end"]) for a in result.alerts)
    assert found == sorted(
        [
            ("cost_spike", START + timedelta(days=9), START + timedelta(days=10)),
            (
                "error_rate",
                START + timedelta(days=5, hours=14),
                START + timedelta(days=5, hours=14, minutes=30),
            ),
            (
                "latency_p95",
                START + timedelta(days=7, hours=9),
                START + timedelta(days=7, hours=10),
            ),
        ]
    )
    spike = next(a for a in result.alerts if a["rule"] == "cost_spike")
    assert spike["scope"] == "openai/gpt-4o-mini prompt=support@v1 feature=chat"
    assert spike["observed"] > 1.2 * spike["baseline"]
    assert len(result.new_alerts) == 3


def test_rerun_raises_nothing_new(settings, log: Path) -> None:
    ingest_file(log, settings)
    first = run_rollup(settings)
    ingest_file(log, settings)
    second = run_rollup(settings)
    assert [a["alert_id"] for a in second.alerts] == [a["alert_id"] for a in first.alerts]
    assert second.new_alerts == []
    assert second.calls == first.calls
    assert second.cost_usd == pytest.approx(first.cost_usd, rel=1e-12)  # float sum order


def test_rules_are_configurable(home: Path, log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmops.core.settings import get_settings

    monkeypatch.setenv("LLMOPS_ALERTS__LATENCY_P95_THRESHOLD_MS", "20000")
    monkeypatch.setenv("LLMOPS_ALERTS__ERROR_MIN_ERRORS", "100")
    settings = get_settings()
    ingest_file(log, settings)
    assert [a["rule"] for a in run_rollup(settings).alerts] == ["cost_spike"]


def test_budget_alerts_at_80_and_100_percent(
    home: Path, log: Path, tmp_path: Path, monkeypatch
) -> None:
    from llmops.core.settings import get_settings

    budgets = tmp_path / "budgets.yaml"
    # gpt-4o-mini: 1000 in x $0.15/M + ~215 out x $0.60/M ~= $0.000279 a call; ~1,400 calls ~= $0.40
    budgets.write_text(
        "budgets:\n  - {name: chat, feature: chat, monthly_usd: 0.25}\n"
        "  - {name: other, team: nobody, monthly_usd: 1}\n"
    )
    monkeypatch.setenv("LLMOPS_BUDGETS_FILE", str(budgets))
    settings = get_settings()
    ingest_file(log, settings)
    result = run_rollup(settings)
    budget = [a for a in result.alerts if a["rule"] == "budget"]
    assert [(a["severity"], a["threshold"]) for a in budget] == [
        ("warning", 0.2),
        ("critical", 0.25),
    ]
    assert [a["scope"] for a in budget] == ["feature=chat at 80%", "feature=chat at 100%"]
    assert budget[0]["window_start"] < budget[1]["window_start"]


def test_bad_budget_file_names_field(tmp_path: Path) -> None:
    from llmops.core.errors import ConfigError
    from llmops.costs.budgets import load_budgets

    path = tmp_path / "b.yaml"
    path.write_text("budgets:\n  - {name: x, monthly_usd: 5}\n")
    with pytest.raises(ConfigError, match=rf"{path}: field budgets.0: .*exactly one of"):
        load_budgets(path)


def test_rollups_by_every_dimension(settings, log: Path) -> None:
    from llmops.lake.warehouse import connect

    ingest_file(log, settings)
    run_rollup(settings)
    con = connect(settings.lake_dir)
    dims = dict(
        con.execute("SELECT dimension, sum(calls) FROM cost_rollup_daily GROUP BY 1").fetchall()
    )
    total = con.execute("SELECT count(*) FROM llm_calls").fetchone()[0]
    # each dimension partitions the same calls
    assert dims == {d: total for d in ("total", "model", "prompt_version", "feature", "user")}
    hourly = con.execute(
        "SELECT sum(cost_usd) FROM cost_rollup_hourly WHERE dimension = 'total'"
    ).fetchone()[0]
    direct = con.execute("SELECT sum(cost_usd) FROM llm_calls").fetchone()[0]
    assert hourly == pytest.approx(direct)
    p95 = con.execute(
        "SELECT latency_p95_ms FROM cost_rollup_hourly WHERE dimension = 'model' "
        "AND bucket_start = ?",
        [START + timedelta(days=7, hours=9)],
    ).fetchone()[0]
    assert p95 > 5000
    con.close()
