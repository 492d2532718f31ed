"""Our vectorized DuckDB cost equals litellm's own calculators, entry by entry, mix by mix.

A deterministic sample of litellm's bundled map (chat, completion and responses entries; every
pricing feature the map has among them, every provider path of `litellm.cost_per_token`) times
several token mixes per entry (small, on both sides of and at every prompt-size threshold, cache
reads and writes, reasoning, audio, images, Batch API and service tiers) is priced twice:

- ours: `resolve_models` + `cost_sql` / `cost_status_sql` on a real DuckDB connection over an Arrow
  table of the calls, joined exactly as ingest joins them;
- litellm's: `litellm.cost_per_token(usage_object=...)` with the tier litellm would bill, or
  `batch_cost_calculator` for a Batch API call, on the Usage litellm itself would hold for the
  call (Anthropic usages through litellm's own Anthropic adapter).

They must agree to 1e-9 USD with no exception; a mismatch names the entry and the mix.
"""

from __future__ import annotations

import math
import random
import re
import time
import zlib
from collections import Counter
from dataclasses import dataclass, replace

import duckdb
import pyarrow as pa
import pytest

from llmops.costs.pricing import (
    PRICE_SCHEMA,
    PriceBook,
    bundled_price_map,
    cost_sql,
    cost_status_sql,
    litellm_cost,
    load_overrides,
    normalize_provider,
    resolve_models,
)
from llmops.costs.pricing.book import litellm_module
from llmops.costs.pricing.providers import OTEL_GENAI, PRODUCER_ALIASES, dispatch_provider
from llmops.costs.pricing.rates import CONTEXTS, _peak_moment, authenticates
from llmops.lake.schema import TOKEN_COLUMNS

litellm = litellm_module()
from litellm._internal_context import pinned_billing_time  # noqa: E402
from litellm.cost_calculator import (  # noqa: E402
    _GEMINI_TRAFFIC_TYPE_TO_SERVICE_TIER,
    _resolve_billable_service_tier,
)

TOLERANCE = 1e-9
SEED = 20250601
MODES = ("chat", "completion", "responses")
# Spellings other producers log for litellm's providers (the pipeline must normalize them).
SPELLINGS = {
    "openai": ["openai", "OpenAI", "OPENAI"],
    "anthropic": ["anthropic", "Anthropic", "ANTHROPIC"],
    "bedrock": ["bedrock", "aws.bedrock", "AWS"],
    "vertex_ai": ["vertex_ai", "gcp.vertex_ai"],
    "gemini": ["gemini", "gcp.gemini"],
    "azure": ["azure", "azure.ai.openai", "az.ai.openai", "AZURE"],
    "azure_ai": ["azure_ai", "azure.ai.inference"],
    "mistral": ["mistral", "mistral_ai", "MISTRAL"],
    "xai": ["xai", "x_ai", "X"],
    "watsonx": ["watsonx", "ibm.watsonx.ai"],
    "deepseek": ["deepseek", "DEEPSEEK"],
    "groq": ["groq", "GROQ"],
    "perplexity": ["perplexity", "PERPLEXITY"],
    "together_ai": ["together_ai", "TOGETHER"],
    "fireworks_ai": ["fireworks_ai", "FIREWORKS"],
}


@dataclass(frozen=True)
class Mix:
    """One call's usage in the canonical columns (None: not logged)."""

    name: str
    input_tokens: int | None
    output_tokens: int | None
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    audio_input_tokens: int | None = None
    audio_output_tokens: int | None = None
    image_input_tokens: int | None = None
    service_tier: str | None = None


# --- the sample -------------------------------------------------------------------------------

_ABOVE = re.compile(r"_above_(\d+(?:\.\d+)?k?)_tokens")


def thresholds(entry: dict) -> list[int]:
    found = set()
    for name, value in entry.items():
        if (match := _ABOVE.search(name)) and "cost" in name and value is not None:
            text = match.group(1)
            found.add(round(float(text.rstrip("k")) * (1000 if text.endswith("k") else 1)))
    for tier in entry.get("tiered_pricing") or []:
        found.update(round(float(b)) for b in tier.get("range") or [])
    return sorted(t for t in found if t > 0)


