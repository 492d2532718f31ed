"""Benchmark: N LiteLLM-format JSONL records through ingest + rollup, against DuckDB's own floor.

The floor, measured in the same run on the same file: DuckDB `read_json` of the file plus the same
GROUP BYs (the hourly and daily rollup queries) over what it parsed, the file read once. Each phase runs in its own process so peak RSS is its own.

    uv run --frozen python bench/ingest_rollup.py [--records 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR_SOURCE = """(
  SELECT
    coalesce(to_timestamp(TRY_CAST(trim("startTime"::VARCHAR, '"') AS DOUBLE)),
             TRY_CAST(trim("startTime"::VARCHAR, '"') AS TIMESTAMPTZ)) AS started_at,
    custom_llm_provider AS provider, model AS requested_model,
    metadata.requester_metadata.prompt_name AS prompt_name,
    metadata.requester_metadata.prompt_version AS prompt_version,
    metadata.requester_metadata.feature AS feature,
    end_user AS user_hash,
    prompt_tokens AS input_tokens, completion_tokens AS output_tokens,
    0 AS cached_tokens, response_cost AS cost_usd,
    CASE WHEN status = 'success' THEN 'priced' ELSE 'unpriced' END AS cost_status,
    CASE WHEN status = 'success' THEN 'success' ELSE 'error' END AS status,
    response_time * 1000 AS latency_ms
  FROM read_json('{path}', format = 'newline_delimited')
)"""


def phase_floor(path: Path) -> dict[str, float]:
    """DuckDB reads the JSONL and runs the daily rollup's GROUP BY."""
    import duckdb

    from llmops.costs.rollups import rollup_sql

    con = duckdb.connect()
    # the file parsed once (only the fields the rollups need), then the same GROUP BYs llmops
    # runs: the hourly and the daily rollup
    con.execute(f"CREATE TEMP TABLE calls AS SELECT * FROM {FLOOR_SOURCE.format(path=path)}")
    groups = sum(len(con.sql(rollup_sql(unit, "calls")).fetchall()) for unit in ("hour", "day"))
    return {"groups": groups}


def phase_ours(path: Path, home: Path) -> dict[str, float]:
    """llmops: ingest (parse, validate, price, hash users, write Parquet) + rollups + alerts."""
    from llmops.core.settings import get_settings
    from llmops.costs.rollup import run_rollup
    from llmops.ingest import ingest_file

    settings = get_settings(home=home, user_hash_key="bench")
    t = time.perf_counter()
    batch = ingest_file(path, settings)
    t_ingest = time.perf_counter() - t
    result = run_rollup(settings)
    return {"accepted": batch.accepted, "ingest_s": t_ingest, "calls": result.calls}


def run_phase(name: str, path: Path, home: Path) -> dict[str, float]:
    """Run one phase in a fresh process; wall time and peak RSS of that process."""
    cmd = [sys.executable, __file__, "--phase", name, "--file", str(path), "--home", str(home)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def child(name: str, path: Path, home: Path) -> None:
    from llmops.core.offline import apply_offline_defaults

    apply_offline_defaults()
    t = time.perf_counter()
    info = phase_floor(path) if name == "floor" else phase_ours(path, home)
    info["seconds"] = time.perf_counter() - t
    info["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(info))


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median wall time."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--phase", choices=["floor", "ours"])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--keep", type=Path, help="folder to keep/reuse the generated file in")
    parser.add_argument("--repeat", type=int, default=3, help="runs per phase; medians shown")
    args = parser.parse_args()
    if args.phase:
        child(args.phase, args.file, args.home)
        return

    from llmops.simulators.traffic.generate import write_litellm_bench_file

    work = Path(args.keep or tempfile.mkdtemp(prefix="llmops-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"litellm-{args.records}.jsonl"
    if not path.exists():
        print(f"writing {args.records:,} LiteLLM records to {path} ...", flush=True)
        t = time.perf_counter()
        write_litellm_bench_file(path, args.records)
        print(f"  {time.perf_counter() - t:.1f} s, {path.stat().st_size / 1e6:,.0f} MB", flush=True)
    floors, ours_runs = [], []
    for i in range(args.repeat):  # interleaved, so drift in the machine hits both alike
        print(f"run {i + 1}/{args.repeat}: floor (read_json + the same GROUP BYs) ...", flush=True)
        floors.append(run_phase("floor", path, work / "home-floor"))
        print(f"run {i + 1}/{args.repeat}: llmops (ingest + rollup + alerts) ...", flush=True)
        ours_runs.append(run_phase("ours", path, work / f"home-{os.getpid()}-{i}"))
    floor = _median(floors)
    ours = _median(ours_runs)
    ratios = sorted(o["seconds"] / f["seconds"] for o, f in zip(ours_runs, floors, strict=True))
    n = args.records
    print()
    print(f"{'phase':<34}{'seconds':>9}{'records/s':>12}{'peak RSS MB':>13}{'x floor':>9}")
    for label, r in (
        ("floor (read_json + GROUP BY)", floor),
        ("llmops ingest + rollup + alerts", ours),
    ):
        print(
            f"{label:<34}{r['seconds']:>9.2f}{n / r['seconds']:>12,.0f}{r['peak_rss_mb']:>13,.0f}"
            f"{r['seconds'] / floor['seconds']:>9.2f}"
        )
    print(f"  of which ingest: {ours['ingest_s']:.2f} s; accepted {ours['accepted']:,} of {n:,}")
    print(
        f"  medians of {args.repeat} interleaved runs; per-run ratios: "
        + ", ".join(f"{r:.2f}" for r in ratios)
    )
    print("targets: ratio <= 2.0 (heading for 1.5), >= 250,000 records/s on 2 cores")


if __name__ == "__main__":
    main()
