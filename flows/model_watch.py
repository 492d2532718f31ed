"""Model watch flow: canary probes per model alias; `llmops.model.updated` when one changes."""

from __future__ import annotations

import uuid

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from llmops.core.settings import get_settings
from llmops.model_watch.watch import ModelWatchError, WatchResult, watch_targets
from tasks.common import gather
from tasks.model_watch import (
    emit_model_updates,
    probe_model,
    publish_model_watch_report,
    record_model_observations,
)


@flow(name="model-watch", task_runner=ThreadPoolTaskRunner(max_workers=4))
def model_watch(aliases: list[str] | None = None) -> WatchResult:
    """Probe each chat alias with canaries, record its served identity, announce updates once."""
    logger = get_run_logger()
    settings = get_settings()
    targets = watch_targets(settings, aliases)
    probe_id = str(flow_run.id) if flow_run.id else uuid.uuid4().hex
    probes, failed = gather({a: probe_model.submit(settings, a) for a in targets})
    result = record_model_observations(settings, probe_id, probes, failed)
    for o in result.observations:
        logger.info("%s: %s %s (%s)", o.alias, o.status, o.served_model, o.system_fingerprint)
    emit_model_updates(result.updates, str(flow_run.id) if flow_run.id else None)
    publish_model_watch_report(result)
    if failed:  # the others are recorded and announced; the run still fails, naming the aliases
        raise ModelWatchError(f"{len(failed)} alias(es) could not be probed: {', '.join(failed)}")
    return result
