"""Prices per token from litellm's bundled map (offline), with a YAML override table."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from llmops.core.config_files import load_yaml_model


class PriceOverride(BaseModel):
    """Negotiated or self-hosted price for one model, in USD per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)
    cached_input_per_million: float | None = Field(None, ge=0)


class PriceFile(BaseModel):
    """The prices YAML: `models: {"provider/model" or "model": PriceOverride}`."""

    model_config = ConfigDict(extra="forbid")

    models: dict[str, PriceOverride] = Field(default_factory=dict)


@dataclass(frozen=True)
class Price:
    """USD per token; `source` is 'priced' (litellm map) or 'override'."""

    input: float
    output: float
    cached_input: float
    source: str
    key: str


@dataclass(frozen=True)
class Resolved:
    """A model as logged, resolved to a provider and (maybe) a price."""

    provider: str | None
    model: str
    price: Price | None


def load_overrides(path: Path | None) -> dict[str, Price]:
    """Read the price-override YAML, naming the file and field of any error."""
    if path is None or not path.exists():
        return {}
    parsed = load_yaml_model(path, PriceFile)
    out = {}
    for key, o in parsed.models.items():
        cached = o.cached_input_per_million
        out[key] = Price(
            input=o.input_per_million / 1e6,
            output=o.output_per_million / 1e6,
            cached_input=(cached if cached is not None else o.input_per_million) / 1e6,
            source="override",
            key=key,
        )
    return out


@lru_cache(maxsize=1)
def bundled_price_map() -> dict[str, dict]:
    """litellm's bundled price map, read from its package data without importing litellm (~2 s)."""
    import importlib.util
    import json

    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations)))
    return json.loads((path / "model_prices_and_context_window_backup.json").read_bytes())


def _from_entry(key: str, entry: dict) -> Price:
    inp = float(entry["input_cost_per_token"])
    cached = entry.get("cache_read_input_token_cost")
    return Price(
        input=inp,
        output=float(entry.get("output_cost_per_token") or 0.0),
        cached_input=float(cached) if cached is not None else inp,
        source="priced",
        key=key,
    )


def _litellm():
    import litellm

    litellm.suppress_debug_info = True
    return litellm


@lru_cache(maxsize=4096)
def litellm_price(provider: str | None, model: str) -> tuple[str | None, Price | None]:
    """Provider and price of a model from litellm's bundled map; (provider, None) if unmapped.

    Exact entries of the map are read directly; anything else (aliases, provider routes such as
    azure/..., unknown names) goes through litellm.get_model_info.
    """
    prices = bundled_price_map()
    for key in (f"{provider}/{model}" if provider else None, model):
        entry = prices.get(key) if key else None
        if (
            entry
            and entry.get("input_cost_per_token") is not None
            and (provider is None or entry.get("litellm_provider") == provider)
        ):
            return entry.get("litellm_provider") or provider, _from_entry(key, entry)
    return litellm_lookup(provider, model)


def litellm_lookup(provider: str | None, model: str) -> tuple[str | None, Price | None]:
    """The same answer through litellm itself (aliases, provider routes); imports litellm."""
    litellm = _litellm()
    try:
        _, inferred, _, _ = litellm.get_llm_provider(model, custom_llm_provider=provider)
    except Exception:  # litellm raises BadRequestError for names it cannot place
        inferred = provider
    try:
        info = litellm.get_model_info(model, custom_llm_provider=inferred)
    except Exception:
        return inferred, None
    key = info.get("key") or model
    mapped = key in litellm.model_cost or f"{inferred}/{key}" in litellm.model_cost
    if not mapped or info.get("input_cost_per_token") is None:
        return inferred, None
    return inferred, _from_entry(str(key), dict(info))


class PriceBook:
    """Resolves logged (provider, requested, served) models to prices: overrides first."""

    def __init__(self, overrides: dict[str, Price] | None = None) -> None:
        self.overrides = overrides or {}

    def _override(self, provider: str | None, model: str | None) -> Price | None:
        if not model:
            return None
        for key in (f"{provider}/{model}" if provider else None, model):
            if key and key in self.overrides:
                return self.overrides[key]
        return None

    def resolve(self, provider: str | None, requested: str, served: str | None) -> Resolved:
        """Price by the served snapshot when known, else by the requested name."""
        if "/" in requested and provider is None:
            prefix, rest = requested.split("/", 1)
            provider, requested = prefix, rest
        for model in (served, requested):
            if price := self._override(provider, model):
                return Resolved(provider, requested, price)
        inferred, price = litellm_price(provider, requested)
        if served and served != requested:
            _, served_price = litellm_price(inferred, served)
            price = served_price or price
        return Resolved(inferred, requested, price)
