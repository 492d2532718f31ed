"""Differences between two versions: items added, removed, changed (with the fields that changed)."""

from __future__ import annotations

import difflib

from pydantic import BaseModel, Field

from llmops.datasets.manifest import DiffCounts
from llmops.datasets.schema import FIELDS, Item, canonical_jsonl


class ChangedItem(BaseModel):
    """An item present in both versions whose content differs."""

    id: str
    fields: list[str]
    before: dict[str, object] = Field(default_factory=dict)
    after: dict[str, object] = Field(default_factory=dict)


class VersionDiff(BaseModel):
    """Item-level diff of B against A."""

    added: list[Item] = Field(default_factory=list)
    removed: list[Item] = Field(default_factory=list)
    changed: list[ChangedItem] = Field(default_factory=list)

    @property
    def counts(self) -> DiffCounts:
        """How many items were added, removed, changed."""
        return DiffCounts(
            added=len(self.added), removed=len(self.removed), changed=len(self.changed)
        )

    @property
    def empty(self) -> bool:
        """True when both versions hold the same items."""
        return not (self.added or self.removed or self.changed)


def diff_items(a: list[Item], b: list[Item]) -> VersionDiff:
    """Diff by item id; a changed item lists the fields that differ."""
    old = {i.id: i for i in a}
    new = {i.id: i for i in b}
    out = VersionDiff(
        added=[new[k] for k in sorted(new.keys() - old.keys())],
        removed=[old[k] for k in sorted(old.keys() - new.keys())],
    )
    for k in sorted(old.keys() & new.keys()):
        if old[k] == new[k]:
            continue
        before, after = old[k].model_dump(), new[k].model_dump()
        fields = [f for f in FIELDS if before[f] != after[f]]
        out.changed.append(
            ChangedItem(
                id=k,
                fields=fields,
                before={f: before[f] for f in fields},
                after={f: after[f] for f in fields},
            )
        )
    return out


def unified_jsonl_diff(a: list[Item], b: list[Item], label_a: str, label_b: str) -> list[str]:
    """`diff -u` of the two canonical JSONL files (what a pull request shows)."""
    return list(
        difflib.unified_diff(
            canonical_jsonl(a).decode().splitlines(),
            canonical_jsonl(b).decode().splitlines(),
            fromfile=label_a,
            tofile=label_b,
            lineterm="",
            n=0,
        )
    )
