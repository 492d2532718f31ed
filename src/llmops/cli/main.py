"""The `llmops` command line. Heavy libraries are imported inside commands so --help stays fast."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from llmops.cli.collector import collector_app
from llmops.cli.datasets import datasets_app
from llmops.cli.deploy import deploy, worker
from llmops.cli.erase import erase
from llmops.cli.errors import fail
from llmops.cli.eval import eval_app
from llmops.cli.feedback import feedback_app
from llmops.cli.models import models_app
from llmops.cli.prompts import prompts_app
from llmops.cli.simulator import simulator_app
from llmops.cli.status import status
from llmops.cli.webhook import webhook_app
from llmops.core.offline import apply_offline_defaults

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(collector_app, name="collector")
app.add_typer(datasets_app, name="datasets")
app.add_typer(eval_app, name="eval")
app.add_typer(feedback_app, name="feedback")
app.add_typer(models_app, name="models")
app.add_typer(prompts_app, name="prompts")
app.add_typer(simulator_app, name="simulator")
app.add_typer(webhook_app, name="webhook")
app.command()(deploy)
app.command()(worker)
app.command()(status)
app.command()(erase)


class LogFormat(StrEnum):
    auto = "auto"
    litellm = "litellm"
    litellm_spend_logs = "litellm-spend-logs"
    otel = "otel"
    langfuse = "langfuse"
    openai_batch = "openai-batch"
    helicone = "helicone"
    generic = "generic"


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="log files or folders")],
    log_format: Annotated[LogFormat, typer.Option("--format", help="log format")] = LogFormat.auto,
    batch_input: Annotated[
        Path | None,
        typer.Option(
            help="OpenAI Batch input file to join to a Batch output file by custom_id "
            "(default: the one input file beside it)"
        ),
    ] = None,
) -> None:
    """Read log files (JSON, JSONL, CSV, Parquet, OTLP protobuf; .gz too) into llm_calls.

    A file that cannot be read is reported by name and reason, the others still go in, and the
    command exits 1.
    """
    from rich.console import Console
    from rich.progress import track
    from rich.table import Table

    from llmops.core.errors import LlmopsError
    from llmops.core.settings import get_settings
    from llmops.ingest import FilesRefused, discover, ingest_files, price_book

    settings = get_settings()
    console = Console()
    refused: FilesRefused | None = None
    try:
        files = discover(paths)
        book = price_book(settings)
        progress = track(files, description="ingesting", console=console, transient=True)
        results = ingest_files(progress, settings, log_format.value, book, batch_input)
    except FilesRefused as exc:
        refused, results = exc, exc.batches
    except LlmopsError as exc:
        fail(str(exc))
        return
    table = Table("file", "format", "records", "accepted", "quarantined", "unpriced", "no usage")
    for r in results:
        table.add_row(
            Path(r.file).name,
            r.format + (f" + {Path(r.joined_to).name}" if r.joined_to else ""),
            *(str(x) for x in (r.records, r.accepted, r.quarantined, r.unpriced, r.no_usage)),
        )
    console.print(table)
    total_q = sum(r.quarantined for r in results)
    console.print(
        f"{len(results)} file(s): {sum(r.accepted for r in results):,} accepted, "
        f"{total_q:,} quarantined, {sum(r.unpriced for r in results):,} unpriced, "
        f"{sum(r.no_usage for r in results):,} without token counts (cost unknown)"
    )
    reasons: dict[str, int] = {}
    for r in results:
        for k, v in r.reasons.items():
            reasons[k] = reasons.get(k, 0) + v
    for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
        console.print(f"  quarantined ×{count}: {reason}")
    models = sorted({m for r in results for m in r.unpriced_models})
    if models:
        console.print(f"  unpriced models (add them to the prices file): {', '.join(models)}")
    if refused is not None:
        for r in refused.refused:
            typer.secho(f"refused: {r.reason}", fg="red", err=True)
        fail(f"{len(refused.refused)} file(s) refused; the other {len(results)} went in", code=1)


@app.command()
def rollup() -> None:
    """Recompute cost rollups and alerts from the lake (without Prefect) and print them."""
    from rich.console import Console
    from rich.markdown import Markdown

    from llmops.core.settings import get_settings
    from llmops.costs.report import cost_report
    from llmops.costs.rollup import run_rollup

    Console().print(Markdown(cost_report(run_rollup(get_settings()), days=14)))


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL over the lake views (llm_calls, alerts, ...)")],
    output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.table,
    limit: Annotated[int, typer.Option(help="rows to print in table mode")] = 50,
) -> None:
    """Run SQL against the warehouse views and print the result (table, csv or json)."""
    import duckdb

    from llmops.core.settings import get_settings
    from llmops.lake.warehouse import connect

    con = connect(get_settings().lake_dir)
    try:
        df = con.sql(query).pl()
    except duckdb.Error as exc:
        fail(str(exc))
        return
    if output is OutputFormat.csv:
        sys.stdout.write(df.write_csv())
    elif output is OutputFormat.json:
        sys.stdout.write(df.write_json() + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(*df.columns)
        for row in df.head(limit).iter_rows():
            table.add_row(*("" if v is None else str(v) for v in row))
        Console().print(table)
        if df.height > limit:
            typer.echo(f"({df.height} rows, {limit} shown; use -o csv for all)")


@app.command("simulate-traffic")
def simulate_traffic(
    out: Annotated[Path, typer.Option("--out", help="folder to write log batches to")],
    days: Annotated[int, typer.Option(help="days of traffic")] = 30,
    calls_per_day: Annotated[int, typer.Option(help="calls per day across features")] = 2000,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same files)")] = 7,
) -> None:
    """Write realistic multi-format log batches with planted anomalies (see _planted.json)."""
    from llmops.simulators.traffic.generate import generate_traffic

    manifest = generate_traffic(out, days=days, calls_per_day=calls_per_day, seed=seed)
    typer.echo(
        f"wrote {len(manifest.files)} files ({manifest.records_written:,} records) to {out}; "
        f"planted anomalies in {out / '_planted.json'}"
    )


@app.command()
def audit(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="log files/folders to ingest first, then audit")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="only batches with calls at or after this ISO date/time")
    ] = None,
    reaudit: Annotated[bool, typer.Option(help="audit again batches already audited")] = False,
) -> None:
    """Scan llm_calls batches for PII, secrets, injection, toxicity and leaks (no Prefect)."""
    from rich.console import Console
    from rich.table import Table

    from llmops.audit.run import run_audit
    from llmops.core.errors import LlmopsError
    from llmops.core.settings import get_settings
    from llmops.ingest import ingest_paths

    settings = get_settings()
    console = Console()
    try:
        batch_ids = None
        if paths:
            batch_ids = [b.batch_id for b in ingest_paths(paths, settings)]
            console.print(f"ingested {len(batch_ids)} file(s)")
        result = run_audit(settings, batch_ids=batch_ids, since=since, reaudit=reaudit)
    except LlmopsError as exc:
        fail(str(exc))
        return
    s = result.summary
    table = Table("detector", "label", "severity", "direction", "findings", "calls")
    for c in s.counts:
        table.add_row(
            c.detector, c.label, c.severity, c.direction, f"{c.findings:,}", f"{c.calls:,}"
        )
    console.print(table)
    console.print(
        f"{len(result.audited)} batch(es) audited ({result.already_audited} already audited): "
        f"{s.calls:,} calls, {s.findings:,} findings in {s.calls_with_findings:,} calls"
    )
    for a in s.alerts:
        console.print(
            f"  [red]alert[/red] {a.detector}/{a.label}: {a.findings} {a.severity} finding(s) "
            f"(threshold {a.threshold})"
        )
    console.print('Findings: llmops sql "SELECT * FROM findings"  (excerpts are masked)')


@app.command()
def warehouse() -> None:
    """(Re)build warehouse.duckdb: documented views over the lake for analysts."""
    from llmops.core.settings import get_settings
    from llmops.lake.warehouse import build_warehouse

    s = get_settings()
    ok = build_warehouse(s.warehouse_path, s.lake_dir)
    typer.echo(
        f"{s.warehouse_path} {'ready' if ok else 'is held open by another process; views unchanged'}"
    )


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="days of traffic")] = 30,
    calls_per_day: Annotated[int, typer.Option(help="calls per day")] = 2000,
) -> None:
    """Start a local Prefect server if needed, generate traffic and run every pipeline."""
    from llmops.demo.run import run_demo

    run_demo(days=days, calls_per_day=calls_per_day)


@app.command()
def stop() -> None:
    """Stop what the demo started: Prefect worker and server, MLflow UI, provider simulator."""
    from llmops.core.settings import get_settings
    from llmops.services.mlflow_server import stop_server as stop_mlflow
    from llmops.services.prefect_server import stop_server
    from llmops.services.simulator import stop_simulator
    from llmops.services.worker import stop_worker

    settings = get_settings()
    if stop_worker(settings):
        typer.echo("worker stopped")
    if stop_mlflow(settings):
        typer.echo("MLflow UI stopped")
    if stop_simulator(settings):
        typer.echo("provider simulator stopped")
    typer.echo("stopped" if stop_server(settings) else "no Prefect server started by llmops")


def main() -> None:
    """Entry point: offline defaults first, then the command."""
    apply_offline_defaults()
    app()


if __name__ == "__main__":
    main()
