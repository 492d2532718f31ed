"""What a flywheel run did, per golden dataset and in total: result models and their tallies."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from llmops.datasets.diff import diff_items
from llmops.datasets.store import DatasetStore
from llmops.feedback.flywheel import Decision, ReviewQueue, Settlement


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


class Handoff(BaseModel):
    """What the golden curation made of the approved candidates (`sent`: as an event)."""

    status: str
    version: str | None = None
    added: list[str] = Field(default_factory=list)


def queued(queue: ReviewQueue) -> DatasetOutcome:
    """The outcome of a dataset before its review: what the queue holds and what it left out."""
    return DatasetOutcome(
        dataset=queue.dataset,
        candidates=len(queue.items),
        covered=queue.count("covered"),
        pii_dropped=queue.count("pii"),
        ineligible=queue.count("ineligible"),
    )


def reviewed(
    out: DatasetOutcome, queue: ReviewQueue, decisions: list[Decision], settlement: Settlement
) -> DatasetOutcome:
    """The outcome once the reviewer's decisions are applied."""
    edited = sum(a.edited for a in settlement.approved)
    decided_ids = {d.candidate_id for d in decisions if d.action != "later"}
    return out.model_copy(
        update={
            "rejected": sum(d.action == "reject" for d in decisions),
            "ineligible": out.ineligible
            + sum(s.outcome == "ineligible" for s in settlement.settled),
            "edited": edited,
            "approved": len(settlement.approved) - edited,
            "deferred": len(queue.items) - len(decided_ids),
        }
    )


def handed_off(out: DatasetOutcome, candidates_file: str, handoff: Handoff) -> DatasetOutcome:
    """The outcome once the approved candidates went to the golden curation."""
    return out.model_copy(
        update={
            "candidates_file": candidates_file,
            "curation_status": handoff.status,
            "version": handoff.version,
            "added": handoff.added,
        }
    )


def added_item_ids(datasets_dir: Path, dataset: str, parent: str | None, version: str) -> list[str]:
    """Ids of the items version `version` added to its parent."""
    store = DatasetStore(datasets_dir)
    before = store.items(dataset, parent) if parent else []
    return sorted(i.id for i in diff_items(before, store.items(dataset, version)).added)


def outcome_line(out: DatasetOutcome, reviewer: str) -> str:
    """One line for the log and the report: who reviewed, what was decided, what curation did."""
    line = (
        f"{out.dataset}: reviewed by {reviewer}: {out.approved + out.edited} approved "
        f"({out.edited} with an edited reference), {out.rejected} rejected, "
        f"{out.deferred} left for later; curation: {out.curation_status or 'not needed'}"
    )
    return line + (f", new version {out.version} adds {', '.join(out.added)}" if out.added else "")
