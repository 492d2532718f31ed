"""MLflow lineage: each approved version is a run in `llmops-datasets` with the dataset as input.

Uses an explicit `MlflowClient(tracking_uri=...)`, never the global tracking URI, so nothing is
set at import or leaks into other flows of the same process. MLflow is imported lazily (slow).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from llmops.datasets.manifest import Lineage, Manifest
from llmops.datasets.schema import Item

if TYPE_CHECKING:
    from mlflow import MlflowClient

EXPERIMENT = "llmops-datasets"
TAG_NAME = "llmops.dataset"
TAG_VERSION = "llmops.dataset.version"


def mlflow_client(tracking_uri: str) -> MlflowClient:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri)


def experiment_id(client: MlflowClient, artifact_root: Path, name: str = EXPERIMENT) -> str:
    """An experiment by name (created with a local artifact root if missing)."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name, artifact_location=artifact_root.as_uri())
    except MlflowException:  # created meanwhile by another flow
        found = client.get_experiment_by_name(name)
        assert found is not None
        return found.experiment_id


def find_logged(tracking_uri: str, name: str, version: str) -> Lineage | None:
    """The run that already tracks `name@version`, if any."""
    client = mlflow_client(tracking_uri)
    exp = client.get_experiment_by_name(EXPERIMENT)
    if exp is None:
        return None
    runs = client.search_runs(
        [exp.experiment_id],
        filter_string=f"tags.`{TAG_NAME}` = '{name}' and tags.`{TAG_VERSION}` = '{version}'",
        max_results=1,
    )
    if not runs:
        return None
    return Lineage(
        mlflow_experiment=EXPERIMENT, mlflow_run_id=runs[0].info.run_id, tracking_uri=tracking_uri
    )


def dataset_input(manifest: Manifest, items: list[Item], archive: Path, context: str):
    """An MLflow dataset input for a version: name, digest = version id, source = its archive."""
    import mlflow.data
    import pandas as pd
    from mlflow.data.sources import LocalArtifactDatasetSource
    from mlflow.entities import DatasetInput, InputTag
    from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

    frame = pd.DataFrame(
        {
            "id": [i.id for i in items],
            "question": [i.question for i in items],
            "reference_answer": [i.reference_answer for i in items],
            "contexts": [i.contexts for i in items],
            "tags": [i.tags for i in items],
            "source": [i.source for i in items],
            "metadata": [json.dumps(i.metadata, sort_keys=True) for i in items],
        }
    )
    dataset = mlflow.data.from_pandas(
        frame,
        source=LocalArtifactDatasetSource(archive.resolve().as_uri()),
        name=manifest.name,
        digest=manifest.version,
        targets="reference_answer",
    )
    return DatasetInput(
        dataset=dataset._to_mlflow_entity(),
        tags=[
            InputTag(key=MLFLOW_DATASET_CONTEXT, value=context),
            InputTag(key="version", value=manifest.version),
        ],
    )


def log_version(
    tracking_uri: str,
    artifact_root: Path,
    manifest: Manifest,
    items: list[Item],
    archive: Path,
    report: str | None = None,
) -> Lineage:
    """Log a version as an MLflow dataset (name, digest = version id, source = its archive)."""
    client = mlflow_client(tracking_uri)
    exp_id = experiment_id(client, artifact_root)
    a = manifest.approval
    run = client.create_run(
        exp_id,
        run_name=f"{manifest.name}@{manifest.version}",
        tags={
            TAG_NAME: manifest.name,
            TAG_VERSION: manifest.version,
            "llmops.dataset.parent": manifest.parent or "",
            "llmops.approval.by": a.by,
            "llmops.approval.method": a.method,
            "llmops.prefect.flow_run_id": manifest.source.flow_run_id or "",
            "mlflow.note.content": f"{a.method} approval by {a.by}: {a.comment}",
        },
    )
    run_id = run.info.run_id
    client.log_inputs(run_id, datasets=[dataset_input(manifest, items, archive, "golden")])
    client.log_param(run_id, "rows", manifest.rows)
    client.log_param(run_id, "schema_version", manifest.schema_version)
    client.log_param(run_id, "mode", manifest.source.mode)
    c, d = manifest.curation, manifest.diff
    metrics = {
        "rows": manifest.rows,
        "rows_read": c.rows_read,
        "quarantined": c.quarantined,
        "duplicates_removed": c.duplicates_removed,
        "rows_scrubbed": c.rows_scrubbed,
        "added": d.added,
        "removed": d.removed,
        "changed": d.changed,
        **{f"count.{k.replace(':', '.')}": v for k, v in manifest.counts.items()},
    }
    for key, value in metrics.items():
        client.log_metric(run_id, key, value)
    client.log_text(run_id, manifest.to_yaml(), "manifest.yaml")
    if report:
        client.log_text(run_id, report, "curation-report.md")
    client.set_terminated(run_id)
    return Lineage(mlflow_experiment=EXPERIMENT, mlflow_run_id=run_id, tracking_uri=tracking_uri)
