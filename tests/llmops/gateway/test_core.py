"""The gateway against the real simulator over HTTP: records, cost, retries, fallbacks, the cap."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from llmops.core.errors import ConfigError, LlmopsError
from llmops.core.settings import Settings, get_settings
from llmops.costs.pricing import litellm_price
from llmops.gateway import BudgetExceeded, Gateway
from tests.builders.provider import qa_items, rag_messages
from tests.builders.simulator import SimulatorHandle

pytestmark = pytest.mark.usefixtures("home")

ITEM = qa_items()[0]
FAST_BACKOFF = {"backoff_base_s": 0.01, "backoff_max_s": 0.05}


def settings_with(models: dict[str, Any] | None = None, **overrides: Any) -> Settings:
    """Settings with extra aliases (the defaults stay) and fast backoff."""
    return get_settings(models=models or {}, gateway={**FAST_BACKOFF, **overrides})


def question(i: int) -> list[dict[str, str]]:
    """A distinct RAG prompt per i (faults are drawn per request, so prompts must differ)."""
    item = qa_items()[i % 20]
    return rag_messages(item["context"], f"{item['question']} (#{i})")


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_records_served_model_fingerprint_and_cost(simulator: SimulatorHandle) -> None:
    gw = Gateway(purpose="unit")
    resp = gw.completion(
        "candidate", rag_messages(ITEM["context"], ITEM["question"]), temperature=0
    )
    assert resp.choices[0].message.content == ITEM["reference"]
    rec = gw.records[0]
    assert rec.ok and rec.attempts == 1 and rec.attempt_errors == []
    assert rec.alias == rec.served_alias == "candidate" and rec.purpose == "unit"
    assert rec.requested_model == "openai/gpt-4o-mini"
    assert rec.served_model == "gpt-4o-mini-sim-v1" == resp.model
    assert rec.system_fingerprint == simulator.fingerprint() == resp.system_fingerprint
    assert rec.simulated and rec.provider == "simulator"
    _, price = litellm_price("openai", "gpt-4o-mini")  # priced by the configured model
    assert price is not None and rec.priced_model == "gpt-4o-mini"
    expected = rec.prompt_tokens * price.input + rec.completion_tokens * price.output
    assert rec.prompt_tokens > 20 and rec.completion_tokens > 3
    assert rec.cost_usd == pytest.approx(expected) and rec.cost_usd > 0

    emb = gw.embedding("embedder", ["one", "two"], metadata={"purpose": "ragas"})
    assert len(emb.data) == 2
    erec = gw.records[1]
    assert erec.kind == "embedding" and erec.purpose == "ragas" and erec.cost_usd > 0
    assert erec.served_model == "text-embedding-3-small-sim-v1"

    # a plain model string that an alias is configured with is served by that alias
    gw.completion("gpt-4o", [{"role": "user", "content": "hello"}])
    assert gw.records[2].alias == "judge" and gw.records[2].served_model == "gpt-4o-sim-v1"

    summary = gw.summary()
    assert summary.calls == 3 and summary.failures == 0 and summary.retries == 0
    assert summary.cost_usd == pytest.approx(gw.spent_usd)
    assert summary.cost_usd == pytest.approx(sum(r.cost_usd for r in gw.records))
    assert summary.simulated
    line = summary.provenance()
    assert line.startswith(
        "scores come from the provider simulator (gpt-4o-mini-sim-v1, fp_sim_v1_"
    )
    assert "$" in summary.markdown()


def test_simulator_is_recognised_by_its_header_behind_a_provider_alias(
    simulator: SimulatorHandle,
) -> None:
    models = {
        "compat": {"model": "gpt-4o-mini", "provider": "openai", "api_base": simulator.api_base}
    }
    gw = Gateway(settings_with(models))
    gw.completion("compat", [{"role": "user", "content": "hi"}], api_key="any")
    rec = gw.records[0]
    assert rec.provider == "openai" and rec.simulated  # x-llmops-simulator header


def test_retries_succeed_with_20_percent_injected_429_and_500(
    fresh_simulator: SimulatorHandle,
) -> None:
    fresh_simulator.configure(error_rate=0.2, timeout_share=0.0, retry_after_seconds=0.02)
    gw = Gateway(settings_with({"flaky": {"model": "gpt-4o-mini", "max_retries": 8}}))

    async def run() -> list[Any]:
        return await asyncio.gather(*(gw.acompletion("flaky", question(i)) for i in range(40)))

    responses = asyncio.run(run())
    assert len(responses) == 40 and all(r.choices[0].message.content for r in responses)
    assert all(r.ok for r in gw.records) and len(gw.records) == 40
    errors = [e for r in gw.records for e in r.attempt_errors]
    assert sum(r.attempts for r in gw.records) == 40 + len(errors) > 40
    assert any(e.startswith("429 RateLimitError") for e in errors)
    assert any(e.startswith("500 InternalServerError") for e in errors)
    assert gw.summary().retries == len(errors)


def test_a_timeout_is_retried(fresh_simulator: SimulatorHandle) -> None:
    fresh_simulator.configure(error_rate=0.5, timeout_share=1.0, timeout_seconds=5.0)
    models = {"slow": {"model": "gpt-4o-mini", "timeout_s": 0.5, "max_retries": 8}}
    gw = Gateway(settings_with(models))

    async def run() -> list[Any]:
        return await asyncio.gather(*(gw.acompletion("slow", question(i)) for i in range(6)))

    asyncio.run(run())
    assert all(r.ok for r in gw.records)
    errors = [e for r in gw.records for e in r.attempt_errors]
    assert errors and all("Timeout" in e for e in errors)


def test_a_bad_request_is_not_retried_nor_sent_to_a_fallback(simulator: SimulatorHandle) -> None:
    import litellm

    models = {"primary": {"model": "gpt-4o-mini", "fallbacks": ["candidate"]}}
    gw = Gateway(settings_with(models))
    with pytest.raises(litellm.BadRequestError, match="messages"):
        gw.completion("primary", [])
    rec = gw.records[0]
    assert not rec.ok and rec.attempts == 1 and rec.served_alias is None
    assert rec.error is not None and rec.error.startswith("400 BadRequestError")


def test_fallback_alias_answers_when_the_primary_keeps_failing(simulator: SimulatorHandle) -> None:
    dead = f"http://127.0.0.1:{closed_port()}/v1"
    models = {
        "primary": {
            "model": "openai/gpt-4o-mini",
            "api_base": dead,
            "api_key": "unused",
            "max_retries": 2,
            "fallbacks": ["candidate"],
        }
    }
    gw = Gateway(settings_with(models))
    resp = gw.completion("primary", rag_messages(ITEM["context"], ITEM["question"]))
    assert resp.choices[0].message.content == ITEM["reference"]
    rec = gw.records[0]
    assert rec.ok and rec.alias == "primary" and rec.served_alias == "candidate"
    assert rec.attempts == 4 and len(rec.attempt_errors) == 3  # 1 + 2 retries, then the fallback
    assert all("Connection error" in e for e in rec.attempt_errors)
    assert rec.simulated and rec.served_model == "gpt-4o-mini-sim-v1"


def test_without_fallback_the_last_error_is_raised_and_recorded(
    simulator: SimulatorHandle,
) -> None:
    import litellm

    dead = f"http://127.0.0.1:{closed_port()}/v1"
    models = {"down": {"model": "openai/x", "api_base": dead, "api_key": "k", "max_retries": 1}}
    gw = Gateway(settings_with(models))
    with pytest.raises(litellm.InternalServerError):
        gw.completion("down", [{"role": "user", "content": "x"}])
    rec = gw.records[0]
    assert not rec.ok and rec.attempts == 2 and rec.provider == "openai" and not rec.simulated
    assert gw.summary().failures == 1


def test_usd_cap_stops_the_run_with_a_clear_message(simulator: SimulatorHandle) -> None:
    gw = Gateway(settings_with(), usd_cap=0.00002)
    made = 0
    with pytest.raises(BudgetExceeded) as caught:
        for i in range(100):
            gw.completion("candidate", question(i))
            made += 1
    assert 1 <= made < 100 and len(gw.records) == made
    assert gw.spent_usd >= 0.00002
    spent_before_last = gw.spent_usd - gw.records[-1].cost_usd
    assert spent_before_last < 0.00002  # the cap was only reached by the last call made
    message = str(caught.value)
    assert "USD cap reached" in message and f"over {made} call(s)" in message
    assert "LLMOPS_GATEWAY__USD_CAP" in message and "$0.000020 cap" in message
    assert isinstance(caught.value, LlmopsError)
    with pytest.raises(BudgetExceeded):  # and it stays stopped
        gw.completion("candidate", question(0))
    assert gw.summary().refused == 2 and len(gw.records) == made


def test_usd_cap_holds_for_queued_concurrent_calls(simulator: SimulatorHandle) -> None:
    cap, concurrency = 0.00005, 2
    gw = Gateway(settings_with(), usd_cap=cap, concurrency=concurrency)

    async def run() -> list[Any]:
        calls = (gw.acompletion("candidate", question(i)) for i in range(60))
        return await asyncio.gather(*calls, return_exceptions=True)

    outcomes = asyncio.run(run())
    refused = [o for o in outcomes if isinstance(o, BudgetExceeded)]
    answered = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(refused) + len(answered) == 60 and len(answered) == len(gw.records)
    assert gw.summary().refused == len(refused) > 40
    costs = [r.cost_usd for r in gw.records]
    # every call but those already in flight when the cap was reached saw it
    assert sum(costs[:-concurrency]) < cap <= gw.spent_usd


def test_a_runtime_bump_changes_what_the_gateway_sees(fresh_simulator: SimulatorHandle) -> None:
    gw = Gateway(settings_with())
    msgs = rag_messages(ITEM["context"], ITEM["question"])
    before = gw.completion("candidate", msgs, temperature=0)
    fresh_simulator.bump()
    after = gw.completion("candidate", msgs, temperature=0)
    assert before.system_fingerprint.startswith("fp_sim_v1_")
    assert after.system_fingerprint.startswith("fp_sim_v2_")
    assert after.model == "gpt-4o-mini-sim-v2"
    assert after.choices[0].message.content != before.choices[0].message.content
    served = {(s.served_model, s.system_fingerprint) for s in gw.summary().served}
    assert served == {
        (before.model, before.system_fingerprint),
        (after.model, after.system_fingerprint),
    }
    assert gw.records[1].system_fingerprint == after.system_fingerprint


def test_the_gateway_works_from_several_event_loops(simulator: SimulatorHandle) -> None:
    gw = Gateway(settings_with(), concurrency=2)

    async def burst() -> None:
        await asyncio.gather(*(gw.acompletion("judge", question(i)) for i in range(5)))

    asyncio.run(burst())
    asyncio.run(burst())  # a new loop gets its own semaphore

    async def sync_inside_a_loop() -> str:
        return gw.completion("candidate", question(1)).model  # runs in a helper thread

    assert asyncio.run(sync_inside_a_loop()) == "gpt-4o-mini-sim-v1"
    assert len(gw.records) == 11 and all(r.ok for r in gw.records)


def test_no_simulator_and_no_autostart_is_a_clear_error(home: Any) -> None:
    settings = get_settings(simulator={"port": closed_port(), "autostart": False})
    gw = Gateway(settings)
    with pytest.raises(LlmopsError, match="no simulator answers at .*llmops simulator serve"):
        gw.completion("candidate", [{"role": "user", "content": "x"}])
    assert gw.records[0].error is not None and gw.records[0].attempts == 0


def test_bad_alias_configuration_names_the_field(home: Any) -> None:
    with pytest.raises(ConfigError, match=r"models\.a\.fallbacks: unknown alias 'nope'"):
        Gateway(get_settings(models={"a": {"model": "gpt-4o-mini", "fallbacks": ["nope"]}}))
    with pytest.raises(ConfigError, match=r"models\.a\.fallbacks: 'embedder' is of kind embedding"):
        Gateway(get_settings(models={"a": {"model": "gpt-4o-mini", "fallbacks": ["embedder"]}}))
    gw = Gateway(get_settings())
    with pytest.raises(LlmopsError, match="models.embedder.kind is embedding"):
        gw.completion("embedder", [{"role": "user", "content": "x"}])
    with pytest.raises(LlmopsError, match="stream=True"):
        gw.completion("candidate", [{"role": "user", "content": "x"}], stream=True)
