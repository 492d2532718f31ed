"""Feedback flywheel: negative feedback joined to its calls becomes reviewed golden candidates."""

from __future__ import annotations

from typing import Literal

from prefect import flow, get_run_logger
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run
from pydantic import Field

from llmops.core.settings import get_settings
from llmops.feedback.flywheel import Approved, Decision, ReviewQueue, Settled, decided
from llmops.feedback.outcome import (
    FlywheelResult,
    Handoff,
    added_item_ids,
    handed_off,
    outcome_line,
    queued,
    reviewed,
)
from llmops.feedback.report import queue_report
from tasks.feedback import (
    apply_review,
    emit_candidates,
    ingest_feedback,
    join_new_feedback,
    publish_report,
    record_ledger,
    review_queue,
    route_feedback,
    write_candidates,
)


class FeedbackReview(RunInput):
    """The reviewer's decision per candidate, entered on the paused run's resume form."""

    reviewer: str = Field("", description="your name")
    decisions: list[Decision] = Field(
        default_factory=list,
        description="one per candidate: approve, edit (write `reference`), reject or later",
    )


def request_review(queue: ReviewQueue, note: str, timeout_minutes: int, poll_seconds: int):
    """Pause until a reviewer decides on the queue's candidates in the Prefect UI."""
    form = FeedbackReview.with_initial_data(
        description=note,
        decisions=[Decision(candidate_id=i.candidate_id) for i in queue.items],
    )
    return pause_flow_run(
        wait_for_input=form,
        timeout=timeout_minutes * 60,
        poll_interval=poll_seconds,
        key=f"feedback-review-{queue.dataset}",
    )


def hand_off(
    dataset: str, path: str, approved: list[Approved], handoff: str, auto_approve: bool, **review
) -> Handoff:
    """Send approved candidates to the golden curation: subflow (default) or event."""
    if handoff == "event":
        emit_candidates(dataset, path, len(approved))
        return Handoff(status="sent")
    from flows.golden_curation import golden_curation

    result = golden_curation(
        name=dataset, sources=[path], mode="merge", auto_approve=auto_approve, **review
    )
    if result.status != "promoted":
        return Handoff(status=result.status, version=result.version)
    added = added_item_ids(get_settings().datasets_dir, dataset, result.parent, result.version)
    return Handoff(status=result.status, version=result.version, added=added)


@flow(name="feedback-flywheel", flow_run_name="feedback-flywheel")
def feedback_flywheel(
    paths: list[str] | None = None,
    auto_approve: bool = False,
    handoff: Literal["subflow", "event"] = "subflow",
    review_timeout_minutes: int = 1440,
    review_poll_seconds: int = 10,
) -> FlywheelResult:
    """Join new feedback to calls, queue negative ones (scrubbed, clustered, ranked) for review,
    and send approved candidates through the golden curation."""
    logger = get_run_logger()
    settings = get_settings()
    run_id = str(flow_run.id) if flow_run.id else None
    result = FlywheelResult()
    if paths:
        batches = ingest_feedback(settings, paths)
        result.ingested = sum(b.accepted for b in batches)
        result.quarantined = sum(b.quarantined for b in batches)
    new = join_new_feedback(settings)
    routed = route_feedback(settings, new)
    result.new_feedback = len(new.joined) + new.unknown_calls
    result.unknown_calls = new.unknown_calls
    result.not_negative, result.unrouted = len(routed.positive), len(routed.unrouted)
    not_negative = [
        Settled(feedback_id=f.feedback_id, call_id=f.call_id, outcome="not_negative")
        for f in routed.positive
    ]
    record_ledger(settings, None, not_negative, run_id)
    queues = [review_queue(settings, name, rows) for name, rows in sorted(routed.rows.items())]
    waiting = any(q.items for q in queues)
    status = "auto-approving" if auto_approve else "awaiting review: resume this run to decide"
    counts = (len(routed.positive), len(routed.unrouted))
    publish_report(queue_report(new, queues, *counts, status if waiting else "done"))
    outcome_lines: list[str] = []
    for queue in queues:
        out = queued(queue)
        record_ledger(settings, queue.dataset, queue.settled, run_id)
        if not queue.items:
            result.datasets.append(out)
            continue
        if auto_approve:
            decisions = [
                Decision(candidate_id=i.candidate_id, action="approve") for i in queue.items
            ]
            reviewer = "auto-approve"
        else:
            review = request_review(
                queue,
                f"{len(queue.items)} candidate(s) for {queue.dataset}: see the artifact "
                "feedback-flywheel of this run",
                review_timeout_minutes,
                review_poll_seconds,
            )
            decisions, reviewer = review.decisions, review.reviewer.strip() or "prefect-ui reviewer"
        settlement = apply_review(settings, queue, decisions)
        out = reviewed(out, queue, decisions, settlement)
        if settlement.approved:
            path = write_candidates(settings, queue.dataset, settlement.approved)
            sent = hand_off(
                queue.dataset,
                path,
                settlement.approved,
                handoff,
                auto_approve,
                review_timeout_minutes=review_timeout_minutes,
                review_poll_seconds=review_poll_seconds,
            )
            out = handed_off(out, path, sent)
        settled = [*settlement.settled, *decided(settlement.approved)]
        record_ledger(settings, queue.dataset, settled, run_id)
        result.datasets.append(out)
        outcome_lines.append(outcome_line(out, reviewer))
        logger.info(outcome_lines[-1])
    if outcome_lines:
        publish_report(queue_report(new, queues, *counts, "done", outcome_lines))
    return result
