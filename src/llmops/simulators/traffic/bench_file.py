"""A fast writer of many valid LiteLLM JSONL records, for the ingest benchmark (vectorized)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl

from llmops.simulators.traffic import text as tx
from llmops.simulators.traffic.model import EPOCH, FINGERPRINTS, MICROS, PRICES, SERVED, rng_for

CHUNK = 200_000
SPAN_US = 30 * 24 * 3600 * MICROS  # the records spread over 30 days
MODELS = (("openai", "gpt-4o-mini", 0.8), ("anthropic", "claude-haiku-4-5", 0.2))


def _hex(words: np.ndarray, width: int) -> pl.Series:
    """Fixed-width lowercase hex of unsigned integers (vectorized)."""
    raw = words.astype(">u8").tobytes().hex().encode()
    return pl.Series(np.frombuffer(raw, dtype="S16").astype("U16")).str.slice(16 - width)


def _json_strings(texts: list[str]) -> pl.Series:
    """Texts as JSON string literals, ready to splice into a record."""
    return pl.Series([json.dumps(t) for t in texts])


def _epoch(col: str) -> pl.Expr:
    """Epoch seconds with microseconds as JSON number text."""
    us = pl.col(col)
    return pl.concat_str(
        (us // MICROS).cast(pl.String), pl.lit("."), (us % MICROS).cast(pl.String).str.zfill(6)
    )


def _time(col: str) -> pl.Expr:
    """Epoch float on most records, LiteLLM's quoted string form on the others."""
    text = pl.from_epoch(pl.col(col), time_unit="us").dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
    return (
        pl.when(pl.col("string_time"))
        .then(pl.concat_str(pl.lit('"'), text, pl.lit('"')))
        .otherwise(_epoch(col))
    )


