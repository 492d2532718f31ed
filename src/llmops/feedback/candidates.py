"""New feedback joined to its call, and negative interactions as item-shaped candidate rows."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from llmops.core.settings import Settings
from llmops.feedback.model import is_negative, severity

# the RAG layout the applications log: "Context:\n[Title] body\n\nQuestion: ..."
_RAG = re.compile(r"^\s*Context:\s*\n(?P<context>.*?)\n\s*\nQuestion:\s*(?P<question>.+)$", re.S)
_CONTEXT_SPLIT = re.compile(r"\n(?=\[[^\]\n]{1,80}\] )")
SOURCE = "feedback-flywheel"


class Joined(BaseModel):
    """One new feedback event with the call it is about (call fields None when unknown)."""

    feedback_id: str
    kind: str
    rating: int | None = None
    correction: str | None = None
    comment: str | None = None
    created_at: datetime
    call_id: str | None = None
    prompt_name: str | None = None
    prompt_version: str | None = None
    model: str | None = None
    input_text: str | None = None
    output_text: str | None = None


class NewFeedback(BaseModel):
    """Feedback not in the ledger yet: joined to a call, or waiting for its call."""

    joined: list[Joined] = Field(default_factory=list)
    unknown_calls: int = 0
    unknown_ids: list[str] = Field(default_factory=list, description="first few, for the report")


NEW_FEEDBACK_SQL = """
    SELECT f.feedback_id, f.kind, f.rating, f.correction, f.comment, f.created_at,
           f.resolved_call_id AS call_id, c.prompt_name, c.prompt_version,
           c.requested_model AS model, c.input_text, c.output_text
    FROM feedback_calls f LEFT JOIN llm_calls c ON c.call_id = f.resolved_call_id
    WHERE f.feedback_id NOT IN (SELECT feedback_id FROM feedback_ledger)
    ORDER BY f.created_at, f.feedback_id
"""


def load_new_feedback(settings: Settings, shown: int = 10) -> NewFeedback:
    """Feedback the flywheel has not processed, joined to llm_calls (its call, or its trace's last)."""
    from llmops.lake.warehouse import connect

    con = connect(settings.lake_dir)
    try:
        rows = con.sql(NEW_FEEDBACK_SQL).pl().to_dicts()
    finally:
        con.close()
    joined = [Joined(**r) for r in rows if r["call_id"] is not None]
    unknown = [r["feedback_id"] for r in rows if r["call_id"] is None]
    return NewFeedback(joined=joined, unknown_calls=len(unknown), unknown_ids=unknown[:shown])


def split_input(text: str | None) -> tuple[str, list[str]]:
    """Question and retrieved contexts of a logged input (no contexts when not a RAG prompt)."""
    text = (text or "").strip()
    m = _RAG.match(text)
    if not m:
        return text, []
    contexts = [c.strip() for c in _CONTEXT_SPLIT.split(m.group("context")) if c.strip()]
    return m.group("question").strip(), contexts


def candidate_id(question: str) -> str:
    """Item id of a candidate: `fb-` and a hash of its (scrubbed) question."""
    return "fb-" + hashlib.sha256(question.encode()).hexdigest()[:12]


def candidate_row(fb: Joined) -> dict[str, Any]:
    """An item-shaped row (what llmops.datasets dedup and scrub read) for negative feedback."""
    question, contexts = split_input(fb.input_text)
    kind = "reference" if fb.correction else "negative"
    return {
        "id": "fbk-" + hashlib.sha256(fb.feedback_id.encode()).hexdigest()[:12],
        "question": question,
        "reference_answer": fb.correction,
        "contexts": contexts,
        "tags": [f"kind:{kind}"],
        "source": SOURCE,
        "metadata": {"answer": fb.output_text or ""},
        "comment": fb.comment or "",
        "_origin": f"feedback {fb.feedback_id}",
        "_feedback": {
            "feedback_id": fb.feedback_id,
            "call_id": fb.call_id,
            "kind": fb.kind,
            "severity": severity(fb.kind, fb.rating),
            "created_at": fb.created_at.isoformat(),
            "prompt_version": f"{fb.prompt_name}@{fb.prompt_version}",
            "model": fb.model,
        },
    }


class Routed(BaseModel):
    """New feedback sorted: candidate rows per golden dataset, positive, negative with no dataset."""

    rows: dict[str, list[dict[str, Any]]]
    positive: list[Joined]
    unrouted: list[Joined]


def route(new: NewFeedback, datasets: dict[str, str]) -> Routed:
    """Candidate rows per golden dataset; positive feedback; negative feedback with no dataset."""
    rows: dict[str, list[dict[str, Any]]] = {}
    positive: list[Joined] = []
    unrouted: list[Joined] = []
    for fb in new.joined:
        if not is_negative(fb.kind, fb.rating, fb.correction):
            positive.append(fb)
        elif fb.prompt_name in datasets:
            rows.setdefault(datasets[fb.prompt_name], []).append(candidate_row(fb))
        else:
            unrouted.append(fb)
    return Routed(rows=rows, positive=positive, unrouted=unrouted)
