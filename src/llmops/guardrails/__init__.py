"""Guardrail detectors (PII, secrets, injection, toxicity, leakage, format): pure logic."""

from __future__ import annotations

from llmops.guardrails.scan import DETECTORS, scan_frame
from llmops.guardrails.spans import find_pii, find_secrets, find_spans, scrub_texts

__all__ = ["DETECTORS", "find_pii", "find_secrets", "find_spans", "scan_frame", "scrub_texts"]
