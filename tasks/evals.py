"""Tasks of the eval run: plan, track, generate a batch, score a metric, compare, record, report.

A task is a batch of items or one metric over the whole set, never an item. LLM calls retry
inside the gateway (backoff on 429/5xx/timeouts), so these tasks do not retry themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from llmops.core.settings import Settings
from llmops.datasets.schema import Item
from llmops.evals.compare import Comparison
from llmops.evals.generate import Generation
from llmops.evals.inputs import EvalInputs
from llmops.evals.plan import EvalPlan, EvalTarget, Trigger, make_plan

if TYPE_CHECKING:
    from llmops.evals.metrics import EvalSample, MetricResult, MetricSpec
    from llmops.gateway import Gateway
    from llmops.prompts import PromptSpec

COMPLETED_EVENT = "llmops.eval.completed"


@task(name="plan-eval", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def plan_eval(
    settings: Settings,
    dataset: str,
    prompt: str,
    model: str | None,
    trigger: Trigger,
    baseline: str,
    limit: int | None,
    suite: str | None = None,
) -> EvalPlan:
    """Resolve dataset and prompt versions (prompts synced to MLflow first) and the baseline."""
    from pathlib import Path

    path = Path(suite).expanduser().resolve() if suite else None
    return make_plan(settings, dataset, prompt, model, trigger, baseline, limit, path)


@task(name="load-eval-inputs", cache_policy=NO_CACHE)
def load_inputs(settings: Settings, target: EvalTarget) -> EvalInputs:
    """Items of the dataset version, the prompt version's spec and the metric suite."""
    from llmops.evals.inputs import load_inputs as read_inputs

    return read_inputs(settings, target)


@task(name="start-mlflow-run", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def start_tracking(
    settings: Settings,
    target: EvalTarget,
    trigger: str,
    role: str,
    flow_run_id: str | None,
    items: list[Item],
) -> str:
    """Create the MLflow run (params: dataset digest, prompt version, model, trigger)."""
    from llmops.datasets.store import DatasetStore
    from llmops.evals.tracking import RunIdentity, start_run

    store = DatasetStore(settings.datasets_dir)
    identity = RunIdentity(
        dataset=target.dataset,
        dataset_version=target.dataset_version,
        prompt_name=target.prompt_name,
        prompt_version=target.prompt_version,
        prompt_hash=target.prompt_hash,
        prompt_commit=target.prompt_commit,
        model_alias=target.model_alias,
        requested_model=target.requested_model,
        trigger=trigger,
        role=role,
        suite=str(target.suite_path.name),
        flow_run_id=flow_run_id,
    )
    return start_run(
        settings.mlflow_uri,
        settings.home / "mlartifacts",
        identity,
        store.resolve(target.dataset, target.dataset_version),
        items,
        store.archive_path(target.dataset, target.dataset_version),
    )


@task(name="generate-answers", task_run_name="generate-{label}", cache_policy=NO_CACHE)
async def generate_batch(
    gateway: Gateway, spec: PromptSpec, items: list[Item], alias: str, label: str
) -> list[Generation]:
    """Answer one batch of items through the gateway."""
    from llmops.evals.generate import generate

    return await generate(gateway, spec, items, alias)


@task(name="score-metric", task_run_name="score-{spec.name}", cache_policy=NO_CACHE)
async def score_metric(
    spec: MetricSpec, samples: list[EvalSample], gateway: Gateway, concurrency: int
) -> MetricResult:
    """One metric of the suite over every sample (per-item errors are recorded, not raised)."""
    from llmops.evals.metrics import score_metric as run_metric

    return await run_metric(spec, samples, gateway, concurrency)


@task(name="compare-with-baseline", cache_policy=NO_CACHE)
def compare_with_baseline(
    settings: Settings,
    results: list[MetricResult],
    suite: Any,
    baseline_run_id: str | None,
) -> Comparison:
    """Paired bootstrap per metric against the baseline run's per-item scores; the verdict."""
    from llmops.evals.plan import EvalError
    from llmops.evals.results import compare_results
    from llmops.evals.store import run_scores

    baseline = run_scores(settings.lake_dir, baseline_run_id) if baseline_run_id else {}
    if baseline_run_id and not baseline:
        raise EvalError(f"baseline run {baseline_run_id}: no per-item scores in the lake")
    return compare_results(results, suite, baseline, baseline_run_id, settings.evals.gate)


@task(name="record-eval", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def record_eval(
    settings: Settings,
    run: dict[str, Any],
    metric_rows: list[dict[str, Any]],
    result_rows: list[dict[str, Any]],
    mlflow_params: dict[str, Any],
    mlflow_metrics: dict[str, float],
    report: str,
) -> None:
    """Per-item, per-metric and run rows to the lake; served identity, metrics, table, report
    to MLflow (the run is marked complete last, so only a recorded run can be a baseline)."""
    import pandas as pd

    from llmops.evals.store import write_run
    from llmops.evals.tracking import finish_run

    write_run(settings.lake_dir, run, metric_rows, result_rows)
    frame = pd.DataFrame(result_rows).drop(columns=["run_id"])
    finish_run(
        settings.mlflow_uri,
        run["run_id"],
        mlflow_params,
        mlflow_metrics,
        frame,
        report,
        run["verdict"],
    )


@task(name="abort-mlflow-run", cache_policy=NO_CACHE)
def abort_tracking(settings: Settings, run_id: str, reason: str) -> None:
    """Mark an MLflow run failed with the reason (it can never become a baseline)."""
    from llmops.evals.tracking import abort_run

    abort_run(settings.mlflow_uri, run_id, reason)


@task(name="promote-prompt", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def promote_prompt(settings: Settings, name: str, version: str) -> str:
    """Move the `champion` alias to the evaluated version (only after a pass)."""
    from llmops.prompts import PromptRegistry

    old, new = PromptRegistry(settings).promote(name, int(version))
    return f"champion {name}: v{old.version if old else '–'} → v{new.version}"


@task(name="publish-eval-report", cache_policy=NO_CACHE)
def publish_report(key: str, markdown: str, description: str) -> None:
    """The eval report as a Prefect markdown artifact."""
    create_markdown_artifact(markdown=markdown, key=key, description=description)


@task(name="emit-eval-completed", cache_policy=NO_CACHE)
def emit_completed(run: dict[str, Any], flow_run_id: str | None) -> None:
    """`llmops.eval.completed` with the verdict (automations can alert on a fail)."""
    emit_event(
        event=COMPLETED_EVENT,
        resource={
            "prefect.resource.id": f"llmops.eval.{run['prompt_name']}.{run['dataset']}",
            "llmops.verdict": run["verdict"],
        },
        payload={
            k: run[k]
            for k in (
                "run_id",
                "dataset",
                "dataset_version",
                "prompt_name",
                "prompt_version",
                "model_alias",
                "served_model",
                "system_fingerprint",
                "trigger",
                "verdict",
                "verdict_reason",
                "baseline_run_id",
            )
        }
        | {"flow_run_id": flow_run_id},
    )
