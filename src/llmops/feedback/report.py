"""The flywheel's markdown artifact: counts, the ranked review queue (masked), what happened."""

from __future__ import annotations

from llmops.feedback.candidates import NewFeedback
from llmops.feedback.flywheel import ReviewQueue

CLIP = 110


def _cell(text: str | None, width: int = CLIP) -> str:
    """Masked (residual mask over the scrubbed text), one line, clipped, pipe-safe."""
    from llmops.audit.scan import residual_mask

    text = " ".join(residual_mask(text or "").split())
    if len(text) > width:
        text = text[: width - 3].rstrip() + "..."
    return text.replace("|", "\\|") or "–"


def queue_report(
    new: NewFeedback,
    queues: list[ReviewQueue],
    positive: int,
    unrouted: int,
    status: str,
    outcome_lines: list[str] | None = None,
) -> str:
    """Markdown for the Prefect artifact `feedback-flywheel`."""
    lines = [
        "# Feedback flywheel",
        "",
        f"**Status:** {status}",
        "",
        "| new feedback | joined to a call | unknown call (kept, waiting) | not negative "
        "| no golden set for its prompt |",
        "|--:|--:|--:|--:|--:|",
        f"| {len(new.joined) + new.unknown_calls} | {len(new.joined)} | {new.unknown_calls} "
        f"| {positive} | {unrouted} |",
        "",
    ]
    if new.unknown_ids:
        lines += [
            "Feedback whose call is not in `llm_calls` yet (processed once the call arrives): "
            + ", ".join(f"`{_cell(i, 60)}`" for i in new.unknown_ids),
            "",
        ]
    for q in queues:
        lines += [
            f"## {q.dataset}: {len(q.items)} candidate(s) for review",
            "",
            f"PII/secrets scrubbed in {q.rows_scrubbed} feedback row(s); "
            f"dropped because they still looked like personal data: {q.count('pii')}; "
            f"already covered by the golden set: {q.count('covered')}; "
            f"failing the dataset's checks: {q.count('ineligible')}. "
            f"Near duplicates cluster at question similarity >= {q.near_threshold}.",
            "",
        ]
        if q.items:
            lines += [
                "| # | candidate | feedback | severity | last seen | kinds | question "
                "| proposed reference | logged answer |",
                "|--:|---|--:|--:|---|---|---|---|---|",
            ]
            for n, i in enumerate(q.items, start=1):
                kinds = ", ".join(f"{k} {v}" for k, v in i.kinds.items())
                ref = i.reference if i.reference is not None else "(reviewer to write)"
                lines.append(
                    f"| {n} | `{i.candidate_id}` | {i.frequency} | {i.severity} "
                    f"| {i.last_seen:%Y-%m-%d %H:%M} | {kinds} | {_cell(i.question)} "
                    f"| {_cell(ref)} | {_cell(i.logged_answer, 80)} |"
                )
            lines.append("")
            for i in q.items:
                extra = []
                if i.similar:
                    extra.append("also asked as: " + "; ".join(_cell(s, 90) for s in i.similar))
                if i.comments:
                    extra.append("comments: " + "; ".join(_cell(c, 90) for c in i.comments))
                if extra:
                    lines.append(f"- `{i.candidate_id}`: " + " — ".join(extra))
            lines.append("")
        dropped = [s for s in q.settled if s.outcome in ("pii", "ineligible")]
        if dropped:
            lines += ["Dropped before review:", ""]
            lines += [
                f"- {_cell(s.feedback_id, 60)}: {s.outcome}: {_cell(s.reason, 120)}"
                for s in dropped
            ]
            lines.append("")
    if outcome_lines:
        lines += ["## Outcome", "", *[f"- {line}" for line in outcome_lines], ""]
    lines += [
        "Decide per candidate on the paused run's resume form: approve, edit (write the "
        "reference), reject, or later. Approved candidates go through the golden curation flow.",
    ]
    return "\n".join(lines) + "\n"
