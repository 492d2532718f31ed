"""Markdown reports for Prefect artifacts and the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from llmops.costs import RollupResult

BARS = " ▁▂▃▄▅▆▇█"


def spark(values: Sequence[float]) -> list[str]:
    """One bar character per value, scaled to the largest."""
    top = max(values, default=0) or 1
    return [BARS[min(len(BARS) - 1, round(v / top * (len(BARS) - 1)))] for v in values]


def cost_report(
    result: RollupResult,
    ingested: Sequence[dict[str, object]] = (),
    failed: dict[str, str] | None = None,
    days: int = 31,
) -> str:
    """The cost rollup's markdown artifact: ingest summary, daily cost with bars, alerts."""
    lines = ["# Cost rollup", ""]
    lines.append(
        f"**{result.calls:,} calls**, **${result.cost_usd:,.2f}** computed cost, "
        f"{result.unpriced_calls:,} unpriced calls (not counted as $0), "
        f"{result.quarantined:,} quarantined records."
    )
    if ingested:
        lines += ["", "## Batches ingested this run", ""]
        lines += [
            "| file | format | accepted | quarantined | unpriced | reasons |",
            "|---|---|--:|--:|--:|---|",
        ]
        for b in ingested:
            reasons = "; ".join(f"{k} ×{v}" for k, v in dict(b.get("reasons") or {}).items())
            name = str(b["file"]).rsplit("/", 1)[-1]
            lines.append(
                f"| {name} | {b['format']} | {b['accepted']} | {b['quarantined']} | "
                f"{b['unpriced']} | {reasons} |"
            )
    if failed:
        lines += ["", "## Files that could not be ingested", ""]
        lines += [f"- `{path}`: {reason}" for path, reason in failed.items()]
    daily = result.daily[-days:]
    lines += ["", f"## Daily cost (last {len(daily)} days)", ""]
    lines += [
        "| day | calls | errors | cost USD | unpriced | p95 ms | |",
        "|---|--:|--:|--:|--:|--:|---|",
    ]
    for d, bar in zip(daily, spark([d.cost_usd for d in daily]), strict=True):
        p95 = f"{d.latency_p95_ms:,.0f}" if d.latency_p95_ms is not None else ""
        lines.append(
            f"| {d.day} | {d.calls:,} | {d.errors:,} | {d.cost_usd:,.4f} | {d.unpriced_calls} | "
            f"{p95} | {bar * 3} |"
        )
    lines += ["", f"## Alerts ({len(result.alerts)}, {len(result.new_alerts)} new)", ""]
    if result.alerts:
        new = {a["alert_id"] for a in result.new_alerts}
        lines += ["| rule | severity | scope | window | message | |", "|---|---|---|---|---|---|"]
        for a in result.alerts:
            lines.append(
                f"| {a['rule']} | {a['severity']} | {a['scope']} | "
                f"{a['window_start']:%Y-%m-%d %H:%M} → {a['window_end']:%H:%M} | {a['message']} | "
                f"{'new' if a['alert_id'] in new else ''} |"
            )
    else:
        lines.append("No alerts.")
    return "\n".join(lines) + "\n"
