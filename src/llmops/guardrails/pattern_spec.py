"""The shape of one pattern detector, shared by the PII and secret pattern tables."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PatternSpec:
    """One pattern detector: candidate regex plus the validator that confirms a candidate."""

    label: str
    detector: str  # "pii" | "secret"
    severity: str
    regex: str
    validator: str | None = None

    @property
    def placeholder(self) -> str:
        """Replacement token used when scrubbing, e.g. "[EMAIL]"."""
        return f"[{self.label.upper()}]"
