"""Tasks of the golden curation: read, scrub, validate, dedup, assemble, report, write, log, emit."""

from __future__ import annotations

import re
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from llmops.core.settings import Settings
from llmops.datasets.config import DatasetConfig, SplitSpec
from llmops.datasets.curate import (
    Candidate,
    CurrentVersion,
    Mode,
    Prepared,
    Validated,
    build_candidate,
    current_version,
    dedup_step,
    prepare_step,
    validate_step,
    write_curation_log,
)
from llmops.datasets.dedup import DedupResult
from llmops.datasets.importers import ImportResult, import_files
from llmops.datasets.manifest import Approval, Lineage, Manifest
from llmops.datasets.report import candidate_report
from llmops.datasets.schema import Item
from llmops.datasets.store import DatasetStore
from tasks.common import transient

PROMOTED_EVENT = "llmops.dataset.promoted"
CANDIDATES_EVENT = "llmops.dataset.candidates"


def artifact_key(name: str) -> str:
    """Prefect artifact key of a dataset's curation report (lowercase, digits, dashes)."""
    return "golden-curation-" + re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")


@task(
    name="load-current-version",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=2,
    retry_condition_fn=transient,
)
def load_current(settings: Settings, name: str) -> CurrentVersion:
    """The dataset's current version (manifest and items), or none."""
    return current_version(DatasetStore(settings.datasets_dir), name)


@task(
    name="import-raw-files",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=2,
    retry_condition_fn=transient,
)
def import_raw_files(paths: list[str], config: DatasetConfig) -> ImportResult:
    """Read CSV/TSV/JSONL/JSON/Parquet files through the column mapping."""
    return import_files([Path(p) for p in paths], config.import_)


@task(name="scrub-pii", cache_policy=NO_CACHE)
def scrub_pii(rows: list[dict], config: DatasetConfig) -> Prepared:
    """Scrub PII/secrets with the shared guardrail detectors; give ids; fold identical rows."""
    return prepare_step(rows, config)


@task(name="validate-with-gx", cache_policy=NO_CACHE, timeout_seconds=600)
def validate_with_gx(name: str, rows: list[dict], config: DatasetConfig) -> Validated:
    """Run the dataset's Great Expectations suite; failing rows are quarantined."""
    return validate_step(name, rows, config)


@task(name="remove-duplicates", cache_policy=NO_CACHE)
def remove_duplicates(rows: list[dict], current: list[Item], config: DatasetConfig) -> DedupResult:
    """Exact and MinHash near duplicates, within the batch and against the current version."""
    return dedup_step(rows, current, config)


@task(name="assemble-candidate", cache_policy=NO_CACHE)
def assemble_candidate(
    name: str,
    imported: ImportResult,
    prepared: Prepared,
    validated: Validated,
    deduped: DedupResult,
    current: CurrentVersion,
    mode: Mode,
    split: SplitSpec | None,
    config_path: str | None,
) -> Candidate:
    """Merge with (or replace) the current version, split, hash, diff."""
    return build_candidate(
        name,
        imported,
        prepared,
        validated,
        deduped,
        current,
        mode=mode,
        split=split,
        config_path=Path(config_path) if config_path else None,
    )


@task(name="publish-curation-report", cache_policy=NO_CACHE)
def publish_report(candidate: Candidate, status: str) -> str:
    """The markdown artifact: diff, validation, removals with reasons, PII scrubbed, split."""
    md = candidate_report(candidate, status=status)
    create_markdown_artifact(
        key=artifact_key(candidate.name),
        markdown=md,
        description=f"Golden curation of {candidate.name}: candidate {candidate.version}",
    )
    return md


@task(name="write-version", cache_policy=NO_CACHE)
def write_version(
    settings: Settings,
    candidate: Candidate,
    approval: Approval,
    flow_run_id: str | None,
    report: str,
) -> Manifest:
    """Write the approved version (archive, checkout, manifest) and keep the curation log."""
    store = DatasetStore(settings.datasets_dir)
    manifest = candidate.manifest(approval, kind="flow", flow_run_id=flow_run_id)
    store.write_version(manifest, candidate.data)
    if candidate.config_yaml:
        store.write_config(candidate.name, candidate.config_yaml)
    write_curation_log(settings.home, candidate, report)
    return manifest


@task(name="log-dataset-to-mlflow", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def log_to_mlflow(
    settings: Settings,
    name: str,
    version: str,
    report: str | None = None,
    only_if_missing: bool = False,
) -> Lineage:
    """Log the version to MLflow as a dataset input of a run in `llmops-datasets`.

    With `only_if_missing` (a version curated again unchanged) an existing run is reused and the
    stored manifest is left alone: a re-run never rewrites files reviewed in Git.
    """
    from llmops.datasets.lineage import find_logged, log_version

    if only_if_missing and (found := find_logged(settings.mlflow_uri, name, version)):
        return found
    store = DatasetStore(settings.datasets_dir)
    lineage = log_version(
        settings.mlflow_uri,
        settings.home / "mlartifacts",
        store.resolve(name, version),
        store.items(name, version),
        store.archive_path(name, version),
        report,
    )
    if not only_if_missing:
        store.set_lineage(name, version, lineage)
    return lineage


@task(name="emit-dataset-promoted", cache_policy=NO_CACHE)
def emit_promoted(manifest: Manifest, lineage: Lineage, dataset_dir: str) -> None:
    """Emit `llmops.dataset.promoted` (the eval pipeline can trigger on it)."""
    emit_event(
        event=PROMOTED_EVENT,
        resource={
            "prefect.resource.id": f"llmops.dataset.{manifest.name}",
            "prefect.resource.name": manifest.name,
            "llmops.dataset.version": manifest.version,
        },
        payload={
            "dataset": manifest.name,
            "version": manifest.version,
            "parent": manifest.parent,
            "rows": manifest.rows,
            "path": dataset_dir,
            "diff": manifest.diff.model_dump(),
            "approved_by": manifest.approval.by,
            "mlflow_run_id": lineage.mlflow_run_id,
        },
    )
