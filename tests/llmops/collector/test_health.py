"""Collector health as `llmops status` and the cost-rollup artifact show it: received, spooled,
rotated, ingested, rejected with reasons."""

from __future__ import annotations

import httpx

from llmops.collector.health import health_markdown, read_health
from tests.builders.collector import BEARER, chat_spans, rotate_and_ingest


def test_health_counts_every_stage(collector) -> None:
    url = f"{collector.url}/v1/traces"
    pb = {"content-type": "application/x-protobuf"}
    for i in range(3):
        assert (
            httpx.post(url, content=chat_spans(2, start=2 * i), headers=BEARER | pb).status_code
            == 200
        )
    assert httpx.post(url, content=b"\xff\xff\xff\x0f", headers=BEARER | pb).status_code == 400
    assert httpx.post(url, content=chat_spans(1), headers=pb).status_code == 401
    collector.collector.counters.save()
    before = read_health(collector.settings)
    assert before is not None
    assert (before.received, before.rejected, before.spooled_now) == (5, 2, 3)
    assert before.stats.accepted_records == {"otlp-protobuf": 6}
    assert before.ingested_calls == 0 and before.oldest_spooled_s is not None

    collector.collector.rotate(force=True)
    collector.collector.counters.save()
    waiting = read_health(collector.settings)
    assert (waiting.spooled_now, waiting.batches_waiting, waiting.stats.rotated_records) == (
        0,
        1,
        6,
    )

    rotate_and_ingest(collector.settings)
    after = read_health(collector.settings)
    assert (after.batches_waiting, after.ingested_records, after.ingested_calls) == (0, 6, 6)
    md = health_markdown(after)
    assert md.startswith("## Collector")
    assert "received: 5 request(s); 6 record(s) accepted (otlp-protobuf 6)" in md
    assert "ingested: 6 record(s) (6 calls in llm_calls), 0 quarantined" in md
    assert "rejected: 2 request(s) (body not decodable 1, missing or wrong credentials 1)" in md


def test_no_collector_no_section(settings) -> None:
    assert read_health(settings) is None and health_markdown(None) == ""
