"""What the gateway records per call, and the summary reports print."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class CallRecord(BaseModel):
    """One gateway call (all its attempts and fallbacks), successful or not."""

    call_id: str
    started_at: datetime
    kind: Literal["chat", "embedding"]
    alias: str = Field(description="alias (or plain model string) the caller asked for")
    served_alias: str | None = Field(None, description="alias that answered (a fallback maybe)")
    purpose: str | None = Field(None, description="metadata={'purpose': ...} or the gateway label")
    requested_model: str = Field(description="litellm model string sent to the provider")
    served_model: str | None = Field(None, description="response `model` (the served snapshot)")
    system_fingerprint: str | None = None
    provider: str = Field(description="'simulator' or the litellm provider")
    simulated: bool = Field(description="answered by the llmops provider simulator")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float | None = Field(None, description="from the price map; None when unpriced")
    priced_model: str | None = Field(None, description="price-map key used for the cost")
    latency_ms: float = Field(description="wall time including retries and backoff")
    attempts: int = Field(description="requests sent, over all aliases tried")
    attempt_errors: list[str] = Field(default_factory=list, description="each failed attempt")
    error: str | None = Field(None, description="final error; None when the call succeeded")

    @property
    def ok(self) -> bool:
        """True when the call returned a response."""
        return self.error is None


class ServedIdentity(BaseModel):
    """A model identity that answered calls: snapshot name and backend fingerprint."""

    alias: str
    served_model: str | None
    system_fingerprint: str | None
    simulated: bool
    calls: int


class GatewaySummary(BaseModel):
    """Totals over a gateway's calls, for reports and MLflow params."""

    calls: int
    failures: int
    retries: int
    refused: int = Field(description="calls refused because the USD cap was reached")
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    unpriced_calls: int
    usd_cap: float | None
    served: list[ServedIdentity]
    simulated: bool = Field(description="at least one answer came from the simulator")

    def provenance(self, what: str = "scores") -> str:
        """One sentence naming who answered, e.g. 'scores come from the provider simulator
        (gpt-4o-mini-sim-v2, fp_sim_v2_...)'."""

        def names(ids: list[ServedIdentity]) -> str:
            seen = dict.fromkeys(
                ", ".join(x for x in (i.served_model, i.system_fingerprint) if x) or "unknown"
                for i in ids
            )
            return "; ".join(seen)

        sim = [i for i in self.served if i.simulated]
        real = [i for i in self.served if not i.simulated]
        if not self.served:
            return f"{what}: no model answered"
        if sim and not real:
            return f"{what} come from the provider simulator ({names(sim)}), not a real model"
        if sim:
            return (
                f"{what} come partly from the provider simulator ({names(sim)}) and partly "
                f"from real providers ({names(real)})"
            )
        return f"{what} come from {names(real)}"

    def markdown(self) -> str:
        """A few lines for a report."""
        cap = f" of a ${self.usd_cap:.4f} cap" if self.usd_cap is not None else ""
        lines = [
            f"- {self.provenance()}",
            f"- {self.calls} LLM call(s), {self.failures} failed, {self.retries} retried "
            f"attempt(s), {self.refused} refused by the USD cap",
            f"- {self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion tokens, "
            f"${self.cost_usd:.6f}{cap}"
            + (f" ({self.unpriced_calls} call(s) unpriced)" if self.unpriced_calls else ""),
        ]
        return "\n".join(lines)
