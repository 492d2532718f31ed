"""Which rows of each lake table belong to an erasure target: one mask per table (pyarrow)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

# Per-call tables in the order they are rewritten: dependents before llm_calls, so an interrupted
# erasure can be run again and still finds the calls the dependents hang on.
ROW_TABLES = (
    "findings",
    "feedback_ledger",
    "feedback",
    "feedback_quarantine",
    "quarantine",
    "llm_calls",
)
# Derived tables holding the user's rows: removed by recomputing them, counted in the plan.
ROLLUP_TABLES = ("cost_rollup_hourly", "cost_rollup_daily")
COLUMNS = {
    "llm_calls": ("call_id", "user_hash"),
    "findings": ("call_id",),
    "feedback": ("feedback_id", "call_id", "user_hash"),
    "feedback_ledger": ("feedback_id", "call_id"),
    "quarantine": ("raw",),
    "feedback_quarantine": ("raw",),
    "cost_rollup_hourly": ("user_hash",),
    "cost_rollup_daily": ("user_hash",),
}


@dataclass
class Keys:
    """Ids whose rows go: the target's user hashes, its calls and feedback, raw-record needles."""

    user_hashes: set[str] = field(default_factory=set)
    call_ids: set[str] = field(default_factory=set)
    feedback_ids: set[str] = field(default_factory=set)
    needles: tuple[str, ...] = ()


def column(table: pa.Table, name: str) -> pa.ChunkedArray:
    """A string column, all null when an older file lacks it."""
    if name in table.column_names:
        return table.column(name)
    return pa.chunked_array([pa.nulls(table.num_rows, pa.string())])


def _in(table: pa.Table, name: str, values: set[str]) -> pa.ChunkedArray | None:
    if not values:
        return None
    return pc.is_in(column(table, name), value_set=pa.array(sorted(values), pa.string()))


def _contains(table: pa.Table, name: str, needles: tuple[str, ...]) -> list[pa.ChunkedArray]:
    raw = column(table, name)
    return [pc.match_substring(raw, n) for n in needles]


def _any(table: pa.Table, masks: list[pa.ChunkedArray | None]) -> pa.ChunkedArray:
    out = pa.chunked_array([pa.array([False] * table.num_rows, pa.bool_())])
    for m in masks:
        if m is not None:
            out = pc.or_kleene(out, pc.fill_null(m, False))
    return pc.fill_null(out, False)


def mask(name: str, table: pa.Table, keys: Keys) -> pa.ChunkedArray:
    """True for the rows of lake table `name` that belong to the target."""
    rules: dict[str, Callable[[], list[pa.ChunkedArray | None]]] = {
        "llm_calls": lambda: [
            _in(table, "call_id", keys.call_ids),
            _in(table, "user_hash", keys.user_hashes),
        ],
        "findings": lambda: [_in(table, "call_id", keys.call_ids)],
        "feedback": lambda: [
            _in(table, "feedback_id", keys.feedback_ids),
            _in(table, "call_id", keys.call_ids),
            _in(table, "user_hash", keys.user_hashes),
        ],
        "feedback_ledger": lambda: [
            _in(table, "feedback_id", keys.feedback_ids),
            _in(table, "call_id", keys.call_ids),
        ],
        "quarantine": lambda: list(_contains(table, "raw", keys.needles)),
        "feedback_quarantine": lambda: list(_contains(table, "raw", keys.needles)),
        "cost_rollup_hourly": lambda: [_in(table, "user_hash", keys.user_hashes)],
        "cost_rollup_daily": lambda: [_in(table, "user_hash", keys.user_hashes)],
    }
    return _any(table, rules[name]())
