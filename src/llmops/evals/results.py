"""Turn generations and metric results into means, the baseline comparison and lake rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmops.core.settings.evals import GateConfig
from llmops.evals.compare import Comparison, MetricComparison, compare_metric, gate
from llmops.evals.generate import Generation

if TYPE_CHECKING:
    from llmops.evals.metrics import MetricResult, Suite


def metric_means(results: list[MetricResult]) -> dict[str, float | None]:
    """Mean score per metric over the items it scored."""
    means: dict[str, float | None] = {}
    for r in results:
        scored = [s.score for s in r.scores if s.score is not None]
        means[r.name] = sum(scored) / len(scored) if scored else None
    return means


def compare_results(
    results: list[MetricResult],
    suite: Suite,
    baseline: dict[str, dict[str, float | None]],
    baseline_run_id: str | None,
    config: GateConfig,
) -> Comparison:
    """Each metric against the baseline run's per-item scores, then the gate."""
    if baseline_run_id is None:
        return gate([], None)
    better = {m.name: m.higher_is_better for m in suite.metrics}
    comparisons: list[MetricComparison] = []
    for r in results:
        scores = {s.item_id: s.score for s in r.scores if s.error is None}
        failed = sum(1 for s in r.scores if s.error is not None)
        if not failed and all(v is None for v in scores.values()):
            continue  # applies to no item of this dataset/prompt (e.g. JSON checks): not gated
        comparisons.append(
            compare_metric(
                r.name, scores, baseline.get(r.name, {}), failed, config, better.get(r.name, True)
            )
        )
    return gate(comparisons, baseline_run_id)


def result_rows(
    run_id: str, generations: list[Generation], results: list[MetricResult]
) -> list[dict[str, Any]]:
    """Per-item rows of eval_results: one `generation` row per item, one per item and metric."""
    rows: list[dict[str, Any]] = [
        {
            "run_id": run_id,
            "item_id": g.item_id,
            "metric": "generation",
            "library": "gateway",
            "score": None,
            "error": g.error,
            "reason": None,
            "answer": g.answer,
            "latency_ms": g.latency_ms,
            "cost_usd": None,
        }
        for g in generations
    ]
    for r in results:
        rows += [
            {
                "run_id": run_id,
                "item_id": s.item_id,
                "metric": r.name,
                "library": r.library,
                "score": s.score,
                "error": s.error,
                "reason": s.reason,
            }
            for s in r.scores
        ]
    return rows


def metric_rows(
    run: dict[str, Any], results: list[MetricResult], comparison: Comparison
) -> list[dict[str, Any]]:
    """Per-metric rows of eval_metrics, with the comparison when there is a baseline."""
    by_name = {m.metric: m for m in comparison.metrics}
    rows = []
    for r in results:
        scored = [s.score for s in r.scores if s.score is not None]
        c = by_name.get(r.name)
        rows.append(
            {
                "run_id": run["run_id"],
                "started_at": run["started_at"],
                "dataset": run["dataset"],
                "prompt_name": run["prompt_name"],
                "prompt_version": run["prompt_version"],
                "metric": r.name,
                "library": r.library,
                "mean": sum(scored) / len(scored) if scored else None,
                "scored": len(scored),
                "failed": sum(1 for s in r.scores if s.error is not None),
                "not_applicable": sum(1 for s in r.scores if s.score is None and s.error is None),
                "baseline_run_id": comparison.baseline_run_id,
                "baseline_mean": c.baseline_mean if c else None,
                "delta": c.delta if c else None,
                "ci_low": c.ci_low if c else None,
                "ci_high": c.ci_high if c else None,
                "p_value": c.p_value if c else None,
                "pairs": c.pairs if c else None,
                "verdict": c.verdict if c else None,
                "reason": c.reason if c else None,
            }
        )
    return rows


def mlflow_metrics(
    means: dict[str, float | None], comparison: Comparison, results: list[MetricResult]
) -> dict[str, float]:
    """Aggregate metrics for MLflow: means, failures and the comparison's deltas and p-values."""
    out: dict[str, float] = {k: v for k, v in means.items() if v is not None}
    for r in results:
        out[f"{r.name}.failed"] = float(sum(1 for s in r.scores if s.error is not None))
    for m in comparison.metrics:
        if m.delta is not None:
            out[f"{m.metric}.delta"] = m.delta
        if m.p_value is not None:
            out[f"{m.metric}.p_value"] = m.p_value
    return out
