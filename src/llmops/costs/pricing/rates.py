"""Per-model rate tables for the SQL cost path, measured from litellm's own calculators.

litellm prices a chat/completion call as a sum, over the kinds of tokens in its usage, of count
times rate, where every rate is fixed once three things are known: the model, the pricing context
(on demand, Batch API, or a service tier) and the size of the prompt (long-context `_above_Nk_tokens`
prices and `tiered_pricing` tables switch every rate at once at a prompt-size threshold). Within one
(context, prompt-size tier) the cost is linear in the token counts, so each rate can be *measured*:
ask litellm (`litellm.cost_per_token` with a usage object, or `batch_cost_calculator` for Batch API
calls, the functions litellm itself prices such calls with) for the cost of a probe usage made of
one kind of token only, at a prompt size inside the tier, and divide by the count. Whatever the
provider-specific calculator does (Anthropic, Gemini/Vertex, Bedrock, Azure, xAI, Dashscope,
Perplexity, ...: cache-read and cache-write rates, reasoning, audio and image rates, fall-backs to
the input rate, half-price batch defaults, router fees) is then reproduced, not re-implemented.

Where the tiers start is read from the model's price entry: every `*_above_<N>[k]_tokens` key (plain,
batch or service-tier) and every `tiered_pricing` range bound. Each threshold N is probed on both
sides of N and at N itself, so litellm's threshold semantics (a prompt of exactly N tokens is
above for xAI and not for everyone else; `tiered_pricing` ranges are (start, end]; an empty prompt
has no tier) come out of litellm rather than from a rule here; tiers whose rates all agree are
merged. Vertex AI's 128k rule for Gemini 1.x prices *output* by the completion's own size; that
shows up as an output-size threshold (`out_above`) and is measured the same way.

The kinds of tokens, in the canonical usage convention (`llmops.costs.pricing.sql`): text input
(the rest of the prompt), cache reads, cache writes, audio input, image input, text output (the
rest of the completion), reasoning, audio output.

Not expressible from the logged columns, so priced as litellm does when the usage does not say:
Anthropic's 1-hour cache writes (all cache writes bill at the 5-minute rate), Anthropic's `speed:
fast` and `inference_geo` multipliers, OpenAI data-residency and Vertex regional-endpoint uplifts,
cached audio tokens, image/video output tokens, web-search and other tool fees, and off-peak
windows (`off_peak_pricing`, DeepSeek-V4 and Tencent entries): the tables are measured at a moment
outside every off-peak window of the model, i.e. at standard rates.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from llmops.costs.pricing.book import Price, bundled_price_map, litellm_module

# Pricing contexts, in column order. 'std' is on-demand; the rest name litellm service tiers
# (`ServiceTier`; 'fast' prices as 'priority' in litellm) and 'batch' is the Batch API.
CONTEXTS: tuple[str, ...] = ("std", "batch", "flex", "priority", "balanced", "ultrafast")
# Token kinds, in column order.
COMPONENTS: tuple[str, ...] = (
    "input",
    "cache_read",
    "cache_write",
    "audio_input",
    "image_input",
    "output",
    "reasoning",
    "audio_output",
)
MAX_TIERS = 6  # prompt-size tiers per model (the bundled map needs at most 5)

_ABOVE = re.compile(r"_above_(\d+(?:\.\d+)?k?)_tokens")
_PROBE = 1024  # token count of probes: a power of two keeps count * rate / count exact


class RateError(ValueError):
    """A model's costs do not fit the rate-table model (more tiers than the columns hold)."""


@dataclass(frozen=True)
class RateTable:
    """A model's rates, USD per token.

    `tiers[k]` is the lowest prompt size (exclusive) tier k starts above: tier k applies when
    input_tokens > tiers[k]; tiers[0] is None (everything else). `rates[context][k]` holds the rates
    of tier k in COMPONENTS order. When `out_above` is set, a non-batch call whose output_tokens
    exceed it bills all its output tokens at `out_above_rate` instead.
    """

    tiers: tuple[int | None, ...]
    rates: dict[str, tuple[tuple[float | None, ...], ...]]
    out_above: int | None = None
    out_above_rate: float | None = None


