"""Turn a call plan into file contents: one file per stack and day, plus the planted dirt."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import polars as pl

from llmops.simulators.traffic import formats as fm
from llmops.simulators.traffic import spans as sp
from llmops.simulators.traffic.model import Call, in_burst, in_slow, rng_for
from llmops.simulators.traffic.plan import Plan

MALFORMED_SHARE = 0.002
MIN_MALFORMED = 8
OVERLAP_RECORDS = 100
STRING_TIME_SHARE = 0.12  # LiteLLM records with "YYYY-MM-DD HH:MM:SS.ffffff" times

GENERIC_SCHEMA = {
    "call_id": pl.String,
    "trace_id": pl.String,
    "started_at": pl.Datetime("us", "UTC"),
    "ended_at": pl.Datetime("us", "UTC"),
    "provider": pl.String,
    "requested_model": pl.String,
    "served_model": pl.String,
    "prompt_name": pl.String,
    "prompt_version": pl.String,
    "feature": pl.String,
    "team": pl.String,
    "user_id": pl.String,
    "input_tokens": pl.Int64,
    "output_tokens": pl.Int64,
    "cached_tokens": pl.Int64,
    "status": pl.String,
    "error_type": pl.String,
    "input_text": pl.String,
    "output_text": pl.String,
}


@dataclass
class Rendered:
    """File name -> bytes, valid records per file, malformed (file, line, kind), the overlap."""

    files: dict[str, bytes] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    malformed: list[tuple[str, int, str]] = field(default_factory=list)
    overlap_file: str = ""
    overlap_source: str = ""
    overlap_records: int = 0


def _jsonl(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


def _pick_malformed(
    plan: Plan, by_file: dict[tuple[str, int], list[Call]], keep: set[str], seed: int
) -> dict[str, str]:
    """Key -> malformed kind for a few clean LiteLLM and Helicone calls (every kind at least once)."""
    s = plan.schedule

    def clean(c: Call) -> bool:
        return (
            c.status == "success"
            and not c.plants
            and not c.injection
            and not in_burst(c, s)
            and not in_slow(c, s)
            and c.key not in keep
        )

    lit = [c for (f, _), cs in sorted(by_file.items()) if f == "litellm" for c in cs if clean(c)]
    hel = [c for (f, _), cs in sorted(by_file.items()) if f == "helicone" for c in cs if clean(c)]
    total = max(MIN_MALFORMED, round(MALFORMED_SHARE * len(plan.calls)))
    n_hel = min(len(hel), max(2, round(total * len(hel) / max(1, len(lit) + len(hel)))))
    n_lit = min(len(lit), max(len(fm.LITELLM_KINDS), total - n_hel))
    rng = rng_for(seed, "malformed")
    out: dict[str, str] = {}
    for pool, n, kinds in ((lit, n_lit, fm.LITELLM_KINDS), (hel, n_hel, fm.HELICONE_KINDS)):
        for i, j in enumerate(rng.choice(len(pool), size=n, replace=False)):
            out[pool[int(j)].key] = kinds[i % len(kinds)]
    return out


def render_files(plan: Plan, seed: int) -> Rendered:
    """Every log file of the run as bytes (deterministic), with the dirt and the overlap recorded."""
    s = plan.schedule
    by_file: dict[tuple[str, int], list[Call]] = {}
    for c in plan.calls:
        by_file.setdefault((c.spec.fmt, c.day), []).append(c)
    source = by_file.get(("litellm", s.overlap_day), [])
    n_overlap = min(OVERLAP_RECORDS, len(source))
    first = (len(source) - n_overlap) // 2
    overlap_keys = {c.key for c in source[first : first + n_overlap]}
    bad = _pick_malformed(plan, by_file, overlap_keys, seed)
    rt = rng_for(seed, "timefmt")
    out = Rendered()
    generic: dict[str, list[Call]] = {}

    for (fmt, day), calls in sorted(by_file.items()):
        date = (s.start + dt.timedelta(days=day)).isoformat()
        if fmt == "litellm":
            name, lines, overlap = f"litellm-{date}.jsonl", [], []
            for c in calls:
                rec = fm.litellm_record(c, bool(rt.random() < STRING_TIME_SHARE))
                if c.key in bad:
                    lines.append(fm.corrupt_litellm(rec, bad[c.key], c.start_us))
                    out.malformed.append((name, len(lines), bad[c.key]))
                    continue
                lines.append(fm.dumps(rec))
                if c.key in overlap_keys:
                    overlap.append(lines[-1])
            out.files[name] = _jsonl(lines)
            out.records[name] = len(calls) - sum(1 for c in calls if c.key in bad)
            if overlap:
                out.overlap_file = f"litellm-redelivery-{date}.jsonl"
                out.overlap_source, out.overlap_records = name, len(overlap)
                out.files[out.overlap_file] = _jsonl(overlap)
                out.records[out.overlap_file] = len(overlap)
        elif fmt == "otel" and day == s.otlp_day:
            name = f"otel-otlp-{date}.json"
            out.files[name] = fm.dumps(sp.otlp_envelope(calls)).encode()
            out.records[name] = len(calls)
        elif fmt == "otel":
            name = f"otel-{date}.jsonl"
            out.files[name] = _jsonl([fm.dumps(sp.otel_span(c)) for c in calls])
            out.records[name] = len(calls)
        elif fmt == "langfuse":
            name = f"langfuse-{date}.json"
            out.files[name] = fm.dumps(sp.langfuse_document(calls)).encode()
            out.records[name] = len(calls)
        elif fmt == "helicone":
            name, lines = f"helicone-{date}.jsonl", []
            for c in calls:
                rec = fm.helicone_record(c)
                if c.key in bad:
                    lines.append(fm.corrupt_helicone(rec, bad[c.key]))
                    out.malformed.append((name, len(lines), bad[c.key]))
                else:
                    lines.append(fm.dumps(rec))
            out.files[name] = _jsonl(lines)
            out.records[name] = len(calls) - sum(1 for c in calls if c.key in bad)
        elif fmt == "openai-batch":  # the input file the team uploaded, and the output it got
            name = f"openai-batch-{date}.jsonl"
            out.files[f"openai-batch-input-{date}.jsonl"] = _jsonl(
                [fm.dumps(fm.batch_input_record(c)) for c in calls]
            )
            out.files[name] = _jsonl([fm.dumps(fm.batch_record(c)) for c in calls])
            out.records[name] = len(calls)
        else:
            year, week, _ = (s.start + dt.timedelta(days=day)).isocalendar()
            generic.setdefault(f"generic-{year}-{week:02d}.parquet", []).extend(calls)

    for name, calls in sorted(generic.items()):
        df = pl.DataFrame([fm.generic_row(c) for c in calls], schema=GENERIC_SCHEMA)
        buf = io.BytesIO()
        df.write_parquet(buf, statistics=False)
        out.files[name] = buf.getvalue()
        out.records[name] = len(calls)
    out.malformed.sort()
    return out
