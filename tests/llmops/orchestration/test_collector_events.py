"""Rotations become `llmops.collector.rotated` events on a real Prefect server, debounced, and
the cost-rollup deployment in prefect.yaml is triggered by exactly that event."""

from __future__ import annotations

import httpx
import yaml

from llmops.orchestration.events import ROTATED_EVENT
from tests.builders.collector import BEARER, chat_spans
from tests.builders.paths import REPO
from tests.builders.prefect_api import events


def test_rotations_reach_prefect_once_per_window(prefect_server: None, home, monkeypatch) -> None:
    from llmops.collector.server import run_in_thread
    from llmops.core.settings import get_settings
    from llmops.orchestration.events import RotationAnnouncer
    from tests.builders.collector import credentials_env

    credentials_env(monkeypatch)
    monkeypatch.setenv("LLMOPS_COLLECTOR__EVENT_WINDOW_S", "3600")
    settings = get_settings()
    url, collector, stop = run_in_thread(settings, RotationAnnouncer())
    pb = BEARER | {"content-type": "application/x-protobuf"}
    try:
        assert httpx.post(f"{url}/v1/traces", content=chat_spans(2), headers=pb).status_code == 200
        [first] = collector.rotate(force=True)
        assert collector.debouncer.flush()  # the first rotation is announced at once
        assert (
            httpx.post(f"{url}/v1/traces", content=chat_spans(1, 2), headers=pb).status_code == 200
        )
        [second] = collector.rotate(force=True)
        assert not collector.debouncer.flush()  # inside the window: held back
    finally:
        stop()  # stopping sends what was held
    mine = [first.path, second.path]

    def announced(found: list[dict]) -> list[dict]:
        return [e for e in found if set(e["payload"]["files"]) & set(mine)]

    found = announced(events(ROTATED_EVENT, until=lambda f: len(announced(f)) >= 2))
    found.sort(key=lambda e: e["occurred"])
    assert [e["payload"]["files"] for e in found] == [[first.path], [second.path]]
    assert [e["payload"]["records"] for e in found] == [2, 1]
    assert {e["resource"]["prefect.resource.id"] for e in found} == {"llmops.collector"}


def test_the_cost_rollup_deployment_is_triggered_by_rotations() -> None:
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    (rollup,) = [d for d in spec["deployments"] if d["name"] == "cost-rollup-hourly"]
    (trigger,) = rollup["triggers"]
    assert trigger["expect"] == [ROTATED_EVENT] and trigger["enabled"] is True
    assert trigger["match"] == {"prefect.resource.id": "llmops.collector"}
    assert rollup["schedules"], "the hourly schedule stays as the fallback"
