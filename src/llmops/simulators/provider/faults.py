"""Deterministic latency and fault injection keyed by request content and attempt number."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from llmops.simulators.provider.config import SimulatorConfig

FaultKind = Literal["rate_limit", "server_error", "timeout"]


def request_key(body: dict[str, Any]) -> str:
    """A stable hash of a request body (same request, same key)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the given parts."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Decision:
    """What happens to one attempt: its latency and an optional fault."""

    attempt: int
    latency_s: float
    fault: FaultKind | None


class FaultPlan:
    """Counts attempts per request so a retry of a failed request rolls the dice again."""

    def __init__(self, config: SimulatorConfig) -> None:
        """Start with no attempts seen."""
        self.config = config
        self._attempts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def decide(self, key: str) -> Decision:
        """Latency and fault for the next attempt of the request with this key."""
        with self._lock:
            attempt = self._attempts[key]
            self._attempts[key] += 1
        cfg = self.config
        latency = cfg.latency_ms / 1000 * (0.5 + unit(cfg.seed, key, attempt, "latency"))
        fault: FaultKind | None = None
        if unit(cfg.seed, key, attempt, "error") < cfg.error_rate:
            kind = unit(cfg.seed, key, attempt, "kind")
            if kind < cfg.timeout_share:
                fault = "timeout"
            else:
                rest = (kind - cfg.timeout_share) / max(1 - cfg.timeout_share, 1e-9)
                fault = "rate_limit" if rest < 0.5 else "server_error"
        return Decision(attempt=attempt, latency_s=latency, fault=fault)