def features(key: str, entry: dict) -> set[str]:
    """The pricing features an entry has (what the sample must cover)."""
    names = set(entry)
    joined = " ".join(names)
    out = {f"mode:{entry.get('mode')}", f"provider:{dispatch_provider(entry['litellm_provider'])}"}
    checks = {
        "batch_rates": "_batches" in joined,
        "batch_tiers": bool(re.search(r"_above_\w+_tokens_batches", joined)),
        "above_128k": "_above_128k_tokens" in joined,
        "above_200k": "_above_200k_tokens" in joined,
        "above_other": any(t not in (128000, 200000) for t in thresholds(entry))
        and not entry.get("tiered_pricing"),
        "tiered_pricing": bool(entry.get("tiered_pricing")),
        "cache_read": "cache_read_input_token_cost" in names,
        "cache_write": "cache_creation_input_token_cost" in names,
        "cache_write_1h": "cache_creation_input_token_cost_above_1hr" in names,
        "reasoning_rate": "output_cost_per_reasoning_token" in names,
        "audio_input_rate": "input_cost_per_audio_token" in names,
        "audio_output_rate": "output_cost_per_audio_token" in names,
        "image_input_rate": "input_cost_per_image_token" in names,
        "off_peak": bool(entry.get("off_peak_pricing")),
        "xai_inclusive_threshold": entry["litellm_provider"] == "xai" and bool(thresholds(entry)),
        "vertex_128k_output": entry["litellm_provider"].startswith("vertex_ai")
        and "output_cost_per_token_above_128k_tokens" in names,
        "regional_uplift": "regional_processing_uplift_multiplier_eu" in names
        or "regional_endpoint_uplift_multiplier" in names,
    }
    out |= {name for name, has in checks.items() if has}
    out |= {f"tier:{c}" for c in CONTEXTS[2:] if f"_{c}" in joined}
    return out


def candidates() -> dict[str, dict]:
    return {
        key: entry
        for key, entry in bundled_price_map().items()
        if isinstance(entry, dict)
        and entry.get("mode") in MODES
        and entry.get("litellm_provider")
        and (
            entry.get("input_cost_per_token") is not None
            or entry.get("output_cost_per_token") is not None
            or entry.get("tiered_pricing")
        )
    }


def sample(per_feature: int = 25, per_provider: int = 4, total: int = 700) -> list[str]:
    """Up to `per_feature` entries of every pricing feature and mode and `per_provider` of every
    provider, topped up at random to `total` (seeded)."""
    rng = random.Random(SEED)
    pool = candidates()
    by_feature: dict[str, list[str]] = {}
    for key in sorted(pool):
        for feature in features(key, pool[key]):
            by_feature.setdefault(feature, []).append(key)
    chosen: set[str] = set()
    for feature in sorted(by_feature):
        keys = by_feature[feature]
        n = per_provider if feature.startswith("provider:") else per_feature
        chosen.update(rng.sample(keys, min(n, len(keys))))
    rest = sorted(set(pool) - chosen)
    chosen.update(rng.sample(rest, max(0, total - len(chosen))))
    return sorted(chosen)


def as_logged(key: str, entry: dict) -> tuple[str, str, str]:
    """(provider as some producer logs it, requested model, litellm's provider) for an entry."""
    provider = dispatch_provider(entry["litellm_provider"])
    model = key.removeprefix(f"{provider}/")
    spellings = SPELLINGS.get(provider, [provider])
    logged = spellings[zlib.crc32(key.encode()) % len(spellings)]
    return logged, model, provider


