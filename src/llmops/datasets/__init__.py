"""Golden datasets: versioned store, import, Great Expectations validation, dedup, split, diff.

Submodules import their heavy libraries (polars, Great Expectations, datasketch, MLflow) lazily
or at their own import, so `import llmops.datasets` stays cheap.
"""

from __future__ import annotations

from llmops.datasets.schema import FIELDS, SCHEMA_VERSION, Item, canonical_jsonl, version_id

__all__ = ["FIELDS", "SCHEMA_VERSION", "Item", "canonical_jsonl", "version_id"]