def flat_table(price: Price) -> RateTable:
    """Rates of an override price: flat, the same in every context except batch discounts."""
    row = (
        price.input,
        price.cached_input,
        price.cache_write if price.cache_write is not None else price.input,
        price.input,
        price.input,
        price.output,
        price.output,
        price.output,
    )
    batch = tuple(r * (1 - (price.batch_discount or 0.0)) for r in row)
    return RateTable(
        tiers=(None,), rates={c: ((batch if c == "batch" else row),) for c in CONTEXTS}
    )


def rate_table(price: Price) -> RateTable | None:
    """The rate table of a price; None when litellm cannot price the model at all.

    A litellm price is measured under the name it was found by (as litellm would be asked for
    the logged call); when litellm raises for that name but prices the map key itself, the key
    is used (Vertex AI Model Garden names `publisher/model`: `cost_per_token` drops the publisher
    and finds no entry, while `vertex_ai/publisher/model` is in the map).
    """
    if price.source != "priced" or price.model is None:
        return flat_table(price)
    table = litellm_rate_table(price.model, price.provider, price.key)
    if table is None and price.key != price.model:
        table = litellm_rate_table(price.key, price.provider, price.key)
    return table


# --- probing litellm --------------------------------------------------------------------------


def _usage(
    prompt: int,
    completion: int,
    *,
    cached: int = 0,
    write: int = 0,
    audio_in: int = 0,
    image_in: int = 0,
    reasoning: int = 0,
    audio_out: int = 0,
):
    """A litellm Usage in litellm's (OpenAI-style) convention: totals include their parts."""
    litellm = litellm_module()
    prompt_details = {
        k: v
        for k, v in (
            ("cached_tokens", cached),
            ("cache_creation_tokens", write),
            ("audio_tokens", audio_in),
            ("image_tokens", image_in),
        )
        if v
    }
    completion_details = {
        k: v for k, v in (("reasoning_tokens", reasoning), ("audio_tokens", audio_out)) if v
    }
    return litellm.Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        prompt_tokens_details=prompt_details or None,
        completion_tokens_details=completion_details or None,
    )


def litellm_cost(
    model: str, provider: str | None, usage, service_tier: str | None
) -> tuple[float, float]:
    """(prompt, completion) cost of one call as litellm prices it.

    `service_tier` 'batch' is a Batch API call: litellm prices each line of a batch's output with
    `batch_cost_calculator`; anything else goes to `cost_per_token` with that service tier (what
    `completion_cost` does once it has the usage and the tier).
    """
    litellm = litellm_module()
    if service_tier == "batch":
        from litellm.cost_calculator import batch_cost_calculator

        return batch_cost_calculator(usage=usage, model=model, custom_llm_provider=provider)
    return litellm.cost_per_token(
        model=model,
        custom_llm_provider=provider,
        usage_object=usage,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        service_tier=None if service_tier == "std" else service_tier,
    )


def _entries(model: str, provider: str | None, key: str) -> list[dict]:
    """The price entries the model's rules can come from: the map entry and litellm's info."""
    litellm = litellm_module()
    found = [bundled_price_map().get(key) or {}]
    # an alias get_model_info cannot place: the map entry alone
    with contextlib.suppress(Exception):
        found.append(dict(litellm.get_model_info(model, custom_llm_provider=provider)))
    return found


def _thresholds(entries: list[dict]) -> tuple[set[int], bool]:
    """Prompt sizes where some price of the model changes, and whether it has tiered_pricing."""
    found: set[int] = set()
    tiered = False
    for entry in entries:
        for name, value in entry.items():
            match = _ABOVE.search(name)
            if match and "cost" in name and value is not None:
                text = match.group(1)
                found.add(round(float(text.rstrip("k")) * (1000 if text.endswith("k") else 1)))
        for tier in entry.get("tiered_pricing") or []:
            tiered = True
            for bound in tier.get("range") or []:
                found.add(round(float(bound)))
    return found, tiered


