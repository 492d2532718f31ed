"""The traffic generator: determinism, manifest vs files, parseability, plants visible in raw data."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from llmops.simulators.traffic import bench_file as traffic_bench
from llmops.simulators.traffic.formats import LITELLM_KINDS, litellm_record
from llmops.simulators.traffic.generate import (
    TrafficManifest,
    generate_traffic,
    write_litellm_bench_file,
)
from llmops.simulators.traffic.model import PRICES, Call
from llmops.simulators.traffic.text import INJECTIONS

END = dt.date(2025, 3, 14)
JSON_KINDS = {"truncated_json", "not_json"}


@dataclass
class Rec:
    """One valid call record, whatever its format, reduced to what the alert rules need."""

    file: str
    id: str
    provider: str
    model: str
    feature: str
    version: str
    start: float | None
    latency: float | None
    status: str
    cost: float | None
    input_text: str


def _ts(value: float | str) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = value.replace("Z", "+00:00")
    parsed = dt.datetime.fromisoformat(text)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()


def _price(provider: str, model: str, inp: int, cached: int, out: int) -> float | None:
    key = next((k for k in PRICES if k[0] == provider and model.startswith(k[1])), None)
    if key is None:
        return None
    p = PRICES[key]
    return ((inp - cached) * p[0] + cached * p[1] + out * p[2]) / 1e6


def _otel(file: str, span: dict, attrs: dict) -> Rec:
    ok = str(span["status"]["code"]) in ("OK", "1")
    start = int(span.get("start_time_unix_nano") or span["startTimeUnixNano"])
    end = int(span.get("end_time_unix_nano") or span["endTimeUnixNano"])
    msgs = json.loads(attrs["gen_ai.input.messages"])
    cost = None
    if ok:
        cost = _price(
            attrs["gen_ai.provider.name"],
            attrs["gen_ai.request.model"],
            attrs["gen_ai.usage.input_tokens"],
            attrs["gen_ai.usage.cache_read.input_tokens"],
            attrs["gen_ai.usage.output_tokens"],
        )
    return Rec(
        file,
        span.get("span_id") or span["spanId"],
        attrs["gen_ai.provider.name"],
        attrs["gen_ai.request.model"],
        attrs["llmops.feature"],
        attrs["llmops.prompt.version"],
        start / 1e9,
        (end - start) / 1e9,
        "success" if ok else "error",
        cost,
        msgs[-1]["parts"][0]["content"],
    )


def load_records(out: Path, m: TrafficManifest) -> list[Rec]:
    """Every valid record of a run (not the redelivered copies), parsed with json/csv/polars."""
    bad = {(x.file, x.line) for x in m.malformed}
    recs: list[Rec] = []
    for name in m.files:
        path = out / name
        if name.startswith("litellm-2"):
            for i, line in enumerate(path.read_text().splitlines(), start=1):
                if (name, i) in bad:
                    continue
                r = json.loads(line)
                meta = r["metadata"]["requester_metadata"]
                recs.append(
                    Rec(
                        name,
                        r["id"],
                        r["custom_llm_provider"],
                        r["model"],
                        meta["feature"],
                        meta["prompt_version"],
                        _ts(r["startTime"]),
                        r["response_time"],
                        "success" if r["status"] == "success" else "error",
                        r["response_cost"],
                        r["messages"][-1]["content"],
                    )
                )
        elif name.startswith("otel-otlp-"):
            doc = json.loads(path.read_text())
            for rs in doc["resourceSpans"]:
                for ss in rs["scopeSpans"]:
                    for span in ss["spans"]:
                        attrs = {
                            a["key"]: int(a["value"]["intValue"])
                            if "intValue" in a["value"]
                            else a["value"]["stringValue"]
                            for a in span["attributes"]
                        }
                        recs.append(_otel(name, span, attrs))
        elif name.startswith("otel-"):
            for line in path.read_text().splitlines():
                span = json.loads(line)
                recs.append(_otel(name, span, span["attributes"]))
        elif name.startswith("langfuse-"):
            doc = json.loads(path.read_text())
            assert doc["metadata"]["batch_size"] == len(doc["batch"])
            for ev in doc["batch"]:
                if ev["type"] != "generation-create":
                    continue
                g = ev["body"]
                recs.append(
                    Rec(
                        name,
                        g["id"],
                        g["metadata"]["provider"],
                        g["model"],
                        g["metadata"]["feature"],
                        f"v{g['promptVersion']}",
                        _ts(g["startTime"]),
                        _ts(g["endTime"]) - _ts(g["startTime"]),
                        "error" if g["level"] == "ERROR" else "success",
                        g["usage"]["totalCost"],
                        g["input"]["messages"][-1]["content"],
                    )
                )
        elif name.startswith("helicone-"):
            for i, line in enumerate(path.read_text().splitlines(), start=1):
                if (name, i) in bad:
                    continue
                row = json.loads(line)
                props = row["request_properties"]
                recs.append(
                    Rec(
                        name,
                        row["request_id"],
                        row["provider"].lower(),
                        row["request_model"],
                        props["feature"],
                        props["prompt_version"],
                        _ts(row["request_created_at"]),
                        row["delay_ms"] / 1000,
                        "error" if row["response_status"] >= 400 else "success",
                        row["costUSD"],
                        row["request_body"]["messages"][-1]["content"],
                    )
                )
        elif name.startswith("openai-batch-input-"):
            continue  # the requests of the output file beside it: not calls
        elif name.startswith("openai-batch-"):
            for line in path.read_text().splitlines():
                r = json.loads(line)
                body = (r["response"] or {}).get("body")
                u = body["usage"] if body else {}
                recs.append(
                    Rec(
                        name,
                        r["id"],
                        "openai",
                        body["model"] if body else "",
                        "ticket-triage",
                        "v1",
                        float(body["created"]) if body else None,
                        None,
                        "success" if body else "error",
                        _price(
                            "openai",
                            body["model"],
                            u["prompt_tokens"],
                            u["prompt_tokens_details"]["cached_tokens"],
                            u["completion_tokens"],
                        )
                        if body
                        else None,
                        "",
                    )
                )
        elif name.startswith("generic-"):
            for r in pl.read_parquet(path).iter_rows(named=True):
                recs.append(
                    Rec(
                        name,
                        r["call_id"],
                        r["provider"],
                        r["requested_model"],
                        r["feature"],
                        r["prompt_version"],
                        r["started_at"].timestamp(),
                        (r["ended_at"] - r["started_at"]).total_seconds(),
                        r["status"],
                        None,
                        r["input_text"],
                    )
                )
    return recs


def fired_alerts(recs: list[Rec]) -> set[tuple]:
    """The default alert rules (as in llmops.costs.alerts), evaluated on raw records."""
    fired: set[tuple] = set()
    daily: dict[tuple, dict[dt.date, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in recs:
        if r.status == "success" and r.cost is not None and r.start is not None:
            day = dt.datetime.fromtimestamp(r.start, dt.UTC).date()
            daily[(r.provider, r.model, r.feature, r.version)][day].append(r.cost)
    for scope, days in daily.items():
        for day, costs in days.items():
            base = [
                float(np.mean(days[d]))
                for k in range(1, 8)
                if (d := day - dt.timedelta(days=k)) in days
            ]
            if len(base) < 3 or len(costs) < 20:
                continue
            mean, std, cpr = np.mean(base), np.std(base, ddof=1), np.mean(costs)
            if cpr > mean * 1.2 and cpr > mean + 3 * std:
                fired.add(("cost_spike", *scope, day))
    windows: dict[tuple, list[Rec]] = defaultdict(list)
    hours: dict[tuple, list[Rec]] = defaultdict(list)
    for r in recs:
        if r.start is not None:
            windows[(r.provider, r.model, int(r.start // 300) * 300)].append(r)
            hours[(r.provider, r.model, int(r.start // 3600) * 3600)].append(r)
    for key, rs in windows.items():
        errors = sum(r.status == "error" for r in rs)
        if errors >= 3 and errors / len(rs) > 0.01:
            fired.add(("error_rate", *key))
    for key, rs in hours.items():
        lat = [r.latency for r in rs if r.latency is not None]
        if len(rs) >= 10 and lat and np.percentile(lat, 95) > 5.0:
            fired.add(("latency_p95", *key))
    return fired


def expected_alerts(m: TrafficManifest) -> set[tuple]:
    """The alerts the manifest's three plants should raise, and nothing else."""
    spike, burst, slow = m.anomalies
    out = {
        (
            "cost_spike",
            spike.provider,
            spike.model,
            spike.feature,
            spike.prompt_version,
            spike.day,
        )
    }
    b0 = int(burst.start.timestamp())
    out |= {("error_rate", burst.provider, burst.model, t) for t in range(b0, b0 + 1800, 300)}
    out.add(("latency_p95", slow.provider, slow.model, int(slow.start.timestamp())))
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrafficManifest, list[Rec]]:
    """Two weeks at the smallest supported-for-demo volume (300 calls a day)."""
    out = tmp_path_factory.mktemp("traffic")
    m = generate_traffic(out, days=14, calls_per_day=300, seed=7, end_date=END)
    return out, m, load_records(out, m)


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    kw = {"days": 10, "calls_per_day": 300, "seed": 3, "end_date": END}
    a = generate_traffic(tmp_path / "a", **kw)
    b = generate_traffic(tmp_path / "b", **kw)
    assert a == b
    for name in [*a.files, "_planted.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    c = generate_traffic(tmp_path / "c", **(kw | {"seed": 4}))
    assert (tmp_path / "c" / c.files[0]).read_bytes() != (tmp_path / "a" / a.files[0]).read_bytes()


def test_manifest_matches_files(run) -> None:
    out, m, recs = run
    on_disk = sorted(p.name for p in out.iterdir() if p.name != "_planted.json")
    assert m.files == on_disk
    assert TrafficManifest.model_validate_json((out / "_planted.json").read_text()) == m
    assert (m.start, m.end, m.days) == (END - dt.timedelta(days=13), END, 14)
    assert sum(m.records_by_file.values()) == m.records_written
    assert m.unique_calls == m.records_written - m.overlap_records == len(recs)
    assert len({r.id for r in recs}) == len(recs)
    per_file: dict[str, int] = defaultdict(int)
    for r in recs:
        per_file[r.file] += 1
    assert {f: n for f, n in m.records_by_file.items() if f != m.overlap_file} == dict(per_file)
    prefixes = (
        "litellm-",
        "otel-",
        "otel-otlp-",
        "langfuse-",
        "helicone-",
        "openai-batch-",
        "generic-",
    )
    assert all(any(f.startswith(p) for f in m.files) for p in prefixes)
    assert sum(f.startswith("otel-otlp-") for f in m.files) == 1
    assert [a.kind for a in m.anomalies] == ["cost_spike", "error_burst", "slow_hour"]
    assert len({a.day if a.kind == "cost_spike" else a.start.date() for a in m.anomalies}) == 3


def test_malformed_lines_are_where_the_manifest_says(run) -> None:
    out, m, _ = run
    assert len(m.malformed) >= 5
    assert {x.reason_kind for x in m.malformed if x.file.startswith("litellm-")} == set(
        LITELLM_KINDS
    )
    assert any(x.file.startswith("helicone-") for x in m.malformed)
    assert len(m.malformed) <= 0.01 * m.records_written
    for x in m.malformed:
        lines = (out / x.file).read_text().splitlines()
        line = lines[x.line - 1]
        if x.file.endswith(".csv"):
            row = dict(zip(lines[0].split(","), next(csv.reader([line])), strict=True))
            fields = row
        elif x.reason_kind in JSON_KINDS:
            with pytest.raises(json.JSONDecodeError):
                json.loads(line)
            continue
        else:
            fields = json.loads(line)
        model = fields.get("model", fields.get("request_model"))
        prompt = fields.get("prompt_tokens")
        completion = int(fields["completion_tokens"])
        started = fields.get("startTime", fields.get("request_created_at"))
        if x.reason_kind == "missing_model":
            assert not model
        elif x.reason_kind == "bad_token_type":
            assert prompt == "lots"
        elif x.reason_kind == "negative_tokens":
            assert completion < 0
        elif x.reason_kind == "bad_timestamp":
            with pytest.raises(ValueError):
                _ts(started)


def test_overlap_file_repeats_source_lines_byte_for_byte(run) -> None:
    out, m, _ = run
    copies = (out / m.overlap_file).read_bytes().splitlines(keepends=True)
    source = (out / m.overlap_source_file).read_bytes().splitlines(keepends=True)
    assert len(copies) == m.overlap_records == 100
    start = source.index(copies[0])
    assert source[start : start + len(copies)] == copies
    assert m.overlap_file == m.overlap_source_file.replace("litellm-", "litellm-redelivery-")


def test_planted_values_and_injections_are_in_user_inputs(run) -> None:
    _, m, recs = run
    texts = [r.input_text for r in recs]
    for value in m.planted_values:
        assert any(value in t for t in texts), value
    assert set(m.planted_value_kinds) == set(m.planted_values)
    assert len(set(m.planted_value_kinds.values())) >= 9
    with_pii = sum(any(v in t for v in m.planted_values) for t in texts)
    with_injection = sum(any(p in t for p in INJECTIONS) for t in texts)
    assert (with_pii, with_injection) == (m.pii_calls, m.injection_calls)
    assert 0.01 <= (m.pii_calls + m.injection_calls) / len(recs) <= 0.03
    assert not any("@" in t for t in texts if not any(v in t for v in m.planted_values))


def test_exactly_the_planted_anomalies_fire_at_300_calls_a_day(run) -> None:
    _, m, recs = run
    assert fired_alerts(recs) == expected_alerts(m)


def test_plants_clear_the_window_minimums_at_300_calls_a_day(run) -> None:
    _, m, recs = run
    spike, burst, slow = m.anomalies
    b0 = burst.start.timestamp()
    mini = [r for r in recs if r.model == "gpt-4o-mini" and r.start and b0 <= r.start < b0 + 1800]
    for w in range(6):
        in_w = [r for r in mini if b0 + 300 * w <= r.start < b0 + 300 * (w + 1)]
        errors = sum(r.status == "error" for r in in_w)
        assert errors >= 3 and errors / len(in_w) > 0.5, (w, errors, len(in_w))
    s0 = slow.start.timestamp()
    slow_calls = [
        r for r in recs if r.model == slow.model and r.start and s0 <= r.start < s0 + 3600
    ]
    assert len(slow_calls) >= 15
    assert 7.0 <= np.percentile([r.latency for r in slow_calls], 95) <= 11.0
    other = [r.latency for r in recs if r.latency is not None and r not in slow_calls]
    assert np.percentile(other, 95) < 3.0 and max(other) < 5.0
    day_calls = [
        r
        for r in recs
        if (r.model, r.version, r.feature) == (spike.model, "v4", spike.feature)
        and r.status == "success"
    ]
    by_day: dict[dt.date, list[float]] = defaultdict(list)
    for r in day_calls:
        by_day[dt.datetime.fromtimestamp(r.start, dt.UTC).date()].append(r.cost)
    spike_cpr = np.mean(by_day.pop(spike.day))
    normal = [np.mean(v) for v in by_day.values()]
    assert len(normal) >= 3 and spike_cpr > 1.8 * max(normal)
    assert max(normal) / min(normal) < 1.15


def test_no_false_alarms_at_higher_volume(tmp_path: Path) -> None:
    m = generate_traffic(tmp_path, days=12, calls_per_day=1500, seed=11, end_date=END)
    assert fired_alerts(load_records(tmp_path, m)) == expected_alerts(m)


def test_rejects_too_few_days(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="days=5"):
        generate_traffic(tmp_path, days=5)


def test_bench_file_is_valid_litellm_jsonl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(traffic_bench, "CHUNK", 700)  # exercise several chunks
    path = tmp_path / "bench" / "litellm-bench.jsonl"
    assert write_litellm_bench_file(path, 2000, seed=1) == 2000
    lines = path.read_text().splitlines()
    recs = [json.loads(line) for line in lines]
    assert len(recs) == 2000 and len({r["id"] for r in recs}) == 2000
    sample = Call(0, "support-chat", "openai", "gpt-4o-mini", 0, prompt_version="v4", key="0" * 32)
    assert set(recs[0]) <= set(litellm_record(sample, False))
    assert 800 <= np.mean([len(line) for line in lines]) <= 2000
    string_times = sum(isinstance(r["startTime"], str) for r in recs)
    assert 0.05 * len(recs) < string_times < 0.25 * len(recs)
    starts = [_ts(r["startTime"]) for r in recs]
    assert (
        starts == sorted(starts) and starts[0] >= dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp()
    )
    for r in recs[:50]:
        u = r["response"]["usage"]
        assert r["total_tokens"] == r["prompt_tokens"] + r["completion_tokens"] == u["total_tokens"]
        assert r["response_cost"] > 0 and r["messages"][0]["role"] == "system"
    assert write_litellm_bench_file(path, 2000, seed=1) == 2000
    assert path.read_text().splitlines() == lines
