"""Settings of the provider simulator."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4o", "text-embedding-3-small")


class SimulatorConfig(BaseModel):
    """How the simulator answers: model version, latency and injected faults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_version: int = Field(1, ge=1, description="bump to change fingerprint, name and quality")
    latency_ms: float = Field(0.0, ge=0, description="mean added latency, jittered 0.5x-1.5x")
    error_rate: float = Field(0.0, ge=0, le=1, description="share of requests that fail")
    timeout_share: float = Field(
        0.1, ge=0, le=1, description="share of injected errors that are timeouts (not 429/500)"
    )
    timeout_seconds: float = Field(30.0, ge=0, description="how long a 'timeout' error stalls")
    retry_after_seconds: float = Field(1.0, ge=0, description="Retry-After sent with a 429")
    embedding_dim: int = Field(256, ge=8, le=4096)
    seed: int = 0
    models: tuple[str, ...] = DEFAULT_MODELS

    @property
    def system_fingerprint(self) -> str:
        """`fp_sim_v<version>_<hash>`: changes with the version (and the seed)."""
        digest = hashlib.sha256(f"{self.model_version}:{self.seed}".encode()).hexdigest()[:8]
        return f"fp_sim_v{self.model_version}_{digest}"

    def served_model(self, requested: str) -> str:
        """The snapshot name reported for a requested model, e.g. `gpt-4o-mini-sim-v1`."""
        base = requested.split("-sim-v")[0] if "-sim-v" in requested else requested
        return f"{base}-sim-v{self.model_version}"
