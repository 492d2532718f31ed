"""Tasks of the feedback flywheel: ingest, join, queue, report, write candidates, emit, ledger."""

from __future__ import annotations

import json
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from llmops.core.settings import Settings
from llmops.datasets.config import load_config
from llmops.datasets.store import DatasetStore
from llmops.feedback.candidates import NewFeedback, Routed, load_new_feedback, route
from llmops.feedback.flywheel import (
    Approved,
    Decision,
    ReviewQueue,
    Settled,
    Settlement,
    apply_decisions,
    build_queue,
    raw_record,
)
from llmops.feedback.ingest import FeedbackBatch, ingest_paths
from llmops.feedback.ledger import candidates_file, write_ledger
from tasks.common import transient

ARTIFACT_KEY = "feedback-flywheel"
CANDIDATES_EVENT = "llmops.dataset.candidates"


@task(
    name="ingest-feedback-files",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=2,
    retry_condition_fn=transient,
)
def ingest_feedback(settings: Settings, paths: list[str]) -> list[FeedbackBatch]:
    """Ingest JSONL/CSV feedback files into the lake (bad records quarantined)."""
    return ingest_paths(settings, [Path(p) for p in paths])


@task(
    name="join-new-feedback",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=2,
    retry_condition_fn=transient,
)
def join_new_feedback(settings: Settings) -> NewFeedback:
    """Feedback not in the ledger, joined to llm_calls."""
    return load_new_feedback(settings)


@task(name="route-feedback", cache_policy=NO_CACHE)
def route_feedback(settings: Settings, new: NewFeedback) -> Routed:
    """Negative feedback to the golden set of its prompt; positive and unrouted kept apart."""
    return route(new, settings.feedback.datasets)


@task(name="build-review-queue", cache_policy=NO_CACHE)
def review_queue(settings: Settings, dataset: str, rows: list[dict]) -> ReviewQueue:
    """Scrub, drop what still fails, cluster (against the golden set too), rank."""
    store = DatasetStore(settings.datasets_dir)
    config = load_config(store.config_path(dataset))
    current = store.items(dataset) if store.current(dataset) else []
    fb = settings.feedback
    return build_queue(dataset, rows, current, config, fb.near_threshold, fb.review_limit)


@task(name="apply-review", cache_policy=NO_CACHE)
def apply_review(settings: Settings, queue: ReviewQueue, decisions: list[Decision]) -> Settlement:
    """The reviewer's decisions on a queue: approved candidates (edits re-checked), settled rest."""
    config = load_config(DatasetStore(settings.datasets_dir).config_path(queue.dataset))
    return apply_decisions(queue, decisions, config)


@task(name="publish-flywheel-report", cache_policy=NO_CACHE)
def publish_report(markdown: str) -> str:
    """The markdown artifact `feedback-flywheel` (masked)."""
    create_markdown_artifact(
        key=ARTIFACT_KEY, markdown=markdown, description="Feedback flywheel: ranked review queue"
    )
    return markdown


@task(name="write-candidates-file", cache_policy=NO_CACHE)
def write_candidates(settings: Settings, dataset: str, approved: list[Approved]) -> str:
    """Approved candidates as JSONL in the dataset's raw columns, for the golden curation."""
    from llmops.lake.files import atomic_path

    config = load_config(DatasetStore(settings.datasets_dir).config_path(dataset))
    records = sorted((raw_record(a, config) for a in approved), key=lambda r: str(r))
    data = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    path = candidates_file(settings, dataset, data.encode())
    with atomic_path(path) as tmp:
        tmp.write_text(data, encoding="utf-8")
    return str(path)


@task(name="emit-dataset-candidates", cache_policy=NO_CACHE)
def emit_candidates(dataset: str, path: str, count: int) -> None:
    """Emit `llmops.dataset.candidates` (the golden-curation deployment triggers on it)."""
    emit_event(
        event=CANDIDATES_EVENT,
        resource={
            "prefect.resource.id": f"llmops.dataset.{dataset}",
            "prefect.resource.name": dataset,
        },
        payload={"dataset": dataset, "files": [path], "candidates": count},
    )


@task(name="record-ledger", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def record_ledger(
    settings: Settings, dataset: str | None, settled: list[Settled], flow_run_id: str | None
) -> int:
    """Mark feedback as processed so a rerun never looks at it again."""
    write_ledger(settings, dataset, settled, flow_run_id)
    return len(settled)
