"""The flywheel's logic: scrub, drop what still fails, cluster, rank, apply the review, ledger.

Clustering reuses the golden curation's dedup (MinHash LSH over character shingles, verified by
exact Jaccard) over candidates plus the dataset's current items: a cluster holding a golden item is
already covered; any other cluster becomes one review item (its representative) with the number of
feedback events behind it.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from llmops.core.errors import LlmopsError
from llmops.datasets.config import DatasetConfig, DedupSpec, ValidationSpec
from llmops.datasets.schema import Item
from llmops.feedback.candidates import SOURCE, candidate_id

Row = dict[str, Any]
SCRUB_FIELDS = ("question", "reference_answer", "contexts", "metadata", "comment")
# what still looks like personal data after the detectors ran (the audit's residual mask)
_LEFTOVER = (
    re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}"),
    re.compile(r"\+?\d(?:[ ().\-/]{0,2}\d){6,}"),
)
Outcome = Literal["approved", "edited", "rejected", "covered", "pii", "not_negative", "ineligible"]


class ReviewItem(BaseModel):
    """One cluster of negative feedback on the same question: what the reviewer decides on."""

    candidate_id: str
    dataset: str
    question: str
    reference: str | None = Field(None, description="from a user correction; None = reviewer's")
    logged_answer: str = ""
    contexts: list[str] = Field(default_factory=list)
    frequency: int = Field(description="feedback events in the cluster")
    severity: int
    last_seen: datetime
    kinds: dict[str, int]
    comments: list[str] = Field(default_factory=list)
    prompt_versions: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    feedback_ids: list[str]
    call_ids: dict[str, str | None] = Field(default_factory=dict, description="feedback -> call")
    similar: list[str] = Field(default_factory=list, description="other wordings (masked)")


class Settled(BaseModel):
    """Feedback decided without review (covered, still PII, not negative, ineligible)."""

    feedback_id: str
    call_id: str | None
    outcome: Outcome
    candidate_id: str | None = None
    reason: str = ""


class ReviewQueue(BaseModel):
    """A dataset's ranked review items and what was settled on the way."""

    dataset: str
    items: list[ReviewItem] = Field(default_factory=list)
    settled: list[Settled] = Field(default_factory=list)
    rows_scrubbed: int = 0
    near_threshold: float = 0.0

    def count(self, outcome: str) -> int:
        """Feedback events settled with `outcome`."""
        return sum(s.outcome == outcome for s in self.settled)


class Decision(BaseModel):
    """The reviewer's decision on one candidate."""

    candidate_id: str
    action: Literal["approve", "edit", "reject", "later"] = Field(
        "later",
        description="approve (as proposed), edit (use `reference`), reject, or later (ask again)",
    )
    reference: str = Field("", description="the reference answer, for action 'edit'")


class Approved(BaseModel):
    """A candidate approved for the golden set."""

    item: ReviewItem
    reference: str | None
    edited: bool


def still_fails(texts: list[str]) -> list[str]:
    """Why texts that were scrubbed still look like personal data (empty list = clean)."""
    import polars as pl

    from llmops.guardrails.spans import find_spans

    why = []
    if texts:
        spans = find_spans(pl.Series("text", texts, dtype=pl.Utf8))
        why += sorted(set(spans["label"].to_list()))
    for text in texts:
        if _LEFTOVER[0].search(text):
            why.append("email-like text")
        if _LEFTOVER[1].search(text):
            why.append("long number")
    return sorted(set(why))


def _texts(row: Row) -> list[str]:
    meta = row.get("metadata") or {}
    out = [row.get("question") or "", row.get("reference_answer") or "", row.get("comment") or ""]
    return out + list(row.get("contexts") or []) + [str(v) for v in meta.values()]


