"""The guardrail audit flow on a real Prefect server: findings, masked artifact, alert events."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops.core.settings import get_settings
from llmops.ingest import ingest_paths
from llmops.lake.warehouse import connect
from tests.builders.audit import EMAIL, KEY, build_demo_lake, write_log
from tests.builders.prefect_api import artifact, events
from tests.builders.simulator import SimulatorHandle

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_flow_audits_reports_and_alerts(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.guardrail_audit import guardrail_audit

    demo = build_demo_lake(tmp_path_factory.getbasetemp())
    monkeypatch.setenv("LLMOPS_HOME", str(demo.settings.home))
    monkeypatch.setenv("LLMOPS_USER_HASH_KEY", "test-key")

    # nothing new: the hourly run is a no-op that still reports the trend
    idle = guardrail_audit()
    assert idle.audited == [] and idle.already_audited == len(demo.manifest.files)

    # From 03-06 the re-audited days hold 11 flagged planted injections (>= 5 raises the
    # "high" alert); the last three days alone hold 4, under the threshold.
    state = guardrail_audit(reaudit=True, since="2025-03-06", return_state=True)
    assert state.is_completed()
    result = state.result()
    assert 0 < len(result.audited) < len(demo.manifest.files)
    alerts = {(a.detector, a.label) for a in result.summary.alerts}
    assert ("injection", "injection") in alerts

    report = artifact("guardrail-audit", state.state_details.flow_run_id)
    assert report is not None and "## Findings by detector and severity" in report
    assert "## Top injection patterns" in report and "per 1k this week" in report
    for value in demo.manifest.planted_values:
        assert value not in report

    found = events("llmops.guardrail.alert", until=lambda f: len(f) >= len(alerts))
    resources = {e["resource"]["prefect.resource.id"] for e in found}
    assert {f"llmops.guardrail.{d}.{label}" for d, label in alerts} <= resources
    assert all(e["payload"]["findings"] >= e["payload"]["threshold"] for e in found)


def test_flow_with_the_judge_tier_reports_verdicts_and_spend(
    simulator: SimulatorHandle, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.guardrail_audit import guardrail_audit

    monkeypatch.setenv("LLMOPS_GUARDRAIL_JUDGE__ENABLED", "true")
    monkeypatch.setenv("LLMOPS_GUARDRAIL_JUDGE__MAX_ITEMS", "3")
    monkeypatch.setenv("LLMOPS_GUARDRAIL_JUDGE__BAND_BELOW", "1.0")
    monkeypatch.setenv("LLMOPS_GUARDRAIL_JUDGE__BAND_ABOVE", "1.0")
    settings = get_settings()
    ingest_paths([write_log(tmp_path / "calls.jsonl")], settings)

    state = guardrail_audit(return_state=True)

    assert state.is_completed()
    judge = state.result().summary.judge
    assert judge is not None and judge.judged == 3 and judge.cost_usd > 0
    report = artifact("guardrail-audit", state.state_details.flow_run_id)
    assert report is not None and "## LLM judge (second tier)" in report
    assert f"${judge.cost_usd:.6f}" in report and "provider simulator" in report
    assert EMAIL not in report and KEY not in report
    with connect(settings.lake_dir) as con:
        judged = con.execute("SELECT count(*) FROM findings WHERE detector = 'injection_judge'")
        assert judged.fetchall()[0][0] == 3
