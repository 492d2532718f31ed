"""Collector health for `llmops status` and the cost-rollup artifact: requests received, records
spooled, rotated, ingested into the lake, and rejections by reason."""

from __future__ import annotations

import time
from datetime import datetime

from pydantic import BaseModel, Field

from llmops.collector.kinds import KINDS
from llmops.collector.rotate import batch_folder, collector_home
from llmops.collector.spool import Spool
from llmops.collector.stats import CollectorStats, load, top
from llmops.core.settings import Settings

# What each reason key means, for people reading the report.
REASONS = {
    "auth": "missing or wrong credentials",
    "too_large": "body over the size limit",
    "malformed": "body not decodable",
    "too_deep": "JSON nested too deeply",
    "content_type": "unsupported content type",
    "encoding": "unsupported content encoding",
    "invalid_records": "invalid feedback records",
    "busy": "too many requests in flight (429)",
    "spool_full": "spool full (503)",
    "storage": "payload could not be written (503)",
}


class CollectorHealth(BaseModel):
    """Counters since the collector first ran in this home, and where its data is now."""

    stats: CollectorStats
    spooled_now: int = Field(0, description="payloads in the spool, not yet rotated")
    spooled_now_bytes: int = 0
    oldest_spooled_s: float | None = Field(None, description="age of the oldest spooled payload")
    batches_waiting: int = Field(0, description="rotated batch files not ingested yet")
    ingested_calls: int = Field(0, description="calls from collector batches in llm_calls")
    ingested_records: int = Field(0, description="records accepted from collector batches")
    quarantined: int = Field(0, description="records of collector batches in quarantine")
    ingested_feedback: int = Field(0, description="feedback rows from the collector")

    @property
    def received(self) -> int:
        return sum(self.stats.requests.values())

    @property
    def rejected(self) -> int:
        return sum(self.stats.rejected.values())


def read_health(settings: Settings, con=None) -> CollectorHealth | None:
    """Health of this home's collector, or None when it never ran here."""
    stats = load(collector_home(settings) / "stats.json")
    if stats is None:
        return None
    spool_root = collector_home(settings) / "spool"
    entries = [e for k in KINDS for e in Spool.scan(spool_root, k)]
    health = CollectorHealth(
        stats=stats,
        spooled_now=len(entries),
        spooled_now_bytes=sum(e.size for e in entries),
        oldest_spooled_s=(
            round(time.time() - min(e.received_ns for e in entries) / 1e9, 1) if entries else None
        ),
    )
    own = con is None
    if own:
        from llmops.lake.warehouse import connect

        con = connect(settings.lake_dir)
    try:
        _lake_counts(settings, con, health)
    finally:
        if own:
            con.close()
    return health


def _lake_counts(settings: Settings, con, health: CollectorHealth) -> None:
    from llmops.lake.files import file_digest

    prefix = str(settings.inbox_dir / "collector") + "/"
    feedback_prefix = str(batch_folder(settings, "feedback")) + "/"
    accepted, quarantined = con.execute(
        "SELECT coalesce(sum(accepted), 0), coalesce(sum(quarantined), 0) FROM batches "
        "WHERE starts_with(source_file, ?)",
        [prefix],
    ).fetchone()
    (calls,) = con.execute(
        "SELECT count(*) FROM llm_calls WHERE starts_with(source_file, ?)", [prefix]
    ).fetchone()
    (feedback,) = con.execute(
        "SELECT count(*) FROM feedback WHERE starts_with(source_file, ?)", [feedback_prefix]
    ).fetchone()
    done = {r[0] for r in con.execute("SELECT batch_id FROM batches").fetchall()}
    waiting = 0
    for kind, spec in KINDS.items():
        folder = batch_folder(settings, kind)
        if spec.target == "inbox" and folder.exists():
            waiting += sum(
                1
                for p in folder.iterdir()
                if p.is_file() and not p.name.startswith(".") and file_digest(p) not in done
            )
    health.ingested_records, health.quarantined = int(accepted), int(quarantined)
    health.ingested_calls, health.ingested_feedback = int(calls), int(feedback)
    health.batches_waiting = waiting


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value else "never"


def health_lines(h: CollectorHealth) -> list[str]:
    """Plain lines (markdown-safe) describing collector health."""
    s = h.stats
    accepted = sum(s.accepted_records.values())
    kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(s.accepted_records.items()) if n)
    lines = [
        f"- received: {h.received:,} request(s); {accepted:,} record(s) accepted"
        + (f" ({kinds})" if kinds else ""),
        f"- spooled: {s.spooled_payloads:,} payload(s), {s.spooled_bytes:,} bytes; "
        f"{h.spooled_now:,} waiting for rotation"
        + (f" (oldest {h.oldest_spooled_s:.0f} s)" if h.oldest_spooled_s is not None else ""),
        f"- rotated: {s.rotated_batches:,} batch file(s), {s.rotated_records:,} record(s); "
        f"last {_when(s.last_rotation)}; {h.batches_waiting:,} batch file(s) not ingested yet",
        f"- ingested: {h.ingested_records:,} record(s) ({h.ingested_calls:,} calls in llm_calls), "
        f"{h.quarantined:,} quarantined; {h.ingested_feedback:,} feedback row(s)",
    ]
    rejected = ", ".join(
        f"{REASONS.get(reason, reason)} {n:,}" for reason, n in top(s.rejected, 10)
    )
    lines.append(
        f"- rejected: {h.rejected:,} request(s)"
        + (f" ({rejected})" if rejected else "")
        + (
            f"; {s.rejected_records:,} record(s) refused inside accepted requests"
            if s.rejected_records
            else ""
        )
    )
    return lines


def health_markdown(h: CollectorHealth | None) -> str:
    """The cost-rollup artifact's collector section ('' when the collector never ran)."""
    if h is None:
        return ""
    return "\n".join(["## Collector", "", *health_lines(h), ""])
