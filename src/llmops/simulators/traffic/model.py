"""The vocabulary of the simulated traffic: features, models, prices, the schedule, a call."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field

import numpy as np

MICROS = 1_000_000
MINUTE = 60 * MICROS
HOUR = 60 * MINUTE
DAY = 24 * HOUR
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# USD per million tokens (input, cached input, output); self-hosted ollama has no public price.
PRICES: dict[tuple[str, str], tuple[float, float, float]] = {
    ("openai", "gpt-4o-mini"): (0.15, 0.075, 0.60),
    ("openai", "gpt-4o"): (2.50, 1.25, 10.00),
    ("anthropic", "claude-haiku-4-5"): (1.00, 0.10, 5.00),
}
SERVED = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4o": "gpt-4o-2024-08-06",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    "llama3.1:8b": "llama3.1:8b",
}
FINGERPRINTS = {
    "gpt-4o-mini": ("fp_0aa8d3e20b", "fp_7fcd609668"),
    "gpt-4o": ("fp_b705f0c291", "fp_f9f4fb6dbf"),
}


@dataclass(frozen=True)
class Feature:
    """One app feature: its share of calls, owner team, prompt, log format and models."""

    name: str
    share: float
    team: str
    prompt: str
    fmt: str
    models: tuple[tuple[str, str, float], ...]
    prompt_tokens: int
    completion_tokens: int
    cache_share: float


FEATURES = (
    Feature(
        "support-chat",
        0.55,
        "support",
        "support-answer",
        "litellm",
        (("openai", "gpt-4o-mini", 0.8), ("anthropic", "claude-haiku-4-5", 0.2)),
        700,
        170,
        0.35,
    ),
    Feature(
        "doc-search", 0.20, "docs", "docs-qa", "otel", (("openai", "gpt-4o", 1.0),), 2200, 120, 0.4
    ),
    Feature(
        "summarize",
        0.10,
        "research",
        "summarize",
        "langfuse",
        (("anthropic", "claude-haiku-4-5", 1.0),),
        1800,
        220,
        0.3,
    ),
    Feature(
        "email-draft",
        0.10,
        "sales",
        "email-draft",
        "helicone",
        (("openai", "gpt-4o-mini", 1.0),),
        350,
        260,
        0.0,
    ),
    Feature(
        "internal-tools",
        0.05,
        "platform",
        "internal-assistant",
        "generic",
        (("ollama", "llama3.1:8b", 1.0),),
        500,
        300,
        0.0,
    ),
)
BATCH = Feature(
    "ticket-triage", 0.0, "support-ops", "ticket-triage", "openai-batch",
    (("openai", "gpt-4o-mini", 1.0),), 450, 30, 0.0,
)  # fmt: skip
BY_NAME = {f.name: f for f in (*FEATURES, BATCH)}


@dataclass(frozen=True)
class Schedule:
    """Which day holds what: prompt rollouts, the three plants, the overlap and the OTLP file."""

    start: dt.date
    days: int

    @property
    def v4_day(self) -> int:
        """Day support-answer v4 replaces v3."""
        return round(0.4 * self.days)

    @property
    def docs_v2_day(self) -> int:
        """Day docs-qa v2 replaces v1."""
        return round(0.55 * self.days)

    @property
    def spike_day(self) -> int:
        """Day of the cost spike (about 70% in, never in the first 8 days)."""
        return max(8, round(0.7 * (self.days - 1)))

    @property
    def burst_day(self) -> int:
        """Day of the 429 burst."""
        return round(0.45 * (self.days - 1))

    @property
    def slow_day(self) -> int:
        """Day of the slow hour."""
        return self.spike_day + 1 if self.spike_day + 1 < self.days else self.spike_day - 1

    @property
    def overlap_day(self) -> int:
        """Day whose LiteLLM file is partly re-delivered."""
        return 2

    @property
    def otlp_day(self) -> int:
        """Day whose spans are written as one OTLP/JSON envelope."""
        return 1

    def day_us(self, day: int) -> int:
        """Epoch microseconds of a day's midnight UTC."""
        return (self.start - EPOCH.date()).days * DAY + day * DAY

    def burst(self) -> tuple[int, int]:
        """The error burst window, 14:00-14:30 UTC (epoch microseconds)."""
        start = self.day_us(self.burst_day) + 14 * HOUR
        return start, start + 30 * MINUTE

    def slow(self) -> tuple[int, int]:
        """The slow hour, 09:00-10:00 UTC (epoch microseconds)."""
        start = self.day_us(self.slow_day) + 9 * HOUR
        return start, start + HOUR

    def version(self, feature: str, day: int) -> str:
        """The prompt version a feature runs on a given day."""
        if feature == "support-chat":
            return "v3" if day < self.v4_day else "v4"
        if feature == "doc-search":
            return "v1" if day < self.docs_v2_day else "v2"
        return "v1"


@dataclass
class Call:
    """One logged LLM request (a retry attempt is its own call)."""

    day: int
    feature: str
    provider: str
    model: str
    start_us: int
    seq: int = 0
    prompt_version: str = "v1"
    user_id: str = ""
    session_id: str = ""
    trace_key: str = ""
    key: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    latency_s: float = 0.0
    ttft_s: float = 0.0
    status: str = "success"
    error: tuple[str, str, str] | None = None
    fingerprint: str | None = None
    user_text: str = ""
    output_text: str = ""
    attempt: int = 0
    plants: list[str] = field(default_factory=list)
    injection: bool = False

    @property
    def spec(self) -> Feature:
        """The feature this call belongs to."""
        return BY_NAME[self.feature]

    @property
    def end_us(self) -> int:
        """When the response finished (epoch microseconds)."""
        return self.start_us + round(self.latency_s * MICROS)

    @property
    def cost(self) -> float | None:
        """USD at list price (0 for failures), None when the model has no public price."""
        price = PRICES.get((self.provider, self.model))
        if price is None:
            return None
        if self.status != "success":
            return 0.0
        fresh = self.input_tokens - self.cached_tokens
        usd = fresh * price[0] + self.cached_tokens * price[1] + self.output_tokens * price[2]
        return round(usd / 1e6, 10)


def rng_for(seed: int, stream: str) -> np.random.Generator:
    """An independent random stream per purpose, so one change does not shift the others."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def within(t: int, window: tuple[int, int]) -> bool:
    """Whether epoch microseconds t fall in the half-open window."""
    return window[0] <= t < window[1]


def in_burst(c: Call, s: Schedule) -> bool:
    """Whether a call is an interactive gpt-4o-mini call inside the burst window."""
    return c.model == "gpt-4o-mini" and c.feature != BATCH.name and within(c.start_us, s.burst())


def in_slow(c: Call, s: Schedule) -> bool:
    """Whether a call is a claude-haiku-4-5 call inside the slow hour."""
    return c.model == "claude-haiku-4-5" and within(c.start_us, s.slow())
