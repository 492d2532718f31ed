"""Simulated user feedback on the traffic simulator's calls (`llmops feedback simulate`, the demo).

Users re-ask a badly answered question in other words: the generator logs those follow-up calls
(generic log format, ingested into llm_calls) and gives thumbs-down, ratings, flags and corrections,
some with personal data in comments, corrections or the logged input; plus positive feedback,
feedback on unknown calls and malformed lines. `_planted.json` lists what was planted.
"""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from llmops.core.settings import Settings
from llmops.feedback.candidates import split_input

PLANTED_FILE = "_planted.json"
DATASET = "docs-qa"
# question asked in other words (near duplicates of each other), with the wordings users used
REWORDED: dict[str, list[str]] = {
    "How many rows can a CSV import have?": [
        "How many rows can a CSV import have at most?",
        "How many rows can a CSV import contain?",
        "how many rows can a CSV import have, roughly?",
    ],
    "Which plan includes SAML SSO?": ["which plan includes saml sso at all?"],
}
CSV_CORRECTION = "Up to 10,000 rows per CSV file; split bigger files and import them one by one."
TOKEN_QUESTION = "How long does a personal access token last?"
TRACE_QUESTION = "Where can I see past automation runs?"
DROPPED_QUESTION = "How are webhook payloads signed?"
PII_QUESTION = "Do exports include attachments?"
COVERED_QUESTION = "When I drop a table does the underlying data get deleted?"
PLANTED_PII = {
    "jane.doe@example.com": "email in a correction",
    "+44 20 7946 0123": "phone in a comment",
    "omar.haddad@example.org": "email in a logged input",
    "4111 1111 1111 1111": "card in a logged input",
    "4417 2209 118": "number the detectors miss, in a comment (candidate dropped)",
}


def _calls(settings: Settings) -> list[dict[str, Any]]:
    from llmops.lake.warehouse import connect

    con = connect(settings.lake_dir)
    try:
        return (
            con.sql(
                "SELECT call_id, trace_id, started_at, provider, requested_model, prompt_name, "
                "prompt_version, feature, team, input_text, output_text FROM llm_calls "
                "WHERE status = 'success' AND prompt_name IN ('docs-qa', 'support-answer') "
                "ORDER BY started_at, call_id"
            )
            .pl()
            .to_dicts()
        )
    finally:
        con.close()


def _id(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:16]


def _followup(call: dict[str, Any], question: str, n: int) -> dict[str, Any]:
    """A generic-format log record: the user asks again, in other words, minutes later."""
    _, contexts = split_input(call["input_text"])
    started: datetime = call["started_at"] + timedelta(minutes=3 + n)
    return {
        "call_id": f"followup-{_id(call['call_id'], question)}",
        "trace_id": call["trace_id"],
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(seconds=2)).isoformat(),
        "provider": call["provider"],
        "requested_model": call["requested_model"],
        "prompt_name": call["prompt_name"],
        "prompt_version": call["prompt_version"],
        "feature": call["feature"],
        "team": call["team"],
        "user_id": f"user-{n % 7}",
        "input_tokens": 400,
        "output_tokens": 40,
        "status": "success",
        "input_text": "Context:\n" + "\n".join(contexts) + f"\n\nQuestion: {question}",
        "output_text": call["output_text"],
    }


def _first(calls: list[dict[str, Any]], question: str) -> list[dict[str, Any]]:
    return [c for c in calls if split_input(c["input_text"])[0] == question]


