"""Everything one evaluation records: the lake rows, the MLflow params and metrics, the report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from llmops.evals.compare import Comparison
from llmops.evals.errors import EvalGateFailed
from llmops.evals.generate import Generation, served_identity
from llmops.evals.plan import EvalTarget
from llmops.evals.report import FailedItem, ReportInput, eval_report
from llmops.evals.results import metric_means, metric_rows, mlflow_metrics, result_rows
from llmops.evals.usage import Usage

if TYPE_CHECKING:
    from llmops.evals.metrics import MetricResult


class EvalRunResult(BaseModel):
    """What one evaluation produced (also in the lake and MLflow)."""

    run_id: str
    role: str
    verdict: str
    reason: str
    baseline_run_id: str | None
    means: dict[str, float | None]
    served_model: str | None
    system_fingerprint: str | None
    simulated: bool
    items: int
    failed_items: int
    llm_calls: int
    cost_usd: float
    report: str
    promoted: str | None = None


class EvalRecord(BaseModel):
    """The rows, params, metrics and report of one evaluation, ready to be written."""

    run: dict[str, Any]
    metric_rows: list[dict[str, Any]]
    result_rows: list[dict[str, Any]]
    mlflow_params: dict[str, Any]
    mlflow_metrics: dict[str, float]
    report: str
    result: EvalRunResult


def failed_items(generations: list[Generation], results: list[MetricResult]) -> list[FailedItem]:
    """Items whose answer could not be generated, then items a metric failed to score."""
    return [
        FailedItem(stage="generation", item_id=g.item_id, error=g.error)
        for g in generations
        if g.error
    ] + [
        FailedItem(stage=r.name, item_id=s.item_id, error=s.error)
        for r in results
        for s in r.scores
        if s.error
    ]


def assemble(
    *,
    run_id: str,
    flow_run_id: str | None,
    target: EvalTarget,
    trigger: str,
    role: str,
    baseline_run_id: str | None,
    baseline_note: str,
    started: datetime,
    wall_seconds: float,
    generations: list[Generation],
    results: list[MetricResult],
    comparison: Comparison,
    usage: Usage,
    promoted: str | None,
) -> EvalRecord:
    """Build what the evaluation writes to the lake and MLflow and shows in its report."""
    served, fingerprint = served_identity(generations)
    means = metric_means(results)
    failed = failed_items(generations, results)
    items = len(generations)
    run: dict[str, Any] = {
        "run_id": run_id,
        "flow_run_id": flow_run_id,
        "started_at": started,
        "ended_at": datetime.now(UTC),
        "dataset": target.dataset,
        "dataset_version": target.dataset_version,
        "prompt_name": target.prompt_name,
        "prompt_version": target.prompt_version,
        "prompt_hash": target.prompt_hash,
        "model_alias": target.model_alias,
        "requested_model": target.requested_model,
        "served_model": served,
        "system_fingerprint": fingerprint,
        "simulated": int(usage.simulated),
        "trigger": trigger,
        "role": role,
        "baseline_run_id": baseline_run_id,
        "verdict": comparison.verdict,
        "verdict_reason": comparison.reason,
        "items": items,
        "generation_failures": sum(1 for g in generations if g.error),
        "llm_calls": usage.calls,
        "cost_usd": usage.cost_usd,
        "wall_seconds": wall_seconds,
        "promoted": int(promoted is not None),
    }
    report = eval_report(
        ReportInput(
            title=f"Eval {target.prompt_name}@v{target.prompt_version} on "
            f"{target.dataset}@{target.dataset_version[:8]} ({role})",
            trigger=trigger,
            model_line=f"alias `{target.model_alias}` → `{target.requested_model}`, served as "
            f"`{served}` (`{fingerprint}`)",
            provider_note=usage.provider_note,
            baseline_line=f"run `{baseline_run_id}`: {baseline_note}" if baseline_run_id else None,
            comparison=comparison,
            means=means,
            failed_items=failed,
            items=items,
            llm_calls=usage.calls,
            retries=usage.retries,
            cost_usd=usage.cost_usd,
            wall_seconds=wall_seconds,
            mlflow_run_id=run_id,
            promoted=promoted,
        )
    )
    return EvalRecord(
        run=run,
        metric_rows=metric_rows(run, results, comparison),
        result_rows=result_rows(run_id, generations, results),
        mlflow_params={
            "served_model": served,
            "system_fingerprint": fingerprint,
            "simulated": usage.simulated,
            "baseline_run_id": baseline_run_id or "none",
            "items": items,
        },
        mlflow_metrics=mlflow_metrics(means, comparison, results)
        | {"cost_usd": usage.cost_usd, "llm_calls": usage.calls, "failed_items": len(failed)},
        report=report,
        result=EvalRunResult(
            run_id=run_id,
            role=role,
            verdict=comparison.verdict,
            reason=comparison.reason,
            baseline_run_id=baseline_run_id,
            means=means,
            served_model=served,
            system_fingerprint=fingerprint,
            simulated=usage.simulated,
            items=items,
            failed_items=len(failed),
            llm_calls=usage.calls,
            cost_usd=usage.cost_usd,
            report=report,
            promoted=promoted,
        ),
    )


def completed_payload(target: EvalTarget, result: EvalRunResult, trigger: str) -> dict[str, Any]:
    """The payload of `llmops.eval.completed` for a finished candidate run."""
    return {
        "run_id": result.run_id,
        "dataset": target.dataset,
        "dataset_version": target.dataset_version,
        "prompt_name": target.prompt_name,
        "prompt_version": target.prompt_version,
        "model_alias": target.model_alias,
        "served_model": result.served_model,
        "system_fingerprint": result.system_fingerprint,
        "trigger": trigger,
        "verdict": result.verdict,
        "verdict_reason": result.reason,
        "baseline_run_id": result.baseline_run_id,
    }


def gate_failure(target: EvalTarget, result: EvalRunResult) -> EvalGateFailed:
    """The error a failed gate ends the flow run with (after everything is recorded)."""
    return EvalGateFailed(
        f"{target.prompt_name}@v{target.prompt_version} on "
        f"{target.dataset}: {result.reason} (MLflow run {result.run_id})"
    )
