"""The flywheel's per-dataset tallies and outcome line, without Prefect."""

from __future__ import annotations

from datetime import UTC, datetime

from llmops.feedback.flywheel import (
    Approved,
    Decision,
    ReviewItem,
    ReviewQueue,
    Settled,
    Settlement,
)
from llmops.feedback.outcome import Handoff, handed_off, outcome_line, queued, reviewed


def item(n: int) -> ReviewItem:
    return ReviewItem(
        candidate_id=f"c{n}",
        dataset="docs-qa",
        question=f"question {n}?",
        frequency=1,
        severity=2,
        last_seen=datetime(2025, 3, 10, tzinfo=UTC),
        kinds={"thumb_down": 1},
        feedback_ids=[f"f-{n}"],
    )


def settled(n: int, outcome: str) -> Settled:
    return Settled(feedback_id=f"f{n}", call_id=None, outcome=outcome)


def test_a_review_is_tallied_per_decision() -> None:
    queue = ReviewQueue(
        dataset="docs-qa",
        items=[item(n) for n in range(5)],
        settled=[settled(1, "covered"), settled(2, "pii"), settled(3, "ineligible")],
    )
    out = queued(queue)
    assert (out.candidates, out.covered, out.pii_dropped, out.ineligible) == (5, 1, 1, 1)

    decisions = [
        Decision(candidate_id="c0", action="approve"),
        Decision(candidate_id="c1", action="edit", reference="the right answer"),
        Decision(candidate_id="c2", action="reject"),
        Decision(candidate_id="c3", action="later"),
    ]  # c4: no decision at all, also left for later
    settlement = Settlement(
        approved=[
            Approved(item=queue.items[0], reference=None, edited=False),
            Approved(item=queue.items[1], reference="the right answer", edited=True),
        ],
        settled=[settled(9, "rejected"), settled(10, "ineligible")],
    )
    out = reviewed(out, queue, decisions, settlement)
    assert (out.approved, out.edited, out.rejected, out.deferred, out.ineligible) == (1, 1, 1, 2, 2)

    out = handed_off(out, "/tmp/c.jsonl", Handoff(status="promoted", version="v2", added=["a"]))
    assert (out.candidates_file, out.curation_status, out.version, out.added) == (
        "/tmp/c.jsonl",
        "promoted",
        "v2",
        ["a"],
    )
    assert outcome_line(out, "ana") == (
        "docs-qa: reviewed by ana: 2 approved (1 with an edited reference), 1 rejected, "
        "2 left for later; curation: promoted, new version v2 adds a"
    )


def test_an_outcome_without_a_curation_says_so() -> None:
    out = queued(ReviewQueue(dataset="docs-qa", items=[item(0)]))
    assert outcome_line(out, "auto-approve").endswith("curation: not needed")
