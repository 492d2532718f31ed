"""On simulated multi-format traffic the flow finds exactly the planted anomalies and bad lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from llmops.lake.warehouse import connect
from llmops.simulators.traffic.generate import generate_traffic

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("drop")
    manifest = generate_traffic(out, days=14, calls_per_day=300, seed=7, end_date=date(2025, 3, 14))
    return out, manifest


@dataclass
class FirstRun:
    """The module's home after the flow's first run over the whole drop, and what it returned."""

    settings: Any
    result: Any  # llmops.costs.rollup.RollupResult


@pytest.fixture(scope="module")
def first_run(
    prefect_server: None, traffic, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FirstRun]:
    """One fresh home for the module and the flow's first run over the drop (about 25 s):
    the first test checks what it found, the second re-ingests everything on top of it."""
    from flows.cost_rollup import cost_rollup
    from llmops.core.settings import get_settings

    drop, _ = traffic
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LLMOPS_HOME", str(tmp_path_factory.mktemp("demo-traffic") / "home"))
        mp.setenv("LLMOPS_USER_HASH_KEY", "test-key")
        yield FirstRun(get_settings(), cost_rollup(paths=[str(drop)]))


def _totals(settings) -> tuple[int, int, int]:
    con = connect(settings.lake_dir)
    try:
        return con.execute(
            "SELECT (SELECT count(*) FROM llm_calls), (SELECT count(*) FROM quarantine), "
            "(SELECT sum(calls) FROM cost_rollup_daily WHERE dimension = 'total')"
        ).fetchone()
    finally:
        con.close()


def test_alerts_are_exactly_the_planted_anomalies(first_run: FirstRun, traffic) -> None:
    _, manifest = traffic
    settings, result = first_run.settings, first_run.result
    found = {(a["rule"], a["window_start"].date().isoformat()) for a in result.alerts}
    rule = {"cost_spike": "cost_spike", "error_burst": "error_rate", "slow_hour": "latency_p95"}
    planted = {
        (rule[a.kind], (a.day if a.kind == "cost_spike" else a.start.date()).isoformat())
        for a in manifest.anomalies
    }
    assert found == planted
    by_rule = {a["rule"]: a for a in result.alerts}
    burst = next(a for a in manifest.anomalies if a.kind == "error_burst")
    assert by_rule["error_rate"]["scope"] == f"{burst.provider}/{burst.model}"
    window = (by_rule["error_rate"]["window_start"], by_rule["error_rate"]["window_end"])
    assert window == (burst.start, burst.end)
    slow = next(a for a in manifest.anomalies if a.kind == "slow_hour")
    assert by_rule["latency_p95"]["window_start"] == slow.start

    # every planted malformed line is quarantined where the manifest says, with a reason
    con = connect(settings.lake_dir)
    rows = con.execute("SELECT source_file, source_line, reason, raw FROM quarantine").fetchall()
    calls = con.execute("SELECT count(*) FROM llm_calls").fetchone()[0]
    texts = con.execute(
        "SELECT source_format, count(*) - count(input_text), "
        "count(*) FILTER (status = 'success') - count(output_text) FILTER (status = 'success') "
        "FROM llm_calls GROUP BY 1 ORDER BY 1"
    ).fetchall()
    con.close()
    # every format keeps the texts the audits need (OpenAI Batch output: joined to its input)
    assert {fmt for fmt, _, _ in texts} == {
        "litellm",
        "otel",
        "langfuse",
        "openai-batch",
        "helicone",
        "generic",
    }
    for fmt, missing_input, missing_output in texts:
        assert missing_output == 0, fmt
        assert missing_input == 0, fmt
    quarantined = {(Path(f).name, line): (reason, raw) for f, line, reason, raw in rows}
    planted_bad = {(m.file, m.line) for m in manifest.malformed}
    assert planted_bad <= set(quarantined)
    others = {k: v for k, v in quarantined.items() if k not in planted_bad}
    # the rest are failed OpenAI Batch requests: no model or time to attribute them to
    for (file, _), (_, raw) in others.items():
        assert file.startswith("openai-batch") and json.loads(raw)["response"] is None
    assert all(reason for reason, _ in quarantined.values())
    # the re-delivered overlap adds nothing; quarantined records are not in llm_calls
    assert calls == manifest.unique_calls - len(others)
    assert result.quarantined == len(quarantined)


def test_reingesting_everything_changes_no_total(first_run: FirstRun, traffic) -> None:
    from flows.cost_rollup import cost_rollup

    drop, _ = traffic
    settings, first = first_run.settings, first_run.result
    before = _totals(settings)
    again = cost_rollup(paths=[str(drop)], reingest=True)
    assert _totals(settings) == before
    assert again.new_alerts == [] and len(again.alerts) == len(first.alerts)
    assert json.loads((drop / "_planted.json").read_text())["files"]
