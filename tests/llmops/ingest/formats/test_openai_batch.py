"""OpenAI Batch output: detection, the input-file join, and the mapping of each endpoint kind.

Line shapes follow OpenAI's spec (openai/openai-openapi `BatchRequestInput` / `BatchRequestOutput`);
the genuine files are in tests/data/conformance/openai-batch/.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from llmops.core.errors import IngestError
from llmops.ingest import ingest_file
from llmops.ingest.detect import record_format
from llmops.ingest.formats import openai_batch
from llmops.ingest.normalize import build_query
from llmops.ingest.readers import CHUNK_SCHEMA, read_jsonl
from tests.builders.conformance import calls_in_file_order
from tests.builders.paths import DATA

SPEC = DATA / "conformance" / "openai-batch" / "spec-example"
JOIN = DATA / "conformance" / "openai-batch" / "litellm-join"


def _chunk(lines: list[str], first: int = 1) -> pa.Table:
    return pa.table(
        {
            "rec_no": pa.array(range(first, first + len(lines)), pa.int64()),
            "line": pa.array(lines, pa.large_string()),
        },
        schema=CHUNK_SCHEMA,
    )


def _raw(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The raw (pre-typing) fields the mapping gives each record, accepted or not."""
    con = duckdb.connect()
    con.register("chunk", _chunk([json.dumps(r) for r in records]))
    rows = con.sql(build_query("openai-batch")).to_arrow_table().to_pylist()
    con.close()
    return sorted(rows, key=lambda r: r["rec_no"])


def _line(body: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    rec = {"id": "batch_req_1", "custom_id": "c-1", "error": None}
    rec["response"] = (
        None if body is None else {"status_code": 200, "request_id": "r", "body": body}
    )
    rec.update(extra)
    return rec


def _calls(settings) -> list[dict[str, Any]]:
    return calls_in_file_order(settings.lake_dir)


# --- detection ------------------------------------------------------------------------------


def test_spec_output_line_is_detected_and_input_line_is_not() -> None:
    out = json.loads((SPEC / "openapi-request-output.jsonl").read_text())
    inp = json.loads((SPEC / "openapi-request-input.jsonl").read_text())
    assert openai_batch.detects(out) and record_format(out) == "openai-batch"
    assert not openai_batch.is_input_record(out)
    assert openai_batch.is_input_record(inp) and not openai_batch.detects(inp)
    # an error-file line has no response at all
    assert openai_batch.detects({"id": "b", "custom_id": "x", "response": None, "error": {}})
    assert not openai_batch.detects({"custom_id": "x", "response": "not an object"})
    assert not openai_batch.is_input_record([inp])


# --- load_inputs ----------------------------------------------------------------------------


def test_load_inputs_keeps_each_body_by_custom_id() -> None:
    inputs = openai_batch.load_inputs(JOIN / "litellm-batch-input.jsonl")
    assert sorted(inputs) == ["request-1", "request-2"]
    assert inputs["request-2"]["messages"][0]["content"] == "You are an unhelpful assistant."
    assert "method" not in inputs["request-1"]  # the body only


def test_load_inputs_reads_gzip(tmp_path: Path) -> None:
    path = tmp_path / "input.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write((SPEC / "openapi-request-input.jsonl").read_text())
    assert openai_batch.load_inputs(path)["request-1"]["model"] == "gpt-4o-mini"


@pytest.mark.parametrize(
    ("second_line", "message"),
    [
        ('{"custom_id": "b", "method": "POST"', "line 2: invalid JSON"),
        (
            '{"custom_id": "b", "body": {}}',
            "line 2: not a Batch API input line (missing method, url)",
        ),
        (
            '{"custom_id": "b", "method": "POST", "url": "/v1/x", "body": "hi"}',
            "line 2: field body",
        ),
        (
            '{"custom_id": "", "method": "POST", "url": "/v1/x", "body": {}}',
            "line 2: field custom_id",
        ),
        ('{"custom_id": "a", "method": "POST", "url": "/v1/x", "body": {}}', "duplicate 'a'"),
        ("[1, 2]", "line 2: not a Batch API input line"),
    ],
)
def test_load_inputs_names_file_and_line_of_a_bad_line(
    tmp_path: Path, second_line: str, message: str
) -> None:
    path = tmp_path / "input.jsonl"
    first = '{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}}'
    path.write_text(first + "\n\n" + second_line + "\n")
    with pytest.raises(IngestError) as err:
        openai_batch.load_inputs(path)
    text = str(err.value)
    assert str(path) in text
    assert message.replace("line 2", "line 3") in text  # the blank line 2 is counted


def test_load_inputs_of_a_missing_file_is_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="cannot read"):
        openai_batch.load_inputs(tmp_path / "nope.jsonl")


