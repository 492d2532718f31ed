"""`llmops status` on an empty home and on a home filled by the real pipelines.

The filled home comes from the traffic simulator's log files (ingest, cost rollup, guardrail
audit), the model watch against the provider simulator, and the eval-run flow on the real
Prefect server: a baseline, a prompt change promoted on a pass, then a model update (simulator
bump) that fails the gate: `populate_home` from tests/builders/home.py, run once per session
(`session_home`) for this module and tests/test_notebooks.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.builders.home import PROMPT, Populated, session_home


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory, prefect_server, simulator) -> Populated:
    """The session's filled home (the pipelines take about a minute; run once per session)."""
    return session_home(tmp_path_factory.getbasetemp(), simulator)


def _status(home: Path):
    from llmops.core.settings import get_settings
    from llmops.status.collect import collect_status

    return collect_status(get_settings(home=home), mlflow_timeout=60)


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LLMOPS_HOME": str(home), "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "llmops.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_empty_home_says_what_is_missing_and_how_to_fill_it(home: Path) -> None:
    status = _status(home)
    assert status.spend.missing and status.spend.missing.fill.startswith("llmops ingest")
    assert "make demo" in status.spend.missing.fill
    assert status.quality.missing and status.quality.missing.fill.startswith("llmops eval run")
    assert status.guardrails.missing and status.guardrails.missing.fill.startswith("llmops audit")
    assert status.prompts.missing and "llmops prompts sync" in status.prompts.missing.fill
    assert not (home / "mlflow.db").exists()  # reading the status creates no registry

    done = _cli(home, "status")
    assert done.returncode == 0, done.stderr
    for command in ("llmops ingest", "llmops eval run", "llmops audit", "llmops prompts sync"):
        assert command in done.stdout
    data = json.loads(_cli(home, "status", "--json").stdout)
    assert data["spend"]["missing"]["what"] == "no LLM traffic ingested"


def test_ingested_but_not_rolled_up_or_audited_points_at_the_next_command(settings) -> None:
    from llmops.ingest import ingest_paths
    from llmops.simulators.traffic.generate import generate_traffic

    drop = settings.home / "drop"
    generate_traffic(drop, days=10, calls_per_day=100, seed=5, end_date=date(2025, 1, 20))
    ingest_paths([drop / "litellm-2025-01-15.jsonl"], settings)
    status = _status(settings.home)
    assert status.spend.missing and status.spend.missing.fill == "llmops rollup"
    assert status.guardrails.missing and status.guardrails.missing.fill == "llmops audit"


def test_spend_today_week_month_with_trend_and_the_planted_spike(populated: Populated) -> None:
    from llmops.core.settings import get_settings
    from llmops.lake.warehouse import connect

    s = _status(populated.home).spend
    end = datetime(2025, 3, 11, tzinfo=UTC)  # the simulator's last day is 2025-03-10
    assert s.missing is None and s.as_of == end and s.newest_day == date(2025, 3, 10)
    assert s.historical and s.days_behind == (datetime.now(UTC).date() - date(2025, 3, 10)).days
    con = connect(get_settings(home=populated.home).lake_dir)

    def calls_cost(start: datetime, stop: datetime) -> tuple[float, int]:
        return con.execute(
            "SELECT coalesce(sum(cost_usd), 0), count(*) FROM llm_calls "
            "WHERE started_at >= ? AND started_at < ?",
            [start, stop],
        ).fetchone()

    by_name = {p.name: p for p in s.periods}
    assert list(by_name) == ["today", "7 days", "30 days"]
    for name, length in (("today", 1), ("7 days", 7), ("30 days", 30)):
        p, span = by_name[name], timedelta(days=length)
        assert p.start == end - span and p.end == end
        cost, calls = calls_cost(end - span, end)
        prev_cost, prev_calls = calls_cost(end - 2 * span, end - span)
        assert p.cost_usd == pytest.approx(cost) and p.calls == calls
        assert p.previous_cost_usd == pytest.approx(prev_cost) and p.previous_calls == prev_calls
        if prev_cost:
            assert p.change_pct == pytest.approx(100 * (cost - prev_cost) / prev_cost)
    assert by_name["30 days"].previous_calls == 0 and by_name["30 days"].change_pct is None
    assert by_name["30 days"].calls == con.execute("SELECT count(*) FROM llm_calls").fetchone()[0]

    spike = next(a for a in populated.manifest.anomalies if a.kind == "cost_spike")
    rules = {(a.rule, a.window_start.date()) for a in s.alerts}
    assert ("cost_spike", spike.day) in rules
    assert s.alerts_total == s.alerts_open == 3  # spike, error burst, slow hour: all in 30 days
    assert {a.rule for a in s.alerts} == {"cost_spike", "error_rate", "latency_p95"}
    assert s.top_models and s.top_models[0].cost_usd >= s.top_models[-1].cost_usd