def _chunk(
    rng: np.random.Generator, lo: int, hi: int, n: int, start_us: int, banks: dict[str, pl.Series]
) -> pl.DataFrame:
    """Records lo..hi-1 as one `line` column of finished JSON text."""
    m = hi - lo
    idx = np.arange(lo, hi, dtype=np.int64)
    model = (rng.random(m) >= MODELS[0][2]).astype(np.int64)
    prompt = np.maximum(1, np.rint(700 * np.exp(0.3 * rng.standard_normal(m)))).astype(np.int64)
    completion = np.maximum(1, np.rint(170 * np.exp(0.35 * rng.standard_normal(m)))).astype(
        np.int64
    )
    cached = np.where(rng.random(m) < 0.1, (prompt * 0.7).astype(np.int64) // 128 * 128, 0)
    price = np.array([PRICES[(p, mo)] for p, mo, _ in MODELS])[model] / 1e6
    cost = (prompt - cached) * price[:, 0] + cached * price[:, 1] + completion * price[:, 2]
    step = SPAN_US / max(n, 1)  # evenly spread, jittered within the step, so times stay sorted
    t0 = start_us + ((idx + 0.8 * rng.random(m)) * step).astype(np.int64)
    latency = np.clip(np.rint(1.1e6 * np.exp(0.28 * rng.standard_normal(m))), 250_000, 4_000_000)
    t1 = t0 + latency.astype(np.int64)
    words = rng.integers(0, 2**63, size=(3, m), dtype=np.int64).astype(np.uint64)
    qa = rng.integers(0, len(banks["q"]), m)
    df = pl.DataFrame(
        {
            "rid": _hex(words[0], 8)
            + "-"
            + _hex(words[1], 4)
            + "-4"
            + _hex(words[1] >> 16, 3)
            + "-a"
            + _hex(words[1] >> 32, 3)
            + "-"
            + _hex(idx.astype(np.uint64), 12),
            "trace": _hex(words[2], 8)
            + "-"
            + _hex(words[2] >> 32, 4)
            + "-4"
            + _hex(words[0] >> 12, 3)
            + "-b"
            + _hex(words[0] >> 24, 3)
            + "-"
            + _hex(words[2] ^ words[1], 12),
            "model": model,
            "t0": t0,
            "t1": t1,
            "tf": t0 + (latency * rng.uniform(0.12, 0.35, m)).astype(np.int64),
            "lat": latency.astype(np.int64),
            "string_time": rng.random(m) < 0.12,
            "pt": prompt,
            "ct": completion,
            "cached": cached,
            "cost": np.round(cost, 10),
            "user": rng.integers(1, 401, m),
            "version": (rng.random(m) < 0.5).astype(np.int64),
            "qa": qa,
            "fp": (rng.random(m) < 0.5).astype(np.int64),
        }
    )
    c = pl.col
    provider = pl.Series([p for p, _, _ in MODELS]).gather(df["model"])
    name = pl.Series([mo for _, mo, _ in MODELS]).gather(df["model"])
    served = pl.Series([SERVED[mo] for _, mo, _ in MODELS]).gather(df["model"])
    fps = FINGERPRINTS["gpt-4o-mini"]
    fingerprint = (
        pl.when(c("model") == 0)
        .then(pl.concat_str(pl.lit('"'), pl.Series(fps).gather(df["fp"]), pl.lit('"')))
        .otherwise(pl.lit("null"))
    )
    details = (
        pl.when(c("cached") > 0)
        .then(pl.concat_str(pl.lit('{"cached_tokens":'), c("cached").cast(pl.String), pl.lit("}")))
        .otherwise(pl.lit("null"))
    )
    total = (c("pt") + c("ct")).cast(pl.String)
    usage = pl.concat_str(
        pl.lit('{"completion_tokens":'), c("ct").cast(pl.String), pl.lit(',"prompt_tokens":'), c("pt").cast(pl.String),
        pl.lit(',"total_tokens":'), total, pl.lit(',"prompt_tokens_details":'), details, pl.lit("}"),
    )  # fmt: skip
    line = pl.concat_str(
        pl.lit('{"id":"chatcmpl-'), c("rid"), pl.lit('","trace_id":"'), c("trace"),
        pl.lit('","call_type":"acompletion","stream":false,"status":"success","custom_llm_provider":"'), pl.lit(provider),
        pl.lit('","startTime":'), _time("t0"), pl.lit(',"endTime":'), _time("t1"),
        pl.lit(',"completionStartTime":'), _time("tf"), pl.lit(',"response_time":'), _epoch("lat"),
        pl.lit(',"model":"'), pl.lit(name),
        pl.lit('","metadata":{"user_api_key_team_alias":"support","requester_metadata":{"prompt_name":"support-answer",'
               '"prompt_version":"'), pl.when(c("version") == 0).then(pl.lit("v3")).otherwise(pl.lit("v4")),
        pl.lit('","feature":"support-chat"}},"response_cost":'), c("cost").cast(pl.String),
        pl.lit(',"total_tokens":'), total, pl.lit(',"prompt_tokens":'), c("pt").cast(pl.String),
        pl.lit(',"completion_tokens":'), c("ct").cast(pl.String),
        pl.lit(',"end_user":"user-'), c("user").cast(pl.String).str.zfill(4),
        pl.lit('","messages":[{"role":"system","content":'), banks["system"].gather(df["version"]),
        pl.lit('},{"role":"user","content":'), banks["q"].gather(df["qa"]),
        pl.lit('}],"response":{"id":"chatcmpl-'), c("rid"), pl.lit('","created":'), (c("t1") // MICROS).cast(pl.String),
        pl.lit(',"model":"'), pl.lit(served), pl.lit('","object":"chat.completion","system_fingerprint":'), fingerprint,
        pl.lit(',"choices":[{"finish_reason":"stop","index":0,"message":{"content":'), banks["a"].gather(df["qa"]),
        pl.lit(',"role":"assistant"}}],"usage":'), usage,
        pl.lit('},"error_str":null,"error_information":null}'),
    )  # fmt: skip
    return df.select(line.alias("line"))


def write_litellm_bench_file(
    path: Path, n_records: int, *, seed: int = 7, start: dt.datetime | None = None
) -> int:
    """Write n valid LiteLLM StandardLoggingPayload JSONL records (~1 KB each); return n."""
    if n_records < 0:
        raise ValueError(f"n_records={n_records}: must be >= 0")
    start = start or dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.UTC)
    start_us = (start - EPOCH) // dt.timedelta(microseconds=1)
    rng = rng_for(seed, "bench")
    text_rng = rng_for(seed, "bench-text")
    pairs = [tx.support_text(text_rng) for _ in range(256)]
    banks = {
        "system": _json_strings([tx.SYSTEM_PROMPTS[("support-answer", v)] for v in ("v3", "v4")]),
        "q": _json_strings([q for q, _ in pairs]),
        "a": _json_strings([a for _, a in pairs]),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        for lo in range(0, n_records, CHUNK):
            df = _chunk(rng, lo, min(n_records, lo + CHUNK), n_records, start_us, banks)
            df.write_csv(fh, include_header=False, quote_style="never")
    return n_records
