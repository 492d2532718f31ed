"""`make demo`: a local Prefect server, 30 days of simulated traffic, every pipeline, where to look."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rich.console import Console
from rich.table import Table

from llmops.core.offline import apply_offline_defaults
from llmops.core.settings import Settings, get_settings
from llmops.orchestration.console import quiet_prefect_console

EXAMPLE_QUERIES = (
    "SELECT day, calls, round(cost_usd, 2) AS usd FROM daily_cost ORDER BY day DESC LIMIT 7",
    "SELECT requested_model, count(*) AS calls, round(sum(cost_usd), 2) AS usd, "
    "count(*) FILTER (cost_status = 'unpriced') AS unpriced FROM llm_calls GROUP BY 1 ORDER BY 3 DESC",
    "SELECT rule, scope, window_start, message FROM alerts ORDER BY window_start",
    "SELECT detector, label, count(*) AS findings FROM findings GROUP BY ALL ORDER BY 3 DESC",
    "SELECT started_at, prompt_name, trigger, served_model, verdict FROM eval_runs ORDER BY 1",
)


def _retract_previous_demo(settings: Settings, drop: Path) -> None:
    """Remove the previous demo's files and their lake batches (so re-running never doubles)."""
    from llmops.lake.files import drop_batches, file_digest

    manifest = drop / "_planted.json"
    if not manifest.exists():
        return
    files = [drop / f for f in json.loads(manifest.read_text()).get("files", [])]
    drop_batches(settings.lake_dir, [file_digest(f) for f in files if f.exists()])
    for f in files:
        f.unlink(missing_ok=True)
    manifest.unlink()


def _demo_settings() -> Settings:
    """Settings whose golden store and prompts are copies under HOME (the demo never writes to
    the repository's datasets/ or prompts/)."""
    import shutil

    from llmops.demo.collector import demo_credentials

    demo_credentials()
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    store = settings.home / "demo-datasets"
    for name in ("docs-qa",):
        if not (store / name).exists() and (settings.datasets_dir / name).exists():
            shutil.copytree(settings.datasets_dir / name, store / name)
    os.environ["LLMOPS_DATASETS_DIR"] = str(store)  # flows and the worker's runs read it
    prompts = settings.home / "demo-prompts"  # the demo merges a change into this copy
    shutil.rmtree(prompts, ignore_errors=True)
    shutil.copytree(settings.prompts_dir, prompts)
    os.environ["LLMOPS_PROMPTS_DIR"] = str(prompts)
    return get_settings()