def mixes(key: str, entry: dict) -> list[Mix]:
    """Token mixes for an entry: small, each kind of token, and both sides of each threshold,
    on demand, as a Batch API call and in each service tier the entry prices."""
    base = [
        Mix("small", 1000, 200),
        Mix("cache_read", 5000, 300, cached_tokens=3000),
        Mix("cache_write", 5000, 300, cached_tokens=1000, cache_write_tokens=2000),
        Mix("reasoning", 2000, 1500, reasoning_tokens=1000),
        Mix("audio", 3000, 800, audio_input_tokens=1200, audio_output_tokens=500),
        Mix("image", 3000, 100, image_input_tokens=1500),
        Mix(
            "everything",
            50_000,
            5000,
            cached_tokens=10_000,
            cache_write_tokens=5000,
            reasoning_tokens=2000,
            audio_input_tokens=3000,
            image_input_tokens=2000,
            audio_output_tokens=1000,
        ),
        Mix("parts_not_logged", 4000, 600, cached_tokens=None, reasoning_tokens=None),
        Mix("output_only", None, 400),
        Mix("input_only", 700, None, cached_tokens=100),
        Mix("empty", 0, 0),
    ]
    for t in thresholds(entry):
        for n, size in (("below", t - 1), ("at", t), ("above", t + 1)):
            base.append(
                Mix(f"{n}_{t}", size, 1000, cached_tokens=size // 4, cache_write_tokens=size // 8)
            )
            base.append(Mix(f"{n}_{t}_plain", size, 700, reasoning_tokens=300))
        if t <= 200_000:  # Vertex AI prices output by the completion's own size
            base.append(Mix(f"output_above_{t}", 2000, t + 1, reasoning_tokens=t // 2))
    tiered = [m for m in base if m.name in ("small", "cache_write", "everything", "reasoning")]
    tiered += [m for m in base if m.name.startswith(("below", "at", "above"))]
    tiers = ["batch"] + [c for c in CONTEXTS[2:] if f"_{c}" in " ".join(entry)]
    out = list(base)
    for tier in tiers:
        out += [replace(m, name=f"{m.name}@{tier}", service_tier=tier) for m in tiered]
    # tiers as producers log them: litellm's aliases and Gemini's trafficType names
    for logged in ("fast", "ON_DEMAND_PRIORITY", "ON_DEMAND_FLEX", "default", "auto", "scale"):
        out.append(replace(base[2], name=f"cache_write@{logged}", service_tier=logged))
    return out


# --- litellm's side ---------------------------------------------------------------------------


def litellm_usage(provider: str, m: Mix):
    """The Usage litellm holds for the call: Anthropic's raw usage through litellm's Anthropic
    adapter (its prompt_tokens include cache reads and writes), else OpenAI style."""
    n = {c: getattr(m, c) or 0 for c in TOKEN_COLUMNS}
    plain = not (n["reasoning_tokens"] or n["audio_input_tokens"] or n["image_input_tokens"])
    if provider == "anthropic" and plain and not n["audio_output_tokens"]:
        raw = {
            "input_tokens": n["input_tokens"] - n["cached_tokens"] - n["cache_write_tokens"],
            "output_tokens": n["output_tokens"],
            "cache_creation_input_tokens": n["cache_write_tokens"],
            "cache_read_input_tokens": n["cached_tokens"],
        }
        return litellm.AnthropicConfig().calculate_usage(usage_object=raw, reasoning_content=None)
    prompt = {
        "cached_tokens": m.cached_tokens,
        "cache_creation_tokens": m.cache_write_tokens,
        "audio_tokens": m.audio_input_tokens,
        "image_tokens": m.image_input_tokens,
    }
    completion = {"reasoning_tokens": m.reasoning_tokens, "audio_tokens": m.audio_output_tokens}
    prompt = {k: v for k, v in prompt.items() if v}
    completion = {k: v for k, v in completion.items() if v}
    return litellm.Usage(
        prompt_tokens=n["input_tokens"],
        completion_tokens=n["output_tokens"],
        total_tokens=n["input_tokens"] + n["output_tokens"],
        prompt_tokens_details=prompt or None,
        completion_tokens_details=completion or None,
    )


def litellm_tier(logged: str | None) -> str | None:
    """The tier litellm bills a logged service_tier at ('batch': the Batch API calculator)."""
    if logged is None:
        return "std"
    if logged.lower() == "batch":
        return "batch"
    if logged.upper() in _GEMINI_TRAFFIC_TYPE_TO_SERVICE_TIER:
        return _GEMINI_TRAFFIC_TYPE_TO_SERVICE_TIER[logged.upper()] or "std"
    return _resolve_billable_service_tier(requested=None, served=logged) or "std"


def litellm_total(model: str, provider: str, m: Mix) -> float | None:
    """litellm's cost of the call; None when litellm cannot price it (a Batch API call of a
    provider whose models litellm places through an OAuth device flow, or litellm raises)."""
    tier = litellm_tier(m.service_tier)
    if tier == "batch" and authenticates(provider):
        return None
    try:
        prompt, completion = litellm_cost(model, provider, litellm_usage(provider, m), tier)
    except Exception:
        if m.name == "probe":
            raise
        return None
    return prompt + completion


# --- our side ---------------------------------------------------------------------------------


def ours(rows: list[dict], book: PriceBook) -> list[dict]:
    """cost_usd and cost_status of the calls, computed as ingest computes them."""
    calls = pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [("row_id", pa.int64())]
            + [(c, pa.string()) for c in ("r_provider", "r_requested_model", "r_served_model")]
            + [(c, pa.int64()) for c in TOKEN_COLUMNS]
            + [("service_tier", pa.string())]
        ),
    )
    con = duckdb.connect()
    try:
        con.register("calls", calls)
        triples = con.sql(
            "SELECT DISTINCT r_provider, r_requested_model, r_served_model FROM calls"
        ).to_arrow_table()
        con.register("models", resolve_models(triples.to_pylist(), book))
        return (
            con.sql(
                f"SELECT row_id, {cost_sql('m')} AS cost_usd, {cost_status_sql('m')} AS cost_status "
                "FROM calls LEFT JOIN models m ON m.model_key = coalesce(r_provider, '') || '|' || "
                "r_requested_model || '|' || coalesce(r_served_model, '') ORDER BY row_id"
            )
            .to_arrow_table()
            .to_pylist()
        )
    finally:
        con.close()


# --- the equivalence --------------------------------------------------------------------------


def test_sql_costs_equal_litellm_on_a_sample_of_the_map() -> None:
    started = time.perf_counter()
    pool = candidates()
    keys = sample()
    rows, expected, excluded, by_key = [], [], {}, []
    error: Exception | None = None

    def prices(model: str, provider: str) -> bool:
        nonlocal error
        try:
            litellm_total(model, provider, Mix("probe", 1000, 200))
        except Exception as e:  # litellm itself cannot price it under this name
            error = e
            return False
        return True

    for key in keys:
        entry = pool[key]
        logged, logged_model, provider = as_logged(key, entry)
        with pinned_billing_time(_peak_moment([entry])):
            # the name as logged, else the map key (litellm raises for some logged spellings)
            model = next((n for n in (logged_model, key) if prices(n, provider)), None)
            if model is None:
                excluded[key] = f"{type(error).__name__}: {str(error)[:90]}"
                continue
            if model != logged_model:
                by_key.append(key)
            for m in mixes(key, entry):
                rows.append(
                    {
                        "row_id": len(rows),
                        "r_provider": logged,
                        "r_requested_model": logged_model,
                        "r_served_model": None,
                        **{c: getattr(m, c) for c in TOKEN_COLUMNS},
                        "service_tier": m.service_tier,
                    }
                )
                expected.append((key, m, litellm_total(model, provider, m)))
    got = ours(rows, PriceBook())
    mismatches: list[str] = []
    unpriced_mixes: list[tuple[str, str | None]] = []
    for (key, m, want), row in zip(expected, got, strict=True):
        cost, status = row["cost_usd"], row["cost_status"]
        if m.input_tokens is None and m.output_tokens is None:
            ok = (cost, status) == (None, "no_usage")
        elif want is None:  # litellm cannot price the call: neither do we (never $0)
            unpriced_mixes.append((key, m.service_tier))
            ok = (cost, status) == (None, "unpriced")
        else:
            ok = status == "priced" and cost is not None
            ok = ok and math.isclose(cost, want, rel_tol=0, abs_tol=TOLERANCE)
        if not ok:
            mismatches.append(f"{key} / {m.name}: ours {cost!r} ({status}), litellm {want!r}")
    elapsed = time.perf_counter() - started
    covered = Counter(f for key in keys if key not in excluded for f in features(key, pool[key]))
    available = Counter(f for key, entry in pool.items() for f in features(key, entry))
    print(
        f"\n{len(keys)} entries sampled of {len(pool)}, {len(excluded)} excluded (litellm raises), "
        f"{len(rows)} calls ({len(unpriced_mixes)} litellm cannot price: "
        f"{dict(Counter(t for _, t in unpriced_mixes))}), "
        f"{len(mismatches)} mismatches, {elapsed:.1f} s; {len(by_key)} entries litellm prices "
        f"only under their map key (e.g. {by_key[:2]})"
    )
    print("features covered (sampled/available):")
    print("  " + ", ".join(f"{f} {covered[f]}/{available[f]}" for f in sorted(available)))
    for key, why in sorted(excluded.items()):
        print(f"  excluded {key}: {why}")
    print("\n".join(mismatches[:50]))
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:5]}"
    assert len(keys) - len(excluded) >= 500
    # only entries litellm cannot price are left out, and they are few
    assert len(excluded) <= 0.02 * len(keys), excluded
    missing = {f for f in available if not covered[f]}
    assert not missing, f"features not covered: {missing}"
    assert len(rows) >= 10 * len(keys)
    # the calls litellm cannot price are Batch API calls of providers it places by OAuth
    assert all(
        tier == "batch" and authenticates(as_logged(key, pool[key])[2])
        for key, tier in unpriced_mixes
    ), unpriced_mixes


