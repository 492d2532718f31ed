"""What the gateway's call records of one evaluation add up to (calls, retries, cost, provider)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel


class Usage(BaseModel):
    """LLM usage of one evaluation."""

    calls: int
    failed_calls: int
    retries: int
    cost_usd: float
    simulated: bool
    served: list[str]

    @property
    def provider_note(self) -> str | None:
        """The warning every report carries when scores come from the simulator."""
        if not self.simulated:
            return None
        return (
            "Scores come from the built-in provider simulator ("
            + ", ".join(self.served)
            + "), not a real model: configure a provider for real scores."
        )


def summarize(records: Sequence[Any]) -> Usage:
    """Totals over gateway CallRecords (generation and judge calls alike)."""
    served = Counter(
        f"{r.served_model} {r.system_fingerprint or ''}".strip()
        for r in records
        if getattr(r, "served_model", None)
    )
    return Usage(
        calls=len(records),
        failed_calls=sum(1 for r in records if getattr(r, "error", None)),
        retries=sum(max(0, (getattr(r, "attempts", 1) or 1) - 1) for r in records),
        cost_usd=float(sum(getattr(r, "cost_usd", 0.0) or 0.0 for r in records)),
        simulated=any(getattr(r, "simulated", False) for r in records),
        served=[name for name, _ in served.most_common(4)],
    )