def run_demo(days: int = 30, calls_per_day: int = 2000) -> None:
    """Run the demo end to end and print where to look."""
    apply_offline_defaults()
    console = Console()
    settings = _demo_settings()

    from llmops.services.prefect_server import ensure_server

    with console.status("Prefect server ..."):
        api_url, started = ensure_server(settings)
    os.environ["PREFECT_API_URL"] = api_url
    ui_url = api_url.removesuffix("/api")
    console.print(f"Prefect server {'started' if started else 'found'} at {ui_url}")

    from llmops.demo.collector import retract_collector_batches, run_live_demo, send_traffic
    from llmops.simulators.traffic.generate import generate_traffic

    drop = settings.inbox_dir / "demo-traffic"
    _retract_previous_demo(settings, drop)
    retract_collector_batches(settings)
    with console.status(f"simulating {days} days of traffic ..."):
        manifest = generate_traffic(drop, days=days, calls_per_day=calls_per_day, seed=7)
    console.print(
        f"wrote {len(manifest.files)} log files ({manifest.records_written:,} records) to {drop}"
    )
    with console.status("sending the newest LiteLLM and Langfuse traffic through the collector"):
        for line in send_traffic(settings, drop):
            console.print(line)

    from flows.cost_rollup import cost_rollup

    quiet_prefect_console()
    with console.status(
        f"cost rollup flow: ingesting {len(manifest.files)} files, rollups, alerts ..."
    ):
        state = cost_rollup(paths=[str(settings.inbox_dir)], return_state=True)
    result = state.result()
    run_id = state.state_details.flow_run_id

    from flows.guardrail_audit import guardrail_audit

    with console.status("guardrail audit flow (PII, secrets, injection, toxicity, leaks) ..."):
        audit_state = guardrail_audit(return_state=True)
    audit = audit_state.result()
    audit_id = audit_state.state_details.flow_run_id

    from llmops.demo.seed import curate_seed

    with console.status("golden curation flow (docs-qa seed, auto-approved) ..."):
        seed = curate_seed(settings)

    from llmops.services.simulator import ensure_simulator
    from llmops.simulators.provider.admin import reset_simulator

    with console.status("provider simulator ..."):
        sim_url = ensure_simulator(settings)
        reset_simulator(sim_url)  # model version 1 again, whatever an earlier demo bumped
    console.print(f"provider simulator at {sim_url}/v1 (model version 1)")
    evaluation = _run_eval(console)

    from llmops.demo.flywheel import run_flywheel_demo

    with console.status("feedback flywheel flow (simulated thumbs and corrections) ..."):
        flywheel = run_flywheel_demo(settings)

    from llmops.demo.prompt_merge import run_prompt_merge_demo
    from llmops.demo.triggers import run_model_update_demo

    console.print("prompt-merge path: deploy, worker, signed webhook, triggered eval, promotion")
    merge_lines = run_prompt_merge_demo(settings, console, ui_url)
    console.print("model-update path: bump the simulator, model-watch, triggered evals")
    update_lines = run_model_update_demo(settings, console, ui_url)
    console.print("live collector path: litellm callback, rotation event, triggered cost rollup")
    live_lines = run_live_demo(settings, console, ui_url, f"see {ui_url}/runs")

    from llmops.services.mlflow_server import ensure_server as ensure_mlflow

    with console.status("MLflow UI (one worker) ..."):
        try:
            mlflow_url, _ = ensure_mlflow(settings, port=settings.mlflow_port)
        except RuntimeError as exc:  # e.g. the port is taken: the rest of the demo stands
            mlflow_url = (
                f"not started ({exc}); set LLMOPS_MLFLOW_PORT or run: mlflow ui "
                f"--backend-store-uri {settings.mlflow_uri}"
            )

    from llmops.audit.run import run_audit
    from llmops.privacy.at_rest import find_at_rest

    with console.status("auditing the calls ingested since, then the at-rest check ..."):
        # the flywheel's follow-up calls and the live collector's batch came after the audit
        # flow: audit them as the hourly deployment would; its text retention also redacts
        # the feedback given meanwhile
        late = run_audit(settings)
        at_rest = find_at_rest(settings.home, manifest.planted_values, [settings.inbox_dir])
    console.print(
        f"audited {len(late.audited)} batch(es) ingested after the audit flow "
        f"({late.summary.calls:,} calls, {late.summary.findings:,} findings)"
    )

    from llmops.lake.warehouse import build_warehouse

    build_warehouse(settings.warehouse_path, settings.lake_dir)
    _print_costs(console, result)
    _print_quality(console, settings)
    _print_audit(console, audit)
    _print_at_rest(console, settings, at_rest, len(manifest.planted_values))
    _print_eval(console, evaluation)
    _print_flywheel(console, flywheel)
    console.print()
    console.print("[bold]Prompt merge[/bold] (a wording change to docs-qa-answer):")
    for line in merge_lines:
        console.print(f"  {line}")
    console.print()
    console.print("[bold]Model update[/bold] (simulator v1 → v2, caught by model-watch):")
    for line in update_lines:
        console.print(f"  {line}")
    console.print()
    console.print("[bold]Live collector[/bold] (llmops collector serve; README: Send telemetry):")
    for line in live_lines:
        console.print(f"  {line}")
    console.print()
    console.print("[bold]Where to look[/bold]")
    console.print(f"  Prefect UI:   {ui_url}/runs")
    console.print(f"    cost rollup       {ui_url}/runs/flow-run/{run_id}  (artifact cost-rollup)")
    console.print(
        f"    guardrail audit   {ui_url}/runs/flow-run/{audit_id}  (artifact guardrail-audit)"
    )
    if seed.flow_run_id:
        console.print(
            f"    golden curation   {ui_url}/runs/flow-run/{seed.flow_run_id}"
            "  (artifact golden-curation-docs-qa)"
        )
    eval_id = evaluation.state_details.flow_run_id
    console.print(
        f"    eval run          {ui_url}/runs/flow-run/{eval_id}"
        "  (artifact eval-docs-qa-answer-docs-qa)"
    )
    console.print(f"    deployments       {ui_url}/deployments  (nightly eval, triggers, hourly)")
    console.print(
        f"  MLflow UI:    {mlflow_url}  (experiments llmops-evals, llmops-datasets; Prompts)"
    )
    console.print(f"  Golden sets:  {settings.datasets_dir}  (a copy; llmops datasets list)")
    console.print(
        f"  DuckDB file:  {settings.warehouse_path}  (open read-only: duckdb -readonly ...)"
    )
    console.print(f"  Lake:         {settings.lake_dir}")
    console.print("  One screen:   llmops status")
    console.print('  Example queries (llmops sql "..."):')
    for q in EXAMPLE_QUERIES:
        console.print(f"    {q}")
    console.print(
        "  The Prefect server, worker, simulator and MLflow UI keep running for you; "
        "stop them with: make stop"
    )


def _run_eval(console: Console):
    """The champion prompt on the docs-qa golden set through the simulator (the final state)."""
    import asyncio

    from flows.eval_run import eval_run

    with console.status("eval flow: docs-qa-answer on docs-qa (ragas, deepeval, checks) ..."):
        return asyncio.run(
            eval_run(
                dataset="docs-qa",
                prompt="docs-qa-answer",
                trigger="manual",
                fail_on_regression=False,
                return_state=True,
            )
        )