# --- the named cases --------------------------------------------------------------------------


def priced(provider: str | None, model: str, m: Mix, book: PriceBook | None = None) -> dict:
    row = {
        "row_id": 0,
        "r_provider": provider,
        "r_requested_model": model,
        "r_served_model": None,
        **{c: getattr(m, c) for c in TOKEN_COLUMNS},
        "service_tier": m.service_tier,
    }
    return ours([row], book or PriceBook())[0]


def completion_cost(model: str, provider: str, usage) -> float:
    """litellm.completion_cost of a response carrying `usage` (litellm's top-level entry point)."""
    response = litellm.ModelResponse(model=model, usage=usage)
    return litellm.completion_cost(
        completion_response=response, model=model, custom_llm_provider=provider
    )


def test_openai_batch_output_is_priced_at_batch_rates() -> None:
    m = Mix("batch", 10_000, 2_000, cached_tokens=0, service_tier="batch")
    row = priced("openai", "gpt-4o", m)
    want = litellm_total("gpt-4o", "openai", m)
    assert want == pytest.approx(10_000 * 1.25e-6 + 2_000 * 5e-6)  # $0.0225, not $0.045
    assert row["cost_usd"] == pytest.approx(want, abs=TOLERANCE)
    on_demand = priced("openai", "gpt-4o", replace(m, service_tier=None))["cost_usd"]
    assert on_demand == pytest.approx(2 * want, abs=TOLERANCE)


