"""The markdown report of an eval run: verdict first, then the metric table, failures, cost."""

from __future__ import annotations

from pydantic import BaseModel

from llmops.evals.compare import Comparison

BADGES = {
    "pass": "PASS ✅",
    "fail": "FAIL ❌",
    "inconclusive": "INCONCLUSIVE ⚠️",
    "baseline": "BASELINE 📌",
}


class FailedItem(BaseModel):
    """An item that could not be generated or scored, with the error."""

    stage: str
    item_id: str
    error: str


class ReportInput(BaseModel):
    """Everything the report shows."""

    title: str
    trigger: str
    model_line: str
    provider_note: str | None
    baseline_line: str | None
    comparison: Comparison
    means: dict[str, float | None]
    failed_items: list[FailedItem]
    items: int
    llm_calls: int
    retries: int
    cost_usd: float
    wall_seconds: float
    mlflow_run_id: str
    promoted: str | None = None


def _num(value: float | None, fmt: str = ".3f") -> str:
    return "–" if value is None else format(value, fmt)


def eval_report(r: ReportInput) -> str:
    """Markdown for MLflow and the Prefect artifact."""
    c = r.comparison
    lines = [f"# {r.title}", "", f"**Verdict: {BADGES[c.verdict]}** — {c.reason}", ""]
    if r.provider_note:
        lines += [f"> ⚠️ {r.provider_note}", ""]
    lines += [f"- trigger: `{r.trigger}`", f"- model: {r.model_line}"]
    lines.append(f"- baseline: {r.baseline_line or 'none (this run is the new baseline)'}")
    lines.append(f"- MLflow run: `{r.mlflow_run_id}`")
    if r.promoted:
        lines.append(f"- promoted: {r.promoted}")
    lines += ["", "## Metrics", ""]
    if c.metrics and c.baseline_run_id:
        lines += [
            "| metric | candidate | baseline | Δ | 95% CI of the change | p | pairs | verdict |",
            "|---|---:|---:|---:|---|---:|---:|---|",
        ]
        for m in c.metrics:
            ci = f"[{m.ci_low:+.3f}, {m.ci_high:+.3f}]" if m.ci_low is not None else "–"
            mark = {"pass": "✅", "fail": "❌", "inconclusive": "⚠️"}[m.verdict]
            lines.append(
                f"| {m.metric} | {_num(m.candidate_mean)} | {_num(m.baseline_mean)} | "
                f"{_num(m.delta, '+.3f')} | {ci} | {_num(m.p_value, '.4f')} | {m.pairs} | "
                f"{mark} {m.reason} |"
            )
    else:
        lines += ["| metric | mean |", "|---|---:|"]
        lines += [f"| {name} | {_num(mean)} |" for name, mean in r.means.items()]
    lines += ["", f"## Items that failed ({len(r.failed_items)})", ""]
    if r.failed_items:
        by_stage: dict[str, list[FailedItem]] = {}
        for f in r.failed_items:
            by_stage.setdefault(f.stage, []).append(f)
        for stage, failed in by_stage.items():
            lines.append(f"- **{stage}**: {len(failed)} item(s)")
            lines += [f"  - `{f.item_id}`: {f.error[:200]}" for f in failed[:10]]
            if len(failed) > 10:
                lines.append(f"  - … and {len(failed) - 10} more (see the MLflow table)")
    else:
        lines.append("none")
    lines += [
        "",
        "## Cost",
        "",
        f"{r.items} items · {r.llm_calls} LLM calls · {r.retries} retries · "
        f"${r.cost_usd:.4f} · {r.wall_seconds:.1f} s",
    ]
    return "\n".join(lines) + "\n"
