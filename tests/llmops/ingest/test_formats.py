"""Each supported log format, in each file encoding, lands in llm_calls with the right fields."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from llmops.ingest import ingest_file
from llmops.lake.warehouse import connect
from tests.builders.paths import DATA


def calls(settings) -> list[dict]:
    con = connect(settings.lake_dir)
    try:
        return con.sql("SELECT * FROM llm_calls ORDER BY call_id").pl().to_dicts()
    finally:
        con.close()


def test_litellm_sample(settings) -> None:
    result = ingest_file(DATA / "logs" / "litellm-standard-logging-payload.json", settings)
    assert (result.format, result.accepted, result.quarantined) == ("litellm", 1, 0)
    [row] = calls(settings)
    assert row["call_id"] == "chatcmpl-2299b6a2-82a3-465a-b47c-04e685a2227f"
    assert (row["provider"], row["requested_model"]) == ("openai", "gpt-4o")
    assert (row["input_tokens"], row["output_tokens"]) == (10, 20)
    assert row["cost_status"] == "priced"
    # litellm's own cost for this record, from the same price map
    assert row["cost_usd"] == pytest.approx(row["reported_cost_usd"])
    assert row["latency_ms"] == pytest.approx(7.394, abs=0.01)
    assert row["ttft_ms"] == pytest.approx(4.583, abs=0.01)
    assert (row["input_text"], row["output_text"]) == ("Hello, world!", "hi")
    assert str(row["started_at"]).startswith("2025-01-24 09:20:46.847371")


def test_langfuse_sample(settings) -> None:
    result = ingest_file(DATA / "logs" / "langfuse-ingestion-batch.json", settings)
    assert (result.format, result.accepted, result.quarantined) == ("langfuse", 1, 0)
    [row] = calls(settings)
    assert row["trace_id"] == "litellm-test-793c217f-9417-4e77-84a7-8dcc16e5b72b"
    assert (row["provider"], row["requested_model"]) == ("openai", "gpt-3.5-turbo")
    assert (row["input_tokens"], row["output_tokens"]) == (10, 20)
    assert row["reported_cost_usd"] == pytest.approx(5.5e-05)
    assert row["cost_usd"] == pytest.approx(10 * 5e-07 + 20 * 1.5e-06)
    # startTime carries a -08:00 offset: stored in UTC
    assert str(row["started_at"]).startswith("2025-01-16 19:28:54.796360")
    assert row["latency_ms"] == pytest.approx(327.993, abs=0.01)
    assert row["output_text"] == "Hello! How can I assist you today?"


OTEL_SPAN = {
    "trace_id": "t1",
    "span_id": "s1",
    "name": "chat gpt-4o",
    "start_time_unix_nano": 1_700_000_000_000_000_000,
    "end_time_unix_nano": 1_700_000_001_500_000_000,
    "status": {"code": "OK"},
    "attributes": {
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.response.id": "chatcmpl-otel-1",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 100,
        "gen_ai.usage.cache_read.input_tokens": 400,
        "openai.response.system_fingerprint": "fp_1",
        "gen_ai.input.messages": json.dumps(
            [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
        ),
        "user.id": "alice",
        "llmops.prompt.name": "docs-qa",
        "llmops.prompt.version": "v2",
        "llmops.feature": "doc-search",
    },
}


def test_otel_jsonl_prices_cached_tokens_separately(settings, tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    path.write_text(json.dumps(OTEL_SPAN) + "\n")
    result = ingest_file(path, settings)
    assert result.format == "otel"
    [row] = calls(settings)
    assert row["call_id"] == "chatcmpl-otel-1"
    assert row["served_model"] == "gpt-4o-2024-08-06"
    assert row["system_fingerprint"] == "fp_1"
    assert (row["prompt_name"], row["prompt_version"], row["feature"]) == (
        "docs-qa",
        "v2",
        "doc-search",
    )
    assert row["latency_ms"] == pytest.approx(1500)
    assert (row["input_text"], row["system_text"]) == ("hi", "Be brief.")
    # gpt-4o-2024-08-06: $2.5/M input, $1.25/M cached input, $10/M output (litellm's map)
    assert row["cost_usd"] == pytest.approx(600 * 2.5e-6 + 400 * 1.25e-6 + 100 * 1e-5)
    assert row["user_hash"] and "alice" not in row["user_hash"]


def test_otel_semconv_parts_messages(settings, tmp_path: Path) -> None:
    parts = {
        **OTEL_SPAN,
        "attributes": {
            **OTEL_SPAN["attributes"],
            "gen_ai.input.messages": json.dumps(
                [
                    {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
                    {"role": "user", "parts": [{"type": "text", "content": "my card is 4111"}]},
                ]
            ),
            "gen_ai.output.messages": json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": "noted"}]}]
            ),
        },
    }
    path = tmp_path / "spans.jsonl"
    path.write_text(json.dumps(parts) + "\n")
    ingest_file(path, settings)
    [row] = calls(settings)
    assert (row["input_text"], row["system_text"], row["output_text"]) == (
        "my card is 4111",
        "Be brief.",
        "noted",
    )


def test_otlp_envelope(settings, tmp_path: Path) -> None:
    attrs = [
        {"key": k, "value": {"intValue" if isinstance(v, int) else "stringValue": v}}
        for k, v in OTEL_SPAN["attributes"].items()
    ]
    doc = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "app"}}]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "t1",
                                "spanId": "s1",
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000002000000000",
                                "status": {"code": 2, "message": "boom"},
                                "attributes": attrs,
                            }
                        ]
                    }
                ],
            }
        ]
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    assert ingest_file(path, settings).format == "otel"
    [row] = calls(settings)
    assert (row["status"], row["error_type"], row["latency_ms"]) == ("error", "boom", 2000)


def test_openai_batch_output(settings, tmp_path: Path) -> None:
    ok = {
        "id": "batch_req_1",
        "custom_id": "ticket-1",
        "response": {
            "status_code": 200,
            "request_id": "r1",
            "body": {
                "id": "chatcmpl-b1",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": "gpt-4o-mini-2024-07-18",
                "choices": [{"message": {"role": "assistant", "content": "billing"}}],
                "usage": {"prompt_tokens": 200, "completion_tokens": 5},
            },
        },
        "error": None,
    }
    failed = {
        "id": "batch_req_2",
        "custom_id": "ticket-2",
        "response": None,
        "error": {"code": "rate_limit_exceeded", "message": "slow down"},
    }
    path = tmp_path / "batch_output.jsonl"
    path.write_text(json.dumps(ok) + "\n" + json.dumps(failed) + "\n")
    result = ingest_file(path, settings)
    # the failed request has no model or time: it is quarantined, not dropped
    assert (result.format, result.accepted, result.quarantined) == ("openai-batch", 1, 1)
    [row] = calls(settings)
    assert (row["provider"], row["trace_id"], row["output_text"]) == (
        "openai",
        "ticket-1",
        "billing",
    )


def test_helicone_csv(settings, tmp_path: Path) -> None:
    path = tmp_path / "helicone.csv"
    pl.DataFrame(
        {
            "request_id": ["h1", "h2"],
            "request_created_at": ["2025-03-01T10:00:00Z", "2025-03-01T10:01:00Z"],
            "response_created_at": ["2025-03-01T10:00:01.2Z", "2025-03-01T10:01:00.5Z"],
            "request_model": ["gpt-4o-mini", "gpt-4o-mini"],
            "response_model": ["gpt-4o-mini-2024-07-18", ""],
            "prompt_tokens": ["100", "0"],
            "completion_tokens": ["10", "0"],
            "cost": ["0.0000210", ""],
            "delay_ms": ["1200", "500"],
            "request_user_id": ["bob", "bob"],
            "status": ["200", "429"],
            "request_properties": [json.dumps({"feature": "email-draft"}), "{}"],
        }
    ).write_csv(path)
    result = ingest_file(path, settings)
    assert (result.format, result.accepted) == ("helicone", 2)
    rows = calls(settings)
    assert [r["status"] for r in rows] == ["success", "error"]
    assert rows[1]["error_type"] == "http_429"
    assert rows[0]["feature"] == "email-draft"
    assert rows[0]["latency_ms"] == 1200
    assert rows[0]["user_hash"] == rows[1]["user_hash"]


def test_generic_parquet_unpriced_model(settings, tmp_path: Path) -> None:
    path = tmp_path / "internal.parquet"
    pl.DataFrame(
        {
            "call_id": ["g1"],
            "started_at": ["2025-03-01T10:00:00Z"],
            "requested_model": ["ollama/llama3.1:8b"],
            "input_tokens": [50],
            "output_tokens": [20],
            "status": ["success"],
        }
    ).with_columns(pl.col("started_at").str.to_datetime(time_zone="UTC")).write_parquet(path)
    result = ingest_file(path, settings)
    assert (result.format, result.accepted, result.unpriced) == ("generic", 1, 1)
    assert result.unpriced_models == ["ollama/llama3.1:8b"]
    [row] = calls(settings)
    assert (row["provider"], row["requested_model"]) == ("ollama", "llama3.1:8b")
    assert row["cost_status"] == "unpriced"
    assert row["cost_usd"] is None  # never costed as 0


def test_price_override_file(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmops.core.settings import get_settings

    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "models:\n  ollama/llama3.1:8b: {input_per_million: 1.0, output_per_million: 2.0}\n"
    )
    monkeypatch.setenv("LLMOPS_PRICES_FILE", str(prices))
    settings = get_settings()
    path = tmp_path / "x.jsonl"
    path.write_text(
        json.dumps(
            {
                "call_id": "g1",
                "started_at": "2025-03-01T10:00:00Z",
                "provider": "ollama",
                "model": "llama3.1:8b",
                "input_tokens": 1000,
                "output_tokens": 500,
            }
        )
        + "\n"
    )
    ingest_file(path, settings)
    [row] = calls(settings)
    assert row["cost_status"] == "override"
    assert row["cost_usd"] == pytest.approx(1000 * 1e-6 + 500 * 2e-6)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "models:\n  x: {input_per_million: -1, output_per_million: 1}\n",
            "field models.x.input_per_million",
        ),
        ("models:\n  x: {input: 1}\n", "field models.x"),
        ("models: [\n", "invalid YAML"),
    ],
)
def test_bad_price_file_names_file_and_field(tmp_path: Path, content: str, message: str) -> None:
    from llmops.core.errors import ConfigError
    from llmops.costs.pricing import load_overrides

    path = tmp_path / "prices.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=str(path)) as err:
        load_overrides(path)
    assert message in str(err.value)