def test_gemini_2_5_pro_long_context_tier() -> None:
    m = Mix("long", 250_000, 2_500)
    row = priced("gcp.vertex_ai", "gemini-2.5-pro", m)
    usage = litellm_usage("vertex_ai", m)
    want = completion_cost("gemini-2.5-pro", "vertex_ai", usage)
    assert want == pytest.approx(250_000 * 2.5e-6 + 2_500 * 1.5e-5)  # $0.6625 (flat: $0.3375)
    assert want == pytest.approx(litellm_total("gemini-2.5-pro", "vertex_ai", m), abs=1e-12)
    assert row["cost_usd"] == pytest.approx(want, abs=TOLERANCE)
    below = priced("vertex_ai", "gemini-2.5-pro", replace(m, input_tokens=200_000))["cost_usd"]
    assert below == pytest.approx(200_000 * 1.25e-6 + 2_500 * 1e-5, abs=TOLERANCE)


def test_anthropic_cache_writes_are_priced_as_writes() -> None:
    # Anthropic's usage: input 1000, cache_creation 20000, cache_read 5000, output 800; in the
    # canonical columns input_tokens includes both cache counts (litellm's prompt_tokens)
    raw = {
        "input_tokens": 1000,
        "output_tokens": 800,
        "cache_creation_input_tokens": 20_000,
        "cache_read_input_tokens": 5000,
    }
    usage = litellm.AnthropicConfig().calculate_usage(usage_object=raw, reasoning_content=None)
    assert usage.prompt_tokens == 26_000
    want = completion_cost("claude-sonnet-4-5", "anthropic", usage)
    assert want == pytest.approx(1000 * 3e-6 + 20_000 * 3.75e-6 + 5000 * 3e-7 + 800 * 1.5e-5)
    m = Mix("cache", 26_000, 800, cached_tokens=5000, cache_write_tokens=20_000)
    row = priced("Anthropic", "claude-sonnet-4-5", m)
    assert row["cost_usd"] == pytest.approx(
        want, abs=TOLERANCE
    )  # $0.0915 (as plain input: $0.0765)


