"""The guardrail audit flow on a real Prefect server: findings, masked artifact, alert events."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.llmops.test_audit import build_demo_lake

pytestmark = pytest.mark.usefixtures("prefect_server")


async def _artifact(flow_run_id) -> str | None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        arts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["guardrail-audit"]))
        )
    return next((a.data for a in arts if a.flow_run_id == flow_run_id), None)


async def _guardrail_events() -> list[dict]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        resp = await client._client.post(
            "/events/filter",
            json={"filter": {"event": {"name": ["llmops.guardrail.alert"]}}, "limit": 50},
        )
    return resp.json()["events"]


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

    state = guardrail_audit(reaudit=True, since="2025-03-08", return_state=True)
    assert state.is_completed()
    result = state.result()
    assert 0 < len(result.audited) < len(demo.manifest.files)
    alerts = {(a.detector, a.label) for a in result.summary.alerts}
    assert ("injection", "injection") in alerts

    report = asyncio.run(_artifact(state.state_details.flow_run_id))
    assert report is not None and "## Findings by detector and severity" in report
    assert "## Top injection patterns" in report and "per 1k this week" in report
    for value in demo.manifest.planted_values:
        assert value not in report

    for _ in range(30):  # events are sent asynchronously
        events = asyncio.run(_guardrail_events())
        if len(events) >= len(alerts):
            break
        time.sleep(1)
    resources = {e["resource"]["prefect.resource.id"] for e in events}
    assert {f"llmops.guardrail.{d}.{label}" for d, label in alerts} <= resources
    assert all(e["payload"]["findings"] >= e["payload"]["threshold"] for e in events)
