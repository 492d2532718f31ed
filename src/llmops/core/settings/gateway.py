"""Settings of the gateway: model aliases, the built-in simulator, concurrency and the USD cap."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

SIMULATOR = "simulator"


class ModelAlias(BaseModel):
    """One model alias (`candidate`, `judge`, ...): which model, where, and how to call it.

    Routing: `provider: simulator` (or a bare model name such as `gpt-4o-mini` with no provider
    and no api_base) goes to the built-in simulator; a provider-prefixed litellm model string such
    as `openai/gpt-4o-mini` or `anthropic/claude-haiku-4-5` goes to that provider.
    """

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="litellm model string, e.g. gpt-4o-mini or openai/gpt-4o-mini")
    provider: str | None = Field(
        None, description="'simulator' or a litellm provider; default: from the model string"
    )
    api_base: str | None = Field(None, description="base URL of an OpenAI-compatible endpoint")
    api_key: SecretStr | None = Field(None, description="API key (prefer api_key_env)")
    api_key_env: str | None = Field(
        None, description="NAME of the environment variable holding the API key"
    )
    kind: Literal["chat", "embedding"] = Field("chat", description="chat or embedding model")
    params: dict[str, Any] = Field(
        default_factory=dict, description="default call parameters (temperature, max_tokens, ...)"
    )
    timeout_s: float = Field(60.0, gt=0, description="timeout of one attempt in seconds")
    max_retries: int = Field(4, ge=0, description="retries on 429/5xx/timeouts/connection errors")
    fallbacks: list[str] = Field(
        default_factory=list, description="aliases tried in order when the retries run out"
    )

    @property
    def uses_simulator(self) -> bool:
        """True when calls go to the built-in simulator."""
        if self.provider is not None:
            return self.provider == SIMULATOR
        return "/" not in self.model and self.api_base is None

    @property
    def bare_model(self) -> str:
        """The model name without a provider prefix."""
        return self.model.split("/", 1)[1] if "/" in self.model else self.model


def default_models() -> dict[str, ModelAlias]:
    """The aliases used when none are configured: all served by the simulator."""
    return {
        "candidate": ModelAlias(model="gpt-4o-mini"),
        "judge": ModelAlias(model="gpt-4o", params={"temperature": 0}),
        "embedder": ModelAlias(model="text-embedding-3-small", kind="embedding"),
    }


def merge_models(value: Any) -> Any:
    """Configured aliases over the defaults: a partly configured default alias keeps its other
    fields (LLMOPS_MODELS__CANDIDATE__MODEL=openai/gpt-4o-mini changes only the model)."""
    if not isinstance(value, dict):
        return value
    merged: dict[str, Any] = {}
    defaults = default_models()
    for name, default in defaults.items():
        given = value.get(name)
        if given is None:
            merged[name] = default
        elif isinstance(given, dict):
            merged[name] = {**default.model_dump(exclude_unset=True), **given}
        else:
            merged[name] = given
    merged.update({k: v for k, v in value.items() if k not in defaults})
    return merged


class SimulatorSettings(BaseModel):
    """Where the built-in simulator answers and how an autostarted one begins."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="loopback host of the simulator")
    port: int = Field(8765, ge=1, le=65535, description="its port")
    model_version: int = Field(1, ge=1, description="version an autostarted simulator serves")
    latency_ms: float = Field(0.0, ge=0, description="mean latency of an autostarted simulator")
    error_rate: float = Field(0.0, ge=0, le=1, description="injected error share (autostarted)")
    autostart: bool = Field(True, description="start it in the background when nothing answers")
    startup_timeout_s: float = Field(60.0, gt=0, description="wait this long for /health")

    @property
    def url(self) -> str:
        """Base URL without /v1."""
        return f"http://{self.host}:{self.port}"


class GatewaySettings(BaseModel):
    """Defaults of every Gateway: concurrency, USD cap, backoff."""

    model_config = ConfigDict(extra="forbid")

    concurrency: int = Field(8, ge=1, description="calls in flight at once (per event loop)")
    usd_cap: float | None = Field(
        None, ge=0, description="USD a gateway (= a run) may spend; None: no cap"
    )
    backoff_base_s: float = Field(0.5, ge=0, description="first backoff ceiling (full jitter)")
    backoff_max_s: float = Field(20.0, ge=0, description="largest backoff ceiling")
    retry_after_max_s: float = Field(60.0, ge=0, description="longest Retry-After honoured")
