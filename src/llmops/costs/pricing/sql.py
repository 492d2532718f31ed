"""The vectorized cost path: a small price table per chunk, and DuckDB SQL over it.

The token columns of a call (BIGINT, NULL when not logged) follow litellm's `Usage` convention,
OpenAI style, where totals include their parts:

- `input_tokens`: every prompt token, INCLUDING cache reads, cache writes, audio and image tokens.
  For Anthropic that is Anthropic's `input_tokens + cache_creation_input_tokens +
  cache_read_input_tokens`: litellm's Anthropic adapter counts its `prompt_tokens` so (and tiers
  such as `_above_200k_tokens` compare that total).
- `output_tokens`: every completion token, INCLUDING reasoning and audio output tokens (for Gemini
  `candidatesTokenCount + thoughtsTokenCount`, as litellm counts `completion_tokens`).
- `cached_tokens` (cache reads), `cache_write_tokens` (cache creation), `audio_input_tokens`,
  `image_input_tokens`: parts of input_tokens; `reasoning_tokens`, `audio_output_tokens`: parts of
  output_tokens. A NULL part counts as 0 when its total is known; the rest of a total (total minus
  its parts, at least 0) is text.
- `service_tier` (VARCHAR): NULL (on demand), 'batch' (Batch API, priced by litellm's
  `batch_cost_calculator`), or a tier as logged: 'flex', 'priority' ('fast' is priority in
  litellm), 'balanced', 'ultrafast', Gemini's trafficType names ON_DEMAND_FLEX and
  ON_DEMAND_PRIORITY; anything else ('default', 'standard', 'auto', 'scale', 'on_demand')
  prices on demand, as litellm does. Compared case-insensitively.

`resolve_models` builds the price table (`PRICE_SCHEMA`, one row per distinct logged model) once per
chunk; `cost_sql` and `cost_status_sql` are plain arithmetic and CASE over the row's columns and the
joined price row, so costs of millions of rows stay in DuckDB. The common call (on demand, prompt in
the model's first size tier) is one dot product with rate row 0; other calls pick their rate row
through the context's selector.
"""

from __future__ import annotations

import logging

import pyarrow as pa

from llmops.costs.pricing.book import PriceBook
from llmops.costs.pricing.rates import (
    COMPONENTS,
    CONTEXTS,
    MAX_TIERS,
    RateError,
    RateTable,
    rate_table,
)

log = logging.getLogger(__name__)

PRICED_STATUSES = ("priced", "override")
MAX_RATE_ROWS = 10  # distinct rate vectors per model (the bundled map needs at most 8)
UNPRICED_ROW = 15  # selector digit: litellm cannot price this context (cost NULL)
PARTS_IN = ("cached_tokens", "cache_write_tokens", "audio_input_tokens", "image_input_tokens")
PARTS_OUT = ("reasoning_tokens", "audio_output_tokens")


class TooManyRates(RateError):
    """A model needs more distinct rate rows than PRICE_SCHEMA holds."""


def rate_column(component: str, row: int) -> str:
    """Name of a rate column: component of rate row `row`, e.g. `input_0`, `cache_write_3`."""
    return f"{component}_{row}"


PRICE_SCHEMA = pa.schema(
    [
        ("model_key", pa.string()),  # f"{provider or ''}|{requested}|{served or ''}", as logged
        ("provider", pa.string()),  # litellm's provider name (normalized or inferred)
        ("model", pa.string()),  # the requested model (provider prefix removed when not logged)
        ("cost_status", pa.string()),  # 'priced' | 'override' | 'unpriced'
        ("priced_model", pa.string()),  # price-map (or override) key
        # prompt-size tier k (1..5) applies when input_tokens > tier_k (NULL: no such tier)
        *[(f"tier_{k}", pa.int64()) for k in range(1, MAX_TIERS)],
        # a non-batch call with output_tokens > out_above bills output at the "output-above" rows
        ("out_above", pa.int64()),
        # per context (on demand, batch, flex, priority, balanced, ultrafast): hex digit k of
        # rows_<context> is the rate row of prompt tier k, digit 6 + k the same with output above
        # out_above; digit 15: litellm cannot price calls in this context
        *[(f"rows_{ctx}", pa.int64()) for ctx in CONTEXTS],
        # rate rows, USD per token (row 0: on demand, first prompt tier)
        *[
            (rate_column(comp, r), pa.float64())
            for r in range(MAX_RATE_ROWS)
            for comp in COMPONENTS
        ],
    ]
)


