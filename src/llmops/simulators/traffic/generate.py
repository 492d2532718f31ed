"""A realistic, deterministic multi-format LLM log-traffic generator with planted anomalies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from llmops.simulators.traffic.bench_file import write_litellm_bench_file
from llmops.simulators.traffic.files import render_files
from llmops.simulators.traffic.formats import when
from llmops.simulators.traffic.model import Schedule
from llmops.simulators.traffic.plan import build_plan

__all__ = ["TrafficManifest", "generate_traffic", "write_litellm_bench_file"]

MIN_DAYS = 10
MIN_CALLS_PER_DAY = 100
MANIFEST_NAME = "_planted.json"


class CostSpike(BaseModel):
    """A day on which one scope's cost per request jumps (longer completions)."""

    kind: Literal["cost_spike"] = "cost_spike"
    day: dt.date
    provider: str
    model: str
    prompt_name: str
    prompt_version: str
    feature: str


class ErrorBurst(BaseModel):
    """A window in which most calls to one model fail with 429s (and are retried)."""

    kind: Literal["error_burst"] = "error_burst"
    provider: str
    model: str
    start: dt.datetime
    end: dt.datetime


class SlowHour(BaseModel):
    """An hour in which one model's latency p95 is far above normal."""

    kind: Literal["slow_hour"] = "slow_hour"
    provider: str
    model: str
    start: dt.datetime
    end: dt.datetime


Anomaly = Annotated[CostSpike | ErrorBurst | SlowHour, Field(discriminator="kind")]


class MalformedRecord(BaseModel):
    """A deliberately broken record: file (relative to out_dir), 1-based physical line, kind."""

    file: str
    line: int
    reason_kind: str


class TrafficManifest(BaseModel):
    """What generate_traffic wrote and planted; also saved as `_planted.json`."""

    seed: int
    days: int
    calls_per_day: int
    start: dt.date
    end: dt.date
    anomalies: list[Anomaly]
    malformed: list[MalformedRecord]
    overlap_file: str
    overlap_source_file: str
    overlap_records: int
    planted_values: list[str]
    planted_value_kinds: dict[str, str]
    pii_calls: int
    injection_calls: int
    records_written: int
    unique_calls: int
    records_by_file: dict[str, int]
    files: list[str]


def _anomalies(s: Schedule) -> list[Anomaly]:
    b0, b1 = s.burst()
    w0, w1 = s.slow()
    return [
        CostSpike(
            day=s.start + dt.timedelta(days=s.spike_day),
            provider="openai",
            model="gpt-4o-mini",
            prompt_name="support-answer",
            prompt_version="v4",
            feature="support-chat",
        ),
        ErrorBurst(provider="openai", model="gpt-4o-mini", start=when(b0), end=when(b1)),
        SlowHour(provider="anthropic", model="claude-haiku-4-5", start=when(w0), end=when(w1)),
    ]


def generate_traffic(
    out_dir: Path,
    *,
    days: int = 30,
    calls_per_day: int = 2000,
    seed: int = 7,
    end_date: dt.date | None = None,
) -> TrafficManifest:
    """Write `days` days of multi-format LLM logs ending at end_date (UTC today) into out_dir."""
    if days < MIN_DAYS:
        raise ValueError(f"days={days}: need at least {MIN_DAYS} so each plant has its own day")
    if calls_per_day < MIN_CALLS_PER_DAY:
        raise ValueError(f"calls_per_day={calls_per_day}: need at least {MIN_CALLS_PER_DAY}")
    end = end_date or dt.datetime.now(dt.UTC).date()
    start = end - dt.timedelta(days=days - 1)
    plan = build_plan(start, days, calls_per_day, seed)
    rendered = render_files(plan, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in rendered.files.items():
        (out_dir / name).write_bytes(data)
    written = sum(rendered.records.values())
    manifest = TrafficManifest(
        seed=seed,
        days=days,
        calls_per_day=calls_per_day,
        start=start,
        end=end,
        anomalies=_anomalies(plan.schedule),
        malformed=[
            MalformedRecord(file=f, line=n, reason_kind=k) for f, n, k in rendered.malformed
        ],
        overlap_file=rendered.overlap_file,
        overlap_source_file=rendered.overlap_source,
        overlap_records=rendered.overlap_records,
        planted_values=sorted(plan.planted_values),
        planted_value_kinds=plan.planted_values,
        pii_calls=plan.pii_calls,
        injection_calls=plan.injection_calls,
        records_written=written,
        unique_calls=written - rendered.overlap_records,
        records_by_file=dict(sorted(rendered.records.items())),
        files=sorted(rendered.files),
    )
    (out_dir / MANIFEST_NAME).write_text(manifest.model_dump_json(indent=2) + "\n")
    return manifest
