"""Runtime control of a running simulator: admin endpoints, the CLI, every client sees a bump."""

from __future__ import annotations

import httpx
import pytest

from llmops.core.errors import LlmopsError
from llmops.simulators.provider.admin import configure_simulator, simulator_status
from tests.builders.provider import qa_items, rag_messages
from tests.builders.simulator import SimulatorHandle

ITEM = qa_items()[2]


def chat(url: str) -> dict:
    """One plain chat completion over HTTP."""
    body = {"model": "gpt-4o-mini", "messages": rag_messages(ITEM["context"], ITEM["question"])}
    resp = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=10)
    assert resp.status_code == 200
    return resp.json() | {"_header": resp.headers["x-llmops-simulator"]}


def test_admin_config_changes_what_is_served(fresh_simulator: SimulatorHandle) -> None:
    url = fresh_simulator.url
    state = simulator_status(url)
    assert state["config"]["model_version"] == 1 and state["initial_model_version"] == 1
    v1 = chat(url)
    assert v1["model"] == "gpt-4o-mini-sim-v1" and v1["_header"] == "v1"

    bumped = fresh_simulator.bump()
    assert bumped["model_version"] == 2
    health = httpx.get(f"{url}/health").json()
    assert health["model_version"] == 2 and health["system_fingerprint"].startswith("fp_sim_v2_")
    v2 = chat(url)
    assert v2["model"] == "gpt-4o-mini-sim-v2" and v2["_header"] == "v2"
    assert v2["system_fingerprint"] == health["system_fingerprint"] != v1["system_fingerprint"]
    assert v2["choices"][0]["message"]["content"] != v1["choices"][0]["message"]["content"]
    assert fresh_simulator.bump(to=5)["model_version"] == 5

    cfg = fresh_simulator.configure(error_rate=1.0, timeout_share=0.0)
    assert cfg["error_rate"] == 1.0 and cfg["model_version"] == 5  # the rest is kept
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    failed = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=10)
    assert failed.status_code in (429, 500)

    assert fresh_simulator.reset()["model_version"] == 1
    assert chat(url)["model"] == "gpt-4o-mini-sim-v1"


def test_invalid_changes_are_refused_with_the_field(fresh_simulator: SimulatorHandle) -> None:
    url = fresh_simulator.url
    with pytest.raises(LlmopsError, match="400 invalid config: error_rate"):
        configure_simulator(url, error_rate=2)
    with pytest.raises(LlmopsError, match="model_versoin"):
        configure_simulator(url, model_versoin=3)
    raw = httpx.post(f"{url}/admin/config", content=b"{nope", timeout=5)
    assert raw.status_code == 400
    assert simulator_status(url)["config"]["error_rate"] == 0.0  # nothing half-applied
    with pytest.raises(LlmopsError, match="no simulator answers"):
        simulator_status("http://127.0.0.1:9")
