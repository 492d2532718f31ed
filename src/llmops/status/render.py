"""One rich screen for `llmops status`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich import box
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from rich.console import Console

    from llmops.status.models import (
        EvalVerdict,
        Guardrails,
        Missing,
        Prompts,
        Quality,
        Spend,
        Status,
    )

PII_ROWS = 6
VERDICT_STYLE = {"pass": "green", "fail": "bold red", "inconclusive": "yellow", "baseline": "cyan"}


def _t(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return f"{value:{fmt}}" if value is not None else "-"


def _num(value: float | None, fmt: str = "{:+.3f}") -> str:
    return "-" if value is None else fmt.format(value)


def _verdict(value: str | None) -> str:
    v = value or "-"
    return f"[{VERDICT_STYLE.get(v, 'white')}]{v}[/]"


def _missing(console: Console, missing: Missing) -> None:
    console.print(f"  [yellow]{escape(missing.what)}[/]: run [bold]{escape(missing.fill)}[/]")


def _spend(console: Console, s: Spend) -> None:
    console.rule("[bold](a) What are we spending?", align="left")
    if s.missing:
        _missing(console, s.missing)
        return
    when = (
        f"data is historical: the newest data day is {s.newest_day}, {s.days_behind} day(s) "
        "before today; periods end at its newest hour"
        if s.historical
        else "live data: periods end at the newest rolled-up hour"
    )
    console.print(f"  {when} ({_t(s.as_of)} UTC)")
    table = Table("period", "from", "spend", "calls", "previous", "trend", box=box.SIMPLE)
    for p in s.periods:
        trend = "-" if p.change_pct is None else f"{p.change_pct:+.0f}%"
        style = "red" if (p.change_pct or 0) > 20 else "green" if (p.change_pct or 0) < 0 else ""
        table.add_row(
            p.name,
            _t(p.start),
            f"${p.cost_usd:,.2f}",
            f"{p.calls:,}" + (f" ({p.unpriced_calls:,} unpriced)" if p.unpriced_calls else ""),
            f"${p.previous_cost_usd:,.2f}",
            f"[{style}]{trend}[/]" if style else trend,
        )
    console.print(table)
    if s.top_models:
        tops = " · ".join(f"{m.scope} ${m.cost_usd:,.2f}" for m in s.top_models[:3])
        console.print(f"  top models, 7 days: {escape(tops)}")
    console.print(
        f"  alerts: [bold]{s.alerts_open}[/] open (window ended in the 30 days) of "
        f"{s.alerts_total} in the alerts table"
    )
    for a in s.alerts:
        sev = "red" if a.severity == "critical" else "yellow"
        console.print(
            f"    [{sev}]{a.severity}[/] {a.rule} {_t(a.window_start)}: {escape(a.message)}"
        )


def _verdict_block(console: Console, v: EvalVerdict) -> None:
    r = v.run
    sim = " (simulator)" if v.simulated else ""
    console.print(
        f"  [bold]{escape(r.prompt_name)}@v{r.prompt_version}[/] on {escape(r.dataset)}: "
        f"{_verdict(r.verdict)} · trigger {r.trigger} · served {r.served_model}{sim} · "
        f"{_t(r.started_at)} · run {r.run_id[:8]}"
        + (f" vs {v.baseline_run_id[:8]}" if v.baseline_run_id else "")
    )
    if r.reason:
        console.print(f"    {escape(r.reason)}")
    if v.metrics:
        table = Table(
            "metric", "mean", "baseline", "delta", "95% CI", "p", "verdict", box=box.SIMPLE
        )
        for m in v.metrics:
            ci = f"[{_num(m.ci_low)}, {_num(m.ci_high)}]" if m.ci_low is not None else "-"
            table.add_row(
                m.metric,
                _num(m.mean, "{:.3f}"),
                _num(m.baseline_mean, "{:.3f}"),
                _num(m.delta),
                ci,
                _num(m.p_value, "{:.3g}"),
                _verdict(m.verdict),
            )
        console.print(table)
    for f in v.recent_failures:
        console.print(
            f"    [red]also failed[/] {_t(f.started_at)}: v{f.prompt_version}, trigger "
            f"{f.trigger}, served {f.served_model} — {escape(f.reason or '')}"
        )


def _quality(console: Console, q: Quality) -> None:
    console.rule("[bold](b) How are outputs performing against baseline?", align="left")
    if q.missing:
        _missing(console, q.missing)
        return
    for v in q.verdicts:
        _verdict_block(console, v)


_RETENTION = {
    "redact": "redact (PII and secret spans replaced by placeholders after each audit)",
    "keep": "keep (raw text kept for ever: text_retention in llmops.yaml)",
}


def _guardrails(console: Console, g: Guardrails) -> None:
    console.rule("[bold](c) Injection patterns and PII findings this week", align="left")
    if g.missing:
        _missing(console, g.missing)
        return
    console.print(
        f"  7 days {_t(g.week_start)} to {_t(g.week_end)} UTC · "
        + (
            " · ".join(f"{d.detector} {d.this_week} (last week {d.last_week})" for d in g.detectors)
            or "no findings"
        )
    )
    if g.injections:
        table = Table("calls", f"top injection patterns ({g.injection_calls} calls)", box=None)
        for p in g.injections:
            table.add_row(str(p.calls), escape(p.pattern))
        console.print(table)
    else:
        console.print("  no injection findings this week")
    if g.pii:
        table = Table(box=None)
        table.add_column("label", no_wrap=True, min_width=21)
        table.add_column("severity", no_wrap=True, min_width=8)
        table.add_column("findings", no_wrap=True, justify="right", min_width=8)
        table.add_column("calls", no_wrap=True, justify="right", min_width=5)
        table.add_column("masked example", no_wrap=True, overflow="ellipsis", max_width=30)
        for c in g.pii[:PII_ROWS]:
            table.add_row(
                f"{c.detector}/{c.label}",
                c.severity,
                str(c.findings),
                str(c.calls),
                escape(c.example or ""),
            )
        console.print(table)
        if len(g.pii) > PII_ROWS:
            console.print(f"  ... {len(g.pii) - PII_ROWS} more label(s) in --json")
    else:
        console.print("  no PII or secret findings this week")
    if g.text_retention:
        console.print(f"  raw text at rest: {_RETENTION.get(g.text_retention, g.text_retention)}")


def _prompts(console: Console, p: Prompts) -> None:
    console.rule("[bold](d) The last prompt change and its rollback", align="left")
    if p.missing:
        _missing(console, p.missing)
        return
    c = p.last_change
    assert c is not None
    console.print(
        f"  [bold]{escape(c.name)}[/] v{c.version} (hash {c.content_hash}, commit "
        f"{(c.git_commit or '-')[:12]}): {escape(c.change)} · {_t(c.changed_at)} UTC"
    )
    history = " -> ".join(f"v{v}" for v in c.champion_history) or "-"
    extra = f" · candidate v{c.candidate}" if c.candidate else ""
    console.print(f"    champion v{c.champion} · champion history {history}{extra}")
    if c.eval is not None:
        e = c.eval
        console.print(
            f"    eval of v{c.version}: {_verdict(e.verdict)} on {escape(e.dataset)} "
            f"(trigger {e.trigger}, {_t(e.started_at)}, run {e.run_id[:8]})"
        )
        if c.latest_eval is not None:
            n = c.latest_eval
            console.print(
                f"    latest eval of v{c.version}: {_verdict(n.verdict)} on {escape(n.dataset)} "
                f"(trigger {n.trigger}, served {n.served_model}, {_t(n.started_at)})"
            )
    else:
        console.print(
            f"    eval of v{c.version}: none yet: "
            f"[bold]llmops eval run --prompt {escape(c.name)}@{c.version}[/]"
        )
    if c.rollback_command:
        console.print(f"    rollback: [bold]{escape(c.rollback_command)}[/]  ({c.rollback_note})")
    else:
        console.print(f"    rollback: {c.rollback_note}")
    if p.others:
        others = " · ".join(
            f"{o.name} champion v{o.champion}"
            + (f" candidate v{o.candidate}" if o.candidate else "")
            for o in p.others
        )
        console.print(f"  other prompts: {escape(others)}")


def render(console: Console, status: Status) -> None:
    """Print the four answers on one screen."""
    console.print(
        f"[bold]llmops status[/] · {escape(status.home)} · {_t(status.generated_at)} UTC · "
        f"{status.seconds:.1f} s"
    )
    _spend(console, status.spend)
    _quality(console, status.quality)
    _guardrails(console, status.guardrails)
    _prompts(console, status.prompts)
    if status.collector is not None:
        from llmops.collector.health import health_lines

        console.rule("[bold]Collector", align="left")
        for line in health_lines(status.collector):
            console.print(f"  {escape(line)}")
