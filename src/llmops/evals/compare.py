"""Baseline comparison: paired bootstrap per metric and the pass / fail / inconclusive gate.

Scores are paired by item id. For each metric the difference candidate - baseline (sign-flipped
for lower-is-better metrics, so a positive difference is always an improvement) is resampled with
replacement; the 95% interval comes from the percentiles of the resampled means and the p-value
from the null distribution of the centred differences (two-sided). A metric fails when its mean
drops by more than the configured threshold AND the interval excludes zero; it is inconclusive
when too few pairs could be formed or too many items failed to score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from llmops.core.settings.evals import GateConfig

Verdict = Literal["pass", "fail", "inconclusive"]
RunVerdict = Literal["pass", "fail", "inconclusive", "baseline"]


class MetricComparison(BaseModel):
    """One metric, candidate against baseline."""

    metric: str
    higher_is_better: bool = True
    pairs: int
    candidate_items: int = Field(description="items the candidate run tried to score")
    candidate_failed: int = Field(description="candidate items whose scoring errored")
    candidate_mean: float | None
    baseline_mean: float | None
    delta: float | None = Field(description="candidate - baseline over the pairs (raw units)")
    ci_low: float | None = Field(description="interval of the improvement (sign-adjusted)")
    ci_high: float | None
    p_value: float | None
    verdict: Verdict
    reason: str


class Comparison(BaseModel):
    """Every metric's comparison and the run's verdict."""

    verdict: RunVerdict
    reason: str
    baseline_run_id: str | None
    metrics: list[MetricComparison] = Field(default_factory=list)

    def failed(self) -> list[MetricComparison]:
        """Metrics that failed the gate."""
        return [m for m in self.metrics if m.verdict == "fail"]


def paired_bootstrap(
    diffs: np.ndarray, resamples: int, confidence: float, seed: int
) -> tuple[float, float, float]:
    """(ci_low, ci_high, two-sided p-value) of the mean of paired differences."""
    rng = np.random.default_rng(seed)
    n = len(diffs)
    idx = rng.integers(0, n, size=(resamples, n))
    means = diffs[idx].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    observed = diffs.mean()
    centred = (diffs - observed)[idx].mean(axis=1)
    if np.allclose(diffs, diffs[0]):  # no variance: the difference is exact
        p = 1.0 if abs(observed) < 1e-12 else 0.0
    else:
        p = float((np.abs(centred) >= abs(observed) - 1e-12).mean())
        p = max(p, 1.0 / resamples)
    return float(low), float(high), p


def compare_metric(
    metric: str,
    candidate: Mapping[str, float | None],
    baseline: Mapping[str, float | None],
    candidate_failed: int,
    config: GateConfig,
    higher_is_better: bool = True,
) -> MetricComparison:
    """Compare one metric's per-item scores (item id -> score; None = not applicable or failed)."""
    keys = sorted(k for k, v in candidate.items() if v is not None and baseline.get(k) is not None)
    cand = np.array([candidate[k] for k in keys], dtype=float)
    base = np.array([baseline[k] for k in keys], dtype=float)
    tried = len(candidate) + candidate_failed
    common = {
        "metric": metric,
        "higher_is_better": higher_is_better,
        "pairs": len(keys),
        "candidate_items": tried,
        "candidate_failed": candidate_failed,
    }
    scored = [v for v in candidate.values() if v is not None]
    cand_mean = float(np.mean(scored)) if scored else None
    base_scored = [v for v in baseline.values() if v is not None]
    base_mean = float(np.mean(base_scored)) if base_scored else None
    failed_share = candidate_failed / tried if tried else 0.0
    too_few = None
    if failed_share > config.max_failed_share:
        too_few = (
            f"{candidate_failed} of {tried} items failed to score "
            f"(more than {config.max_failed_share:.0%})"
        )
    elif len(keys) < config.min_pairs:
        too_few = f"only {len(keys)} scored pairs (need {config.min_pairs})"
    if too_few is not None:
        return MetricComparison(
            **common,
            candidate_mean=cand_mean,
            baseline_mean=base_mean,
            delta=None,
            ci_low=None,
            ci_high=None,
            p_value=None,
            verdict="inconclusive",
            reason=too_few,
        )
    sign = 1.0 if higher_is_better else -1.0
    diffs = sign * (cand - base)
    low, high, p = paired_bootstrap(diffs, config.resamples, config.confidence, config.seed)
    improvement = float(diffs.mean())
    limit = config.drop_limit(metric)
    if -improvement > limit and high < 0:
        verdict: Verdict = "fail"
        reason = (
            f"dropped {-improvement:.3f} (limit {limit:.3f}); "
            f"{config.confidence:.0%} interval [{low:.3f}, {high:.3f}] excludes 0, p={p:.4f}"
        )
    elif -improvement > limit:
        verdict = "pass"
        reason = f"dropped {-improvement:.3f} but the interval [{low:.3f}, {high:.3f}] includes 0"
    else:
        verdict = "pass"
        reason = f"change {improvement:+.3f} within the limit {limit:.3f}"
    return MetricComparison(
        **common,
        candidate_mean=float(cand.mean()),
        baseline_mean=float(base.mean()),
        delta=float((cand - base).mean()),
        ci_low=low,
        ci_high=high,
        p_value=p,
        verdict=verdict,
        reason=reason,
    )


def gate(metrics: list[MetricComparison], baseline_run_id: str | None) -> Comparison:
    """The run's verdict: fail if any metric fails; inconclusive if any is; pass otherwise."""
    if baseline_run_id is None:
        return Comparison(
            verdict="baseline",
            reason="no baseline run to compare with: this run becomes the baseline",
            baseline_run_id=None,
            metrics=metrics,
        )
    failed = [m.metric for m in metrics if m.verdict == "fail"]
    unsure = [m.metric for m in metrics if m.verdict == "inconclusive"]
    if failed:
        return Comparison(
            verdict="fail",
            reason=f"significant drop in {', '.join(failed)}",
            baseline_run_id=baseline_run_id,
            metrics=metrics,
        )
    if unsure or not metrics:
        return Comparison(
            verdict="inconclusive",
            reason=f"not enough evidence for {', '.join(unsure) or 'any metric'}",
            baseline_run_id=baseline_run_id,
            metrics=metrics,
        )
    return Comparison(
        verdict="pass",
        reason="no metric dropped significantly beyond its limit",
        baseline_run_id=baseline_run_id,
        metrics=metrics,
    )