def test_latest_eval_verdict_is_the_model_update_regression(populated: Populated) -> None:
    q = _status(populated.home).quality
    assert q.missing is None
    by_key = {(v.run.prompt_name, v.run.dataset): v for v in q.verdicts}
    v = by_key[(PROMPT, "docs-qa")]
    assert v.run.verdict == "fail" and v.run.trigger == "model_update"
    assert v.run.prompt_version == "2" and v.run.served_model.endswith("-sim-v2")
    assert v.simulated and v.baseline_run_id
    faith = next(m for m in v.metrics if m.metric == "faithfulness")
    assert faith.verdict == "fail" and faith.delta < -0.05
    assert faith.ci_low <= faith.ci_high < 0 and faith.p_value < 0.05
    assert faith.mean == pytest.approx(faith.baseline_mean + faith.delta, abs=0.05)
    assert {m.metric for m in v.metrics} == {"faithfulness", "reference_key_phrases"}
    assert v.recent_failures == []  # the failure is the latest run itself


def test_top_injection_patterns_and_pii_this_week_are_masked(populated: Populated) -> None:
    from llmops.core.settings import get_settings
    from llmops.lake.warehouse import connect
    from llmops.simulators.traffic.text import INJECTIONS

    status = _status(populated.home)
    g = status.guardrails
    end = datetime(2025, 3, 11, tzinfo=UTC)
    assert g.missing is None and g.week_end == end and g.week_start == end - timedelta(days=7)
    assert g.injections and g.injection_calls >= g.injections[0].calls
    # each pattern is a sentence of a planted injection; the top one is the most frequent
    con = connect(get_settings(home=populated.home).lake_dir)
    planted: dict[str, int] = {}
    for phrase in INJECTIONS:
        planted[phrase] = con.execute(
            "SELECT count(*) FROM llm_calls WHERE started_at >= ? AND started_at < ? "
            "AND contains(input_text, ?)",
            [g.week_start, end, phrase],
        ).fetchone()[0]
    for p in g.injections:
        sources = [ph for ph in INJECTIONS if p.pattern.lower() in ph.lower()]
        assert sources, p.pattern
        assert p.calls <= sum(planted[ph] for ph in sources)
    assert [p.calls for p in g.injections] == sorted((p.calls for p in g.injections), reverse=True)
    top = g.injections[0]
    top_source = next(ph for ph in INJECTIONS if top.pattern.lower() in ph.lower())
    assert planted[top_source] == max(planted.values())
    # PII and secrets: labels of the planted kinds, masked excerpts only
    assert g.pii and {c.detector for c in g.pii} <= {"pii", "secret"}
    assert all(c.example and "[" in c.example for c in g.pii)
    text = status.model_dump_json()
    leaked = [v for v in populated.manifest.planted_values if v in text]
    assert not leaked
    # and what the lake keeps of the raw text, as the settings say
    from rich.console import Console

    from llmops.status.render import render

    assert g.text_retention == "redact"
    console = Console(record=True, width=140)
    render(console, status)
    assert "raw text at rest: redact (PII and secret spans replaced" in console.export_text()


def test_last_prompt_change_its_verdict_and_the_rollback_that_works(populated: Populated) -> None:
    p = _status(populated.home).prompts
    assert p.missing is None
    c = p.last_change
    assert c is not None and c.name == PROMPT and c.version == 2
    assert c.champion == 2 and c.champion_history == [1, 2]
    assert c.change.startswith("champion moved to v2 by eval run")
    assert c.eval is not None and c.eval.verdict == "pass" and c.eval.trigger == "prompt_merge"
    assert c.latest_eval is not None and c.latest_eval.verdict == "fail"  # the model update
    assert c.rollback_command == f"llmops prompts rollback {PROMPT}"
    assert c.rollback_note == "champion v2 -> v1"
    assert [o.name for o in p.others] == ["docs-qa-json"]

    # the registry read gets the 60 s _status gives it: a fresh CLI process under load can need
    # more than the default 8 s (then the prompts section says "did not answer" and this fails)
    shown = _cli(populated.home, "status", "--mlflow-timeout", "60")
    assert shown.returncode == 0, shown.stderr
    for expected in (c.rollback_command, "model_update", "fail", "cost_spike", "faithfulness"):
        assert expected in shown.stdout
    data = json.loads(_cli(populated.home, "status", "--json", "--mlflow-timeout", "60").stdout)
    assert data["prompts"]["last_change"]["rollback_command"] == c.rollback_command

    # the printed command really rolls the champion back (run last: it changes the home's
    # prompt registry; the notebooks, which share the home, read only the lake)
    done = _cli(populated.home, *c.rollback_command.split()[1:])
    assert done.returncode == 0, done.stderr
    after = _status(populated.home).prompts.last_change
    assert after is not None and after.champion == 1 and after.version == 1
    assert after.change.startswith("champion moved by hand to v1")
    assert after.rollback_command is None and "only one" in after.rollback_note


@pytest.mark.parametrize(
    ("history", "champion", "target"),
    [
        ([1, 2], 2, 1),
        ([1, 2, 3], 3, 2),
        ([1, 2, 2], 2, 1),
        ([1], 1, None),
        ([], 1, None),
        ([1, 2], None, None),
        ([1, 3], 2, 3),  # champion moved outside the history: back to its last entry
    ],
)
def test_rollback_target_follows_the_registry_rule(
    history: list[int], champion: int | None, target: int | None
) -> None:
    from llmops.status.prompts import rollback_target

    assert rollback_target(history, champion) == target
