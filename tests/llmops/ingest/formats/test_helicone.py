"""Helicone rows: detection, Helicone's exclusive token counts, costs, texts, the export CSV.

Field names and conventions are Helicone's own (see src/llmops/ingest/formats/helicone.py for the
files they come from); the genuine rows are in tests/data/conformance/helicone/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from llmops.ingest import ingest_file
from llmops.ingest.detect import record_format
from llmops.ingest.formats import helicone
from llmops.ingest.normalize import build_query
from llmops.ingest.readers import CHUNK_SCHEMA
from tests.builders.conformance import calls_in_file_order
from tests.builders.paths import DATA

CONFORMANCE = DATA / "conformance" / "helicone"
CSV_FIELDS = [  # examples/export/typescript/index.ts writeCSVHeader
    "response_id",
    "response_created_at",
    "response_status",
    "request_created_at",
    "request_body",
    "request_properties",
    "request_user_id",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "latency",
    "cost",
]


def export_csv_row(item: dict[str, Any]) -> str:
    """The export tool's convertToCSVRow, step for step: objects are JSON.stringify'd with their
    quotes doubled, then every value is quoted with its quotes doubled (again)."""
    cells = []
    for field in CSV_FIELDS:
        value = item.get(field)
        if isinstance(value, dict | list):
            value = json.dumps(value, separators=(",", ":")).replace('"', '""')
        if value is None:
            cells.append("")
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        cells.append('"' + text.replace('"', '""') + '"')
    return ",".join(cells)


def _row(**fields: Any) -> dict[str, Any]:
    base = {
        "request_id": "req-1",
        "response_id": "resp-1",
        "request_created_at": "2025-06-01T10:00:00.000Z",
        "response_created_at": "2025-06-01T10:00:02.500Z",
        "response_status": 200,
        "provider": "OPENAI",
        "request_model": "gpt-4o-mini",
        "response_model": "gpt-4o-mini-2024-07-18",
        "delay_ms": 2500,
        "time_to_first_token": 0,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "prompt_cache_read_tokens": 0,
        "prompt_cache_write_tokens": 0,
        "request_user_id": None,
        "request_properties": {},
    }
    base.update(fields)
    return base


def _raw(records: list[Any]) -> list[dict[str, Any]]:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    chunk = pa.table(
        {
            "rec_no": pa.array(range(1, len(lines) + 1), pa.int64()),
            "line": pa.array(lines, pa.large_string()),
        },
        schema=CHUNK_SCHEMA,
    )
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("chunk", chunk)
    rows = con.sql(build_query("helicone")).to_arrow_table().to_pylist()
    con.close()
    return sorted(rows, key=lambda r: r["rec_no"])


def _calls(settings) -> list[dict[str, Any]]:
    return calls_in_file_order(settings.lake_dir)


# --- detection ------------------------------------------------------------------------------


def test_detects_every_helicone_row_shape_and_nothing_else() -> None:
    api = json.loads(
        (CONFORMANCE / "jawn-request-controller-rows.jsonl").read_text().splitlines()[0]
    )
    rmt = json.loads(
        (CONFORMANCE / "clickhouse-request-response-rmt.jsonl").read_text().splitlines()[0]
    )
    csv_row = dict.fromkeys(CSV_FIELDS, "")  # the export CSV: no request_id column
    for rec in (api, rmt, csv_row):
        assert helicone.detects(rec)
        assert record_format(rec) == "helicone"
    others = [
        {"id": "x", "custom_llm_provider": "openai", "startTime": 1, "model": "m"},  # litellm
        {"id": "b", "custom_id": "c", "response": None, "error": None},  # openai batch
        {"call_id": "g", "started_at": "t", "requested_model": "m"},  # generic
        {"request_id": "r", "model": "m", "prompt_tokens": 1},  # generic too: no Helicone times
    ]
    assert not any(helicone.detects(r) for r in others)


def test_documents_unwraps_the_api_response() -> None:
    rows = [
        json.loads(x)
        for x in (CONFORMANCE / "jawn-request-controller-rows.jsonl").read_text().splitlines()
    ]
    assert helicone.documents({"data": rows, "error": None}) == list(enumerate(rows, start=1))
    assert helicone.documents({"data": [{"x": 1}], "error": None}) is None
    assert helicone.documents({"data": [], "error": None}) is None
    assert helicone.documents(rows) is None


# --- tokens ---------------------------------------------------------------------------------


def test_anthropic_row_adds_cache_reads_and_writes_back_to_prompt_tokens() -> None:
    # AnthropicBodyProcessor / usage processor: prompt_tokens = usage.input_tokens, which
    # excludes cache_read_input_tokens and cache_creation_input_tokens
    [r] = _raw(
        [
            _row(
                provider="ANTHROPIC",
                request_model="claude-sonnet-4-20250514",
                prompt_tokens=12,
                prompt_cache_read_tokens=1800,
                prompt_cache_write_tokens=300,
                completion_tokens=40,
                request_body={
                    "model": "claude-sonnet-4-20250514",
                    "system": [{"type": "text", "text": "You are terse."}],
                    "messages": [{"role": "user", "content": "Summarise the ticket."}],
                },
                response_body={
                    "type": "message",
                    "model": "claude-sonnet-4-20250514",
                    "content": [{"type": "text", "text": "Refund issued."}],
                },
            )
        ]
    )
    assert r["r_provider"] == "ANTHROPIC"  # as logged; provider names are resolved later
    assert (r["r_input_tokens"], r["r_cached_tokens"], r["r_cache_write_tokens"]) == (
        "2112",
        "1800",
        "300",
    )
    assert r["r_output_tokens"] == "40"
    assert r["r_input_text"] == "Summarise the ticket."
    assert r["r_system_text"] == "You are terse."
    assert r["r_output_text"] == "Refund issued."


def test_openai_row_reasoning_and_audio_tokens() -> None:
    # OpenAIUsageProcessor: input = prompt - cached - audio, output = completion - audio - reasoning;
    # getPromptTokens/getCompletionTokens add the audio back, reasoning stays apart
    [r] = _raw(
        [
            _row(
                prompt_tokens=70,  # 100 prompt tokens, 30 of them cached
                prompt_cache_read_tokens=30,
                prompt_audio_tokens=20,
                completion_tokens=50,  # 450 completion tokens, 400 of them reasoning
                reasoning_tokens=400,
                completion_audio_tokens=0,
            )
        ]
    )
    assert (r["r_input_tokens"], r["r_cached_tokens"], r["r_audio_input_tokens"]) == (
        "100",
        "30",
        "20",
    )
    assert (r["r_output_tokens"], r["r_reasoning_tokens"]) == ("450", "400")


def test_missing_token_counts_stay_unknown() -> None:
    [r] = _raw([_row(prompt_tokens=None, completion_tokens=None)])
    assert (r["r_input_tokens"], r["r_output_tokens"]) == (None, None)


# --- times, status, cost --------------------------------------------------------------------


def test_time_to_first_token_and_zero_means_not_measured(settings, tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    rows = [
        _row(request_id="a", time_to_first_token=320),
        _row(request_id="b", delay_ms=0, time_to_first_token=0),
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = ingest_file(path, settings)
    assert (result.format, result.accepted) == ("helicone", 2)
    a, b = _calls(settings)
    assert (a["ttft_ms"], a["latency_ms"]) == (320.0, 2500.0)
    assert (b["ttft_ms"], b["latency_ms"]) == (None, 2500.0)  # from the two timestamps


@pytest.mark.parametrize(
    ("fields", "cost"),
    [
        ({"costUSD": 0.0123, "cost": 12_300_000}, 0.0123),  # costUSD wins
        ({"cost": 0.000021}, 0.000021),  # the API: dollars
        ({"cost": 19950}, 1.995e-05),  # integer nano-dollars as ClickHouse keeps them
        ({"cost": "19950"}, 1.995e-05),  # the same from a CSV cell
        ({"cost": 0}, 0.0),
        ({}, None),
    ],
)
def test_reported_cost(fields: dict[str, Any], cost: float | None) -> None:
    [r] = _raw([_row(**fields)])
    got = r["r_reported_cost_usd"]
    assert (None if got is None else pytest.approx(float(got))) == (None if cost is None else cost)


def test_raw_table_integer_cost_is_nano_dollars() -> None:
    rmt = {
        "request_id": "r",
        "request_created_at": "2024-01-01 10:00:00",
        "response_created_at": "2024-01-01 10:00:01",
        "latency": 1000,
        "status": 200,
        "model": "gpt-4o",
        "prompt_tokens": 1,
        "completion_tokens": 1,
        "cost": 12,
    }
    [r] = _raw([rmt])
    assert float(r["r_reported_cost_usd"]) == pytest.approx(1.2e-08)


def test_error_status_and_body_error() -> None:
    a, b, c = _raw(
        [
            _row(response_status=429),
            _row(
                response_status=200,
                response_body={"type": "error", "error": {"type": "overloaded_error"}},
            ),
            _row(
                response_status=500,
                response_body={"error": {"message": "x", "code": "server_error"}},
            ),
        ]
    )
    assert (a["r_status"], a["r_error_type"]) == ("error", "http_429")
    assert (b["r_status"], b["r_error_type"]) == ("error", "overloaded_error")
    assert (c["r_status"], c["r_error_type"]) == ("error", "server_error")


# --- properties, users, texts ---------------------------------------------------------------


def test_custom_properties_session_and_user() -> None:
    a, b, c = _raw(
        [
            _row(
                request_user_id="alice",
                request_properties={
                    "prompt_name": "triage",
                    "prompt_version": "7",
                    "feature": "support",
                    "team": "cx",
                    "Helicone-Session-Id": "sess-1",
                },
            ),
            # header Helicone-Property-Prompt-Version arriving lower-cased, in `properties`
            _row(request_properties=None, properties={"prompt-version": "8", "Feature": "email"}),
            _row(request_user_id="undefined", prompt_id="faq-bot", prompt_version="v-uuid"),
        ]
    )
    assert (a["r_prompt_name"], a["r_prompt_version"], a["r_feature"], a["r_team"]) == (
        "triage",
        "7",
        "support",
        "cx",
    )
    assert (a["r_trace_id"], a["r_user_id"]) == ("sess-1", "alice")
    assert (b["r_prompt_version"], b["r_feature"], b["r_trace_id"]) == ("8", "email", "req-1")
    assert (c["r_user_id"], c["r_prompt_name"], c["r_prompt_version"]) == (
        None,
        "faq-bot",
        "v-uuid",
    )


def test_bodies_as_objects_encoded_strings_and_preview_text() -> None:
    chat = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are a support bot."},
            {"role": "user", "content": "Where is my order?"},
        ],
    }
    answer = {"choices": [{"message": {"role": "assistant", "content": "It ships today."}}]}
    a, b, c, d = _raw(
        [
            _row(request_body=chat, response_body=answer),
            _row(request_body=json.dumps(chat), response_body=json.dumps(answer)),
            _row(request_body="Where is my order?user", response_body="It ships today.assistant"),
            _row(
                request_body={"helicone_message": "fetching body from signed_url... contact ..."},
                response_body={"helicone_message": "fetching body from signed_url..."},
            ),
        ]
    )
    for r in (a, b):
        assert (r["r_input_text"], r["r_system_text"], r["r_output_text"]) == (
            "Where is my order?",
            "You are a support bot.",
            "It ships today.",
        )
    assert (c["r_input_text"], c["r_output_text"]) == (
        "Where is my order?user",
        "It ships today.assistant",
    )
    assert (d["r_input_text"], d["r_output_text"]) == (None, None)  # the body was not fetched


def test_model_falls_back_past_unknown() -> None:
    a, b = _raw(
        [
            _row(
                request_model=None,
                model="unknown",
                response_model=None,
                response_body={"modelVersion": "gemini-2.0-flash"},
            ),
            _row(request_model=None, request_body={"model": "gpt-4.1"}, model="gpt-4.1-2025-04-14"),
        ]
    )
    assert a["r_requested_model"] == "gemini-2.0-flash"
    assert (b["r_requested_model"], b["r_served_model"]) == ("gpt-4.1", "gpt-4o-mini-2024-07-18")


# --- the export tool's CSV ------------------------------------------------------------------


def test_export_csv_with_bodies_and_properties_is_read_through_its_doubled_quotes(
    settings, tmp_path: Path
) -> None:
    row = {
        "response_id": "resp-9",
        "response_created_at": "2025-06-01 10:00:01.200",
        "response_status": 200,
        "request_created_at": "2025-06-01 10:00:00.000",
        "request_body": {
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": 'Say "hi" politely.'},
                {"role": "user", "content": 'My name is "Bob".'},
            ],
        },
        "request_properties": {"feature": "greeter", "team": "growth"},
        "request_user_id": "bob@example.com",
        "model": "gpt-4o-mini",
        "prompt_tokens": 21,
        "completion_tokens": 4,
        "cost": 0.0000055,
    }
    path = tmp_path / "output.csv"
    path.write_text(",".join(CSV_FIELDS) + "\n" + export_csv_row(row) + "\n")
    assert '""""model""""' in path.read_text()  # the tool's doubled doubling
    result = ingest_file(path, settings)
    assert (result.format, result.accepted, result.quarantined) == ("helicone", 1, 0)
    [call] = _calls(settings)
    assert call["call_id"] == "resp-9"
    assert (call["input_text"], call["system_text"]) == ('My name is "Bob".', 'Say "hi" politely.')
    assert (call["feature"], call["team"]) == ("greeter", "growth")
    assert call["user_hash"] is not None
    assert (call["input_tokens"], call["output_tokens"]) == (21, 4)
    assert call["latency_ms"] == pytest.approx(1200.0)
    assert call["reported_cost_usd"] == pytest.approx(0.0000055)
