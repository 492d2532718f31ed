"""Tasks of the cost rollup: find new batches, ingest one, roll up, alert, report."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.events import emit_event

from llmops.collector.health import health_markdown, read_health
from llmops.core.settings import Settings
from llmops.costs.report import cost_report
from llmops.costs.rollup import ALERT_EVENTS, RollupResult, run_rollup
from llmops.ingest import BatchResult, discover, ingest_file, price_book
from llmops.lake.files import file_digest, table_dir
from tasks.common import transient


@task(name="find-new-batches", retries=1, retry_delay_seconds=5)
def find_new_batches(settings: Settings, paths: list[str], reingest: bool = False) -> list[str]:
    """Files under `paths` whose content is not in the lake yet (all of them with reingest)."""
    files = discover(Path(p) for p in paths)
    if reingest:
        return [str(f) for f in files]
    done = table_dir(settings.lake_dir, "batches")
    return [str(f) for f in files if not (done / f"{file_digest(f)}.parquet").exists()]


@task(
    name="ingest-batch",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=transient,
    task_run_name="ingest-{path}",
)
def ingest_batch(settings: Settings, path: str, log_format: str = "auto") -> BatchResult:
    """Ingest one log file (one batch) into the lake."""
    return ingest_file(Path(path), settings, log_format, price_book(settings))


@task(name="roll-up-costs", retries=1, retry_delay_seconds=10)
def roll_up(settings: Settings) -> RollupResult:
    """Recompute rollups and alerts from the lake."""
    return run_rollup(settings)


@task(name="emit-alert-events")
def emit_alerts(alerts: list[dict[str, object]]) -> int:
    """One Prefect event per new alert (`llmops.cost.alert` and friends)."""
    for a in alerts:
        emit_event(
            event=ALERT_EVENTS[str(a["rule"])],
            resource={
                "prefect.resource.id": f"llmops.alert.{a['alert_id']}",
                "prefect.resource.name": str(a["scope"]),
                "llmops.rule": str(a["rule"]),
                "llmops.severity": str(a["severity"]),
            },
            payload={k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in a.items()},
        )
    return len(alerts)


@task(name="publish-cost-report")
def publish_report(
    settings: Settings, result: RollupResult, ingested: list[BatchResult], failed: dict[str, str]
) -> str:
    """The markdown artifact on the flow run."""
    md = cost_report(result, [b.model_dump() for b in ingested], failed)
    health = collector_health(settings)
    if health:
        md = f"{md.rstrip()}\n\n{health}"
    create_markdown_artifact(key="cost-rollup", markdown=md, description="Cost rollup and alerts")
    return md


def collector_health(settings: Settings) -> str:
    """The artifact's collector section: received, spooled, ingested, rejected ('' if none)."""
    return health_markdown(read_health(settings))
