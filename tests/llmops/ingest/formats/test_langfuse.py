"""Langfuse JSON: ingestion events merged as Langfuse merges them, API/UI exports, tokens by kind.

Field names follow Langfuse's sources: the ingestion schema
(packages/shared/src/server/ingestion/types.ts), the worker's merge
(worker/src/services/IngestionService/index.ts), the public API types
(fern/apis/server/definition/commons.yml), the UI's trace download
(web/src/features/traces/server/buildTraceExport.ts), the blob-storage export columns
(packages/shared/src/domain/observation-field-groups.ts) and, for the v2 observations API, the
installed langfuse SDK's own models. Genuine artifacts are in the conformance suite
(tests/data/conformance/langfuse); these samples pin down single rules.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from llmops.ingest import ingest_file
from llmops.ingest.formats import langfuse
from llmops.lake.warehouse import connect

T0 = "2025-03-01T10:00:00.000Z"
T1 = "2025-03-01T10:00:01.000Z"
T2 = "2025-03-01T10:00:02.000Z"


def ingest(settings, tmp_path: Path, doc: Any, name: str = "doc.json") -> tuple[Any, list, list]:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    result = ingest_file(path, settings)
    con = connect(settings.lake_dir)
    try:
        rows = con.sql("SELECT * FROM llm_calls ORDER BY source_line").pl().to_dicts()
        bad = con.execute(
            "SELECT source_line, reason, raw FROM quarantine ORDER BY source_line"
        ).fetchall()
    finally:
        con.close()
    return result, rows, bad


def event(kind: str, body: dict[str, Any], ts: str = T0, eid: str | None = None) -> dict:
    return {"id": eid or f"ev-{kind}-{ts}", "type": kind, "timestamp": ts, "body": body}


CREATE = {
    "id": "gen-1",
    "traceId": "trace-1",
    "name": "answer",
    "startTime": T0,
    "model": "gpt-4o-mini",
    "input": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2+2?"},
    ],
    "metadata": {"feature": "math"},
}
# what the v2 SDK's generation.end(output=..., usage=...) sends: a generation-update
UPDATE = {
    "id": "gen-1",
    "traceId": "trace-1",
    "endTime": T2,
    "completionStartTime": T1,
    "output": {"role": "assistant", "content": "4"},
    "usage": {"input": 12, "output": 1, "total": 13, "unit": "TOKENS"},
    "level": "ERROR",
    "statusMessage": "content filter",
}
TRACE = {"id": "trace-1", "name": "calculator", "userId": "user-7", "metadata": {"team": "core"}}


def test_generation_update_merges_into_its_create(settings, tmp_path) -> None:
    batch = {
        "batch": [
            event("trace-create", TRACE),
            event("generation-create", CREATE),
            event("generation-update", UPDATE, ts=T2),
        ]
    }
    result, [row], bad = ingest(settings, tmp_path, batch)
    assert (result.format, result.accepted, result.quarantined, bad) == ("langfuse", 1, 0, [])
    assert (row["call_id"], row["trace_id"], row["source_line"]) == ("gen-1", "trace-1", 2)
    assert (row["input_tokens"], row["output_tokens"]) == (12, 1)
    assert row["latency_ms"] == pytest.approx(2000.0)
    assert row["ttft_ms"] == pytest.approx(1000.0)
    assert (row["status"], row["error_type"]) == ("error", "content filter")
    assert (row["input_text"], row["system_text"], row["output_text"]) == (
        "What is 2+2?",
        "Be brief.",
        "4",
    )
    assert (row["feature"], row["team"], row["user_hash"] is not None) == ("math", "core", True)


def test_events_merge_in_langfuse_time_order_not_arrival(settings, tmp_path) -> None:
    # the update arrives first but happened later: Langfuse sorts by the envelope timestamp
    late = {"id": "gen-1", "output": "final answer", "endTime": T2}
    early = {**CREATE, "output": "draft"}
    _, [row], _ = ingest(
        settings,
        tmp_path,
        [event("generation-update", late, ts=T2), event("generation-create", early, ts=T0)],
    )
    assert row["output_text"] == "final answer"
    assert row["source_line"] == 1  # where the call's first event is in the file
    assert row["started_at"] == dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)


def test_same_instant_puts_the_create_first(settings, tmp_path) -> None:
    events = [
        event("observation-update", {"id": "g", "type": "GENERATION", "output": "update"}, T0),
        event(
            "observation-create",
            {"id": "g", "type": "GENERATION", "startTime": T0, "model": "gpt-4o", "output": "x"},
            T0,
        ),
    ]
    _, [row], _ = ingest(settings, tmp_path, events)
    assert row["output_text"] == "update"


def test_resent_events_are_one_call(settings, tmp_path) -> None:
    events = [
        event("generation-create", CREATE, eid="a"),
        event("generation-create", CREATE, eid="b"),
        event("generation-update", UPDATE, ts=T2, eid="c"),
        event("generation-update", UPDATE, ts=T2, eid="d"),
    ]
    result, rows, _ = ingest(settings, tmp_path, {"batch": events})
    assert (result.accepted, result.quarantined, len(rows)) == (1, 0, 1)
    assert rows[0]["input_tokens"] == 12


def test_later_non_null_fields_win_and_metadata_merges(settings, tmp_path) -> None:
    update = {
        "id": "gen-1",
        "name": None,
        "level": None,
        "model": "gpt-4o-mini-2024-07-18",
        "metadata": {"team": "growth"},
        "promptName": "qa",
        "promptVersion": 3,
        "input": "",  # not truthy: the create's input stays (Langfuse keeps the last truthy one)
    }
    _, [row], _ = ingest(
        settings,
        tmp_path,
        [event("generation-create", CREATE), event("generation-update", update, ts=T1)],
    )
    assert (row["feature"], row["team"]) == ("math", "growth")  # both metadata keys kept
    assert (row["prompt_name"], row["prompt_version"]) == ("qa", "3")
    assert (row["requested_model"], row["served_model"]) == (
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
    )
    assert row["status"] == "success"
    assert row["input_text"] == "What is 2+2?"


def test_usage_of_the_last_event_that_has_any_wins_whole(settings, tmp_path) -> None:
    create = {**CREATE, "usage": {"input": 10, "output": 5, "inputCost": 0.1, "outputCost": 0.2}}
    update = {"id": "gen-1", "usageDetails": {"input": 3}}
    _, [row], _ = ingest(
        settings,
        tmp_path,
        [event("generation-create", create), event("generation-update", update, ts=T1)],
    )
    assert (row["input_tokens"], row["output_tokens"]) == (3, None)
    assert row["reported_cost_usd"] == pytest.approx(0.3)  # input + output cost, from the create


@pytest.mark.parametrize(
    ("details", "want"),
    [
        # OpenAI Chat Completions usage as usage_details (the v2 openai integration): the server
        # makes input = prompt - details and adds input_cached_tokens ...; summed back: prompt
        (
            {
                "prompt_tokens": 100,
                "completion_tokens": 20,
                "total_tokens": 120,
                "prompt_tokens_details": {"cached_tokens": 40, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 5},
            },
            {"input": 100, "output": 20, "cached": 40, "reasoning": 5, "audio_in": 0},
        ),
        # OpenAI Responses usage
        (
            {
                "input_tokens": 50,
                "output_tokens": 30,
                "total_tokens": 80,
                "input_tokens_details": {"cached_tokens": 10},
                "output_tokens_details": {"reasoning_tokens": 20},
            },
            {"input": 50, "output": 30, "cached": 10, "reasoning": 20},
        ),
        # Anthropic-named buckets (exclusive input): reduceUsageOrCostDetails' own test numbers
        (
            {
                "input": 2,
                "output": 13,
                "cache_read_input_tokens": 10692,
                "cache_creation_input_tokens": 592,
                "total": 11299,
            },
            {"input": 11286, "output": 13, "cached": 10692, "cache_write": 592},
        ),
        # Langfuse's own bucket names (OTel ingestion, SDK integrations)
        (
            {
                "input": 100,
                "input_cached_tokens": 80,
                "input_cache_creation": 5,
                "audio_input_tokens": 20,
                "output": 50,
                "output_reasoning_tokens": 30,
            },
            {"input": 205, "output": 80, "cached": 80, "cache_write": 5, "reasoning": 30},
        ),
        # priority-tier keys are not buckets (the SDK does not subtract them)
        ({"input": 100, "output": 10, "input_priority": 100}, {"input": 100, "output": 10}),
        # string counts are read as Langfuse reads them; other values dropped
        ({"input": "7", "output": 2, "x": "abc"}, {"input": 7, "output": 2}),
    ],
)
def test_tokens_by_kind(settings, tmp_path, details: dict, want: dict) -> None:
    body = {**CREATE, "usageDetails": details}
    _, [row], _ = ingest(settings, tmp_path, [event("generation-create", body)])
    names = {
        "input": "input_tokens",
        "output": "output_tokens",
        "cached": "cached_tokens",
        "cache_write": "cache_write_tokens",
        "reasoning": "reasoning_tokens",
        "audio_in": "audio_input_tokens",
    }
    assert {k: row[names[k]] for k in want} == want


def test_negative_counts_are_dropped_as_langfuse_does(settings, tmp_path) -> None:
    # IngestionService "should merge observations and set negative tokens and cost to null"
    update = {"id": "gen-1", "usage": {"input": 4, "output": -7, "total": -3, "unit": "TOKENS"}}
    result, [row], _ = ingest(
        settings,
        tmp_path,
        [event("generation-create", CREATE), event("generation-update", update, ts=T1)],
    )
    assert (result.accepted, result.quarantined) == (1, 0)
    assert (row["input_tokens"], row["output_tokens"]) == (4, None)


def test_provided_costs(settings, tmp_path) -> None:
    bodies = [
        {**CREATE, "id": "a", "costDetails": {"input": 1.0, "output": 2.0}},
        {**CREATE, "id": "b", "usage": {"totalCost": 0.5}},
        {**CREATE, "id": "c", "costDetails": {"total": 0.25, "input": 0.2}},
    ]
    _, rows, _ = ingest(settings, tmp_path, [event("generation-create", b) for b in bodies])
    assert [r["reported_cost_usd"] for r in rows] == [3.0, 0.5, 0.25]


def test_other_event_types_are_skipped_not_quarantined(settings, tmp_path) -> None:
    events = [
        event("trace-create", TRACE),
        event("span-create", {"id": "s", "traceId": "trace-1", "startTime": T0}),
        event("span-update", {"id": "s", "endTime": T1}),
        event("event-create", {"id": "e", "traceId": "trace-1", "startTime": T0}),
        event("agent-create", {"id": "ag", "startTime": T0, "model": "gpt-4o", "usage": {}}),
        event("score-create", {"id": "sc", "name": "quality", "value": 1, "traceId": "trace-1"}),
        event("sdk-log", {"log": "flushed"}),
        event("generation-create", CREATE),
    ]
    result, rows, bad = ingest(settings, tmp_path, {"batch": events})
    assert (result.accepted, result.quarantined, bad) == (1, 0, [])
    assert rows[0]["call_id"] == "gen-1"


def test_events_langfuse_rejects_are_quarantined_naming_the_field(settings, tmp_path) -> None:
    events = [
        "not an event",
        event("generation-create", CREATE),
        event("generation-upsert", {"id": "x"}),
        event("generation-create", {"startTime": T0, "model": "gpt-4o"}),
        event("generation-update", {"id": "gen-1", "level": "FATAL"}, ts=T1),
        event("generation-create", {"id": "y", "startTime": "yesterday", "model": "gpt-4o"}),
        event("generation-create", {"id": "z", "startTime": T0, "model": "m", "promptName": "p"}),
    ]
    result, rows, bad = ingest(settings, tmp_path, {"batch": events})
    assert (result.accepted, result.quarantined) == (1, 6)
    assert rows[0]["status"] == "success"  # the refused update does not reach its create
    raws = {line: json.loads(raw) for line, _, raw in bad}
    reasons = {line: r.get("_invalid") if isinstance(r, dict) else r for line, r in raws.items()}
    assert reasons == {
        1: "not an event",  # kept as it was
        3: "field type: unknown event type (generation-upsert)",
        4: "field body.id: missing",
        5: "field body.level: not one of DEBUG, DEFAULT, WARNING, ERROR (FATAL)",
        6: "field body.startTime: not a timestamp (yesterday)",
        7: "field body.promptName: promptName and promptVersion go together",
    }
    assert bad[0][1] == "record is not a JSON object"


def test_update_whose_create_is_elsewhere_is_a_partial_call(settings, tmp_path) -> None:
    update = {**UPDATE, "model": "gpt-4o-mini"}
    _, [row], _ = ingest(settings, tmp_path, [event("generation-update", update, ts=T2)])
    # Langfuse: start_time = body.startTime ?? the event's timestamp
    assert row["started_at"] == dt.datetime(2025, 3, 1, 10, 0, 2, tzinfo=dt.UTC)
    assert (row["input_tokens"], row["output_text"], row["status"]) == (12, "4", "error")


def test_bare_end_event_alone_has_no_model_and_is_quarantined(settings, tmp_path) -> None:
    end = {"id": "gen-1", "traceId": "trace-1", "endTime": T2}  # generation.end() with no args
    result, _, bad = ingest(settings, tmp_path, {"batch": [event("generation-update", end, T2)]})
    assert (result.accepted, result.quarantined) == (0, 1)
    assert bad[0][1] == "missing field model"


def test_jsonl_of_batches_merges_within_each_line(settings, tmp_path) -> None:
    lines = [
        json.dumps(
            {"batch": [event("generation-create", CREATE), event("generation-update", UPDATE, T2)]}
        ),
        json.dumps({"batch": [event("generation-create", {**CREATE, "id": "gen-2"})]}),
    ]
    result, rows, _ = ingest(settings, tmp_path, "\n".join(lines) + "\n", "batches.jsonl")
    assert (result.format, result.accepted) == ("langfuse", 2)
    assert [(r["call_id"], r["source_line"], r["input_tokens"]) for r in rows] == [
        ("gen-1", 1, 12),
        ("gen-2", 2, None),
    ]


# --- exports ------------------------------------------------------------------------------

# GET /api/public/traces/{traceId}: TraceWithFullDetails with ObservationsView (commons.yml)
OBSERVATION_VIEW = {
    "id": "obs-1",
    "traceId": "trace-9",
    "type": "GENERATION",
    "name": "chat",
    "startTime": "2025-04-01T12:00:00.000Z",
    "endTime": "2025-04-01T12:00:01.500Z",
    "completionStartTime": "2025-04-01T12:00:00.400Z",
    "model": "gpt-4o",
    "modelParameters": {"temperature": 0},
    "input": {"messages": [{"role": "user", "content": "Hi there"}]},
    "version": None,
    "metadata": {},
    "output": "Hello!",
    "usage": {"input": 120, "output": 30, "total": 150, "unit": "TOKENS"},
    "level": "DEFAULT",
    "statusMessage": None,
    "parentObservationId": None,
    "promptId": "pr-1",
    "usageDetails": {"input": 20, "input_cached_tokens": 100, "output": 30, "total": 150},
    "costDetails": {
        "input": 0.0001,
        "input_cached_tokens": 0.0001,
        "output": 0.0003,
        "total": 0.0005,
    },
    "environment": "default",
    "promptName": "greeter",
    "promptVersion": 2,
    "modelId": "m-1",
    "inputPrice": 2.5e-06,
    "outputPrice": 1e-05,
    "totalPrice": None,
    "calculatedInputCost": 0.0002,
    "calculatedOutputCost": 0.0003,
    "calculatedTotalCost": 0.0005,
    "latency": 1.5,
    "timeToFirstToken": 0.4,
}
SPAN_VIEW = {**OBSERVATION_VIEW, "id": "span-1", "type": "SPAN", "model": None}
TRACE_FULL = {
    "id": "trace-9",
    "timestamp": "2025-04-01T12:00:00.000Z",
    "name": "greeting",
    "input": None,
    "output": None,
    "sessionId": None,
    "release": None,
    "version": None,
    "userId": "user-9",
    "metadata": {},
    "tags": [],
    "public": False,
    "environment": "default",
    "htmlPath": "/project/p/traces/trace-9",
    "latency": 1.5,
    "totalCost": 0.0005,
    "observations": [SPAN_VIEW, OBSERVATION_VIEW],
    "scores": [],
}


def check_view_row(row: dict) -> None:
    assert (row["call_id"], row["trace_id"], row["source_line"]) == ("obs-1", "trace-9", 2)
    assert (row["input_tokens"], row["cached_tokens"], row["output_tokens"]) == (120, 100, 30)
    assert row["reported_cost_usd"] == pytest.approx(0.0005)
    assert (row["latency_ms"], row["ttft_ms"]) == (pytest.approx(1500.0), pytest.approx(400.0))
    assert (row["prompt_name"], row["prompt_version"]) == ("greeter", "2")
    assert (row["input_text"], row["output_text"]) == ("Hi there", "Hello!")


def test_trace_api_response(settings, tmp_path) -> None:
    result, [row], _ = ingest(settings, tmp_path, TRACE_FULL)
    assert (result.format, result.accepted, result.quarantined) == ("langfuse", 1, 0)
    check_view_row(row)
    assert (row["feature"], row["user_hash"] is not None) == ("greeting", True)


def test_trace_list_and_observation_list(settings, tmp_path) -> None:
    meta = {"page": 1, "limit": 50, "totalItems": 1, "totalPages": 1}
    _, [row], _ = ingest(settings, tmp_path, {"data": [TRACE_FULL], "meta": meta})
    check_view_row(row)
    _, [row], _ = ingest(
        settings, tmp_path, {"data": [SPAN_VIEW, OBSERVATION_VIEW], "meta": meta}, "obs.json"
    )
    check_view_row(row)
    # GET /api/public/traces without fields=observations lists observation ids only: no calls
    listed = {**TRACE_FULL, "observations": ["span-1", "obs-1"]}
    result, _, bad = ingest(settings, tmp_path, {"data": [listed], "meta": meta}, "ids.json")
    assert (result.accepted, result.quarantined, bad) == (0, 0, [])


def test_v2_observations_response_from_the_sdk_models(settings, tmp_path) -> None:
    from langfuse.api.commons.types.observation_v2 import ObservationV2
    from langfuse.api.observations.types.observations_v2meta import ObservationsV2Meta
    from langfuse.api.observations.types.observations_v2response import ObservationsV2Response

    when = dt.datetime(2025, 4, 1, 12, tzinfo=dt.UTC)
    obs = ObservationV2(
        id="obs-2",
        trace_id="trace-2",
        start_time=when,
        end_time=when + dt.timedelta(seconds=2),
        project_id="p",
        type="GENERATION",
        level="ERROR",
        status_message="RateLimitError: slow down",
        user_id="user-2",
        trace_name="support-chat",
        model="gpt-4o",
        usage_details={"input": 5, "output": 0, "total": 5},
        cost_details={"total": 0.00001},
        total_cost=0.00001,
        latency=2.0,
        input="hello",
    )
    doc = ObservationsV2Response(data=[obs], meta=ObservationsV2Meta(cursor=None)).json()
    _, [row], _ = ingest(settings, tmp_path, doc)
    assert (row["call_id"], row["trace_id"], row["feature"]) == ("obs-2", "trace-2", "support-chat")
    assert (row["status"], row["error_type"]) == ("error", "RateLimitError: slow down")
    assert (row["input_tokens"], row["output_tokens"], row["input_text"]) == (5, 0, "hello")
    assert row["reported_cost_usd"] == pytest.approx(0.00001)
    assert row["latency_ms"] == pytest.approx(2000.0)
    assert row["user_hash"] is not None


def test_trace_download_observations_and_scores(settings, tmp_path) -> None:
    # buildTraceExport: {observations, scores}; each observation has userId and traceName
    obs = {
        k: OBSERVATION_VIEW[k]
        for k in ("id", "traceId", "startTime", "endTime", "type", "model", "level")
    } | {
        "userId": "user-3",
        "traceName": "greeting",
        "usageDetails": {"input": 10, "output": 2, "total": 12},
        "costDetails": {"total": 0.001},
        "providedUsageDetails": {"input": 10, "output": 2},
        "latency": 1.5,
        "input": '[{"role":"user","content":"Hi there"}]',  # JSON text, as downloaded
        "output": '"Hello!"',
        "metadata": '{"feature":"greet-v2"}',
    }
    _, [row], _ = ingest(settings, tmp_path, {"observations": [obs], "scores": []})
    assert (row["input_tokens"], row["feature"]) == (10, "greet-v2")
    assert (row["input_text"], row["output_text"]) == ("Hi there", "Hello!")


BLOB_ROW = {  # blob-storage export of the observations table (LEGACY_OBSERVATION_EXPORT_FIELDS)
    "id": "obs-5",
    "trace_id": "trace-5",
    "project_id": "p",
    "environment": "default",
    "type": "GENERATION",
    "parent_observation_id": None,
    "start_time": "2025-04-01 12:00:00.000",
    "end_time": "2025-04-01 12:00:00.750",
    "name": "chat",
    "metadata": {},
    "level": "DEFAULT",
    "status_message": None,
    "input": '[{"role":"user","content":"ping"}]',
    "output": "pong",
    "provided_model_name": "gpt-4o-mini",
    "usage_details": {"input": "90", "input_cached_tokens": "10", "output": "5", "total": "105"},
    "cost_details": {"total": 0.00002},
    "completion_start_time": None,
    "prompt_name": None,
    "prompt_version": None,
    "total_cost": 0.00002,
    "latency": 0.75,
    "time_to_first_token": None,
}


def test_blob_storage_export_rows(settings, tmp_path) -> None:
    span = {**BLOB_ROW, "id": "span-5", "type": "SPAN", "provided_model_name": None}
    _, [row], _ = ingest(settings, tmp_path, [span, BLOB_ROW])
    assert (row["call_id"], row["trace_id"], row["requested_model"]) == (
        "obs-5",
        "trace-5",
        "gpt-4o-mini",
    )
    assert (row["input_tokens"], row["cached_tokens"], row["output_tokens"]) == (100, 10, 5)
    assert row["latency_ms"] == pytest.approx(750.0)
    assert (row["input_text"], row["output_text"]) == ("ping", "pong")
    # JSONL (one row a line) reaches the mapping row by row
    result, [row], _ = ingest(settings, tmp_path, json.dumps(BLOB_ROW) + "\n", "rows.jsonl")
    assert (result.format, row["input_tokens"], row["reported_cost_usd"]) == (
        "langfuse",
        100,
        pytest.approx(0.00002),
    )


def test_single_observation_or_event_documents() -> None:
    # one record a document, as a JSONL line unwrapped by readers.records_from_document would be
    [(line, rec)] = langfuse.documents(BLOB_ROW)
    assert (line, rec["_input_text"], rec["_output_text"]) == (1, "ping", "pong")
    assert langfuse.documents({**BLOB_ROW, "type": "SPAN"}) == []
    [(line, rec)] = langfuse.documents(event("generation-create", CREATE))
    assert (line, rec["_input_text"]) == (1, "What is 2+2?")


def test_documents_claims_only_langfuse_shapes() -> None:
    assert langfuse.documents({"data": [{"request_id": "r1", "model": "gpt-4o"}]}) is None
    assert langfuse.documents({"resourceSpans": []}) is None
    assert langfuse.documents([{"foo": 1}]) is None
    assert not langfuse.detects({"foo": 1})
    assert langfuse.detects({"id": "e", "type": "generation-update", "body": {}})
    assert langfuse.detects({"id": "o", "type": "GENERATION", "startTime": T0, "traceId": "t"})


# --- texts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("plain", "plain"),
        ('"encoded"', "encoded"),
        ({"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]}, "U"),
        ([{"role": "user", "content": [{"type": "text", "text": "part"}]}], "part"),
        (
            [
                {"role": "user", "content": "first"},
                {"role": "assistant", "content": "a"},
                {"role": "tool", "content": "tool result"},
                {"role": "user", "content": "second"},
                {"role": "tool", "content": "later tool result"},
            ],
            "second",
        ),
        ({"role": "user", "content": "single"}, "single"),
        ({"prompt": "vercel prompt"}, "vercel prompt"),
        ({"model": "gemini-2.5-flash", "contents": "gemini"}, "gemini"),
        ({"args": ["llamaindex"]}, "llamaindex"),
        ({"key": "value"}, '{"key": "value"}'),
    ],
)
def test_input_text(value: Any, want: str) -> None:
    assert langfuse.input_text(value) == want


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ([{"role": "system", "content": "S1"}, {"role": "user", "content": "U"}], "S1"),
        ({"system": "anthropic system", "messages": []}, "anthropic system"),
        ([{"role": "developer", "content": "dev"}], "dev"),
        ([{"role": "user", "content": "U"}], None),
        ("just text", None),
    ],
)
def test_system_text(value: Any, want: str | None) -> None:
    assert langfuse.system_text(value) == want


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("text", "text"),
        ({"role": "assistant", "content": "msg"}, "msg"),
        ({"content": [{"type": "text", "text": "anthropic"}], "role": "assistant"}, "anthropic"),
        ({"choices": [{"message": {"role": "assistant", "content": "chat"}}]}, "chat"),
        (
            {"output": [{"type": "message", "content": [{"type": "output_text", "text": "resp"}]}]},
            "resp",
        ),
        ({"candidates": [{"content": {"parts": [{"text": "gem"}], "role": "model"}}]}, "gem"),
        ([{"role": "user", "content": "q"}, {"role": "assistant", "content": "last"}], "last"),
        (
            {"role": "assistant", "content": "", "tool_calls": [{"id": "c1"}]},
            '[{"id": "c1"}]',
        ),
    ],
)
def test_output_text(value: Any, want: str) -> None:
    assert langfuse.output_text(value) == want