def ineligible(question: str, answer: str | None, contexts: list[str], spec: ValidationSpec) -> str:
    """Why an item would fail the dataset's length/context checks ('' when it would pass)."""
    q_lo, q_hi = spec.question_chars
    a_lo, a_hi = spec.answer_chars
    n_lo, n_hi = spec.contexts_per_item
    c_lo, c_hi = spec.context_chars
    if not q_lo <= len(question) <= q_hi:
        return f"question has {len(question)} chars, not in [{q_lo}, {q_hi}]"
    if answer is not None and not a_lo <= len(answer) <= a_hi:
        return f"answer has {len(answer)} chars, not in [{a_lo}, {a_hi}]"
    if not n_lo <= len(contexts) <= n_hi:
        return f"{len(contexts)} context(s), not in [{n_lo}, {n_hi}]"
    if any(not c_lo <= len(c) <= c_hi for c in contexts):
        return f"a context is not {c_lo}-{c_hi} chars"
    return ""


def _settle(rows: list[Row], outcome: Outcome, cid: str | None = None, reason: str = ""):
    return [
        Settled(
            feedback_id=r["_feedback"]["feedback_id"],
            call_id=r["_feedback"]["call_id"],
            outcome=outcome,
            candidate_id=cid,
            reason=reason,
        )
        for r in rows
    ]


def _item(dataset: str, rep: Row, members: list[Row]) -> ReviewItem:
    fbs = [m["_feedback"] for m in members]
    comments = [m["comment"] for m in members if m.get("comment")]
    wordings = sorted({m["question"] for m in members} - {rep["question"]})
    return ReviewItem(
        candidate_id=candidate_id(rep["question"]),
        dataset=dataset,
        question=rep["question"],
        reference=rep.get("reference_answer"),
        logged_answer=(rep.get("metadata") or {}).get("answer") or "",
        contexts=rep.get("contexts") or [],
        frequency=len(members),
        severity=max(f["severity"] for f in fbs),
        last_seen=max(datetime.fromisoformat(f["created_at"]) for f in fbs),
        kinds=dict(sorted(Counter(f["kind"] for f in fbs).items())),
        comments=comments[:5],
        prompt_versions=sorted({f["prompt_version"] for f in fbs}),
        models=sorted({f["model"] for f in fbs if f["model"]}),
        feedback_ids=sorted(f["feedback_id"] for f in fbs),
        call_ids={f["feedback_id"]: f["call_id"] for f in fbs},
        similar=wordings[:5],
    )


def build_queue(
    dataset: str,
    rows: list[Row],
    current: list[Item],
    config: DatasetConfig,
    near_threshold: float,
    limit: int,
) -> ReviewQueue:
    """Scrub, drop rows that still fail, cluster against each other and the golden set, rank."""
    from llmops.datasets.dedup import deduplicate
    from llmops.datasets.scrub import scrub_rows

    queue = ReviewQueue(dataset=dataset)
    clean, scrubbed = scrub_rows(rows, SCRUB_FIELDS)
    queue.rows_scrubbed = len(scrubbed)
    kept: list[Row] = []
    for row in clean:
        why = still_fails(_texts(row))
        if why:
            queue.settled += _settle([row], "pii", reason="still looks like " + ", ".join(why))
        else:
            kept.append(row)
    threshold = min(near_threshold, config.dedup.near_threshold)
    queue.near_threshold = threshold
    spec = DedupSpec(
        near_threshold=threshold,
        shingle_chars=config.dedup.shingle_chars,
        num_perm=config.dedup.num_perm,
    )
    result = deduplicate(kept, current, spec)
    by_id = {r["id"]: r for r in kept}
    members: dict[str, list[Row]] = {r["id"]: [r] for r in result.kept}
    for cluster in result.clusters:
        gone = [by_id[m.id] for m in cluster.removed]
        if cluster.against == "current":
            reason = f"near an item of the golden set ({cluster.keep})"
            queue.settled += _settle(gone, "covered", cluster.keep, reason)
        else:
            members[cluster.keep] += gone
    items: list[ReviewItem] = []
    for rep_id, group in members.items():
        item = _item(dataset, by_id[rep_id], group)
        answer = item.reference if item.reference is not None else item.logged_answer
        why = ineligible(item.question, answer, item.contexts, config.validation)
        if why:
            queue.settled += _settle(group, "ineligible", item.candidate_id, why)
        else:
            items.append(item)
    items.sort(key=lambda i: (-i.frequency, -i.severity, -i.last_seen.timestamp(), i.candidate_id))
    queue.items = items[:limit]
    return queue


