"""Stratified dev/test split by a tag prefix, stable across versions and input order.

Items keep the split they already have (their own `split:` tag, else the parent version's). New
items fill each stratum up to round(test_fraction * stratum size) in the order of a seeded hash
of their id, so the assignment never depends on row order and never moves an existing item.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from llmops.datasets.config import SplitSpec
from llmops.datasets.schema import Item, tag_value

DEV, TEST = "dev", "test"


def _order(seed: str, item_id: str) -> str:
    return hashlib.sha256(f"{seed}\0{item_id}".encode()).hexdigest()


def assign_split(items: list[Item], spec: SplitSpec, previous: dict[str, str]) -> list[Item]:
    """Items with exactly one `split:dev|test` tag each."""
    strata: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        strata[tag_value(item.tags, spec.stratify_by) or ""].append(item)
    out: list[Item] = []
    for members in strata.values():
        known = {i.id: tag_value(i.tags, "split") or previous.get(i.id) for i in members}
        known = {k: v for k, v in known.items() if v in (DEV, TEST)}
        target = round(spec.test_fraction * len(members))
        need = max(0, target - sum(v == TEST for v in known.values()))
        fresh = sorted(
            (i for i in members if i.id not in known), key=lambda i: _order(spec.seed, i.id)
        )
        chosen = {i.id: (TEST if n < need else DEV) for n, i in enumerate(fresh)}
        for item in members:
            split = known.get(item.id) or chosen[item.id]
            tags = sorted({t for t in item.tags if not t.startswith("split:")} | {f"split:{split}"})
            out.append(item.model_copy(update={"tags": tags}))
    return out


def split_counts(items: list[Item], stratify_by: str) -> dict[str, dict[str, int]]:
    """stratum -> split -> items."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for i in items:
        counts[tag_value(i.tags, stratify_by) or ""][tag_value(i.tags, "split") or ""] += 1
    return {k: dict(v) for k, v in sorted(counts.items())}
