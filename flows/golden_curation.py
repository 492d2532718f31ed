"""Golden curation flow: raw QA files to a reviewed, versioned golden dataset tracked in MLflow."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from prefect import flow, get_run_logger
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run
from pydantic import Field

from llmops.core.settings import get_settings
from llmops.datasets.config import SplitSpec, load_config
from llmops.datasets.curate import Candidate, CurationResult
from llmops.datasets.errors import DatasetError
from llmops.datasets.manifest import Approval
from llmops.datasets.report import review_note
from llmops.datasets.store import DatasetStore
from tasks.curation import (
    assemble_candidate,
    emit_promoted,
    import_raw_files,
    load_current,
    log_to_mlflow,
    publish_report,
    remove_duplicates,
    scrub_pii,
    validate_with_gx,
    write_version,
)


class Review(RunInput):
    """The reviewer's decision, entered on the paused run's resume form in the Prefect UI."""

    approve: bool = Field(False, description="approve this candidate version")
    reviewer: str = Field("", description="your name (kept in the manifest)")
    comment: str = Field("", description="why you approve or reject it")


def request_review(candidate: Candidate, timeout_minutes: int, poll_seconds: int) -> Review:
    """Pause the run until a reviewer approves or rejects the candidate in the Prefect UI."""
    form = Review.with_initial_data(description=review_note(candidate), approve=False)
    return pause_flow_run(
        wait_for_input=form,
        timeout=timeout_minutes * 60,
        poll_interval=poll_seconds,
        key=f"review-{candidate.version}",
    )


@flow(name="golden-curation", flow_run_name="curate-{name}")
def golden_curation(
    name: str,
    sources: list[str],
    config: str | None = None,
    mode: Literal["merge", "replace"] = "merge",
    split: SplitSpec | None = None,
    auto_approve: bool = False,
    review_timeout_minutes: int = 1440,
    review_poll_seconds: int = 10,
) -> CurationResult:
    """Import, scrub, validate (GX), dedup, split and diff a candidate; write it once approved."""
    logger = get_run_logger()
    settings = get_settings()
    store = DatasetStore(settings.datasets_dir)
    config_path = Path(config) if config else store.config_path(name)
    cfg = load_config(config_path)
    dataset_dir = store.dataset_dir(name)
    run_id = str(flow_run.id) if flow_run.id else None

    current = load_current(settings, name)
    imported = import_raw_files(sources, cfg)
    prepared = scrub_pii(imported.rows, cfg)
    validated = validate_with_gx(name, prepared.rows, cfg)
    deduped = remove_duplicates(validated.rows, current.items, cfg)
    candidate = assemble_candidate(
        name,
        imported,
        prepared,
        validated,
        deduped,
        current,
        mode,
        split or cfg.split,
        str(config_path) if config_path else None,
    )
    logger.info(
        "candidate %s@%s: %d items (%d added, %d removed, %d changed)",
        name,
        candidate.version,
        len(candidate.items),
        *candidate.diff.counts.model_dump().values(),
    )
    if candidate.unchanged:
        publish_report(candidate, "unchanged: identical to the current version, nothing to review")
        lineage = log_to_mlflow(settings, name, candidate.version, only_if_missing=True)
        return CurationResult.of(
            candidate,
            "unchanged",
            dataset_dir,
            mlflow_run_id=lineage.mlflow_run_id,
            tracking_uri=lineage.tracking_uri,
            flow_run_id=run_id,
        )
    if not candidate.items:
        publish_report(candidate, "failed: no item survived curation")
        raise DatasetError(f"{name}: no item survived curation; see the report of this run")

    if auto_approve:
        report = publish_report(candidate, "auto-approved")
        approval = Approval(
            by="auto-approve",
            at=datetime.now(UTC).replace(microsecond=0),
            method="auto",
            comment="auto-approved (--auto-approve)",
        )
    else:
        report = publish_report(candidate, "awaiting review: resume this run to approve or reject")
        review = request_review(candidate, review_timeout_minutes, review_poll_seconds)
        reviewer = review.reviewer.strip() or "prefect-ui reviewer"
        if not review.approve:
            publish_report(candidate, f"rejected by {reviewer}: {review.comment or '(no comment)'}")
            logger.warning(
                "candidate %s rejected by %s; nothing written", candidate.version, reviewer
            )
            return CurationResult.of(
                candidate,
                "rejected",
                dataset_dir,
                reviewer=reviewer,
                comment=review.comment,
                flow_run_id=run_id,
            )
        approval = Approval(
            by=reviewer,
            at=datetime.now(UTC).replace(microsecond=0),
            method="prefect-ui",
            comment=review.comment,
        )
        report = publish_report(candidate, f"approved by {reviewer}: {review.comment}")

    manifest = write_version(settings, candidate, approval, run_id, report)
    lineage = log_to_mlflow(settings, name, manifest.version, report)
    emit_promoted(manifest, lineage, str(dataset_dir))
    logger.info("%s@%s is current; MLflow run %s", name, manifest.version, lineage.mlflow_run_id)
    return CurationResult.of(
        candidate,
        "promoted",
        dataset_dir,
        reviewer=approval.by,
        comment=approval.comment,
        mlflow_run_id=lineage.mlflow_run_id,
        tracking_uri=lineage.tracking_uri,
        flow_run_id=run_id,
    )
