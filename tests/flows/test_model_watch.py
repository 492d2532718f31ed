"""The model-watch flow on a real Prefect server: baseline, one update event after a bump, quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders.prefect_api import artifact, events
from tests.builders.simulator import SimulatorHandle

pytestmark = pytest.mark.usefixtures("prefect_server")


def _updates_of(run_id: str, found: list[dict]) -> list[dict]:
    return [e for e in found if e["payload"].get("flow_run_id") == run_id]


def test_bump_emits_exactly_one_update_per_alias(
    fresh_simulator: SimulatorHandle, home: Path
) -> None:
    from flows.model_watch import model_watch

    first = model_watch(aliases=["candidate"], return_state=True)
    assert first.is_completed()
    assert [o.status for o in first.result().observations] == ["baseline"]
    first_id = str(first.state_details.flow_run_id)
    report = artifact("model-watch", first.state_details.flow_run_id)
    assert report is not None and "No model update declared" in report
    assert "| candidate | baseline | gpt-4o-mini-sim-v1 |" in report

    fresh_simulator.bump()
    second = model_watch(aliases=["candidate"], return_state=True)
    assert second.is_completed()
    second_id = str(second.state_details.flow_run_id)
    found = events("llmops.model.updated", until=lambda f: len(_updates_of(second_id, f)) >= 1)
    emitted = _updates_of(second_id, found)
    assert len(emitted) == 1
    event = emitted[0]
    assert event["resource"]["prefect.resource.id"] == "llmops.model.candidate"
    payload = event["payload"]
    assert payload["alias"] == "candidate"
    assert payload["old"]["model"] == "gpt-4o-mini-sim-v1"
    assert payload["new"]["model"] == "gpt-4o-mini-sim-v2"
    assert payload["old"]["fingerprint"].startswith("fp_sim_v1_")
    assert payload["new"]["fingerprint"] == fresh_simulator.fingerprint()
    assert payload["old"]["canary_hash"] != payload["new"]["canary_hash"]
    assert "served identity changed" in payload["reason"] and payload["simulated"] is True
    report = artifact("model-watch", second.state_details.flow_run_id)
    assert report is not None and "## Updates declared (llmops.model.updated)" in report

    third = model_watch(aliases=["candidate"], return_state=True)
    assert third.is_completed() and third.result().updates == []
    third_id = str(third.state_details.flow_run_id)
    # a later run's events arrive after the earlier run's; wait a little for any stragglers
    found = events("llmops.model.updated", until=lambda f: False, wait_s=3)
    assert _updates_of(first_id, found) == [] and _updates_of(third_id, found) == []
    assert len(_updates_of(second_id, found)) == 1


def test_an_unknown_alias_fails_the_run(home: Path, simulator: SimulatorHandle) -> None:
    from flows.model_watch import model_watch

    state = model_watch(aliases=["nope"], return_state=True)
    assert state.is_failed() and "unknown alias 'nope'" in str(state.message)