def write_demo_feedback(settings: Settings, out_dir: Path) -> Path:
    """Write (and ingest) follow-up calls, then feedback files for the lake's calls; returns the
    folder holding feedback.jsonl and feedback.csv (plus _planted.json)."""
    from llmops.ingest import ingest_file, price_book

    calls = _calls(settings)
    docs = [c for c in calls if c["prompt_name"] == DATASET]
    support = [c for c in calls if c["prompt_name"] == "support-answer"]
    if not docs or not support:
        raise ValueError(
            f"{settings.lake_dir}: no docs-qa / support-answer calls; run simulate-traffic and "
            "ingest first"
        )
    for q in [*REWORDED, TOKEN_QUESTION, TRACE_QUESTION, DROPPED_QUESTION, PII_QUESTION]:
        if not _first(docs, q):
            raise ValueError(f"{settings.lake_dir}: no logged call asks {q!r}; more traffic needed")
    out_dir.mkdir(parents=True, exist_ok=True)
    followups: list[dict[str, Any]] = []
    fb: list[dict[str, Any]] = []
    n = 0

    def feedback(call_id: str | None, kind: str, **extra: Any) -> None:
        nonlocal n
        n += 1
        rec = {"feedback_id": f"demo-fb-{n:03d}", "call_id": call_id, "kind": kind}
        rec["time"] = (docs[-1]["started_at"] + timedelta(minutes=10 + n)).isoformat()
        rec["user_id"] = f"user-{n % 7}"
        fb.append(rec | extra)

    def follow(base: dict[str, Any], question: str) -> str:
        rec = _followup(base, question, len(followups))
        followups.append(rec)
        return rec["call_id"]

    # near duplicates: the same question in several wordings, thumbs-down and one correction
    csv_q, sso_q = list(REWORDED)
    base = _first(docs, csv_q)[0]
    feedback(base["call_id"], "thumb_down", comment="that is not what I asked")
    wordings = REWORDED[csv_q]
    feedback(follow(base, wordings[0]), "thumb_down")
    feedback(follow(base, wordings[1]), "thumb_down")
    feedback(follow(base, wordings[2]), "correction", correction=CSV_CORRECTION)
    for call in _first(docs, sso_q)[:2]:
        feedback(call["call_id"], "thumb_down")
    sso_follow = follow(_first(docs, sso_q)[0], REWORDED[sso_q][0])
    feedback(sso_follow, "rating", rating=1, comment="wrong, call me on +44 20 7946 0123")
    # a correction with an e-mail address in it
    feedback(
        _first(docs, TOKEN_QUESTION)[0]["call_id"],
        "correction",
        correction="Personal access tokens expire after 90 days unless renewed; write to "
        "jane.doe@example.com for an extension.",
    )
    # personal data in the logged input itself, then flagged
    pii_base = _first(docs, PII_QUESTION)[0]
    pii_call = follow(
        pii_base,
        f"{PII_QUESTION} Please answer to omar.haddad@example.org, my card is 4111 1111 1111 1111.",
    )
    feedback(pii_call, "flag", comment="answer ignored my question")
    # a number the detectors do not recognise: the candidate is dropped, not shown
    feedback(
        _first(docs, DROPPED_QUESTION)[0]["call_id"],
        "thumb_down",
        comment="still wrong, my employee number is 4417 2209 118",
    )
    # feedback on a trace (its last call) rather than a call
    trace_call = _first(docs, TRACE_QUESTION)[0]
    fb_trace = {"trace_id": trace_call["trace_id"]}
    feedback(None, "thumb_down", **fb_trace)
    # a question the golden set already has
    feedback(follow(base, COVERED_QUESTION), "thumb_down")
    # positive feedback, negative feedback on a prompt with no golden set, unknown calls
    for call in docs[-3:]:
        feedback(call["call_id"], "thumb_up")
    feedback(docs[-4]["call_id"], "rating", rating=5)
    for call in support[:2]:
        feedback(call["call_id"], "thumb_down", comment="did not help")
    for i in range(3):
        feedback(f"chatcmpl-demo-missing-{i}", "thumb_down")

    calls_dir = out_dir / "calls"
    calls_dir.mkdir(exist_ok=True)
    calls_file = calls_dir / "feedback-followups.jsonl"
    calls_file.write_text("".join(json.dumps(r) + "\n" for r in followups))
    ingest_file(calls_file, settings, "generic", price_book(settings))

    jsonl_part, csv_part = fb[:-6], fb[-6:]
    lines = [json.dumps({k: v for k, v in r.items() if v is not None}) for r in jsonl_part]
    lines.insert(3, '{"feedback_id": "demo-bad-1", "call_id": "x", "kind": "thumb_down"')
    lines.insert(
        6, json.dumps({"feedback_id": "demo-bad-2", "call_id": docs[0]["call_id"], "kind": "meh"})
    )
    lines.append(
        json.dumps(
            {
                "feedback_id": "demo-bad-3",
                "call_id": docs[0]["call_id"],
                "kind": "rating",
                "rating": 9,
            }
        )
    )
    (out_dir / "feedback.jsonl").write_text("\n".join(lines) + "\n")
    columns = ["feedback_id", "call_id", "trace_id", "time", "kind", "rating", "correction",
               "comment", "user_id"]  # fmt: skip
    with (out_dir / "feedback.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        for r in csv_part:
            writer.writerow(r)
        writer.writerow(
            {"feedback_id": "demo-bad-4", "call_id": docs[1]["call_id"], "kind": "rating"}
        )
    planted = {
        "dataset": DATASET,
        "pii": PLANTED_PII,
        "clusters": {q: 1 + len(w) for q, w in REWORDED.items()},
        "sso_frequency": 3,
        "csv_frequency": 4,
        "unknown_calls": 3,
        "malformed": 4,
        "feedback": len(fb),
        "followup_calls": len(followups),
        "covered_question": COVERED_QUESTION,
        "dropped_question": DROPPED_QUESTION,
    }
    (out_dir / PLANTED_FILE).write_text(json.dumps(planted, indent=2) + "\n")
    return out_dir
