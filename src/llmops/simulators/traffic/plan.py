"""The simulated call plan: volumes, timing, tokens, latency, text, errors and the plants."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass

import numpy as np

from llmops.simulators.traffic import text as tx
from llmops.simulators.traffic.model import (
    BATCH,
    BY_NAME,
    FEATURES,
    FINGERPRINTS,
    HOUR,
    MICROS,
    MINUTE,
    Call,
    Schedule,
    in_burst,
    in_slow,
    rng_for,
    within,
)

LATENCY_MEDIAN_S = {"gpt-4o-mini": 1.0, "gpt-4o": 1.5, "claude-haiku-4-5": 1.2, "llama3.1:8b": 0.8}
ERRORS: dict[str, list[tuple[str, str, str]]] = {
    "openai": [
        ("RateLimitError", "429", "Rate limit reached for requests per min (RPM): Limit 10000."),
        ("InternalServerError", "500", "The server had an error while processing your request."),
        ("Timeout", "408", "Request timed out."),
    ],
    "anthropic": [
        ("InternalServerError", "529", "Overloaded"),
        ("RateLimitError", "429", "Number of request tokens has exceeded your per-minute limit."),
    ],
    "ollama": [("APIConnectionError", "500", "Connection refused: llama3.1:8b is loading.")],
}
RATE_LIMIT_429 = (
    "RateLimitError",
    "429",
    "litellm.RateLimitError: OpenAIException - Rate limit reached for gpt-4o-mini in "
    "organization org-lumen on requests per min (RPM): Limit 10000, Used 10000, Requested 1.",
)

ERROR_RATE = 0.003
PLANT_SHARE = 0.02  # calls whose user input carries PII, a secret or an injection
BURST_FAIL = 0.7
BURST_MIN_CALLS = 6  # gpt-4o-mini calls per 5-minute window of the burst, at least
BURST_MIN_ERRORS = 4  # errors per 5-minute window of the burst, at least
SLOW_MIN_CALLS = 18
BACKOFF_S = (1.0, 2.0, 4.0)
_DIURNAL = np.array([0.3 + np.exp(-(((h + 0.5 - 13.5) / 4.0) ** 2)) for h in range(24)])
HOUR_WEIGHTS = _DIURNAL / _DIURNAL.sum()  # busiest 12-15 UTC, a floor at night


@dataclass
class Plan:
    """Every call of a run plus what was planted in the text."""

    schedule: Schedule
    calls: list[Call]
    planted_values: dict[str, str]
    pii_calls: int
    injection_calls: int


def _slots(s: Schedule, calls_per_day: int, seed: int) -> list[Call]:
    """Call skeletons per day: diurnal, lighter on weekends, topped up inside the plant windows."""
    rv, rt, rm = rng_for(seed, "volume"), rng_for(seed, "time"), rng_for(seed, "model")
    shares = np.array([f.share for f in FEATURES])
    calls: list[Call] = []
    for d in range(s.days):
        base = s.day_us(d)
        weekend = (s.start + dt.timedelta(days=d)).weekday() >= 5
        n = round(calls_per_day * (0.6 if weekend else 1.0) * np.exp(rv.normal(0, 0.04)))
        day_calls: list[Call] = []
        for f, k in zip(FEATURES, rv.multinomial(max(n, 1), shares), strict=True):
            hours = rt.choice(24, size=k, p=HOUR_WEIGHTS)
            offs = rt.integers(0, HOUR, size=k)
            weights = np.array([m[2] for m in f.models])
            picks = rm.choice(len(f.models), size=k, p=weights / weights.sum())
            for h, o, m in zip(hours, offs, picks, strict=True):
                prov, model, _ = f.models[m]
                day_calls.append(Call(d, f.name, prov, model, base + int(h) * HOUR + int(o)))
        k = 50 + int(rv.integers(-3, 4))
        for o in np.sort(rt.integers(0, 10 * MINUTE, size=k)):
            day_calls.append(Call(d, BATCH.name, "openai", "gpt-4o-mini", base + 2 * HOUR + int(o)))
        if d == s.burst_day:
            b0 = s.burst()[0]
            for w in range(6):
                win = (b0 + w * 5 * MINUTE, b0 + (w + 1) * 5 * MINUTE)
                have = sum(1 for c in day_calls if in_burst(c, s) and within(c.start_us, win))
                for t in rt.integers(win[0], win[1], size=max(0, BURST_MIN_CALLS - have)):
                    day_calls.append(Call(d, "support-chat", "openai", "gpt-4o-mini", int(t)))
        if d == s.slow_day:
            win = s.slow()
            have = sum(1 for c in day_calls if in_slow(c, s))
            for t in rt.integers(win[0], win[1], size=max(0, SLOW_MIN_CALLS - have)):
                day_calls.append(Call(d, "support-chat", "anthropic", "claude-haiku-4-5", int(t)))
        calls.extend(sorted(day_calls, key=lambda c: c.start_us))
    for i, c in enumerate(calls):
        c.seq = i
    return calls


def _assign_people(calls: list[Call], s: Schedule, seed: int) -> None:
    """Prompt version, user, session, trace and system fingerprint of each call."""
    ru = rng_for(seed, "users")
    weights = 1.0 / (np.arange(400) + 5.0)
    users = ru.choice(400, size=len(calls), p=weights / weights.sum())
    fp_switch = s.days // 2
    for c, u in zip(calls, users, strict=True):
        c.prompt_version = s.version(c.feature, c.day)
        c.trace_key = ru.bytes(16).hex()
        if c.feature != BATCH.name:
            c.user_id = f"user-{int(u) + 1:04d}"
            digest = hashlib.blake2b(f"{c.user_id}:{c.day}".encode(), digest_size=8)
            c.session_id = f"sess-{digest.hexdigest()}"
        if c.model in FINGERPRINTS:
            late = (c.day >= fp_switch) != (ru.random() < 0.03)
            c.fingerprint = FINGERPRINTS[c.model][int(late)]


def _lognormal_mean_pinned(
    rng: np.random.Generator, n: int, median: float, sigma: float
) -> np.ndarray:
    """Lognormal draws rescaled so the group mean sits within ~1.5% of the distribution mean."""
    x = median * np.exp(sigma * rng.standard_normal(n))
    target = median * np.exp(sigma**2 / 2) * (1 + 0.015 * rng.standard_normal())
    return np.maximum(1, np.rint(x * target / x.mean())).astype(np.int64)


def _assign_tokens(calls: list[Call], s: Schedule, seed: int) -> None:
    """Token counts (daily mean pinned per scope), cache hits and latency, slow hour included."""
    rk, rl = rng_for(seed, "tokens"), rng_for(seed, "latency")
    groups: dict[tuple[int, str, str, str], list[Call]] = {}
    for c in calls:
        groups.setdefault((c.day, c.feature, c.model, c.prompt_version), []).append(c)
    for (day, feat, model, version), group in groups.items():
        f = BY_NAME[feat]
        spike = (day, feat, model, version) == (s.spike_day, "support-chat", "gpt-4o-mini", "v4")
        med_out = f.completion_tokens * (3 if spike else 1)
        inp = _lognormal_mean_pinned(rk, len(group), f.prompt_tokens, 0.3)
        out = _lognormal_mean_pinned(rk, len(group), med_out, 0.35)
        cached = np.zeros(len(group), dtype=np.int64)
        eligible = np.flatnonzero(inp >= 1024)
        if f.cache_share and len(eligible):
            chosen = rk.choice(eligible, size=round(f.cache_share * len(eligible)), replace=False)
            share = rk.uniform(0.55, 0.85, size=len(chosen))
            cached[chosen] = np.maximum(1024, (inp[chosen] * share) // 128 * 128)
        lat = LATENCY_MEDIAN_S[model] * np.exp(0.28 * rl.standard_normal(len(group)))
        lat *= (out / f.completion_tokens) ** 0.25
        lat = np.clip(np.minimum(lat, 3.6 + 0.4 * rl.random(len(group))), 0.25, None)
        ttft = lat * rl.uniform(0.12, 0.35, size=len(group))
        for i, c in enumerate(group):
            c.input_tokens, c.output_tokens, c.cached_tokens = (
                int(inp[i]),
                int(out[i]),
                int(cached[i]),
            )
            c.latency_s, c.ttft_s = round(float(lat[i]), 6), round(float(ttft[i]), 6)
    for c in calls:
        if in_slow(c, s):
            c.latency_s = round(
                float(np.clip(6.8 * np.exp(0.18 * rl.standard_normal()), 5.3, 11.5)), 6
            )
            c.ttft_s = round(c.latency_s * float(rl.uniform(0.3, 0.5)), 6)


def _assign_text(calls: list[Call], s: Schedule, seed: int) -> tuple[dict[str, str], int, int]:
    """User inputs and answers per feature, with PII, secrets and injections in ~2%."""
    rt, rp = rng_for(seed, "text"), rng_for(seed, "pii")
    rb = rng_for(seed, "batch-text")  # its own stream: the other calls' texts stay as they were
    for c in calls:
        if c.feature == "support-chat":
            c.user_text, c.output_text = tx.support_text(rt)
            if c.day == s.spike_day and c.prompt_version == "v4" and c.model == "gpt-4o-mini":
                c.output_text += tx.SPIKE_EXTRA
        elif c.feature == "doc-search":
            c.user_text, c.output_text = tx.docs_text(rt)
        elif c.feature == "summarize":
            c.user_text, c.output_text = tx.pick(rt, tx.SUMMARIES)
        elif c.feature == "email-draft":
            c.user_text, c.output_text = tx.pick(rt, tx.EMAILS)
        elif c.feature == "internal-tools":
            c.user_text, c.output_text = tx.pick(rt, tx.INTERNAL)
        else:  # a batch ticket to classify: the customer's message is in the Batch input file
            c.output_text = tx.TICKETS[rt.integers(0, len(tx.TICKETS))]
            c.user_text = tx.support_text(rb)[0]
    pool = tx.pii_pool(rp)
    kinds = list(tx.PII_TEMPLATES)
    eligible = [
        c for c in calls if c.feature != BATCH.name and not in_burst(c, s) and not in_slow(c, s)
    ]
    k = max(len(kinds) + 3, round(PLANT_SHARE * len(eligible)))
    chosen = [eligible[i] for i in rp.choice(len(eligible), size=k, replace=False)]
    n_pii = max(len(kinds), round(0.6 * k))
    planted: dict[str, str] = {}
    for i, c in enumerate(chosen[:n_pii]):
        picks = [kinds[i % len(kinds)]]
        if rp.random() < 0.3:
            picks.append(kinds[rp.integers(0, len(kinds))])
        sentences = []
        for kind in picks:
            value = pool[kind][rp.integers(0, len(pool[kind]))]
            planted[value] = kind
            c.plants.append(value)
            sentences.append(tx.PII_TEMPLATES[kind].format(v=value))
        c.user_text = " ".join([c.user_text, *sentences])
    for c in chosen[n_pii:]:
        phrase = tx.INJECTIONS[rp.integers(0, len(tx.INJECTIONS))]
        c.user_text = phrase if rp.random() < 0.5 else f"{c.user_text} {phrase}"
        c.injection = True
    return dict(sorted(planted.items())), n_pii, len(chosen) - n_pii


def _fail(c: Call, err: tuple[str, str, str], latency_s: float) -> None:
    """Turn a call into a failed one (no output, no cost)."""
    c.status, c.error = "error", err
    c.output_tokens = c.cached_tokens = 0
    c.latency_s, c.ttft_s = round(latency_s, 6), 0.0
    c.output_text = ""


def _assign_errors(calls: list[Call], s: Schedule, seed: int) -> None:
    """Background errors at ~0.3%, at most one per model and 5-minute bucket."""
    re_ = rng_for(seed, "errors")
    used: set[tuple[str, str, int]] = set()
    draws = re_.random(len(calls))
    for c, u in zip(calls, draws, strict=True):
        bucket = (c.provider, c.model, c.start_us // (5 * MINUTE))
        if u >= ERROR_RATE or in_burst(c, s) or in_slow(c, s) or bucket in used:
            continue
        used.add(bucket)  # at most one normal error per model and 5-minute bucket
        options = ERRORS[c.provider]
        err = options[re_.integers(0, len(options))]
        lat = re_.uniform(3.0, 3.9) if err[1] == "408" else re_.uniform(0.1, 1.5)
        _fail(c, err, float(lat))


def _chain(
    c: Call, rng: np.random.Generator, end: int, force: bool
) -> tuple[list[Call], int, float]:
    """Burst retries of one call: failed copies, final start, final failure latency (0: ok)."""
    fails: list[Call] = []
    t = c.start_us
    for k in range(len(BACKOFF_S) + 1):
        failed = rng.random() < BURST_FAIL or (force and k == 0)
        if t >= end or not failed:
            break
        dur = float(rng.uniform(0.08, 0.45))
        if k == len(BACKOFF_S):
            return fails, t, dur
        copy = dataclasses.replace(c, start_us=t, attempt=k, plants=list(c.plants))
        _fail(copy, RATE_LIMIT_429, dur)
        fails.append(copy)
        t += int((dur + BACKOFF_S[k] * rng.uniform(0.8, 1.25)) * MICROS)
    return fails, t, 0.0


def _apply_burst(calls: list[Call], s: Schedule, seed: int) -> list[Call]:
    """Plant the 429 burst: ~70% of attempts fail, clients retry, every 5 minutes has 4+ errors."""
    rb = rng_for(seed, "burst")
    b0, b1 = s.burst()
    originals = [c for c in calls if in_burst(c, s)]
    res = {c.seq: _chain(c, rb, b1, False) for c in originals}

    def errors_in(w0: int) -> int:
        n = 0
        for fails, t, final in res.values():
            times = [f.start_us for f in fails] + ([t] if final else [])
            n += sum(1 for x in times if w0 <= x < w0 + 5 * MINUTE)
        return n

    for w0 in range(b0, b1, 5 * MINUTE):
        for c in [c for c in originals if w0 <= c.start_us < w0 + 5 * MINUTE]:
            if errors_in(w0) >= BURST_MIN_ERRORS:
                break
            fails, _, final = res[c.seq]
            if not fails and not final:  # first attempt succeeded: make it fail
                res[c.seq] = _chain(c, rb, b1, True)
    extra: list[Call] = []
    for c in originals:
        fails, t, final = res[c.seq]
        extra.extend(fails)
        c.start_us, c.attempt = t, len(fails)
        if final:
            _fail(c, RATE_LIMIT_429, final)
    return sorted(calls + extra, key=lambda c: (c.start_us, c.seq, c.attempt))


def build_plan(start: dt.date, days: int, calls_per_day: int, seed: int) -> Plan:
    """Every call of the run, ordered by start time, with the three anomalies planted."""
    s = Schedule(start, days)
    calls = _slots(s, calls_per_day, seed)
    _assign_people(calls, s, seed)
    _assign_tokens(calls, s, seed)
    planted, n_pii, n_inj = _assign_text(calls, s, seed)
    _assign_errors(calls, s, seed)
    calls = _apply_burst(calls, s, seed)
    ri = rng_for(seed, "ids")
    for c in calls:
        c.key = ri.bytes(16).hex()
    return Plan(s, calls, planted, n_pii, n_inj)