# --- with_inputs ----------------------------------------------------------------------------


def test_with_inputs_attaches_the_body_and_keeps_everything_else() -> None:
    inputs = {"c-1": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}}
    lines = [
        json.dumps(_line({"id": "chatcmpl-1", "created": 1})),
        "{not json",
        json.dumps(_line({"id": "chatcmpl-2"}, custom_id="other")),
        "[1, 2]",
        "\n",
    ]
    chunk = _chunk(lines, first=7)
    out = openai_batch.with_inputs(chunk, inputs)
    assert out.schema == CHUNK_SCHEMA
    assert out["rec_no"].to_pylist() == [7, 8, 9, 10, 11]
    joined = out["line"].to_pylist()
    assert json.loads(joined[0])["_input"] == inputs["c-1"]
    assert joined[1:] == lines[1:]  # unparseable, unmatched, non-object, blank: untouched
    assert openai_batch.with_inputs(chunk, {}) is chunk


def test_with_inputs_over_a_real_chunk(tmp_path: Path) -> None:
    inputs = openai_batch.load_inputs(JOIN / "litellm-batch-input.jsonl")
    [chunk] = read_jsonl(JOIN / "litellm-batch-output.jsonl", 1 << 20)
    out = openai_batch.with_inputs(chunk, inputs)
    assert out["rec_no"].to_pylist() == chunk["rec_no"].to_pylist()
    recs = [json.loads(x) for x in out["line"].to_pylist() if x.strip()]
    assert [r["_input"]["messages"][0]["content"] for r in recs] == [
        "You are a helpful assistant.",
        "You are an unhelpful assistant.",
    ]


# --- mapping --------------------------------------------------------------------------------


def test_chat_output_with_input_maps_texts_tokens_and_batch_tier() -> None:
    body = {
        "id": "chatcmpl-9",
        "object": "chat.completion",
        "created": 1_734_986_202,
        "model": "o3-mini-2025-01-31",
        "service_tier": "default",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."}}],
        "usage": {
            "prompt_tokens": 120,
            "completion_tokens": 300,
            "prompt_tokens_details": {"cached_tokens": 64, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 256, "audio_tokens": 0},
        },
    }
    request = {
        "model": "o3-mini",
        "user": "u-7",
        "messages": [
            {"role": "developer", "content": "Answer tersely."},
            {"role": "user", "content": "Capital of Italy?"},
            {"role": "assistant", "content": "Rome."},
            {"role": "user", "content": [{"type": "text", "text": "And of France?"}]},
        ],
    }
    [r] = _raw([_line(body, _input=request)])
    assert (r["r_call_id"], r["r_trace_id"], r["r_started_at"]) == (
        "chatcmpl-9",
        "c-1",
        "1734986202",
    )
    assert (r["r_requested_model"], r["r_served_model"]) == ("o3-mini", "o3-mini-2025-01-31")
    assert (r["r_input_tokens"], r["r_output_tokens"]) == ("120", "300")
    assert (r["r_cached_tokens"], r["r_reasoning_tokens"]) == ("64", "256")
    assert r["r_service_tier"] == "batch"
    assert (r["r_status"], r["r_error_type"]) == ("success", None)
    assert r["r_input_text"] == "And of France?"  # the newest user turn, its text parts
    assert r["r_system_text"] == "Answer tersely."
    assert r["r_output_text"] == "Paris."
    assert r["r_user_id"] == "u-7"
    assert r["reason"] is None