class Settlement(BaseModel):
    """A review applied: the approved candidates and the feedback it settled otherwise."""

    approved: list[Approved]
    settled: list[Settled]


def apply_decisions(
    queue: ReviewQueue, decisions: list[Decision], config: DatasetConfig
) -> Settlement:
    """Approved candidates, and the settled feedback (rejected, ineligible edits)."""
    from llmops.datasets.scrub import scrub_rows

    items = {i.candidate_id: i for i in queue.items}
    unknown = sorted({d.candidate_id for d in decisions} - set(items))
    if unknown:
        raise LlmopsError(f"review: field decisions.candidate_id: unknown candidate(s) {unknown}")
    approved: list[Approved] = []
    settled: list[Settled] = []
    for d in decisions:
        item = items[d.candidate_id]
        rows = [
            {"_feedback": {"feedback_id": f, "call_id": item.call_ids.get(f)}}
            for f in item.feedback_ids
        ]
        if d.action == "reject":
            settled += _settle(rows, "rejected", item.candidate_id, "rejected by the reviewer")
        elif d.action in ("approve", "edit"):
            reference = item.reference
            if d.action == "edit":
                if not d.reference.strip():
                    raise LlmopsError(
                        f"review: field decisions.reference: empty for edited {item.candidate_id}"
                    )
                (row,), _ = scrub_rows([{"r": d.reference.strip(), "_origin": "review"}], ["r"])
                reference = row["r"]
            answer = reference if reference is not None else item.logged_answer
            why = ineligible(item.question, answer, item.contexts, config.validation)
            if why or (reference and still_fails([reference])):
                reason = why or "edited reference still looks like personal data"
                settled += _settle(rows, "ineligible", item.candidate_id, reason)
            else:
                approved.append(Approved(item=item, reference=reference, edited=d.action == "edit"))
    return Settlement(approved=approved, settled=settled)


def decided(approved: list[Approved]) -> list[Settled]:
    """Ledger entries of approved candidates' feedback."""
    return [
        Settled(
            feedback_id=f,
            call_id=a.item.call_ids.get(f),
            outcome="edited" if a.edited else "approved",
            candidate_id=a.item.candidate_id,
        )
        for a in approved
        for f in a.item.feedback_ids
    ]


def raw_record(approved: Approved, config: DatasetConfig) -> Row:
    """The approved item in the dataset's own raw columns (its dataset.yaml import mapping)."""
    spec = config.import_
    item = approved.item
    has_reference = approved.reference is not None
    rec: Row = {}

    def put(field: str, value: Any) -> None:
        cols = spec.columns.get(field, field)
        cols = [cols] if isinstance(cols, str) else list(cols)
        rec[cols[0]] = value
        for extra in cols[1:]:
            rec[extra] = None

    put("id", item.candidate_id)
    put("question", item.question)
    put("reference_answer", approved.reference if has_reference else item.logged_answer)
    put("contexts", item.contexts)
    put("tags", [f"kind:{'reference' if has_reference else 'negative'}", "origin:feedback"])
    put("source", SOURCE)
    put(
        "metadata",
        {
            "feedback": {
                "events": item.frequency,
                "kinds": item.kinds,
                "severity": item.severity,
                "prompt_versions": item.prompt_versions,
                "models": item.models,
                "reference_edited": approved.edited,
            }
        },
    )
    for col in spec.metadata.values():
        rec.setdefault(col, None)
    for name, col in spec.labels.items():
        rec[col] = int(has_reference) if name in spec.reference_if else None
    for rule in spec.tags.values():
        rec.setdefault(rule.column, None)
    return rec
