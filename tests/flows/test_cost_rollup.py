"""The cost rollup flow on a real Prefect server: batches in, rollups, alerts, events, artifact."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.llmops.test_alerts import build_log

pytestmark = pytest.mark.usefixtures("prefect_server")


async def _artifact(flow_run_id) -> str | None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        arts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["cost-rollup"]))
        )
    return next((a.data for a in arts if a.flow_run_id == flow_run_id), None)


async def _alert_events() -> list[str]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        resp = await client._client.post(
            "/events/filter", json={"filter": {"event": {"prefix": ["llmops."]}}, "limit": 50}
        )
    from llmops.costs import ALERT_EVENTS

    # only the cost pipeline's events: other flows' tests share the server
    return sorted(e["event"] for e in resp.json()["events"] if e["event"] in ALERT_EVENTS.values())


def test_flow_ingests_rolls_up_and_alerts_once(settings, tmp_path: Path) -> None:
    from flows.cost_rollup import cost_rollup

    drop = tmp_path / "drop"
    drop.mkdir()
    build_log(drop / "calls.jsonl")
    (drop / "broken.jsonl").write_text('{"truncated": \n')

    state = cost_rollup(paths=[str(drop)], return_state=True)
    assert state.is_completed()
    result = state.result()
    assert sorted(a["rule"] for a in result.alerts) == ["cost_spike", "error_rate", "latency_p95"]
    assert result.quarantined == 1
    report = asyncio.run(_artifact(state.state_details.flow_run_id))
    assert report is not None and "## Alerts (3, 3 new)" in report and "broken.jsonl" in report

    # second run: nothing new to ingest, same totals, no alert raised twice
    again = cost_rollup(paths=[str(drop)])
    assert (again.calls, len(again.alerts), again.new_alerts) == (result.calls, 3, [])

    # events are sent asynchronously; give the server a moment to persist them
    for _ in range(30):
        events = asyncio.run(_alert_events())
        if len(events) >= 3:
            break
        import time

        time.sleep(1)
    assert events == ["llmops.cost.alert", "llmops.error_rate.alert", "llmops.latency.alert"]
