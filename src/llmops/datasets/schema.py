"""The golden item schema and its canonical JSONL form (the version id is its content hash)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from llmops.datasets.errors import DatasetError

SCHEMA_VERSION = 1
FIELDS: tuple[str, ...] = (
    "id",
    "question",
    "reference_answer",
    "contexts",
    "tags",
    "source",
    "metadata",
)
KIND_REFERENCE = "reference"
KIND_NEGATIVE = "negative"
VERSION_CHARS = 16


class Item(BaseModel):
    """One golden QA item; `reference_answer` is null for labelled negatives (`kind:negative`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    question: str
    reference_answer: str | None = None
    contexts: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    source: str
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def kind(self) -> str:
        """`reference` or `negative` (from the `kind:` tag; reference when absent)."""
        return tag_value(self.tags, "kind") or KIND_REFERENCE


def tag_value(tags: Iterable[str], prefix: str) -> str | None:
    """Value of the first `prefix:value` tag (sorted order), or None."""
    values = sorted(t.split(":", 1)[1] for t in tags if t.startswith(f"{prefix}:"))
    return values[0] if values else None


def canonical_line(item: Item | dict[str, Any]) -> str:
    """One JSON line: fields in schema order, nested keys sorted, UTF-8 kept as is."""
    data = item.model_dump() if isinstance(item, Item) else item
    parts = [
        f"{json.dumps(k)}: {json.dumps(data.get(k), ensure_ascii=False, sort_keys=True)}"
        for k in FIELDS
    ]
    return "{" + ", ".join(parts) + "}"


def canonical_jsonl(items: Iterable[Item]) -> bytes:
    """Items sorted by id, one canonical line each: the exact bytes of a version's file."""
    ordered = sorted(items, key=lambda i: i.id)
    return "".join(canonical_line(i) + "\n" for i in ordered).encode()


def version_id(data: bytes) -> str:
    """Content hash of a version's canonical JSONL (same rows, same id, whatever the order)."""
    return hashlib.sha256(data).hexdigest()[:VERSION_CHARS]


def parse_jsonl(data: bytes, where: str) -> list[Item]:
    """Items of a stored version; a bad line raises naming the file and line."""
    items = []
    for n, line in enumerate(data.decode().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(Item.model_validate_json(line))
        except ValueError as exc:
            raise DatasetError(f"{where}:{n}: not a valid item: {exc}") from exc
    return items