def _print_eval(console: Console, state) -> None:
    result = asyncio_result(state)
    table = Table("metric", "mean", title=f"Eval docs-qa-answer on docs-qa: {result.verdict}")
    for name, mean in result.means.items():
        table.add_row(name, "–" if mean is None else f"{mean:.3f}")
    console.print(table)
    console.print(
        f"{result.items} items, {result.llm_calls} LLM calls, ${result.cost_usd:.4f}, "
        f"{result.failed_items} failed item scores; served by {result.served_model} "
        f"({'provider simulator' if result.simulated else 'real provider'}); "
        f"MLflow run {result.run_id}; verdict {result.verdict}: {result.reason}"
    )


def _print_flywheel(console: Console, result) -> None:
    console.print(
        f"Feedback flywheel: {result.ingested} feedback events ({result.quarantined} quarantined, "
        f"{result.unknown_calls} for unknown calls, kept)"
    )
    for d in result.datasets:
        console.print(
            f"  {d.dataset}: {d.candidates} candidates, {d.approved} approved, {d.covered} already "
            f"covered, {d.pii_dropped} dropped for PII; new version {d.version or '–'} adds "
            f"{len(d.added)} item(s) (demo store: $LLMOPS_HOME/demo-datasets)"
        )


def asyncio_result(state):
    """The result of a flow state returned by an async flow called with return_state=True."""
    import asyncio
    import inspect

    value = state.result()
    return asyncio.run(value) if inspect.isawaitable(value) else value


def _print_quality(console: Console, settings: Settings) -> None:
    """Quarantine by reason and unpriced models: what the data needs from its owner."""
    from llmops.lake.warehouse import connect

    con = connect(settings.lake_dir)
    try:
        reasons = con.execute(
            "SELECT reason_kind, count(*) FROM quarantine GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
        unpriced = con.execute(
            "SELECT provider || '/' || requested_model, count(*) FROM llm_calls "
            "WHERE cost_status = 'unpriced' GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
    finally:
        con.close()
    if reasons:
        console.print('Quarantined records by reason (llmops sql "SELECT * FROM quarantine"):')
        for kind, n in reasons:
            console.print(f"  {n:>5}  {kind}")
    for model, n in unpriced:
        console.print(
            f"Unpriced: {model} ({n:,} calls, not counted as $0): add it to a prices file "
            "(config/prices.example.yaml) and set LLMOPS_PRICES_FILE"
        )


def _print_audit(console: Console, audit) -> None:
    """Guardrail findings by detector and label (excerpts stay masked in the lake)."""
    s = audit.summary
    table = Table("detector", "label", "severity", "findings", "calls", title="Guardrail findings")
    for c in s.counts:
        table.add_row(c.detector, c.label, c.severity, f"{c.findings:,}", f"{c.calls:,}")
    console.print(table)
    console.print(
        f"{s.findings:,} findings in {s.calls_with_findings:,} of {s.calls:,} calls; "
        f"{len(s.alerts)} guardrail alert(s) sent as llmops.guardrail.alert events"
    )


def _print_at_rest(console: Console, settings: Settings, at_rest, planted: int) -> None:
    """Whether any planted PII or secret value is left in the home's Parquet files, decoded."""
    from llmops.core.settings.audit import retention_label

    where = ", ".join(sorted({f for f, _ in at_rest.hits})[:5])
    console.print(
        f"At rest (text_retention: {retention_label(settings.text_retention)}): "
        f"{at_rest.files:,} Parquet files of llmops under {settings.home} decoded "
        f"({at_rest.strings:,} strings): "
        + (
            f"none of the traffic's {planted:,} planted PII and secret values is left."
            if not at_rest.hits
            else f"{len(at_rest.hits):,} planted value(s) still raw, in {where}."
        )
    )
    if at_rest.input_files:
        console.print(
            f"  The simulated application's own log files in {settings.inbox_dir} "
            f"({at_rest.input_files:,} Parquet) hold them as written: llmops reads its inputs "
            "and never rewrites them (docs/privacy.md)."
        )


def _print_costs(console: Console, result) -> None:
    table = Table("day", "calls", "errors", "cost USD", "unpriced", "p95 ms", title="Daily cost")
    for d in result.daily[-14:]:
        p95 = f"{d.latency_p95_ms:,.0f}" if d.latency_p95_ms is not None else ""
        table.add_row(
            str(d.day),
            f"{d.calls:,}",
            str(d.errors),
            f"{d.cost_usd:,.2f}",
            str(d.unpriced_calls),
            p95,
        )
    console.print(table)
    console.print(
        f"total {result.calls:,} calls, ${result.cost_usd:,.2f}; {result.unpriced_calls:,} unpriced calls; "
        f"{result.quarantined} quarantined records (see the quarantine view)"
    )
    alerts = Table("rule", "severity", "scope", "window (UTC)", "what", title="Alerts")
    for a in result.alerts:
        start, end = a["window_start"], a["window_end"]
        whole_day = (end - start).days >= 1
        window = f"{start:%Y-%m-%d}" if whole_day else f"{start:%Y-%m-%d %H:%M}-{end:%H:%M}"
        alerts.add_row(
            str(a["rule"]), str(a["severity"]), str(a["scope"]), window, str(a["message"])
        )
    console.print(alerts)
