"""Eval-run throughput: N items of the seed set, the default metric suite, the simulator at a fixed
latency, a fixed concurrency. Prints our wall time against the floor (LLM calls x latency /
concurrency) and the same metrics through ragas's and deepeval's own runners, in the same run.

    uv run --frozen python bench/eval_run.py [--items 500] [--latency-ms 100] [--concurrency 32]

The simulator runs in its own process (as a provider would), so its CPU is not ours. Every runner
gets the same samples (answers generated once through the gateway) and the same concurrency; the
direct runners get a gateway whose own limit is out of the way, so only their runner bounds them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from llmops.core.paths import checkout

REPO = checkout("the eval benchmark")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_simulator(port: int, latency_ms: float) -> subprocess.Popen:
    import httpx

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llmops.cli",
            "simulator",
            "serve",
            "--port",
            str(port),
            "--latency-ms",
            str(latency_ms),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the simulator did not start")


def _items(n: int):
    from llmops.datasets.store import DatasetStore

    seed = DatasetStore(REPO / "datasets").items("docs-qa")
    out = []
    for k in range(n):
        item = seed[k % len(seed)]
        out.append(item.model_copy(update={"id": f"{item.id}#{k // len(seed)}"}))
    return out


async def _ours(specs, samples, settings, concurrency: int) -> tuple[float, int]:
    """Our runner: every metric at once under one gateway limit (what the eval flow does)."""
    from llmops.evals.metrics import score_metric
    from llmops.gateway import Gateway

    gw = Gateway(settings, usd_cap=1e9, concurrency=concurrency)
    start = time.perf_counter()
    await asyncio.gather(*(score_metric(s, samples, gw, concurrency) for s in specs))
    return time.perf_counter() - start, len(gw.records)


async def _direct(kind: str, specs, samples, settings, concurrency: int) -> tuple[float, int]:
    from llmops.evals.metrics.direct import run_deepeval_direct, run_ragas_direct
    from llmops.gateway import Gateway

    gw = Gateway(settings, usd_cap=1e9, concurrency=100_000)
    run = run_ragas_direct if kind == "ragas" else run_deepeval_direct
    start = time.perf_counter()
    await run(specs, samples, gw, concurrency)
    return time.perf_counter() - start, len(gw.records)


def _cpu_s(pid: int | None = None) -> float:
    """User + system CPU seconds used so far by a process (this one by default)."""
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def main_async(args: argparse.Namespace, simulator_pid: int) -> None:
    from llmops.core.settings import get_settings
    from llmops.evals.generate import generate, to_samples
    from llmops.evals.metrics import load_suite
    from llmops.gateway import Gateway
    from llmops.prompts import load_spec

    settings = get_settings()
    suite = load_suite(REPO / "datasets" / "docs-qa" / "suite.yaml")
    spec = load_spec(REPO / "prompts" / "docs-qa-answer.yaml")
    items = _items(args.items)
    lat = args.latency_ms / 1000
    c = args.concurrency

    # warm-up: lazy imports of ragas, deepeval, instructor are paid once, before any timing
    warm_gw = Gateway(settings, usd_cap=1e9, concurrency=c)
    warm = to_samples(items[:3], await generate(warm_gw, spec, items[:3]), spec)
    await _ours(suite.metrics, warm, settings, c)
    for kind in ("ragas", "deepeval"):
        await _direct(kind, [m for m in suite.metrics if m.library == kind], warm, settings, c)

    # the whole eval as the flow runs it: generation, then every metric at once
    gw = Gateway(settings, usd_cap=1e9, concurrency=c)
    cpu0, sim0 = _cpu_s(), _cpu_s(simulator_pid)
    start = time.perf_counter()
    generations = await generate(gw, spec, items)
    gen_wall, gen_calls = time.perf_counter() - start, len(gw.records)
    samples = to_samples(items, generations, spec)
    score_wall, score_calls = await _ours(suite.metrics, samples, settings, c)
    total_wall = gen_wall + score_wall
    total_calls = gen_calls + score_calls
    ours_ms = (_cpu_s() - cpu0) * 1000 / total_calls
    sim_ms = (_cpu_s(simulator_pid) - sim0) * 1000 / total_calls
    floor = total_calls * lat / c
    print(
        f"\n{args.items} items, {len(suite.metrics)} metrics, simulator {args.latency_ms:.0f} ms,"
        f" concurrency {c}, {os.cpu_count()} cores"
    )
    print(f"{'run':<34}{'wall s':>9}{'LLM calls':>11}{'floor s':>9}{'ratio':>7}")
    print(
        f"{'llmops eval (generation+metrics)':<34}{total_wall:>9.1f}{total_calls:>11}"
        f"{floor:>9.1f}{total_wall / floor:>7.2f}"
    )
    print(
        f"{'  generation':<34}{gen_wall:>9.1f}{gen_calls:>11}{gen_calls * lat / c:>9.1f}"
        f"{gen_wall / (gen_calls * lat / c):>7.2f}"
    )
    print(
        f"{'  all metrics at once':<34}{score_wall:>9.1f}{score_calls:>11}"
        f"{score_calls * lat / c:>9.1f}{score_wall / (score_calls * lat / c):>7.2f}"
    )

    # each library's metrics: ours vs the library's own runner, interleaved, medians
    for kind in ("ragas", "deepeval"):
        specs = [m for m in suite.metrics if m.library == kind]
        ours, direct = [], []
        for _ in range(args.repeat):
            ours.append(await _ours(specs, samples, settings, c))
            direct.append(await _direct(kind, specs, samples, settings, c))
        o_wall = statistics.median(w for w, _ in ours)
        d_wall = statistics.median(w for w, _ in direct)
        o_calls, d_calls = ours[0][1], direct[0][1]
        print(
            f"{'  ' + kind + ' metrics, llmops runner':<34}{o_wall:>9.1f}{o_calls:>11}"
            f"{o_calls * lat / c:>9.1f}{o_wall / (o_calls * lat / c):>7.2f}"
        )
        print(
            f"{'  ' + kind + ' metrics, ' + kind + ' runner':<34}{d_wall:>9.1f}{d_calls:>11}"
            f"{d_calls * lat / c:>9.1f}{d_wall / (d_calls * lat / c):>7.2f}"
            f"   llmops is {d_wall / o_wall:.2f}x faster"
        )
    cores = os.cpu_count() or 1
    cpu_bound = total_calls * (ours_ms + sim_ms) / 1000 / cores
    print(
        f"\nCPU per LLM call in the llmops eval: ours {ours_ms:.2f} ms, simulator {sim_ms:.2f} ms;"
        f" with both on {cores} cores the run cannot take less than {cpu_bound:.1f} s"
        f" ({cpu_bound / floor:.2f}x the floor) however the work is split"
    )
    print("target: llmops eval <= 1.25x the floor, faster than both direct runners")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1, help="runs per library comparison")
    args = parser.parse_args()
    import logging

    from llmops.core.offline import apply_offline_defaults

    apply_offline_defaults()
    logging.getLogger("deepeval").setLevel(logging.WARNING)  # one INFO line per test case
    port = _free_port()
    home = tempfile.mkdtemp(prefix="llmops-bench-eval-")
    os.environ.update(
        LLMOPS_HOME=home,
        LLMOPS_SIMULATOR__HOST="127.0.0.1",
        LLMOPS_SIMULATOR__PORT=str(port),
        LLMOPS_SIMULATOR__AUTOSTART="false",
    )
    os.chdir(home)  # deepeval writes ./.deepeval
    proc = _start_simulator(port, args.latency_ms)
    try:
        asyncio.run(main_async(args, proc.pid))
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
