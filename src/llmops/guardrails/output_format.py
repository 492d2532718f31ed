"""Output format: the output must be JSON that validates against the declared JSON Schema."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import polars as pl

FORMAT_SCHEMA = {"row": pl.UInt32, "label": pl.Utf8, "detail": pl.Utf8}
_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


@lru_cache(maxsize=256)
def _validator(schema_text: str) -> Any:
    """Compiled validator for one schema (schemas repeat across calls, so cache them)."""
    import jsonschema

    schema = json.loads(schema_text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _strip_fence(text: str) -> str:
    """Accept a single ```json fenced block around the JSON (common LLM habit)."""
    m = _FENCE.match(text)
    return m.group(1) if m else text


def _path(parts: Any) -> str:
    """JSONPath-like location of a validation error (keys and indexes only, no values)."""
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def check_one(output: str | None, schema_text: str, *, row: int = 0) -> tuple[str, str] | None:
    """(label, detail) when the output breaks the schema, else None; detail holds no data."""
    try:
        validator = _validator(schema_text)
    except Exception as exc:  # json.JSONDecodeError or jsonschema.SchemaError
        msg = f"row {row}: declared output schema is not a valid JSON Schema: {exc}"
        raise ValueError(msg) from exc
    try:
        doc = json.loads(_strip_fence(output or ""))
    except json.JSONDecodeError as exc:
        return "invalid_json", f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    first = errors[0]
    constraint = json.dumps(first.validator_value, default=str)
    if len(constraint) > 60:
        constraint = constraint[:57] + "..."
    detail = f"{_path(first.absolute_path)}: fails '{first.validator}' ({constraint})"
    if len(errors) > 1:
        detail += f" and {len(errors) - 1} more"
    return "schema_violation", detail


def check_format(outputs: pl.Series, schemas: pl.Series) -> pl.DataFrame:
    """Rows whose output is not valid JSON for the row's declared schema (null schema: skipped)."""
    if len(outputs) != len(schemas):
        raise ValueError(f"outputs ({len(outputs)} rows) and schemas ({len(schemas)}) differ")
    frame = pl.DataFrame(
        {"output": outputs.cast(pl.Utf8), "schema": schemas.cast(pl.Utf8)}
    ).with_row_index("row")
    declared = frame.filter(pl.col("schema").is_not_null() & (pl.col("schema") != ""))
    found = []
    for row, output, schema in declared.iter_rows():
        result = check_one(output, schema, row=row)
        if result is not None:
            found.append((row, *result))
    return pl.DataFrame(found, schema=FORMAT_SCHEMA, orient="row")
