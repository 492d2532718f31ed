"""The demo's live collector: part of the simulated traffic arrives over HTTP as its producers
send it (LiteLLM's generic_api batches, Langfuse v2 ingestion batches), and, once the worker
runs, fresh litellm calls whose rotation event triggers the cost-rollup deployment."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from llmops.core.settings import Settings

if TYPE_CHECKING:
    from rich.console import Console

# The demo's credentials (only where none are configured).
DEMO_CREDENTIALS = {
    "LLMOPS_COLLECTOR__TOKEN": "demo-collector-token",
    "LLMOPS_COLLECTOR__LANGFUSE_PUBLIC_KEY": "pk-lf-demo",
    "LLMOPS_COLLECTOR__LANGFUSE_SECRET_KEY": "sk-lf-demo",
}
SENT_DAYS = 7  # the newest days of LiteLLM and Langfuse traffic go through the collector
LITELLM_BATCH = 100  # GenericAPILogger's default batch size
ROLLUP_DEPLOYMENT = "cost-rollup/cost-rollup-hourly"
ROTATED = "llmops.collector.rotated"


def demo_credentials() -> None:
    """Set the demo's collector credentials unless the user configured their own."""
    for key, value in DEMO_CREDENTIALS.items():
        os.environ.setdefault(key, value)


def retract_collector_batches(settings: Settings) -> int:
    """Remove the previous demo's collector batch files and their lake batches."""
    from llmops.lake.files import drop_batches, file_digest

    folder = settings.inbox_dir / "collector"
    files = [f for f in folder.rglob("*") if f.is_file()] if folder.exists() else []
    drop_batches(settings.lake_dir, [file_digest(f) for f in files])
    for f in files:
        f.unlink()
    return len(files)


def _sent_files(drop: Path) -> list[Path]:
    days = sorted({f.stem.split("-", 1)[1] for f in drop.glob("litellm-*.jsonl")})[-SENT_DAYS:]
    return [drop / f"litellm-{d}.jsonl" for d in days] + [
        p for d in days if (p := drop / f"langfuse-{d}.json").exists()
    ]


def send_traffic(settings: Settings, drop: Path) -> list[str]:
    """POST the newest days' LiteLLM and Langfuse files to a collector on loopback (JSON arrays
    of 100 StandardLoggingPayloads; one ingestion batch per day with basic auth), rotate its
    spool into the drop folder and remove the files sent; summary lines."""
    import httpx

    from llmops.collector.server import run_in_thread

    cfg = settings.collector
    token = cfg.token.get_secret_value() if cfg.token else ""
    secret = cfg.langfuse_secret_key.get_secret_value() if cfg.langfuse_secret_key else ""
    files = _sent_files(drop)
    url, collector, stop = run_in_thread(settings)
    started = time.perf_counter()
    requests = payloads = events = 0
    kept: list[Path] = []
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            for f in files:
                if f.name.startswith("litellm-"):
                    lines, unsent = _payloads(f)
                    if unsent:  # planted malformed lines: no callback sends those; a file does
                        kept.append(f.with_name(f"{f.stem}-not-sent.jsonl"))
                        kept[-1].write_text("".join(x + "\n" for x in unsent))
                    for i in range(0, len(lines), LITELLM_BATCH):
                        chunk = lines[i : i + LITELLM_BATCH]
                        r = client.post(
                            "/v1/litellm", json=chunk, headers={"Authorization": f"Bearer {token}"}
                        )
                        r.raise_for_status()
                        requests, payloads = requests + 1, payloads + len(chunk)
                else:
                    body = f.read_bytes()
                    r = client.post(
                        "/api/public/ingestion",
                        content=body,
                        headers={"Content-Type": "application/json"},
                        auth=(cfg.langfuse_public_key or "", secret),
                    )
                    r.raise_for_status()
                    requests, events = requests + 1, events + len(r.json()["successes"])
        seconds = time.perf_counter() - started
        collector.rotate(force=True)
    finally:
        stop()
    for f in files:
        f.unlink()
    folder = settings.inbox_dir / "collector"
    lines = [
        f"collector: {requests:,} requests in {seconds:.1f} s ({payloads:,} LiteLLM payloads, "
        f"{events:,} Langfuse events from the newest {SENT_DAYS} days) spooled durably, rotated "
        f"into {sum(1 for p in folder.rglob('*') if p.is_file())} batch file(s) under {folder}",
    ]
    if kept:
        n = sum(len(k.read_text().splitlines()) for k in kept)
        lines.append(f"  {n} malformed line(s) no callback would send stay in {len(kept)} file(s)")
    return lines


