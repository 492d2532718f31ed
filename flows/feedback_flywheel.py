"""Feedback flywheel: negative feedback joined to its calls becomes reviewed golden candidates."""

from __future__ import annotations

from typing import Literal

from prefect import flow, get_run_logger
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run
from pydantic import BaseModel, Field

from llmops.core.settings import get_settings
from llmops.datasets.config import load_config
from llmops.datasets.diff import diff_items
from llmops.datasets.store import DatasetStore
from llmops.feedback.candidates import route
from llmops.feedback.flywheel import (
    Approved,
    Decision,
    ReviewQueue,
    Settled,
    apply_decisions,
    decided,
)
from llmops.feedback.report import queue_report
from tasks.feedback import (
    emit_candidates,
    ingest_feedback,
    join_new_feedback,
    publish_report,
    record_ledger,
    review_queue,
    write_candidates,
)


class FeedbackReview(RunInput):
    """The reviewer's decision per candidate, entered on the paused run's resume form."""

    reviewer: str = Field("", description="your name")
    decisions: list[Decision] = Field(
        default_factory=list,
        description="one per candidate: approve, edit (write `reference`), reject or later",
    )


class DatasetOutcome(BaseModel):
    """What the flywheel did for one golden dataset."""

    dataset: str
    candidates: int = Field(
        description="candidates put to review (approved .. deferred count them)"
    )
    approved: int = 0
    edited: int = 0
    rejected: int = 0
    deferred: int = 0
    covered: int = Field(0, description="feedback events near an item of the golden set")
    pii_dropped: int = Field(0, description="feedback events still looking like personal data")
    ineligible: int = Field(0, description="feedback events failing the dataset's checks")
    candidates_file: str | None = None
    curation_status: str | None = None
    version: str | None = None
    added: list[str] = Field(default_factory=list, description="item ids the new version added")


class FlywheelResult(BaseModel):
    """What a flywheel run did."""

    ingested: int = 0
    quarantined: int = 0
    new_feedback: int = 0
    unknown_calls: int = 0
    not_negative: int = 0
    unrouted: int = 0
    datasets: list[DatasetOutcome] = Field(default_factory=list)


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
) -> tuple[str, str | None, list[str]]:
    """Send approved candidates to the golden curation: subflow (default) or event."""
    if handoff == "event":
        emit_candidates(dataset, path, len(approved))
        return "sent", None, []
    from flows.golden_curation import golden_curation

    result = golden_curation(
        name=dataset, sources=[path], mode="merge", auto_approve=auto_approve, **review
    )
    added: list[str] = []
    if result.status == "promoted":
        store = DatasetStore(get_settings().datasets_dir)
        before = store.items(dataset, result.parent) if result.parent else []
        added = sorted(i.id for i in diff_items(before, store.items(dataset, result.version)).added)
    return result.status, result.version, added


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
    rows, positive, unrouted = route(new, settings.feedback.datasets)
    result.new_feedback = len(new.joined) + new.unknown_calls
    result.unknown_calls, result.not_negative, result.unrouted = (
        new.unknown_calls,
        len(positive),
        len(unrouted),
    )
    record_ledger(
        settings,
        None,
        [
            Settled(feedback_id=f.feedback_id, call_id=f.call_id, outcome="not_negative")
            for f in positive
        ],
        run_id,
    )
    queues = [review_queue(settings, name, ds_rows) for name, ds_rows in sorted(rows.items())]
    waiting = any(q.items for q in queues)
    status = "auto-approving" if auto_approve else "awaiting review: resume this run to decide"
    publish_report(
        queue_report(new, queues, len(positive), len(unrouted), status if waiting else "done")
    )
    outcome_lines: list[str] = []
    for queue in queues:
        out = DatasetOutcome(
            dataset=queue.dataset,
            candidates=len(queue.items),
            covered=queue.count("covered"),
            pii_dropped=queue.count("pii"),
            ineligible=queue.count("ineligible"),
        )
        result.datasets.append(out)
        record_ledger(settings, queue.dataset, queue.settled, run_id)
        if not queue.items:
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
        config = load_config(DatasetStore(settings.datasets_dir).config_path(queue.dataset))
        approved, settled = apply_decisions(queue, decisions, config)
        out.rejected = sum(d.action == "reject" for d in decisions)
        out.ineligible += sum(s.outcome == "ineligible" for s in settled)
        out.edited = sum(a.edited for a in approved)
        out.approved = len(approved) - out.edited
        decided_ids = {d.candidate_id for d in decisions if d.action != "later"}
        out.deferred = len(queue.items) - len(decided_ids)
        if approved:
            out.candidates_file = write_candidates(settings, queue.dataset, approved)
            out.curation_status, out.version, out.added = hand_off(
                queue.dataset,
                out.candidates_file,
                approved,
                handoff,
                auto_approve,
                review_timeout_minutes=review_timeout_minutes,
                review_poll_seconds=review_poll_seconds,
            )
        record_ledger(settings, queue.dataset, [*settled, *decided(approved)], run_id)
        outcome_lines.append(
            f"{queue.dataset}: reviewed by {reviewer}: {len(approved)} approved "
            f"({out.edited} with an edited reference), {out.rejected} rejected, "
            f"{out.deferred} left for later; curation: {out.curation_status or 'not needed'}"
            + (f", new version {out.version} adds {', '.join(out.added)}" if out.added else "")
        )
        logger.info(outcome_lines[-1])
    if outcome_lines:
        publish_report(
            queue_report(new, queues, len(positive), len(unrouted), "done", outcome_lines)
        )
    return result
