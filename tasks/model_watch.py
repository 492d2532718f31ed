"""Tasks of the model watch: probe an alias, record observations, emit updates, report."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.events import emit_event

from llmops.core.settings import Settings
from llmops.model_watch.detect import ModelUpdate
from llmops.model_watch.probe import Probe
from llmops.model_watch.report import watch_report
from llmops.model_watch.watch import WatchResult, probe, record
from tasks.common import transient

UPDATE_EVENT = "llmops.model.updated"


@task(
    name="probe-model",
    retries=1,
    retry_delay_seconds=30,
    retry_condition_fn=transient,
    task_run_name="probe-{alias}",
)
def probe_model(settings: Settings, alias: str) -> Probe:
    """Send the canary prompts of one alias at temperature 0 through the gateway."""
    return probe(settings, alias)


@task(name="record-model-observations", retries=1, retry_delay_seconds=5)
def record_model_observations(
    settings: Settings, probe_id: str, probes: list[Probe], failed: dict[str, str]
) -> WatchResult:
    """Compare each probe with its alias' declared identity; write the rows to model_versions."""
    return record(settings, probe_id, probes, failed)


@task(name="emit-model-updates")
def emit_model_updates(updates: list[ModelUpdate], flow_run_id: str | None = None) -> int:
    """One `llmops.model.updated` event per declared update."""
    for u in updates:
        emit_event(
            event=UPDATE_EVENT,
            resource={
                "prefect.resource.id": f"llmops.model.{u.alias}",
                "prefect.resource.name": u.alias,
                "llmops.alias": u.alias,
            },
            payload={
                "alias": u.alias,
                "old": u.old.model_dump(mode="json"),
                "new": u.new.model_dump(mode="json"),
                "reason": u.reason,
                "simulated": u.simulated,
                "observed_at": u.observed_at.isoformat(),
                "probe_id": u.probe_id,
                "flow_run_id": flow_run_id,
            },
        )
    return len(updates)


@task(name="publish-model-watch-report")
def publish_model_watch_report(result: WatchResult) -> str:
    """The markdown artifact `model-watch` on the flow run."""
    md = watch_report(result)
    create_markdown_artifact(
        key="model-watch", markdown=md, description="Model watch: served identities and updates"
    )
    return md
