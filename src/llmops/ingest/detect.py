"""Tell the log formats apart from the keys of their first records."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from llmops.ingest.formats import DETECTION_ORDER


def record_format(rec: Any) -> str | None:
    """The format one parsed record belongs to, or None if it matches none (first match wins)."""
    if not isinstance(rec, dict):
        return None
    return next((name for name, fmt in DETECTION_ORDER if fmt.detects(rec)), None)


def detect(records: Iterable[Any]) -> str | None:
    """Majority format of a sample of parsed records; None when nothing matches."""
    votes = Counter(f for f in map(record_format, records) if f is not None)
    return votes.most_common(1)[0][0] if votes else None


def sample_lines(lines: Iterable[str], limit: int = 50) -> list[Any]:
    """Parse up to `limit` JSON lines, skipping those that do not parse."""
    out: list[Any] = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except (ValueError, RecursionError):  # RecursionError: nested deeper than json allows
            continue
        if len(out) >= limit:
            break
    return out
