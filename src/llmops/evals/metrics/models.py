"""The metric suite's data: samples in, one spec per metric, per-item scores out."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from llmops.evals.metrics.catalog import check_spec, required_fields

Library = Literal["ragas", "deepeval", "deterministic"]


class EvalSample(BaseModel):
    """One dataset item with its generated answer (None when generation failed)."""

    item_id: str
    question: str
    contexts: list[str]
    reference: str | None
    answer: str | None
    output_schema: dict[str, Any] | None = None


class MetricSpec(BaseModel):
    """One metric of a suite; `name` is unique in the suite and the MLflow metric key."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-/ ]+$")
    library: Library
    metric: str
    params: dict[str, Any] = Field(default_factory=dict)
    needs: list[str] = Field(
        default_factory=list,
        description="item fields required (reference, contexts, output_schema); completed from "
        "what the metric reads, so an item lacking one is 'not applicable', not an error",
    )
    higher_is_better: bool = True
    source: str | None = Field(
        None, exclude=True, description="where the spec was read (file and entry), for errors"
    )

    @model_validator(mode="after")
    def _known_and_complete(self) -> MetricSpec:
        """The metric exists in its library, its params are valid, `needs` covers its inputs."""
        check_spec(self.library, self.metric, self.params)
        self.needs = required_fields(self.library, self.metric, self.params, self.needs)
        return self

    @property
    def label(self) -> str:
        """`<source>: metric <name> (<library>.<metric>)`, for messages."""
        where = f"{self.source}: " if self.source else ""
        return f"{where}metric {self.name!r} ({self.library}.{self.metric})"


class Suite(BaseModel):
    """The metrics run on one dataset."""

    model_config = ConfigDict(extra="forbid")

    dataset: str = Field(min_length=1)
    metrics: list[MetricSpec] = Field(min_length=1)

    @field_validator("metrics")
    @classmethod
    def _unique_names(cls, metrics: list[MetricSpec]) -> list[MetricSpec]:
        """Metric names are MLflow keys: no duplicates."""
        seen: dict[str, int] = {}
        for i, spec in enumerate(metrics):
            if spec.name in seen:
                raise ValueError(
                    f"duplicate metric name {spec.name!r} at metrics[{i}] "
                    f"(first at metrics[{seen[spec.name]}])"
                )
            seen[spec.name] = i
        return metrics


class ItemScore(BaseModel):
    """One item's score: a number, or None with an error (failed) or a reason (not applicable)."""

    item_id: str
    score: float | None
    error: str | None = None
    reason: str | None = None


class MetricResult(BaseModel):
    """One metric over a set of samples."""

    name: str
    library: str
    metric: str
    scores: list[ItemScore]
    duration_s: float
    llm_calls: int

    @property
    def scored(self) -> list[float]:
        """The numeric scores (failed and not-applicable items left out)."""
        return [s.score for s in self.scores if s.score is not None]

    @property
    def failed(self) -> list[ItemScore]:
        """Items whose scoring failed."""
        return [s for s in self.scores if s.error is not None]
