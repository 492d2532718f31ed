"""The producers' real SDKs, configured only as README's "Send telemetry" says, send to a
collector on loopback while calling the provider simulator; every call arrives in llm_calls with
the fields the SDK reported (tests/builders/telemetry/to_collector.py runs them)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.builders.collector import (
    PUBLIC_KEY,
    SECRET_KEY,
    TOKEN,
    lake_rows,
    rotate_and_ingest,
    spooled_files,
)
from tests.builders.telemetry import run_children
from tests.builders.telemetry.to_collector import CHILDREN, QUESTION_LF, QUESTION_LITELLM

CONFORMANCE = Path(__file__).resolve().parents[2] / "data" / "conformance"


@pytest.fixture
def sent(collector, simulator, tmp_path: Path):
    """Every SDK child sent its calls to the collector; then rotated and ingested."""
    env = {
        "COLLECTOR_URL": collector.url,
        "COLLECTOR_TOKEN": TOKEN,
        "COLLECTOR_PUBLIC_KEY": PUBLIC_KEY,
        "COLLECTOR_SECRET_KEY": SECRET_KEY,
    }
    run_children(CHILDREN, tmp_path / "children", simulator.api_base, env=env)
    kinds = sorted({p.parent.name for p in spooled_files(collector.settings.home)})
    batches = rotate_and_ingest(collector.settings)
    return collector, kinds, batches


COLUMNS = (
    "source_format, requested_model, provider, input_tokens, output_tokens, status, user_hash, "
    "input_text, output_text IS NOT NULL, cost_status"
)


def _user(settings, raw: str) -> str:
    import hashlib
    import hmac

    return hmac.new(settings.user_key, raw.encode(), hashlib.sha256).hexdigest()[:32]


def test_every_sdk_call_arrives_in_llm_calls(sent) -> None:
    collector, kinds, batches = sent
    settings = collector.settings
    # Langfuse v3+ SDKs export OTLP protobuf to /api/public/otel/v1/traces
    assert kinds == ["litellm", "otlp-json", "otlp-protobuf"]
    assert sum(b.quarantined for b in batches) == 0
    routes = collector.collector.counters.stats.requests
    assert routes["otlp"] >= 2 and routes["langfuse-otel"] >= 1 and routes["litellm"] == 1
    # Every ingested row (the lake files, before the view's dedup by call id: the simulator is
    # deterministic, so both OpenTelemetry children got the same response ids).
    rows = lake_rows(
        settings,
        f"SELECT split_part(source_file, '/', -2) AS kind, call_id, {COLUMNS} "
        "FROM read_parquet(?) ORDER BY kind, call_id",
        [str(settings.lake_dir / "llm_calls" / "*.parquet")],
    )
    got: dict[str, list[tuple]] = {}
    for kind, *rest in rows:
        got.setdefault(kind, []).append(tuple(rest))

    chat = ("otel", "gpt-4o-mini", "openai", 41, 9, "success")
    for kind, seed in (("otlp-protobuf", 21), ("otlp-json", 22)):
        calls = [r for r in got[kind] if r[2] != "gpt-4o-mini-sim-v1"]  # not Langfuse's
        assert len(calls) == 3, got[kind]
        failed = [r for r in calls if r[0] == f"{seed:04x}000000000003"]
        assert [r[1:4] + r[6:7] for r in failed] == [("otel", "gpt-4o", "openai", "error")]
        answered = [r for r in calls if r not in failed]
        for r in answered:  # chat and streamed chat: response id, model, usage, texts, price
            assert r[0].startswith("chatcmpl-sim"), r
            assert r[1:7] == chat and r[8] and r[9] is True and r[10] == "priced", r
    langfuse = [r for r in got["otlp-protobuf"] if r[2] == "gpt-4o-mini-sim-v1"]
    assert len(langfuse) == 1, got["otlp-protobuf"]
    (lf,) = langfuse
    assert lf[1] == "otel" and lf[4:7] == (12, 9, "success")
    assert lf[7] == _user(settings, "user-lf-7") and lf[8] == QUESTION_LF and lf[9] is True
    litellm_rows = got["litellm"]
    assert sorted(r[8] for r in litellm_rows) == [f"{QUESTION_LITELLM} ({i})" for i in range(2)]
    for r in litellm_rows:
        assert r[1:7] == ("litellm", "gpt-4o-mini", "openai", 19, 9, "success"), r
        assert r[7] == _user(settings, "user-litellm-3") and r[9] is True and r[10] == "priced"


def test_a_langfuse_v2_sdk_batch_replayed_arrives_as_its_manifest_says(collector) -> None:
    """The v2 SDK's ingestion batch (a genuine one from the conformance suite) posted as the v2
    SDK posts it: basic auth, 207, and the generation in llm_calls."""
    body = (CONFORMANCE / "langfuse" / "litellm-v2-sdk-batch-bedrock.json").read_bytes()
    r = httpx.post(
        f"{collector.url}/api/public/ingestion",
        content=body,
        headers={"content-type": "application/json"},
        auth=(PUBLIC_KEY, SECRET_KEY),
    )
    assert r.status_code == 207
    events = json.loads(body)["batch"]
    assert r.json() == {"successes": [{"id": e["id"], "status": 201} for e in events], "errors": []}
    rotate_and_ingest(collector.settings)
    rows = lake_rows(collector.settings, "SELECT call_id, trace_id, source_format FROM llm_calls")
    assert rows == [
        (
            "time-14-13-16-469836_chatcmpl-3803a9e9-aa68-4493-94d9-247f354830d6",
            "litellm-test-c4c1c850-e8c9-4b16-b5a4-bff2bf9fa4f6",
            "langfuse",
        )
    ]
