"""Cost rollup flow: ingest new log batches from the drop folder, roll up costs, raise alerts."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner

from llmops.core.errors import IngestError
from llmops.core.settings import get_settings
from llmops.costs.rollup import RollupResult
from tasks.common import gather
from tasks.cost import emit_alerts, find_new_batches, ingest_batch, publish_report, roll_up


@flow(
    name="cost-rollup",
    flow_run_name="cost-rollup-{log_format}",
    task_runner=ThreadPoolTaskRunner(max_workers=2),
)
def cost_rollup(
    paths: list[str] | None = None, log_format: str = "auto", reingest: bool = False
) -> RollupResult:
    """Ingest new batches (default: the drop folder), recompute rollups and alerts, report."""
    logger = get_run_logger()
    settings = get_settings()
    if not paths:
        settings.inbox_dir.mkdir(parents=True, exist_ok=True)
    sources = paths or [str(settings.inbox_dir)]
    files = find_new_batches(settings, sources, reingest)
    logger.info("%d new batch(es) under %s", len(files), ", ".join(sources))
    ingested, failed = gather({f: ingest_batch.submit(settings, f, log_format) for f in files})
    quarantined = sum(b.quarantined for b in ingested)
    if quarantined:
        logger.warning("%d malformed record(s) quarantined; see the quarantine table", quarantined)
    result = roll_up(settings)
    emit_alerts(result.new_alerts)
    publish_report(settings, result, ingested, failed)
    if failed:  # everything readable is in; the run still says plainly that files were refused
        raise IngestError(f"{len(failed)} file(s) could not be ingested: {', '.join(failed)}")
    return result