def _price_columns(table: RateTable | None, key: str) -> dict[str, float | int | None]:
    """PRICE_SCHEMA's tier, selector and rate columns for a rate table (all NULL: unpriced)."""
    cols: dict[str, float | int | None] = {f"tier_{k}": None for k in range(1, MAX_TIERS)}
    cols["out_above"] = None
    cols |= {f"rows_{ctx}": None for ctx in CONTEXTS}
    cols |= {rate_column(c, r): None for r in range(MAX_RATE_ROWS) for c in COMPONENTS}
    if table is None:
        return cols
    for k, low in enumerate(table.tiers[1:], start=1):
        cols[f"tier_{k}"] = low
    cols["out_above"] = table.out_above
    rows: list[tuple[float, ...]] = [table.rates[CONTEXTS[0]][0]]
    for ctx in CONTEXTS:
        selector = 0
        for hi in (0, 1):
            for k in range(MAX_TIERS):
                rates = table.rates[ctx][min(k, len(table.tiers) - 1)]
                if rates[0] is None:
                    digit = UNPRICED_ROW
                else:
                    if hi and ctx != "batch" and table.out_above is not None:
                        rates = rates[:5] + (table.out_above_rate,) * 3
                    if rates not in rows:
                        rows.append(rates)
                    digit = rows.index(rates)
                selector |= digit << (4 * (k + MAX_TIERS * hi))
        cols[f"rows_{ctx}"] = selector
    if len(rows) > MAX_RATE_ROWS:
        raise TooManyRates(
            f"{key}: {len(rows)} distinct rate rows, the table holds {MAX_RATE_ROWS}"
        )
    for r, rates in enumerate(rows):
        for comp, rate in zip(COMPONENTS, rates, strict=True):
            cols[rate_column(comp, r)] = rate
    return cols


def resolve_models(triples: list[dict[str, str | None]], book: PriceBook) -> pa.Table:
    """Price table (PRICE_SCHEMA) for the distinct (provider, requested, served) of a chunk.

    Input dicts have `r_provider`, `r_requested_model`, `r_served_model` as logged. A model that
    litellm cannot price (no map entry, or its calculator raises) is 'unpriced': its cost is NULL,
    never 0.
    """
    rows = []
    for t in triples:
        provider, requested, served = t["r_provider"], t["r_requested_model"], t["r_served_model"]
        res = book.resolve(provider, requested, served)
        try:
            table = rate_table(res.price) if res.price else None
            columns = _price_columns(table, res.price.key if res.price else requested)
        except RateError as e:  # the table cannot hold this model's rules: unpriced, loudly
            log.warning("%s: left unpriced", e)
            table, columns = None, _price_columns(None, requested)
        rows.append(
            {
                "model_key": f"{provider or ''}|{requested}|{served or ''}",
                "provider": res.provider,
                "model": res.model,
                "cost_status": res.price.source if table is not None else "unpriced",
                "priced_model": res.price.key if table is not None else None,
                **columns,
            }
        )
    return pa.Table.from_pylist(rows, schema=PRICE_SCHEMA)


def _n(col: str) -> str:
    return f"coalesce({col}, 0)"


# service_tier values (lower-cased) of each non-default context
CONTEXT_NAMES: dict[str, tuple[str, ...]] = {
    "batch": ("batch",),
    "flex": ("flex", "on_demand_flex"),
    "priority": ("priority", "fast", "on_demand_priority"),
    "balanced": ("balanced",),
    "ultrafast": ("ultrafast",),
}