def test_responses_endpoint_output_with_input() -> None:
    body = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1_765_322_923,
        "status": "completed",
        "model": "gpt-5-mini-2025-08-07",
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Part one."}],
            },
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Two."}],
            },
        ],
        "usage": {
            "input_tokens": 40,
            "input_tokens_details": {"cached_tokens": 8},
            "output_tokens": 90,
            "output_tokens_details": {"reasoning_tokens": 64},
        },
    }
    string_input = {"model": "gpt-5-mini", "instructions": "Be brief.", "input": "What is Go?"}
    list_input = {
        "model": "gpt-5-mini",
        "input": [
            {"role": "system", "content": "Sys."},
            {"role": "user", "content": [{"type": "input_text", "text": "Describe:"}]},
        ],
    }
    a, b = _raw([_line(body, _input=string_input), _line(body, _input=list_input)])
    assert (a["r_call_id"], a["r_started_at"]) == ("resp_1", "1765322923")
    assert (a["r_input_tokens"], a["r_output_tokens"]) == ("40", "90")
    assert (a["r_cached_tokens"], a["r_reasoning_tokens"]) == ("8", "64")
    assert a["r_output_text"] == "Part one.\nTwo."
    assert (a["r_input_text"], a["r_system_text"]) == ("What is Go?", "Be brief.")
    assert (b["r_input_text"], b["r_system_text"]) == ("Describe:", "Sys.")
    assert a["r_requested_model"] == "gpt-5-mini"


def test_failed_responses_body_is_an_error() -> None:
    body = {
        "id": "resp_2",
        "object": "response",
        "created_at": 1,
        "status": "failed",
        "model": "gpt-4.1",
        "error": {"code": "server_error", "message": "boom"},
        "output": [],
    }
    [r] = _raw([_line(body)])
    assert (r["r_status"], r["r_error_type"]) == ("error", "server_error")


def test_completions_and_embeddings_endpoints() -> None:
    completion = {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 5,
        "model": "gpt-3.5-turbo-instruct",
        "choices": [{"text": " world", "index": 0}],
        "usage": {"prompt_tokens": 2, "completion_tokens": 1},
    }
    embedding = {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1]}],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 15, "total_tokens": 15},
    }
    c, e = _raw(
        [
            _line(completion, _input={"model": "gpt-3.5-turbo-instruct", "prompt": "Hello"}),
            _line(embedding, id="batch_req_e", _input={"model": "x", "input": ["a", "b"]}),
        ]
    )
    assert (c["r_output_text"], c["r_input_text"]) == (" world", "Hello")
    assert (c["r_input_tokens"], c["r_output_tokens"]) == ("2", "1")
    # embeddings: no response id (the batch request id), no output, no timestamp
    assert (e["r_call_id"], e["r_input_tokens"], e["r_output_tokens"]) == (
        "batch_req_e",
        "15",
        None,
    )
    assert e["r_input_text"] == "a\nb"
    assert e["r_started_at"] is None
    assert e["reason"] == "missing field response.body.created"


def test_error_lines_are_error_calls_with_their_code() -> None:
    non_http = _line(None, error={"code": "batch_expired", "message": "not executed in time"})
    http = {
        "id": "batch_req_2",
        "custom_id": "c-2",
        "response": {
            "status_code": 400,
            "request_id": "r2",
            "body": {"error": {"message": "bad", "type": "invalid_request_error", "code": None}},
        },
        "error": None,
    }
    http_no_body = {**http, "response": {"status_code": 429, "request_id": "r3", "body": {}}}
    a, b, c = _raw([non_http, http, http_no_body])
    assert (a["r_status"], a["r_error_type"]) == ("error", "batch_expired")
    assert (b["r_status"], b["r_error_type"]) == ("error", "invalid_request_error")
    assert (c["r_status"], c["r_error_type"]) == ("error", "http_429")
    # an error line names no time (nor, without its input, a model): it is quarantined with
    # the fields, not dropped
    assert all(
        r["reason"] == "missing field response.body.model; missing field response.body.created"
        for r in (a, b, c)
    )


def test_ingest_joins_given_input_and_prices_as_batch(settings) -> None:
    result = ingest_file(
        JOIN / "litellm-batch-output.jsonl",
        settings,
        batch_input=JOIN / "litellm-batch-input.jsonl",
    )
    assert (result.format, result.accepted, result.quarantined) == ("openai-batch", 2, 0)
    rows = _calls(settings)
    assert [r["service_tier"] for r in rows] == ["batch", "batch"]
    assert [r["input_text"] for r in rows] == ["Hello world!", "Hello world!"]
    assert [r["requested_model"] for r in rows] == ["gpt-4o-mini", "gpt-4o-mini"]