def _peak_moment(entries: list[dict]) -> datetime:
    """A moment outside every off-peak window of the model (standard rates)."""
    from litellm.litellm_core_utils.llm_cost_calc.utils import _open_off_peak_block

    start = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)  # a Monday
    info = next((e for e in entries if e.get("off_peak_pricing")), None)
    if info is None:
        return start
    for half_hours in range(7 * 48):
        moment = start + timedelta(minutes=30 * half_hours)
        if _open_off_peak_block(info, moment) is None:
            return moment
    return start  # always off-peak: the off-peak rates are the model's rates


def _probe_points(breaks: list[int]) -> list[int]:
    """One prompt size inside each interval [0, b1], (b1, b2], ..., (bn, inf) of the breaks."""
    points = []
    lows = [None, *breaks]
    highs = [*breaks, None]
    for lo, hi in zip(lows, highs, strict=True):
        if lo is None:
            if hi == 0:
                points.append(0)
                continue
            cap = _PROBE if hi is None else min(hi, _PROBE)
            points.append(1 << (cap.bit_length() - 1))
            continue
        pow2 = 1 << lo.bit_length()  # smallest power of two above lo
        points.append(pow2 if hi is None or pow2 <= hi else lo + 1)
    return points


def _measure(model: str, provider: str | None, ctx: str, prompt: int) -> list[float | None]:
    """The 8 rates of one context at one prompt size (prompt-side ones None at size 0)."""
    q = _PROBE

    def cost(usage) -> tuple[float, float]:
        return litellm_cost(model, provider, usage, ctx)

    if prompt == 0:
        _, out = cost(_usage(0, q))
        _, reasoning = cost(_usage(0, q, reasoning=q))
        _, audio_out = cost(_usage(0, q, audio_out=q))
        return [None] * 5 + [out / q, reasoning / q, audio_out / q]
    p = prompt
    text, out = cost(_usage(p, q))
    cached, reasoning = cost(_usage(p, q, cached=p, reasoning=q))
    write, audio_out = cost(_usage(p, q, write=p, audio_out=q))
    audio_in, _ = cost(_usage(p, 0, audio_in=p))
    image_in, _ = cost(_usage(p, 0, image_in=p))
    prompt_side = [text, cached, write, audio_in, image_in]
    return [c / p for c in prompt_side] + [out / q, reasoning / q, audio_out / q]


def _same(a: list[float | None], b: list[float | None]) -> bool:
    return all(
        (x is None and y is None)
        or (x is not None and y is not None and math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-30))
        for x, y in zip(a, b, strict=True)
    )


def authenticates(provider: str | None) -> bool:
    """Whether litellm runs an OAuth device flow (network) to place this provider's models
    (github_copilot, chatgpt): its batch calculator would, so batch calls stay unpriced."""
    from litellm.constants import PROVIDERS_THAT_AUTHENTICATE_ON_PROVIDER_INFO

    return provider in PROVIDERS_THAT_AUTHENTICATE_ON_PROVIDER_INFO


def cache_dir() -> Path:
    """Where measured rate tables are kept between processes: `LLMOPS_CACHE_DIR`, else the
    user's cache folder (`$XDG_CACHE_HOME/llmops`, `~/.cache/llmops`)."""
    if root := os.environ.get("LLMOPS_CACHE_DIR"):
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "llmops"


def _cache_file(model: str, provider: str | None, key: str) -> Path:
    """The cache file of a measurement: named by litellm's version and a hash of what the
    measurement depends on (the model, its provider, its map entry), so a new litellm or a
    changed price map (or a change to this module) measures again."""
    from importlib.metadata import version

    entry = bundled_price_map().get(key) or {}
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # how it was measured
    ident = json.dumps([model, provider, key, entry, code], sort_keys=True, default=str)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return cache_dir() / f"rates-litellm-{version('litellm')}" / f"{digest}.json"


def _to_json(table: RateTable | None) -> str:
    if table is None:
        return "null"
    return json.dumps(
        {
            "tiers": table.tiers,
            "rates": table.rates,
            "out_above": table.out_above,
            "out_above_rate": table.out_above_rate,
        }
    )


