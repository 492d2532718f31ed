"""Settings of the guardrail audit: the optional LLM judge tier and how long raw text is kept."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator


class GuardrailJudgeSettings(BaseModel):
    """LLM judge on a bounded sample of injection items the classifier is unsure about (off)."""

    enabled: bool = Field(False, description="run the judge after the fast detectors")
    max_items: int = Field(50, ge=1, description="items judged per audit run, at most")
    band_below: float = Field(
        0.15, ge=0.0, le=1.0, description="uncertain: score >= threshold - band_below ..."
    )
    band_above: float = Field(
        0.15, ge=0.0, le=1.0, description="... and score < threshold + band_above"
    )
    usd_cap: float = Field(0.25, gt=0.0, description="USD the judge may spend per audit run")
    alias: str = Field("judge", description="model alias the judge runs on (settings.models)")
    concurrency: int = Field(4, ge=1, description="judge calls in flight")

    @model_validator(mode="after")
    def _band_not_empty(self) -> GuardrailJudgeSettings:
        if self.enabled and self.band_below + self.band_above <= 0:
            raise ValueError("guardrail_judge: band_below + band_above must be > 0 when enabled")
        return self

    def band(self, threshold: float) -> tuple[float, float]:
        """[low, high) classifier scores sent to the judge, for the classifier's threshold."""
        return max(0.0, threshold - self.band_below), min(1.0 + 1e-9, threshold + self.band_above)


class KeepDays(BaseModel):
    """Raw text kept until the call is this many days old, then redacted by the next audit."""

    keep_days: int = Field(ge=0, description="days a call's raw text is kept")


TextRetention = Literal["redact", "keep"] | KeepDays


def retention_label(policy: TextRetention) -> str:
    """`redact`, `keep` or `keep_days: N`, as written in llmops.yaml."""
    return f"keep_days: {policy.keep_days}" if isinstance(policy, KeepDays) else policy
