"""Scrub PII and secrets from item fields with the shared guardrail detectors (llmops.guardrails)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from llmops.datasets.manifest import ScrubRecord

Row = dict[str, Any]
Path_ = tuple[str | int, ...]


def _strings(value: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    """Every string inside a JSON-like value, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k in sorted(value):
            yield from _strings(value[k], (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))


def _set(row: Row, path: Path_, text: str) -> None:
    target: Any = row
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = text


def _copy(row: Row) -> Row:
    return {
        k: (json.loads(json.dumps(v)) if isinstance(v, dict | list) else v) for k, v in row.items()
    }


def scrub_rows(rows: list[Row], fields: Sequence[str]) -> tuple[list[Row], list[ScrubRecord]]:
    """Replace PII/secret spans with "[EMAIL]", "[CARD]", ... in `fields` (one detector pass).

    Returns new rows and one record per row that changed (field -> label -> count).
    """
    import polars as pl

    from llmops.guardrails.patterns import ALL_LABELS
    from llmops.guardrails.spans import scrub_texts

    out = [_copy(r) for r in rows]
    where: list[tuple[int, Path_]] = []
    texts: list[str] = []
    for i, row in enumerate(out):
        for fld in fields:
            for path, text in _strings(row.get(fld), (fld,)):
                where.append((i, path))
                texts.append(text)
    if not texts:
        return out, []
    masked, counts = scrub_texts(pl.Series("text", texts, dtype=pl.Utf8))
    changed = counts.filter(pl.col("total") > 0)
    per_row: dict[int, dict[str, dict[str, int]]] = {}
    masked_list = masked.to_list()
    for rec in changed.iter_rows(named=True):
        k = rec["row"]
        i, path = where[k]
        _set(out[i], path, masked_list[k])
        fld = str(path[0])
        bucket = per_row.setdefault(i, {}).setdefault(fld, {})
        for label in ALL_LABELS:
            if rec[label]:
                bucket[label] = bucket.get(label, 0) + int(rec[label])
    records = [
        ScrubRecord(origin=out[i]["_origin"], id=out[i].get("id"), fields=f)
        for i, f in sorted(per_row.items())
    ]
    return out, records


def count_pii(rows: list[Row], fields: Sequence[str]) -> list[int]:
    """PII/secret spans left in `fields` of each row (what the no-PII expectation checks)."""
    import polars as pl

    from llmops.guardrails.spans import find_spans

    owners: list[int] = []
    texts: list[str] = []
    for i, row in enumerate(rows):
        for fld in fields:
            for _, text in _strings(row.get(fld), (fld,)):
                owners.append(i)
                texts.append(text)
    totals = [0] * len(rows)
    if texts:
        spans = find_spans(pl.Series("text", texts, dtype=pl.Utf8))
        for k in spans["row"].to_list():
            totals[owners[k]] += 1
    return totals
