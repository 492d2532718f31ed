"""The guardrail audit flow on a real Prefect server: findings, masked artifact, alert events."""

from __future__ import annotations

import pytest

from tests.llmops.test_audit import build_demo_lake
from tests.prefect_api import artifact, events

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