def _payloads(path: Path) -> tuple[list[dict], list[str]]:
    """The StandardLoggingPayloads of a LiteLLM file, and the lines that are none (not JSON,
    not an object with an id)."""
    good, bad = [], []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            bad.append(line)
            continue
        if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"]:
            good.append(value)
        else:
            bad.append(line)
    return good, bad


def litellm_calls(api_base: str, questions: list[str], user: str) -> None:
    """One litellm acompletion per question to `api_base` with litellm's GenericAPILogger as the
    callback (it reads GENERIC_LOGGER_ENDPOINT / GENERIC_LOGGER_HEADERS), its batch flushed.

    `callbacks=["generic_api"]` builds this logger only with litellm-enterprise installed
    (litellm_logging.py falls back to a no-op CustomLogger); the open-source package's class,
    reading the same variables, works without it. It needs a running event loop.
    """
    import asyncio

    import litellm
    from litellm.integrations.generic_api.generic_api_callback import GenericAPILogger

    async def run() -> None:
        logger = GenericAPILogger()
        litellm.callbacks = [logger]
        try:
            for question in questions:
                await litellm.acompletion(
                    model="openai/gpt-4o-mini",
                    api_base=api_base,
                    api_key="sk-simulator",
                    messages=[{"role": "user", "content": question}],
                    user=user,
                    num_retries=0,
                )
            for _ in range(200):  # success callbacks run as tasks after each call
                if len(logger.log_queue) >= len(questions):
                    break
                await asyncio.sleep(0.05)
            if len(logger.log_queue) != len(questions):
                raise RuntimeError(
                    f"litellm queued {len(logger.log_queue)} payloads, not {len(questions)}"
                )
            await logger.async_send_batch()  # what its periodic flush does
        finally:
            litellm.callbacks = []

    asyncio.run(run())


def run_live_demo(settings: Settings, console: Console, ui_url: str, hint: str) -> list[str]:
    """Live calls through litellm's callback to the collector; its rotation event triggers the
    cost-rollup deployment on the worker; lines with the latency and the run's link."""
    from llmops.collector.server import run_in_thread
    from llmops.demo.triggers import run_link, wait_final, wait_until
    from llmops.orchestration.events import RotationAnnouncer
    from llmops.orchestration.runs import deployment_runs, read_events
    from llmops.services.simulator import ensure_simulator

    sim_url = ensure_simulator(settings)
    url, collector, stop = run_in_thread(settings, RotationAnnouncer())
    token = settings.collector.token.get_secret_value() if settings.collector.token else ""
    os.environ["GENERIC_LOGGER_ENDPOINT"] = f"{url}/v1/litellm"
    os.environ["GENERIC_LOGGER_HEADERS"] = f"Authorization=Bearer {token}"
    since = datetime.now(UTC)
    try:
        with console.status("live litellm calls -> collector -> rotation event ..."):
            questions = [f"Live question {i}: what is new?" for i in range(5)]
            litellm_calls(f"{sim_url}/v1", questions, user="demo-live-user")
            rotations = collector.rotate(force=True)
            collector.debouncer.flush(force=True)
            events = wait_until(ROTATED, lambda: read_events(ROTATED, since) or None, 30, hint)
    finally:
        stop()
    with console.status("the cost-rollup run the event triggered ..."):

        def triggered() -> list | None:
            runs = deployment_runs(ROLLUP_DEPLOYMENT, since)
            return [r for r in runs if r.created_by and r.created_by.type == "AUTOMATION"] or None

        run = wait_until("a cost-rollup run triggered by the event", triggered, 60, hint)[0]
        run = wait_final(run.id, 600, hint)
    occurred = datetime.fromisoformat(events[0]["occurred"])
    created = (run.created - occurred).total_seconds() if run.created else float("nan")
    ended = (run.end_time - occurred).total_seconds() if run.end_time else float("nan")
    records = sum(r.records for r in rotations)
    return [
        f"{records} live litellm call(s) -> collector -> {ROTATED} -> cost-rollup run "
        f"({run.state_name}): {run_link(ui_url, run.id)}",
        f"  event to flow run {created:.1f} s, to ingested {ended:.1f} s",
    ]
