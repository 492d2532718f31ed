"""`llmops erase`: remove a user's or a call's rows from the lake, record it, recompute what derives.

Order (each step safe to interrupt; running the erasure again finishes it):
1. plan: every row of the target in every file (`plan.build_plan`), before anything changes;
2. record the erasure (`erasures`, written ahead: a change to the lake is never unrecorded);
3. rewrite each affected file atomically, dependents first and llm_calls last (a rerun still
   finds the calls its findings and feedback hang on);
4. recount the batches' ledgers, then recompute the cost rollups and alerts.
A rerun finds no rows: it changes nothing and records nothing (status `already_erased`).
"""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from llmops.core.errors import LlmopsError
from llmops.core.settings import Settings
from llmops.lake.arrow import all_schemas
from llmops.lake.files import ensure_lake, table_dir
from llmops.privacy.ledgers import refresh_ledgers
from llmops.privacy.match import ROLLUP_TABLES, mask
from llmops.privacy.plan import ErasurePlan, build_plan
from llmops.privacy.record import Erasure, new_erasure, past_erasures, write_erasure
from llmops.privacy.rewrite import drop_rows
from llmops.privacy.target import Kind, Target, readings

ROLLUP_OUTPUTS = [*ROLLUP_TABLES, "alerts"]


class ErasureError(LlmopsError):
    """The id names no user or call in the lake (and none was erased before)."""


class ErasureResult(BaseModel):
    """What an erasure removed (or, dry run, would remove) and recomputed."""

    status: Literal["erased", "already_erased", "planned"]
    target_kind: str
    target_sha256: str
    id_form: Literal["raw", "hashed", "call"]
    tables: dict[str, int] = Field(description="rows removed per table")
    recomputed: list[str] = Field(default_factory=list)
    erasure_id: str | None = None
    previous: list[Erasure] = Field(default_factory=list, description="earlier erasures of it")
    source_files: list[str] = Field(
        default_factory=list, description="files outside the lake that still hold its records"
    )

    @property
    def rows(self) -> int:
        """Rows removed from all tables."""
        return sum(self.tables.values())


def operator() -> str:
    """The OS user running the command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return os.environ.get("USER") or f"uid:{os.getuid()}"


def _has_rollups(lake: Path) -> bool:
    return any(
        p.name != "_empty.parquet" for p in table_dir(lake, "cost_rollup_daily").glob("*.parquet")
    )


def rollups_stale(lake: Path) -> bool:
    """True when the daily rollup's total calls differ from llm_calls (an interrupted erasure)."""
    if not _has_rollups(lake):
        return False
    from llmops.lake.warehouse import connect

    con = connect(lake)
    try:
        (rolled,) = con.execute(
            "SELECT coalesce(sum(calls), 0) FROM cost_rollup_daily WHERE dimension = 'total'"
        ).fetchone()
        (calls,) = con.execute("SELECT count(*) FROM llm_calls").fetchone()
    finally:
        con.close()
    return rolled != calls


def planned_recomputes(plan: ErasurePlan, lake: Path) -> list[str]:
    """Derived tables the erasure will rewrite from what remains."""
    tables = plan.tables
    out = []
    if tables.keys() & {"llm_calls", "quarantine"}:
        out.append("batches")
    if tables.keys() & {"llm_calls", "findings"}:
        out.append("audits")
    if (tables.keys() & {"llm_calls", *ROLLUP_TABLES}) and _has_rollups(lake):
        out += ROLLUP_OUTPUTS
    return out


def _recompute(settings: Settings, batches: list[str], rollups: bool) -> list[str]:
    done = refresh_ledgers(settings.lake_dir, batches)
    if rollups:
        from llmops.costs.rollup import run_rollup

        run_rollup(settings)
        done += ROLLUP_OUTPUTS
    return done


def find_plan(
    settings: Settings, kind: Kind, given: str
) -> tuple[ErasurePlan | None, list[Target]]:
    """The plan of the reading of `given` with the most rows in the lake (ties: the likelier
    reading), and every reading.

    A hashed id given as such also matches, read as a raw id, the quarantined records whose user
    ids text retention hashed: the hashed reading, which finds those and the calls, wins.
    """
    targets = readings(kind, given, settings.user_key)
    plans = [build_plan(settings.lake_dir, target) for target in targets]
    best = max(plans, key=lambda p: sum(p.tables.values()) if p.rows else -1)
    return (best if best.rows else None), targets


def _id_form(target: Target) -> Literal["raw", "hashed", "call"]:
    if target.kind == "call":
        return "call"
    return "raw" if target.raw_id is not None else "hashed"


def erase(
    settings: Settings,
    kind: Kind,
    given: str,
    by: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ErasureResult:
    """Erase the user (raw id or user_hash) or call `given` from the lake; see the module doc."""
    lake = settings.lake_dir
    ensure_lake(lake, all_schemas())
    plan, targets = find_plan(settings, kind, given)
    previous = past_erasures(lake, [t.digest for t in targets])
    if plan is None:
        if not previous:
            what = "user id (raw or hashed)" if kind == "user" else "call id"
            raise ErasureError(f"no {kind} {given!r} in the lake at {lake}: not a known {what}")
        last = previous[-1]
        (matched,) = [t for t in targets if t.digest == last.target_sha256][:1]
        recomputed = [] if dry_run else _repair(settings, previous)
        return ErasureResult(
            status="already_erased",
            target_kind=kind,
            target_sha256=last.target_sha256,
            id_form=_id_form(matched),
            tables={},
            recomputed=recomputed,
            previous=previous,
        )
    result = ErasureResult(
        status="planned",
        target_kind=kind,
        target_sha256=plan.target.digest,
        id_form=_id_form(plan.target),
        tables=plan.tables,
        recomputed=planned_recomputes(plan, lake),
        previous=previous,
        source_files=plan.source_files,
    )
    if dry_run:
        return result
    record = new_erasure(plan, by or operator(), now or datetime.now(UTC), result.recomputed)
    write_erasure(lake, record)
    removed = {f.table: 0 for f in plan.files}
    for f in plan.files:
        removed[f.table] += drop_rows(f.path, lambda t, name=f.table: mask(name, t, plan.keys))
    removed.update({t: n for t, n in plan.rollup_rows.items() if n})
    batches = sorted({*plan.batches, *(b for e in previous for b in e.batches)})
    recomputed = _recompute(settings, batches, "cost_rollup_daily" in result.recomputed)
    return result.model_copy(
        update={
            "status": "erased",
            "tables": {t: n for t, n in removed.items() if n},
            "recomputed": recomputed,
            "erasure_id": record.erasure_id,
        }
    )


def _repair(settings: Settings, previous: list[Erasure]) -> list[str]:
    """Finish the derived tables of an interrupted erasure (writes nothing when they are right)."""
    batches = sorted({b for e in previous for b in e.batches})
    return _recompute(settings, batches, rollups_stale(settings.lake_dir))