def selector_sql(m: str = "m") -> str:
    """SQL: the selector (`rows_<context>`) of a row's service_tier; on demand for NULL and for
    every name not in CONTEXT_NAMES."""
    whens = " ".join(
        f"WHEN '{name}' THEN {m}.rows_{ctx}" for ctx in CONTEXTS[1:] for name in CONTEXT_NAMES[ctx]
    )
    default = f"{m}.rows_{CONTEXTS[0]}"
    return (
        f"CASE WHEN service_tier IS NULL THEN {default} "
        f"ELSE CASE lower(service_tier) {whens} ELSE {default} END END"
    )


def rate_row_sql(m: str = "m") -> str:
    """SQL: the rate row (0..MAX_RATE_ROWS-1, or UNPRICED_ROW) a row's call bills at: the digit of
    its context's selector for its prompt-size tier (plus MAX_TIERS when a non-batch call's
    output is above out_above)."""
    tier = " ".join(
        f"WHEN {m}.tier_{k} IS NULL OR {_n('input_tokens')} <= {m}.tier_{k} THEN {k - 1}"
        for k in range(1, MAX_TIERS)
    )
    above = (
        f"{_n('output_tokens')} > {m}.out_above AND coalesce(lower(service_tier), '') <> 'batch'"
    )
    shift = (
        f"(CASE {tier} ELSE {MAX_TIERS - 1} END) + CASE WHEN {above} THEN {MAX_TIERS} ELSE 0 END"
    )
    return f"(({selector_sql(m)}) >> (4 * ({shift}))) & 15"


def _dot(m: str, row: int) -> str:
    """SQL: the call's cost at rate row `row`: each kind of token times its rate."""
    text_in = f"greatest({_n('input_tokens')} - {' - '.join(_n(c) for c in PARTS_IN)}, 0)"
    text_out = f"greatest({_n('output_tokens')} - {' - '.join(_n(c) for c in PARTS_OUT)}, 0)"
    counts = [text_in, *(_n(c) for c in PARTS_IN), text_out, *(_n(c) for c in PARTS_OUT)]
    return " + ".join(
        f"{count} * {m}.{rate_column(comp, row)}"
        for count, comp in zip(counts, COMPONENTS, strict=True)
    )


def cost_sql(m: str = "m") -> str:
    """SQL: cost_usd (DOUBLE) of a row, from its token columns and the joined price row `m`.

    NULL when the model is unpriced, the call's usage is unknown (input and output both NULL), or
    litellm cannot price the call's context. The common call (on demand, prompt within the first
    size tier, output not above out_above) bills at rate row 0 directly; any other picks its row
    from its context's selector.
    """
    common = (
        f"service_tier IS NULL AND ({m}.tier_1 IS NULL OR {_n('input_tokens')} <= {m}.tier_1) "
        f"AND ({m}.out_above IS NULL OR {_n('output_tokens')} <= {m}.out_above)"
    )
    rows = " ".join(f"WHEN {r} THEN {_dot(m, r)}" for r in range(MAX_RATE_ROWS))
    return (
        f"CASE WHEN {m}.cost_status NOT IN {PRICED_STATUSES} OR {m}.cost_status IS NULL "
        f"OR (input_tokens IS NULL AND output_tokens IS NULL) THEN NULL "
        f"WHEN {common} THEN {_dot(m, 0)} "
        f"ELSE CASE {rate_row_sql(m)} {rows} END END"
    )


def cost_status_sql(m: str = "m") -> str:
    """SQL: cost_status of a row: 'no_usage' when a priced (or overridden) model's call logged
    neither input nor output tokens; 'unpriced' when the model is, or when litellm cannot price
    the call's context (a Batch API call of github_copilot, say); else the model's status."""
    unpriced = f"(({selector_sql(m)}) & 15) = {UNPRICED_ROW}"
    return (
        f"CASE WHEN {m}.cost_status NOT IN {PRICED_STATUSES} OR {m}.cost_status IS NULL "
        f"THEN coalesce({m}.cost_status, 'unpriced') "
        f"WHEN input_tokens IS NULL AND output_tokens IS NULL THEN 'no_usage' "
        f"WHEN service_tier IS NULL THEN {m}.cost_status "
        f"WHEN {unpriced} THEN 'unpriced' ELSE {m}.cost_status END"
    )