@pytest.mark.parametrize(
    ("logged", "model", "provider"),
    [
        ("OpenAI", "gpt-4o", "openai"),
        ("OPENAI", "gpt-4o-mini", "openai"),
        ("Anthropic", "claude-haiku-4-5", "anthropic"),
        ("aws.bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock"),
        ("AWS", "anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock"),
        ("gcp.vertex_ai", "gemini-2.5-pro", "vertex_ai"),
        ("gcp.gemini", "gemini-2.5-flash", "gemini"),
        ("gcp.gen_ai", "gemini-2.5-flash", "gemini"),
        ("azure.ai.openai", "gpt-4o", "azure"),
        ("az.ai.openai", "gpt-4o", "azure"),
        ("azure.ai.inference", "claude-haiku-4-5", "azure_ai"),
        ("mistral_ai", "mistral-large-latest", "mistral"),
        ("x_ai", "grok-4.3", "xai"),
        ("ibm.watsonx.ai", "ibm/granite-3-8b-instruct", "watsonx"),
        ("deepseek", "deepseek-chat", "deepseek"),
        ("GROQ", "openai/gpt-oss-120b", "groq"),
        ("perplexity", "sonar", "perplexity"),
        ("cohere", "command-r-08-2024", "cohere_chat"),  # litellm routes cohere chat models so
    ],
)
def test_provider_names_as_logged_resolve_and_price(logged: str, model: str, provider: str) -> None:
    m = Mix("mix", 3000, 400, cached_tokens=1000)
    res = PriceBook().resolve(logged, model, None)
    assert res.provider == provider and res.price is not None
    row = priced(logged, model, m)
    assert row["cost_status"] == "priced"
    assert row["cost_usd"] == pytest.approx(litellm_total(model, provider, m), abs=TOLERANCE)
    assert row["cost_usd"] > 0


def test_normalize_provider_targets_are_litellm_providers() -> None:
    known = {str(getattr(p, "value", p)) for p in litellm.provider_list}
    known |= {
        e.get("litellm_provider") for e in bundled_price_map().values() if isinstance(e, dict)
    }
    targets = set(OTEL_GENAI.values()) | set(PRODUCER_ALIASES.values())
    assert targets <= known, targets - known
    assert normalize_provider("OpenAI") == normalize_provider(" OPENAI ") == "openai"
    assert normalize_provider("Google Vertex AI") == "vertex_ai"
    assert normalize_provider("litellm") is None and normalize_provider(None) is None
    assert normalize_provider("hosted_vllm") == "hosted_vllm"  # litellm's own names pass through


def test_unknown_usage_is_no_usage_not_free() -> None:
    row = priced("openai", "gpt-4o", Mix("none", None, None, cached_tokens=None))
    assert (row["cost_usd"], row["cost_status"]) == (None, "no_usage")
    row = priced("openai", "gpt-4o", Mix("none", None, None, service_tier="batch"))
    assert (row["cost_usd"], row["cost_status"]) == (None, "no_usage")
    # an unpriced model stays unpriced whether or not its usage is known
    row = priced("ollama", "llama3.1:8b", Mix("none", None, None))
    assert (row["cost_usd"], row["cost_status"]) == (None, "unpriced")
    row = priced("ollama", "llama3.1:8b", Mix("known", 10, 10))
    assert (row["cost_usd"], row["cost_status"]) == (None, "unpriced")
    # known totals with unknown parts: the parts count as 0
    row = priced("openai", "gpt-4o", Mix("totals", 1000, None))
    assert row["cost_status"] == "priced" and row["cost_usd"] == pytest.approx(1000 * 2.5e-6)


