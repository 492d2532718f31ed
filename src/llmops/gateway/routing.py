"""From a model alias to the litellm call: model string, endpoint, key, provider."""

from __future__ import annotations

import os
from dataclasses import dataclass

from llmops.core.errors import ConfigError
from llmops.core.settings.gateway import SIMULATOR, ModelAlias

SIMULATOR_KEY = "llmops-simulator-needs-no-key"


@dataclass(frozen=True)
class Route:
    """Where one alias' calls go."""

    alias: str
    config: ModelAlias
    model: str
    api_base: str | None
    api_key: str | None
    provider: str
    simulated: bool

    @property
    def price_key(self) -> tuple[str | None, str]:
        """(provider, model) the call is priced by: the configured model, not the snapshot."""
        if self.simulated:
            return "openai", self.config.bare_model
        if self.config.provider and "/" not in self.config.model:
            return self.config.provider, self.config.model
        return None, self.config.model


def route(name: str, alias: ModelAlias, simulator_url: str | None) -> Route:
    """The litellm parameters of an alias (simulator_url is needed for simulator aliases)."""
    if alias.uses_simulator:
        if simulator_url is None:
            raise ConfigError(f"models.{name}: simulator alias routed without a simulator URL")
        return Route(
            alias=name,
            config=alias,
            model=f"openai/{alias.bare_model}",
            api_base=alias.api_base or f"{simulator_url}/v1",
            api_key=SIMULATOR_KEY,
            provider=SIMULATOR,
            simulated=True,
        )
    model = alias.model
    if alias.provider and not model.startswith(f"{alias.provider}/"):
        model = f"{alias.provider}/{model}"
    elif "/" not in model:  # a bare name at an api_base: an OpenAI-compatible endpoint
        model = f"openai/{model}"
    provider = model.split("/", 1)[0]
    return Route(
        alias=name,
        config=alias,
        model=model,
        api_base=alias.api_base,
        api_key=_api_key(name, alias),
        provider=provider,
        simulated=False,
    )


def _api_key(name: str, alias: ModelAlias) -> str | None:
    """The configured key, the named environment variable's value, or None (litellm's default
    variable for the provider, e.g. OPENAI_API_KEY)."""
    if alias.api_key is not None:
        return alias.api_key.get_secret_value()
    if alias.api_key_env:
        value = os.environ.get(alias.api_key_env)
        if not value:
            raise ConfigError(
                f"models.{name}.api_key_env: environment variable {alias.api_key_env} is not set"
            )
        return value
    return None


def check_aliases(aliases: dict[str, ModelAlias]) -> None:
    """Every fallback names a configured alias of the same kind."""
    for name, alias in aliases.items():
        for fb in alias.fallbacks:
            if fb not in aliases:
                raise ConfigError(
                    f"models.{name}.fallbacks: unknown alias {fb!r} "
                    f"(configured: {', '.join(sorted(aliases))})"
                )
            if aliases[fb].kind != alias.kind:
                raise ConfigError(
                    f"models.{name}.fallbacks: {fb!r} is of kind {aliases[fb].kind}, "
                    f"{name!r} of kind {alias.kind}"
                )
