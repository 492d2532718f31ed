"""Markdown report of a guardrail audit run (the Prefect artifact); excerpts are masked."""

from __future__ import annotations

from llmops.audit.run import AuditResult
from llmops.audit.summary import SEVERITIES
from llmops.privacy.retention import RetentionResult


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|").replace("`", "'")


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _format_section(result: AuditResult) -> list[str]:
    """Calls checked against their prompt version's output schema, and those that were not."""
    s = result.summary
    lines = ["", "## Output format", ""]
    lines.append(
        f"{s.format_checked:,} call(s) checked against the registered output schema of their "
        "prompt version."
    )
    if s.format_unknown_version:
        refs = ", ".join(f"`{_cell(r)}`" for r in s.format_unknown_refs[:10])
        more = (
            f" and {len(s.format_unknown_refs) - 10} more"
            if len(s.format_unknown_refs) > 10
            else ""
        )
        lines.append(
            f"Format not checked: unknown prompt version: {s.format_unknown_version:,} call(s) "
            f"({refs}{more}); only a version number or content-hash prefix is trusted."
        )
    if s.format_unregistered:
        lines.append(
            f"Format not checked: prompt not in the registry: {s.format_unregistered:,} call(s)."
        )
    return lines


def _judge_section(result: AuditResult) -> list[str]:
    """What the LLM judge tier sampled, decided and spent (or that it is off)."""
    j = result.summary.judge
    lines = ["", "## LLM judge (second tier)", ""]
    if j is None:
        return [*lines, "Off (settings `guardrail_judge.enabled`)."]
    lines.append(
        f"{j.method}, alias `{j.alias}`: {j.sampled} of {j.candidates:,} uncertain injection "
        f"item(s) sampled (classifier score in [{j.band[0]:.2f}, {j.band[1]:.2f}), threshold "
        f"{j.threshold:.2f}, at most {j.max_items}); inputs are masked before they are sent."
    )
    lines.append(
        f"**{j.judged} judged**: {j.injection} injection, {j.benign} benign; {j.agreed} agree "
        f"with the classifier; {j.errors} error(s). Spend **${j.cost_usd:.6f}** of a "
        f"${j.usd_cap:.2f} cap over {j.calls} call(s)."
    )
    if j.cap_reached:
        lines.append(
            f"**USD cap reached: stopped cleanly**, {j.not_judged} sampled item(s) not judged. "
            f"{_cell(j.stop_reason or '')}"
        )
    if j.provenance:
        lines.append(f"{_cell(j.provenance[:1].upper() + j.provenance[1:])}.")
    lines += [f"- error: {_cell(e)}" for e in j.error_examples]
    if j.items:
        lines += ["", "| verdict | classifier score | flagged | call | excerpt (masked) |"]
        lines.append("|---|--:|---|---|---|")
        lines += [
            f"| {i.label} | {i.score:.3f} | {'yes' if i.flagged else 'no'} | {_cell(i.call_id)} "
            f"| {_cell(i.excerpt)} |"
            for i in j.items[:10]
        ]
    return lines


def retention_sentence(retention: RetentionResult | None) -> str:
    """What the lake keeps of the raw text, true for the policy in force."""
    if retention is None:
        return "Raw call text was not redacted by this run."
    done = ", ".join(f"{n:,} rows of {t}" for t, n in retention.rows.items()) or "nothing new"
    if retention.policy == "keep":
        return (
            "Text retention `keep`: the lake keeps raw call text (inputs, outputs, quarantined "
            "records, feedback comments) with any personal data or secret in it."
        )
    if retention.policy == "redact":
        return (
            "Text retention `redact`: after the audit every detected PII and secret span in the "
            f"lake's raw text is replaced by its placeholder (this run: {done}); values the "
            "detectors miss stay."
        )
    return (
        f"Text retention `{retention.policy}`: raw call text is kept until that age, then every "
        f"detected PII and secret span is replaced by its placeholder (this run: {done})."
    )


def audit_report(result: AuditResult) -> str:
    """Counts by detector and severity, alerts, injection patterns, weekly trend, examples."""
    s = result.summary
    lines = ["# Guardrail audit", ""]
    lines.append(
        f"**{len(result.audited)} batch(es) audited** this run ({result.already_audited} already "
        f"audited, skipped): **{s.calls:,} calls**, **{s.findings:,} findings** in "
        f"{s.calls_with_findings:,} calls."
    )
    if result.retracted:
        lines.append(f"Findings of {len(result.retracted)} retracted batch(es) removed.")
    if result.failed:
        lines += ["", f"## Batches that could not be audited ({len(result.failed)})", ""]
        lines += [f"- `{b}`: {_cell(reason)}" for b, reason in result.failed.items()]
    lines += [
        "",
        f"Detectors: {', '.join(s.detectors)} (`{s.detector_versions}`). Excerpts are masked "
        "([EMAIL], [OPENAI_KEY], [NUMBER], ...). " + retention_sentence(result.retention),
    ]
    totals: dict[str, dict[str, int]] = {}
    for c in s.counts:
        row = totals.setdefault(c.detector, dict.fromkeys(SEVERITIES, 0))
        row[c.severity] += c.findings
    lines += ["", "## Findings by detector and severity", ""]
    if totals:
        lines += [
            "| detector | critical | high | medium | low | total |",
            "|---|--:|--:|--:|--:|--:|",
        ]
        for det, row in sorted(totals.items(), key=lambda kv: -sum(kv[1].values())):
            cells = " | ".join(f"{row[x]:,}" for x in SEVERITIES)
            lines.append(f"| {det} | {cells} | {sum(row.values()):,} |")
        lines += ["", "| detector | label | severity | direction | findings | calls |"]
        lines.append("|---|---|---|---|--:|--:|")
        lines += [
            f"| {c.detector} | {c.label} | {c.severity} | {c.direction} | {c.findings:,} | "
            f"{c.calls:,} |"
            for c in s.counts
        ]
    else:
        lines.append("No findings in the batches audited this run.")
    lines += _format_section(result) + _judge_section(result)
    lines += ["", f"## Alerts ({len(s.alerts)})", ""]
    if s.alerts:
        lines += ["| detector | label | severity | findings | calls | threshold |"]
        lines.append("|---|---|---|--:|--:|--:|")
        lines += [
            f"| {a.detector} | {a.label} | {a.severity} | {a.findings:,} | {a.calls:,} | "
            f">= {a.threshold} |"
            for a in s.alerts
        ]
    else:
        lines.append("No detector reached its alert threshold.")
    lines += ["", "## Top injection patterns", ""]
    if s.top_injections:
        lines += ["| trigger sentence (masked) | calls |", "|---|--:|"]
        lines += [f"| {_cell(p.pattern)} | {p.calls:,} |" for p in s.top_injections]
    else:
        lines.append("No injection findings this run.")
    lines += ["", "## Trend: findings per 1,000 audited calls", ""]
    if s.week_end is None:
        lines.append("No audited traffic yet.")
    else:
        lines.append(
            f"Week ending {s.week_end:%Y-%m-%d %H:%M} UTC (newest audited call): "
            f"{s.calls_this_week:,} calls; the 7 days before: {s.calls_last_week:,} calls."
        )
        lines += ["", "| detector | this week | last week | per 1k this week | per 1k last week |"]
        lines.append("|---|--:|--:|--:|--:|")
        lines += [
            f"| {t.detector} | {t.this_week:,} | {t.last_week:,} | {_rate(t.per_1k_this_week)} | "
            f"{_rate(t.per_1k_last_week)} |"
            for t in s.trend
        ]
    if s.examples:
        lines += ["", "## Examples (masked)", ""]
        lines += ["| detector | label | severity | direction | call | excerpt |"]
        lines.append("|---|---|---|---|---|---|")
        lines += [
            f"| {e.detector} | {e.label} | {e.severity} | {e.direction} | {_cell(e.call_id)} | "
            f"{_cell(e.excerpt)} |"
            for e in s.examples
        ]
    return "\n".join(lines) + "\n"
