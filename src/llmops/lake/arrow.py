"""Arrow schemas of the lake tables, derived from schema.TABLES."""

from __future__ import annotations

import pyarrow as pa

from llmops.lake.schema import TABLES, Column

_TYPES = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "BOOLEAN": pa.bool_(),
}


def arrow_schema(columns: tuple[Column, ...]) -> pa.Schema:
    """Arrow schema for documented columns."""
    return pa.schema([(c.name, _TYPES[c.type]) for c in columns])


def all_schemas() -> dict[str, pa.Schema]:
    """Arrow schema of every lake table."""
    return {name: arrow_schema(cols) for name, cols in TABLES.items()}
