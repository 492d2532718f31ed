"""Send the canaries of one alias through the gateway and summarise the served identity."""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from llmops.model_watch.canaries import CANARIES, MAX_TOKENS, canary_set_hash

if TYPE_CHECKING:
    from llmops.gateway import Gateway

PURPOSE = "model-watch"


class Probe(BaseModel):
    """What one alias answered to the canaries."""

    alias: str
    observed_at: datetime
    provider: str
    requested_model: str
    served_model: str | None
    system_fingerprint: str | None
    canary_hash: str
    canary_hashes: list[str]
    canary_set: str
    simulated: bool
    latency_ms: float
    cost_usd: float | None


def output_hash(text: str | None) -> str:
    """Hash of one canary output, whitespace-normalised."""
    return hashlib.sha256(" ".join((text or "").split()).encode()).hexdigest()[:8]


def _most_common(values: list[str | None]) -> str | None:
    """The value most responses reported (ties: the smallest), so one odd reply is not a change."""
    counts = Counter(values)
    best = max(counts.values())
    return sorted((v for v, n in counts.items() if n == best), key=lambda v: v or "")[0]


async def probe_alias(gateway: Gateway, alias: str) -> Probe:
    """Send every canary at temperature 0; a canary that fails makes the probe fail."""
    responses: list[Any] = await asyncio.gather(
        *(
            gateway.acompletion(
                alias,
                list(messages),
                temperature=0,
                max_tokens=MAX_TOKENS,
                metadata={"purpose": PURPOSE},
            )
            for messages in CANARIES
        )
    )
    outputs = [r.choices[0].message.content for r in responses]
    hashes = [output_hash(o) for o in outputs]
    records = [r for r in gateway.records if r.alias == alias and r.ok][-len(CANARIES) :]
    costs = [r.cost_usd for r in records]
    return Probe(
        alias=alias,
        observed_at=datetime.now(UTC),
        provider=records[-1].provider,
        requested_model=records[-1].requested_model,
        served_model=_most_common([r.model for r in responses]),
        system_fingerprint=_most_common(
            [getattr(r, "system_fingerprint", None) for r in responses]
        ),
        canary_hash=hashlib.sha256("\n".join(hashes).encode()).hexdigest()[:16],
        canary_hashes=hashes,
        canary_set=canary_set_hash(),
        simulated=any(r.simulated for r in records),
        latency_ms=sum(r.latency_ms for r in records) / len(records),
        cost_usd=None if any(c is None for c in costs) else sum(c or 0.0 for c in costs),
    )
