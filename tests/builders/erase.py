"""A filled home for the erasure tests: the session's simulated lake plus feedback, a ledger,
quarantined records and a redelivered call that all belong to one user (and some that do not)."""

from __future__ import annotations

import functools
import json
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tests.builders.audit import build_demo_lake
from tests.builders.feedback import write_jsonl

KEY = "test-key"  # build_demo_lake's user-hash key
TRAFFIC_USERS = [f"user-{i:04d}" for i in range(1, 401)]  # the traffic simulator's user ids


@dataclass(frozen=True)
class ErasureHome:
    """A home to copy, the user to erase (raw id and keyed hash) and another user's call."""

    home: Path
    user_id: str
    user_hash: str
    other_user_id: str
    other_call_id: str


def settings_for(home: Path):
    """Settings over `home` with the lake's user-hash key."""
    from llmops.core.settings import get_settings

    return get_settings(home=home, user_hash_key=KEY)


def _pick_users(settings) -> tuple[str, str, dict[str, str]]:
    """The traffic user with the most findings (then calls), another user, and raw id by hash."""
    from llmops.lake.warehouse import connect
    from llmops.privacy.target import user_hash

    by_hash = {user_hash(u, settings.user_key): u for u in TRAFFIC_USERS}
    con = connect(settings.lake_dir)
    try:
        rows = con.execute(
            "SELECT c.user_hash, count(DISTINCT f.finding_id) AS f, count(DISTINCT c.call_id) AS n "
            "FROM llm_calls c LEFT JOIN findings f USING (call_id) "
            "WHERE c.user_hash IS NOT NULL GROUP BY 1 ORDER BY f DESC, n DESC, 1"
        ).fetchall()
    finally:
        con.close()
    users = [by_hash[h] for h, _, _ in rows if h in by_hash]
    return users[0], users[1], by_hash


def _plant(settings, user: str, other: str, drop: Path) -> str:
    """Feedback, a flywheel ledger, quarantined records and a redelivered call of `user`."""
    from llmops.feedback.flywheel import Settled
    from llmops.feedback.ingest import ingest_paths as ingest_feedback
    from llmops.feedback.ledger import write_ledger
    from llmops.ingest import ingest_paths
    from llmops.lake.warehouse import connect
    from llmops.privacy.target import user_hash

    con = connect(settings.lake_dir)
    try:
        mine = con.execute(
            "SELECT call_id, trace_id, started_at, requested_model FROM llm_calls "
            "WHERE user_hash = ? ORDER BY started_at, call_id",
            [user_hash(user, settings.user_key)],
        ).fetchall()
        (other_call,) = con.execute(
            "SELECT call_id FROM llm_calls WHERE user_hash = ? ORDER BY call_id LIMIT 1",
            [user_hash(other, settings.user_key)],
        ).fetchone()
        last_of_trace = {
            t: c
            for t, c in con.execute(
                "SELECT trace_id, arg_max(call_id, started_at) FROM llm_calls GROUP BY 1"
            ).fetchall()
        }
    finally:
        con.close()
    own, about = mine[0][0], mine[-1][0]
    (trace,) = [t for c, t, _, _ in mine[1:] if t and last_of_trace.get(t) == c][:1]
    feedback = [
        {"feedback_id": "erase-own", "call_id": own, "kind": "thumb_down", "user_id": user,
         "comment": f"wrong, write to me as {user}"},
        {"feedback_id": "erase-about", "call_id": about, "kind": "rating", "rating": 2,
         "user_id": other},
        {"feedback_id": "erase-trace", "trace_id": trace, "kind": "thumb_down", "user_id": other},
        {"feedback_id": "erase-given", "call_id": other_call, "kind": "flag", "user_id": user},
        {"feedback_id": "erase-keep", "call_id": other_call, "kind": "thumb_up", "user_id": other},
        {"feedback_id": "erase-bad", "kind": "smile", "user_id": user},
        {"feedback_id": "erase-bad-other", "kind": "smile", "user_id": other},
    ]  # fmt: skip
    ingest_feedback(settings, [write_jsonl(drop / "erase-feedback.jsonl", feedback)])
    settled = [
        Settled(feedback_id="erase-own", call_id=own, outcome="not_negative"),
        Settled(feedback_id="erase-keep", call_id=other_call, outcome="not_negative"),
    ]
    write_ledger(settings, None, settled, "erase-test")
    _, _, started, model = mine[0]
    logs = [
        {"call_id": own, "started_at": started.isoformat(), "model": model,  # a redelivery
         "input_tokens": 10, "output_tokens": 5, "user_id": user},
        {"call_id": "erase-q-1", "started_at": started.isoformat(), "user_id": user,
         "input_tokens": 1},
        {"call_id": "erase-q-2", "started_at": (started + timedelta(hours=1)).isoformat(),
         "user_id": other, "input_tokens": 1},
    ]  # fmt: skip
    path = drop / "erase-calls.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in logs))
    ingest_paths([path], settings, fmt="generic")
    return other_call


@functools.cache
def build_erase_home(base: Path) -> ErasureHome:
    """Once per session: copy the simulated lake, add demo feedback and the planted rows, audit
    and roll up (a few seconds on top of `build_demo_lake`)."""
    from llmops.audit.run import run_audit
    from llmops.costs.rollup import run_rollup
    from llmops.feedback.ingest import ingest_paths as ingest_feedback
    from llmops.privacy.target import user_hash
    from llmops.simulators.feedback import write_demo_feedback

    home = base / "erase-home"
    settings = settings_for(home)
    shutil.copytree(build_demo_lake(base).snapshot, settings.lake_dir)
    drop = base / "erase-drop"
    ingest_feedback(settings, [write_demo_feedback(settings, drop)])
    user, other, _ = _pick_users(settings)
    other_call = _plant(settings, user, other, drop)
    run_audit(settings)
    run_rollup(settings)
    return ErasureHome(home, user, user_hash(user, settings.user_key), other, other_call)
