"""Settings of the model watch."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelWatchSettings(BaseModel):
    """Which aliases are probed and when canary drift counts as an update."""

    model_config = ConfigDict(extra="forbid")

    aliases: list[str] | None = Field(None, description="aliases to probe; default: every chat one")
    drift_probes: int = Field(
        2, ge=1, description="consecutive drifted probes that declare an update"
    )
    drift_threshold: float = Field(
        0.5, gt=0, le=1, description="share of canaries whose output changed that counts as drift"
    )
    usd_cap: float | None = Field(0.05, ge=0, description="USD one watch run may spend")
