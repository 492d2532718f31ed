"""MLflow tracking of eval runs (experiment `llmops-evals`) and the baseline lookup.

Reached through an explicit `MlflowClient(tracking_uri=...)`, never the global tracking URI.
Params hold what identifies a run (dataset digest, prompt version, model and served identity,
trigger); metrics the suite's means and the comparison; a table the per-item scores; the
markdown report is an artifact. A run is tagged `llmops.eval.complete=true` only when it finished
scoring, so a crashed run is never picked as a baseline.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from llmops.datasets.lineage import dataset_input, experiment_id, mlflow_client
from llmops.datasets.manifest import Manifest
from llmops.datasets.schema import Item

if TYPE_CHECKING:
    import pandas as pd

EXPERIMENT = "llmops-evals"
TAG_COMPLETE = "llmops.eval.complete"
TAG_VERDICT = "llmops.eval.verdict"
TAG_ROLE = "llmops.eval.role"


class RunIdentity(BaseModel):
    """What an eval run evaluates: the MLflow params logged at its start."""

    dataset: str
    dataset_version: str
    prompt_name: str
    prompt_version: str
    prompt_hash: str
    prompt_commit: str | None = None
    model_alias: str
    requested_model: str
    trigger: str
    role: str = "candidate"
    suite: str
    flow_run_id: str | None = None

    def run_name(self) -> str:
        """A readable MLflow run name."""
        return (
            f"{self.prompt_name}@v{self.prompt_version} on "
            f"{self.dataset}@{self.dataset_version[:8]} ({self.trigger}, {self.role})"
        )


def start_run(
    tracking_uri: str,
    artifact_root: Path,
    identity: RunIdentity,
    manifest: Manifest,
    items: list[Item],
    archive: Path,
) -> str:
    """Create the MLflow run with its identifying params and the dataset as input."""
    client = mlflow_client(tracking_uri)
    exp_id = experiment_id(client, artifact_root, EXPERIMENT)
    run = client.create_run(
        exp_id,
        run_name=identity.run_name(),
        tags={
            TAG_ROLE: identity.role,
            "llmops.prompt": identity.prompt_name,
            "llmops.dataset": identity.dataset,
            "llmops.trigger": identity.trigger,
            "llmops.prefect.flow_run_id": identity.flow_run_id or "",
        },
    )
    run_id = run.info.run_id
    params = identity.model_dump(exclude={"flow_run_id"})
    params["dataset_digest"] = manifest.version
    params["prompt_commit"] = identity.prompt_commit or "unknown"
    for key, value in params.items():
        client.log_param(run_id, key, value)
    client.log_inputs(run_id, datasets=[dataset_input(manifest, items, archive, "eval")])
    return run_id


def find_baseline(
    tracking_uri: str,
    prompt_name: str,
    prompt_version: str,
    dataset: str,
    dataset_version: str | None = None,
    exclude: str | None = None,
) -> str | None:
    """The newest complete run of this prompt version on this dataset (same version preferred)."""
    client = mlflow_client(tracking_uri)
    exp = client.get_experiment_by_name(EXPERIMENT)
    if exp is None:
        return None
    base = (
        f"params.prompt_name = '{prompt_name}' and params.prompt_version = '{prompt_version}' "
        f"and params.dataset = '{dataset}' and tags.`{TAG_COMPLETE}` = 'true'"
    )
    filters = [base]
    if dataset_version:
        filters.insert(0, f"{base} and params.dataset_version = '{dataset_version}'")
    for where in filters:
        runs = client.search_runs(
            [exp.experiment_id],
            filter_string=where,
            order_by=["attributes.start_time DESC"],
            max_results=5,
        )
        for run in runs:
            if run.info.run_id != exclude:
                return run.info.run_id
    return None


def run_params(tracking_uri: str, run_id: str) -> dict[str, str]:
    """The params of a run (to describe a baseline)."""
    return dict(mlflow_client(tracking_uri).get_run(run_id).data.params)


def finish_run(
    tracking_uri: str,
    run_id: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    items: pd.DataFrame,
    report: str,
    verdict: str,
    failed: bool = False,
) -> None:
    """Log served identity, metrics, per-item table and report; mark the run complete."""
    client = mlflow_client(tracking_uri)
    for key, value in params.items():
        client.log_param(run_id, key, "" if value is None else value)
    for key, value in metrics.items():
        client.log_metric(run_id, key, value)
    client.log_table(run_id, data=items, artifact_file="eval_results.json")
    client.log_text(run_id, report, "report.md")
    client.set_tag(run_id, TAG_VERDICT, verdict)
    client.set_tag(run_id, "mlflow.note.content", report)
    if not failed:
        client.set_tag(run_id, TAG_COMPLETE, "true")
    client.set_terminated(run_id, status="FAILED" if failed else "FINISHED")


def abort_run(tracking_uri: str, run_id: str, reason: str) -> None:
    """Mark a run failed with the reason (a crashed or capped run is never a baseline)."""
    client = mlflow_client(tracking_uri)
    client.set_tag(run_id, "llmops.eval.error", reason[:5000])
    client.set_terminated(run_id, status="FAILED")
