"""Settings of eval runs (`LLMOPS_EVALS__...`): concurrency, spend cap, the gate's thresholds.

Pydantic only, so importing the settings stays light.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class GateConfig(BaseModel):
    """Thresholds of the gate (settings `eval.gate`; per metric overrides in `max_drop_by_metric`)."""

    max_drop: float = Field(0.05, ge=0, description="largest tolerated drop of a metric's mean")
    max_drop_by_metric: dict[str, float] = Field(default_factory=dict)
    min_pairs: int = Field(20, ge=2, description="fewer scored pairs than this: inconclusive")
    max_failed_share: float = Field(
        0.2, ge=0, le=1, description="share of items that failed to score above this: inconclusive"
    )
    confidence: float = Field(0.95, gt=0, lt=1)
    resamples: int = Field(5000, ge=200)
    seed: int = 0

    def drop_limit(self, metric: str) -> float:
        """The tolerated drop for one metric."""
        return self.max_drop_by_metric.get(metric, self.max_drop)


class EvalSettings(BaseModel):
    """How eval runs behave unless a flow parameter says otherwise."""

    concurrency: int = Field(32, ge=1, description="LLM calls in flight per run")
    usd_cap: float | None = Field(
        25.0, ge=0, description="spend per run before it stops cleanly (judges included)"
    )
    generation_batch: int = Field(100, ge=1, description="items per generation task")
    limit: int | None = Field(
        None, ge=1, description="items per run when the flow gets no limit (smoke runs, tests)"
    )
    gate: GateConfig = Field(default_factory=GateConfig)
