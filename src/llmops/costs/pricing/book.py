"""Which price a logged model gets: the YAML override table first, then litellm's bundled map."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from llmops.core.config_files import load_yaml_model
from llmops.costs.pricing.providers import dispatch_provider, normalize_provider


class PriceOverride(BaseModel):
    """Negotiated or self-hosted price for one model, in USD per million tokens.

    Flat rates: cached (cache-read) tokens at `cached_input_per_million` (default: the input
    rate), cache writes at `cache_write_per_million` (default: the input rate); audio and image
    prompt tokens at the input rate, reasoning and audio output at the output rate. Batch API calls
    get every rate times (1 - `batch_discount`) (default 0: batch calls cost the same).
    """

    model_config = ConfigDict(extra="forbid")

    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)
    cached_input_per_million: float | None = Field(None, ge=0)
    cache_write_per_million: float | None = Field(None, ge=0)
    batch_discount: float | None = Field(None, ge=0, le=1)


class PriceFile(BaseModel):
    """The prices YAML: `models: {"provider/model" or "model": PriceOverride}`."""

    model_config = ConfigDict(extra="forbid")

    models: dict[str, PriceOverride] = Field(default_factory=dict)


@dataclass(frozen=True)
class Price:
    """A model's price. `source` is 'priced' (litellm map) or 'override' (prices file).

    `input`, `output`, `cached_input` are the flat on-demand USD-per-token rates (the map's
    `input_cost_per_token`, `output_cost_per_token`, `cache_read_input_token_cost`); they are what
    a caller without token details or tiers can use. The full rules (long-context tiers, batch and
    service-tier rates, cache writes, reasoning/audio/image rates) are derived for the SQL path by
    `llmops.costs.pricing.rates.rate_table` from litellm itself, for litellm prices named by
    `model` (the name as it will be asked of litellm) and `provider` (litellm's provider for it).
    `key` is the price-map key (or the override's key).
    """

    input: float
    output: float
    cached_input: float
    source: str
    key: str
    cache_write: float | None = None
    batch_discount: float | None = None
    model: str | None = None
    provider: str | None = None


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
        write = o.cache_write_per_million
        out[key] = Price(
            input=o.input_per_million / 1e6,
            output=o.output_per_million / 1e6,
            cached_input=(cached if cached is not None else o.input_per_million) / 1e6,
            source="override",
            key=key,
            cache_write=(write if write is not None else o.input_per_million) / 1e6,
            batch_discount=o.batch_discount,
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


def _prices_tokens(entry: dict) -> bool:
    """Whether a map entry has any per-token price litellm's calculators bill from."""
    return any(
        entry.get(k) is not None
        for k in ("input_cost_per_token", "output_cost_per_token", "tiered_pricing")
    )


def _from_entry(key: str, entry: dict, model: str, provider: str | None) -> Price:
    inp = float(entry.get("input_cost_per_token") or 0.0)
    cached = entry.get("cache_read_input_token_cost")
    write = entry.get("cache_creation_input_token_cost")
    return Price(
        input=inp,
        output=float(entry.get("output_cost_per_token") or 0.0),
        cached_input=float(cached) if cached is not None else inp,
        source="priced",
        key=key,
        cache_write=float(write) if write is not None else inp,
        model=model,
        provider=provider,
    )


def litellm_module():
    """litellm, imported with its bundled price map (never the remote one): the prices stay the
    ones `bundled_price_map` reads, offline and reproducible."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


@lru_cache(maxsize=4096)
def litellm_price(provider: str | None, model: str) -> tuple[str | None, Price | None]:
    """Provider and price of a model from litellm's bundled map; (provider, None) if unmapped.

    Exact entries of the map are read directly (the entry's provider must be `provider`, or the
    provider litellm routes it to); anything else (aliases, provider routes such as azure/...,
    providers litellm renames, unknown names) goes through litellm.get_model_info.
    """
    prices = bundled_price_map()
    for key in (f"{provider}/{model}" if provider else None, model):
        entry = prices.get(key) if key else None
        if not entry or not _prices_tokens(entry):
            continue
        routed = dispatch_provider(entry.get("litellm_provider"))
        if provider is None or routed == provider:
            return routed or provider, _from_entry(key, entry, model, routed or provider)
    return litellm_lookup(provider, model)


def litellm_lookup(provider: str | None, model: str) -> tuple[str | None, Price | None]:
    """The same answer through litellm itself (aliases, provider routes); imports litellm."""
    litellm = litellm_module()
    from litellm.litellm_core_utils.get_llm_provider_logic import (
        declared_authenticating_provider,
    )

    # github_copilot / chatgpt: placing their models runs an OAuth device flow (network)
    inferred = declared_authenticating_provider(model, provider)
    if inferred is None:
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
    entry = litellm.model_cost.get(key) or litellm.model_cost.get(f"{inferred}/{key}") or {}
    if not mapped or not _prices_tokens(entry):
        return inferred, None
    return inferred, _from_entry(str(key), dict(info), model, inferred)


def _split_provider(provider: str | None, model: str) -> tuple[str | None, str]:
    """A model logged without a provider may carry it as a prefix (`openai/gpt-4o`): take it off.

    With a provider logged the name stays as it is: litellm reads provider prefixes itself, and
    some map keys repeat the provider (`perplexity/perplexity/...`).
    """
    if provider is not None or "/" not in model:
        return provider, model
    prefix, rest = model.split("/", 1)
    named = normalize_provider(prefix)
    return (named, rest) if named is not None else (provider, model)


class PriceBook:
    """Resolves logged (provider, requested, served) models to prices: overrides first."""

    def __init__(self, overrides: dict[str, Price] | None = None) -> None:
        self.overrides = overrides or {}

    def _override(self, providers: tuple[str | None, ...], model: str | None) -> Price | None:
        if not model:
            return None
        keys = [f"{p}/{model}" for p in providers if p] + [model]
        for key in keys:
            if key in self.overrides:
                return self.overrides[key]
        return None

    def resolve(self, provider: str | None, requested: str, served: str | None) -> Resolved:
        """Price by the served snapshot when known, else by the requested name.

        The provider is normalized first (`normalize_provider`: `OpenAI`, `aws.bedrock`,
        `gcp.vertex_ai` ... -> litellm's names); when none is logged, a provider prefix on the
        requested name is taken as the provider.
        """
        raw = provider.strip() if provider else None
        provider, requested = _split_provider(normalize_provider(provider), requested)
        for model in (served, requested):
            if price := self._override((provider, raw), model):
                return Resolved(provider, requested, price)
        inferred, price = litellm_price(provider, requested)
        if served and served != requested:
            _, served_price = litellm_price(inferred, served)
            price = served_price or price
        return Resolved(inferred, requested, price)
