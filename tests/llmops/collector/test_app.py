"""The collector's routes over real HTTP (uvicorn in a thread): answers as the OTLP spec and
Langfuse give them, refusals that store nothing, and what arrives in llm_calls."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import httpx
import pytest

from tests.builders.collector import (
    BEARER,
    FEEDBACK_TOKEN,
    PUBLIC_KEY,
    SECRET_KEY,
    TOKEN,
    chat_spans,
    lake_rows,
    rotate_and_ingest,
    spooled_files,
)

PB = {"content-type": "application/x-protobuf"}
JS = {"content-type": "application/json"}


def _otlp_json_span(span_id: str, trace_id: str = "5b8efff798038103d269b633813fc60c") -> dict:
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "name": "chat gpt-4o",
        "kind": 3,
        "startTimeUnixNano": "1780000000000000000",
        "endTimeUnixNano": "1780000000500000000",
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {"key": "gen_ai.system", "value": {"stringValue": "openai"}},
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "100"}},
            {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "20"}},
        ],
    }


def _otlp_json(*spans: dict) -> dict:
    return {
        "resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": list(spans)}]}]
    }


def test_otlp_protobuf_answers_an_export_response_and_arrives_in_llm_calls(collector) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

    body = gzip.compress(chat_spans(3))
    r = httpx.post(
        f"{collector.url}/v1/traces",
        content=body,
        headers=BEARER | PB | {"content-encoding": "gzip"},
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-protobuf"
    assert not ExportTraceServiceResponse.FromString(r.content).HasField("partial_success")
    [batch] = rotate_and_ingest(collector.settings)
    assert batch.format == "otel" and batch.accepted == 3
    rows = lake_rows(
        collector.settings,
        "SELECT call_id, requested_model, input_tokens, output_tokens, "
        "input_text, cost_status FROM llm_calls ORDER BY call_id",
    )
    assert rows == [(f"{i:016x}", "gpt-4o-mini", 12, 7, f"hello {i}", "priced") for i in (1, 2, 3)]


def test_otlp_json_partial_success_keeps_the_valid_spans(collector) -> None:
    good = _otlp_json_span("00f067aa0ba902b7")
    bad = _otlp_json_span("xyz")
    r = httpx.post(f"{collector.url}/v1/traces", json=_otlp_json(good, bad), headers=BEARER)
    assert r.status_code == 200
    partial = r.json()["partialSuccess"]
    assert (
        partial["rejectedSpans"] == "1"
        and "spanId must be 16 hex digits" in partial["errorMessage"]
    )
    rotate_and_ingest(collector.settings)
    assert lake_rows(collector.settings, "SELECT call_id, input_tokens FROM llm_calls") == [
        ("00f067aa0ba902b7", 100)
    ]


def test_refusals_are_4xx_with_a_reason_and_store_nothing(collector, home: Path) -> None:
    url = f"{collector.url}/v1/traces"
    body = chat_spans(1)
    cases = {
        "no credentials": httpx.post(url, content=body, headers=PB),
        "forged bearer": httpx.post(
            url, content=body, headers=PB | {"Authorization": f"Bearer {TOKEN}x"}
        ),
        "forged basic": httpx.post(url, content=body, headers=PB, auth=(PUBLIC_KEY, "sk-wrong")),
        "feedback token on OTLP": httpx.post(
            url, content=body, headers=PB | {"Authorization": f"Bearer {FEEDBACK_TOKEN}"}
        ),
        "garbage protobuf": httpx.post(url, content=b"\xff\xff\xff\x0f", headers=BEARER | PB),
        "not JSON": httpx.post(url, content=b'{"resourceSpans": [', headers=BEARER | JS),
        "nested JSON": httpx.post(url, content=b"[" * 50_000 + b"]" * 50_000, headers=BEARER | JS),
        "nested but parseable": httpx.post(
            url, content=json.dumps(_nest(200)).encode(), headers=BEARER | JS
        ),
        "wrong shape": httpx.post(url, json={"resourceSpans": {}}, headers=BEARER),
        "content type": httpx.post(
            url, content=body, headers=BEARER | {"content-type": "text/plain"}
        ),
        "encoding": httpx.post(url, content=body, headers=BEARER | PB | {"content-encoding": "br"}),
        "broken gzip": httpx.post(
            url, content=b"\x1f\x8bnot", headers=BEARER | PB | {"content-encoding": "gzip"}
        ),
        "gzip bomb": httpx.post(
            url,
            content=gzip.compress(b"\0" * (40 * 1024 * 1024)),
            headers=BEARER | PB | {"content-encoding": "gzip"},
        ),
        "oversized": httpx.post(url, content=b"\0" * (9 * 1024 * 1024), headers=BEARER | PB),
    }
    status = {name: r.status_code for name, r in cases.items()}
    assert status == {
        "no credentials": 401,
        "forged bearer": 401,
        "forged basic": 401,
        "feedback token on OTLP": 401,
        "garbage protobuf": 400,
        "not JSON": 400,
        "nested JSON": 400,
        "nested but parseable": 400,
        "wrong shape": 400,
        "content type": 415,
        "encoding": 415,
        "broken gzip": 400,
        "gzip bomb": 413,
        "oversized": 413,
    }
    assert "nests deeper than 64 levels" in cases["nested JSON"].json()["message"]
    assert cases["no credentials"].headers["www-authenticate"].startswith("Bearer")
    for name in ("garbage protobuf", "oversized"):  # google.rpc.Status in the request's encoding
        from google.rpc.status_pb2 import Status

        assert Status.FromString(cases[name].content).message, name
    assert spooled_files(home) == []
    rejected = collector.collector.counters.stats.rejected
    assert rejected == {
        "auth": 4,
        "malformed": 4,
        "too_deep": 2,
        "content_type": 1,
        "encoding": 1,
        "too_large": 2,
    }


def _nest(depth: int) -> dict:
    value: dict = {"resourceSpans": []}
    for _ in range(depth):
        value = {"a": value}
    return value


def test_back_pressure_answers_retryable_status_with_retry_after(collector) -> None:
    cfg = collector.settings.collector
    cfg.max_spool_bytes = 1  # the spool counts as full as soon as anything is in it
    url = f"{collector.url}/v1/traces"
    assert httpx.post(url, content=chat_spans(1), headers=BEARER | PB).status_code == 200
    full = httpx.post(url, content=chat_spans(1, start=1), headers=BEARER | PB)
    assert full.status_code == 503 and full.headers["retry-after"] == "1"
    collector.collector.rotate(force=True)  # rotation empties the spool: accepted again
    assert httpx.post(url, content=chat_spans(1, start=1), headers=BEARER | PB).status_code == 200


def test_langfuse_ingestion_answers_207_per_event_with_basic_auth(collector, home: Path) -> None:
    batch = {
        "batch": [
            {
                "id": "ev-1",
                "type": "generation-create",
                "timestamp": "2026-12-01T10:00:00.000Z",
                "body": {
                    "id": "gen-1",
                    "traceId": "trace-1",
                    "name": "answer",
                    "model": "gpt-4o",
                    "startTime": "2026-12-01T10:00:00.000Z",
                    "endTime": "2026-12-01T10:00:01.000Z",
                    "usage": {"input": 100, "output": 20, "unit": "TOKENS"},
                },
            },
            {"id": "ev-2", "type": "no-such-type", "timestamp": "x", "body": {}},
            {"type": "trace-create", "timestamp": "2026-12-01T10:00:00.000Z", "body": {}},
        ],
        "metadata": {"sdk_name": "python", "sdk_version": "2.60.0"},
    }
    url = f"{collector.url}/api/public/ingestion"
    assert httpx.post(url, json=batch).status_code == 401
    assert (
        httpx.get(f"{collector.url}/api/public/projects", auth=(PUBLIC_KEY, SECRET_KEY)).status_code
        == 200
    )
    r = httpx.post(url, json=batch, auth=(PUBLIC_KEY, SECRET_KEY))
    assert r.status_code == 207
    answer = r.json()
    assert answer["successes"] == [{"id": "ev-1", "status": 201}]
    assert [(e["id"], e["status"]) for e in answer["errors"]] == [("ev-2", 400), ("2", 400)]
    assert "field id" in answer["errors"][1]["error"]
    rotate_and_ingest(collector.settings)
    rows = lake_rows(
        collector.settings,
        "SELECT call_id, trace_id, requested_model, input_tokens, "
        "output_tokens, source_format FROM llm_calls",
    )
    assert rows == [("gen-1", "trace-1", "gpt-4o", 100, 20, "langfuse")]


def test_litellm_generic_api_formats(collector) -> None:
    url = f"{collector.url}/v1/litellm"

    def payload(i: int) -> dict:
        return {
            "id": f"chatcmpl-{i}",
            "call_type": "acompletion",
            "model": "gpt-4o-mini",
            "custom_llm_provider": "openai",
            "startTime": 1780000000.0 + i,
            "endTime": 1780000001.0 + i,
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "status": "success",
            "messages": [{"role": "user", "content": f"question {i}"}],
            "response": {"choices": [{"message": {"role": "assistant", "content": "ok"}}]},
        }

    array = httpx.post(url, json=[payload(1), payload(2)], headers=BEARER)
    ndjson = httpx.post(
        url, content=f"{json.dumps(payload(3))}\n{json.dumps(payload(4))}\n", headers=BEARER
    )
    single = httpx.post(url, json=payload(5), headers=BEARER)
    mixed = httpx.post(url, json=[payload(6), {"no": "id"}], headers=BEARER)
    assert [r.status_code for r in (array, ndjson, single, mixed)] == [200, 200, 200, 200]
    assert mixed.json()["accepted"] == 1 and "field id" in mixed.json()["rejected"][0]["error"]
    assert httpx.post(url, json=[{"no": "id"}], headers=BEARER).status_code == 400
    rotate_and_ingest(collector.settings)
    rows = lake_rows(collector.settings, "SELECT call_id, input_text FROM llm_calls ORDER BY 1")
    assert rows == [(f"chatcmpl-{i}", f"question {i}") for i in range(1, 7)]


FB = {"feedback_id": "h1", "call_id": "call-1", "kind": "thumb_down", "comment": "no"}


def test_feedback_refusals_name_record_and_field(collector, home: Path, monkeypatch) -> None:
    url = f"{collector.url}/feedback"
    collector.settings.feedback.max_records = 5
    collector.settings.feedback.max_body_bytes = 4000

    def post(body, token: str | None = FEEDBACK_TOKEN):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if isinstance(body, str | bytes):
            return httpx.post(url, content=body, headers=headers)
        return httpx.post(url, json=body, headers=headers)

    assert post(FB, token=None).status_code == 401
    assert post(FB, token="wrong").status_code == 401
    basic = httpx.post(url, json=FB, headers={"Authorization": f"Basic {FEEDBACK_TOKEN}"})
    assert basic.status_code == 401
    bad_json = post('{"feedback_id": "h1",')
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["error"]
    assert post("42").status_code == 400 and post([]).status_code == 400
    invalid = post([FB, {"feedback_id": "h2", "call_id": "call-2", "kind": "rating"}])
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == ["body[1]: field rating: required (1-5) for kind 'rating'"]
    missing = post({"call_id": "call-2", "kind": "thumb_up"})
    assert missing.json()["errors"] == ["body: field feedback_id: Field required"]
    assert post({**FB, "comment": "x" * 5000}).status_code == 413
    assert post([dict(FB, feedback_id=f"m{i}") for i in range(6)]).status_code == 413
    assert spooled_files(home) == []


def test_feedback_is_spooled_hashed_then_stored_once(collector, home: Path) -> None:
    url = f"{collector.url}/feedback"
    headers = {"Authorization": f"Bearer {TOKEN}"}  # the collector's token works too
    batch = [
        {**FB, "user_id": "alice@example.com"},
        {"feedback_id": "h2", "trace_id": "trace-2", "kind": "rating", "rating": 5},
    ]
    first = httpx.post(url, json=batch, headers=headers)
    assert first.status_code == 202 and first.json() == {"accepted": 2, "status": "spooled"}
    assert httpx.post(url, json=FB, headers=headers).status_code == 202  # a redelivery
    [spooled, _] = spooled_files(home)
    assert "alice" not in spooled.read_text()  # only the keyed hash reaches the disk
    collector.collector.rotate(force=True)
    rows = lake_rows(
        collector.settings,
        "SELECT feedback_id, comment, user_hash IS NOT NULL, starts_with(source_file, ?) "
        "FROM feedback ORDER BY 1",
        [str(home / "collector" / "feedback")],
    )
    assert rows == [("h1", "no", True, True), ("h2", None, False, True)]


def test_basic_auth_header_must_be_base64_of_the_pair(collector) -> None:
    url = f"{collector.url}/v1/traces"
    raw = base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
    ok = httpx.post(url, content=chat_spans(1), headers=PB | {"Authorization": f"Basic {raw}"})
    assert ok.status_code == 200
    broken = httpx.post(url, content=chat_spans(1), headers=PB | {"Authorization": "Basic %%%"})
    assert broken.status_code == 401


@pytest.mark.parametrize(
    "route", ["/v1/traces", "/api/public/ingestion", "/v1/litellm", "/feedback"]
)
def test_every_route_refuses_deep_nesting(collector, route: str) -> None:
    body = b'{"a":' * 100 + b"1" + b"}" * 100
    r = httpx.post(f"{collector.url}{route}", content=body, headers=BEARER | JS)
    assert r.status_code == 400 and "nests deeper" in r.text
