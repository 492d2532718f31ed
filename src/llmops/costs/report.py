"""Markdown reports for Prefect artifacts and the terminal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from llmops.costs.rollup import RollupResult

BARS = " ▁▂▃▄▅▆▇█"


def spark(values: Sequence[float]) -> list[str]:
    """One bar character per value, scaled to the largest."""
    top = max(values, default=0) or 1
    return [BARS[min(len(BARS) - 1, round(v / top * (len(BARS) - 1)))] for v in values]


def _alerts(result: RollupResult) -> list[str]:
    lines = [f"## Alerts ({len(result.alerts)}, {len(result.new_alerts)} new)", ""]
    if not result.alerts:
        return [*lines, "No alerts."]
    new = {a["alert_id"] for a in result.new_alerts}
    lines += ["| rule | severity | scope | window (UTC) | what | |", "|---|---|---|---|---|---|"]
    for a in result.alerts:
        start, end = a["window_start"], a["window_end"]
        whole_day = (end - start).days >= 1
        window = f"{start:%Y-%m-%d}" if whole_day else f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        lines.append(
            f"| {a['rule']} | {a['severity']} | {a['scope']} | {window} | {a['message']} | "
            f"{'new' if a['alert_id'] in new else ''} |"
        )
    return lines


def _daily(result: RollupResult, days: int) -> list[str]:
    daily = result.daily[-days:]
    lines = [f"## Daily cost (last {len(daily)} days)", ""]
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
    return lines


def _batches(ingested: Sequence[dict[str, object]], failed: dict[str, str]) -> list[str]:
    lines: list[str] = []
    if ingested:
        by_format: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for b in ingested:
            row = by_format[str(b["format"])]
            for i, key in enumerate(("accepted", "quarantined", "unpriced")):
                row[i + 1] += int(b[key])  # type: ignore[call-overload]
            row[0] += 1
        lines += ["## Batches ingested this run", ""]
        lines += ["| format | files | accepted | quarantined | unpriced |", "|---|--:|--:|--:|--:|"]
        for fmt, (files, acc, bad, unpriced) in sorted(by_format.items()):
            lines.append(f"| {fmt} | {files} | {acc:,} | {bad:,} | {unpriced:,} |")
        dirty = [b for b in ingested if b["quarantined"]]
        if dirty:
            lines += [
                "",
                "Files with quarantined records (the `quarantine` view has each one):",
                "",
            ]
            lines += ["| file | quarantined | reasons |", "|---|--:|---|"]
            for b in dirty:
                reasons = "; ".join(f"{k} ×{v}" for k, v in dict(b.get("reasons") or {}).items())
                lines.append(
                    f"| {str(b['file']).rsplit('/', 1)[-1]} | {b['quarantined']} | {reasons} |"
                )
    if failed:
        lines += ["", "## Files that could not be ingested", ""]
        lines += [f"- `{path}`: {reason}" for path, reason in failed.items()]
    return lines


def cost_report(
    result: RollupResult,
    ingested: Sequence[dict[str, object]] = (),
    failed: dict[str, str] | None = None,
    days: int = 31,
) -> str:
    """The cost rollup's markdown artifact: alerts first, then daily cost, then what came in."""
    lines = ["# Cost rollup", ""]
    lines.append(
        f"**{result.calls:,} calls**, **${result.cost_usd:,.2f}** computed cost, "
        f"{result.unpriced_calls:,} unpriced calls (not counted as $0), "
        f"{result.quarantined:,} quarantined records."
    )
    lines += ["", *_alerts(result), "", *_daily(result, days)]
    batches = _batches(ingested, failed or {})
    if batches:
        lines += ["", *batches]
    return "\n".join(lines) + "\n"