def _from_json(text: str) -> RateTable | None:
    data = json.loads(text)
    if data is None:
        return None
    return RateTable(
        tiers=tuple(data["tiers"]),
        rates={c: tuple(tuple(row) for row in rows) for c, rows in data["rates"].items()},
        out_above=data["out_above"],
        out_above_rate=data["out_above_rate"],
    )


@lru_cache(maxsize=4096)
def litellm_rate_table(model: str, provider: str | None, key: str) -> RateTable | None:
    """A litellm-priced model's rate table: measured once per litellm version and map entry and
    kept on disk (importing litellm and probing it costs seconds per process; reading the
    kept table, microseconds). An unwritable cache folder only costs the re-measurement."""
    path = _cache_file(model, provider, key)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return _from_json(path.read_text())
    table = measure_rate_table(model, provider, key)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(_to_json(table))
        tmp.replace(path)  # atomic: concurrent ingests never read half a file
    return table


def measure_rate_table(model: str, provider: str | None, key: str) -> RateTable | None:
    """Measure a litellm-priced model's rate table (see the module docstring).

    None when litellm cannot price the model on demand (it raises); a context litellm cannot
    price (it raises, or it would authenticate over the network) gets no rates (cost NULL).
    """
    from litellm._internal_context import pinned_billing_time

    entries = _entries(model, provider, key)
    thresholds, tiered = _thresholds(entries)
    breaks = sorted(
        {b for t in thresholds for b in (t - 1, t) if b >= 0} | ({0} if tiered else set())
    )
    points = _probe_points(breaks)
    names = " ".join(name for entry in entries for name in entry)
    contexts = [c for c in CONTEXTS if c in ("std", "batch") or f"_{c}" in names]
    nothing = [[None] * len(COMPONENTS) for _ in points]
    measured: dict[str, list[list[float | None]]] = {}
    with pinned_billing_time(_peak_moment(entries)):
        for c in contexts:
            if c == "batch" and authenticates(provider):
                measured[c] = nothing
                continue
            try:
                measured[c] = [_measure(model, provider, c, p) for p in points]
            except Exception:  # litellm cannot price this model (in this context): it raised
                if c == "std":
                    return None
                measured[c] = nothing
        out_above, out_rate = _output_threshold(model, provider, thresholds, points[0])
    for c in CONTEXTS:
        measured.setdefault(c, measured["std"])
    # an empty prompt has no prompt-side costs: borrow the next tier's so that tiers can merge
    for c in CONTEXTS:
        rows = measured[c]
        for i in range(len(rows) - 2, -1, -1):
            rows[i] = [rows[i + 1][j] if v is None else v for j, v in enumerate(rows[i])]
    lows: list[int | None] = [None, *breaks]
    keep = [0]
    for i in range(1, len(points)):
        if not all(_same(measured[c][keep[-1]], measured[c][i]) for c in CONTEXTS):
            keep.append(i)
    if len(keep) > MAX_TIERS:
        raise RateError(f"{key}: {len(keep)} prompt-size tiers, the price table holds {MAX_TIERS}")
    return RateTable(
        tiers=tuple(lows[i] for i in keep),
        rates={c: tuple(tuple(measured[c][i]) for i in keep) for c in CONTEXTS},
        out_above=out_above,
        out_above_rate=out_rate,
    )


def _output_threshold(
    model: str, provider: str | None, thresholds: set[int], prompt: int
) -> tuple[int | None, float | None]:
    """An output size above which litellm bills all output at another rate (Vertex AI 128k)."""
    p = max(prompt, 1)
    for t in sorted(x for x in thresholds if x >= 1):
        _, at = litellm_cost(model, provider, _usage(p, t), "std")
        _, above = litellm_cost(model, provider, _usage(p, t + 1), "std")
        if not math.isclose(at / t, above / (t + 1), rel_tol=1e-12, abs_tol=1e-30):
            return t, above / (t + 1)
    return None, None