def test_overrides_are_flat_with_cache_writes_and_batch_discount(tmp_path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "models:\n"
        "  ollama/llama3.1:8b: {input_per_million: 1, output_per_million: 2,"
        " cached_input_per_million: 0.1, cache_write_per_million: 1.25, batch_discount: 0.5}\n"
        "  openai/gpt-4o: {input_per_million: 2, output_per_million: 8}\n"
    )
    book = PriceBook(load_overrides(path))
    m = Mix("m", 300_000, 1000, cached_tokens=100_000, cache_write_tokens=50_000)
    want = 150_000 * 1e-6 + 100_000 * 0.1e-6 + 50_000 * 1.25e-6 + 1000 * 2e-6
    row = priced("ollama", "llama3.1:8b", m, book)
    assert row["cost_status"] == "override" and row["cost_usd"] == pytest.approx(want)
    row = priced("ollama", "llama3.1:8b", replace(m, service_tier="batch"), book)
    assert row["cost_usd"] == pytest.approx(want / 2)
    # no long-context tier, no batch discount, cache reads and writes at the input rate
    row = priced("OpenAI", "gpt-4o", replace(m, service_tier="batch"), book)
    assert row["cost_usd"] == pytest.approx(300_000 * 2e-6 + 1000 * 8e-6)


def test_vertex_output_size_rule_and_served_snapshot() -> None:
    # litellm's Vertex AI calculator bills output by the completion's own size when a model has
    # *_above_128k_tokens prices (Gemini 1.x); no entry of the bundled map has them any more, so
    # register one for the test
    name = "gemini-1.5-pro-llmops-probe"
    litellm.register_model(
        {
            name: {
                "litellm_provider": "vertex_ai-language-models",
                "mode": "chat",
                "input_cost_per_token": 1.25e-6,
                "output_cost_per_token": 5e-6,
                "input_cost_per_token_above_128k_tokens": 2.5e-6,
                "output_cost_per_token_above_128k_tokens": 1e-5,
                "cache_read_input_token_cost": 3e-7,
                "input_cost_per_token_batches": 6.25e-7,
                "output_cost_per_token_batches": 2.5e-6,
            }
        }
    )
    try:
        for m in [
            Mix("small", 1000, 200, cached_tokens=500),
            Mix("long_prompt", 200_000, 1000, cached_tokens=50_000),
            Mix("long_output", 1000, 150_000, reasoning_tokens=20_000),
            Mix("both", 130_000, 129_000),
            Mix("at", 128_000, 128_000),
            Mix("long_output_batch", 1000, 150_000, service_tier="batch"),
            Mix("long_output_flex", 1000, 150_000, service_tier="flex"),
        ]:
            want = litellm_total(name, "vertex_ai", m)
            got = priced("gcp.vertex_ai", name, m)["cost_usd"]
            assert got == pytest.approx(want, abs=TOLERANCE), m.name
        long_output = priced("vertex_ai", name, Mix("o", 1000, 150_000))["cost_usd"]
        assert long_output == pytest.approx(1000 * 1.25e-6 + 150_000 * 1e-5)
    finally:
        litellm.model_cost.pop(name, None)
    # a served snapshot with its own entry is priced by it
    m = Mix("m", 10_000, 1000, cached_tokens=2000)
    row = ours(
        [
            {
                "row_id": 0,
                "r_provider": "openai",
                "r_requested_model": "gpt-4o",
                "r_served_model": "gpt-4o-2024-08-06",
                **{c: getattr(m, c) for c in TOKEN_COLUMNS},
                "service_tier": None,
            }
        ],
        PriceBook(),
    )[0]
    want = litellm_total("gpt-4o-2024-08-06", "openai", m)
    assert row["cost_usd"] == pytest.approx(want, abs=TOLERANCE)


def test_price_table_shape() -> None:
    triples = [
        {"r_provider": "OpenAI", "r_requested_model": "gpt-4o", "r_served_model": None},
        {"r_provider": None, "r_requested_model": "ollama/llama3.1:8b", "r_served_model": None},
    ]
    table = resolve_models(triples, PriceBook())
    assert table.schema == PRICE_SCHEMA
    rows = table.to_pylist()
    assert rows[0]["model_key"] == "OpenAI|gpt-4o|"  # the provider as logged
    assert (rows[0]["provider"], rows[0]["model"], rows[0]["cost_status"]) == (
        "openai",
        "gpt-4o",
        "priced",
    )
    assert rows[0]["priced_model"] == "gpt-4o" and rows[0]["input_0"] == 2.5e-6
    assert (rows[1]["provider"], rows[1]["model"], rows[1]["cost_status"]) == (
        "ollama",
        "llama3.1:8b",
        "unpriced",
    )
    assert rows[1]["priced_model"] is None and rows[1]["input_0"] is None
