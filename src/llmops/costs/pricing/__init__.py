"""Costs by litellm's own rules: prices from litellm's bundled map (offline) or a YAML override
table, resolved per logged model, and a vectorized DuckDB path proven equal to litellm's
calculators (tests/llmops/costs/test_pricing_equivalence.py).

- `book`: which price a logged (provider, requested, served) model gets (`PriceBook`).
- `providers`: provider names as logs spell them -> litellm's (`normalize_provider`).
- `rates`: per-model rate tables, measured from litellm's calculators.
- `sql`: the price table of a chunk (`resolve_models`, `PRICE_SCHEMA`) and the cost SQL.
"""

from llmops.costs.pricing.book import (
    Price,
    PriceBook,
    PriceFile,
    PriceOverride,
    Resolved,
    bundled_price_map,
    litellm_lookup,
    litellm_price,
    load_overrides,
)
from llmops.costs.pricing.providers import normalize_provider
from llmops.costs.pricing.rates import RateTable, litellm_cost, rate_table
from llmops.costs.pricing.sql import PRICE_SCHEMA, cost_sql, cost_status_sql, resolve_models

__all__ = [
    "PRICE_SCHEMA",
    "Price",
    "PriceBook",
    "PriceFile",
    "PriceOverride",
    "RateTable",
    "Resolved",
    "bundled_price_map",
    "cost_sql",
    "cost_status_sql",
    "litellm_cost",
    "litellm_lookup",
    "litellm_price",
    "load_overrides",
    "normalize_provider",
    "rate_table",
    "resolve_models",
]
