"""The cost rollup flow on a real Prefect server: batches in, rollups, alerts, events, artifact."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops.costs.rollup import ALERT_EVENTS
from tests.builders.logs import build_log
from tests.builders.prefect_api import artifact, events

pytestmark = pytest.mark.usefixtures("prefect_server")


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
    report = artifact("cost-rollup", state.state_details.flow_run_id)
    assert report is not None and "## Alerts (3, 3 new)" in report and "broken.jsonl" in report

    # second run: nothing new to ingest, same totals, no alert raised twice
    again = cost_rollup(paths=[str(drop)])
    assert (again.calls, len(again.alerts), again.new_alerts) == (result.calls, 3, [])

    cost_events = set(ALERT_EVENTS.values())  # other flows' tests share the server

    def mine(found: list[dict]) -> list[str]:
        return sorted(e["event"] for e in found if e["event"] in cost_events)

    found = mine(events(*cost_events, until=lambda f: len(mine(f)) >= 3))
    assert found == ["llmops.cost.alert", "llmops.error_rate.alert", "llmops.latency.alert"]


def test_the_artifact_shows_the_collector_health(collector) -> None:
    """Batches the collector rotated into the drop folder are ingested by the default run, and
    the artifact says what the collector received, ingested and rejected."""
    import httpx

    from flows.cost_rollup import cost_rollup
    from tests.builders.collector import BEARER, chat_spans

    pb = BEARER | {"content-type": "application/x-protobuf"}
    assert (
        httpx.post(f"{collector.url}/v1/traces", content=chat_spans(2), headers=pb).status_code
        == 200
    )
    assert httpx.post(f"{collector.url}/v1/traces", content=b"x", headers=pb).status_code == 400
    collector.collector.rotate(force=True)
    collector.collector.counters.save()

    state = cost_rollup(return_state=True)  # the default: the drop folder
    assert state.is_completed() and state.result().calls == 2
    report = artifact("cost-rollup", state.state_details.flow_run_id)
    assert report is not None and "## Collector" in report
    assert "ingested: 2 record(s) (2 calls in llm_calls), 0 quarantined" in report
    assert "rejected: 1 request(s) (body not decodable 1)" in report
